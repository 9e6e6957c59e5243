//! The HTTP connector against the relay's own HTTP and HTTPS labs, through
//! the real relay over a real WebSocket. Every URL is on loopback.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, Closer, DataEncoding, ErrorCode, Event, EventKind, HttpRequest, HttpTimeouts, OpId,
    RelayError, ResolveSource, ServerMsg, TlsFailure, WireDir,
};
use support::{Client, start_relay};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Longer than the shared client's wait, as this file always had: the
/// lab's slow endpoints (`/delay`, `/drip`) take seconds to answer.
const WAIT: Duration = Duration::from_secs(15);

/// A relay of its own and a client greeted in `data`, which has seen both
/// HTTP labs listed.
async fn start(data: DataEncoding) -> Client {
    let relay = start_relay().await;
    let mut client = Client::ungreeted(relay).await;
    client.wait = WAIT;
    client.hello(data).await;
    assert_eq!(
        client
            .services
            .iter()
            .filter(|s| s.protocol.starts_with("http"))
            .map(|s| (s.name.as_str(), s.protocol.as_str()))
            .collect::<Vec<_>>(),
        [
            ("http-lab", "http"),
            ("https-lab", "https"),
            ("https-wrong-name", "https"),
            ("https-unknown-ca", "https"),
            ("https-expired", "https"),
        ]
    );
    client
}

fn get(op: OpId, url: String) -> HttpRequest {
    HttpRequest {
        faults: None,
        op,
        method: "GET".into(),
        url,
        headers: vec![],
        body: None,
        json: false,
        timeouts: None,
        follow_redirects: 0,
        max_body: None,
        raw: false,
        retry: None,
    }
}

/// An event's kind name, e.g. `response_head`; data messages are `data`.
fn name(kind: &EventKind) -> String {
    let json = serde_json::to_value(kind).unwrap();
    json["kind"].as_str().unwrap().to_owned()
}

/// The HTTP labs and requests to them, over the shared client.
trait HttpClient {
    /// Where the plain HTTP lab listens.
    fn http(&self) -> SocketAddr;
    /// Where the HTTPS lab listens.
    fn https(&self) -> SocketAddr;
    fn http_url(&self, path: &str) -> String;
    fn https_url(&self, path: &str) -> String;
    /// Sends the request and collects its events up to the terminal one.
    /// Data messages come back as `Received` with their bytes.
    async fn run(&mut self, request: HttpRequest) -> Exchange;
}

impl HttpClient for Client {
    fn http(&self) -> SocketAddr {
        self.service_addr("http-lab")
    }

    fn https(&self) -> SocketAddr {
        self.service_addr("https-lab")
    }

    fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http())
    }

    fn https_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.https())
    }

    async fn run(&mut self, request: HttpRequest) -> Exchange {
        let op = request.op;
        self.send(ClientMsg::HttpRequest(request)).await;
        let mut exchange = Exchange::default();
        loop {
            let (kind, bytes) = match self.recv().await {
                ServerMsg::Event(Event { op: got, kind, .. }) if got == op => (kind, vec![]),
                ServerMsg::Data { op: got, data, .. } if got == op => (
                    EventKind::Received {
                        bytes: data.0.len() as u64,
                    },
                    data.0,
                ),
                other => panic!("unexpected {other:?}"),
            };
            exchange.body.extend_from_slice(&bytes);
            let terminal = kind.is_terminal();
            exchange.events.push(kind);
            if terminal {
                return exchange;
            }
        }
    }
}

#[derive(Debug, Default)]
struct Exchange {
    events: Vec<EventKind>,
    body: Vec<u8>,
}

impl Exchange {
    /// Kind names in order, runs of data collapsed into one `data`, wire
    /// events left out.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for kind in &self.events {
            let n = match kind {
                EventKind::Received { .. } => "data".to_owned(),
                EventKind::Wire { .. } => continue,
                other => name(other),
            };
            if n == "data" && names.last().is_some_and(|l| l == "data") {
                continue;
            }
            names.push(n);
        }
        names
    }

    fn statuses(&self) -> Vec<u16> {
        self.events
            .iter()
            .filter_map(|k| match k {
                EventKind::ResponseHead { status, .. } => Some(*status),
                _ => None,
            })
            .collect()
    }

    fn header(&self, wanted: &str) -> Option<String> {
        self.events.iter().rev().find_map(|k| match k {
            EventKind::ResponseHead { headers, .. } => headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
                .map(|(_, v)| v.clone()),
            _ => None,
        })
    }

    fn failure(&self) -> (ErrorCode, String) {
        let error = self.error();
        (error.code, error.message)
    }

    fn error(&self) -> RelayError {
        match self.events.last() {
            Some(EventKind::Failed { error }) => error.clone(),
            other => panic!("expected a failure, got {other:?} after {:?}", self.names()),
        }
    }

    fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn plain_get_reports_every_phase_in_order_with_the_exact_head() {
    let mut client = start(DataEncoding::Binary).await;
    let http = client.http();
    let exchange = client.run(get(1, client.http_url("/json"))).await;
    assert_eq!(
        exchange.names(),
        names(&[
            "resolved",
            "connecting",
            "connected",
            "request_written",
            "first_byte",
            "response_head",
            "data",
            "response_done",
            "closed"
        ])
    );
    assert_eq!(
        exchange.events[0],
        EventKind::Resolved {
            addrs: vec![http.to_string()],
            source: ResolveSource::Literal
        }
    );
    let EventKind::RequestWritten { head, body_bytes } = &exchange.events[3] else {
        panic!()
    };
    assert_eq!(
        String::from_utf8_lossy(&head.0),
        format!(
            "GET /json HTTP/1.1\r\nHost: {http}\r\nUser-Agent: roundtrip/{}\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(*body_bytes, 0);
    let EventKind::ResponseHead {
        status,
        reason,
        version,
        ..
    } = &exchange.events[5]
    else {
        panic!()
    };
    assert_eq!(
        (*status, reason.as_str(), version.as_str()),
        (200, "OK", "HTTP/1.1")
    );
    assert_eq!(
        exchange.body_json()["slideshow"]["title"],
        "Roundtrip sample"
    );
    let Some(EventKind::ResponseDone {
        body_bytes,
        json,
        timings,
    }) = exchange.events.iter().rev().nth(1)
    else {
        panic!()
    };
    assert_eq!(*body_bytes, exchange.body.len() as u64);
    assert!(json);
    assert_eq!(timings.tls_us, 0);
    assert!(timings.total_us >= timings.wait_us + timings.download_us);
    assert_eq!(
        exchange.events.last(),
        Some(&EventKind::Closed { by: Closer::Relay })
    );
}

#[tokio::test]
async fn https_reports_the_handshake_and_the_lab_chain() {
    let mut client = start(DataEncoding::Binary).await;
    let exchange = client.run(get(1, client.https_url("/get?x=1"))).await;
    assert_eq!(
        exchange.names(),
        names(&[
            "resolved",
            "connecting",
            "connected",
            "tls_handshake",
            "request_written",
            "first_byte",
            "response_head",
            "data",
            "response_done",
            "closed"
        ])
    );
    let EventKind::TlsHandshake {
        version,
        cipher,
        alpn,
        certs,
    } = &exchange.events[3]
    else {
        panic!()
    };
    assert_eq!(version, "TLS 1.3");
    assert!(cipher.starts_with("TLS13_"), "{cipher}");
    assert_eq!(alpn.as_deref(), Some("http/1.1"));
    assert_eq!(certs.len(), 2, "{certs:?}");
    assert_eq!(certs[0].subject, "CN=localhost");
    // The names the leaf is valid for reach the page.
    assert_eq!(
        certs[0].sans,
        ["localhost", "127.0.0.1", "lab.test", "*.lab.test"],
        "{certs:?}"
    );
    assert_eq!(certs[0].issuer, "CN=Roundtrip Lab CA, O=Roundtrip");
    assert_eq!(certs[1].subject, certs[1].issuer, "the CA signs itself");
    assert!(!certs[0].not_after.is_empty());
    assert_eq!(exchange.body_json()["args"]["x"], "1");
    let Some(EventKind::ResponseDone { timings, .. }) = exchange.events.iter().rev().nth(1) else {
        panic!()
    };
    assert!(timings.tls_us > 0);
}

#[tokio::test]
async fn localhost_is_resolved_and_matches_the_certificate() {
    let mut client = start(DataEncoding::Binary).await;
    let url = format!("https://localhost:{}/json", client.https().port());
    let exchange = client.run(get(1, url)).await;
    let names = exchange.names();
    assert_eq!(names[..2], ["resolving", "resolved"]);
    assert!(names.contains(&"tls_handshake".to_owned()), "{names:?}");
    assert_eq!(exchange.statuses(), [200]);
}

#[tokio::test]
async fn status_codes_come_back_as_they_are() {
    let mut client = start(DataEncoding::Binary).await;
    for (op, code) in [(1, 418u16), (2, 500), (3, 204)] {
        let exchange = client
            .run(get(op, client.http_url(&format!("/status/{code}"))))
            .await;
        assert_eq!(exchange.statuses(), [code]);
        assert_eq!(
            exchange.events.last(),
            Some(&EventKind::Closed { by: Closer::Relay })
        );
    }
}

#[tokio::test]
async fn redirects_are_followed_only_when_asked_and_up_to_the_limit() {
    let mut client = start(DataEncoding::Binary).await;
    let off = client.run(get(1, client.http_url("/redirect/2"))).await;
    assert_eq!(off.statuses(), [302]);
    assert_eq!(off.header("location").as_deref(), Some("/redirect/1"));
    assert!(!off.names().contains(&"redirect".to_owned()));

    let mut request = get(2, client.http_url("/redirect/2"));
    request.follow_redirects = 5;
    let on = client.run(request).await;
    assert_eq!(on.statuses(), [302, 302, 200]);
    // The lab's `Location` is relative; the `redirect` event's is absolute,
    // as PROTOCOL.md promises and the page's views rely on.
    let redirects: Vec<_> = on
        .events
        .iter()
        .filter_map(|k| match k {
            EventKind::Redirect { status, location } => Some((*status, location.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        redirects,
        [
            (302, client.http_url("/redirect/1")),
            (302, client.http_url("/get"))
        ]
    );
    assert_eq!(on.body_json()["url"], "/get");

    let mut request = get(3, client.http_url("/redirect/3"));
    request.follow_redirects = 1;
    let limited = client.run(request).await;
    assert_eq!(limited.statuses(), [302, 302]);
    let (code, message) = limited.failure();
    assert_eq!(code, ErrorCode::Http);
    assert!(message.contains("too many redirects"), "{message}");
}

/// Credentials go to the origin they were given for: a redirect to
/// another origin (here the lab, on another port) arrives without them.
#[tokio::test]
async fn a_redirect_to_another_origin_drops_the_credentials() {
    let mut client = start(DataEncoding::Binary).await;
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let from = elsewhere.local_addr().unwrap();
    let to = client.http_url("/headers");
    tokio::spawn(async move {
        let (mut stream, _) = elsewhere.accept().await.unwrap();
        let mut head = [0u8; 4096];
        let _ = stream.read(&mut head).await.unwrap();
        let answer = format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n");
        stream.write_all(answer.as_bytes()).await.unwrap();
    });
    let mut request = get(1, format!("http://{from}/secret"));
    request.headers = vec![
        ("Authorization".into(), "Bearer secret".into()),
        ("Cookie".into(), "session=1".into()),
        ("X-Lesson".into(), "redirects".into()),
        ("Host".into(), "old.example".into()),
    ];
    request.follow_redirects = 1;
    let run = client.run(request).await;
    assert_eq!(run.statuses(), [302, 200]);
    let seen = &run.body_json()["headers"];
    assert_eq!(seen["x-lesson"], "redirects", "{seen}");
    assert!(seen.get("authorization").is_none(), "{seen}");
    assert!(seen.get("cookie").is_none(), "{seen}");
    assert_ne!(seen["host"], "old.example", "{seen}");

    // Within one origin they stay.
    let mut request = get(2, client.http_url("/redirect/1"));
    request.headers = vec![("Authorization".into(), "Bearer secret".into())];
    request.follow_redirects = 1;
    let same = client.run(request).await;
    assert_eq!(same.statuses(), [302, 200]);
    let seen = &same.body_json()["headers"];
    assert_eq!(seen["authorization"], "Bearer secret", "{seen}");
}

#[tokio::test]
async fn flaky_fails_the_asked_number_of_times_then_succeeds() {
    let mut client = start(DataEncoding::Binary).await;
    let url = client.http_url("/flaky?key=t1&fail=2&status=503&retry_after=3");
    let mut seen = vec![];
    for op in 1..=3 {
        let exchange = client.run(get(op, url.clone())).await;
        seen.push((exchange.statuses()[0], exchange.header("retry-after")));
    }
    assert_eq!(
        seen,
        [
            (503, Some("3".to_owned())),
            (503, Some("3".to_owned())),
            (200, None)
        ]
    );
    // Another key has its own count; the default status is 500.
    let other = client
        .run(get(4, client.http_url("/flaky?key=t2&fail=1")))
        .await;
    assert_eq!(other.statuses(), [500]);
}

#[tokio::test]
async fn a_body_past_the_limit_is_a_typed_error() {
    let mut client = start(DataEncoding::Binary).await;
    let mut request = get(1, client.http_url("/drip?numbytes=100&duration=0"));
    request.max_body = Some(10);
    let exchange = client.run(request).await;
    assert_eq!(exchange.statuses(), [200]);
    assert_eq!(exchange.failure().0, ErrorCode::BodyTooLarge);
}

/// `max_body` has a ceiling on the relay, as timeouts do: past it the
/// request is refused before it goes out, at it the request runs.
#[tokio::test]
async fn max_body_past_the_relays_ceiling_is_refused() {
    let mut client = start(DataEncoding::Binary).await;
    let mut request = get(1, client.http_url("/get"));
    request.max_body = Some(roundtrip_relay::connectors::http::MAX_MAX_BODY + 1);
    let exchange = client.run(request).await;
    assert_eq!(exchange.statuses(), [0u16; 0]);
    let (code, message) = exchange.failure();
    assert_eq!(code, ErrorCode::Malformed, "{message}");
    assert!(message.contains("max_body"), "{message}");
    let mut request = get(2, client.http_url("/get"));
    request.max_body = Some(roundtrip_relay::connectors::http::MAX_MAX_BODY);
    assert_eq!(client.run(request).await.statuses(), [200]);
}

/// The relay frames the body: one Content-Length, the body's, and 0 for
/// an empty POST (which some servers refuse without one).
#[tokio::test]
async fn the_relay_sets_the_length_of_the_body() {
    let mut client = start(DataEncoding::Binary).await;
    for (op, body, given, length) in [
        (1, Some("abc"), Some("3"), "Content-Length: 3\r\n"),
        (2, None, None, "Content-Length: 0\r\n"),
        (3, None, Some("0"), "Content-Length: 0\r\n"),
    ] {
        let mut request = get(op, client.http_url("/post"));
        request.method = "POST".into();
        request.body = body.map(|b| Payload(b.as_bytes().to_vec()));
        request.headers = given
            .map(|n| vec![("Content-Length".into(), n.into())])
            .unwrap_or_default();
        request.raw = true;
        let run = client.run(request).await;
        assert_eq!(run.statuses(), [200]);
        let sent = String::from_utf8_lossy(&wire_bytes(&run, WireDir::Out)).to_lowercase();
        let length = length.to_lowercase();
        assert_eq!(sent.matches(&length).count(), 1, "{sent}");
        assert_eq!(sent.matches("content-length").count(), 1, "{sent}");
    }
}

#[tokio::test]
async fn mixed_up_schemes_and_ports_say_what_is_wrong() {
    let mut client = start(DataEncoding::Binary).await;
    // TLS to the plain-HTTP lab: its "HTTP/1.1 400" is no TLS record.
    let plain = client
        .run(get(1, format!("https://{}/get", client.http())))
        .await;
    let error = plain.error();
    assert_eq!(error.code, ErrorCode::Tls);
    assert_eq!(error.tls_failure, Some(TlsFailure::NotTls));
    assert!(
        error.message.contains("plain text, not TLS"),
        "{}",
        error.message
    );
    let zero = client.run(get(2, "http://127.0.0.1:0/".into())).await;
    let (code, message) = zero.failure();
    assert_eq!(code, ErrorCode::InvalidUrl);
    assert!(message.contains("port 0"), "{message}");
}

#[tokio::test]
async fn first_byte_and_total_timeouts_name_their_phase() {
    let mut client = start(DataEncoding::Binary).await;
    let mut request = get(1, client.http_url("/delay/5"));
    request.timeouts = Some(HttpTimeouts {
        first_byte_ms: Some(200),
        ..HttpTimeouts::default()
    });
    let slow = client.run(request).await;
    let (code, message) = slow.failure();
    assert_eq!(code, ErrorCode::TimedOut);
    assert!(message.contains("first byte"), "{message}");
    assert!(slow.names().contains(&"request_written".to_owned()));

    // The head comes at once, the body drips: only the total limit catches it.
    let mut request = get(2, client.http_url("/drip?numbytes=5&duration=5"));
    request.timeouts = Some(HttpTimeouts {
        // Time for the head on a busy machine; the drip takes 5 s.
        total_ms: Some(2_000),
        ..HttpTimeouts::default()
    });
    let dripping = client.run(request).await;
    assert_eq!(dripping.statuses(), [200]);
    let (code, message) = dripping.failure();
    assert_eq!(code, ErrorCode::TimedOut);
    assert!(message.contains("total"), "{message}");
}

#[tokio::test]
async fn basic_auth_and_bearer_answer_401_then_200() {
    let mut client = start(DataEncoding::Binary).await;
    let url = client.http_url("/basic-auth/ada/lovelace");
    let denied = client.run(get(1, url.clone())).await;
    assert_eq!(denied.statuses(), [401]);
    assert_eq!(
        denied.header("www-authenticate").as_deref(),
        Some("Basic realm=\"Roundtrip lab\"")
    );
    let mut request = get(2, url);
    // base64("ada:lovelace")
    request.headers = vec![("Authorization".into(), "Basic YWRhOmxvdmVsYWNl".into())];
    let allowed = client.run(request).await;
    assert_eq!(allowed.statuses(), [200]);
    assert_eq!(allowed.body_json()["authenticated"], true);

    // Written in the URL, as curl takes them (percent-encoded): sent as
    // Basic credentials, never as part of the URL on the wire.
    let lab = client.http();
    let mut request = get(
        5,
        format!("http://ada:love%6Cace@{lab}/basic-auth/ada/lovelace"),
    );
    request.raw = true;
    let in_url = client.run(request).await;
    assert_eq!(in_url.statuses(), [200]);
    let sent = String::from_utf8(wire_bytes(&in_url, WireDir::Out)).unwrap();
    assert!(
        sent.starts_with("GET /basic-auth/ada/lovelace HTTP/1.1\r\n"),
        "{sent}"
    );
    assert!(
        sent.contains("Authorization: Basic YWRhOmxvdmVsYWNl\r\n"),
        "{sent}"
    );
    let wrong = client
        .run(get(
            6,
            format!("http://ada:babbage@{lab}/basic-auth/ada/lovelace"),
        ))
        .await;
    assert_eq!(wrong.statuses(), [401]);

    let bearer = client.run(get(3, client.http_url("/bearer"))).await;
    assert_eq!(bearer.statuses(), [401]);
    let mut request = get(4, client.http_url("/bearer"));
    request.headers = vec![("Authorization".into(), "Bearer abc".into())];
    assert_eq!(client.run(request).await.statuses(), [200]);
}

fn wire_bytes(exchange: &Exchange, wanted: WireDir) -> Vec<u8> {
    let mut out = vec![];
    for kind in &exchange.events {
        if let EventKind::Wire { dir, bytes } = kind
            && *dir == wanted
        {
            out.extend_from_slice(&bytes.0);
        }
    }
    out
}

#[tokio::test]
async fn raw_plain_http_shows_the_bytes_on_the_wire_and_https_shows_records() {
    let mut client = start(DataEncoding::Binary).await;
    let mut request = get(1, client.http_url("/anything"));
    request.method = "POST".into();
    request.body = Some(Payload(b"hi there".to_vec()));
    request.raw = true;
    let plain = client.run(request.clone()).await;
    let EventKind::RequestWritten { head, body_bytes } = plain
        .events
        .iter()
        .find(|k| matches!(k, EventKind::RequestWritten { .. }))
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(*body_bytes, 8);
    let mut expected_out = head.0.clone();
    expected_out.extend_from_slice(b"hi there");
    assert_eq!(wire_bytes(&plain, WireDir::Out), expected_out);
    assert!(head.0.starts_with(b"POST /anything HTTP/1.1\r\n"));
    let incoming = wire_bytes(&plain, WireDir::In);
    assert!(incoming.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(
        incoming.ends_with(&plain.body),
        "the body is the wire's tail"
    );

    request.op = 2;
    request.url = client.https_url("/anything");
    let secure = client.run(request).await;
    let out = wire_bytes(&secure, WireDir::Out);
    assert_eq!(out[0], 0x16, "a TLS handshake record starts the connection");
    assert!(
        !out.windows(4).any(|w| w == b"POST"),
        "no plain text on the wire"
    );
    assert_eq!(secure.statuses(), [200]);
}

#[tokio::test]
async fn bad_urls_fail_with_invalid_url_and_the_session_goes_on() {
    let mut client = start(DataEncoding::Binary).await;
    for (op, url) in [(1, "not a url"), (2, "ftp://127.0.0.1/x"), (3, "/json")] {
        let exchange = client.run(get(op, url.into())).await;
        assert_eq!(exchange.events.len(), 1);
        assert_eq!(exchange.failure().0, ErrorCode::InvalidUrl, "{url}");
    }
    assert_eq!(
        client.run(get(4, client.http_url("/get"))).await.statuses(),
        [200]
    );
}

#[tokio::test]
async fn the_json_form_posts_a_json_body() {
    let mut client = start(DataEncoding::Json).await;
    let text = format!(
        r#"{{"type":"http_request","op":9,"method":"POST","url":"{}","headers":[["X-Lesson","1"]],"body":{{"text":"{{\"a\":1}}"}},"json":true}}"#,
        client.http_url("/post")
    );
    client.send_raw(Message::Text(text.into())).await;
    let mut body = Vec::new();
    let mut kinds = Vec::new();
    loop {
        // JSON clients get text frames only.
        let text = client.recv_text().await;
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["op"], 9, "{text}");
        if value["type"] == "data" {
            body.extend_from_slice(value["data"]["text"].as_str().unwrap().as_bytes());
            continue;
        }
        let kind = value["kind"].as_str().unwrap().to_owned();
        if kind == "response_done" {
            assert_eq!(value["json"], true, "{text}");
        }
        kinds.push(kind.clone());
        if kind == "closed" || kind == "failed" {
            break;
        }
    }
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("closed"),
        "{kinds:?}"
    );
    let echoed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(echoed["json"], serde_json::json!({"a": 1}));
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["headers"]["x-lesson"], "1");
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_a_tls_error() {
    // A TLS server on loopback with a self-signed certificate the relay
    // has no reason to trust.
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = acceptor.accept(stream).await;
        }
    });

    let mut client = start(DataEncoding::Binary).await;
    let exchange = client.run(get(1, format!("https://{addr}/"))).await;
    assert_eq!(
        exchange.names(),
        names(&["resolved", "connecting", "connected", "failed"])
    );
    let (code, message) = exchange.failure();
    assert_eq!(code, ErrorCode::Tls);
    assert!(
        message.contains("not signed by a CA the relay trusts"),
        "{message}"
    );
    assert_eq!(
        exchange.error().tls_failure,
        Some(TlsFailure::UnknownIssuer)
    );
}

#[tokio::test]
async fn each_broken_lab_certificate_fails_the_handshake_with_its_own_reason() {
    let mut client = start(DataEncoding::Binary).await;
    let cases = [
        (
            "https-wrong-name",
            TlsFailure::WrongName,
            "made out to other names",
            // The message names what the certificate is valid for.
            "someone-else.lab.test",
        ),
        (
            "https-unknown-ca",
            TlsFailure::UnknownIssuer,
            "not signed by a CA the relay trusts",
            "TLS handshake with localhost failed",
        ),
        (
            "https-expired",
            TlsFailure::Expired,
            "has expired",
            "expired",
        ),
    ];
    for (op, (service, failure, hint, detail)) in (1..).zip(cases) {
        let exchange = client
            .run(HttpRequest {
                raw: true,
                ..get(op, format!("https://{service}/get"))
            })
            .await;
        // Connected, then refused in the handshake: no request went out.
        assert_eq!(
            exchange.names(),
            names(&["resolved", "connecting", "connected", "failed"]),
            "{service}"
        );
        let error = exchange.error();
        assert_eq!(error.code, ErrorCode::Tls, "{service}");
        assert_eq!(error.tls_failure, Some(failure), "{service}");
        assert!(
            error.message.contains(hint) && error.message.contains(detail),
            "{service}: {}",
            error.message
        );
        // The client's hello crossed the wire, and the server answered it:
        // the handshake began and the relay ended it.
        assert!(!wire_bytes(&exchange, WireDir::Out).is_empty(), "{service}");
        assert!(!wire_bytes(&exchange, WireDir::In).is_empty(), "{service}");
    }
    // The good lab, under the same relay, still answers.
    let good = client.run(get(9, "https://https-lab/get".into())).await;
    assert_eq!(good.statuses(), [200]);
}

#[tokio::test]
async fn the_relay_serves_the_lab_ca_that_signed_the_https_lab() {
    let relay = start_relay().await;
    let (status, response) = support::http_get(relay, "/lab-ca.pem").await;
    assert_eq!(status, 200);
    let pem = &response[response.find("-----BEGIN").expect("a PEM body")..];
    assert!(
        pem.trim_end().ends_with("-----END CERTIFICATE-----"),
        "{pem}"
    );
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM");
    let cert = parsed.parse_x509().expect("a certificate");
    assert_eq!(
        cert.subject().to_string(),
        "CN=Roundtrip Lab CA, O=Roundtrip"
    );
    assert!(cert.is_ca());
}

#[tokio::test]
async fn lab_service_names_work_as_url_hosts() {
    let mut client = start(DataEncoding::Binary).await;
    let plain = client.run(get(1, "http://http-lab/headers".into())).await;
    assert_eq!(plain.statuses(), [200]);
    assert_eq!(
        plain.events[0],
        EventKind::Resolved {
            addrs: vec![client.http().to_string()],
            source: ResolveSource::Lab
        }
    );
    assert_eq!(plain.body_json()["headers"]["host"], "http-lab");
    let secure = client.run(get(2, "https://https-lab/json".into())).await;
    assert_eq!(secure.statuses(), [200]);
}

#[tokio::test]
async fn close_cancels_a_request_in_flight() {
    let mut client = start(DataEncoding::Binary).await;
    client
        .send(ClientMsg::HttpRequest(get(1, client.http_url("/delay/5"))))
        .await;
    // Wait until the request is out, then close.
    loop {
        if let ServerMsg::Event(Event {
            kind: EventKind::RequestWritten { .. },
            ..
        }) = client.recv().await
        {
            break;
        }
    }
    client.send(ClientMsg::Close { op: 1 }).await;
    loop {
        match client.recv().await {
            ServerMsg::Event(Event { kind, .. }) if kind.is_terminal() => {
                assert_eq!(
                    kind,
                    EventKind::Closed {
                        by: Closer::Browser
                    }
                );
                break;
            }
            ServerMsg::Event(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// The JSON lesson's endpoints, each breaking a program's expectation (an
/// object with `city` a string and `temp` a number) one way, as the lesson
/// says: all 200, all `application/json`.
#[tokio::test]
async fn the_json_endpoints_break_the_expected_shape_one_way_each() {
    let mut client = start(DataEncoding::Binary).await;
    let mut op = 0;
    let mut fetch = async |path: &str| {
        op += 1;
        let exchange = client.run(get(op, client.http_url(path))).await;
        assert_eq!(exchange.statuses(), [200], "{path}");
        assert_eq!(
            exchange.header("content-type").as_deref(),
            Some("application/json"),
            "{path}"
        );
        let json = exchange.events.iter().find_map(|e| match e {
            EventKind::ResponseDone { json, .. } => Some(*json),
            _ => None,
        });
        (exchange, json)
    };
    let (weather, json) = fetch("/json/weather").await;
    assert_eq!(json, Some(true));
    let report = weather.body_json();
    assert_eq!(report["city"], "Lisbon");
    assert_eq!(report["temp"], 18.5);

    let (missing, _) = fetch("/json/missing-key").await;
    let missing = missing.body_json();
    assert_eq!(missing["city"], "Lisbon");
    assert!(missing.get("temp").is_none(), "{missing}");

    let (wrong, _) = fetch("/json/wrong-type").await;
    assert_eq!(wrong.body_json()["temp"], "18.5");

    let (shape, _) = fetch("/json/other-shape").await;
    let list = shape.body_json();
    assert!(list.is_array(), "{list}");
    assert_eq!(list[0]["temp"], 18.5);

    // The header says JSON; the body is a web page: the relay says so.
    let (page, json) = fetch("/json/not-json").await;
    assert_eq!(json, Some(false));
    assert!(serde_json::from_slice::<serde_json::Value>(&page.body).is_err());
    assert!(page.body.starts_with(b"<html>"));

    // A megabyte of valid JSON, its length declared: whole under the
    // relay's default limit, refused at once under a 64 KiB one.
    let (big, json) = fetch("/json/oversized").await;
    assert_eq!(json, Some(true));
    assert_eq!(big.body.len(), 1024 * 1024);
    assert_eq!(big.header("content-length").as_deref(), Some("1048576"));
    assert_eq!(big.body_json()["readings"][0], 18.5);
    let mut limited = get(op + 1, client.http_url("/json/oversized"));
    limited.max_body = Some(64 * 1024);
    let refused = client.run(limited).await;
    assert_eq!(refused.statuses(), [200]);
    assert!(refused.body.is_empty(), "nothing of the body is read");
    let (code, message) = refused.failure();
    assert_eq!(code, ErrorCode::BodyTooLarge, "{message}");
}
