//! Retried HTTP requests (`http_request` with `retry`) run by the real relay
//! against its real HTTP lab, over a real WebSocket. Every URL is on
//! loopback.

mod support;

use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_shared::protocol::{
    AttemptReason, ClientMsg, DataEncoding, ErrorCode, EventKind, HttpRequest, OpId,
};
use roundtrip_shared::retry::{Jitter, RetryPolicy, schedule};
use support::{Client, Seen, WAIT, start_relay};
use tokio_tungstenite::tungstenite::Message;

fn get(op: OpId, url: String, retry: RetryPolicy) -> HttpRequest {
    HttpRequest {
        retry: Some(retry),
        ..HttpRequest::get(op, url)
    }
}

fn lab_url(client: &Client, path: &str) -> String {
    format!("http://{}{path}", client.service("http-lab").addr)
}

/// Sends the request and collects its events up to the terminal one.
async fn run(client: &mut Client, request: HttpRequest) -> Vec<Seen> {
    let op = request.op;
    client.send(ClientMsg::HttpRequest(request)).await;
    let mut seen = Vec::new();
    loop {
        let next = client.next(op).await;
        let terminal = next.kind.is_terminal();
        seen.push(next);
        if terminal {
            return seen;
        }
    }
}

/// The story of a run in a few words per step: `attempt 1`, `503`,
/// `backoff 1000 (retry-after 1000)`, `gave_up 2`, `closed`,
/// `failed timed_out`.
fn story(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .filter_map(|s| match &s.kind {
            EventKind::Attempt { n, of } => Some(format!("attempt {n}/{of}")),
            EventKind::ResponseHead { status, .. } => Some(status.to_string()),
            EventKind::Backoff {
                wait_ms,
                retry_after_ms: Some(after),
                ..
            } => Some(format!("backoff {wait_ms} (retry-after {after})")),
            EventKind::Backoff { reason, .. } => {
                Some(format!("backoff ({})", reason.end().label()))
            }
            EventKind::GaveUp { attempts, .. } => Some(format!("gave_up {attempts}")),
            EventKind::Closed { .. } => Some("closed".to_owned()),
            EventKind::Failed { error } => Some(format!("failed {}", error.code.as_str())),
            _ => None,
        })
        .collect()
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_ms: 40,
        multiplier: 2.0,
        cap_ms: 2_000,
        jitter: Jitter::Full,
        seed: Some(11),
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn flaky_503_twice_honours_retry_after_then_succeeds() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(
        &client,
        "/flaky?key=retry-503&fail=2&status=503&retry_after=1",
    );
    let seen = run(&mut client, get(1, url, policy())).await;
    assert_eq!(
        story(&seen),
        [
            "attempt 1/3",
            "503",
            "backoff 1000 (retry-after 1000)",
            "attempt 2/3",
            "503",
            "backoff 1000 (retry-after 1000)",
            "attempt 3/3",
            "200",
            "closed"
        ]
    );
    // Each attempt reports its phases again: it dials anew.
    let connects = seen
        .iter()
        .filter(|s| matches!(s.kind, EventKind::Connected { .. }))
        .count();
    assert_eq!(connects, 3);
    // The relay slept at least what it announced before the next attempt.
    for (i, step) in seen.iter().enumerate() {
        if let EventKind::Backoff { wait_ms, .. } = step.kind {
            let next = seen[i..]
                .iter()
                .find(|s| matches!(s.kind, EventKind::Attempt { .. }))
                .unwrap();
            assert!(next.t_us - step.t_us >= wait_ms * 1000, "{seen:?}");
        }
    }
}

#[tokio::test]
async fn flaky_500_waits_the_shared_schedule_of_the_seed() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(&client, "/flaky?key=retry-500&fail=2");
    let seen = run(&mut client, get(1, url, policy())).await;
    assert_eq!(
        story(&seen),
        [
            "attempt 1/3",
            "500",
            "backoff (500)",
            "attempt 2/3",
            "500",
            "backoff (500)",
            "attempt 3/3",
            "200",
            "closed"
        ]
    );
    let waits: Vec<u64> = seen
        .iter()
        .filter_map(|s| match &s.kind {
            EventKind::Backoff {
                attempt,
                wait_ms,
                reason,
                retry_after_ms: None,
            } => {
                assert_eq!(reason, &AttemptReason::Status(500));
                assert!(*attempt <= 2);
                Some(*wait_ms)
            }
            _ => None,
        })
        .collect();
    // What the page's simulator draws for this seed.
    assert_eq!(waits, schedule(&policy(), 11));
}

#[tokio::test]
async fn a_delay_past_the_attempt_timeout_times_out_then_gives_up() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(&client, "/delay/3");
    let retry = RetryPolicy {
        max_attempts: 2,
        attempt_timeout_ms: Some(200),
        ..policy()
    };
    let seen = run(&mut client, get(1, url, retry)).await;
    assert_eq!(
        story(&seen),
        [
            "attempt 1/2",
            "backoff (timed out)",
            "attempt 2/2",
            "gave_up 2",
            "failed timed_out"
        ]
    );
    let Some(EventKind::GaveUp {
        last_error: AttemptReason::Error(error),
        ..
    }) = seen.iter().rev().nth(1).map(|s| &s.kind)
    else {
        panic!("expected gave_up with an error: {seen:?}");
    };
    assert!(error.message.contains("attempt timeout"), "{error:?}");
}

/// `/flaky?mode=timeout`: the failing attempts are slow, not errors, so
/// the relay's attempt timeout ends them: real timeouts, then a success.
#[tokio::test]
async fn flaky_in_timeout_mode_fails_by_being_slow() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(
        &client,
        "/flaky?key=retry-slow&fail=2&mode=timeout&delay_ms=10000",
    );
    // Generous for a loopback answer, far below the slow attempts' delay.
    let retry = RetryPolicy {
        attempt_timeout_ms: Some(3_000),
        ..policy()
    };
    let seen = run(&mut client, get(1, url, retry)).await;
    assert_eq!(
        story(&seen),
        [
            "attempt 1/3",
            "backoff (timed out)",
            "attempt 2/3",
            "backoff (timed out)",
            "attempt 3/3",
            "200",
            "closed"
        ]
    );
    // The slow attempts reached the lab (it counted them), and no response
    // head came back for either.
    let heads = seen
        .iter()
        .filter(|s| matches!(s.kind, EventKind::ResponseHead { .. }))
        .count();
    assert_eq!(heads, 1);
}

/// `slow=1`: only the first attempt is slow; the second fails fast with
/// the status, as a simulated run of a timeout then a 500 does.
#[tokio::test]
async fn flaky_slow_list_mixes_a_timeout_and_a_status() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(
        &client,
        "/flaky?key=retry-mixed&fail=2&status=500&slow=1&delay_ms=10000",
    );
    let retry = RetryPolicy {
        attempt_timeout_ms: Some(3_000),
        ..policy()
    };
    let seen = run(&mut client, get(1, url, retry)).await;
    assert_eq!(
        story(&seen),
        [
            "attempt 1/3",
            "backoff (timed out)",
            "attempt 2/3",
            "500",
            "backoff (500)",
            "attempt 3/3",
            "200",
            "closed"
        ]
    );
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(&client, "/status/404");
    let seen = run(&mut client, get(1, url, policy())).await;
    assert_eq!(story(&seen), ["attempt 1/3", "404", "closed"]);
}

#[tokio::test]
async fn refused_connections_are_retried_and_named_in_gave_up() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let (_bound, refusing) = support::refusing_port();
    let port = refusing.port();
    let retry = RetryPolicy {
        max_attempts: 2,
        ..policy()
    };
    let seen = run(
        &mut client,
        get(1, format!("http://127.0.0.1:{port}/"), retry),
    )
    .await;
    assert_eq!(
        story(&seen),
        [
            "attempt 1/2",
            "backoff (connection refused)",
            "attempt 2/2",
            "gave_up 2",
            "failed refused"
        ]
    );
}

#[tokio::test]
async fn a_policy_past_the_relays_caps_is_a_typed_error_and_the_session_goes_on() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(&client, "/get");
    let greedy = RetryPolicy {
        max_attempts: 50,
        ..policy()
    };
    let seen = run(&mut client, get(1, url.clone(), greedy)).await;
    let EventKind::Failed { error } = &seen[0].kind else {
        panic!("expected failed first: {seen:?}");
    };
    assert_eq!(error.code, ErrorCode::InvalidRetry);
    assert!(error.message.contains("at most 10 attempts"), "{error:?}");
    // Waits that could add up past the relay's total are refused too.
    let patient = RetryPolicy {
        max_attempts: 10,
        base_ms: 20_000,
        cap_ms: 20_000,
        ..policy()
    };
    let seen = run(&mut client, get(2, url.clone(), patient)).await;
    assert!(
        matches!(&seen[0].kind, EventKind::Failed { error } if error.code == ErrorCode::InvalidRetry),
        "{seen:?}"
    );
    let seen = run(&mut client, get(3, url, policy())).await;
    assert_eq!(story(&seen), ["attempt 1/3", "200", "closed"]);
}

#[tokio::test]
async fn close_during_a_backoff_cancels_the_run() {
    let mut client = Client::greeted(start_relay().await, DataEncoding::Binary).await;
    let url = lab_url(
        &client,
        "/flaky?key=retry-close&fail=5&status=503&retry_after=5",
    );
    client
        .send(ClientMsg::HttpRequest(get(1, url, policy())))
        .await;
    client
        .until(1, |k| matches!(k, EventKind::Backoff { .. }))
        .await;
    client.send(ClientMsg::Close { op: 1 }).await;
    let ended = client.until(1, EventKind::is_terminal).await;
    assert!(matches!(ended.kind, EventKind::Closed { .. }), "{ended:?}");
}

/// The JSON form, as a script would write it; events read as JSON.
#[tokio::test]
async fn the_json_form_retries_and_reports_in_json() {
    let relay = start_relay().await;
    let client = Client::greeted(relay, DataEncoding::Json).await;
    let url = lab_url(&client, "/flaky?key=retry-json&fail=5");
    drop(client);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{relay}/ws"))
        .await
        .unwrap();
    ws.send(Message::Text(
        r#"{"type":"hello","version":1,"data":"json"}"#.into(),
    ))
    .await
    .unwrap();
    let text = format!(
        r#"{{"type":"http_request","op":7,"method":"GET","url":"{url}","retry":{{"max_attempts":2,"base_ms":30,"jitter":"none","retry_on":{{"server_errors":true}}}}}}"#
    );
    ws.send(Message::Text(text.into())).await.unwrap();
    let mut kinds = Vec::new();
    let mut backoff = None;
    let mut gave_up = None;
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else {
            panic!("JSON clients get text frames only: {message:?}")
        };
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        if value["type"] != "event" {
            continue;
        }
        let kind = value["kind"].as_str().unwrap().to_owned();
        match kind.as_str() {
            "backoff" => backoff = Some(value.clone()),
            "gave_up" => gave_up = Some(value.clone()),
            _ => {}
        }
        kinds.push(kind.clone());
        if kind == "closed" || kind == "failed" {
            break;
        }
    }
    assert_eq!(
        kinds
            .iter()
            .filter(|k| matches!(k.as_str(), "attempt" | "backoff" | "gave_up" | "closed"))
            .collect::<Vec<_>>(),
        ["attempt", "backoff", "attempt", "gave_up", "closed"]
    );
    let backoff = backoff.unwrap();
    assert_eq!(backoff["attempt"], 1);
    assert_eq!(backoff["wait_ms"], 30);
    assert_eq!(backoff["reason"], serde_json::json!({"status": 500}));
    assert!(backoff.get("retry_after_ms").is_none(), "{backoff}");
    let gave_up = gave_up.unwrap();
    assert_eq!(gave_up["attempts"], 2);
    assert_eq!(gave_up["last_error"], serde_json::json!({"status": 500}));

    // A misspelt policy field is a malformed message; the session goes on.
    let text = format!(
        r#"{{"type":"http_request","op":8,"method":"GET","url":"{url}","retry":{{"attempts":2}}}}"#
    );
    ws.send(Message::Text(text.into())).await.unwrap();
    let message = tokio::time::timeout(WAIT, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
    assert_eq!(value["type"], "error", "{value}");
    assert_eq!(value["error"]["code"], "malformed", "{value}");
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap()
            .contains("attempts"),
        "{value}"
    );
}
