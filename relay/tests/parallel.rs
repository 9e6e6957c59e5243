//! Many operations in one session at once: 200 TCP connections to the lab
//! echo, each sending its own pattern in several pieces, interleaved. Every
//! byte must come back to its own operation, in order.

mod support;

use std::collections::HashMap;

use roundtrip_shared::protocol::{ClientMsg, Closer, DataEncoding, EventKind};
use support::{Client, start_relay};

const OPS: u32 = 200;
const PIECES: usize = 5;
const PIECE: usize = 700;

/// Op `op`'s bytes: its id, then a sequence that differs per op and per
/// position, so that a byte in the wrong op or place is caught.
fn pattern(op: u32) -> Vec<u8> {
    let mut bytes = format!("op {op:03}:").into_bytes();
    let seed = op.wrapping_mul(2_654_435_761);
    bytes.extend(
        (0..(PIECES * PIECE) as u32).map(|i| (seed.wrapping_add(i.wrapping_mul(31)) >> 7) as u8),
    );
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_echoes_lose_and_reorder_nothing() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;

    for op in 1..=OPS {
        client
            .send(ClientMsg::TcpConnect {
                faults: None,
                op,
                target: "tcp-echo".into(),
                connect_timeout_ms: None,
                nodelay: op % 2 == 0,
            })
            .await;
    }
    let mut connected = 0;
    let mut received: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut sent: HashMap<u32, usize> = HashMap::new();
    while connected < OPS {
        let seen = client.next_any().await;
        match seen.kind {
            EventKind::Connected { .. } => connected += 1,
            EventKind::Resolved { .. } | EventKind::Connecting { .. } => {}
            other => panic!("op {}: {other:?} before all connected", seen.op),
        }
    }
    // Interleave: piece 1 of every op, then piece 2 of every op, ...
    let patterns: HashMap<u32, Vec<u8>> = (1..=OPS).map(|op| (op, pattern(op))).collect();
    for piece in 0..=PIECES {
        for op in 1..=OPS {
            let bytes = &patterns[&op];
            let start = (piece * PIECE).min(bytes.len());
            let end = ((piece + 1) * PIECE).min(bytes.len());
            if start < end {
                client.send_bytes(op, &bytes[start..end]).await;
            }
        }
    }
    let total: usize = patterns.values().map(Vec::len).sum();
    let (mut sent_total, mut received_total) = (0, 0);
    while sent_total < total || received_total < total {
        let seen = client.next_any().await;
        match seen.kind {
            EventKind::Sent { bytes } => {
                *sent.entry(seen.op).or_default() += bytes as usize;
                sent_total += bytes as usize;
            }
            EventKind::Received { .. } => {
                received_total += seen.data.len();
                received.entry(seen.op).or_default().extend(seen.data);
            }
            other => panic!("op {}: unexpected {other:?}", seen.op),
        }
    }
    for op in 1..=OPS {
        assert_eq!(sent[&op], patterns[&op].len(), "op {op} sent");
        assert!(
            received[&op] == patterns[&op],
            "op {op} got other bytes back than it sent"
        );
    }
    for op in 1..=OPS {
        client.send(ClientMsg::Close { op }).await;
    }
    let mut closed = 0;
    while closed < OPS {
        let seen = client.next_any().await;
        assert_eq!(
            seen.kind,
            EventKind::Closed {
                by: Closer::Browser
            }
        );
        closed += 1;
    }
}
