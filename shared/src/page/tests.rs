//! The page model driven by the messages of real exchanges, as the app
//! feeds it: natively, through the one entry production uses.

use super::reconnect::{Reconnecting, reconnect_wait_ms};
use super::*;
use crate::lifecycle::SocketState;
use crate::pacing::{MAX_SEND_CHUNK, split_sends};
use crate::payload::Payload;
use crate::protocol::{ClientMsg, ErrorCode, EventKind, PROTOCOL_VERSION, RelayError, ServerMsg};
use crate::recording::Message;
use crate::testing::fixtures::{echo_exchange, echo_service, event};

/// The page's clock for these tests (any value: only differences count).
const NOW: f64 = 1_795_644_000_000.0;

fn welcomed() -> State {
    let mut state = State::default();
    welcome(&mut state);
    state
}

/// The link opens and the relay welcomes the page, offering the echo.
fn welcome(state: &mut State) {
    welcome_with(state, None);
}

/// [`welcome`], with the session's limits.
fn welcome_with(state: &mut State, limits: Option<crate::protocol::SessionLimits>) {
    state.apply(NOW, Action::Relay(Notice::Opened));
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            relay: "roundtrip 0.1.0".into(),
            services: vec![echo_service()],
            limits,
        })),
    );
}

fn feed(state: &mut State, exchange: Vec<Message>) {
    for msg in exchange {
        state.apply(
            NOW,
            match msg {
                Message::Out(request) => Action::Requested(request),
                Message::In(reply) => Action::Relay(Notice::Message(reply)),
            },
        );
    }
}

#[test]
fn the_relay_link_goes_from_connecting_to_connected() {
    let mut state = State::default();
    assert_eq!(state.relay.label(), "connecting…");
    assert!(!state.can_connect());
    state.apply(NOW, Action::Relay(Notice::Opened));
    assert_eq!(state.relay.label(), "connecting…");
    let state = welcomed();
    assert_eq!(state.relay.label(), "connected");
    assert_eq!(state.services, vec![echo_service()]);
    assert!(state.can_connect());
    assert!(!state.can_send() && !state.can_close());
    assert_eq!(state.socket_state(), SocketState::Idle);
    assert!(state.errors().is_empty());
}

#[test]
fn an_echo_session_then_a_second_connection_in_the_same_trace() {
    let mut state = welcomed();
    let mut exchange = echo_exchange(state.next_op);
    let tail = exchange.split_off(4); // up to and including `connected`
    feed(&mut state, exchange);
    assert_eq!(state.current.map(|c| c.op), Some(1));
    assert_eq!(state.next_op, 2);
    assert_eq!(state.socket_state(), SocketState::Connected);
    // A second connection may open beside this one.
    assert!(state.can_send() && state.can_close() && state.can_connect());
    assert_eq!(state.op_for_requests(), Some(1));

    feed(&mut state, tail);
    assert_eq!(state.received(), b"hello");
    assert_eq!(
        state.socket_path(),
        [
            SocketState::Idle,
            SocketState::Connecting,
            SocketState::Connected,
            SocketState::Closed
        ]
    );
    assert!(state.can_connect() && !state.can_send() && !state.can_close());
    assert_eq!(state.trace.steps().len(), 9);

    // A new Connect is a new operation; the trace keeps the old one.
    let second = echo_exchange(state.next_op)[..2].to_vec();
    feed(&mut state, second);
    assert_eq!(state.current.map(|c| c.op), Some(2));
    assert_eq!(state.next_op, 3);
    assert!(state.received().is_empty(), "received is per operation");
    // A lab service needs no lookup: still idle until the SYN goes out.
    assert_eq!(state.socket_state(), SocketState::Idle);
    assert_eq!(state.trace.steps().len(), 11);
}

#[test]
fn a_refused_connection_shows_the_relays_message() {
    let mut state = welcomed();
    state.apply(
        NOW,
        Action::Requested(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: "127.0.0.1:9".into(),
            connect_timeout_ms: None,
            nodelay: false,
        }),
    );
    for msg in [
        event(
            1,
            2,
            EventKind::Connecting {
                addr: "127.0.0.1:9".into(),
            },
        ),
        event(
            1,
            90,
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "connection refused"),
            },
        ),
    ] {
        state.apply(NOW, Action::Relay(Notice::Message(msg)));
    }
    assert_eq!(state.socket_state(), SocketState::Refused);
    assert_eq!(state.socket_state().label(), "refused");
    assert_eq!(state.errors(), ["connection refused"]);
    assert!(state.can_connect() && !state.can_close());
}

#[test]
fn session_errors_show_until_the_next_connect_and_rejections_stay_with_their_op() {
    let mut state = welcomed();
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Error {
            op: None,
            error: RelayError::new(ErrorCode::Malformed, "not valid JSON"),
        })),
    );
    assert_eq!(state.errors(), ["not valid JSON"]);
    assert!(state.trace.is_empty(), "session errors are not trace steps");

    feed(&mut state, echo_exchange(1)[..4].to_vec());
    assert!(state.errors().is_empty());
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Error {
            op: Some(1),
            error: RelayError::new(ErrorCode::OpInUse, "operation 1 is still running"),
        })),
    );
    assert_eq!(state.errors(), ["operation 1 is still running"]);
}

#[test]
fn losing_the_relay_cuts_off_the_open_socket_and_reconnecting_allows_a_new_one() {
    let mut state = welcomed();
    feed(&mut state, echo_exchange(1)[..4].to_vec());
    state.apply(
        NOW,
        Action::Relay(Notice::Closed {
            code: Some(1006),
            reason: "lost the connection to the relay (WebSocket code 1006)".into(),
        }),
    );
    assert_eq!(state.relay.label(), "disconnected");
    assert!(state.current.is_some_and(|c| c.cut_off));
    assert!(!state.can_send() && !state.can_close() && !state.can_connect());
    assert_eq!(
        state.errors(),
        ["lost the connection to the relay (WebSocket code 1006)"]
    );

    // 1006 is the browser's "no close frame": nothing the relay explains.
    assert_eq!(state.shown_errors()[0].explanation, None);

    state.apply(NOW, Action::RelayConnecting);
    assert_eq!(state.relay, RelayLink::Connecting);
    welcome(&mut state);
    assert!(state.can_connect());
    assert_eq!(state.next_op, 2, "op ids keep growing across links");
}

#[test]
fn a_welcome_in_another_protocol_version_is_reported() {
    let mut state = State::default();
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Welcome {
            version: PROTOCOL_VERSION + 1,
            relay: "future".into(),
            services: vec![],
            limits: None,
        })),
    );
    assert_eq!(state.errors().len(), 1);
    assert!(state.errors()[0].contains("protocol version"));
}

#[test]
fn large_sends_leave_in_chunks_of_at_most_64_kib() {
    let data: Vec<u8> = (0..150 * 1024).map(|i| (i % 251) as u8).collect();
    let parts = split_sends(ClientMsg::Send {
        op: 7,
        data: Payload(data.clone()),
    });
    let sizes: Vec<usize> = parts
        .iter()
        .map(|part| match part {
            ClientMsg::Send { op: 7, data } => data.0.len(),
            other => panic!("not a send on op 7: {other:?}"),
        })
        .collect();
    assert_eq!(sizes, [MAX_SEND_CHUNK, MAX_SEND_CHUNK, 22 * 1024]);
    let joined: Vec<u8> = parts
        .into_iter()
        .flat_map(|part| match part {
            ClientMsg::Send { data, .. } => data.0,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(joined, data);

    let small = ClientMsg::Send {
        op: 7,
        data: Payload(b"hi".to_vec()),
    };
    assert_eq!(split_sends(small.clone()), [small]);
    let close = ClientMsg::Close { op: 7 };
    assert_eq!(split_sends(close.clone()), [close]);
}

#[test]
fn chunked_sends_are_each_confirmed_in_the_trace() {
    let mut state = welcomed();
    feed(&mut state, echo_exchange(1)[..4].to_vec());
    let parts = split_sends(ClientMsg::Send {
        op: 1,
        data: Payload(vec![b'x'; MAX_SEND_CHUNK + 10]),
    });
    for part in parts {
        state.apply(NOW, Action::Requested(part));
    }
    for bytes in [MAX_SEND_CHUNK as u64, 10] {
        state.apply(
            NOW,
            Action::Relay(Notice::Message(event(1, 3_000, EventKind::Sent { bytes }))),
        );
    }
    let confirmed: Vec<usize> = state
        .trace
        .steps()
        .iter()
        .filter_map(|step| match &step.kind {
            crate::trace::StepKind::Event {
                kind: EventKind::Sent { .. },
                payload: Some(payload),
            } => Some(payload.len()),
            _ => None,
        })
        .collect();
    assert_eq!(confirmed, [MAX_SEND_CHUNK, 10]);
}

#[test]
fn sends_that_wait_in_the_page_are_recorded_when_they_leave() {
    let mut state = welcomed();
    feed(&mut state, echo_exchange(1)[..4].to_vec());
    let chunk = |n: u8| ClientMsg::Send {
        op: 1,
        data: Payload(vec![n; 10]),
    };
    state.apply(NOW + 10.0, Action::Requested(chunk(1)));
    state.apply(
        NOW + 10.0,
        Action::Relay(Notice::Waiting {
            op: 1,
            bytes: 20,
            shutdown: false,
        }),
    );
    assert_eq!(state.waiting_to_send().bytes, 20);
    let recorded = state.recorder.len();

    // The relay wrote the first: the two that waited leave, and are
    // recorded then, after the `sent` that made room.
    state.apply(
        NOW + 50.0,
        Action::Relay(Notice::Message(event(
            1,
            3_000,
            EventKind::Sent { bytes: 10 },
        ))),
    );
    state.apply(
        NOW + 50.0,
        Action::Relay(Notice::Left(vec![chunk(2), chunk(3)])),
    );
    state.apply(
        NOW + 50.0,
        Action::Relay(Notice::Waiting {
            op: 1,
            bytes: 0,
            shutdown: false,
        }),
    );
    assert_eq!(state.waiting_to_send(), Held::default());
    let snapshot = state.recorder.snapshot();
    let tail: Vec<_> = snapshot.entries[recorded..]
        .iter()
        .map(|e| (e.at_ms, e.message.clone()))
        .collect();
    use crate::recording::Message;
    assert_eq!(
        tail,
        [
            (
                50.0,
                Message::In(event(1, 3_000, EventKind::Sent { bytes: 10 }))
            ),
            (50.0, Message::Out(chunk(2))),
            (50.0, Message::Out(chunk(3))),
        ]
    );

    // A shutdown waiting behind bytes closes the sending side for Send.
    assert!(state.can_send());
    state.apply(
        NOW,
        Action::Relay(Notice::Waiting {
            op: 1,
            bytes: 64,
            shutdown: true,
        }),
    );
    assert!(!state.can_send() && !state.can_shutdown());
    // Bytes dropped on a close are said, with the connection.
    state.apply(
        NOW,
        Action::Relay(Notice::NotSent {
            op: 1,
            bytes: 64,
            why: "you closed the connection first".into(),
        }),
    );
    assert_eq!(state.waiting_to_send(), Held::default());
    assert_eq!(
        state.session_errors,
        ["op 1: 64 B waiting in the page were never sent: you closed the connection first"]
    );
}

#[test]
fn the_relay_lives_at_ws_on_the_pages_own_origin() {
    assert_eq!(
        relay_url("http:", "127.0.0.1:8080"),
        "ws://127.0.0.1:8080/ws"
    );
    assert_eq!(relay_url("https:", "lab.example"), "wss://lab.example/ws");
}

fn udp_service() -> crate::protocol::Service {
    crate::protocol::Service {
        name: "udp-echo".into(),
        label: "UDP echo (built-in)".into(),
        protocol: "udp".into(),
        addr: "127.0.0.1:4001".into(),
    }
}

#[test]
fn services_are_told_apart_by_protocol() {
    let mut state = welcomed();
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            relay: "roundtrip 0.1.0".into(),
            services: vec![echo_service(), udp_service()],
            limits: None,
        })),
    );
    assert_eq!(state.services_of("tcp"), [echo_service()]);
    assert_eq!(state.services_of("udp"), [udp_service()]);
}

#[test]
fn a_udp_socket_next_to_a_tcp_connection() {
    let mut state = welcomed();
    feed(&mut state, echo_exchange(1)[..4].to_vec());
    assert!(state.can_open_udp() && !state.can_send_udp());
    state.apply(
        NOW,
        Action::Requested(ClientMsg::UdpOpen {
            faults: None,
            op: state.next_op,
            target: Some("udp-echo".into()),
            bind_port: None,
            recv_timeout_ms: None,
        }),
    );
    assert_eq!(state.udp.map(|u| u.op), Some(2));
    assert_eq!(state.next_op, 3);
    assert_eq!(state.current.map(|c| c.op), Some(1), "the TCP op stays");
    assert!(!state.can_open_udp() && state.can_close_udp() && !state.can_send_udp());
    for msg in [
        event(
            2,
            5,
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: Some("127.0.0.1:4001".into()),
            },
        ),
        ServerMsg::Datagram {
            op: 2,
            t_us: 9,
            from: "127.0.0.1:4001".into(),
            data: Payload(b"ping".to_vec()),
        },
    ] {
        state.apply(NOW, Action::Relay(Notice::Message(msg)));
    }
    assert_eq!(state.udp_state(), SocketState::Bound);
    assert_eq!(state.udp_op(), Some(2));
    assert!(state.can_send_udp());
    assert_eq!(
        state.udp_addresses(),
        Some(("127.0.0.1:5000".into(), Some("127.0.0.1:4001".into())))
    );
    assert_eq!(
        state.datagrams(),
        [("127.0.0.1:4001".to_owned(), b"ping".to_vec())]
    );
    assert!(state.received().is_empty(), "datagrams are not TCP bytes");
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Error {
            op: Some(2),
            error: RelayError::new(
                ErrorCode::TooLarge,
                "a UDP datagram carries at most 65507 bytes",
            ),
        })),
    );
    assert_eq!(
        state.errors(),
        ["a UDP datagram carries at most 65507 bytes"]
    );
}

#[test]
fn a_listener_lists_its_connections_until_the_relay_link_ends() {
    let mut state = welcomed();
    let conn = crate::protocol::FIRST_RELAY_OP;
    state.apply(
        NOW,
        Action::Requested(ClientMsg::TcpListen { op: 1, port: None }),
    );
    assert!(!state.can_listen());
    for msg in [
        event(
            1,
            2,
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: None,
            },
        ),
        event(
            1,
            3,
            EventKind::Listening {
                addr: "127.0.0.1:5000".into(),
            },
        ),
        event(
            1,
            900,
            EventKind::Accepted {
                conn,
                peer: "127.0.0.1:40000".into(),
            },
        ),
        event(
            conn,
            1,
            EventKind::Connected {
                local: "127.0.0.1:5000".into(),
                remote: "127.0.0.1:40000".into(),
            },
        ),
        ServerMsg::Data {
            op: conn,
            t_us: 50,
            data: Payload(b"hi server\n".to_vec()),
        },
    ] {
        state.apply(NOW, Action::Relay(Notice::Message(msg)));
    }
    assert_eq!(state.listener_state(), SocketState::Listening);
    assert_eq!(state.listening_on().as_deref(), Some("127.0.0.1:5000"));
    let conns = state.accepted_connections();
    assert_eq!(conns.len(), 1);
    assert_eq!(
        (conns[0].op, conns[0].peer.as_str()),
        (conn, "127.0.0.1:40000")
    );
    assert_eq!(conns[0].state, SocketState::Connected);
    assert_eq!(conns[0].received, b"hi server\n");
    assert!(conns[0].can_send && conns[0].can_close);
    // Talking on the relay's id does not move the page's own count.
    state.apply(
        NOW,
        Action::Requested(ClientMsg::Send {
            op: conn,
            data: Payload(b"hi client\n".to_vec()),
        }),
    );
    assert_eq!(state.next_op, 2);

    // Stopping the listener leaves the connection.
    state.apply(NOW, Action::Requested(ClientMsg::Close { op: 1 }));
    state.apply(
        NOW,
        Action::Relay(Notice::Message(event(
            1,
            2_000,
            EventKind::Closed {
                by: crate::protocol::Closer::Browser,
            },
        ))),
    );
    assert!(state.can_listen() && state.listening_on().is_none());
    assert!(state.accepted_connections()[0].can_send);

    // A new relay session numbers its connections afresh: the old ones go.
    state.apply(
        NOW,
        Action::Relay(Notice::Closed {
            code: None,
            reason: "gone".into(),
        }),
    );
    assert!(!state.accepted_connections()[0].can_send);
    state.apply(NOW, Action::RelayConnecting);
    assert!(state.accepted_connections().is_empty());
}

#[test]
fn the_quota_line_shows_what_the_session_uses_of_its_limits() {
    let mut state = State::default();
    assert_eq!(state.quota(), None, "nothing to show before the welcome");
    welcome_with(
        &mut state,
        Some(crate::protocol::SessionLimits {
            session_bytes: Some(1024),
            max_ops: 16,
            ops_per_second: 5,
            bytes_out_per_minute: Some(1024 * 1024),
            bytes_in_per_minute: None,
            session_idle_s: 300,
            session_lifetime_s: 1800,
        }),
    );
    let mut exchange = echo_exchange(state.next_op);
    let tail = exchange.split_off(4); // up to `connected`: the op is open
    feed(&mut state, exchange);
    assert_eq!(
        state.quota().as_deref(),
        Some(
            "1 of 16 operations open · sent 0 B, received 0 B · at most 5 new per second · 1 MiB/min out · 1 KiB of 1 KiB left"
        )
    );
    feed(&mut state, tail);
    assert_eq!(
        state.quota().as_deref(),
        Some(
            "0 of 16 operations open · sent 5 B, received 5 B · at most 5 new per second · 1 MiB/min out · 1014 B of 1 KiB left"
        )
    );
}

#[test]
fn a_batch_of_messages_is_taken_as_each_one_in_order() {
    // The socket hands over whatever has arrived in one notice; the page
    // must end up exactly where it would one message at a time, with the
    // recording keeping every message.
    let exchange = echo_exchange(1);
    let mut one_by_one = welcomed();
    let mut batched = welcomed();
    let mut replies = Vec::new();
    for msg in exchange {
        match msg {
            Message::Out(request) => {
                if !replies.is_empty() {
                    batched.apply(
                        NOW + 10.0,
                        Action::Relay(Notice::Messages(std::mem::take(&mut replies))),
                    );
                }
                one_by_one.apply(NOW + 10.0, Action::Requested(request.clone()));
                batched.apply(NOW + 10.0, Action::Requested(request));
            }
            Message::In(reply) => {
                one_by_one.apply(NOW + 10.0, Action::Relay(Notice::Message(reply.clone())));
                replies.push(reply);
            }
        }
    }
    batched.apply(NOW + 10.0, Action::Relay(Notice::Messages(replies)));
    assert_eq!(batched.trace, one_by_one.trace);
    assert_eq!(batched.recorder.len(), one_by_one.recorder.len());
    // The clock is passed in, so the two recordings are the same, dates
    // included.
    assert_eq!(batched.recorder.snapshot(), one_by_one.recorder.snapshot());
    assert_eq!(batched.socket_state(), one_by_one.socket_state());
}

#[test]
fn two_chat_clients_in_one_page_and_the_panels_act_on_the_picked_one() {
    let mut state = welcomed();
    feed(&mut state, echo_exchange(1)[..4].to_vec());
    feed(&mut state, echo_exchange(2)[..4].to_vec());
    // The newest connection is current; both are listed.
    assert_eq!(state.op_for_requests(), Some(2));
    let listed: Vec<u32> = state.connections().iter().map(|c| c.op).collect();
    assert_eq!(listed, [1, 2]);
    assert!(
        state.connections()[0]
            .label
            .starts_with("#1 tcp-echo · 127.0.0.1:51000 → 127.0.0.1:4000"),
        "{:?}",
        state.connections()
    );
    state.apply(NOW, Action::SelectConnection(1));
    assert_eq!(state.op_for_requests(), Some(1));
    // Something that is not an open connection of this page is ignored.
    state.apply(NOW, Action::SelectConnection(77));
    assert_eq!(state.op_for_requests(), Some(1));
    // Closing the picked one leaves it shown (closed) and the other open.
    feed(&mut state, echo_exchange(1)[7..].to_vec());
    assert_eq!(state.socket_state(), SocketState::Closed);
    let listed: Vec<u32> = state.connections().iter().map(|c| c.op).collect();
    assert_eq!(listed, [1, 2]);
    state.apply(NOW, Action::SelectConnection(2));
    let listed: Vec<u32> = state.connections().iter().map(|c| c.op).collect();
    assert_eq!(
        listed,
        [2],
        "an ended connection leaves the list once not shown"
    );
    assert!(state.can_send());
}

#[test]
fn a_session_the_relay_ended_is_explained_by_its_close_code() {
    let mut state = welcomed();
    state.apply(
        NOW,
        Action::Relay(Notice::Closed {
            code: Some(4000),
            reason: "words that name no code".into(),
        }),
    );
    let shown = state.shown_errors();
    assert_eq!(shown[0].message, "words that name no code");
    assert_eq!(
        shown[0].explanation,
        Some(crate::explain::session_close(
            crate::protocol::SessionClose::Idle
        ))
    );
}

#[test]
fn a_reset_connection_is_an_error_a_program_would_get() {
    let mut state = welcomed();
    let mut exchange = echo_exchange(1);
    // Connected and echoed; then the peer aborts instead of closing.
    exchange.truncate(7);
    feed(&mut state, exchange);
    assert!(state.shown_errors().is_empty());
    for kind in [
        EventKind::Reset,
        EventKind::Closed {
            by: crate::protocol::Closer::Peer,
        },
    ] {
        state.apply(NOW, Action::Relay(Notice::Message(event(1, 3_000, kind))));
    }
    let shown = state.shown_errors();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].message.contains("ConnectionResetError"),
        "{}",
        shown[0].message
    );
    assert_eq!(
        shown[0].explanation,
        Some(crate::explain::error(ErrorCode::Reset))
    );
}

/// The relay goes away under an open connection and comes back: the page
/// says so, counts its reconnect attempts, keeps the recording and the
/// trace, names the connection that was lost and offers to redo the
/// experiment as a new operation.
#[test]
fn a_lost_relay_is_reported_retried_and_the_experiment_offered_again() {
    use crate::protocol::SessionClose;
    let mut state = welcomed();
    // The echo exchange up to `connected`: the connection is still open.
    let exchange = echo_exchange(1);
    let open: Vec<Message> = exchange
        .into_iter()
        .take_while(|m| !matches!(m, Message::In(ServerMsg::Event(e)) if e.kind.is_terminal()))
        .collect();
    feed(&mut state, open);
    assert_eq!(state.reconnect_line(), None);
    let recorded = state.recorder.len();
    let steps = state.trace.steps().len();

    state.apply(
        NOW,
        Action::Relay(Notice::Closed {
            code: Some(SessionClose::GoingAway.code()),
            reason: "the relay is shutting down".into(),
        }),
    );
    assert_eq!(state.lost, [1]);
    assert_eq!(
        state.redo(),
        None,
        "nothing to redo on while the relay is away"
    );
    let attempt = state.next_reconnect_attempt();
    assert_eq!(attempt, 1);
    state.apply(
        NOW,
        Action::ReconnectIn(Reconnecting {
            attempt,
            wait_ms: reconnect_wait_ms(attempt, 0.5),
        }),
    );
    let line = state.reconnect_line().unwrap();
    assert!(line.contains("the relay is shutting down"), "{line}");
    assert!(line.contains("attempt 1 in 0.4 s"), "{line}");

    // The first try finds no relay yet: the next waits longer.
    state.apply(NOW, Action::RelayConnecting);
    assert_eq!(
        state.reconnect_line().as_deref(),
        Some("Reconnecting to the relay (attempt 1)…")
    );
    state.apply(
        NOW,
        Action::Relay(Notice::Closed {
            code: None,
            reason: "could not reach the relay".into(),
        }),
    );
    assert_eq!(state.lost, [1], "the first loss's sockets are kept");
    let attempt = state.next_reconnect_attempt();
    assert_eq!(attempt, 2);
    state.apply(
        NOW,
        Action::ReconnectIn(Reconnecting {
            attempt,
            wait_ms: reconnect_wait_ms(attempt, 0.0),
        }),
    );
    assert!(
        state
            .reconnect_line()
            .unwrap()
            .contains("attempt 2 in 0.5 s")
    );

    // Back: the counter resets, nothing recorded was let go.
    state.apply(NOW, Action::RelayConnecting);
    welcome(&mut state);
    assert_eq!(state.reconnect, None);
    assert_eq!(state.next_reconnect_attempt(), 1);
    assert!(state.recorder.len() > recorded);
    assert!(state.trace.steps().len() >= steps);
    let line = state.reconnect_line().unwrap();
    assert!(line.starts_with("Reconnected to the relay."), "{line}");
    assert!(
        line.contains("op 1"),
        "the lost connection is named: {line}"
    );
    assert!(state.current.unwrap().cut_off);

    // Redo: the same experiment as a new operation.
    let redo = state.redo().expect("an offer to redo");
    match &redo {
        ClientMsg::TcpConnect { op, target, .. } => {
            assert_eq!(*op, 2);
            assert_eq!(target, "tcp-echo");
        }
        other => panic!("expected the connect again, got {other:?}"),
    }
    state.apply(NOW, Action::Requested(redo));
    assert_eq!(state.redo(), None);
    assert_eq!(state.reconnect_line(), None);
    assert_eq!(state.live_op(), Some(2));
}

/// A program's call, then the request it made: the trace ties them.
#[test]
fn a_programs_call_names_the_line_of_the_request_that_follows() {
    use crate::session::sources::{CallName, ProgramCall};
    let mut state = welcomed();
    state.apply(
        NOW,
        Action::ProgramCall(ProgramCall {
            op: 1,
            call: CallName::Connect,
            program: "client.py".into(),
            line: 8,
            text: "sock.connect((HOST, PORT))".into(),
        }),
    );
    state.apply(
        NOW,
        Action::Requested(ClientMsg::TcpConnect {
            op: 1,
            target: "echo.lab.test:7".into(),
            connect_timeout_ms: None,
            nodelay: false,
            faults: None,
        }),
    );
    let made_by = state.trace.sources().resolve(state.trace.steps());
    assert_eq!(
        made_by.last().copied().flatten().map(|s| s.describe()),
        Some("client.py, line 8: sock.connect((HOST, PORT))".to_owned())
    );
    assert_eq!(state.trace.sources().program_of(1), Some("client.py"));
}
