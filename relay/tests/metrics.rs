//! `/healthz`, `/readyz` and `/metrics` on the real relay: the metrics
//! parse as Prometheus text, and their counters move as a real session
//! does things (an echo round trip, a refused session); with an admin
//! listener of their own, the page's listener does not show them.
//!
//! The `metrics` recorder is one per process, shared by every relay this
//! file starts: the assertions compare counts before and after.

mod support;

use std::time::Duration;

use prometheus_parse::{Scrape, Value};
use roundtrip_relay::Config;
use roundtrip_relay::limits::Limits;
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, HttpRequest};
use support::{Client, http_get, start_relay_with};

/// `/metrics` parsed; every sample line must be one the parser read.
async fn scrape(addr: std::net::SocketAddr) -> Scrape {
    let (status, text) = http_get(addr, "/metrics").await;
    assert_eq!(status, 200, "{text}");
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let samples = lines
        .iter()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    let scrape = Scrape::parse(lines.into_iter().map(Ok)).expect("Prometheus text");
    // The parser skips what it cannot read: count what it kept (a
    // histogram's bucket lines become one sample, plus its _sum and _count).
    let kept: usize = scrape
        .samples
        .iter()
        .map(|s| match &s.value {
            Value::Histogram(buckets) => buckets.len(),
            _ => 1,
        })
        .sum();
    assert_eq!(kept, samples, "every sample line parses:\n{text}");
    scrape
}

/// The value of `name` with these labels (0 when absent: not yet counted).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|b| b.less_than.is_infinite())
                .map_or(0.0, |b| b.count),
            Value::Summary(_) => panic!("{name} should be a histogram, not a summary"),
        })
        .sum()
}

/// Waits for `name` to pass `above` (a session's end is counted just after
/// its close frame went out).
async fn eventually_above(
    addr: std::net::SocketAddr,
    name: &str,
    labels: &[(&str, &str)],
    above: f64,
) -> f64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = value(&scrape(addr).await, name, labels);
        if now > above || tokio::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let (relay, state) = start_relay_with(Config::default()).await;
    assert_eq!(http_get(relay, "/healthz").await, (200, "ok\n".into()));
    assert_eq!(http_get(relay, "/readyz").await, (200, "ready\n".into()));
    assert!(state.ready().is_ok());
}

#[tokio::test]
async fn counters_move_as_a_session_does_things() {
    let limits = Limits {
        max_sessions_per_ip: 1,
        ..Limits::local()
    };
    let (relay, _state) = start_relay_with(Config {
        limits,
        ..Config::default()
    })
    .await;
    let before = scrape(relay).await;
    let count = |s: &Scrape, name: &str, labels: &[(&str, &str)]| value(s, name, labels);

    // One echo round trip on the lab's TCP echo, then a clean close.
    let mut client = Client::ungreeted_from(relay, 23).await;
    client.hello(DataEncoding::Binary).await;
    let echo = client.service_addr("tcp-echo").to_string();
    client.connect(1, &echo).await;
    let payload = b"counted, never logged".to_vec();
    client.send_bytes(1, &payload).await;
    let mut echoed = Vec::new();
    while echoed.len() < payload.len() {
        let seen = client
            .until(1, |k| matches!(k, EventKind::Received { .. }))
            .await;
        echoed.extend(seen.data);
    }
    assert_eq!(echoed, payload);
    client.send(ClientMsg::Close { op: 1 }).await;
    client
        .until(1, |k| matches!(k, EventKind::Closed { .. }))
        .await;

    // An HTTP request to the HTTP lab.
    let lab = client.service_addr("http-lab");
    client
        .send(ClientMsg::HttpRequest(HttpRequest::get(
            2,
            format!("http://{lab}/"),
        )))
        .await;
    client
        .until(2, |k| matches!(k, EventKind::Closed { .. }))
        .await;

    // A second session from the same address is one too many.
    let mut refused = Client::ungreeted_from(relay, 23).await;
    let close = refused.recv_close().await;
    assert_eq!(u16::from(close.code), 1013);

    let during = scrape(relay).await;
    assert!(count(&during, "roundtrip_sessions_open", &[]) >= 1.0);
    let moved = |name: &str, labels: &[(&str, &str)]| {
        count(&during, name, labels) - count(&before, name, labels)
    };
    assert!(moved("roundtrip_sessions_started_total", &[]) >= 1.0);
    assert!(moved("roundtrip_operations_started_total", &[("kind", "tcp")]) >= 1.0);
    assert!(
        moved(
            "roundtrip_operations_ended_total",
            &[("kind", "tcp"), ("outcome", "closed")]
        ) >= 1.0
    );
    let n = payload.len() as f64;
    assert!(moved("roundtrip_bytes_total", &[("direction", "to_target")]) >= n);
    assert!(moved("roundtrip_bytes_total", &[("direction", "from_target")]) >= n);
    assert!(moved("roundtrip_lab_dials_total", &[("service", "tcp-echo")]) >= 1.0);
    assert!(moved("roundtrip_lab_dials_total", &[("service", "http-lab")]) >= 1.0);
    assert!(
        moved(
            "roundtrip_operations_ended_total",
            &[("kind", "http"), ("outcome", "closed")]
        ) >= 1.0
    );
    assert!(moved("roundtrip_refusals_total", &[("reason", "sessions")]) >= 1.0);
    assert!(moved("roundtrip_session_closes_total", &[("code", "1013")]) >= 1.0);
    assert!(moved("roundtrip_time_to_first_event_seconds", &[]) >= 1.0);

    // The browser leaves: its close and its duration are counted.
    let left_before = count(
        &before,
        "roundtrip_session_closes_total",
        &[("code", "browser")],
    );
    let lasted_before = count(&before, "roundtrip_session_duration_seconds", &[]);
    client.close().await;
    let left = eventually_above(
        relay,
        "roundtrip_session_closes_total",
        &[("code", "browser")],
        left_before,
    )
    .await;
    assert!(left > left_before, "the browser's close is counted");
    let after = scrape(relay).await;
    assert!(count(&after, "roundtrip_session_duration_seconds", &[]) > lasted_before);
}

#[tokio::test]
async fn an_admin_listener_takes_the_routes_off_the_public_one() {
    let (relay, state) = start_relay_with(Config {
        admin_on_public: false,
        ..Config::default()
    })
    .await;
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_addr = admin.local_addr().unwrap();
    tokio::spawn(roundtrip_relay::serve_admin(admin, state));
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            http_get(relay, path).await.0,
            404,
            "{path} on the public listener"
        );
        assert_eq!(
            http_get(admin_addr, path).await.0,
            200,
            "{path} on the admin listener"
        );
    }
    // Only the admin routes: no page, no sessions there.
    assert_eq!(http_get(admin_addr, "/").await.0, 404);
    scrape(admin_addr).await;
}
