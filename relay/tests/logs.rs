//! The real `roundtrip` binary logs a session that carried secrets, at
//! `trace` for every crate, and none of them is in its log: not the
//! payload (as text, hex or base64), not the token, not the
//! `Authorization` or `Cookie` values (of the session's handshake or of an
//! HTTP request it made), not the password of a URL. In both log formats;
//! JSON lines are one object each.

mod support;

use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::Duration;

use base64::Engine as _;
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, HttpRequest};
use support::Client;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const TOKEN: &str = "tok3n-d0-not-log-4f2a";
const COOKIE: &str = "c00kie-d0-not-log-91be";
const AUTH: &str = "Basic YXV0aC1kMC1ub3QtbG9nLTY2ZDE=";
const PASSWORD: &str = "pa55-d0-not-log-0c77";
const PAYLOAD: &[u8] = b"payload-d0-not-log-e3d9";

/// The relay in public mode with every log line on, its stderr in `log`.
fn start(format: &str, log: &std::path::Path) -> (Child, SocketAddr) {
    let args = ["--public", "--origin", "http://127.0.0.1", "--token", TOKEN];
    let args: Vec<&str> = args
        .into_iter()
        .chain(["--log-format", format, "--drain-grace", "0"])
        .collect();
    let stderr = Stdio::from(std::fs::File::create(log).unwrap());
    support::spawn_binary(&args, &[("RUST_LOG", "trace")], stderr)
}

/// A session that presents a token and a cookie, echoes a payload and
/// makes an HTTP request with credentials in its URL and headers.
async fn session_with_secrets(relay: SocketAddr) {
    let mut request = format!("ws://{relay}/ws").into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", "http://127.0.0.1".parse().unwrap());
    headers.insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    headers.insert("cookie", format!("session={COOKIE}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut client = Client::over(ws);
    client.hello(DataEncoding::Binary).await;

    let echo = client.service_addr("tcp-echo").to_string();
    client.connect(1, &echo).await;
    client.send_bytes(1, PAYLOAD).await;
    let mut echoed = Vec::new();
    while echoed.len() < PAYLOAD.len() {
        let seen = client
            .until(1, |k| matches!(k, EventKind::Received { .. }))
            .await;
        echoed.extend(seen.data);
    }
    assert_eq!(echoed, PAYLOAD);

    let lab = client.service_addr("http-lab");
    let http = HttpRequest {
        headers: vec![
            ("Authorization".into(), AUTH.into()),
            ("Cookie".into(), format!("id={COOKIE}")),
        ],
        ..HttpRequest::get(2, format!("http://learner:{PASSWORD}@{lab}/"))
    };
    client.send(ClientMsg::HttpRequest(http)).await;
    client
        .until(2, |k| {
            matches!(k, EventKind::Closed { .. } | EventKind::Failed { .. })
        })
        .await;
    client.close().await;
}

fn secrets() -> Vec<(String, String)> {
    let payload_text = String::from_utf8(PAYLOAD.to_vec()).unwrap();
    let hex: String = PAYLOAD.iter().map(|b| format!("{b:02x}")).collect();
    let spaced: String = PAYLOAD.iter().map(|b| format!("{b}, ")).collect();
    vec![
        ("payload".into(), payload_text),
        ("payload in hex".into(), hex),
        ("payload as a byte list".into(), spaced[..40].to_owned()),
        (
            "payload in base64".into(),
            base64::engine::general_purpose::STANDARD.encode(PAYLOAD)[..16].to_owned(),
        ),
        ("token".into(), TOKEN.into()),
        ("cookie".into(), COOKIE.into()),
        ("authorization".into(), AUTH.into()),
        ("authorization's credentials".into(), AUTH[6..].into()),
        ("URL password".into(), PASSWORD.into()),
    ]
}

async fn no_secrets_in(format: &str) -> String {
    let log = std::env::temp_dir().join(format!(
        "roundtrip-logs-{}-{format}.log",
        std::process::id()
    ));
    let (child, relay) = start(format, &log);
    session_with_secrets(relay).await;
    // The session's end is logged once the relay has seen the close.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut child = child;
    support::terminate(&child);
    support::exits_within(&mut child, Duration::from_secs(30)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    // The log really is at trace and really covers the session.
    assert!(text.contains("session started"), "{text}");
    assert!(text.contains("TRACE"), "trace lines: {text}");
    for (what, secret) in secrets() {
        assert!(
            !text.contains(&secret),
            "the {what} ({secret}) is in the log:\n{}",
            text.lines()
                .filter(|l| l.contains(&secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    text
}

#[tokio::test]
async fn a_session_with_secrets_leaves_none_in_text_logs() {
    no_secrets_in("text").await;
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_and_hold_no_secrets() {
    let text = no_secrets_in("json").await;
    for line in text.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            value.get("level").is_some() && value.get("timestamp").is_some(),
            "{line}"
        );
    }
}
