//! The attacks of the public-relay review, run together from a few client
//! addresses against a relay with the public limits, beside one
//! well-behaved session that must keep working: silent connections,
//! preface-only connections, and sessions that fill their outgoing queue
//! and stop reading. Deadlines are shortened so that the test is quick;
//! every cap is the public default.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_relay::access::Access;
use roundtrip_relay::limits::Limits;
use roundtrip_relay::policy::{Mode, Policy};
use roundtrip_relay::{AppState, Config};
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, Event, EventKind, PROTOCOL_VERSION, ServerMsg,
};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const ORIGIN: &str = "https://roundtrip.example";
const WAIT: Duration = Duration::from_secs(10);
/// The attackers' addresses: 127.0.0.2 to 127.0.0.5.
const ATTACKERS: std::ops::RangeInclusive<u8> = 2..=5;
/// Between the learner's operations: the public relay allows 5 new
/// operations a second per session.
const PACE: Duration = Duration::from_millis(300);

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn public_relay() -> (SocketAddr, AppState) {
    let config = Config {
        policy: Policy::public(vec![]).unwrap(),
        access: Access {
            mode: Mode::Public,
            origins: vec![ORIGIN.into()],
            token: None,
        },
        limits: Limits {
            write_timeout: Duration::from_millis(500),
            ..Limits::public()
        },
        header_timeout: Duration::from_millis(500),
        loopback_only: true,
        ..Config::default()
    };
    support::start_relay_with(config).await
}

async fn connect_from(last: u8, relay: SocketAddr, recv_buffer: Option<u32>) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).unwrap();
    }
    socket
        .bind(SocketAddr::from(([127, 0, 0, last], 0)))
        .unwrap();
    socket.connect(relay).await.unwrap()
}

/// A greeted session from 127.0.0.`last`; `None` when the relay refused it
/// (which it may, for an attacker past its caps).
async fn session(last: u8, relay: SocketAddr, recv_buffer: Option<u32>) -> Option<Ws> {
    let stream = connect_from(last, relay, recv_buffer).await;
    let mut request = format!("ws://{relay}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", ORIGIN.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .ok()?;
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await
    .ok()?;
    match next(&mut ws).await? {
        ServerMsg::Welcome { .. } => Some(ws),
        _ => None,
    }
}

async fn send(ws: &mut Ws, msg: ClientMsg) -> Result<(), ()> {
    let message = match frame::encode_client(&msg) {
        Frame::Text(text) => Message::Text(text.into()),
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
    };
    ws.send(message).await.map_err(|_| ())
}

async fn next(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.ok()??.ok()?;
        let frame = match message {
            Message::Text(text) => Frame::Text(text.to_string()),
            Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
            Message::Close(_) => return None,
            _ => continue,
        };
        return frame::decode_server(&frame).ok();
    }
}

fn echo(op: u32) -> ClientMsg {
    ClientMsg::TcpConnect {
        faults: None,
        op,
        target: "tcp-echo".into(),
        connect_timeout_ms: None,
        nodelay: false,
    }
}

/// One attacker address: its sessions (and one more than it may have), each
/// echoing a mebibyte back to a client that reads nothing, then as many
/// silent and preface-only connections as it may open, and more.
async fn attack(last: u8, relay: SocketAddr) -> (Vec<TcpStream>, Vec<Ws>) {
    let mut stuck = Vec::new();
    for _ in 0..6 {
        let Some(mut ws) = session(last, relay, Some(4096)).await else {
            continue;
        };
        let _ = send(&mut ws, echo(1)).await;
        // Wait until connected, then flood and never read again.
        while let Some(msg) = next(&mut ws).await {
            if matches!(
                msg,
                ServerMsg::Event(Event {
                    kind: EventKind::Connected { .. } | EventKind::Failed { .. },
                    ..
                })
            ) {
                break;
            }
        }
        for _ in 0..16 {
            let data = Payload(vec![b'z'; 60 * 1024]);
            let flood = send(&mut ws, ClientMsg::Send { op: 1, data });
            if tokio::time::timeout(Duration::from_millis(200), flood)
                .await
                .is_err()
            {
                break;
            }
        }
        stuck.push(ws);
    }
    let mut silent = Vec::new();
    for i in 0..40 {
        let mut stream = connect_from(last, relay, None).await;
        let _ = match i % 3 {
            0 => Ok(()),
            1 => stream.write_all(b"P").await,
            _ => stream.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await,
        };
        silent.push(stream);
    }
    (silent, stuck)
}

/// The well-behaved learner: a round trip through the echo.
async fn round_trip(ws: &mut Ws, op: u32) {
    send(ws, echo(op)).await.unwrap();
    loop {
        match next(ws).await.expect("the learner's session goes on") {
            ServerMsg::Event(Event {
                op: got,
                kind: EventKind::Connected { .. },
                ..
            }) if got == op => break,
            ServerMsg::Event(Event {
                op: got,
                kind: EventKind::Failed { error },
                ..
            }) if got == op => panic!("the learner's connection failed: {error:?}"),
            _ => continue,
        }
    }
    let text = format!("hello {op}");
    send(
        ws,
        ClientMsg::Send {
            op,
            data: Payload(text.clone().into_bytes()),
        },
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    while got.len() < text.len() {
        if let ServerMsg::Data { op: o, data, .. } =
            next(ws).await.expect("the learner's session goes on")
            && o == op
        {
            got.extend_from_slice(&data.0);
        }
    }
    assert_eq!(got, text.as_bytes());
    send(ws, ClientMsg::Close { op }).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_attacking_addresses_do_not_deny_service_to_a_learner() {
    let (relay, state) = public_relay().await;
    let mut learner = session(1, relay, None)
        .await
        .expect("the learner gets a session");
    round_trip(&mut learner, 1).await;

    let attackers: Vec<_> = ATTACKERS
        .map(|last| tokio::spawn(attack(last, relay)))
        .collect();
    // The learner keeps working while the attack runs (at its own pace:
    // the public relay allows 5 new operations a second) ...
    for op in 2..=6 {
        round_trip(&mut learner, op).await;
        tokio::time::sleep(PACE).await;
    }
    let mut held = Vec::new();
    for attacker in attackers {
        held.push(attacker.await.unwrap());
    }
    // ... each attacker got no more than its address's sessions ...
    for (_, stuck) in &held {
        assert!(
            stuck.len() <= 4,
            "{} sessions from one address",
            stuck.len()
        );
    }
    assert!(state.open_sessions() <= 1 + 4 * ATTACKERS.count());
    // ... and its silent connections are closed by the relay (refused with
    // a 503 past the cap, or cut off by the request-head deadline; an
    // HTTP/2 preface gets the server's settings first), while the learner
    // goes on.
    for (silent, _) in &mut held {
        for stream in silent {
            let mut rest = Vec::new();
            tokio::time::timeout(
                WAIT,
                tokio::io::AsyncReadExt::read_to_end(stream, &mut rest),
            )
            .await
            .expect("a silent connection is closed by the relay")
            .ok();
        }
    }
    tokio::time::sleep(PACE).await;
    round_trip(&mut learner, 7).await;
    let mut second = session(1, relay, None)
        .await
        .expect("the learner can open another session");
    round_trip(&mut second, 1).await;
    assert_eq!(state.guard_trips(), 0);
    drop(held);
}
