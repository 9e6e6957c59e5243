//! Traces for the inspection views: an HTTPS request with wire bytes (TLS
//! records), a refused HTTP request, and DNS lookups.

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    CertInfo, ClientMsg, Closer, DnsMode, DnsRecord, DnsType, ErrorCode, EventKind, HttpRequest,
    HttpTimings, RelayError, ServerMsg, WireDir,
};
use roundtrip_shared::trace::Trace;

use crate::event;

fn tls_record(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind, 3, 3];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

pub fn http_request(trace: &mut Trace, op: u32, url: &str) {
    trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
        faults: None,
        op,
        method: "GET".into(),
        url: url.into(),
        headers: vec![],
        body: None,
        json: false,
        timeouts: None,
        follow_redirects: 0,
        max_body: None,
        raw: true,
        retry: None,
    }));
}

/// A raw HTTPS GET of `/json` on op `op`, answered 200 with a JSON body.
pub fn https_exchange(trace: &mut Trace, op: u32, scale: u64) {
    http_request(trace, op, "https://127.0.0.1:8443/json");
    let head = b"GET /json HTTP/1.1\r\nhost: 127.0.0.1:8443\r\nuser-agent: roundtrip/0.1.0\r\n\r\n";
    let hello = tls_record(22, &[1, 0, 0, 4, 3, 3, 0, 0]);
    let events = [
        (
            10,
            EventKind::Resolving {
                host: "127.0.0.1".into(),
            },
        ),
        (
            20,
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:8443".into()],
                source: roundtrip_shared::protocol::ResolveSource::Literal,
            },
        ),
        (
            30,
            EventKind::Connecting {
                addr: "127.0.0.1:8443".into(),
            },
        ),
        (
            200,
            EventKind::Connected {
                local: "127.0.0.1:50000".into(),
                remote: "127.0.0.1:8443".into(),
            },
        ),
        (
            300,
            EventKind::Wire {
                dir: WireDir::Out,
                bytes: Payload(hello),
            },
        ),
        (
            900,
            EventKind::Wire {
                dir: WireDir::In,
                bytes: Payload(tls_record(22, &[2, 0, 0, 4, 3, 3, 0, 0])),
            },
        ),
        (
            1_500,
            EventKind::TlsHandshake {
                version: "TLS 1.3".into(),
                cipher: "TLS13_AES_256_GCM_SHA384".into(),
                alpn: None,
                certs: vec![CertInfo {
                    subject: "CN=localhost".into(),
                    issuer: "CN=Roundtrip lab CA".into(),
                    not_before: "2026-01-01".into(),
                    not_after: "2027-01-01".into(),
                    sans: vec![],
                }],
            },
        ),
        (
            1_550,
            EventKind::Wire {
                dir: WireDir::Out,
                bytes: Payload(tls_record(23, &[0xaa; 40])),
            },
        ),
        (
            1_600,
            EventKind::RequestWritten {
                head: Payload(head.to_vec()),
                body_bytes: 0,
            },
        ),
        (
            1_700,
            EventKind::Wire {
                dir: WireDir::In,
                bytes: Payload(tls_record(23, &[0x55; 60])),
            },
        ),
        (2_500, EventKind::FirstByte),
        (
            2_600,
            EventKind::ResponseHead {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("content-type".into(), "application/json".into())],
            },
        ),
    ];
    for (t, kind) in events {
        trace.record_server(&event(op, t * scale, kind));
    }
    trace.record_server(&ServerMsg::Data {
        op,
        t_us: 2_700 * scale,
        data: Payload(br#"{"url":"/json","slideshow":{"title":"Sample"}}"#.to_vec()),
    });
    for kind in [
        EventKind::ResponseDone {
            body_bytes: 46,
            json: true,
            timings: HttpTimings {
                dns_us: 10 * scale,
                connect_us: 170 * scale,
                tls_us: 1_300 * scale,
                request_us: 100 * scale,
                wait_us: 900 * scale,
                download_us: 200 * scale,
                total_us: 2_800 * scale,
            },
        },
        EventKind::Closed { by: Closer::Relay },
    ] {
        trace.record_server(&event(op, 2_800 * scale, kind));
    }
}

pub fn refused_http(trace: &mut Trace, op: u32) {
    http_request(trace, op, "http://127.0.0.1:9/");
    trace.record_server(&event(
        op,
        10,
        EventKind::Connecting {
            addr: "127.0.0.1:9".into(),
        },
    ));
    trace.record_server(&event(
        op,
        90,
        EventKind::Failed {
            error: RelayError::new(ErrorCode::Refused, "connection refused"),
        },
    ));
}

pub fn record(name: &str, ttl: u32, rtype: &str, data: &str) -> DnsRecord {
    DnsRecord {
        name: name.into(),
        ttl,
        class: "IN".into(),
        rtype: rtype.into(),
        data: data.into(),
    }
}

pub fn dns_query(trace: &mut Trace, op: u32, name: &str, mode: DnsMode) {
    trace.record_request(&ClientMsg::DnsQuery {
        op,
        name: name.into(),
        rtype: DnsType::A,
        mode,
        server: None,
        timeout_ms: None,
    });
}

/// A trace-mode walk for www.lab.test: root, test., lab.test., and the
/// CNAME chain to 127.0.0.1.
pub fn dns_walk(trace: &mut Trace, op: u32) {
    dns_query(trace, op, "www.lab.test", DnsMode::Trace);
    let sent = |server: &str| EventKind::DnsQuerySent {
        server: server.into(),
        name: "www.lab.test.".into(),
        rtype: DnsType::A,
    };
    let response = |server: &str, answers: Vec<DnsRecord>| EventKind::DnsResponse {
        server: server.into(),
        rcode: "NOERROR".into(),
        answers,
        authority: vec![],
        additional: vec![],
        elapsed_us: 640,
    };
    let referral = |zone: &str, ns: &str, addr: &str| EventKind::DnsReferral {
        zone: zone.into(),
        servers: vec![ns.into()],
        addrs: vec![addr.into()],
    };
    let events = [
        sent("127.0.0.2:5353"),
        response("127.0.0.2:5353", vec![]),
        referral("test.", "ns1.test.", "127.0.0.3:5353"),
        sent("127.0.0.3:5353"),
        response("127.0.0.3:5353", vec![]),
        referral("lab.test.", "ns1.lab.test.", "127.0.0.4:5353"),
        sent("127.0.0.4:5353"),
        response(
            "127.0.0.4:5353",
            vec![
                record("www.lab.test.", 300, "CNAME", "web.lab.test."),
                record("web.lab.test.", 300, "CNAME", "host.lab.test."),
                record("host.lab.test.", 3, "A", "127.0.0.1"),
            ],
        ),
        EventKind::Closed { by: Closer::Relay },
    ];
    for (i, kind) in events.into_iter().enumerate() {
        trace.record_server(&event(op, 100 * i as u64, kind));
    }
}
