//! The browser as a server: one session listens through the relay, another
//! (a second tab) connects to it through the relay, and they talk.

mod support;

use std::net::SocketAddr;

use roundtrip_relay::limits::Limits;
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::protocol::{
    ClientMsg, Closer, DataEncoding, ErrorCode, EventKind, FIRST_RELAY_OP,
};
use support::{Client, start_relay};
use tokio::io::AsyncReadExt as _;

/// Starts a listener on `op` and returns the address it listens on.
async fn listen(client: &mut Client, op: u32, port: Option<u16>) -> String {
    client.send(ClientMsg::TcpListen { op, port }).await;
    let EventKind::Bound {
        local,
        remote: None,
    } = client.next(op).await.kind
    else {
        panic!("expected bound");
    };
    assert_eq!(
        client.next(op).await.kind,
        EventKind::Listening {
            addr: local.clone()
        }
    );
    local
}

/// Waits for the listener's `accepted` and the new connection's `connected`.
async fn accepted(server: &mut Client, listener: u32) -> (u32, String) {
    let EventKind::Accepted { conn, peer } = server.next(listener).await.kind else {
        panic!("expected accepted");
    };
    match server.next(conn).await.kind {
        EventKind::Connected { remote, .. } => assert_eq!(remote, peer),
        other => panic!("expected connected, got {other:?}"),
    }
    (conn, peer)
}

/// Reads events of `op` until `bytes` have arrived; returns them.
async fn receive(client: &mut Client, op: u32, bytes: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < bytes {
        let seen = client.next(op).await;
        match seen.kind {
            EventKind::Received { .. } => got.extend(seen.data),
            other => panic!("op {op}: expected data, got {other:?}"),
        }
    }
    got
}

#[tokio::test]
async fn two_tabs_chat_through_a_listener_in_one_of_them() {
    let relay = start_relay().await;
    let mut server = Client::greeted(relay, DataEncoding::Binary).await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;

    let addr = listen(&mut server, 1, None).await;
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    client.connect(1, &addr).await;
    let (conn, peer) = accepted(&mut server, 1).await;
    assert!(conn >= FIRST_RELAY_OP, "relay-chosen id: {conn:#x}");
    assert!(peer.starts_with("127.0.0.1:"), "{peer}");

    // Lines both ways.
    client.send_bytes(1, b"hello from the client\n").await;
    assert_eq!(client.next(1).await.kind, EventKind::Sent { bytes: 22 });
    assert_eq!(
        receive(&mut server, conn, 22).await,
        b"hello from the client\n"
    );
    server.send_bytes(conn, b"hello from the server\n").await;
    assert_eq!(server.next(conn).await.kind, EventKind::Sent { bytes: 22 });
    assert_eq!(
        receive(&mut client, 1, 22).await,
        b"hello from the server\n"
    );

    // Closing the listener leaves the accepted connection open.
    server.send(ClientMsg::Close { op: 1 }).await;
    assert_eq!(
        server.next(1).await.kind,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
    client.send_bytes(1, b"still here\n").await;
    assert_eq!(client.next(1).await.kind, EventKind::Sent { bytes: 11 });
    assert_eq!(receive(&mut server, conn, 11).await, b"still here\n");

    // The client half-closes: the server sees FIN, answers, and closes.
    client.send(ClientMsg::Shutdown { op: 1 }).await;
    assert_eq!(client.next(1).await.kind, EventKind::ShutdownSent);
    assert_eq!(server.next(conn).await.kind, EventKind::PeerClosed);
    server.send_bytes(conn, b"bye\n").await;
    assert_eq!(server.next(conn).await.kind, EventKind::Sent { bytes: 4 });
    server.send(ClientMsg::Close { op: conn }).await;
    assert_eq!(
        server.next(conn).await.kind,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
    assert_eq!(receive(&mut client, 1, 4).await, b"bye\n");
    assert_eq!(client.next(1).await.kind, EventKind::PeerClosed);
    // The connection's operation has ended; its id is unknown now.
    server.send_bytes(conn, b"late").await;
    server.expect_error(Some(conn), ErrorCode::UnknownOp).await;
}

#[tokio::test]
async fn every_connection_gets_its_own_id_and_a_closed_listener_refuses() {
    let relay = start_relay().await;
    let mut server = Client::greeted(relay, DataEncoding::Binary).await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let addr = listen(&mut server, 7, None).await;
    let mut conns = Vec::new();
    for op in 1..=3 {
        client.connect(op, &addr).await;
        conns.push(accepted(&mut server, 7).await.0);
    }
    assert_eq!(
        conns,
        [FIRST_RELAY_OP, FIRST_RELAY_OP + 1, FIRST_RELAY_OP + 2]
    );
    // Each connection is its own: bytes go to the right one.
    for (op, conn) in (1..=3).zip(&conns) {
        client.send_bytes(op, format!("to {conn}").as_bytes()).await;
        client.next(op).await;
        let expected = format!("to {conn}");
        assert_eq!(
            receive(&mut server, *conn, expected.len()).await,
            expected.as_bytes()
        );
    }
    // A listener does not send.
    server.send_bytes(7, b"x").await;
    server.expect_error(Some(7), ErrorCode::NotSupported).await;

    server.send(ClientMsg::Close { op: 7 }).await;
    assert!(server.next(7).await.kind.is_terminal());
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 9,
            target: addr,
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    match client
        .until(9, |k| matches!(k, EventKind::Failed { .. }))
        .await
        .kind
    {
        EventKind::Failed { error } => assert_eq!(error.code, ErrorCode::Refused),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_taken_port_and_a_relay_id_are_refused() {
    let relay = start_relay().await;
    let mut server = Client::greeted(relay, DataEncoding::Binary).await;
    let addr = listen(&mut server, 1, None).await;
    let port: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    server
        .send(ClientMsg::TcpListen {
            op: 2,
            port: Some(port),
        })
        .await;
    match server.next(2).await.kind {
        EventKind::Failed { error } => assert_eq!(error.code, ErrorCode::AddrInUse),
        other => panic!("expected addr_in_use, got {other:?}"),
    }
    server
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: FIRST_RELAY_OP,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    server
        .expect_error(Some(FIRST_RELAY_OP), ErrorCode::OpInUse)
        .await;
    // A chosen free port is used as asked.
    let free = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    assert_eq!(
        listen(&mut server, 3, Some(free)).await,
        format!("127.0.0.1:{free}")
    );
}

/// A relay whose sessions may hold at most `max_ops` operations.
async fn relay_with_max_ops(max_ops: usize) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        limits: Limits {
            max_ops_per_session: max_ops,
            ..Limits::local()
        },
        ..Config::default()
    };
    let state = AppState::new(config, Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));
    addr
}

#[tokio::test]
async fn accepted_connections_count_against_the_sessions_operations() {
    // The listener and one connection fill the session; a second
    // connection is closed and the listener says why.
    let relay = relay_with_max_ops(2).await;
    let mut server = Client::greeted(relay, DataEncoding::Binary).await;
    let addr = listen(&mut server, 1, None).await;
    let _first = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (conn, _) = accepted(&mut server, 1).await;
    let mut second = tokio::net::TcpStream::connect(&addr).await.unwrap();
    server.expect_error(Some(1), ErrorCode::LimitReached).await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(support::WAIT, second.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the refused connection is closed");
    // Room again once the first connection ends.
    server.send(ClientMsg::Close { op: conn }).await;
    assert!(server.next(conn).await.kind.is_terminal());
    let _third = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (third, _) = accepted(&mut server, 1).await;
    assert!(third > conn);
}
