//! UDP through the relay: datagrams keep their boundaries and sources,
//! timeouts and ICMP errors are events, oversized datagrams are refused.

mod support;

use roundtrip_shared::frame::Frame;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, Closer, DataEncoding, ErrorCode, EventKind};
use support::{Client, start_relay};
use tokio::net::UdpSocket;

fn open(op: u32, target: Option<&str>) -> ClientMsg {
    ClientMsg::UdpOpen {
        faults: None,
        op,
        target: target.map(str::to_owned),
        bind_port: None,
        recv_timeout_ms: None,
    }
}

/// The `bound` event's local and remote addresses.
async fn bound(client: &mut Client, op: u32) -> (String, Option<String>) {
    match client
        .until(op, |k| matches!(k, EventKind::Bound { .. }))
        .await
        .kind
    {
        EventKind::Bound { local, remote } => (local, remote),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn three_sends_of_five_bytes_come_back_as_three_datagrams_of_five() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let echo = client.service("udp-echo").clone();
    assert_eq!(echo.protocol, "udp");
    client.send(open(1, Some("udp-echo"))).await;
    let (local, remote) = bound(&mut client, 1).await;
    assert!(local.starts_with("127.0.0.1:"), "{local}");
    assert_eq!(remote.as_deref(), Some(echo.addr.as_str()));

    for piece in [b"one..", b"two..", b"three"] {
        client.send_bytes(1, piece).await;
    }
    let (mut sent, mut received) = (Vec::new(), Vec::new());
    while sent.len() < 3 || received.len() < 3 {
        let seen = client.next(1).await;
        match seen.kind {
            EventKind::DatagramSent { to, bytes } => sent.push((to, bytes)),
            EventKind::DatagramReceived { from, bytes } => {
                assert_eq!(bytes as usize, seen.data.len());
                received.push((from, seen.data));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        sent.iter()
            .all(|(to, bytes)| *to == echo.addr && *bytes == 5)
    );
    let from_echo: Vec<(String, Vec<u8>)> = [b"one..", b"two..", b"three"]
        .iter()
        .map(|d| (echo.addr.clone(), d.to_vec()))
        .collect();
    assert_eq!(received, from_echo, "boundaries and order kept");

    client.send(ClientMsg::Close { op: 1 }).await;
    assert_eq!(
        client.next(1).await.kind,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
}

#[tokio::test]
async fn send_to_reaches_other_targets_and_sources_are_reported() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let echo = client.service("udp-echo").addr.clone();
    // A peer of our own that answers from its own address.
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();

    client.send(open(2, None)).await;
    let (local, remote) = bound(&mut client, 2).await;
    assert_eq!(remote, None);
    // No target: send has nowhere to go.
    client.send_bytes(2, b"where?").await;
    client.expect_error(Some(2), ErrorCode::NotConnected).await;

    client
        .send_json(ClientMsg::SendTo {
            op: 2,
            target: "udp-echo".into(),
            data: Payload(b"ping".to_vec()),
        })
        .await;
    client
        .send(ClientMsg::SendTo {
            op: 2,
            target: peer_addr.to_string(),
            data: Payload(b"hi peer".to_vec()),
        })
        .await;
    let mut buf = [0u8; 64];
    let (n, from) = peer.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"hi peer");
    assert_eq!(
        from.to_string(),
        local,
        "datagrams leave from the bound port"
    );
    peer.send_to(b"hello relay", from).await.unwrap();

    let mut sent = Vec::new();
    let mut received = Vec::new();
    while sent.len() < 2 || received.len() < 2 {
        let seen = client.next(2).await;
        match seen.kind {
            EventKind::DatagramSent { to, bytes } => sent.push((to, bytes)),
            EventKind::DatagramReceived { from, .. } => received.push((from, seen.data)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sent, [(echo.clone(), 4), (peer_addr.to_string(), 7)]);
    received.sort();
    let mut expected = vec![
        (echo, b"ping".to_vec()),
        (peer_addr.to_string(), b"hello relay".to_vec()),
    ];
    expected.sort();
    assert_eq!(received, expected);

    // A TCP service is no UDP target.
    client
        .send(ClientMsg::SendTo {
            op: 2,
            target: "tcp-echo".into(),
            data: Payload(b"x".to_vec()),
        })
        .await;
    client.expect_error(Some(2), ErrorCode::InvalidTarget).await;
}

#[tokio::test]
async fn datagrams_travel_as_binary_frames_or_as_json() {
    let relay = start_relay().await;
    for encoding in [DataEncoding::Binary, DataEncoding::Json] {
        let mut client = Client::greeted(relay, encoding).await;
        let echo = client.service("udp-echo").addr.clone();
        client.send(open(1, Some("udp-echo"))).await;
        bound(&mut client, 1).await;
        client.send_bytes(1, b"frame").await;
        assert!(matches!(
            client.next(1).await.kind,
            EventKind::DatagramSent { bytes: 5, .. }
        ));
        let frame = client.recv_frame().await;
        match (encoding, &frame) {
            (DataEncoding::Binary, Frame::Binary(bytes)) => {
                assert_eq!(bytes[0], 0x03);
                assert_eq!(bytes[13] as usize, echo.len());
                assert_eq!(&bytes[14..14 + echo.len()], echo.as_bytes());
                assert_eq!(&bytes[14 + echo.len()..], b"frame");
            }
            (DataEncoding::Json, Frame::Text(text)) => {
                let json: serde_json::Value = serde_json::from_str(text).unwrap();
                assert_eq!(json["type"], "datagram");
                assert_eq!(json["op"], 1);
                assert_eq!(json["from"], echo.as_str());
                assert_eq!(json["data"]["text"], "frame");
                assert!(json["t_us"].is_u64());
            }
            _ => panic!("{encoding:?} got {frame:?}"),
        }
    }
}

#[tokio::test]
async fn a_receive_timeout_is_an_event_and_the_socket_stays_usable() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    client
        .send(ClientMsg::UdpOpen {
            faults: None,
            op: 4,
            target: Some("udp-echo".into()),
            bind_port: None,
            recv_timeout_ms: Some(1_000),
        })
        .await;
    let bound_at = client
        .until(4, |k| matches!(k, EventKind::Bound { .. }))
        .await
        .t_us;
    let timeout = client.next(4).await;
    assert_eq!(timeout.kind, EventKind::RecvTimeout { after_ms: 1_000 });
    assert!(timeout.t_us - bound_at >= 1_000_000, "{timeout:?}");

    client.send_bytes(4, b"still there?").await;
    assert!(matches!(
        client.next(4).await.kind,
        EventKind::DatagramSent { bytes: 12, .. }
    ));
    // A second is far more than a loopback echo takes, even on a busy
    // machine, so the echo comes before the timer fires again.
    let echoed = client.next(4).await;
    assert_eq!(echoed.data, b"still there?");
    // Armed again by the arrival, it fires once more, then waits.
    assert_eq!(
        client.next(4).await.kind,
        EventKind::RecvTimeout { after_ms: 1_000 }
    );
    client.send(ClientMsg::Close { op: 4 }).await;
    assert_eq!(
        client.next(4).await.kind,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
}

#[tokio::test]
async fn oversized_datagrams_are_refused_and_the_largest_one_goes_whole() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    client.send(open(5, Some("udp-echo"))).await;
    bound(&mut client, 5).await;

    client.send_bytes(5, &vec![b'x'; 65_508]).await;
    let message = client.expect_error(Some(5), ErrorCode::TooLarge).await;
    assert!(message.contains("65507"), "{message}");

    let largest: Vec<u8> = (0..65_507u32).map(|i| (i % 251) as u8).collect();
    client.send_bytes(5, &largest).await;
    assert!(matches!(
        client.next(5).await.kind,
        EventKind::DatagramSent { bytes: 65_507, .. }
    ));
    let echoed = client.next(5).await;
    assert!(echoed.data == largest, "the echo is one whole datagram");
}

#[tokio::test]
async fn icmp_port_unreachable_is_a_refused_event() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let (_bound, closed) = support::refusing_udp_port();
    client.send(open(6, Some(&closed.to_string()))).await;
    assert!(matches!(
        client.next(6).await.kind,
        EventKind::Resolved { .. }
    ));
    bound(&mut client, 6).await;
    client.send_bytes(6, b"anyone?").await;
    assert!(matches!(
        client.next(6).await.kind,
        EventKind::DatagramSent { bytes: 7, .. }
    ));
    match client.next(6).await.kind {
        EventKind::Refused { addr, error } => {
            assert_eq!(addr, closed.to_string());
            assert_eq!(error.code, ErrorCode::Refused);
        }
        other => panic!("expected refused, got {other:?}"),
    }
    // Not terminal: the socket still sends (and is refused again).
    client.send_bytes(6, b"again").await;
    assert!(matches!(
        client.next(6).await.kind,
        EventKind::DatagramSent { bytes: 5, .. }
    ));
    assert!(matches!(
        client.next(6).await.kind,
        EventKind::Refused { .. }
    ));
    client.send(ClientMsg::Close { op: 6 }).await;
    assert_eq!(
        client.next(6).await.kind,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
}

#[tokio::test]
async fn bind_port_is_used_and_a_taken_port_is_typed() {
    let relay = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let port = {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.local_addr().unwrap().port()
    };
    client
        .send(ClientMsg::UdpOpen {
            faults: None,
            op: 7,
            target: None,
            bind_port: Some(port),
            recv_timeout_ms: None,
        })
        .await;
    let (local, _) = bound(&mut client, 7).await;
    assert_eq!(local, format!("127.0.0.1:{port}"));
    client
        .send(ClientMsg::UdpOpen {
            faults: None,
            op: 8,
            target: None,
            bind_port: Some(port),
            recv_timeout_ms: None,
        })
        .await;
    match client.next(8).await.kind {
        EventKind::Failed { error } => assert_eq!(error.code, ErrorCode::AddrInUse),
        other => panic!("expected addr_in_use, got {other:?}"),
    }
    // Requests that make no sense for the kind of operation are typed too.
    client.send(ClientMsg::Shutdown { op: 7 }).await;
    client.expect_error(Some(7), ErrorCode::NotSupported).await;
    client.send(open(9, Some("tcp-echo"))).await;
    match client.next(9).await.kind {
        EventKind::Failed { error } => assert_eq!(error.code, ErrorCode::InvalidTarget),
        other => panic!("expected invalid_target, got {other:?}"),
    }
    client.connect(10, "tcp-echo").await;
    client
        .send(ClientMsg::SendTo {
            op: 10,
            target: "udp-echo".into(),
            data: Payload(b"x".to_vec()),
        })
        .await;
    client.expect_error(Some(10), ErrorCode::NotSupported).await;
}
