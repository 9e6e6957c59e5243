//! Layout tests: labels and lanes as text, frames and exports as insta
//! snapshots (in `snapshots/`; review changes with `cargo insta review`).

use super::*;
use crate::payload::Payload;
use crate::protocol::{
    CertInfo, ClientMsg, ErrorCode, Event, HttpRequest, HttpTimings, RelayError, ServerMsg,
};
use crate::protocol::{Closer, EventKind, ResolveSource, WireDir};
use crate::trace::Trace;

fn event(trace: &mut Trace, t_us: u64, kind: EventKind) {
    trace.record_server(&ServerMsg::Event(Event { op: 1, t_us, kind }));
}

fn echo_trace() -> Trace {
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::TcpConnect {
        faults: None,
        op: 1,
        target: "tcp-echo".into(),
        connect_timeout_ms: None,
        nodelay: false,
    });
    event(
        &mut trace,
        3,
        EventKind::Resolved {
            addrs: vec!["127.0.0.1:4000".into()],
            source: ResolveSource::Lab,
        },
    );
    event(
        &mut trace,
        10,
        EventKind::Connecting {
            addr: "127.0.0.1:4000".into(),
        },
    );
    event(
        &mut trace,
        150,
        EventKind::Connected {
            local: "127.0.0.1:51000".into(),
            remote: "127.0.0.1:4000".into(),
        },
    );
    trace.record_request(&ClientMsg::Send {
        op: 1,
        data: Payload(b"hello".to_vec()),
    });
    event(&mut trace, 2_000, EventKind::Sent { bytes: 5 });
    trace.record_server(&ServerMsg::Data {
        op: 1,
        t_us: 2_105,
        data: Payload(b"hello".to_vec()),
    });
    trace.record_request(&ClientMsg::Close { op: 1 });
    event(
        &mut trace,
        1_500_000,
        EventKind::Closed {
            by: Closer::Browser,
        },
    );
    trace
}

#[test]
fn echo_round_trip_snapshot() {
    let diagram = timeline(&echo_trace());
    assert_eq!(
        diagram.describe(),
        "\
Browser -> Relay  connect tcp-echo
Relay  = 127.0.0.1:4000 (lab service)  @0.003 ms
Relay -> Target  SYN → 127.0.0.1:4000  @0.010 ms
Target -> Relay  SYN-ACK; connect() returns: 127.0.0.1:51000 ↔ 127.0.0.1:4000  @0.150 ms
Browser -> Relay  send \"hello\" (5 B)
Relay -> Target  \"hello\" (5 B)  @2.000 ms
Target -> Relay  \"hello\" (5 B)  @2.105 ms
Relay -> Browser  \"hello\" (5 B)
Browser -> Relay  close
Relay -> Target  FIN (close)  @1500.000 ms
"
    );
    assert_eq!(diagram.lanes[2].subtitle, "127.0.0.1:4000");
}

#[test]
fn refused_connection_snapshot() {
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::TcpConnect {
        faults: None,
        op: 1,
        target: "127.0.0.1:9".into(),
        connect_timeout_ms: None,
        nodelay: false,
    });
    event(
        &mut trace,
        2,
        EventKind::Connecting {
            addr: "127.0.0.1:9".into(),
        },
    );
    event(
        &mut trace,
        90,
        EventKind::Failed {
            error: RelayError::new(ErrorCode::Refused, "connection refused by 127.0.0.1:9"),
        },
    );
    let diagram = timeline(&trace);
    assert_eq!(
        diagram.describe(),
        "\
Browser -> Relay  connect 127.0.0.1:9
Relay -> Target  SYN → 127.0.0.1:9  @0.002 ms
Relay -> Browser  failed: connection refused  @0.090 ms
"
    );
    assert_eq!(diagram.items[2].tone, Tone::Error);
}

#[test]
fn binary_and_long_payloads_are_escaped_and_cut() {
    let mut trace = Trace::new();
    trace.record_server(&ServerMsg::Data {
        op: 2,
        t_us: 1,
        data: Payload(vec![0xff, 0xfe, b'\n']),
    });
    trace.record_server(&ServerMsg::Data {
        op: 2,
        t_us: 2,
        data: Payload(vec![b'x'; 2048]),
    });
    let described = timeline(&trace).describe();
    assert_eq!(
        described,
        "\
Target -> Relay  \"\\xff\\xfe\\n\" (3 B)  @0.001 ms
Relay -> Browser  \"\\xff\\xfe\\n\" (3 B)
Target -> Relay  \"xxxxxxxxxxxxxxxxxxxxxxxx…\" (2 KiB)  @0.002 ms
Relay -> Browser  \"xxxxxxxxxxxxxxxxxxxxxxxx…\" (2 KiB)
"
    );
}

#[test]
fn udp_exchange_snapshot() {
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::UdpOpen {
        faults: None,
        op: 1,
        target: Some("udp-echo".into()),
        bind_port: Some(5000),
        recv_timeout_ms: None,
    });
    event(
        &mut trace,
        5,
        EventKind::Bound {
            local: "127.0.0.1:5000".into(),
            remote: Some("127.0.0.1:4001".into()),
        },
    );
    trace.record_request(&ClientMsg::Send {
        op: 1,
        data: Payload(b"ping".to_vec()),
    });
    event(
        &mut trace,
        40,
        EventKind::DatagramSent {
            to: "127.0.0.1:4001".into(),
            bytes: 4,
        },
    );
    trace.record_server(&ServerMsg::Datagram {
        op: 1,
        t_us: 90,
        from: "127.0.0.1:4001".into(),
        data: Payload(b"ping".to_vec()),
    });
    event(
        &mut trace,
        1_000_090,
        EventKind::RecvTimeout { after_ms: 1000 },
    );
    trace.record_request(&ClientMsg::Close { op: 1 });
    event(
        &mut trace,
        1_000_100,
        EventKind::Closed {
            by: Closer::Browser,
        },
    );
    let diagram = timeline(&trace);
    assert_eq!(
        diagram.describe(),
        "\
Browser -> Relay  open UDP to udp-echo on port 5000
Relay  bound 127.0.0.1:5000 (connected)  @0.005 ms
Browser -> Relay  send \"ping\" (4 B)
Relay -> Target  \"ping\" (4 B) → 127.0.0.1:4001  @0.040 ms
Target -> Relay  \"ping\" (4 B) from 127.0.0.1:4001  @0.090 ms
Relay -> Browser  \"ping\" (4 B) from 127.0.0.1:4001
Relay  recv timed out (1000 ms)  @1000.090 ms
Browser -> Relay  close
Relay  closed (UDP: no FIN)  @1000.100 ms
"
    );
    assert_eq!(diagram.lanes[2].subtitle, "127.0.0.1:4001");
}

#[test]
fn dns_trace_snapshot() {
    use crate::protocol::{DnsMode, DnsRecord, DnsType};
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::DnsQuery {
        op: 1,
        name: "echo.lab.test".into(),
        rtype: DnsType::A,
        mode: DnsMode::Trace,
        server: None,
        timeout_ms: None,
    });
    let query = |server: &str| EventKind::DnsQuerySent {
        server: server.into(),
        name: "echo.lab.test.".into(),
        rtype: DnsType::A,
    };
    let response = |server: &str, rcode: &str, answers: usize| EventKind::DnsResponse {
        server: server.into(),
        rcode: rcode.into(),
        answers: vec![
            DnsRecord {
                name: "echo.lab.test.".into(),
                ttl: 300,
                class: "IN".into(),
                rtype: "A".into(),
                data: "127.0.0.1".into(),
            };
            answers
        ],
        authority: vec![],
        additional: vec![],
        elapsed_us: 400,
    };
    event(&mut trace, 10, query("127.0.0.2:5353"));
    event(&mut trace, 500, response("127.0.0.2:5353", "NOERROR", 0));
    event(
        &mut trace,
        510,
        EventKind::DnsReferral {
            zone: "lab.test.".into(),
            servers: vec!["ns1.lab.test.".into()],
            addrs: vec!["127.0.0.4:5353".into()],
        },
    );
    event(&mut trace, 520, query("127.0.0.4:5353"));
    event(&mut trace, 900, response("127.0.0.4:5353", "NOERROR", 1));
    event(&mut trace, 910, query("127.0.0.4:5353"));
    event(&mut trace, 990, response("127.0.0.4:5353", "NXDOMAIN", 0));
    event(&mut trace, 995, response("127.0.0.4:5353", "SERVFAIL", 0));
    event(&mut trace, 999, EventKind::Closed { by: Closer::Relay });
    let diagram = timeline(&trace);
    assert_eq!(
        diagram.describe(),
        "\
Browser -> Relay  dns A echo.lab.test (trace)
Relay -> DNS  query A echo.lab.test.  @0.010 ms
DNS -> Relay  NOERROR 0 answers  @0.500 ms
Relay  referral to lab.test.  @0.510 ms
Relay -> DNS  query A echo.lab.test.  @0.520 ms
DNS -> Relay  NOERROR 1 answer  @0.900 ms
Relay -> DNS  query A echo.lab.test.  @0.910 ms
DNS -> Relay  NXDOMAIN  @0.990 ms
DNS -> Relay  SERVFAIL  @0.995 ms
Relay  closed by relay  @0.999 ms
"
    );
    assert_eq!(diagram.items[8].tone, Tone::Error);
    assert_eq!(diagram.items[3].tone, Tone::Note);
}

#[test]
fn listener_and_accepted_connection_snapshot() {
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::TcpListen { op: 1, port: None });
    for (t_us, kind) in [
        (
            2,
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: None,
            },
        ),
        (
            3,
            EventKind::Listening {
                addr: "127.0.0.1:5000".into(),
            },
        ),
        (
            90,
            EventKind::Accepted {
                conn: 0x8000_0000,
                peer: "127.0.0.1:40000".into(),
            },
        ),
    ] {
        event(&mut trace, t_us, kind);
    }
    trace.record_server(&ServerMsg::Event(Event {
        op: 0x8000_0000,
        t_us: 1,
        kind: EventKind::Connected {
            local: "127.0.0.1:5000".into(),
            remote: "127.0.0.1:40000".into(),
        },
    }));
    trace.record_request(&ClientMsg::Close { op: 1 });
    event(
        &mut trace,
        500,
        EventKind::Closed {
            by: Closer::Browser,
        },
    );
    let diagram = timeline(&trace);
    assert_eq!(
        diagram.describe(),
        "\
Browser -> Relay  listen (any free port)
Relay  bound 127.0.0.1:5000  @0.002 ms
Relay  listening on 127.0.0.1:5000  @0.003 ms
Client -> Relay  SYN: accepted as conn #1  @0.090 ms
Relay -> Client  SYN-ACK; accept() returns: 127.0.0.1:5000 ↔ 127.0.0.1:40000  @0.001 ms
Browser -> Relay  close
Relay  stopped listening  @0.500 ms
"
    );
    assert_eq!(diagram.lanes[2].subtitle, "127.0.0.1:40000");
}

#[test]
fn rejected_messages_point_back_to_the_browser() {
    let mut trace = Trace::new();
    trace.record_server(&ServerMsg::Error {
        op: Some(4),
        error: RelayError::new(ErrorCode::UnknownOp, "no operation 4"),
    });
    let diagram = timeline(&trace);
    assert_eq!(
        diagram.describe(),
        "Relay -> Browser  rejected: unknown operation\n"
    );
}

#[test]
fn https_request_snapshot() {
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
        faults: None,
        retry: None,
        op: 1,
        method: "GET".into(),
        url: "https://localhost:4443/json".into(),
        headers: vec![],
        body: None,
        json: false,
        timeouts: None,
        follow_redirects: 1,
        max_body: None,
        raw: true,
    }));
    let steps = [
        EventKind::Resolving {
            host: "localhost".into(),
        },
        EventKind::Resolved {
            addrs: vec!["127.0.0.1:4443".into()],
            source: ResolveSource::System,
        },
        EventKind::Connecting {
            addr: "127.0.0.1:4443".into(),
        },
        EventKind::Connected {
            local: "127.0.0.1:50000".into(),
            remote: "127.0.0.1:4443".into(),
        },
        EventKind::Wire {
            dir: WireDir::Out,
            bytes: Payload(vec![0x16, 0x03, 0x01]),
        },
        EventKind::TlsHandshake {
            version: "TLS 1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("http/1.1".into()),
            certs: vec![CertInfo {
                subject: "CN=localhost".into(),
                issuer: "CN=Roundtrip Lab CA".into(),
                not_before: "".into(),
                not_after: "".into(),
                sans: vec![],
            }],
        },
        EventKind::RequestWritten {
            head: Payload(b"GET /redirect/1 HTTP/1.1\r\nhost: localhost\r\n\r\n".to_vec()),
            body_bytes: 0,
        },
        EventKind::FirstByte,
        EventKind::ResponseHead {
            status: 302,
            reason: "Found".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("location".into(), "/get".into())],
        },
        EventKind::Redirect {
            status: 302,
            location: "https://localhost:4443/get".into(),
        },
        EventKind::RequestWritten {
            head: Payload(b"POST /post HTTP/1.1\r\n\r\n".to_vec()),
            body_bytes: 13,
        },
        EventKind::ResponseHead {
            status: 404,
            reason: "Not Found".into(),
            version: "HTTP/1.1".into(),
            headers: vec![],
        },
        EventKind::ResponseDone {
            body_bytes: 2048,
            json: true,
            timings: HttpTimings {
                total_us: 5_250,
                ..HttpTimings::default()
            },
        },
        EventKind::Closed { by: Closer::Relay },
    ];
    for (t_us, kind) in steps.into_iter().enumerate() {
        event(&mut trace, t_us as u64, kind);
    }
    assert_eq!(
        timeline(&trace).describe(),
        "\
Browser -> Relay  GET https://localhost:4443/json
Relay  resolve localhost  @0.000 ms
Relay  = 127.0.0.1:4443  @0.001 ms
Relay -> Target  SYN → 127.0.0.1:4443  @0.002 ms
Target -> Relay  SYN-ACK; connect() returns: 127.0.0.1:50000 ↔ 127.0.0.1:4443  @0.003 ms
Relay -> Target  part of a record header, 3 B  @0.004 ms
Target -> Relay  TLS 1.3 TLS13_AES_128_GCM_SHA256  @0.005 ms
Relay -> Target  GET /redirect/1  @0.006 ms
Target -> Relay  first byte  @0.007 ms
Target -> Relay  302 Found  @0.008 ms
Relay  follow 302 → https://localhost:4443/get  @0.009 ms
Relay -> Target  POST /post + 13 B  @0.010 ms
Target -> Relay  404 Not Found  @0.011 ms
Relay -> Browser  response done: 2 KiB JSON in 5.250 ms  @0.012 ms
Relay  closed by relay  @0.013 ms
"
    );
}

mod own_listener;
mod programs;
mod session_clock;
mod what_it_says;

mod frames {
    use super::super::export::{mermaid, mermaid_text, svg, xml_escape};
    use super::super::view::{MAX_ZOOM, MIN_ZOOM, lane_xs};
    use super::super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        ClientMsg, Closer, ErrorCode, EventKind, RelayError, ResolveSource, ServerMsg,
    };
    use crate::trace::Trace;

    use crate::testing::fixtures::record_event as event;

    fn connect(trace: &mut Trace, op: u32, target: &str, addr: &str, t0: u64) {
        trace.record_request(&ClientMsg::TcpConnect {
            faults: None,
            op,
            target: target.into(),
            connect_timeout_ms: None,
            nodelay: false,
        });
        event(
            trace,
            op,
            t0,
            EventKind::Resolved {
                addrs: vec![addr.into()],
                source: ResolveSource::Lab,
            },
        );
        event(
            trace,
            op,
            t0 + 10,
            EventKind::Connecting { addr: addr.into() },
        );
        event(
            trace,
            op,
            t0 + 150,
            EventKind::Connected {
                local: format!("127.0.0.1:{}", 51000 + op),
                remote: addr.into(),
            },
        );
    }

    /// A TCP echo then a UDP echo, as the e2e test does them.
    fn tcp_and_udp_echo() -> Trace {
        let mut trace = Trace::new();
        connect(&mut trace, 1, "tcp-echo", "127.0.0.1:4000", 3);
        trace.record_request(&ClientMsg::Send {
            op: 1,
            data: Payload(b"hello".to_vec()),
        });
        event(&mut trace, 1, 2_000, EventKind::Sent { bytes: 5 });
        trace.record_server(&ServerMsg::Data {
            op: 1,
            t_us: 2_105,
            data: Payload(b"hello".to_vec()),
        });
        trace.record_request(&ClientMsg::Close { op: 1 });
        event(
            &mut trace,
            1,
            9_000,
            EventKind::Closed {
                by: Closer::Browser,
            },
        );
        trace.record_request(&ClientMsg::UdpOpen {
            faults: None,
            op: 2,
            target: Some("udp-echo".into()),
            bind_port: None,
            recv_timeout_ms: None,
        });
        event(
            &mut trace,
            2,
            40,
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: Some("127.0.0.1:4001".into()),
            },
        );
        trace.record_request(&ClientMsg::Send {
            op: 2,
            data: Payload(b"ping".to_vec()),
        });
        event(
            &mut trace,
            2,
            300,
            EventKind::DatagramSent {
                to: "127.0.0.1:4001".into(),
                bytes: 4,
            },
        );
        trace.record_server(&ServerMsg::Datagram {
            op: 2,
            t_us: 420,
            from: "127.0.0.1:4001".into(),
            data: Payload(b"ping".to_vec()),
        });
        trace
    }

    /// `n` steps: echo exchanges on a few connections, with a refusal
    /// every so often.
    fn big_trace(n: usize) -> Trace {
        let mut trace = Trace::new();
        connect(&mut trace, 1, "tcp-echo", "127.0.0.1:4000", 3);
        let mut t_us = 200;
        let mut i = 0_usize;
        while trace.steps().len() < n {
            i += 1;
            t_us += 37 + (i as u64 * 7919) % 500;
            if i.is_multiple_of(97) {
                trace.record_server(&ServerMsg::Error {
                    op: Some(1),
                    error: RelayError::new(ErrorCode::LimitReached, "slow down"),
                });
            } else if i.is_multiple_of(2) {
                trace.record_request(&ClientMsg::Send {
                    op: 1,
                    data: Payload(format!("line {i}").into_bytes()),
                });
            } else {
                trace.record_server(&ServerMsg::Data {
                    op: 1,
                    t_us,
                    data: Payload(format!("line {}", i - 1).into_bytes()),
                });
            }
        }
        trace
    }

    fn view(scale: Scale, zoom: f64, top: f64) -> Viewport {
        Viewport {
            scale,
            zoom,
            top,
            height: 400.0,
            cull: true,
        }
    }

    fn shot(trace: &Trace, viewport: Viewport) -> String {
        frame(&timeline(trace), &Geometry::default(), &viewport).describe()
    }

    #[test]
    fn empty_trace() {
        let tl = timeline(&Trace::new());
        assert_eq!(tl.describe(), "");
        insta::assert_snapshot!(shot(&Trace::new(), Viewport::default()));
        insta::assert_snapshot!(mermaid(&tl));
    }

    #[test]
    fn single_event() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpListen { op: 1, port: None });
        insta::assert_snapshot!(shot(&trace, Viewport::default()));
    }

    #[test]
    fn refused_connection_is_an_error_row() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: "127.0.0.1:9".into(),
            connect_timeout_ms: None,
            nodelay: false,
        });
        event(
            &mut trace,
            1,
            2,
            EventKind::Connecting {
                addr: "127.0.0.1:9".into(),
            },
        );
        event(
            &mut trace,
            1,
            90,
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "connection refused"),
            },
        );
        trace.record_request(&ClientMsg::Send {
            op: 7,
            data: Payload(b"x".to_vec()),
        });
        trace.record_server(&ServerMsg::Error {
            op: Some(7),
            error: RelayError::new(ErrorCode::Blocked, "blocked: 10.0.0.1 is private"),
        });
        let f = frame(
            &timeline(&trace),
            &Geometry::default(),
            &Viewport::default(),
        );
        assert_eq!(f.rows[2].tone, Tone::Error);
        assert_eq!(
            (f.rows[2].from, f.rows[2].to),
            (LaneKind::Relay, LaneKind::Browser)
        );
        insta::assert_snapshot!(f.describe());
    }

    #[test]
    fn tcp_and_udp_echo_on_both_scales() {
        let trace = tcp_and_udp_echo();
        let tl = timeline(&trace);
        insta::assert_snapshot!("echo_lanes", tl.describe_lanes());
        insta::assert_snapshot!("echo_steps", shot(&trace, view(Scale::Steps, 1.0, 0.0)));
        // Real time: the loopback handshake is a few µs, so it crowds into
        // a "more" mark until zoomed in.
        insta::assert_snapshot!(
            "echo_real_time",
            shot(&trace, view(Scale::RealTime, 1.0, 0.0))
        );
        insta::assert_snapshot!(
            "echo_real_time_zoomed",
            shot(&trace, view(Scale::RealTime, 256.0, 0.0))
        );
    }

    #[test]
    fn hover_titles_say_when_and_how_long() {
        let tl = timeline(&tcp_and_udp_echo());
        let f = frame(&tl, &Geometry::default(), &view(Scale::Steps, 1.0, 0.0));
        let synack = f
            .rows
            .iter()
            .find(|r| r.label.starts_with("SYN-ACK"))
            .unwrap();
        assert_eq!(
            synack.title,
            "Target 127.0.0.1:4000 → Relay: SYN-ACK; connect() returns: 127.0.0.1:51001 ↔ 127.0.0.1:4000\n\
             at 0.153 ms in the session (operation 1)\n\
             0.153 ms into the operation, by the relay's clock\n\
             0.140 ms after the operation's previous step"
        );
        // The time column is the session's clock.
        assert_eq!(synack.time, "0.153 ms");
    }

    #[test]
    fn session_time_only_runs_downward() {
        let tl = timeline(&tcp_and_udp_echo());
        assert!(tl.items.windows(2).all(|w| w[0].at_us <= w[1].at_us));
        // The UDP socket starts when the browser asks for it, after the
        // TCP connection's last step.
        let udp_bound = tl
            .items
            .iter()
            .find(|i| i.op == 2 && i.t_us == Some(40))
            .unwrap();
        assert_eq!(udp_bound.at_us, 9_000 + 40);
    }

    #[test]
    fn lanes_come_closer_to_fit_the_screen_before_it_scrolls() {
        let g = Geometry::default();
        let fit = |width| Geometry {
            fit_width: Some(width),
            ..g
        };
        // Few lanes: the same layout in any window as wide as the minimum.
        assert_eq!(lane_xs(3, &fit(740.0)), lane_xs(3, &g));
        assert_eq!(lane_xs(3, &g), (vec![120.0, 360.0, 600.0], 720.0));
        // Two chat clients beside Browser, Relay and the server: 1040 wide
        // unfitted; in a 740 px window the lanes come 150 apart instead,
        // with narrower margins.
        assert_eq!(lane_xs(5, &g).1, 1040.0);
        let (xs, width) = lane_xs(5, &fit(740.0));
        assert_eq!(xs, vec![100.0, 250.0, 400.0, 550.0, 700.0]);
        assert_eq!(width, 800.0, "at most 10% wider than the window");
        // A DNS server's lane too (four lanes): it just fits.
        assert_eq!(
            lane_xs(4, &fit(740.0)),
            (vec![100.0, 280.0, 460.0, 640.0], 740.0)
        );
        // Just short of room for four lanes 200 apart: the margins give way
        // first, by what is missing, so the drawing narrows smoothly.
        assert_eq!(lane_xs(4, &g), (vec![120.0, 320.0, 520.0, 720.0], 840.0));
        assert_eq!(
            lane_xs(4, &fit(820.0)),
            (vec![110.0, 310.0, 510.0, 710.0], 820.0)
        );
        // A wide window keeps the comfortable spacing, never more.
        assert_eq!(lane_xs(5, &fit(1600.0)), lane_xs(5, &g));
        // Never closer than the tight spacing: a phone scrolls sideways.
        let (xs, width) = lane_xs(5, &fit(300.0));
        assert_eq!(xs[1] - xs[0], g.tight_lane_spacing);
        assert_eq!(width, 800.0);
        // A window not yet laid out (0 px wide) is no measure.
        assert_eq!(lane_xs(5, &fit(0.0)), lane_xs(5, &g));
    }

    #[test]
    fn every_peer_gets_a_lane_and_clients_are_their_own() {
        let mut trace = Trace::new();
        // The concurrency lab: three servers, one connection each; the
        // chat: two connections to one server, each with a Client lane.
        for (op, addr) in [
            (1, "127.0.0.1:7001"),
            (2, "127.0.0.1:7002"),
            (3, "127.0.0.1:7003"),
        ] {
            connect(&mut trace, op, "slow", addr, 1);
        }
        connect(&mut trace, 4, "tcp-chat", "127.0.0.1:6000", 1);
        connect(&mut trace, 5, "tcp-chat", "127.0.0.1:6000", 1);
        trace.record_request(&ClientMsg::TcpListen { op: 6, port: None });
        for (conn, peer) in [
            (0x8000_0000_u32, "127.0.0.1:40001"),
            (0x8000_0001, "127.0.0.1:40002"),
        ] {
            event(
                &mut trace,
                6,
                50,
                EventKind::Accepted {
                    conn,
                    peer: peer.into(),
                },
            );
            trace.record_server(&ServerMsg::Data {
                op: conn,
                t_us: 5,
                data: Payload(b"hi\n".to_vec()),
            });
        }
        let tl = timeline(&trace);
        insta::assert_snapshot!(tl.describe_lanes());
        let f = frame(&tl, &Geometry::default(), &view(Scale::Steps, 1.0, 0.0));
        assert!(f.width > 720.0, "many lanes widen the diagram");
        // The last step's bytes come from the client, then go on to the page.
        let data_from_client = &tl.items[tl.items.len() - 2];
        assert_eq!(tl.lanes[data_from_client.from].subtitle, "127.0.0.1:40002");
        // Each chat connection's SYN leaves from its own lane; the browser's
        // requests still go to the Relay.
        let lane_of_syn = |op| {
            let syn = tl
                .items
                .iter()
                .find(|i| i.op == op && i.label.starts_with("SYN →"))
                .unwrap();
            (tl.lanes[syn.from].full_name(), tl.lanes[syn.to].full_name())
        };
        assert_eq!(
            lane_of_syn(4),
            (
                "Client 127.0.0.1:51004 (#1)".to_owned(),
                "Target 127.0.0.1:6000".to_owned()
            )
        );
        assert_eq!(lane_of_syn(5).0, "Client 127.0.0.1:51005 (#2)");
        assert_eq!(
            lane_of_syn(1).0,
            "Relay",
            "one connection keeps the Relay lane"
        );
        let request = tl.items.iter().find(|i| i.op == 5).unwrap();
        assert_eq!((request.from, request.to), (0, 1));
    }

    #[test]
    fn ten_thousand_events_draw_only_the_window() {
        let trace = big_trace(10_000);
        let tl = timeline(&trace);
        // Each received line is drawn twice: into the relay, on to the page.
        let n = tl.items.len();
        assert!(n > 10_000, "{n} items");
        let geometry = Geometry::default();
        // At the end, at zoom 1: about a window's worth of rows.
        let at_end = Viewport::default().end(&tl, &geometry);
        let f = frame(&tl, &geometry, &at_end);
        assert!(f.rows.len() < 25, "{} rows drawn", f.rows.len());
        assert_eq!(f.visible.end, n);
        insta::assert_snapshot!("big_end", f.describe());
        // Zoomed all the way out, everything is in the window but the crowd
        // is merged: the element count stays bounded.
        let out = Viewport {
            zoom: MIN_ZOOM,
            ..Viewport::default()
        };
        let f = frame(&tl, &geometry, &out);
        assert_eq!(f.visible, 0..n);
        let merged: usize = f.more.iter().map(|m| m.count).sum();
        assert_eq!(f.rows.len() + merged, n);
        assert!(f.rows.len() + f.more.len() < 60);
        assert!(f.more.iter().any(|m| m.has_error));
        insta::assert_snapshot!("big_zoomed_out", f.describe());
        // Real time, somewhere in the middle.
        let middle = view(Scale::RealTime, 8.0, 20_000.0);
        insta::assert_snapshot!("big_real_time_middle", shot(&trace, middle));
        // Culling off draws every row: the benchmark's baseline.
        let all = Viewport {
            cull: false,
            ..Viewport::default()
        };
        let f = frame(&tl, &geometry, &all);
        assert_eq!((f.rows.len(), f.more.len()), (n, 0));
    }

    #[test]
    fn pan_zoom_home_end_and_scale_switch() {
        let tl = timeline(&big_trace(3000));
        let g = Geometry::default();
        let v = Viewport::default();
        assert_eq!(
            v.panned(-50.0, &tl, &g).top,
            0.0,
            "cannot pan above the start"
        );
        let end = v.end(&tl, &g);
        let content = view::content_height(&tl, &g, &v);
        assert_eq!(end.top, content - v.body(&g));
        assert_eq!(end.panned(500.0, &tl, &g).top, end.top, "nor below the end");
        assert_eq!(end.home().top, 0.0);
        let whole = end.fitted(&tl, &g);
        let fits = view::content_height(&tl, &g, &whole);
        assert!((fits - whole.body(&g)).abs() < 0.01, "{fits}");
        assert_eq!(whole.top, 0.0);
        // Zooming keeps the row under the pointer under the pointer.
        let v = Viewport { top: 1000.0, ..v };
        let anchor = 264.0;
        let under = |v: &Viewport| {
            let f = frame(&tl, &g, v);
            f.rows
                .iter()
                .min_by(|a, b| (a.y - anchor).abs().total_cmp(&(b.y - anchor).abs()))
                .map(|r| (r.item, r.y))
                .unwrap()
        };
        let before = under(&v);
        let zoomed = v.zoomed(2.0, anchor, &tl, &g);
        assert_eq!(zoomed.zoom, 2.0);
        let after = under(&zoomed);
        assert_eq!(after.0, before.0);
        assert!((after.1 - anchor).abs() <= (before.1 - anchor).abs() * 2.0 + 0.5);
        assert_eq!(v.zoomed(1e9, anchor, &tl, &g).zoom, MAX_ZOOM);
        assert_eq!(v.zoomed(1e-9, anchor, &tl, &g).zoom, MIN_ZOOM);
        // Switching scale keeps the first visible step at the top.
        let first = frame(&tl, &g, &v).rows[0].item;
        let real = v.with_scale(Scale::RealTime, &tl, &g);
        let f = frame(&tl, &g, &real);
        // On the real-time scale it is near the top (with the steps that
        // happened at the same moment).
        assert!(f.visible.contains(&first), "{first} {}", f.describe());
        let at = |i: usize| tl.items[i].at_us;
        let top_item = f.visible.start;
        assert!(at(first) - at(top_item) < 5_000, "{}", f.describe());
    }

    #[test]
    fn standalone_svg_has_inline_styles_and_escapes() {
        let mut trace = tcp_and_udp_echo();
        trace.record_request(&ClientMsg::Send {
            op: 2,
            data: Payload(b"<a & 'b'>".to_vec()),
        });
        let tl = timeline(&trace);
        let out = svg(&tl, &Geometry::default(), &Viewport::default());
        assert!(out.starts_with("<?xml"));
        assert!(!out.contains("class="), "no stylesheet needed");
        assert!(out.contains("&lt;a &amp; "), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn mermaid_text_escapes_what_mermaid_would_read() {
        assert_eq!(mermaid_text("a;b#c"), "a#59;b#35;c");
        assert_eq!(mermaid_text("<br>"), "#60;br#62;");
        assert_eq!(mermaid_text("two\nlines"), "two lines");
        assert_eq!(mermaid_text(""), " ");
        // Colons after the first are message text.
        assert_eq!(mermaid_text("GET http://x:80/"), "GET http://x:80/");
        assert_eq!(xml_escape("\u{1}"), "\u{fffd}");
    }

    #[test]
    fn mermaid_sequence_diagram() {
        let mut trace = tcp_and_udp_echo();
        trace.record_request(&ClientMsg::Send {
            op: 2,
            data: Payload(b"a;b#c\n".to_vec()),
        });
        trace.record_server(&ServerMsg::Error {
            op: Some(2),
            error: RelayError::new(ErrorCode::Blocked, "blocked"),
        });
        let text = mermaid(&timeline(&trace));
        // Every statement is on one line: no raw `;` or `#` outside an
        // entity, which would end or break it.
        for line in text.lines().skip(1) {
            let stripped = line
                .replace("#59;", "")
                .replace("#35;", "")
                .replace("#60;", "")
                .replace("#62;", "");
            assert!(!stripped.contains(';') && !stripped.contains('#'), "{line}");
        }
        insta::assert_snapshot!(text);
    }
}

/// A label is centred over its arrow or written beside its mark unless
/// that runs past an edge of the diagram; then it turns to stay inside.
#[test]
fn labels_near_an_edge_turn_to_stay_inside_the_diagram() {
    use super::view::{Anchor, LABEL_CHAR_WIDTH, TIME_COLUMN_WIDTH, place_label};
    let width = 720.0;
    // A short label over an arrow in the middle: centred.
    assert_eq!(
        place_label("SYN", 120.0, 360.0, width),
        (240.0, Anchor::Middle)
    );
    // The 4-tuple between the two rightmost lanes: ends at the right edge.
    let tuple = "SYN-ACK; connect() returns: 127.0.0.1:51942 ↔ 127.0.0.1:45335";
    let (x, anchor) = place_label(tuple, 450.0, 600.0, width);
    assert_eq!(anchor, Anchor::End);
    assert!(x <= width && x - tuple.chars().count() as f64 * LABEL_CHAR_WIDTH >= 0.0);
    // The same between the two leftmost lanes of a narrow drawing: starts
    // right of the time column.
    assert_eq!(
        place_label(tuple, 100.0, 250.0, width),
        (TIME_COLUMN_WIDTH, Anchor::Start)
    );
    // A mark's label goes right; on the rightmost lane, left.
    assert_eq!(
        place_label("listening on 127.0.0.1:5000", 360.0, 360.0, width),
        (372.5, Anchor::Start)
    );
    assert_eq!(
        place_label("FIN sent (close)", 600.0, 600.0, width),
        (587.5, Anchor::End)
    );
    // Too long for either side: the side with more room.
    let long = "x".repeat(120);
    assert_eq!(place_label(&long, 360.0, 360.0, width).1, Anchor::Start);
    assert_eq!(place_label(&long, 600.0, 600.0, width).1, Anchor::End);
}
