//! The client address behind a reverse proxy: a spoofed
//! `X-Forwarded-For` from a peer the relay does not trust changes nothing
//! (its sessions all count against the peer's address), while through a
//! trusted proxy (here a test client on 127.0.0.1, configured as one) two
//! clients named by the proxy get a limit each.

mod support;

use std::net::SocketAddr;

use roundtrip_relay::Config;
use roundtrip_relay::client_addr::TrustedProxies;
use roundtrip_relay::limits::Limits;
use roundtrip_shared::protocol::DataEncoding;
use support::{Client, start_relay_with};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// A relay that allows one session per client address and trusts `nets`.
async fn relay_trusting(nets: &[&str]) -> SocketAddr {
    let limits = Limits {
        max_sessions_per_ip: 1,
        ..Limits::local()
    };
    let trusted = TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect());
    start_relay_with(Config {
        limits,
        trusted_proxies: trusted,
        ..Config::default()
    })
    .await
    .0
}

/// A session from 127.0.0.`last` whose request says it forwards for
/// `forwarded_for`: greeted, or the close code it was refused with.
async fn session(relay: SocketAddr, last: u8, forwarded_for: &str) -> Result<Client, u16> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from(([127, 0, 0, last], 0)))
        .unwrap();
    let stream = socket.connect(relay).await.unwrap();
    let mut request = format!("ws://{relay}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    let mut client = Client::over(ws);
    client
        .send(roundtrip_shared::protocol::ClientMsg::Hello {
            version: roundtrip_shared::protocol::PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        })
        .await;
    match client.recv_or_close().await {
        Ok(_welcome) => Ok(client),
        Err((code, _reason)) => Err(code),
    }
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    // Trusts a network the test's peers are not in.
    let relay = relay_trusting(&["10.0.0.0/8"]).await;
    let _first = session(relay, 31, "203.0.113.1")
        .await
        .expect("first session");
    // Another claimed address, same peer: the peer's one place is taken.
    let second = session(relay, 31, "203.0.113.2").await;
    assert_eq!(
        second.err(),
        Some(1013),
        "the header must not open a new limit"
    );
    // A different peer is a different client.
    session(relay, 32, "203.0.113.1")
        .await
        .expect("another peer");
}

#[tokio::test]
async fn through_a_trusted_proxy_two_clients_get_separate_limits() {
    let relay = relay_trusting(&["127.0.0.1/32"]).await;
    // The proxy forwards for two clients: each has its own place.
    let _a = session(relay, 1, "203.0.113.1").await.expect("client A");
    let _b = session(relay, 1, "198.51.100.7, 203.0.113.2")
        .await
        .expect("client B (the right-most untrusted hop)");
    // Client A again is over its limit, though through the same proxy.
    let again = session(relay, 1, "203.0.113.1").await;
    assert_eq!(again.err(), Some(1013), "client A's limit holds");
    // What a client wrote left of its own address is not who it is.
    let spoof = session(relay, 1, "198.51.100.99, 203.0.113.1").await;
    assert_eq!(spoof.err(), Some(1013), "client A cannot rename itself");
}
