//! A public relay on loopback: deny by default, one allowed "public" echo
//! server, and a trap listener that must never see a connection, whatever
//! spelling of its address a hostile page tries. Everything stays on
//! loopback: refused targets are refused before any packet is sent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_relay::access::Access;
use roundtrip_relay::policy::{Mode, Policy, Rule};
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, Event, EventKind, PROTOCOL_VERSION, ServerMsg,
};
use roundtrip_shared::wire::{self, Frame};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const ORIGIN: &str = "https://roundtrip.example";
const WAIT: Duration = Duration::from_secs(10);

/// A listener that counts connections and echoes.
async fn counting_echo() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, count)
}

async fn public_relay(allowed: SocketAddr) -> SocketAddr {
    let rule = Rule {
        protocols: vec![roundtrip_relay::policy::Protocol::Tcp],
        cidrs: vec![format!("{}/32", allowed.ip()).parse().unwrap()],
        ports: vec![allowed.port().to_string()],
        ..Rule::default()
    };
    let config = Config {
        policy: Policy::public(vec![rule]).unwrap(),
        access: Access {
            mode: Mode::Public,
            origins: vec![ORIGIN.into()],
            token: None,
        },
        ..Config::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(config, Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));
    addr
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(relay: SocketAddr, origin: Option<&str>) -> Result<Ws, String> {
    let mut request = format!("ws://{relay}/ws").into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
        .map_err(|e| e.to_string())
}

async fn send(ws: &mut Ws, msg: ClientMsg) {
    let message = match wire::encode_client(&msg) {
        Frame::Text(text) => Message::Text(text.into()),
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
    };
    ws.send(message).await.unwrap();
}

async fn recv(ws: &mut Ws) -> ServerMsg {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let frame = match message {
            Message::Text(text) => Frame::Text(text.to_string()),
            Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
            _ => continue,
        };
        return wire::decode_server(&frame).unwrap();
    }
}

/// Runs op to its terminal event and returns all its events.
async fn run_connect(ws: &mut Ws, op: u32, target: &str) -> Vec<EventKind> {
    send(
        ws,
        ClientMsg::TcpConnect {
            op,
            target: target.into(),
            connect_timeout_ms: Some(2_000),
        },
    )
    .await;
    let mut kinds = Vec::new();
    loop {
        match recv(ws).await {
            ServerMsg::Event(Event { op: got, kind, .. }) if got == op => {
                let done = kind.is_terminal() || matches!(kind, EventKind::Connected { .. });
                kinds.push(kind);
                if done {
                    return kinds;
                }
            }
            other => panic!("{target}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn hostile_targets_are_refused_and_the_trap_sees_nothing() {
    let (allowed, allowed_count) = counting_echo().await;
    let (trap, trap_count) = counting_echo().await;
    let relay = public_relay(allowed).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));

    let port = trap.port();
    let hostile = [
        format!("127.0.0.1:{port}"),
        format!("2130706433:{port}"),
        format!("0x7f000001:{port}"),
        format!("0x7f.0.0.1:{port}"),
        format!("0177.0.0.1:{port}"),
        format!("017700000001:{port}"),
        format!("127.1:{port}"),
        format!("127.0.1:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        format!("[::ffff:7f00:1]:{port}"),
        format!("[::1]:{port}"),
        format!("0.0.0.0:{port}"),
        format!("localhost:{port}"),
        // The allowed server's address, on another port.
        format!("{}:{port}", allowed.ip()),
        // The allowed port on the allowed address, but SMTP is never allowed.
        "127.0.0.1:25".to_owned(),
    ];
    for (i, target) in hostile.iter().enumerate() {
        let op = i as u32 + 1;
        let kinds = run_connect(&mut ws, op, target).await;
        match kinds.last() {
            Some(EventKind::Failed { error }) => {
                assert_eq!(
                    error.code,
                    ErrorCode::Blocked,
                    "{target}: {}",
                    error.message
                );
                assert!(error.message.starts_with("blocked: "), "{}", error.message);
            }
            other => panic!("{target} was not refused: {other:?}"),
        }
        assert!(
            !kinds
                .iter()
                .any(|k| matches!(k, EventKind::Connecting { .. })),
            "{target}: the relay must not even start a connect: {kinds:?}"
        );
    }
    assert_eq!(trap_count.load(Ordering::SeqCst), 0, "the trap was reached");

    // The next allowed operation in the same session still works.
    let op = 100;
    let kinds = run_connect(&mut ws, op, &allowed.to_string()).await;
    assert!(
        matches!(kinds.last(), Some(EventKind::Connected { .. })),
        "{kinds:?}"
    );
    send(
        &mut ws,
        ClientMsg::Send {
            op,
            data: Payload(b"ping".to_vec()),
        },
    )
    .await;
    let mut echoed = Vec::new();
    while echoed.len() < 4 {
        if let ServerMsg::Data { data, .. } = recv(&mut ws).await {
            echoed.extend(data.0);
        }
    }
    assert_eq!(echoed, b"ping");
    assert_eq!(allowed_count.load(Ordering::SeqCst), 1);
    // Lab services stay reachable in public mode.
    let kinds = run_connect(&mut ws, 101, "tcp-echo").await;
    assert!(
        matches!(kinds.last(), Some(EventKind::Connected { .. })),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn public_sessions_need_an_allowed_origin() {
    let (allowed, _) = counting_echo().await;
    let relay = public_relay(allowed).await;
    for origin in [
        None,
        Some("null"),
        Some("https://roundtrip.example.evil"),
        Some("http://roundtrip.example"),
    ] {
        let refused = open(relay, origin).await.unwrap_err();
        assert!(refused.contains("403"), "{origin:?}: {refused}");
    }
    assert!(open(relay, Some(ORIGIN)).await.is_ok());
}

#[tokio::test]
async fn local_relays_refuse_other_sites() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let state = AppState::new(Config::default(), Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let refused = open(relay, Some("https://evil.example")).await.unwrap_err();
    assert!(refused.contains("403"), "{refused}");
    assert!(open(relay, Some(&format!("http://{relay}"))).await.is_ok());
    assert!(open(relay, None).await.is_ok(), "scripts send no Origin");
}
