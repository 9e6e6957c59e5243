//! The page connects to its own listener: the client and the accepted
//! connection are the two ends of one TCP connection (the same 4-tuple,
//! mirrored), drawn as two lanes joined by the arrows between them.

use super::super::view::{Anchor, LABEL_CHAR_WIDTH, TIME_COLUMN_WIDTH};
use super::super::*;
use crate::protocol::{ClientMsg, Closer, EventKind, ResolveSource};
use crate::testing::TraceBuilder;

const CONN: u32 = 0x8000_0000;

/// Listen (op 1) on `listen`, connect to it (op 2) from `client`; the
/// listener accepts a connection from `peer` on `local`. Then "hi" from
/// the client, "HI" back, the client shuts down, the server closes, the
/// client closes. Events in the order the relay reports them.
fn own_listener(listen: &str, client: &str, peer: &str, target: &str) -> TraceBuilder {
    TraceBuilder::new()
        .request(ClientMsg::TcpListen { op: 1, port: None })
        .event(
            1,
            2,
            EventKind::Bound {
                local: listen.into(),
                remote: None,
            },
        )
        .event(
            1,
            3,
            EventKind::Listening {
                addr: listen.into(),
            },
        )
        .request(ClientMsg::TcpConnect {
            faults: None,
            op: 2,
            target: target.into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .event(
            2,
            5,
            EventKind::Resolved {
                addrs: vec![listen.into()],
                source: ResolveSource::Literal,
            },
        )
        .event(
            2,
            10,
            EventKind::Connecting {
                addr: listen.into(),
            },
        )
        .event(
            2,
            120,
            EventKind::Connected {
                local: client.into(),
                remote: listen.into(),
            },
        )
        .event(
            1,
            130,
            EventKind::Accepted {
                conn: CONN,
                peer: peer.into(),
            },
        )
        .event(
            CONN,
            1,
            EventKind::Connected {
                local: listen.into(),
                remote: peer.into(),
            },
        )
        .request(ClientMsg::Send {
            op: 2,
            data: crate::payload::Payload(b"hi".to_vec()),
        })
        .event(2, 2_000, EventKind::Sent { bytes: 2 })
        .data(CONN, 1_950, b"hi")
        .request(ClientMsg::Send {
            op: CONN,
            data: crate::payload::Payload(b"HI".to_vec()),
        })
        .event(CONN, 3_000, EventKind::Sent { bytes: 2 })
        .data(2, 3_100, b"HI")
        .request(ClientMsg::Shutdown { op: 2 })
        .event(2, 4_000, EventKind::ShutdownSent)
        .event(CONN, 3_950, EventKind::PeerClosed)
        .request(ClientMsg::Close { op: CONN })
        .event(
            CONN,
            4_100,
            EventKind::Closed {
                by: Closer::Browser,
            },
        )
        .event(2, 4_300, EventKind::PeerClosed)
        .request(ClientMsg::Close { op: 2 })
        .event(
            2,
            4_400,
            EventKind::Closed {
                by: Closer::Browser,
            },
        )
}

const LISTEN: &str = "127.0.0.1:5000";
const JOINED_LABEL: &str = "two ends of one TCP connection";

/// Every step of `tl` as `from -> to  label`, lanes by their full names.
fn rows(tl: &Timeline) -> Vec<String> {
    tl.items
        .iter()
        .map(|i| {
            let from = tl.lanes[i.from].full_name();
            if i.is_mark() {
                format!("{from}  {}", i.label)
            } else {
                format!("{from} -> {}  {}", tl.lanes[i.to].full_name(), i.label)
            }
        })
        .collect()
}

#[test]
fn a_connection_to_the_pages_own_listener_is_drawn_as_one_connection() {
    let tl = timeline(&own_listener(LISTEN, "127.0.0.1:40000", "127.0.0.1:40000", LISTEN).build());
    // The client end beside the Relay, then the end the listener accepted.
    assert_eq!(
        tl.describe_lanes(),
        "Browser\nRelay\nClient 127.0.0.1:40000\nTarget 127.0.0.1:5000\n"
    );
    assert_eq!(
        rows(&tl),
        [
            "Browser -> Relay  listen (any free port)",
            "Relay  bound 127.0.0.1:5000",
            "Relay  listening on 127.0.0.1:5000",
            "Browser -> Relay  connect 127.0.0.1:5000",
            "Client 127.0.0.1:40000  = 127.0.0.1:5000 (literal)",
            // The handshake once, between the two ends.
            "Client 127.0.0.1:40000 -> Target 127.0.0.1:5000  SYN → 127.0.0.1:5000",
            "Target 127.0.0.1:5000 -> Client 127.0.0.1:40000  SYN-ACK; connect() returns: 127.0.0.1:40000 ↔ 127.0.0.1:5000",
            // The listener, beside its `listening`, hands it over.
            "Relay  accepted as conn #1",
            "Target 127.0.0.1:5000  accept() returns: two ends of one TCP connection, 40000 ↔ 5000",
            // The client's bytes leave its end and arrive at the accepted
            // socket, which hands them to the page.
            "Browser -> Relay  send \"hi\" (2 B)",
            "Client 127.0.0.1:40000  sent \"hi\" (2 B)",
            "Client 127.0.0.1:40000 -> Target 127.0.0.1:5000  \"hi\" (2 B)",
            "Relay -> Browser  \"hi\" (2 B)",
            // And the answer the other way.
            "Browser -> Relay  send \"HI\" (2 B)",
            "Target 127.0.0.1:5000  sent \"HI\" (2 B)",
            "Target 127.0.0.1:5000 -> Client 127.0.0.1:40000  \"HI\" (2 B)",
            "Relay -> Browser  \"HI\" (2 B)",
            // One FIN each way, drawn where it arrives.
            "Browser -> Relay  shutdown (write side)",
            "Client 127.0.0.1:40000  FIN sent (shutdown)",
            "Client 127.0.0.1:40000 -> Target 127.0.0.1:5000  FIN",
            "Browser -> Relay  close",
            "Target 127.0.0.1:5000  FIN sent (close)",
            "Target 127.0.0.1:5000 -> Client 127.0.0.1:40000  FIN",
            "Browser -> Relay  close",
            "Client 127.0.0.1:40000  close(): FIN already sent",
        ]
    );
    // One arrow per piece of data between the two ends, not two unrelated ones.
    let between_ends = |text: &str| {
        tl.items
            .iter()
            .filter(|i| !i.is_mark() && i.from >= 2 && i.to >= 2 && i.label.contains(text))
            .count()
    };
    assert_eq!((between_ends("\"hi\""), between_ends("\"HI\"")), (1, 1));
}

#[test]
fn the_accepted_ends_marks_are_written_inside_the_diagram() {
    let tl = timeline(&own_listener(LISTEN, "127.0.0.1:40000", "127.0.0.1:40000", LISTEN).build());
    let geometry = Geometry::default();
    let view = Viewport {
        height: 2000.0,
        ..Viewport::default()
    };
    let f = frame(&tl, &geometry, &view);
    let joined = f
        .rows
        .iter()
        .find(|r| r.label.contains(JOINED_LABEL))
        .unwrap();
    // The Target lane is the rightmost: its marks' labels go to its left,
    // and stay inside the diagram and right of the time column.
    assert_eq!(joined.to_lane, tl.lanes.len() - 1);
    assert_eq!(joined.label_anchor, Anchor::End);
    assert!(joined.label_x < joined.x1, "{joined:#?}");
    let text = joined.label.chars().count() as f64 * LABEL_CHAR_WIDTH;
    assert!(joined.label_x - text >= TIME_COLUMN_WIDTH, "{joined:#?}");
    assert!(
        f.rows
            .iter()
            .filter(|r| r.is_mark() && r.label_anchor == Anchor::End)
            .all(|r| r.from == LaneKind::Target),
        "{f:#?}"
    );
    let client_mark = f
        .rows
        .iter()
        .find(|r| r.label == "sent \"hi\" (2 B)")
        .unwrap();
    assert_eq!(client_mark.label_anchor, Anchor::Start);
    // No label runs past the diagram's right edge.
    for row in &f.rows {
        let text = row.label.chars().count() as f64 * LABEL_CHAR_WIDTH;
        let right = match row.label_anchor {
            Anchor::Start => row.label_x + text,
            Anchor::Middle => row.label_x + text / 2.0,
            Anchor::End => row.label_x,
        };
        assert!(right <= f.width, "{row:#?} in {}", f.width);
    }
    let svg = export::svg(&tl, &geometry, &view);
    assert!(
        svg.contains(&format!(
            "x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\"",
            joined.label_x,
            joined.y + 4.0
        )),
        "{svg}"
    );
    // Mermaid notes the join over the accepted end's participant.
    assert!(
        export::mermaid(&tl).contains(
            "Note over L3: accept() returns: two ends of one TCP connection, 40000 ↔ 5000"
        ),
        "{}",
        export::mermaid(&tl)
    );
    insta::assert_snapshot!(f.describe());
    // Nothing else in the echo drawings is written to the left.
    let echo = timeline(
        &TraceBuilder::new()
            .messages(crate::testing::fixtures::echo_exchange(1))
            .build(),
    );
    assert!(!export::svg(&echo, &geometry, &view).contains("text-anchor=\"end\""));
}

/// The drawing of two unrelated connections: the client's steps on the
/// Relay lane towards the listener's address, the accepted connection's
/// between its Client lane and the Relay.
fn assert_not_joined(tl: &Timeline, target: &str, peer: &str) {
    let rows = rows(tl);
    assert!(rows.iter().all(|r| !r.contains(JOINED_LABEL)), "{rows:#?}");
    for expected in [
        format!("Relay -> Target {target}  \"hi\" (2 B)"),
        format!("Client {peer} -> Relay  SYN: accepted as conn #1"),
        format!("Client {peer} -> Relay  \"hi\" (2 B)"),
        format!("Relay -> Client {peer}  SYN-ACK; accept() returns: {LISTEN} ↔ {peer}"),
        format!("Target {target} -> Relay  \"HI\" (2 B)"),
    ] {
        assert!(rows.contains(&expected), "{expected} in {rows:#?}");
    }
    assert!(tl.items.iter().all(|i| !i.is_mark() || i.from < 2));
}

#[test]
fn another_clients_connection_is_not_joined() {
    // The listener accepted a connection from port 40001 (another program):
    // not the other end of the page's connection from port 40000.
    let tl = timeline(&own_listener(LISTEN, "127.0.0.1:40000", "127.0.0.1:40001", LISTEN).build());
    assert_not_joined(&tl, LISTEN, "127.0.0.1:40001");
}

#[test]
fn a_connection_to_a_lab_service_is_not_joined() {
    // The page's connection to the TCP echo leaves from the port an
    // accepted connection came from, but goes to the echo's port, not the
    // listener's: two connections.
    let trace = TraceBuilder::new()
        .messages(crate::testing::fixtures::echo_exchange(2))
        .request(ClientMsg::TcpListen { op: 1, port: None })
        .event(
            1,
            3,
            EventKind::Listening {
                addr: LISTEN.into(),
            },
        )
        .event(
            1,
            90,
            EventKind::Accepted {
                conn: CONN,
                peer: "127.0.0.1:51000".into(),
            },
        )
        .event(
            CONN,
            1,
            EventKind::Connected {
                local: LISTEN.into(),
                remote: "127.0.0.1:51000".into(),
            },
        )
        .data(CONN, 40, b"hi")
        .build();
    let tl = timeline(&trace);
    let rows = rows(&tl);
    assert!(rows.iter().all(|r| !r.contains(JOINED_LABEL)), "{rows:#?}");
    assert!(rows.contains(&"Relay -> Target 127.0.0.1:4000  \"hello\" (5 B)".to_owned()));
    assert!(rows.contains(&"Client 127.0.0.1:51000 -> Relay  \"hi\" (2 B)".to_owned()));
}

#[test]
fn mirrored_addresses_off_loopback_are_not_joined() {
    // A listener is on loopback: a 4-tuple elsewhere is not its connection.
    let tl = timeline(
        &own_listener(
            "10.0.0.1:5000",
            "10.0.0.2:40000",
            "10.0.0.2:40000",
            "10.0.0.1:5000",
        )
        .build(),
    );
    assert!(rows(&tl).iter().all(|r| !r.contains(JOINED_LABEL)));
    assert!(tl.items.iter().all(|i| !i.is_mark() || i.from < 2));
}

#[test]
fn two_clients_of_the_pages_listener_are_each_joined_to_their_end() {
    let mut trace = TraceBuilder::new()
        .request(ClientMsg::TcpListen { op: 1, port: None })
        .event(
            1,
            3,
            EventKind::Listening {
                addr: LISTEN.into(),
            },
        );
    for (n, port) in [(0, 40000), (1, 40001)] {
        let client = format!("127.0.0.1:{port}");
        trace = trace
            .request(ClientMsg::TcpConnect {
                faults: None,
                op: 2 + n,
                target: LISTEN.into(),
                connect_timeout_ms: None,
                nodelay: false,
            })
            .event(
                2 + n,
                10,
                EventKind::Connecting {
                    addr: LISTEN.into(),
                },
            )
            .event(
                2 + n,
                120,
                EventKind::Connected {
                    local: client.clone(),
                    remote: LISTEN.into(),
                },
            )
            .event(
                1,
                130 + u64::from(n),
                EventKind::Accepted {
                    conn: CONN + n,
                    peer: client.clone(),
                },
            )
            .event(
                CONN + n,
                1,
                EventKind::Connected {
                    local: LISTEN.into(),
                    remote: client,
                },
            );
    }
    let trace = trace.data(CONN + 1, 50, b"two").build();
    let tl = timeline(&trace);
    // No Client lane of their own beside the ones the listener named.
    assert_eq!(
        tl.describe_lanes(),
        "Browser\nRelay\nClient 127.0.0.1:40000\nClient 127.0.0.1:40001\nTarget 127.0.0.1:5000\n"
    );
    let rows = rows(&tl);
    for expected in [
        "Client 127.0.0.1:40000 -> Target 127.0.0.1:5000  SYN → 127.0.0.1:5000",
        "Client 127.0.0.1:40001 -> Target 127.0.0.1:5000  SYN → 127.0.0.1:5000",
        "Target 127.0.0.1:5000  accept() returns: two ends of one TCP connection, 40001 ↔ 5000",
        "Client 127.0.0.1:40001 -> Target 127.0.0.1:5000  \"two\" (3 B)",
    ] {
        assert!(
            rows.contains(&expected.to_owned()),
            "{expected} in {rows:#?}"
        );
    }
}
