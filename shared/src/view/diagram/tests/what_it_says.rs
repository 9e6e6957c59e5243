//! What the diagram's rows say is true to TCP: one FIN per direction, the
//! echo reaches the page, the handshake's step names both ends, and the
//! time column is the session's clock.

use super::super::*;
use crate::protocol::{ClientMsg, Closer, EventKind};
use crate::testing::TraceBuilder;
use crate::testing::fixtures::echo_exchange;

fn labels(tl: &Timeline) -> Vec<&str> {
    tl.items.iter().map(|i| i.label.as_str()).collect()
}

#[test]
fn close_after_shutdown_sends_no_second_fin() {
    // Connect, send, shutdown (FIN), the peer's FIN, then close.
    let mut messages = echo_exchange(1);
    messages.truncate(7);
    let trace = TraceBuilder::new()
        .messages(messages)
        .request(ClientMsg::Shutdown { op: 1 })
        .event(1, 3_000, EventKind::ShutdownSent)
        .event(1, 3_100, EventKind::PeerClosed)
        .request(ClientMsg::Close { op: 1 })
        .event(
            1,
            3_200,
            EventKind::Closed {
                by: Closer::Browser,
            },
        )
        .build();
    let tl = timeline(&trace);
    let fins: Vec<&str> = labels(&tl)
        .into_iter()
        .filter(|l| l.contains("FIN"))
        .collect();
    assert_eq!(fins, ["FIN (shutdown)", "FIN", "close(): FIN already sent"]);
    let close = tl.items.last().unwrap();
    assert!(close.is_mark(), "closing sends nothing more on the wire");
    assert_eq!(close.tone, Tone::Note);
    // Without a shutdown, closing is what sends the FIN.
    let plain = timeline(&TraceBuilder::new().messages(echo_exchange(1)).build());
    assert_eq!(plain.items.last().unwrap().label, "FIN (close)");
}

#[test]
fn an_abort_sends_an_rst_and_no_fin() {
    let mut messages = echo_exchange(1);
    messages.truncate(7);
    let trace = TraceBuilder::new()
        .messages(messages)
        .request(ClientMsg::Abort { op: 1 })
        .event(1, 3_000, EventKind::ResetSent)
        .event(
            1,
            3_100,
            EventKind::Closed {
                by: Closer::Browser,
            },
        )
        .build();
    let tl = timeline(&trace);
    let all = labels(&tl);
    assert!(!all.iter().any(|l| l.contains("FIN (")), "{all:?}");
    let rst = tl.items.iter().find(|i| i.label == "RST (abort)").unwrap();
    assert_eq!(rst.tone, Tone::Error);
    assert!(!rst.is_mark(), "the RST goes on the wire to the peer");
    let close = tl.items.last().unwrap();
    assert_eq!(close.label, "closed: RST sent, no FIN");
    assert!(close.is_mark());
}

#[test]
fn the_echo_travels_on_to_the_browser() {
    let tl = timeline(&TraceBuilder::new().messages(echo_exchange(1)).build());
    let lane = |i: usize| tl.lanes[i].kind;
    let hops: Vec<(LaneKind, LaneKind)> = tl
        .items
        .iter()
        .filter(|i| i.label.contains("\"hello\""))
        .map(|i| (lane(i.from), lane(i.to)))
        .collect();
    // The round trip ends where it began.
    assert_eq!(
        hops,
        [
            (LaneKind::Browser, LaneKind::Relay),
            (LaneKind::Relay, LaneKind::Target),
            (LaneKind::Target, LaneKind::Relay),
            (LaneKind::Relay, LaneKind::Browser),
        ]
    );
}

#[test]
fn the_handshake_row_names_both_ends_and_when_connect_returns() {
    let tl = timeline(&TraceBuilder::new().messages(echo_exchange(1)).build());
    assert!(
        labels(&tl).contains(&"SYN-ACK; connect() returns: 127.0.0.1:51000 ↔ 127.0.0.1:4000"),
        "{:?}",
        labels(&tl)
    );
}

#[test]
fn the_time_column_is_session_time_and_never_runs_backwards() {
    // A listener waits 1.7 s for its client; the accepted connection's
    // own clock starts at 0 then.
    let trace = TraceBuilder::new()
        .seen_at(0.0)
        .request(ClientMsg::TcpListen { op: 1, port: None })
        .event(
            1,
            20,
            EventKind::Listening {
                addr: "127.0.0.1:5000".into(),
            },
        )
        .seen_at(1735.1)
        .event(
            1,
            1_735_021,
            EventKind::Accepted {
                conn: 0x8000_0000,
                peer: "127.0.0.1:40000".into(),
            },
        )
        .event(
            0x8000_0000,
            26,
            EventKind::Connected {
                local: "127.0.0.1:5000".into(),
                remote: "127.0.0.1:40000".into(),
            },
        )
        .build();
    let tl = timeline(&trace);
    let f = frame(&tl, &Geometry::default(), &Viewport::default());
    let times: Vec<&str> = f.rows.iter().map(|r| r.time.as_str()).collect();
    assert_eq!(times, ["0.000 ms", "0.020 ms", "1.735 s", "1.735 s"]);
    // The operation's own clock is in the hover.
    let synack = f.rows.last().unwrap();
    assert!(
        synack
            .title
            .contains("0.026 ms into the operation, by the relay's clock"),
        "{}",
        synack.title
    );
}

#[test]
fn https_wire_bytes_are_named_as_tls_records() {
    use crate::payload::Payload;
    use crate::protocol::{HttpRequest, WireDir};
    let wire = |dir, bytes: Vec<u8>| EventKind::Wire {
        dir,
        bytes: Payload(bytes),
    };
    // A ClientHello record (5-byte header, 4-byte message header, body).
    let mut hello = vec![22, 3, 1, 0, 104, 1, 0, 0, 100];
    hello.extend([0; 100]);
    let mut answer = vec![23, 3, 3, 4, 176];
    answer.extend([0x5a; 1200]);
    let trace = TraceBuilder::new()
        .request(ClientMsg::HttpRequest(HttpRequest::get(
            1,
            "https://www.lab.test/json",
        )))
        .event(1, 10, wire(WireDir::Out, hello))
        .event(1, 20, wire(WireDir::In, answer))
        .request(ClientMsg::HttpRequest(HttpRequest::get(
            2,
            "http://www.lab.test/json",
        )))
        .event(
            2,
            10,
            wire(
                WireDir::Out,
                b"GET /json HTTP/1.1\r\nhost: www.lab.test\r\n\r\n".to_vec(),
            ),
        )
        .build();
    let tl = timeline(&trace);
    let labels = labels(&tl);
    assert_eq!(labels[1], "TLS handshake: ClientHello, 109 B");
    assert_eq!(labels[2], "application data, 1.2 KiB");
    assert_eq!(
        labels[4], "wire \"GET /json HTTP/1.1\\r\\nhost…\" (42 B)",
        "plain text: a short preview"
    );
}
