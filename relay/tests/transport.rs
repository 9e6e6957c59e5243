//! The relay's data path as a transport: how it sets up the connections it
//! accepts, and that payload bytes come through it exactly, whatever their
//! sizes and however they are cut. The real relay on 127.0.0.1:0, a
//! tokio-tungstenite client, and echo servers on loopback.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use roundtrip_relay::server::OnAccept;
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::protocol::DataEncoding;
use support::{Client, WAIT};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

async fn start_relay_with(config: Config) -> SocketAddr {
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

/// Each `send` is answered by two frames back to back (`sent`, then the
/// echoed `data`); with Nagle's algorithm the second waited for the
/// browser's delayed ACK of the first, ~40 ms a round trip. Asserted on the
/// socket the real server accepted, not by timing.
#[tokio::test]
async fn accepted_connections_have_tcp_nodelay() {
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let observe = move |stream: &TcpStream| {
        let _ = seen_tx.send((stream.peer_addr(), stream.nodelay()));
    };
    let relay = start_relay_with(Config {
        on_accept: Some(OnAccept(Arc::new(observe))),
        ..Config::default()
    })
    .await;
    // A whole session runs on the connection.
    let _client = Client::greeted(relay, DataEncoding::Binary).await;
    let (peer, nodelay) = tokio::time::timeout(WAIT, seen.recv())
        .await
        .expect("the relay accepted a connection")
        .expect("the observer lives as long as the relay");
    assert!(peer.unwrap().ip().is_loopback());
    assert!(
        nodelay.unwrap(),
        "the accepted connection must have TCP_NODELAY"
    );
}
