//! Faults injected by the lab services, asked for by the browser: real RSTs,
//! real delays, really lost datagrams and a reader slow enough to close its
//! window, through the real relay over a real WebSocket. Every socket is on
//! loopback.
//!
//! Delays are checked from below only, on the relay's own clock: the lab
//! sleeps at least that long, so the check cannot fail on a busy machine.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::protocol::{
    ClientMsg, Closer, DataEncoding, ErrorCode, EventKind, Faults, HttpRequest, OpId,
};
use support::{Client, Seen};
use tokio::net::TcpListener;

async fn start() -> (Client, AppState) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(Config::default(), Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    (Client::greeted(addr, DataEncoding::Binary).await, state)
}

fn tcp(op: OpId, target: &str, faults: Faults) -> ClientMsg {
    ClientMsg::TcpConnect {
        op,
        target: target.into(),
        connect_timeout_ms: None,
        nodelay: false,
        faults: Some(faults),
    }
}

fn udp(op: OpId, target: Option<&str>, recv_timeout_ms: u64, faults: Faults) -> ClientMsg {
    ClientMsg::UdpOpen {
        op,
        target: target.map(str::to_owned),
        bind_port: None,
        recv_timeout_ms: Some(recv_timeout_ms),
        faults: Some(faults),
    }
}

fn http_get(op: OpId, url: String, faults: Faults) -> ClientMsg {
    ClientMsg::HttpRequest(HttpRequest {
        faults: Some(faults),
        ..HttpRequest::get(op, url)
    })
}

/// Every event of `op` up to and including its terminal one.
async fn to_the_end(client: &mut Client, op: OpId) -> Vec<Seen> {
    let mut seen = Vec::new();
    loop {
        let event = client.next(op).await;
        let end = event.kind.is_terminal();
        seen.push(event);
        if end {
            return seen;
        }
    }
}

/// Waits (boundedly) for every registration to go with its operation.
async fn table_empties(state: &AppState) {
    for _ in 0..200 {
        if state.lab().faults().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} fault registrations outlived their operations",
        state.lab().faults().len()
    );
}

#[tokio::test]
async fn the_echo_resets_after_the_bytes_asked_for() {
    let (mut client, state) = start().await;
    let faults = Faults {
        reset_after_bytes: Some(5),
        ..Faults::default()
    };
    client.send(tcp(1, "tcp-echo", faults)).await;
    client
        .until(1, |k| matches!(k, EventKind::Connected { .. }))
        .await;
    assert_eq!(state.lab().faults().len(), 1);
    client.send_bytes(1, b"hello, world").await;
    let events = to_the_end(&mut client, 1).await;
    let echoed: Vec<u8> = events.iter().flat_map(|e| e.data.clone()).collect();
    assert!(
        events.iter().any(|e| e.kind == EventKind::Reset),
        "{events:?}"
    );
    assert_eq!(
        events.last().unwrap().kind,
        EventKind::Closed { by: Closer::Peer }
    );
    // The echo answered the five bytes it read before it aborted, and no more.
    assert!(b"hello".starts_with(&echoed), "{echoed:?}");
    table_empties(&state).await;

    // The same service without faults echoes everything and stays open.
    client.connect(2, "tcp-echo").await;
    client.send_bytes(2, b"hello, world").await;
    let mut echoed = Vec::new();
    while echoed.len() < 12 {
        let seen = client.next(2).await;
        assert_ne!(seen.kind, EventKind::Reset);
        echoed.extend(seen.data);
    }
    assert_eq!(echoed, b"hello, world");
}

#[tokio::test]
async fn latency_delays_the_echo() {
    let (mut client, state) = start().await;
    let faults = Faults {
        latency_ms: Some(300),
        ..Faults::default()
    };
    client.send(tcp(1, "tcp-echo", faults)).await;
    client
        .until(1, |k| matches!(k, EventKind::Connected { .. }))
        .await;
    client.send_bytes(1, b"ping").await;
    let sent = client
        .until(1, |k| matches!(k, EventKind::Sent { .. }))
        .await;
    let echo = client
        .until(1, |k| matches!(k, EventKind::Received { .. }))
        .await;
    assert_eq!(echo.data, b"ping");
    let waited = echo.t_us - sent.t_us;
    assert!(waited >= 300_000, "the echo came after {waited} µs");
    client.send(ClientMsg::Close { op: 1 }).await;
    to_the_end(&mut client, 1).await;
    table_empties(&state).await;
}

/// A long link carries many pieces at once: a second piece sent 100 ms
/// after the first arrives about 100 ms after it, not a whole second (the
/// latency) later.
#[tokio::test]
async fn latency_delays_each_piece_without_queueing_it_behind_the_last() {
    let (mut client, state) = start().await;
    let faults = Faults {
        latency_ms: Some(1_000),
        ..Faults::default()
    };
    client.send(tcp(1, "tcp-echo", faults)).await;
    client
        .until(1, |k| matches!(k, EventKind::Connected { .. }))
        .await;
    client.send_bytes(1, b"one").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.send_bytes(1, b"two").await;
    let mut echoes = Vec::new();
    while echoes.len() < 2 {
        let seen = client.next(1).await;
        if matches!(seen.kind, EventKind::Received { .. }) {
            echoes.push((seen.t_us, seen.data));
        }
    }
    assert_eq!(
        (&echoes[0].1[..], &echoes[1].1[..]),
        (&b"one"[..], &b"two"[..])
    );
    // One piece after the other would put them a whole latency apart.
    let apart = echoes[1].0 - echoes[0].0;
    assert!(apart < 700_000, "the echoes came {apart} µs apart");
    client.send(ClientMsg::Close { op: 1 }).await;
    to_the_end(&mut client, 1).await;
    table_empties(&state).await;
}

#[tokio::test]
async fn udp_drops_all_none_or_the_same_seeded_few() {
    let (mut client, state) = start().await;
    let drop = |percent, seed| Faults {
        drop_percent: Some(percent),
        drop_seed: seed,
        ..Faults::default()
    };

    // All dropped: the receive timeout fires instead of an answer.
    client
        .send(udp(1, Some("udp-echo"), 300, drop(100, None)))
        .await;
    client
        .until(1, |k| matches!(k, EventKind::Bound { .. }))
        .await;
    client.send_bytes(1, b"lost").await;
    let seen = client
        .until(1, |k| {
            matches!(
                k,
                EventKind::RecvTimeout { .. } | EventKind::DatagramReceived { .. }
            )
        })
        .await;
    assert_eq!(seen.kind, EventKind::RecvTimeout { after_ms: 300 });

    // None dropped: the answer comes, long before a generous timeout.
    client
        .send(udp(2, Some("udp-echo"), 10_000, drop(0, None)))
        .await;
    client
        .until(2, |k| matches!(k, EventKind::Bound { .. }))
        .await;
    client.send_bytes(2, b"kept").await;
    let seen = client
        .until(2, |k| {
            matches!(
                k,
                EventKind::RecvTimeout { .. } | EventKind::DatagramReceived { .. }
            )
        })
        .await;
    assert_eq!(seen.data, b"kept");

    // Half dropped, with one seed on two sockets: the same datagrams come
    // back on both.
    for op in [3, 4] {
        client
            .send(udp(op, Some("udp-echo"), 2_000, drop(50, Some(42))))
            .await;
        client
            .until(op, |k| matches!(k, EventKind::Bound { .. }))
            .await;
    }
    for op in [3, 4] {
        for n in 0..24u8 {
            client.send_bytes(op, &[n]).await;
        }
    }
    let mut answered = [BTreeSet::new(), BTreeSet::new()];
    let mut timed_out = 0;
    while timed_out < 2 {
        let seen = client.next_any().await;
        match seen.kind {
            EventKind::DatagramReceived { .. } => {
                answered[seen.op as usize - 3].insert(seen.data[0]);
            }
            EventKind::RecvTimeout { .. } if [3, 4].contains(&seen.op) => timed_out += 1,
            _ => {}
        }
    }
    assert_eq!(answered[0], answered[1]);
    assert!(
        (1..24).contains(&answered[0].len()),
        "some but not all: {:?}",
        answered[0]
    );
    for op in 1..=4 {
        client.send(ClientMsg::Close { op }).await;
    }
    table_empties(&state).await;
}

#[tokio::test]
async fn a_slow_reader_fills_the_window_and_the_relay_says_so() {
    let (mut client, state) = start().await;
    let faults = Faults {
        read_bytes_per_s: Some(1024),
        ..Faults::default()
    };
    client.send(tcp(1, "tcp-echo", faults)).await;
    client
        .until(1, |k| matches!(k, EventKind::Connected { .. }))
        .await;
    let piece = vec![b'x'; 64 * 1024];
    let (mut offered, mut sent) = (0u64, 0u64);
    let mut blocked = None;
    // Far more than any socket buffer on this path holds.
    for _ in 0..128 {
        client.send_bytes(1, &piece).await;
        offered += piece.len() as u64;
        while let Ok(seen) = tokio::time::timeout(Duration::from_millis(20), client.next(1)).await {
            match seen.kind {
                EventKind::Sent { bytes } => sent += bytes,
                EventKind::SendBlocked { waiting } => blocked = Some(waiting),
                _ => {}
            }
        }
        if blocked.is_some() {
            break;
        }
    }
    let waiting = blocked.expect("the relay reported its sends blocked");
    assert!(waiting > 0);
    assert!(
        sent < offered,
        "a slow reader keeps bytes waiting: {sent} of {offered} written"
    );
    // Closing would first write all that waits, at 1 KiB/s; leaving ends
    // the connection (and its faults) at once.
    drop(client);
    table_empties(&state).await;
}

#[tokio::test]
async fn the_http_lab_delays_and_resets_too() {
    let (mut client, state) = start().await;
    let http = client.service("http-lab").addr.clone();
    let https = client.service("https-lab").addr.clone();

    let slow = Faults {
        latency_ms: Some(300),
        ..Faults::default()
    };
    client
        .send(http_get(1, format!("http://{http}/get"), slow))
        .await;
    let events = to_the_end(&mut client, 1).await;
    let at = |wanted: fn(&EventKind) -> bool| {
        events
            .iter()
            .find(|e| wanted(&e.kind))
            .unwrap_or_else(|| panic!("{events:?}"))
            .t_us
    };
    let written = at(|k| matches!(k, EventKind::RequestWritten { .. }));
    let first = at(|k| matches!(k, EventKind::FirstByte));
    // 300 ms held back; `request_written` is stamped when the relay hears
    // the write went out, which a busy machine may report a little late.
    assert!(first - written >= 250_000, "{} µs", first - written);
    assert!(matches!(
        events.last().unwrap().kind,
        EventKind::Closed { .. }
    ));

    let reset = Faults {
        reset_after_bytes: Some(10),
        ..Faults::default()
    };
    for (op, url) in [
        (2, format!("http://{http}/get")),
        (3, format!("https://{https}/get")),
    ] {
        client.send(http_get(op, url, reset)).await;
        let events = to_the_end(&mut client, op).await;
        let EventKind::Failed { error } = &events.last().unwrap().kind else {
            panic!("{events:?}");
        };
        assert!(
            error.message.contains("reset"),
            "{:?}: {}",
            error.code,
            error.message
        );
        // Plain HTTP meets the RST in the exchange: TCP's doing, named so
        // (and retried as such).
        if op == 2 {
            assert_eq!(error.code, ErrorCode::Reset, "{}", error.message);
        }
    }
    table_empties(&state).await;
}

#[tokio::test]
async fn faults_are_for_the_lab_services_only() {
    let (mut client, state) = start().await;
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere = elsewhere.local_addr().unwrap().to_string();
    let latency = Faults {
        latency_ms: Some(10),
        ..Faults::default()
    };
    for (op, target) in [(1, elsewhere.as_str()), (2, "tcp-chat")] {
        client.send(tcp(op, target, latency)).await;
        let events = to_the_end(&mut client, op).await;
        let EventKind::Failed { error } = &events.last().unwrap().kind else {
            panic!("{events:?}");
        };
        assert_eq!(error.code, ErrorCode::NotSupported);
        assert!(error.message.contains("lab services only"), "{error:?}");
    }
    // Faults that do not fit the service say which would.
    let lossy = Faults {
        drop_percent: Some(10),
        ..Faults::default()
    };
    client.send(tcp(3, "tcp-echo", lossy)).await;
    let events = to_the_end(&mut client, 3).await;
    let EventKind::Failed { error } = &events.last().unwrap().kind else {
        panic!("{events:?}");
    };
    assert!(error.message.contains("for UDP"), "{error:?}");
    // A UDP socket without a target has no lab service to ask.
    client.send(udp(4, None, 100, lossy)).await;
    let events = to_the_end(&mut client, 4).await;
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::Failed { error } if error.code == ErrorCode::NotSupported),
        "{events:?}"
    );
    // The session goes on.
    client.connect(5, "tcp-echo").await;
    assert!(state.lab().faults().is_empty());
}
