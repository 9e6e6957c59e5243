use super::*;
use crate::payload::Payload;
use crate::protocol::{ClientMsg, Closer};
use crate::session::trace::Trace;
use crate::testing::fixtures::record_event;

fn call(op: OpId, call: CallName, program: &str, line: u32, text: &str) -> ProgramCall {
    ProgramCall {
        op,
        call,
        program: program.to_owned(),
        line,
        text: text.to_owned(),
    }
}

fn connect(op: OpId) -> ClientMsg {
    ClientMsg::TcpConnect {
        op,
        target: "echo.lab.test:7".to_owned(),
        connect_timeout_ms: None,
        nodelay: false,
        faults: None,
    }
}

fn connected() -> EventKind {
    EventKind::Connected {
        local: "127.0.0.1:40000".to_owned(),
        remote: "127.0.0.1:7".to_owned(),
    }
}

/// Each step's source as `line N` (or `-`), in order.
fn lines(trace: &Trace) -> Vec<String> {
    trace
        .sources()
        .resolve(trace.steps())
        .iter()
        .map(|source| source.map_or("-".to_owned(), |s| format!("line {}", s.line)))
        .collect()
}

/// The echo client of a course: connect, sendall, recv, close. The
/// connect's handshake is line 3's, the send and its `sent` line 4's, the
/// echoed bytes nobody's (the peer sent them), the close line 6's.
#[test]
fn each_step_of_an_echo_client_is_tied_to_the_line_that_made_it() {
    let mut trace = Trace::new();
    trace.program_call(call(
        1,
        CallName::Socket,
        "client.py",
        2,
        "sock = socket.socket()",
    ));
    trace.program_call(call(
        1,
        CallName::Connect,
        "client.py",
        3,
        "sock.connect(('echo.lab.test', 7))",
    ));
    trace.record_request(&connect(1));
    record_event(&mut trace, 1, 10, connected());
    trace.program_call(call(
        1,
        CallName::Send,
        "client.py",
        4,
        "sock.sendall(b'Hello')",
    ));
    trace.record_request(&ClientMsg::Send {
        op: 1,
        data: Payload(b"Hello".to_vec()),
    });
    record_event(&mut trace, 1, 20, EventKind::Sent { bytes: 5 });
    trace.program_call(call(
        1,
        CallName::Recv,
        "client.py",
        5,
        "print(sock.recv(1024))",
    ));
    record_event(&mut trace, 1, 30, EventKind::Received { bytes: 5 });
    trace.program_call(call(1, CallName::Close, "client.py", 6, "sock.close()"));
    trace.record_request(&ClientMsg::Close { op: 1 });
    record_event(
        &mut trace,
        1,
        40,
        EventKind::Closed {
            by: Closer::Browser,
        },
    );
    assert_eq!(
        lines(&trace),
        [
            "line 3", "line 3", "line 4", "line 4", "-", "line 6", "line 6"
        ]
    );
    let sources = trace.sources().resolve(trace.steps());
    assert_eq!(
        sources[2].unwrap().describe(),
        "client.py, line 4: sock.sendall(b'Hello')"
    );
    assert_eq!(trace.sources().program_of(1), Some("client.py"));
    assert_eq!(trace.sources().lines_of(1, CallName::Socket), [2]);
    assert_eq!(trace.sources().lines_of(1, CallName::Recv), [5]);
}

/// A program that ends with its socket open: the page closes it, and no
/// line of the program is blamed for that close; the panels' own
/// operations have no program at all.
#[test]
fn a_close_the_page_made_and_a_panels_operation_have_no_line() {
    let mut trace = Trace::new();
    trace.program_call(call(
        1,
        CallName::Connect,
        "client.py",
        3,
        "sock.connect(addr)",
    ));
    trace.record_request(&connect(1));
    record_event(&mut trace, 1, 10, connected());
    trace.program_call(call(
        1,
        CallName::Send,
        "client.py",
        4,
        "sock.sendall(data)",
    ));
    trace.record_request(&ClientMsg::Send {
        op: 1,
        data: Payload(b"x".to_vec()),
    });
    // The program ended; the page closes what it left open.
    trace.record_request(&ClientMsg::Close { op: 1 });
    record_event(
        &mut trace,
        1,
        40,
        EventKind::Closed {
            by: Closer::Browser,
        },
    );
    // A panel's connection.
    trace.record_request(&connect(2));
    record_event(&mut trace, 2, 5, connected());
    assert_eq!(
        lines(&trace),
        ["line 3", "line 3", "line 4", "-", "-", "-", "-"]
    );
    assert_eq!(trace.sources().program_of(2), None);
}

/// A server program: the connection its listener accepted is its too, and
/// what the client sends on it is nobody's line.
#[test]
fn an_accepted_connection_belongs_to_the_listeners_program() {
    let mut trace = Trace::new();
    trace.program_call(call(1, CallName::Listen, "server.py", 5, "srv.listen()"));
    trace.record_request(&ClientMsg::TcpListen { op: 1, port: None });
    record_event(
        &mut trace,
        1,
        1,
        EventKind::Listening {
            addr: "127.0.0.1:41234".to_owned(),
        },
    );
    record_event(
        &mut trace,
        1,
        2,
        EventKind::Accepted {
            conn: 1_000_000,
            peer: "127.0.0.1:50000".to_owned(),
        },
    );
    assert_eq!(lines(&trace), ["line 5", "line 5", "-"]);
    assert_eq!(trace.sources().program_of(1_000_000), Some("server.py"));
}

/// A refused connection's failure is the connect's.
#[test]
fn a_refusal_is_the_connects_line() {
    let mut trace = Trace::new();
    trace.program_call(call(
        1,
        CallName::Connect,
        "c.py",
        7,
        "s.connect(('127.0.0.1', 9))",
    ));
    trace.record_request(&connect(1));
    record_event(
        &mut trace,
        1,
        3,
        EventKind::Failed {
            error: crate::protocol::RelayError::new(
                crate::protocol::ErrorCode::Refused,
                "connection refused",
            ),
        },
    );
    assert_eq!(lines(&trace), ["line 7", "line 7"]);
}

#[test]
fn a_long_line_is_cut_and_calls_past_the_bound_are_counted() {
    let mut sources = Sources::default();
    let long = "x".repeat(500);
    sources.record(0, call(1, CallName::Send, "p.py", 1, &long));
    let steps: Chunked<Step> = [Step {
        op: 1,
        t_us: None,
        seen_us: None,
        kind: StepKind::Request(Request::Send { data: vec![1] }),
    }]
    .into_iter()
    .collect();
    let text = sources.resolve(&steps)[0].unwrap().text;
    assert_eq!(text.chars().count(), MAX_LINE_TEXT + 1);
    assert!(text.ends_with('…'));
    for _ in 0..MAX_CALLS + 3 {
        sources.record(1, call(1, CallName::Recv, "p.py", 2, "s.recv(1)"));
    }
    assert_eq!(sources.calls_not_kept(), 4);
}
