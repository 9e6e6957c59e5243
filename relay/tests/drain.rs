//! A graceful stop of the real binary: on SIGTERM it drains (`/readyz`
//! 503, new sessions refused with 503, open sessions go on), then closes
//! the sessions still open with 1001 and a reason, and exits; or exits as
//! soon as the last session has gone. Ctrl-C's path (no drain) is the
//! in-process `serve` with a shutdown future, in tests/session.rs.

mod support;

use std::time::Duration;

use roundtrip_shared::protocol::{DataEncoding, EventKind};
use support::{Client, exits_within, http_get, spawn_binary, terminate};

/// Polls `/readyz` until it answers 503 (the SIGTERM has arrived).
async fn until_draining(relay: std::net::SocketAddr) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = http_get(relay, "/readyz").await;
        if status == 503 {
            return body;
        }
        assert_eq!(status, 200, "{body}");
        assert!(tokio::time::Instant::now() < deadline, "never draining");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn round_trip(client: &mut Client, op: u32, bytes: &[u8]) {
    client.send_bytes(op, bytes).await;
    let mut echoed = Vec::new();
    while echoed.len() < bytes.len() {
        let seen = client
            .until(op, |k| matches!(k, EventKind::Received { .. }))
            .await;
        echoed.extend(seen.data);
    }
    assert_eq!(echoed, bytes);
}

#[tokio::test]
async fn sigterm_drains_then_closes_sessions_with_1001_and_exits() {
    let (mut child, relay) =
        spawn_binary(&["--drain-grace", "2"], &[], std::process::Stdio::null());
    assert_eq!(http_get(relay, "/readyz").await.0, 200);
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let echo = client.service_addr("tcp-echo").to_string();
    client.connect(1, &echo).await;

    terminate(&child);
    let why = until_draining(relay).await;
    assert!(why.contains("draining"), "{why}");
    // No new sessions while draining; the page is still served.
    let refused = tokio_tungstenite::connect_async(format!("ws://{relay}/ws")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
        }
        other => panic!("a new session while draining: {other:?}"),
    }
    assert_eq!(http_get(relay, "/healthz").await.0, 200);
    // The open session goes on during the drain.
    round_trip(&mut client, 1, b"still here").await;

    // Then it is told the relay goes away, and why.
    client.wait = Duration::from_secs(30);
    let close = client.recv_close().await;
    assert_eq!(u16::from(close.code), 1001);
    assert_eq!(close.reason.as_str(), roundtrip_relay::GOING_AWAY_REASON);
    exits_within(&mut child, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn the_drain_ends_when_the_last_session_has_gone() {
    // A grace far longer than the test's deadline for the exit.
    let (mut child, relay) =
        spawn_binary(&["--drain-grace", "600"], &[], std::process::Stdio::null());
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    terminate(&child);
    until_draining(relay).await;
    client.close().await;
    exits_within(&mut child, Duration::from_secs(60)).await;
}
