//! An HTTP request's body counts against the session's byte budgets like
//! any `send`: on every hop of a 307/308 redirect and on every retried
//! attempt, and what cannot fit is refused before it goes out.

mod support;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use roundtrip_relay::limits::Limits;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, EventKind, HttpRequest, OpId,
};
use roundtrip_shared::retry::RetryPolicy;
use support::Client;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const BODY: usize = 40_000;

async fn relay(limits: Limits) -> SocketAddr {
    support::start_relay_limited(limits).await.0
}

/// A server that reads each request's body whole, counts the bodies, and
/// answers every request with `answer`.
async fn server(answer: &'static str) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies = Arc::new(AtomicUsize::new(0));
    let count = bodies.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(n @ 1..) => got.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                    let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    if got.len() >= end + 4 + length {
                        break;
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (addr, bodies)
}

const REDIRECT: &str = "HTTP/1.1 307 Temporary Redirect\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const UNAVAILABLE: &str =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

fn post(op: OpId, url: String) -> HttpRequest {
    HttpRequest {
        faults: None,
        op,
        method: "POST".into(),
        url,
        headers: vec![],
        body: Some(Payload(vec![b'b'; BODY])),
        json: false,
        timeouts: None,
        follow_redirects: 0,
        max_body: None,
        raw: false,
        retry: None,
    }
}

/// Sends the request; the events of its operation up to the terminal one.
async fn run(client: &mut Client, request: HttpRequest) -> Vec<EventKind> {
    let op = request.op;
    client.send(ClientMsg::HttpRequest(request)).await;
    let mut seen = Vec::new();
    loop {
        let next = client.next(op).await.kind;
        let terminal = next.is_terminal();
        seen.push(next);
        if terminal {
            return seen;
        }
    }
}

fn failed_with(seen: &[EventKind]) -> Option<ErrorCode> {
    match seen.last() {
        Some(EventKind::Failed { error }) => Some(error.code),
        _ => None,
    }
}

fn total(bytes: u64) -> Limits {
    Limits {
        session_bytes: bytes,
        ..Limits::local()
    }
}

#[tokio::test]
async fn each_redirect_hop_spends_the_body_from_the_session_total() {
    // Room for two bodies (and their URLs), not three.
    let relay = relay(total(2 * BODY as u64 + 1_000)).await;
    let (server, bodies) = server(REDIRECT).await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let request = HttpRequest {
        follow_redirects: 5,
        ..post(1, format!("http://{server}/"))
    };
    let seen = run(&mut client, request).await;
    assert_eq!(
        failed_with(&seen),
        Some(ErrorCode::LimitReached),
        "{seen:?}"
    );
    assert_eq!(bodies.load(Ordering::SeqCst), 2, "{seen:?}");
}

#[tokio::test]
async fn each_retried_attempt_spends_the_body_from_the_session_total() {
    let relay = relay(total(2 * BODY as u64 + 1_000)).await;
    let (server, bodies) = server(UNAVAILABLE).await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let request = HttpRequest {
        retry: Some(RetryPolicy {
            max_attempts: 5,
            base_ms: 10,
            cap_ms: 20,
            seed: Some(1),
            ..RetryPolicy::default()
        }),
        ..post(1, format!("http://{server}/"))
    };
    let seen = run(&mut client, request).await;
    assert_eq!(
        failed_with(&seen),
        Some(ErrorCode::LimitReached),
        "{seen:?}"
    );
    assert_eq!(bodies.load(Ordering::SeqCst), 2, "{seen:?}");
    // A body that cannot fit at all is refused before it is sent.
    let seen = run(&mut client, post(2, format!("http://{server}/"))).await;
    assert_eq!(
        failed_with(&seen),
        Some(ErrorCode::LimitReached),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, EventKind::Connecting { .. })),
        "refused before connecting: {seen:?}"
    );
    assert_eq!(bodies.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn redirect_hops_wait_for_the_per_minute_budget() {
    // 64 KiB a minute (the smallest burst): one body passes at once, the
    // next one waits most of a minute.
    let relay = relay(Limits {
        bytes_out_per_minute: NonZeroU32::new(64 * 1024).unwrap(),
        ..Limits::local()
    })
    .await;
    let (server, bodies) = server(REDIRECT).await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let request = HttpRequest {
        follow_redirects: 5,
        ..post(1, format!("http://{server}/"))
    };
    client.send(ClientMsg::HttpRequest(request)).await;
    client
        .until(1, |e| matches!(e, EventKind::Redirect { .. }))
        .await;
    // Far less than the wait for the next 40 KB; nothing more gets out.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(bodies.load(Ordering::SeqCst), 1);
}
