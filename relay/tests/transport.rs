//! The relay's data path as a transport: how it sets up the connections it
//! accepts, and that payload bytes come through it exactly, whatever their
//! sizes and however they are cut. The real relay on 127.0.0.1:0, a
//! tokio-tungstenite client, and echo servers on loopback.

mod support;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use proptest::prelude::*;
use roundtrip_relay::server::OnAccept;
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, ServerMsg};
use support::{Client, WAIT};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
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

/// A plain TCP echo on loopback (not the lab's, which can inject faults):
/// the relay's data path alone between the test and its bytes.
async fn start_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The largest `send` payload: the relay takes WebSocket messages of up to
/// 256 KiB, and a binary send has a 5-byte header.
const MAX_SEND: usize = 256 * 1024 - 5;

/// Sends `payload` cut at `cuts` through the relay to a loopback echo,
/// paced by `sent` as the page paces (at most 192 KiB and 8 sends
/// unconfirmed), and returns what came back. `json_sends` picks, per
/// piece of up to 64 KiB, the JSON form of `send` instead of the binary
/// frame.
async fn echo_through_relay(
    data: DataEncoding,
    payload: &[u8],
    cuts: &[usize],
    json_sends: &[bool],
) -> Vec<u8> {
    const WINDOW: usize = 192 * 1024;
    const MAX_SENDS: usize = 8;
    let relay = start_relay_with(Config::default()).await;
    let echo = start_echo().await;
    let mut client = Client::greeted(relay, data).await;
    client.connect(1, &echo.to_string()).await;
    let mut pieces = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&payload.len())) {
        let end = cut.clamp(start, payload.len());
        let mut at = start;
        // A cut further than one send can carry is several sends.
        while at < end {
            let until = end.min(at + MAX_SEND);
            pieces.push(&payload[at..until]);
            at = until;
        }
        start = end;
    }
    let mut pieces: VecDeque<&[u8]> = pieces.into();
    let mut on_way: VecDeque<usize> = VecDeque::new();
    let mut echoed = Vec::with_capacity(payload.len());
    let mut sends = 0;
    while echoed.len() < payload.len() {
        let fits = |next: usize, on_way: &VecDeque<usize>| {
            on_way.is_empty()
                || (on_way.len() < MAX_SENDS && on_way.iter().sum::<usize>() + next <= WINDOW)
        };
        if let Some(piece) = pieces.front().copied()
            && fits(piece.len(), &on_way)
        {
            pieces.pop_front();
            let msg = ClientMsg::Send {
                op: 1,
                data: Payload(piece.to_vec()),
            };
            // The JSON form (base64 inside JSON) of a large piece would pass
            // the 256 KiB message limit: JSON only up to the page's 64 KiB.
            let json = json_sends.get(sends).copied().unwrap_or(false) && piece.len() <= 64 * 1024;
            if json {
                client.send_json(msg).await;
            } else {
                client.send(msg).await;
            }
            sends += 1;
            on_way.push_back(piece.len());
            continue;
        }
        match client.recv().await {
            ServerMsg::Data { op: 1, data, .. } => echoed.extend_from_slice(&data.0),
            ServerMsg::Event(event) => match event.kind {
                EventKind::Sent { bytes } => {
                    let mut bytes = bytes as usize;
                    while bytes > 0
                        && let Some(front) = on_way.front_mut()
                    {
                        let n = bytes.min(*front);
                        *front -= n;
                        bytes -= n;
                        if *front == 0 {
                            on_way.pop_front();
                        }
                    }
                }
                EventKind::SendBlocked { .. } => {}
                other => panic!("unexpected event {other:?}"),
            },
            other => panic!("unexpected message {other:?}"),
        }
    }
    echoed
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        // Each case runs a relay; shrinking would run dozens more.
        max_shrink_iters: 16,
        // Integration tests have no source file to keep regressions in.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Payload bytes come back exactly through the relay's data path
    /// (binary and JSON sends, binary and JSON data), whatever the total
    /// (1 B – 256 KiB) and however it is cut into sends.
    #[test]
    fn payload_is_byte_exact_through_the_relay(
        len in 1usize..=256 * 1024,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        json_sends in prop::collection::vec(prop::bool::weighted(0.2), 0..16),
        json_data in prop::bool::weighted(0.25),
        seed in any::<u64>(),
    ) {
        // Bytes that are not UTF-8, so the JSON forms go as base64.
        let payload: Vec<u8> = (0..len as u64)
            .map(|i| (i.wrapping_mul(0x9E37_79B9).wrapping_add(seed) >> 7) as u8)
            .collect();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(len + 1)).collect();
        cuts.sort_unstable();
        let data = if json_data { DataEncoding::Json } else { DataEncoding::Binary };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let echoed = runtime.block_on(echo_through_relay(data, &payload, &cuts, &json_sends));
        prop_assert!(echoed == payload, "{} bytes sent, {} came back, not the same", len, echoed.len());
    }
}
