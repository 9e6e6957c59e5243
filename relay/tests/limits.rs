//! Each limit: the first request past it gets its answer, the ones under it
//! keep working, and places come back when sessions and sockets close.

mod support;

use support::Client;

use std::net::SocketAddr;
use std::time::Duration;

use roundtrip_relay::limits::Limits;
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, Event, EventKind, PROTOCOL_VERSION, ServerMsg,
};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

type Ws = Client;

async fn relay(limits: Limits) -> SocketAddr {
    relay_state(limits).await.0
}

async fn relay_state(limits: Limits) -> (SocketAddr, AppState) {
    support::start_relay_limited(limits).await
}

/// Waits (boundedly) until `n` sockets are open across the relay.
async fn open_sockets_reach(state: &AppState, n: usize) {
    for _ in 0..500 {
        if state.open_sockets() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} sockets open, expected {n}", state.open_sockets());
}

async fn open(relay: SocketAddr) -> Ws {
    Client::ungreeted(relay).await
}

async fn send(ws: &mut Ws, msg: ClientMsg) {
    ws.send(msg).await;
}

/// The next message, or the close frame's (code, reason).
async fn next(ws: &mut Ws) -> Result<ServerMsg, (u16, String)> {
    ws.recv_or_close().await
}

async fn hello(ws: &mut Ws) {
    ws.hello(DataEncoding::Binary).await;
}

async fn connect_echo(ws: &mut Ws, op: u32) -> Result<(), ErrorCode> {
    connect_echoes(ws, op..=op).await.remove(0)
}

/// Asks for an echo connection for each of `ops` in one go, then reads how
/// each ended, in op order: connected, or refused (before it started, or
/// failed). Sent together, they meet
/// a limit together, however slow the machine (one after another, a rate
/// limit could refill between them).
async fn connect_echoes(
    ws: &mut Ws,
    ops: std::ops::RangeInclusive<u32>,
) -> Vec<Result<(), ErrorCode>> {
    for op in ops.clone() {
        send(
            ws,
            ClientMsg::TcpConnect {
                faults: None,
                op,
                target: "tcp-echo".into(),
                connect_timeout_ms: None,
                nodelay: false,
            },
        )
        .await;
    }
    let mut outcomes = std::collections::BTreeMap::new();
    while outcomes.len() < ops.clone().count() {
        match next(ws).await.unwrap() {
            ServerMsg::Event(Event {
                kind: EventKind::Connected { .. },
                op,
                ..
            }) if ops.contains(&op) => {
                outcomes.insert(op, Ok(()));
            }
            ServerMsg::Error {
                op: Some(op),
                error,
            } if ops.contains(&op) => {
                outcomes.insert(op, Err(error.code));
            }
            ServerMsg::Event(Event {
                kind: EventKind::Failed { error },
                op,
                ..
            }) if ops.contains(&op) => {
                outcomes.insert(op, Err(error.code));
            }
            ServerMsg::Event(Event { op, .. }) if ops.contains(&op) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    outcomes.into_values().collect()
}

#[tokio::test]
async fn sessions_per_address_are_limited_and_come_back() {
    let relay = relay(Limits {
        max_sessions_per_ip: 1,
        ..Limits::local()
    })
    .await;
    let mut first = open(relay).await;
    hello(&mut first).await;
    let mut second = open(relay).await;
    let (code, reason) = next(&mut second).await.unwrap_err();
    assert_eq!(code, 1013);
    assert!(reason.contains("too many sessions"), "{reason}");
    // The first session is unaffected.
    connect_echo(&mut first, 1).await.unwrap();
    first.close().await;
    drop(first);
    // Its place comes back once it is gone.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut again = open(relay).await;
        send(
            &mut again,
            ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                data: DataEncoding::Binary,
            },
        )
        .await;
        match next(&mut again).await {
            Ok(ServerMsg::Welcome { .. }) => break,
            Err((1013, _)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn operations_per_session_are_limited_and_come_back() {
    let relay = relay(Limits {
        max_ops_per_session: 2,
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    assert_eq!(
        connect_echoes(&mut ws, 1..=3).await,
        [Ok(()), Ok(()), Err(ErrorCode::LimitReached)]
    );
    send(&mut ws, ClientMsg::Close { op: 1 }).await;
    loop {
        if let Ok(ServerMsg::Event(Event {
            op: 1,
            kind: EventKind::Closed { .. },
            ..
        })) = next(&mut ws).await
        {
            break;
        }
    }
    connect_echo(&mut ws, 3).await.unwrap();
}

#[tokio::test]
async fn idle_sessions_are_closed_with_their_code() {
    let relay = relay(Limits {
        // Long enough that a busy machine still greets in time.
        session_idle: Duration::from_millis(1_500),
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    let (code, reason) = next(&mut ws).await.unwrap_err();
    assert_eq!((code, reason.as_str()), (4000, "session idle for too long"));
}

#[tokio::test]
async fn a_session_without_hello_is_closed_and_a_greeted_one_stays() {
    let relay = relay(Limits {
        // Long enough that a busy machine still greets in time.
        hello_timeout: Duration::from_millis(1_500),
        ..Limits::local()
    })
    .await;
    let mut greeted = open(relay).await;
    hello(&mut greeted).await;
    // Messages that are not a hello do not keep a session's place.
    let mut silent = open(relay).await;
    send(&mut silent, ClientMsg::Close { op: 1 }).await;
    match next(&mut silent).await {
        Ok(ServerMsg::Error { error, .. }) => assert_eq!(error.code, ErrorCode::ExpectedHello),
        other => panic!("expected expected_hello, got {other:?}"),
    }
    let (code, reason) = next(&mut silent).await.unwrap_err();
    assert_eq!((code, reason.as_str()), (4000, "no hello in time"));
    // The greeted session is past the hello time and still works.
    connect_echo(&mut greeted, 1).await.unwrap();
}

#[tokio::test]
async fn oversize_messages_close_the_session_with_1009() {
    let relay = relay(Limits::local()).await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    let mut frame = vec![0x01, 0, 0, 0, 1];
    frame.resize(300 * 1024, b'x');
    ws.send_raw(Message::Binary(frame.into())).await;
    let (code, _reason) = next(&mut ws).await.unwrap_err();
    assert_eq!(code, 1009);
}

#[tokio::test]
async fn slow_header_senders_are_cut_off() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        header_timeout: Duration::from_millis(300),
        ..Config::default()
    };
    let state = AppState::new(config, Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    // ... and never the blank line that ends the headers.
    let started = tokio::time::Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, slow.read_to_end(&mut rest))
        .await
        .expect("the relay should have closed the connection")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A prompt client on the same relay is served.
    let mut prompt = tokio::net::TcpStream::connect(addr).await.unwrap();
    prompt
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, prompt.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(
        response.starts_with(b"HTTP/1.1 "),
        "{}",
        String::from_utf8_lossy(&response)
    );
}

#[tokio::test]
async fn new_operations_per_second_are_limited() {
    let relay = relay(Limits {
        ops_per_second: std::num::NonZeroU32::new(2).unwrap(),
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    assert_eq!(
        connect_echoes(&mut ws, 1..=3).await,
        [Ok(()), Ok(()), Err(ErrorCode::LimitReached)]
    );
    // The operations already running are unaffected, and a second later
    // there is room again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    connect_echo(&mut ws, 3).await.unwrap();
}

#[tokio::test]
async fn idle_connections_are_closed_by_the_relay_with_a_reason() {
    let relay = relay(Limits {
        socket_idle: Duration::from_millis(300),
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    connect_echo(&mut ws, 1).await.unwrap();
    match next(&mut ws).await.unwrap() {
        ServerMsg::Error { op: Some(1), error } => {
            assert_eq!(error.code, ErrorCode::LimitReached);
            assert!(error.message.contains("no byte moved"), "{}", error.message);
        }
        other => panic!("expected the idle refusal, got {other:?}"),
    }
    assert!(matches!(
        next(&mut ws).await.unwrap(),
        ServerMsg::Event(Event {
            op: 1,
            kind: EventKind::Closed {
                by: roundtrip_shared::protocol::Closer::Relay
            },
            ..
        })
    ));
    // The session goes on: a new connection works.
    connect_echo(&mut ws, 2).await.unwrap();
}

#[tokio::test]
async fn open_sockets_across_sessions_are_limited_and_come_back() {
    let (relay, state) = relay_state(Limits {
        max_open_sockets: 2,
        ..Limits::local()
    })
    .await;
    let mut a = open(relay).await;
    hello(&mut a).await;
    let mut b = open(relay).await;
    hello(&mut b).await;
    connect_echo(&mut a, 1).await.unwrap();
    connect_echo(&mut b, 1).await.unwrap();
    // The third socket, in either session, is one too many.
    assert_eq!(connect_echo(&mut b, 2).await, Err(ErrorCode::LimitReached));
    assert_eq!(connect_echo(&mut a, 2).await, Err(ErrorCode::LimitReached));
    assert_eq!(state.open_sockets(), 2);
    // The open ones keep working.
    send(
        &mut a,
        ClientMsg::Send {
            op: 1,
            data: roundtrip_shared::payload::Payload(b"still here".to_vec()),
        },
    )
    .await;
    loop {
        if let Ok(ServerMsg::Data { op: 1, data, .. }) = next(&mut a).await {
            assert_eq!(data.0, b"still here");
            break;
        }
    }
    // A socket closed in one session makes room in the other.
    send(&mut a, ClientMsg::Close { op: 1 }).await;
    open_sockets_reach(&state, 1).await;
    connect_echo(&mut b, 3).await.unwrap();
    drop(a);
    drop(b);
    open_sockets_reach(&state, 0).await;
}

/// Opens a UDP socket to the echo (op 1) and a listener (op 2), then waits
/// for the relay to close both itself; returns each one's refusal.
async fn udp_and_listener_closed_by_relay(ws: &mut Ws) -> [String; 2] {
    send(
        ws,
        ClientMsg::UdpOpen {
            op: 1,
            target: Some("udp-echo".into()),
            bind_port: None,
            recv_timeout_ms: None,
            faults: None,
        },
    )
    .await;
    send(ws, ClientMsg::TcpListen { op: 2, port: None }).await;
    let mut why = [String::new(), String::new()];
    let mut closed = [false, false];
    while closed != [true, true] {
        match next(ws).await.unwrap() {
            ServerMsg::Error {
                op: Some(op @ 1..=2),
                error,
            } => {
                assert_eq!(error.code, ErrorCode::LimitReached);
                why[op as usize - 1] = error.message;
            }
            ServerMsg::Event(Event {
                op: op @ 1..=2,
                kind,
                ..
            }) if kind.is_terminal() => {
                assert_eq!(
                    kind,
                    EventKind::Closed {
                        by: roundtrip_shared::protocol::Closer::Relay
                    }
                );
                closed[op as usize - 1] = true;
            }
            _ => {}
        }
    }
    why
}

#[tokio::test]
async fn idle_udp_sockets_and_listeners_are_closed_by_the_relay() {
    let relay = relay(Limits {
        socket_idle: Duration::from_millis(300),
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    let [udp, listener] = udp_and_listener_closed_by_relay(&mut ws).await;
    assert!(udp.contains("no datagram moved"), "{udp}");
    assert!(listener.contains("no connection came"), "{listener}");
    // The session goes on.
    connect_echo(&mut ws, 3).await.unwrap();
}

#[tokio::test]
async fn udp_sockets_and_listeners_live_at_most_their_lifetime() {
    let relay = relay(Limits {
        socket_lifetime: Duration::from_millis(300),
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    hello(&mut ws).await;
    let [udp, listener] = udp_and_listener_closed_by_relay(&mut ws).await;
    assert!(udp.contains("UDP sockets live at most"), "{udp}");
    assert!(listener.contains("listeners live at most"), "{listener}");
}

/// Sends `text` on `op` and waits for the echo's data (Ok) or for what the
/// relay said instead (Err).
async fn echo_text(ws: &mut Ws, op: u32, text: &str) -> Result<Vec<u8>, ServerMsg> {
    send(
        ws,
        ClientMsg::Send {
            op,
            data: roundtrip_shared::payload::Payload(text.as_bytes().to_vec()),
        },
    )
    .await;
    let mut got = Vec::new();
    loop {
        match next(ws).await.unwrap() {
            ServerMsg::Data { op: o, data, .. } if o == op => {
                got.extend_from_slice(&data.0);
                if got.len() >= text.len() {
                    return Ok(got);
                }
            }
            ServerMsg::Event(Event {
                kind: EventKind::Sent { .. },
                ..
            }) => {}
            other => return Err(other),
        }
    }
}

#[tokio::test]
async fn a_session_moves_at_most_its_total_bytes_and_goes_on() {
    let relay = relay(Limits {
        session_bytes: 1000,
        ..Limits::local()
    })
    .await;
    let mut ws = open(relay).await;
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    match next(&mut ws).await.unwrap() {
        ServerMsg::Welcome {
            limits: Some(limits),
            ..
        } => assert_eq!(limits.session_bytes, Some(1000)),
        other => panic!("expected a welcome with limits, got {other:?}"),
    }
    connect_echo(&mut ws, 1).await.unwrap();
    let a = "a".repeat(300);
    // 300 out and 300 back: 600 of 1000.
    assert_eq!(echo_text(&mut ws, 1, &a).await.unwrap(), a.as_bytes());
    // 600 more would pass the total: the send is refused, nothing leaves.
    let b = "b".repeat(300);
    let c = "c".repeat(150);
    match echo_text(&mut ws, 1, &(b.clone() + &b)).await {
        Err(ServerMsg::Error { op: Some(1), error }) => {
            assert_eq!(error.code, ErrorCode::LimitReached);
            assert!(error.message.contains("1000 B"), "{}", error.message);
        }
        other => panic!("expected the refusal, got {other:?}"),
    }
    // The connection still works under the total: 150 out and 150 back
    // (900 of 1000).
    assert_eq!(echo_text(&mut ws, 1, &c).await.unwrap(), c.as_bytes());
    let d = "d".repeat(100);
    // 100 out (1000 of 1000): allowed; the 100 back would pass the total, so
    // the relay ends the operation with limit_reached instead.
    send(
        &mut ws,
        ClientMsg::Send {
            op: 1,
            data: roundtrip_shared::payload::Payload(d.into_bytes()),
        },
    )
    .await;
    loop {
        match next(&mut ws).await.unwrap() {
            ServerMsg::Event(Event {
                op: 1,
                kind: EventKind::Failed { error },
                ..
            }) => {
                assert_eq!(error.code, ErrorCode::LimitReached);
                break;
            }
            ServerMsg::Event(Event {
                op: 1,
                kind: EventKind::Sent { .. },
                ..
            }) => {}
            other => panic!("expected the operation to fail at the total, got {other:?}"),
        }
    }
    // The session goes on: operations that move no payload still work.
    send(
        &mut ws,
        ClientMsg::DnsQuery {
            op: 2,
            name: "echo.lab.test".into(),
            rtype: roundtrip_shared::protocol::DnsType::A,
            mode: roundtrip_shared::protocol::DnsMode::Stub,
            server: None,
            timeout_ms: None,
        },
    )
    .await;
    loop {
        match next(&mut ws).await.unwrap() {
            ServerMsg::Event(Event {
                op: 2,
                kind: EventKind::Closed { .. },
                ..
            }) => break,
            ServerMsg::Event(Event {
                op: 2,
                kind: EventKind::Failed { error },
                ..
            }) => panic!("the DNS query failed: {error:?}"),
            _ => {}
        }
    }
}

/// A session from the loopback address 127.0.0.`last` (each address
/// counts as another client).
async fn open_from(relay: SocketAddr, last: u8) -> Ws {
    Client::ungreeted_from(relay, last).await
}

#[tokio::test]
async fn open_sockets_per_address_are_limited_across_its_sessions_and_come_back() {
    let (relay, state) = relay_state(Limits {
        max_open_sockets_per_ip: 3,
        ..Limits::local()
    })
    .await;
    let mut a = open_from(relay, 2).await;
    hello(&mut a).await;
    let mut b = open_from(relay, 2).await;
    hello(&mut b).await;
    assert_eq!(connect_echoes(&mut a, 1..=2).await, [Ok(()), Ok(())]);
    connect_echo(&mut b, 1).await.unwrap();
    // The address's fourth socket, in either session, is one too many...
    assert_eq!(connect_echo(&mut b, 2).await, Err(ErrorCode::LimitReached));
    assert_eq!(connect_echo(&mut a, 3).await, Err(ErrorCode::LimitReached));
    // ... while another address opens its own.
    let mut other = open_from(relay, 3).await;
    hello(&mut other).await;
    connect_echo(&mut other, 1).await.unwrap();
    assert_eq!(state.open_sockets(), 4);
    // A socket closed in one session makes room in the address's other.
    send(&mut a, ClientMsg::Close { op: 1 }).await;
    open_sockets_reach(&state, 3).await;
    connect_echo(&mut b, 4).await.unwrap();
}

#[tokio::test]
async fn lab_connections_per_address_are_limited() {
    let (relay, _state) = relay_state(Limits {
        max_lab_connections_per_ip: 2,
        ..Limits::local()
    })
    .await;
    let mut a = open_from(relay, 2).await;
    hello(&mut a).await;
    assert_eq!(connect_echoes(&mut a, 1..=2).await, [Ok(()), Ok(())]);
    assert_eq!(connect_echo(&mut a, 3).await, Err(ErrorCode::LimitReached));
    // Another address has its own places.
    let mut b = open_from(relay, 3).await;
    hello(&mut b).await;
    connect_echo(&mut b, 1).await.unwrap();
    // A closed one gives its place back.
    send(&mut a, ClientMsg::Close { op: 1 }).await;
    loop {
        if let Ok(ServerMsg::Event(Event {
            op: 1,
            kind: EventKind::Closed { .. },
            ..
        })) = next(&mut a).await
        {
            break;
        }
    }
    // The place goes back when the operation's task ends, just after.
    let mut again = Err(ErrorCode::LimitReached);
    for op in 10..60 {
        again = connect_echo(&mut a, op).await;
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(again, Ok(()));
}
