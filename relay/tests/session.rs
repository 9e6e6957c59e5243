//! The real relay on 127.0.0.1:0, driven by a tokio-tungstenite client the
//! way the browser drives it. Every target is on loopback.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::frame::Frame;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, Closer, DataEncoding, ErrorCode, Event, EventKind, OpId, PROTOCOL_VERSION,
    ResolveSource, ServerMsg,
};
use support::{Client, refusing_port, start_relay};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// Connects and completes the handshake in binary.
async fn greeted(relay: SocketAddr) -> Client {
    let mut client = Client::ungreeted(relay).await;
    hello(&mut client, DataEncoding::Binary).await;
    client
}

/// Completes the handshake; every session here needs the lab echo.
async fn hello(client: &mut Client, data: DataEncoding) {
    client.hello(data).await;
    assert!(
        client.services.iter().any(|s| s.name == "tcp-echo"),
        "{:?}",
        client.services
    );
}

/// The TCP steps these tests take, over the shared client.
trait SessionClient {
    /// The next event of `op`, as (t_us, kind, data); data counts as
    /// `received`.
    async fn next_event(&mut self, op: OpId) -> (u64, EventKind, Vec<u8>);
    /// Opens op on the lab echo and waits for `connected`.
    async fn open_echo(&mut self, op: OpId);
    /// Opens `op` on a server that accepts and never reads; returns its
    /// side of the connection, to hold it open.
    async fn connect_to_a_peer_that_never_reads(&mut self, op: OpId) -> TcpStream;
    /// Sends `payload` in pieces and collects the echo until it is complete.
    async fn echo(&mut self, op: OpId, payload: &[u8], piece: usize) -> Vec<u8>;
}

impl SessionClient for Client {
    async fn next_event(&mut self, op: OpId) -> (u64, EventKind, Vec<u8>) {
        match self.recv().await {
            ServerMsg::Event(Event {
                op: got,
                t_us,
                kind,
            }) if got == op => (t_us, kind, vec![]),
            ServerMsg::Data {
                op: got,
                t_us,
                data,
            } if got == op => (
                t_us,
                EventKind::Received {
                    bytes: data.0.len() as u64,
                },
                data.0,
            ),
            other => panic!("expected an event of op {op}, got {other:?}"),
        }
    }

    async fn open_echo(&mut self, op: OpId) {
        self.send(ClientMsg::TcpConnect {
            faults: None,
            op,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
        loop {
            match self.next_event(op).await.1 {
                EventKind::Connected { .. } => return,
                EventKind::Failed { error } => panic!("echo failed: {error}"),
                _ => {}
            }
        }
    }

    async fn connect_to_a_peer_that_never_reads(&mut self, op: OpId) -> TcpStream {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let accepted = tokio::spawn(async move { server.accept().await.unwrap().0 });
        self.send(ClientMsg::TcpConnect {
            faults: None,
            op,
            target: addr.to_string(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
        while !matches!(self.next_event(op).await.1, EventKind::Connected { .. }) {}
        accepted.await.unwrap()
    }

    async fn echo(&mut self, op: OpId, payload: &[u8], piece: usize) -> Vec<u8> {
        for chunk in payload.chunks(piece) {
            self.send(ClientMsg::Send {
                op,
                data: Payload(chunk.to_vec()),
            })
            .await;
        }
        let (mut sent, mut received) = (0, Vec::new());
        while sent < payload.len() || received.len() < payload.len() {
            match self.next_event(op).await {
                (_, EventKind::Sent { bytes }, _) => sent += bytes as usize,
                (_, EventKind::Received { .. }, data) => received.extend(data),
                (_, other, _) => panic!("unexpected event during echo: {other:?}"),
            }
        }
        assert_eq!(sent, payload.len());
        received
    }
}

#[tokio::test]
async fn echo_round_trip_reports_each_step_in_order() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(client.next_event(1).await);
    }
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"hello".to_vec()),
        })
        .await;
    for _ in 0..2 {
        events.push(client.next_event(1).await);
    }
    client.send(ClientMsg::Close { op: 1 }).await;
    events.push(client.next_event(1).await);

    let kinds: Vec<&EventKind> = events.iter().map(|(_, kind, _)| kind).collect();
    assert!(
        matches!(kinds[0], EventKind::Resolved { source: ResolveSource::Lab, addrs } if addrs.len() == 1)
    );
    assert!(matches!(kinds[1], EventKind::Connecting { .. }));
    let EventKind::Connected { local, remote } = kinds[2] else {
        panic!("expected connected, got {:?}", kinds[2]);
    };
    assert!(local.starts_with("127.0.0.1:") && remote.starts_with("127.0.0.1:"));
    assert_eq!(
        kinds[3],
        &EventKind::Sent { bytes: 5 },
        "sent precedes its echo"
    );
    assert_eq!(kinds[4], &EventKind::Received { bytes: 5 });
    assert_eq!(events[4].2, b"hello");
    assert_eq!(
        kinds[5],
        &EventKind::Closed {
            by: Closer::Browser
        }
    );
    let stamps: Vec<u64> = events.iter().map(|(t, _, _)| *t).collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "stamps go forward: {stamps:?}"
    );
}

#[tokio::test]
async fn an_empty_send_is_refused_and_the_connection_goes_on() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    client.open_echo(1).await;
    client.send_bytes(1, b"").await;
    let message = client.expect_error(Some(1), ErrorCode::NotSupported).await;
    assert!(message.contains("empty send"), "{message}");
    assert_eq!(client.echo(1, b"still here", 64).await, b"still here");
}

/// A peer that said goodbye and closed its socket answers our next bytes
/// with RST: the relay reports it when it comes, not at a later send.
#[tokio::test]
async fn a_reset_after_the_peers_fin_is_reported_when_it_comes() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let (mut stream, _) = server.accept().await.unwrap();
        stream.write_all(b"bye\n").await.unwrap();
        // Dropped: FIN now, RST for whatever arrives later.
    });
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: addr.to_string(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    client
        .until(1, |k| matches!(k, EventKind::PeerClosed))
        .await;
    peer.await.unwrap();
    client.send_bytes(1, b"one").await;
    client
        .until(1, |k| matches!(k, EventKind::Sent { .. }))
        .await;
    // Nothing more is sent: the reset must come on its own.
    let reset = client.next(1).await;
    assert_eq!(reset.kind, EventKind::Reset);
    assert_eq!(
        client.next(1).await.kind,
        EventKind::Closed { by: Closer::Peer }
    );
}

#[tokio::test]
async fn a_second_hello_is_refused_and_the_first_holds() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    client
        .send_json(ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Json,
        })
        .await;
    let message = client.expect_error(None, ErrorCode::NotSupported).await;
    assert!(message.contains("already said hello"), "{message}");
    // Data still comes in binary frames, as the first hello asked.
    client.open_echo(1).await;
    client.send_bytes(1, b"hi").await;
    loop {
        match client.recv_frame().await {
            Frame::Binary(_) => break,
            Frame::Text(text) => assert!(!text.contains("\"data\""), "{text}"),
        }
    }
}

#[tokio::test]
async fn timeouts_out_of_bounds_are_refused_with_the_field_named() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    for (op, ms) in [(1, 0), (2, 999_999_999)] {
        client
            .send(ClientMsg::TcpConnect {
                faults: None,
                op,
                target: "tcp-echo".into(),
                connect_timeout_ms: Some(ms),
                nodelay: false,
            })
            .await;
        let message = client.expect_error(Some(op), ErrorCode::Malformed).await;
        assert!(
            message.starts_with(&format!(
                "connect_timeout_ms is {ms}; it must be between 1 and 60000"
            )),
            "{message}"
        );
    }
    client
        .send(ClientMsg::DnsQuery {
            op: 3,
            name: "echo.lab.test".into(),
            rtype: roundtrip_shared::protocol::DnsType::A,
            mode: Default::default(),
            server: None,
            timeout_ms: Some(60_001),
        })
        .await;
    let message = client.expect_error(Some(3), ErrorCode::Malformed).await;
    assert!(message.starts_with("timeout_ms is 60001"), "{message}");
    // The ids were not taken: the session goes on with them.
    client.open_echo(1).await;
}

#[tokio::test]
async fn a_mebibyte_of_binary_comes_back_exactly() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    client.open_echo(1).await;
    // Every byte value, in an order that is not UTF-8.
    let payload: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i * 7 + i / 251) as u8)
        .collect();
    assert!(std::str::from_utf8(&payload).is_err());
    let echoed = client.echo(1, &payload, 64 * 1024).await;
    assert!(echoed == payload, "echo differs from what was sent");
}

#[tokio::test]
async fn refused_connection_is_typed_and_the_session_goes_on() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    let (_bound, closed) = refusing_port();
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: closed.to_string(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    assert!(matches!(
        client.next_event(1).await.1,
        EventKind::Resolved {
            source: ResolveSource::Literal,
            ..
        }
    ));
    assert_eq!(
        client.next_event(1).await.1,
        EventKind::Connecting {
            addr: closed.to_string()
        }
    );
    match client.next_event(1).await.1 {
        EventKind::Failed { error } => {
            assert_eq!(error.code, ErrorCode::Refused);
            assert!(
                error.message.contains("connection refused"),
                "{}",
                error.message
            );
        }
        other => panic!("expected refused, got {other:?}"),
    }
    // Sending on the failed operation is refused too, politely.
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"x".to_vec()),
        })
        .await;
    client.expect_error(Some(1), ErrorCode::UnknownOp).await;
    // The same session still works, and the id can be used again.
    client.open_echo(1).await;
    assert_eq!(client.echo(1, b"still here", 64).await, b"still here");
}

#[tokio::test]
async fn malformed_frames_get_typed_errors_and_the_session_survives() {
    let relay = start_relay().await;
    let mut client = Client::ungreeted(relay).await;

    client
        .send_raw(Message::Text(
            r#"{"type":"tcp_connect","op":4,"target":"tcp-echo"}"#.into(),
        ))
        .await;
    client.expect_error(Some(4), ErrorCode::ExpectedHello).await;
    client
        .send_raw(Message::Text(r#"{"type":"hello","version":99}"#.into()))
        .await;
    let message = client
        .expect_error(None, ErrorCode::UnsupportedVersion)
        .await;
    assert!(message.contains("version 1"), "{message}");
    hello(&mut client, DataEncoding::Binary).await;

    // A frame that names an operation is refused about it, however
    // malformed the rest, so the client does not wait on that operation.
    for (message, op, code) in [
        (
            Message::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()),
            None,
            ErrorCode::Malformed,
        ),
        (Message::Binary(vec![].into()), None, ErrorCode::Malformed),
        (
            Message::Binary(vec![0x01, 0x00].into()),
            None,
            ErrorCode::Malformed,
        ),
        (
            Message::Text("{{{ not json".into()),
            None,
            ErrorCode::Malformed,
        ),
        (
            Message::Text(r#"{"type":"teleport"}"#.into()),
            None,
            ErrorCode::UnknownType,
        ),
        (
            Message::Text(r#"{"type":"send","op":1,"data":{"base64":"!!"}}"#.into()),
            Some(1),
            ErrorCode::Malformed,
        ),
        (
            Message::Text(r#"{"type":"dns_query","op":11,"name":"x","rtype":"ANY"}"#.into()),
            Some(11),
            ErrorCode::Malformed,
        ),
    ] {
        client.send_raw(message).await;
        client.expect_error(op, code).await;
    }
    client.send(ClientMsg::Close { op: 42 }).await;
    client.expect_error(Some(42), ErrorCode::UnknownOp).await;

    client.open_echo(7).await;
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 7,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    client.expect_error(Some(7), ErrorCode::OpInUse).await;
    assert_eq!(client.echo(7, b"ok", 64).await, b"ok");
}

#[tokio::test]
async fn bad_targets_fail_the_operation_with_a_reason() {
    // (No unresolvable name here: asking the system resolver would send a
    // query off this machine.)
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    for (op, target, code) in [
        (1, "no-port-here", ErrorCode::InvalidTarget),
        (2, "127.0.0.1:0", ErrorCode::InvalidTarget),
    ] {
        client
            .send(ClientMsg::TcpConnect {
                faults: None,
                op,
                target: target.into(),
                connect_timeout_ms: None,
                nodelay: false,
            })
            .await;
        loop {
            match client.next_event(op).await.1 {
                EventKind::Failed { error } => {
                    assert_eq!(error.code, code, "{target}: {}", error.message);
                    break;
                }
                EventKind::Resolving { .. } => {}
                other => panic!("{target}: unexpected {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn json_only_clients_get_data_as_json() {
    let relay = start_relay().await;
    let mut client = Client::ungreeted(relay).await;
    hello(&mut client, DataEncoding::Json).await;
    client.open_echo(1).await;
    client
        .send_raw(Message::Text(
            r#"{"type":"send","op":1,"data":{"text":"hi there"}}"#.into(),
        ))
        .await;
    let mut frames = Vec::new();
    while frames.len() < 2 {
        frames.push(client.recv_frame().await);
    }
    assert!(
        frames.iter().all(|f| matches!(f, Frame::Text(_))),
        "{frames:?}"
    );
    let Frame::Text(data) = &frames[1] else {
        unreachable!()
    };
    assert!(
        data.contains(r#""type":"data""#) && data.contains(r#""data":{"text":"hi there"}"#),
        "{data}"
    );
}

#[tokio::test]
async fn peer_fin_and_peer_reset_are_told_apart() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;

    // A server that says goodbye and closes properly (FIN).
    let polite = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let polite_addr = polite.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = polite.accept().await.unwrap();
        stream.write_all(b"bye\n").await.unwrap();
        stream.shutdown().await.unwrap();
        // Keep reading so our side stays open for the relay's writes.
        let mut sink = tokio::io::sink();
        let _ = tokio::io::copy(&mut stream, &mut sink).await;
    });
    // A server that aborts (RST) after the first byte: SO_LINGER 0 then close.
    let rude = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rude_addr = rude.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = rude.accept().await.unwrap();
        let mut byte = [0u8; 1];
        tokio::io::AsyncReadExt::read_exact(&mut stream, &mut byte)
            .await
            .unwrap();
        stream.set_zero_linger().unwrap();
        drop(stream);
    });

    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: polite_addr.to_string(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    let mut kinds = Vec::new();
    while kinds.last() != Some(&EventKind::PeerClosed) {
        kinds.push(client.next_event(1).await.1);
    }
    assert!(
        kinds.contains(&EventKind::Received { bytes: 4 }),
        "{kinds:?}"
    );
    // Half-closed: we may still send, then close ourselves.
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"ok".to_vec()),
        })
        .await;
    assert_eq!(client.next_event(1).await.1, EventKind::Sent { bytes: 2 });
    client.send(ClientMsg::Close { op: 1 }).await;
    assert_eq!(
        client.next_event(1).await.1,
        EventKind::Closed {
            by: Closer::Browser
        }
    );

    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 2,
            target: rude_addr.to_string(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    while !matches!(client.next_event(2).await.1, EventKind::Connected { .. }) {}
    client
        .send(ClientMsg::Send {
            op: 2,
            data: Payload(b"?".to_vec()),
        })
        .await;
    let mut kinds = Vec::new();
    loop {
        let kind = client.next_event(2).await.1;
        let done = kind.is_terminal();
        kinds.push(kind);
        if done {
            break;
        }
    }
    assert_eq!(kinds[0], EventKind::Sent { bytes: 1 });
    let tail = &kinds[kinds.len() - 2..];
    assert_eq!(
        tail,
        [EventKind::Reset, EventKind::Closed { by: Closer::Peer }],
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&EventKind::PeerClosed),
        "a reset is not a FIN: {kinds:?}"
    );
}

#[tokio::test]
async fn abort_resets_the_connection_and_drops_nothing_else() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    let (read_tx, read_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = server.accept().await.unwrap();
        let mut got = Vec::new();
        let ended = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut got).await;
        let _ = read_tx.send((got, ended.map_err(|e| e.kind())));
    });

    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: addr.to_string(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    while !matches!(client.next_event(1).await.1, EventKind::Connected { .. }) {}
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"hi".to_vec()),
        })
        .await;
    assert_eq!(client.next_event(1).await.1, EventKind::Sent { bytes: 2 });
    client.send(ClientMsg::Abort { op: 1 }).await;
    assert_eq!(client.next_event(1).await.1, EventKind::ResetSent);
    assert_eq!(
        client.next_event(1).await.1,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
    let (got, ended) = read_rx.await.unwrap();
    assert_eq!(got, b"hi", "what was written before the abort arrived");
    assert_eq!(
        ended,
        Err(std::io::ErrorKind::ConnectionReset),
        "the peer reads a reset, not an end of stream"
    );
}

#[tokio::test]
async fn sends_before_connected_are_refused_and_close_cancels_a_connect() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    // A listener whose accept queue is full never answers new SYNs, so the
    // connect hangs without any packet leaving loopback.
    let (full, _held) = full_listener().await;
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: full.to_string(),
            connect_timeout_ms: Some(60_000),
            nodelay: false,
        })
        .await;
    assert!(matches!(
        client.next_event(1).await.1,
        EventKind::Resolved { .. }
    ));
    assert!(matches!(
        client.next_event(1).await.1,
        EventKind::Connecting { .. }
    ));
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"early".to_vec()),
        })
        .await;
    client.expect_error(Some(1), ErrorCode::NotConnected).await;
    client.send(ClientMsg::Close { op: 1 }).await;
    assert_eq!(
        client.next_event(1).await.1,
        EventKind::Closed {
            by: Closer::Browser
        }
    );

    // With a short timeout the same target times out, typed.
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 2,
            target: full.to_string(),
            connect_timeout_ms: Some(200),
            nodelay: false,
        })
        .await;
    loop {
        match client.next_event(2).await.1 {
            EventKind::Failed { error } => {
                assert_eq!(error.code, ErrorCode::TimedOut, "{}", error.message);
                break;
            }
            EventKind::Resolved { .. } | EventKind::Connecting { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A loopback listener with backlog 1 whose queue is already full, and the
/// client sockets that fill it (kept alive by the caller).
async fn full_listener() -> (SocketAddr, Vec<TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    // Leak the listener into a task that never accepts.
    tokio::spawn(async move {
        let _listener = listener;
        std::future::pending::<()>().await;
    });
    let mut held = Vec::new();
    // Fill the accept queue: connects complete until it is full, then hang.
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => return (addr, held),
        }
    }
    panic!("the accept queue of {addr} never filled");
}

#[tokio::test]
async fn shutdown_says_goodbye_to_open_sessions() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let state = AppState::new(Config::default(), Lab::start().await.unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(roundtrip_relay::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut client = greeted(relay).await;
    client.open_echo(1).await;
    stop.send(()).unwrap();
    let close = client.recv_close().await;
    assert_eq!(u16::from(close.code), 1001);
    assert_eq!(close.reason.as_str(), roundtrip_relay::GOING_AWAY_REASON);
    tokio::time::timeout(support::WAIT, server)
        .await
        .expect("serve() returns after shutdown")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_half_closes_and_the_connection_still_receives() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    client.open_echo(1).await;
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"abc".to_vec()),
        })
        .await;
    client.send(ClientMsg::Shutdown { op: 1 }).await;
    // The echo answers our FIN with its own once it has echoed everything.
    let mut kinds = Vec::new();
    let mut received = Vec::new();
    while kinds.last() != Some(&EventKind::PeerClosed) {
        let (_, kind, data) = client.next_event(1).await;
        received.extend(data);
        kinds.push(kind);
    }
    assert_eq!(received, b"abc");
    let at = |wanted: &EventKind| kinds.iter().position(|k| k == wanted).unwrap();
    assert!(
        at(&EventKind::Sent { bytes: 3 }) < at(&EventKind::ShutdownSent),
        "the bytes before the shutdown go first: {kinds:?}"
    );
    assert!(
        at(&EventKind::ShutdownSent) < at(&EventKind::PeerClosed),
        "{kinds:?}"
    );
    // Nothing more can be sent, and the operation goes on.
    client
        .send(ClientMsg::Send {
            op: 1,
            data: Payload(b"late".to_vec()),
        })
        .await;
    client.expect_error(Some(1), ErrorCode::ShutDown).await;
    client.send(ClientMsg::Shutdown { op: 1 }).await;
    client.expect_error(Some(1), ErrorCode::ShutDown).await;
    client.send(ClientMsg::Close { op: 1 }).await;
    assert_eq!(
        client.next_event(1).await.1,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
}

#[tokio::test]
async fn shutdown_while_the_peer_still_talks_keeps_receiving() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    // A server that reads to our FIN, then answers and closes.
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = server.accept().await.unwrap();
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut got)
            .await
            .unwrap();
        stream
            .write_all(format!("you sent {} bytes\n", got.len()).as_bytes())
            .await
            .unwrap();
    });
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 3,
            target: addr.to_string(),
            connect_timeout_ms: None,
            nodelay: true,
        })
        .await;
    while !matches!(client.next_event(3).await.1, EventKind::Connected { .. }) {}
    client
        .send(ClientMsg::Send {
            op: 3,
            data: Payload(b"12345".to_vec()),
        })
        .await;
    client.send(ClientMsg::Shutdown { op: 3 }).await;
    let mut kinds = Vec::new();
    let mut received = Vec::new();
    while kinds.last() != Some(&EventKind::PeerClosed) {
        let (_, kind, data) = client.next_event(3).await;
        received.extend(data);
        kinds.push(kind);
    }
    assert_eq!(received, b"you sent 5 bytes\n", "{kinds:?}");
    assert_eq!(
        &kinds[..2],
        [EventKind::Sent { bytes: 5 }, EventKind::ShutdownSent]
    );
    client.send(ClientMsg::Close { op: 3 }).await;
    assert_eq!(
        client.next_event(3).await.1,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
}

#[tokio::test]
async fn close_drops_what_a_peer_that_stopped_reading_never_took() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    let _held = client.connect_to_a_peer_that_never_reads(1).await;

    // Send until the peer's window and both kernel buffers are full.
    let chunk = vec![7u8; 64 * 1024];
    let (mut offered, mut written) = (0u64, 0u64);
    'fill: for _ in 0..2_000 {
        client
            .send(ClientMsg::Send {
                op: 1,
                data: Payload(chunk.clone()),
            })
            .await;
        offered += chunk.len() as u64;
        while written < offered {
            match client.next_event(1).await.1 {
                EventKind::Sent { bytes } => written += bytes,
                EventKind::SendBlocked { .. } => break 'fill,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(written < offered, "the peer's window never filled");

    // Close: the relay waits a while for the peer, then drops the rest.
    client.send(ClientMsg::Close { op: 1 }).await;
    loop {
        match client.recv().await {
            ServerMsg::Event(Event {
                kind: EventKind::Sent { .. },
                ..
            }) => {}
            ServerMsg::Error { op: Some(1), error } => {
                assert_eq!(error.code, ErrorCode::TimedOut, "{}", error.message);
                assert!(
                    error.message.contains("the peer stopped reading"),
                    "{}",
                    error.message
                );
                break;
            }
            other => panic!("expected the dropped bytes to be reported, got {other:?}"),
        }
    }
    assert_eq!(
        client.next_event(1).await.1,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
    // The session goes on.
    client.open_echo(2).await;
}

#[tokio::test]
async fn a_peer_that_stopped_reading_holds_up_nothing_else() {
    let relay = start_relay().await;
    let mut client = greeted(relay).await;
    let _held = client.connect_to_a_peer_that_never_reads(1).await;

    // A client that ignores flow control: 8 MiB at once to a peer that
    // never reads, far past what the kernel and the relay hold for it.
    for _ in 0..128 {
        client
            .send(ClientMsg::Send {
                op: 1,
                data: Payload(vec![7u8; 64 * 1024]),
            })
            .await;
    }
    // Another connection of the same session still works meanwhile...
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 2,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    let (mut echoed, mut refused, mut dropped, mut closed) = (Vec::new(), 0, false, false);
    while echoed != b"still here" || !closed {
        match client.recv().await {
            ServerMsg::Event(Event {
                op: 2,
                kind: EventKind::Connected { .. },
                ..
            }) => {
                client
                    .send(ClientMsg::Send {
                        op: 2,
                        data: Payload(b"still here".to_vec()),
                    })
                    .await;
            }
            ServerMsg::Data { op: 2, data, .. } => {
                echoed.extend(data.0);
                if echoed == b"still here" {
                    // ...and so does the stuck one's close, which goes
                    // around its queue.
                    client.send(ClientMsg::Close { op: 1 }).await;
                }
            }
            ServerMsg::Error { op: Some(1), error } if error.code == ErrorCode::LimitReached => {
                assert!(error.message.contains("not reading"), "{}", error.message);
                refused += 1;
            }
            ServerMsg::Error { op: Some(1), error } if error.code == ErrorCode::TimedOut => {
                dropped = true
            }
            ServerMsg::Event(Event {
                op: 1,
                kind: EventKind::Closed { by },
                ..
            }) => {
                assert_eq!(by, Closer::Browser);
                closed = true;
            }
            ServerMsg::Error { op, error } => panic!("unexpected error on {op:?}: {error}"),
            _ => {}
        }
    }
    assert!(refused > 0, "sends past what the relay holds are refused");
    assert!(dropped, "what never left is reported");
}
