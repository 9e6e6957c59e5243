//! Peers that stop reading: a browser that takes no more frames, and a
//! target that takes no more bytes. Neither keeps a session (or its
//! sockets) alive past the limits: the session ends by its lifetime or by
//! the WebSocket write deadline, and an operation stuck on its target ends
//! when its session does.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt as _;
use roundtrip_relay::AppState;
use roundtrip_relay::limits::Limits;
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, EventKind, PROTOCOL_VERSION, RelayError, ServerMsg,
};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn relay(limits: Limits) -> (SocketAddr, AppState) {
    support::start_relay_limited(limits).await
}

/// A greeted session over a socket with a small receive buffer, so that a
/// client that stops reading fills up soon.
async fn session(relay: SocketAddr) -> Ws {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(relay).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{relay}/ws"), stream)
        .await
        .unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(
        next(&mut ws).await,
        Some(ServerMsg::Welcome { .. })
    ));
    ws
}

use support::send_ws as send;

/// The next message; `None` once the relay closed.
async fn next(ws: &mut Ws) -> Option<ServerMsg> {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next()).await.unwrap()?.ok()?;
        let frame = match message {
            Message::Text(text) => Frame::Text(text.to_string()),
            Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
            Message::Close(_) => return None,
            _ => continue,
        };
        return Some(frame::decode_server(&frame).unwrap());
    }
}

fn connect(op: u32, target: SocketAddr) -> ClientMsg {
    ClientMsg::TcpConnect {
        faults: None,
        op,
        target: target.to_string(),
        connect_timeout_ms: None,
        nodelay: false,
    }
}

/// A server that sends without end to whoever connects.
async fn firehose() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let chunk = vec![b'x'; 64 * 1024];
                while stream.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    addr
}

/// A server that accepts and never reads, with a small receive buffer.
async fn sink_hole() -> (SocketAddr, tokio::task::JoinHandle<Vec<TcpStream>>) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(8).unwrap();
    let addr = listener.local_addr().unwrap();
    // The accepted stream is kept (never read) until the test is done.
    let held = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        vec![stream]
    });
    (addr, held)
}

/// Waits (boundedly) until `what` holds.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens a session that asks for an endless stream and then reads no more;
/// the session must end on its own, and its place come back.
async fn stop_reading_and_see_the_session_end(limits: Limits) {
    let (relay, state) = relay(Limits {
        max_sessions_per_ip: 1,
        ..limits
    })
    .await;
    let source = firehose().await;
    let mut stuck = session(relay).await;
    send(&mut stuck, connect(1, source)).await;
    // From here on the client reads nothing.
    eventually("the session that stopped reading ended", || {
        state.open_sessions() == 0
    })
    .await;
    eventually("its socket closed", || state.open_sockets() == 0).await;
    // The address's one place is free again.
    let mut again = session(relay).await;
    send(&mut again, ClientMsg::Close { op: 9 }).await;
    assert!(matches!(
        next(&mut again).await,
        Some(ServerMsg::Error {
            error: RelayError {
                code: ErrorCode::UnknownOp,
                ..
            },
            ..
        })
    ));
    drop(stuck);
}

#[tokio::test]
async fn a_session_whose_browser_stops_reading_ends_by_its_lifetime() {
    stop_reading_and_see_the_session_end(Limits {
        session_lifetime: Duration::from_secs(1),
        // Long enough that the lifetime comes first.
        write_timeout: Duration::from_secs(600),
        ..Limits::local()
    })
    .await;
}

#[tokio::test]
async fn a_session_whose_browser_stops_reading_ends_by_the_write_deadline() {
    stop_reading_and_see_the_session_end(Limits {
        write_timeout: Duration::from_millis(300),
        ..Limits::local()
    })
    .await;
}

#[tokio::test]
async fn a_target_that_stops_reading_does_not_keep_a_closed_session_alive() {
    let (relay, state) = relay(Limits::local()).await;
    let (target, held) = sink_hole().await;
    let mut ws = session(relay).await;
    send(&mut ws, connect(1, target)).await;
    loop {
        match next(&mut ws).await {
            Some(ServerMsg::Event(event)) if matches!(event.kind, EventKind::Connected { .. }) => {
                break;
            }
            Some(_) => continue,
            None => panic!("closed before connecting"),
        }
    }
    // Send until the relay says the target is not reading: the operation
    // then holds all it will and takes no more requests.
    let chunk = vec![b'y'; 64 * 1024];
    'filling: for _ in 0..1024 {
        send(
            &mut ws,
            ClientMsg::Send {
                op: 1,
                data: Payload(chunk.clone()),
            },
        )
        .await;
        while let Ok(message) = tokio::time::timeout(Duration::from_millis(10), ws.next()).await {
            let Some(Ok(Message::Text(_) | Message::Binary(_))) = &message else {
                continue;
            };
            let frame = match message {
                Some(Ok(Message::Text(text))) => Frame::Text(text.to_string()),
                Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
                _ => unreachable!(),
            };
            if let Ok(ServerMsg::Error { error, .. }) = frame::decode_server(&frame) {
                assert_eq!(error.code, ErrorCode::LimitReached, "{error:?}");
                assert!(error.message.contains("not reading"), "{error:?}");
                break 'filling;
            }
        }
    }
    assert_eq!(state.open_sockets(), 1);
    // The browser goes away; the session and its stuck operation end.
    drop(ws);
    eventually("the session ended", || state.open_sessions() == 0).await;
    eventually("the stuck connection closed", || state.open_sockets() == 0).await;
    drop(held);
}
