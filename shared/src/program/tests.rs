//! The socket model driven call by call and event by event, as the page
//! drives it with a program's requests and the relay's messages.

use std::cell::RefCell;
use std::rc::Rc;

use super::http::{HttpCall, HttpFailure, HttpResponse, MAX_BODY, RequestsError, TimeoutLimit};
use super::ports::{Ports, Proto};
use super::python_error::PyException;
use super::sockets::{Call, Effect, MAX_DATAGRAMS, MAX_UNREAD, Outcome, Reply, Request, Sockets};
use crate::payload::Payload;
use crate::protocol::{
    ClientMsg, Closer, ErrorCode, Event, EventKind, HttpRequest, HttpTimeouts, HttpTimings,
    Refusal, RelayError, ServerMsg,
};
use crate::session::sources::CallName;

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
    sockets.call(
        Request {
            id,
            line: None,
            made: None,
            call,
        },
        OP,
    )
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
            tls_failure: None,
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
            tls_failure: None,
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

/// As Linux reports it: the peer closed (FIN), the program wrote anyway,
/// and the peer's kernel answered with RST. The reset arrives in
/// CLOSE_WAIT, which the kernel reports as EPIPE: the next send raises
/// `BrokenPipeError`, and recv keeps returning `b""` (the FIN came first).
#[test]
fn a_reset_after_the_peers_fin_is_a_broken_pipe_and_recv_still_ends() {
    let mut sockets = connected();
    sockets.relay(&event(EventKind::PeerClosed));
    let recv = |sockets: &mut Sockets, id| {
        call(
            sockets,
            id,
            Call::Recv {
                sock: 3,
                max: 10,
                timeout_ms: None,
            },
        )
    };
    let send = |sockets: &mut Sockets, id| {
        call(
            sockets,
            id,
            Call::Send {
                sock: 3,
                data: Payload(b"x".to_vec()),
            },
        )
    };
    assert_eq!(recv(&mut sockets, 2), vec![received(2, b"")]);
    assert!(matches!(
        send(&mut sockets, 3).as_slice(),
        [Effect::Relay(msg)] if matches!(**msg, ClientMsg::Send { .. })
    ));
    // The write was answered with RST; the relay's `sent` did not come.
    let effects = sockets.relay(&event(EventKind::Reset));
    assert_eq!(raised_name(&effects), Some(PyException::BrokenPipeError));
    sockets.relay(&event(EventKind::Closed { by: Closer::Peer }));
    assert_eq!(
        raised_name(&send(&mut sockets, 4)),
        Some(PyException::BrokenPipeError)
    );
    assert_eq!(recv(&mut sockets, 5), vec![received(5, b"")]);
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
fn close_after_so_linger_zero_aborts_the_connection() {
    let mut sockets = connected();
    let effects = call(
        &mut sockets,
        2,
        Call::Close {
            sock: 3,
            abort: true,
        },
    );
    assert_eq!(
        effects,
        vec![
            Effect::Relay(Box::new(ClientMsg::Abort { op: OP })),
            reply(2, Outcome::Done)
        ]
    );
    assert!(sockets.open_ops().is_empty());
}

#[test]
fn close_closes_the_operation_and_forgets_it() {
    let mut sockets = connected();
    assert_eq!(sockets.open_ops(), vec![OP]);
    let effects = call(
        &mut sockets,
        2,
        Call::Close {
            sock: 3,
            abort: false,
        },
    );
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
            line: None,
            made: None,
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

fn event_of(op: u32, kind: EventKind) -> ServerMsg {
    ServerMsg::Event(Event { op, t_us: 1, kind })
}

fn relay_msg(effect: &Effect) -> &ClientMsg {
    match effect {
        Effect::Relay(msg) => msg,
        other => panic!("not a message to the relay: {other:?}"),
    }
}

/// A server program listening on its port 8080 (op `OP`), which is the
/// relay's 127.0.0.1:41234.
fn listening(ports: &Rc<RefCell<Ports>>) -> Sockets {
    let mut server = Sockets::sharing(ports.clone());
    let effects = call(
        &mut server,
        1,
        Call::Listen {
            sock: 3,
            host: "0.0.0.0".into(),
            port: 8080,
        },
    );
    // The relay picks the port: the program's 8080 is never asked for.
    assert_eq!(
        relay_msg(&effects[0]),
        &ClientMsg::TcpListen { op: OP, port: None }
    );
    let effects = server.relay(&event(EventKind::Listening {
        addr: "127.0.0.1:41234".into(),
    }));
    assert_eq!(
        effects,
        vec![
            Effect::Note("your 127.0.0.1:8080 is the relay's 127.0.0.1:41234".into()),
            reply(
                1,
                Outcome::Listening {
                    local: "127.0.0.1:8080".into(),
                    relay: "127.0.0.1:41234".into()
                }
            )
        ]
    );
    server
}

const CONN: u32 = 0x8000_0001;

#[test]
fn a_server_accepts_a_connection_to_its_own_port_from_another_program() {
    let ports = Rc::new(RefCell::new(Ports::default()));
    let mut server = listening(&ports);
    // The server waits in accept() with a timeout.
    assert_eq!(
        call(
            &mut server,
            2,
            Call::Accept {
                sock: 3,
                conn: 4,
                timeout_ms: Some(5000)
            }
        ),
        vec![Effect::Deadline {
            call: 2,
            after_ms: 5000
        }]
    );
    // A client program in the same page connects to localhost:8080: it
    // goes to the relay's port, and sees the port it asked for.
    let mut client = Sockets::sharing(ports.clone());
    let effects = client.call(
        Request {
            line: None,
            made: None,
            id: 1,
            call: Call::Connect {
                sock: 3,
                host: "localhost".into(),
                port: 8080,
                timeout_ms: None,
                nodelay: false,
            },
        },
        9,
    );
    assert_eq!(
        effects[0],
        Effect::Note(
            "localhost:8080 is where a program in this page listens: the relay's 127.0.0.1:41234"
                .into()
        )
    );
    assert!(
        matches!(relay_msg(&effects[1]), ClientMsg::TcpConnect { op: 9, target, .. } if target == "127.0.0.1:41234"),
        "{effects:?}"
    );
    assert_eq!(
        client.relay(&event_of(
            9,
            EventKind::Connected {
                local: "127.0.0.1:50000".into(),
                remote: "127.0.0.1:41234".into()
            }
        )),
        vec![reply(
            1,
            Outcome::Connected {
                local: "127.0.0.1:50000".into(),
                remote: "127.0.0.1:8080".into()
            }
        )]
    );
    // The relay accepts it on the server's listener: accept() returns.
    assert_eq!(
        server.relay(&event(EventKind::Accepted {
            conn: CONN,
            peer: "127.0.0.1:50000".into()
        })),
        vec![reply(
            2,
            Outcome::Accepted {
                peer: "127.0.0.1:50000".into()
            }
        )]
    );
    // The accepted socket (fd 4) reads what the client sent.
    server.relay(&event_of(
        CONN,
        EventKind::Connected {
            local: "127.0.0.1:41234".into(),
            remote: "127.0.0.1:50000".into(),
        },
    ));
    server.relay(&ServerMsg::Data {
        op: CONN,
        t_us: 3,
        data: Payload(b"Hello".to_vec()),
    });
    assert_eq!(
        call(
            &mut server,
            3,
            Call::Recv {
                sock: 4,
                max: 1024,
                timeout_ms: None
            }
        ),
        vec![received(3, b"Hello")]
    );
    // Stop closes the listener and the connection it accepted.
    let mut open = server.open_ops();
    open.sort();
    assert_eq!(open, vec![OP, CONN]);
    let mut ended = server.end();
    ended.sort();
    assert_eq!(ended, vec![OP, CONN]);
    assert!(server.end().is_empty(), "closed once");
    assert_eq!(ports.borrow().lookup(Proto::Tcp, "127.0.0.1", 8080), None);
}

#[test]
fn connections_wait_for_accept_and_close_with_their_listener() {
    let ports = Rc::new(RefCell::new(Ports::default()));
    let mut server = listening(&ports);
    for (n, conn) in [CONN, CONN + 1].into_iter().enumerate() {
        assert_eq!(
            server.relay(&event(EventKind::Accepted {
                conn,
                peer: format!("127.0.0.1:5000{n}")
            })),
            vec![]
        );
    }
    // accept() takes the first at once.
    assert_eq!(
        call(
            &mut server,
            2,
            Call::Accept {
                sock: 3,
                conn: 4,
                timeout_ms: None
            }
        ),
        vec![reply(
            2,
            Outcome::Accepted {
                peer: "127.0.0.1:50000".into()
            }
        )]
    );
    // Closing the listener closes it and the one never accepted; the
    // accepted one stays, and the port is free again.
    let effects = call(
        &mut server,
        3,
        Call::Close {
            sock: 3,
            abort: false,
        },
    );
    let closed: Vec<&ClientMsg> = effects
        .iter()
        .filter(|e| matches!(e, Effect::Relay(_)))
        .map(relay_msg)
        .collect();
    assert_eq!(
        closed,
        vec![
            &ClientMsg::Close { op: OP },
            &ClientMsg::Close { op: CONN + 1 }
        ]
    );
    assert_eq!(server.open_ops(), vec![CONN]);
    assert!(ports.borrow_mut().claim(Proto::Tcp, 8080).is_ok());
}

#[test]
fn a_second_server_on_the_same_port_gets_address_in_use_and_a_failed_listen_raises() {
    let ports = Rc::new(RefCell::new(Ports::default()));
    let _server = listening(&ports);
    let mut second = Sockets::sharing(ports.clone());
    let listen = |sockets: &mut Sockets, id| {
        call(
            sockets,
            id,
            Call::Listen {
                sock: 3,
                host: "127.0.0.1".into(),
                port: 8080,
            },
        )
    };
    assert_eq!(
        raised_name(&listen(&mut second, 1)),
        Some(PyException::OsError)
    );
    // Binding an address that is not this machine's.
    let effects = call(
        &mut second,
        2,
        Call::Listen {
            sock: 5,
            host: "192.0.2.1".into(),
            port: 9000,
        },
    );
    assert_eq!(raised_name(&effects), Some(PyException::OsError));
    // The relay refuses the listener (its limit): listen() raises.
    let mut third = Sockets::sharing(ports.clone());
    call(
        &mut third,
        1,
        Call::Listen {
            sock: 3,
            host: "".into(),
            port: 9000,
        },
    );
    let effects = third.relay(&event(EventKind::Failed {
        error: RelayError {
            code: ErrorCode::LimitReached,
            message: "16 operations are open".into(),
            refusal: None,
            tls_failure: None,
        },
    }));
    assert_eq!(raised_name(&effects), Some(PyException::OsError));
    assert!(ports.borrow_mut().claim(Proto::Tcp, 9000).is_ok());
}

#[test]
fn accept_with_a_timeout_raises_timeout_error() {
    let ports = Rc::new(RefCell::new(Ports::default()));
    let mut server = listening(&ports);
    call(
        &mut server,
        2,
        Call::Accept {
            sock: 3,
            conn: 4,
            timeout_ms: Some(100),
        },
    );
    assert_eq!(
        raised_name(&server.expire(2)),
        Some(PyException::TimeoutError)
    );
    // A connection arriving later waits for the next accept().
    assert_eq!(
        server.relay(&event(EventKind::Accepted {
            conn: CONN,
            peer: "127.0.0.1:50000".into()
        })),
        vec![]
    );
}

#[test]
fn a_udp_sendto_binds_any_port_first_then_recvfrom_returns_the_datagram() {
    let mut sockets = Sockets::default();
    let hello = Payload(b"Hello".to_vec());
    let effects = call(
        &mut sockets,
        1,
        Call::SendTo {
            sock: 3,
            host: "echo.lab.test".into(),
            port: 7,
            data: hello.clone(),
        },
    );
    // The socket opens first; the datagram waits for it.
    assert_eq!(
        effects,
        vec![Effect::Relay(Box::new(ClientMsg::UdpOpen {
            op: OP,
            target: None,
            bind_port: None,
            recv_timeout_ms: None,
            faults: None
        }))]
    );
    let effects = sockets.relay(&event(EventKind::Bound {
        local: "127.0.0.1:50001".into(),
        remote: None,
    }));
    assert_eq!(
        effects,
        vec![Effect::Relay(Box::new(ClientMsg::SendTo {
            op: OP,
            target: "echo.lab.test:7".into(),
            data: hello.clone()
        }))]
    );
    assert_eq!(
        sockets.relay(&event(EventKind::DatagramSent {
            to: "127.0.0.1:40007".into(),
            bytes: 5
        })),
        vec![reply(1, Outcome::Sent { bytes: 5 })]
    );
    // The echo arrives before the program reads: it waits, whole.
    sockets.relay(&ServerMsg::Datagram {
        op: OP,
        t_us: 5,
        from: "127.0.0.1:40007".into(),
        data: hello,
    });
    // recvfrom(2) returns the first two bytes; the rest of that datagram
    // is gone, as UDP drops what does not fit.
    assert_eq!(
        call(
            &mut sockets,
            2,
            Call::RecvFrom {
                sock: 3,
                max: 2,
                timeout_ms: None
            }
        ),
        vec![reply(
            2,
            Outcome::Datagram {
                data: Payload(b"He".to_vec()),
                from: "127.0.0.1:40007".into()
            }
        )]
    );
    // Nothing more: with a timeout, the wait ends in TimeoutError.
    assert_eq!(
        call(
            &mut sockets,
            3,
            Call::RecvFrom {
                sock: 3,
                max: 1024,
                timeout_ms: Some(1000)
            }
        ),
        vec![Effect::Deadline {
            call: 3,
            after_ms: 1000
        }]
    );
    assert_eq!(
        raised_name(&sockets.expire(3)),
        Some(PyException::TimeoutError)
    );
    assert_eq!(sockets.open_ops(), vec![OP]);
}

#[test]
fn a_udp_server_port_leads_other_programs_to_it_and_shows_their_ports() {
    let ports = Rc::new(RefCell::new(Ports::default()));
    let mut server = Sockets::sharing(ports.clone());
    call(
        &mut server,
        1,
        Call::Bind {
            sock: 3,
            host: "127.0.0.1".into(),
            port: 9999,
        },
    );
    assert_eq!(
        server.relay(&event(EventKind::Bound {
            local: "127.0.0.1:50002".into(),
            remote: None
        })),
        vec![
            Effect::Note("your UDP 127.0.0.1:9999 is the relay's 127.0.0.1:50002".into()),
            reply(
                1,
                Outcome::Bound {
                    local: "127.0.0.1:9999".into()
                }
            )
        ]
    );
    let mut client = Sockets::sharing(ports.clone());
    client.call(
        Request {
            line: None,
            made: None,
            id: 1,
            call: Call::SendTo {
                sock: 3,
                host: "localhost".into(),
                port: 9999,
                data: Payload(b"ping".to_vec()),
            },
        },
        9,
    );
    let effects = client.relay(&event_of(
        9,
        EventKind::Bound {
            local: "127.0.0.1:50003".into(),
            remote: None,
        },
    ));
    assert!(
        matches!(relay_msg(&effects[0]), ClientMsg::SendTo { target, .. } if target == "127.0.0.1:50002"),
        "{effects:?}"
    );
    // The server's reply comes from the relay's 50002: the client sees
    // the server's own 9999.
    assert_eq!(
        client.relay(&ServerMsg::Datagram {
            op: 9,
            t_us: 1,
            from: "127.0.0.1:50002".into(),
            data: Payload(b"pong".to_vec()),
        }),
        vec![]
    );
    let effects = client.call(
        Request {
            line: None,
            made: None,
            id: 2,
            call: Call::RecvFrom {
                sock: 3,
                max: 100,
                timeout_ms: None,
            },
        },
        10,
    );
    assert_eq!(
        effects,
        vec![reply(
            2,
            Outcome::Datagram {
                data: Payload(b"pong".to_vec()),
                from: "127.0.0.1:9999".into()
            }
        )]
    );
}

#[test]
fn a_udp_socket_keeps_a_bounded_number_of_unread_datagrams() {
    let mut sockets = Sockets::default();
    call(
        &mut sockets,
        1,
        Call::Bind {
            sock: 3,
            host: "".into(),
            port: 0,
        },
    );
    sockets.relay(&event(EventKind::Bound {
        local: "127.0.0.1:50004".into(),
        remote: None,
    }));
    for n in 0..(MAX_DATAGRAMS + 10) {
        sockets.relay(&ServerMsg::Datagram {
            op: OP,
            t_us: 1,
            from: "127.0.0.1:1".into(),
            data: Payload(n.to_string().into_bytes()),
        });
    }
    let mut read = 0;
    while let [
        Effect::Reply(Reply {
            outcome: Outcome::Datagram { .. },
            ..
        }),
    ] = call(
        &mut sockets,
        2,
        Call::RecvFrom {
            sock: 3,
            max: 10,
            timeout_ms: None,
        },
    )
    .as_slice()
    {
        read += 1;
    }
    assert_eq!(read, MAX_DATAGRAMS);
}

fn dns_record(rtype: &str, data: &str) -> crate::protocol::DnsRecord {
    crate::protocol::DnsRecord {
        name: "echo.lab.test.".into(),
        ttl: 60,
        class: "IN".into(),
        rtype: rtype.into(),
        data: data.into(),
    }
}

#[test]
fn gethostbyname_asks_the_relays_dns_and_a_name_that_does_not_resolve_is_a_gaierror() {
    let mut sockets = Sockets::default();
    let effects = call(
        &mut sockets,
        1,
        Call::Resolve {
            name: "echo.lab.test".into(),
        },
    );
    assert!(
        matches!(relay_msg(&effects[0]), ClientMsg::DnsQuery { op: OP, name, rtype: crate::protocol::DnsType::A, .. } if name == "echo.lab.test"),
        "{effects:?}"
    );
    assert_eq!(sockets.open_ops(), vec![OP]);
    let response = |rcode: &str, answers| {
        event(EventKind::DnsResponse {
            server: "127.0.0.1:53".into(),
            rcode: rcode.into(),
            answers,
            authority: vec![],
            additional: vec![],
            elapsed_us: 10,
        })
    };
    assert_eq!(
        sockets.relay(&response(
            "NOERROR",
            vec![
                dns_record("CNAME", "host.lab.test."),
                dns_record("A", "127.0.0.1")
            ]
        )),
        vec![]
    );
    assert_eq!(
        sockets.relay(&event(EventKind::Closed { by: Closer::Relay })),
        vec![reply(
            1,
            Outcome::Addresses {
                addrs: vec!["127.0.0.1".into()]
            }
        )]
    );
    assert!(sockets.open_ops().is_empty());

    call(
        &mut sockets,
        2,
        Call::Resolve {
            name: "nosuch.lab.test".into(),
        },
    );
    sockets.relay(&response("NXDOMAIN", vec![]));
    let effects = sockets.relay(&event(EventKind::Closed { by: Closer::Relay }));
    let [
        Effect::Reply(Reply {
            outcome: Outcome::Raised { error },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        error.traceback_line(),
        "socket.gaierror: [Errno -2] Name or service not known"
    );

    // No answer at all: a temporary failure, as glibc reports it.
    call(
        &mut sockets,
        3,
        Call::Resolve {
            name: "slow.lab.test".into(),
        },
    );
    let effects = sockets.relay(&event(EventKind::Failed {
        error: RelayError {
            code: ErrorCode::DnsTimeout,
            message: "no answer".into(),
            refusal: None,
            tls_failure: None,
        },
    }));
    let [
        Effect::Reply(Reply {
            outcome: Outcome::Raised { error },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        error.traceback_line(),
        "socket.gaierror: [Errno -3] Temporary failure in name resolution"
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
        Call::Close {
            sock: 5,
            abort: false,
        },
        Call::Listen {
            sock: 6,
            host: "127.0.0.1".into(),
            port: 8080,
        },
        Call::Accept {
            sock: 6,
            conn: 7,
            timeout_ms: Some(500),
        },
        Call::Bind {
            sock: 8,
            host: "0.0.0.0".into(),
            port: 9999,
        },
        Call::SendTo {
            sock: 8,
            host: "127.0.0.1".into(),
            port: 7,
            data: Payload(b"ping".to_vec()),
        },
        Call::RecvFrom {
            sock: 8,
            max: 2048,
            timeout_ms: None,
        },
        Call::Resolve {
            name: "www.lab.test".into(),
        },
        Call::Http(HttpCall {
            method: "POST".into(),
            url: "http://www.lab.test/post?a=1".into(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Twice".into(), "1".into()),
                ("X-Twice".into(), "2".into()),
            ],
            body: Some(Payload(b"{\"a\": 1}".to_vec())),
            connect_timeout_ms: Some(3050),
            read_timeout_ms: Some(27_000),
            max_redirects: 30,
        }),
        Call::Http(HttpCall {
            method: "GET".into(),
            url: "http://www.lab.test/".into(),
            headers: Vec::new(),
            body: None,
            connect_timeout_ms: None,
            read_timeout_ms: None,
            max_redirects: 0,
        }),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (id, call) in calls.into_iter().enumerate() {
        seen.insert(match call {
            Call::Connect { .. } => "connect",
            Call::Send { .. } => "send",
            Call::Recv { .. } => "recv",
            Call::Shutdown { .. } => "shutdown",
            Call::Close { .. } => "close",
            Call::Listen { .. } => "listen",
            Call::Accept { .. } => "accept",
            Call::Bind { .. } => "bind",
            Call::SendTo { .. } => "send_to",
            Call::RecvFrom { .. } => "recv_from",
            Call::Resolve { .. } => "resolve",
            Call::Http { .. } => "http",
        });
        let request = Request {
            line: None,
            made: None,
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
    assert_eq!(seen.len(), 12);
    let err = serde_json::from_str::<Request>(r#"{"id":1,"call":"fly","sock":1}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant `fly`"), "{err}");
    let err = serde_json::from_str::<Request>(r#"{"id":1,"call":"close"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `sock`"), "{err}");
}

// HTTP: `requests` in the page.

fn at(t_us: u64, kind: EventKind) -> ServerMsg {
    ServerMsg::Event(Event { op: OP, t_us, kind })
}

fn get(url: &str) -> HttpCall {
    HttpCall {
        method: "GET".into(),
        url: url.into(),
        headers: vec![("User-Agent".into(), "python-requests/2.32.3".into())],
        body: None,
        connect_timeout_ms: Some(5000),
        read_timeout_ms: Some(5000),
        max_redirects: 30,
    }
}

fn head(status: u16, reason: &str, headers: &[(&str, &str)]) -> EventKind {
    EventKind::ResponseHead {
        status,
        reason: reason.into(),
        version: "HTTP/1.1".into(),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn done() -> EventKind {
    EventKind::ResponseDone {
        body_bytes: 0,
        json: false,
        timings: HttpTimings::default(),
    }
}

fn failed(code: ErrorCode, message: &str) -> ServerMsg {
    event(EventKind::Failed {
        error: RelayError::new(code, message),
    })
}

fn http_failure(effects: &[Effect]) -> HttpFailure {
    match effects {
        [
            Effect::Reply(Reply {
                id: 1,
                outcome: Outcome::HttpFailed { error },
            }),
        ] => error.clone(),
        other => panic!("not one failure: {other:?}"),
    }
}

/// A GET started as op `OP`, up to its connection.
fn requesting(url: &str) -> Sockets {
    let mut sockets = Sockets::default();
    call(&mut sockets, 1, Call::Http(get(url)));
    assert!(sockets.owns(OP));
    sockets
}

#[test]
fn a_get_is_one_http_request_operation_with_the_programs_timeouts() {
    let mut sockets = Sockets::default();
    let mut call_ = get("http://www.lab.test/json");
    call_.connect_timeout_ms = Some(3050);
    call_.read_timeout_ms = Some(0);
    let effects = call(&mut sockets, 1, Call::Http(call_));
    assert_eq!(
        effects,
        vec![Effect::Relay(Box::new(ClientMsg::HttpRequest(
            HttpRequest {
                headers: vec![("User-Agent".into(), "python-requests/2.32.3".into())],
                timeouts: Some(HttpTimeouts {
                    connect_ms: Some(3050),
                    tls_ms: Some(3050),
                    // The relay refuses 0: the shortest wait it takes.
                    first_byte_ms: Some(1),
                    total_ms: None,
                }),
                follow_redirects: 30,
                max_body: Some(MAX_BODY),
                ..HttpRequest::get(OP, "http://www.lab.test/json")
            }
        )))]
    );
    // No timeout given: the relay's own.
    let mut sockets = Sockets::default();
    let mut call_ = get("http://www.lab.test/json");
    call_.connect_timeout_ms = None;
    call_.read_timeout_ms = None;
    let effects = call(&mut sockets, 2, Call::Http(call_));
    let [Effect::Relay(msg)] = &effects[..] else {
        panic!("{effects:?}")
    };
    let ClientMsg::HttpRequest(request) = &**msg else {
        panic!("{msg:?}")
    };
    assert_eq!(request.timeouts, None);
}

#[test]
fn a_post_goes_to_the_relay_as_a_post_with_its_body() {
    for method in ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
        let mut sockets = Sockets::default();
        let mut post = get("http://www.lab.test/anything");
        post.method = method.into();
        post.body = Some(Payload(br#"{"course":"net101"}"#.to_vec()));
        let effects = call(&mut sockets, 1, Call::Http(post));
        let [Effect::Relay(msg)] = &effects[..] else {
            panic!("{effects:?}")
        };
        let ClientMsg::HttpRequest(request) = &**msg else {
            panic!("{msg:?}")
        };
        assert_eq!(request.method, method);
        assert_eq!(
            request.body,
            Some(Payload(br#"{"course":"net101"}"#.to_vec()))
        );
    }
}

#[test]
fn the_response_comes_back_whole_with_its_headers_in_order() {
    let mut sockets = requesting("http://www.lab.test/json");
    for msg in [
        at(
            100,
            EventKind::Connecting {
                addr: "127.0.0.1:80".into(),
            },
        ),
        at(
            200,
            EventKind::Connected {
                local: "127.0.0.1:50000".into(),
                remote: "127.0.0.1:80".into(),
            },
        ),
        at(
            1500,
            head(
                200,
                "OK",
                &[
                    ("content-type", "application/json"),
                    ("set-cookie", "a=1"),
                    ("set-cookie", "b=2"),
                ],
            ),
        ),
        data(b"{\"slideshow\":"),
        data(b"{}}"),
    ] {
        assert_eq!(sockets.relay(&msg), Vec::new(), "{msg:?}");
    }
    let effects = sockets.relay(&at(1700, done()));
    assert_eq!(
        effects,
        vec![reply(
            1,
            Outcome::Response {
                response: HttpResponse {
                    status: 200,
                    reason: "OK".into(),
                    headers: vec![
                        ("content-type".into(), "application/json".into()),
                        ("set-cookie".into(), "a=1".into()),
                        ("set-cookie".into(), "b=2".into()),
                    ],
                    url: "http://www.lab.test/json".into(),
                    elapsed_us: 1500,
                },
                body: Payload(b"{\"slideshow\":{}}".to_vec()),
                history: Vec::new(),
            }
        )]
    );
    // The relay's close ends the operation: nothing more for the program,
    // nothing left to close.
    assert_eq!(
        sockets.relay(&event(EventKind::Closed { by: Closer::Relay })),
        Vec::new()
    );
    assert!(!sockets.owns(OP));
    assert_eq!(sockets.open_ops(), Vec::<u32>::new());
}

#[test]
fn followed_redirects_are_the_history_and_the_last_url_is_the_response_url() {
    let mut sockets = requesting("http://www.lab.test/redirect/2");
    let moved = |t_us, location: &str| {
        [
            at(t_us, head(302, "Found", &[("location", location)])),
            at(
                t_us + 10,
                EventKind::Redirect {
                    status: 302,
                    location: format!("http://www.lab.test{location}"),
                },
            ),
        ]
    };
    for msg in moved(1000, "/redirect/1")
        .into_iter()
        .chain(moved(3000, "/get"))
        .chain([at(3500, head(200, "OK", &[])), data(b"{}")])
    {
        assert_eq!(sockets.relay(&msg), Vec::new());
    }
    let effects = sockets.relay(&at(3600, done()));
    let [
        Effect::Reply(Reply {
            outcome: Outcome::Response {
                response, history, ..
            },
            ..
        }),
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(response.url, "http://www.lab.test/get");
    // Each hop's time from its own start (the redirect that led there).
    assert_eq!(response.elapsed_us, 3500 - 3010);
    let hops: Vec<(u16, &str, u64)> = history
        .iter()
        .map(|h| (h.status, h.url.as_str(), h.elapsed_us))
        .collect();
    assert_eq!(
        hops,
        vec![
            (302, "http://www.lab.test/redirect/2", 1000),
            (302, "http://www.lab.test/redirect/1", 3000 - 1010),
        ]
    );
}

#[test]
fn a_timeout_before_the_connection_is_a_connect_timeout_and_after_it_a_read_timeout() {
    let mut sockets = requesting("http://www.lab.test/get");
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::TimedOut,
        "connection to 127.0.0.1:80 timed out: no answer within 5000 ms",
    )));
    assert_eq!(failure.exception, RequestsError::ConnectTimeout);
    assert_eq!(failure.limit, Some(TimeoutLimit::Connect));
    assert!(!sockets.owns(OP));

    let mut sockets = requesting("http://www.lab.test/delay/3");
    sockets.relay(&event(EventKind::Connected {
        local: "127.0.0.1:50000".into(),
        remote: "127.0.0.1:80".into(),
    }));
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::TimedOut,
        "first byte timeout: no response within 500 ms of sending the request (timeouts.first_byte_ms)",
    )));
    assert_eq!(failure.exception, RequestsError::ReadTimeout);
    assert_eq!(failure.limit, Some(TimeoutLimit::Read));
    assert!(
        failure.message.contains("first byte timeout"),
        "{failure:?}"
    );

    // A redirect's next hop connects anew: its timeout is a connect one.
    let mut sockets = requesting("http://www.lab.test/redirect/1");
    sockets.relay(&event(EventKind::Connected {
        local: "127.0.0.1:50000".into(),
        remote: "127.0.0.1:80".into(),
    }));
    sockets.relay(&event(head(
        302,
        "Found",
        &[("location", "http://far.example/")],
    )));
    sockets.relay(&event(EventKind::Redirect {
        status: 302,
        location: "http://far.example/".into(),
    }));
    let failure = http_failure(&sockets.relay(&failed(ErrorCode::TimedOut, "timed out")));
    assert_eq!(failure.exception, RequestsError::ConnectTimeout);
}

/// As urllib3 2 (under requests 2.32) raises them: a TLS handshake that
/// stalls is a `ReadTimeout` that names the connect timeout (the handshake
/// waits under it); once the handshake is done, a stalled response names
/// the read timeout; a body that stalls past the relay's limit on the whole
/// request names none of the program's.
#[test]
fn a_stalled_tls_handshake_is_a_read_timeout_under_the_connect_timeout() {
    let connected = || {
        event(EventKind::Connected {
            local: "127.0.0.1:50000".into(),
            remote: "127.0.0.1:443".into(),
        })
    };
    let mut sockets = requesting("https://www.lab.test/get");
    sockets.relay(&connected());
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::TimedOut,
        "TLS handshake timeout: no handshake within 5000 ms (timeouts.tls_ms)",
    )));
    assert_eq!(failure.exception, RequestsError::ReadTimeout);
    assert_eq!(failure.limit, Some(TimeoutLimit::Connect));

    let mut sockets = requesting("HTTPS://www.lab.test/delay/3");
    sockets.relay(&connected());
    sockets.relay(&event(EventKind::TlsHandshake {
        version: "TLS 1.3".into(),
        cipher: "TLS13_AES_128_GCM_SHA256".into(),
        alpn: None,
        certs: Vec::new(),
    }));
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::TimedOut,
        "first byte timeout: no response within 5000 ms of sending the request (timeouts.first_byte_ms)",
    )));
    assert_eq!(failure.exception, RequestsError::ReadTimeout);
    assert_eq!(failure.limit, Some(TimeoutLimit::Read));

    // A redirect from http to https: the next hop has its handshake to do.
    let mut sockets = requesting("http://www.lab.test/redirect-to?url=https://www.lab.test/get");
    sockets.relay(&connected());
    sockets.relay(&event(head(
        302,
        "Found",
        &[("location", "https://www.lab.test/get")],
    )));
    sockets.relay(&event(EventKind::Redirect {
        status: 302,
        location: "https://www.lab.test/get".into(),
    }));
    sockets.relay(&connected());
    let failure =
        http_failure(&sockets.relay(&failed(ErrorCode::TimedOut, "TLS handshake timeout")));
    assert_eq!(
        (failure.exception, failure.limit),
        (RequestsError::ReadTimeout, Some(TimeoutLimit::Connect))
    );

    let mut sockets = requesting("http://www.lab.test/drip");
    sockets.relay(&connected());
    sockets.relay(&event(head(200, "OK", &[])));
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::TimedOut,
        "total timeout: the whole request took longer than 60000 ms (timeouts.total_ms)",
    )));
    assert_eq!(
        (failure.exception, failure.limit),
        (RequestsError::ReadTimeout, None)
    );
}

#[test]
fn no_connection_is_a_connection_error_with_the_socket_error_under_it() {
    let cause = |code, message: &str| {
        let mut sockets = requesting("http://127.0.0.1:1/");
        let failure = http_failure(&sockets.relay(&failed(code, message)));
        assert_eq!(failure.exception, RequestsError::ConnectionError);
        failure.cause.expect("a socket error under it")
    };
    let refused = cause(ErrorCode::Refused, "127.0.0.1:1 refused the connection");
    assert_eq!(
        refused.traceback_line(),
        "ConnectionRefusedError: [Errno 111] Connection refused"
    );
    let unresolved = cause(ErrorCode::ResolveFailed, "nosuch.lab.test has no address");
    assert_eq!(
        unresolved.traceback_line(),
        "socket.gaierror: [Errno -2] Name or service not known"
    );
    let reset = cause(ErrorCode::Reset, "reset");
    assert_eq!(reset.exception, PyException::ConnectionResetError);

    // The relay's policy: the explanation travels to the program.
    let mut sockets = requesting("http://10.0.0.5/");
    let failure = http_failure(&sockets.relay(&failed_with(RelayError::refused(
        Refusal::SpecialAddress,
        "blocked: 10.0.0.5 is in a private range (10.0.0.0/8)",
    ))));
    assert_eq!(failure.exception, RequestsError::ConnectionError);
    let cause = failure.cause.expect("a PermissionError under it");
    assert_eq!(cause.exception, PyException::PermissionError);
    assert!(
        cause.message.contains("private range (10.0.0.0/8)"),
        "{cause:?}"
    );
}

fn failed_with(error: RelayError) -> ServerMsg {
    event(EventKind::Failed { error })
}

#[test]
fn redirects_past_the_limit_are_too_many_redirects_and_a_broken_server_is_not() {
    let mut sockets = Sockets::default();
    let mut limited = get("http://www.lab.test/redirect/3");
    limited.max_redirects = 1;
    call(&mut sockets, 1, Call::Http(limited));
    sockets.relay(&event(head(302, "Found", &[("location", "/redirect/2")])));
    sockets.relay(&event(EventKind::Redirect {
        status: 302,
        location: "http://www.lab.test/redirect/2".into(),
    }));
    sockets.relay(&event(head(302, "Found", &[("location", "/redirect/1")])));
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::Http,
        "too many redirects: stopped after following 1 (follow_redirects); the last one was 302 to /redirect/1",
    )));
    assert_eq!(failure.exception, RequestsError::TooManyRedirects);
    assert_eq!(failure.message, "Exceeded 1 redirects.");

    let mut sockets = requesting("http://www.lab.test/get");
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::Http,
        "the server closed before its whole answer",
    )));
    assert_eq!(failure.exception, RequestsError::ConnectionError);
}

#[test]
fn a_body_past_the_cap_raises_and_the_page_holds_no_more_than_the_cap() {
    let mut sockets = requesting("http://www.lab.test/drip");
    sockets.relay(&event(head(200, "OK", &[])));
    let piece = vec![b'x'; 1 << 20];
    for _ in 0..5 {
        assert_eq!(sockets.relay(&data(&piece)), Vec::new());
    }
    let failure = http_failure(&sockets.relay(&failed(
        ErrorCode::BodyTooLarge,
        "the response body is larger than the limit of 4194304 bytes (max_body): the relay stopped reading",
    )));
    assert_eq!(failure.exception, RequestsError::RequestException);
    assert!(failure.message.contains("larger than 4 MiB"), "{failure:?}");

    // A relay that sent more than it was asked for: the body stops at the
    // cap.
    let mut sockets = requesting("http://www.lab.test/drip");
    sockets.relay(&event(head(200, "OK", &[])));
    for _ in 0..5 {
        sockets.relay(&data(&piece));
    }
    let effects = sockets.relay(&event(done()));
    let [
        Effect::Reply(Reply {
            outcome: Outcome::Response { body, .. },
            ..
        }),
    ] = &effects[..]
    else {
        panic!("{effects:?}")
    };
    assert_eq!(body.0.len() as u64, MAX_BODY);
}

#[test]
fn a_request_refused_before_it_starts_raises_and_a_stopped_program_closes_its_requests() {
    let mut sockets = requesting("http://www.lab.test/get");
    let failure = http_failure(&sockets.relay(&ServerMsg::Error {
        op: Some(OP),
        error: RelayError::new(ErrorCode::LimitReached, "16 operations are open"),
    }));
    assert_eq!(failure.exception, RequestsError::ConnectionError);
    assert!(
        failure.message.contains("16 operations are open"),
        "{failure:?}"
    );
    assert!(!sockets.owns(OP));

    // Stopped while the request waits: its operation is closed.
    let mut sockets = requesting("http://www.lab.test/delay/10");
    assert_eq!(sockets.end(), vec![OP]);
    assert!(!sockets.owns(OP));
}

#[test]
fn the_module_reads_a_response_and_a_failure_by_these_names() {
    let json = serde_json::to_value(Reply {
        id: 4,
        outcome: Outcome::Response {
            response: HttpResponse {
                status: 404,
                reason: "Not Found".into(),
                headers: vec![("content-length".into(), "0".into())],
                url: "http://www.lab.test/status/404".into(),
                elapsed_us: 1234,
            },
            body: Payload(Vec::new()),
            history: Vec::new(),
        },
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "id": 4,
            "result": "response",
            "response": {
                "status": 404,
                "reason": "Not Found",
                "headers": [["content-length", "0"]],
                "url": "http://www.lab.test/status/404",
                "elapsed_us": 1234
            },
            "body": {"text": ""},
            "history": []
        })
    );
    let name = |exception| {
        serde_json::to_value(HttpFailure {
            exception,
            cause: None,
            message: String::new(),
            limit: None,
        })
        .unwrap()["exception"]
            .clone()
    };
    let json = serde_json::to_value(Reply {
        id: 5,
        outcome: Outcome::HttpFailed {
            error: HttpFailure {
                exception: RequestsError::ConnectionError,
                cause: Some(super::python_error::PyError::new(
                    PyException::ConnectionRefusedError,
                    Some(111),
                    "Connection refused",
                )),
                message: "ConnectionRefusedError: [Errno 111] Connection refused".into(),
                limit: None,
            },
        },
    })
    .unwrap();
    assert_eq!(json["result"], "http_failed");
    assert_eq!(json["error"]["exception"], "ConnectionError");
    assert_eq!(
        json["error"]["cause"],
        serde_json::json!({"exception": "ConnectionRefusedError", "errno": 111, "message": "Connection refused"})
    );
    assert_eq!(name(RequestsError::SslError), "SSLError");
    assert_eq!(name(RequestsError::InvalidUrl), "InvalidURL");
    assert_eq!(name(RequestsError::ReadTimeout), "ReadTimeout");
    assert_eq!(name(RequestsError::ConnectTimeout), "ConnectTimeout");
    assert_eq!(name(RequestsError::TooManyRedirects), "TooManyRedirects");
}

/// The worker names the line of each call, and with a socket's first call
/// the line that created it: the page ties them to the operations.
#[test]
fn a_call_names_its_line_and_the_operation_it_acted_on() {
    let request: Request = serde_json::from_str(
        r#"{"id": 1, "line": 3, "made": 2, "call": "connect", "sock": 5, "host": "echo.lab.test", "port": 7}"#,
    )
    .unwrap();
    assert_eq!((request.line, request.made), (Some(3), Some(2)));
    let mut sockets = Sockets::default();
    let effects = sockets.call(request.clone(), OP);
    assert_eq!(
        sockets.sources_of(&request, &effects),
        [(OP, CallName::Socket, 2), (OP, CallName::Connect, 3)]
    );
    // A later call on the socket names its operation, without `socket()`.
    let send = Request {
        id: 2,
        line: Some(4),
        made: Some(2),
        call: Call::Send {
            sock: 5,
            data: Payload(b"hi".to_vec()),
        },
    };
    let effects = sockets.call(send.clone(), OP + 1);
    assert_eq!(
        sockets.sources_of(&send, &effects),
        [(OP, CallName::Send, 4)]
    );
    // A lookup is an operation of its own; a call without a line is none.
    let lookup = Request {
        id: 3,
        line: Some(6),
        made: None,
        call: Call::Resolve {
            name: "www.lab.test".into(),
        },
    };
    let effects = sockets.call(lookup.clone(), OP + 1);
    assert_eq!(
        sockets.sources_of(&lookup, &effects),
        [(OP + 1, CallName::Lookup, 6)]
    );
    let unlined = Request {
        line: None,
        ..lookup
    };
    assert!(sockets.sources_of(&unlined, &[]).is_empty());
}
