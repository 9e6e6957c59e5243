//! The socket model driven call by call and event by event, as the page
//! drives it with a program's requests and the relay's messages.

use super::python_error::PyException;
use super::sockets::{Call, Effect, MAX_UNREAD, Outcome, Reply, Request, Sockets};
use crate::payload::Payload;
use crate::protocol::{ClientMsg, Closer, ErrorCode, Event, EventKind, RelayError, ServerMsg};

const OP: u32 = 7;

fn event(kind: EventKind) -> ServerMsg {
    ServerMsg::Event(Event {
        op: OP,
        t_us: 1,
        kind,
    })
}

fn data(bytes: &[u8]) -> ServerMsg {
    ServerMsg::Data {
        op: OP,
        t_us: 2,
        data: Payload(bytes.to_vec()),
    }
}

fn call(sockets: &mut Sockets, id: u32, call: Call) -> Vec<Effect> {
    sockets.call(Request { id, call }, OP)
}

fn reply(id: u32, outcome: Outcome) -> Effect {
    Effect::Reply(Reply { id, outcome })
}

fn received(id: u32, bytes: &[u8]) -> Effect {
    reply(
        id,
        Outcome::Received {
            data: Payload(bytes.to_vec()),
        },
    )
}

fn raised_name(effects: &[Effect]) -> Option<PyException> {
    effects.iter().find_map(|effect| match effect {
        Effect::Reply(Reply {
            outcome: Outcome::Raised { error },
            ..
        }) => Some(error.exception),
        _ => None,
    })
}

/// A socket connected to `echo:7` as op `OP`.
fn connected() -> Sockets {
    let mut sockets = Sockets::default();
    let effects = call(
        &mut sockets,
        1,
        Call::Connect {
            sock: 3,
            host: "127.0.0.1".into(),
            port: 7,
            timeout_ms: Some(2000),
            nodelay: false,
        },
    );
    assert_eq!(
        effects,
        vec![Effect::Relay(Box::new(ClientMsg::TcpConnect {
            op: OP,
            target: "127.0.0.1:7".into(),
            connect_timeout_ms: Some(2000),
            nodelay: false,
            faults: None,
        }))]
    );
    let effects = sockets.relay(&event(EventKind::Connected {
        local: "127.0.0.1:40000".into(),
        remote: "127.0.0.1:7".into(),
    }));
    assert_eq!(
        effects,
        vec![reply(
            1,
            Outcome::Connected {
                local: "127.0.0.1:40000".into(),
                remote: "127.0.0.1:7".into()
            }
        )]
    );
    sockets
}

#[test]
fn an_ipv6_host_is_bracketed_in_the_target() {
    let mut sockets = Sockets::default();
    let effects = call(
        &mut sockets,
        1,
        Call::Connect {
            sock: 3,
            host: "::1".into(),
            port: 8080,
            timeout_ms: None,
            nodelay: true,
        },
    );
    let Effect::Relay(msg) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert!(
        matches!(&**msg, ClientMsg::TcpConnect { target, nodelay: true, .. } if target == "[::1]:8080"),
        "{msg:?}"
    );
}

#[test]
fn sendall_returns_when_the_relay_has_written_every_byte() {
    let mut sockets = connected();
    let effects = call(
        &mut sockets,
        2,
        Call::Send {
            sock: 3,
            data: Payload(b"hello world".to_vec()),
        },
    );
    assert_eq!(
        effects,
        vec![Effect::Relay(Box::new(ClientMsg::Send {
            op: OP,
            data: Payload(b"hello world".to_vec())
        }))]
    );
    // The page sends a large payload in pieces: one `sent` per piece.
    assert_eq!(sockets.relay(&event(EventKind::Sent { bytes: 5 })), vec![]);
    assert_eq!(
        sockets.relay(&event(EventKind::Sent { bytes: 6 })),
        vec![reply(2, Outcome::Sent { bytes: 11 })]
    );
}

#[test]
fn recv_returns_what_arrived_up_to_its_size_and_waits_when_nothing_did() {
    let mut sockets = connected();
    // Nothing yet: the call waits (no deadline without a timeout).
    assert_eq!(
        call(
            &mut sockets,
            2,
            Call::Recv {
                sock: 3,
                max: 4,
                timeout_ms: None
            }
        ),
        vec![]
    );
    // One message arrives; recv(4) returns its first four bytes...
    assert_eq!(sockets.relay(&data(b"hello")), vec![received(2, b"hell")]);
    // ...and the next recv the rest at once: a stream has no message
    // boundaries.
    assert_eq!(
        call(
            &mut sockets,
            3,
            Call::Recv {
                sock: 3,
                max: 1024,
                timeout_ms: None
            }
        ),
        vec![received(3, b"o")]
    );
}

#[test]
fn recv_returns_empty_bytes_after_the_peer_closes_its_side() {
    let mut sockets = connected();
    sockets.relay(&data(b"bye"));
    sockets.relay(&event(EventKind::PeerClosed));
    let recv = |sockets: &mut Sockets, id| {
        call(
            sockets,
            id,
            Call::Recv {
                sock: 3,
                max: 1024,
                timeout_ms: None,
            },
        )
    };
    // What arrived before the FIN is read first.
    assert_eq!(recv(&mut sockets, 2), vec![received(2, b"bye")]);
    assert_eq!(recv(&mut sockets, 3), vec![received(3, b"")]);
    assert_eq!(recv(&mut sockets, 4), vec![received(4, b"")]);
}

#[test]
fn a_recv_with_a_timeout_raises_timeout_error_when_its_deadline_passes() {
    let mut sockets = connected();
    let effects = call(
        &mut sockets,
        2,
        Call::Recv {
            sock: 3,
            max: 10,
            timeout_ms: Some(500),
        },
    );
    assert_eq!(
        effects,
        vec![Effect::Deadline {
            call: 2,
            after_ms: 500
        }]
    );
    let effects = sockets.expire(2);
    assert_eq!(raised_name(&effects), Some(PyException::TimeoutError));
    // Data arriving later is kept for the next recv, not lost.
    assert_eq!(sockets.relay(&data(b"late")), vec![]);
    assert_eq!(sockets.expire(2), vec![]);
}

#[test]
fn a_refused_connect_raises_connection_refused_error() {
    let mut sockets = Sockets::default();
    call(
        &mut sockets,
        1,
        Call::Connect {
            sock: 3,
            host: "127.0.0.1".into(),
            port: 9,
            timeout_ms: None,
            nodelay: false,
        },
    );
    let effects = sockets.relay(&event(EventKind::Failed {
        error: RelayError {
            code: ErrorCode::Refused,
            message: "connection refused".into(),
            refusal: None,
        },
    }));
    assert_eq!(
        raised_name(&effects),
        Some(PyException::ConnectionRefusedError)
    );
}

#[test]
fn a_blocked_target_raises_permission_error() {
    let mut sockets = Sockets::default();
    call(
        &mut sockets,
        1,
        Call::Connect {
            sock: 3,
            host: "10.1.2.3".into(),
            port: 80,
            timeout_ms: None,
            nodelay: false,
        },
    );
    let effects = sockets.relay(&ServerMsg::Error {
        op: Some(OP),
        error: RelayError {
            code: ErrorCode::Blocked,
            message: "10.1.2.3 is private".into(),
            refusal: None,
        },
    });
    assert_eq!(raised_name(&effects), Some(PyException::PermissionError));
}

#[test]
fn a_reset_fails_the_waiting_recv_and_every_later_call() {
    let mut sockets = connected();
    call(
        &mut sockets,
        2,
        Call::Recv {
            sock: 3,
            max: 10,
            timeout_ms: None,
        },
    );
    let effects = sockets.relay(&event(EventKind::Reset));
    assert_eq!(
        raised_name(&effects),
        Some(PyException::ConnectionResetError)
    );
    let effects = call(
        &mut sockets,
        3,
        Call::Send {
            sock: 3,
            data: Payload(b"x".to_vec()),
        },
    );
    assert_eq!(
        raised_name(&effects),
        Some(PyException::ConnectionResetError)
    );
}

#[test]
fn sending_on_a_socket_that_never_connected_raises_os_error() {
    let mut sockets = Sockets::default();
    let effects = call(
        &mut sockets,
        1,
        Call::Send {
            sock: 3,
            data: Payload(b"x".to_vec()),
        },
    );
    assert_eq!(raised_name(&effects), Some(PyException::OsError));
}

#[test]
fn close_closes_the_operation_and_forgets_it() {
    let mut sockets = connected();
    assert_eq!(sockets.open_ops(), vec![OP]);
    let effects = call(&mut sockets, 2, Call::Close { sock: 3 });
    assert_eq!(
        effects,
        vec![
            Effect::Relay(Box::new(ClientMsg::Close { op: OP })),
            reply(2, Outcome::Done)
        ]
    );
    assert!(sockets.open_ops().is_empty());
    assert!(!sockets.owns(OP));
    // The relay's closing events for it change nothing.
    assert_eq!(
        sockets.relay(&event(EventKind::Closed {
            by: Closer::Browser
        })),
        vec![]
    );
}

#[test]
fn unread_bytes_are_bounded() {
    let mut sockets = connected();
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..(MAX_UNREAD / chunk.len() + 1) {
        sockets.relay(&data(&chunk));
    }
    let effects = call(
        &mut sockets,
        2,
        Call::Recv {
            sock: 3,
            max: 10,
            timeout_ms: None,
        },
    );
    assert_eq!(raised_name(&effects), Some(PyException::OsError));
}

#[test]
fn the_worker_contract_reads_as_json() {
    let request: Request =
        serde_json::from_str(r#"{"id": 4, "call": "send", "sock": 3, "data": {"text": "hi\n"}}"#)
            .unwrap();
    assert_eq!(
        request,
        Request {
            id: 4,
            call: Call::Send {
                sock: 3,
                data: Payload(b"hi\n".to_vec())
            }
        }
    );
    let json = serde_json::to_value(Reply {
        id: 4,
        outcome: Outcome::Sent { bytes: 3 },
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"id": 4, "result": "sent", "bytes": 3})
    );
}

/// Every call reads back as the worker writes it, with its fields in any
/// order and fields it does not know passed over.
#[test]
fn every_call_reads_back_as_written() {
    let calls = [
        Call::Connect {
            sock: 1,
            host: "www.lab.test".into(),
            port: 80,
            timeout_ms: Some(500),
            nodelay: true,
        },
        Call::Connect {
            sock: 1,
            host: "::1".into(),
            port: 7,
            timeout_ms: None,
            nodelay: false,
        },
        Call::Send {
            sock: 2,
            data: Payload(vec![0xff, b'a']),
        },
        Call::Recv {
            sock: 3,
            max: 4096,
            timeout_ms: Some(0),
        },
        Call::Recv {
            sock: 3,
            max: 1,
            timeout_ms: None,
        },
        Call::Shutdown { sock: 4 },
        Call::Close { sock: 5 },
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (id, call) in calls.into_iter().enumerate() {
        seen.insert(match call {
            Call::Connect { .. } => "connect",
            Call::Send { .. } => "send",
            Call::Recv { .. } => "recv",
            Call::Shutdown { .. } => "shutdown",
            Call::Close { .. } => "close",
        });
        let request = Request {
            id: id as u32,
            call,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        // Reversed keys, and a field from a newer worker.
        let serde_json::Value::Object(map) = serde_json::to_value(&request).unwrap() else {
            panic!("{json}")
        };
        let mut fields: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
            .collect();
        fields.reverse();
        fields.push(r#""new":1"#.to_owned());
        let text = format!("{{{}}}", fields.join(","));
        assert_eq!(
            serde_json::from_str::<Request>(&text).unwrap(),
            request,
            "{text}"
        );
    }
    assert_eq!(seen.len(), 5);
    let err = serde_json::from_str::<Request>(r#"{"id":1,"call":"fly","sock":1}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `fly`"), "{err}");
    let err = serde_json::from_str::<Request>(r#"{"id":1,"call":"close"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `sock`"), "{err}");
}
