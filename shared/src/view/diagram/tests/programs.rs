//! A Python program in the page: its steps start in a lane of its own,
//! named after its file, and each step it made names the line.

use super::super::view::row_title;
use super::super::*;
use crate::payload::Payload;
use crate::protocol::{ClientMsg, EventKind};
use crate::session::sources::{CallName, ProgramCall};
use crate::testing::fixtures::record_event;
use crate::trace::Trace;

fn call(op: u32, call: CallName, program: &str, line: u32, text: &str) -> ProgramCall {
    ProgramCall {
        op,
        call,
        program: program.to_owned(),
        line,
        text: text.to_owned(),
    }
}

/// `program` connects to the echo service (op `op`) at line 3 and sends
/// "hi" at line 4, which comes back; the page closes it.
fn echo_client(trace: &mut Trace, op: u32, program: Option<&str>, port: u16) {
    if let Some(program) = program {
        trace.program_call(call(op, CallName::Connect, program, 3, "s.connect(addr)"));
    }
    trace.record_request(&ClientMsg::TcpConnect {
        faults: None,
        op,
        target: "127.0.0.1:7".into(),
        connect_timeout_ms: None,
        nodelay: false,
    });
    record_event(
        trace,
        op,
        100,
        EventKind::Connected {
            local: format!("127.0.0.1:{port}"),
            remote: "127.0.0.1:7".into(),
        },
    );
    if let Some(program) = program {
        trace.program_call(call(op, CallName::Send, program, 4, "s.sendall(b'hi')"));
    }
    trace.record_request(&ClientMsg::Send {
        op,
        data: Payload(b"hi".to_vec()),
    });
    record_event(trace, op, 200, EventKind::Sent { bytes: 2 });
    trace.record_server(&crate::protocol::ServerMsg::Data {
        op,
        t_us: 300,
        data: Payload(b"hi".to_vec()),
    });
    trace.record_request(&ClientMsg::Close { op });
    record_event(
        trace,
        op,
        400,
        EventKind::Closed {
            by: crate::protocol::Closer::Browser,
        },
    );
}

#[test]
fn a_programs_steps_start_in_its_own_lane_and_name_their_line() {
    let mut trace = Trace::new();
    echo_client(&mut trace, 1, Some("client.py"), 40000);
    let tl = timeline(&trace);
    // Only the program spoke: its lane takes the Browser lane's place.
    assert_eq!(
        tl.describe_lanes(),
        "Program client.py\nRelay\nTarget 127.0.0.1:7\n"
    );
    let send = tl
        .items
        .iter()
        .position(|item| item.from == 0 && item.label.contains("\"hi\""))
        .expect("the send is drawn from the program's lane");
    let title = row_title(&tl, send);
    assert!(
        title.contains("made by client.py, line 4: s.sendall(b'hi')"),
        "{title}"
    );
    // The echoed bytes came from the peer: no line made them.
    let back = tl.items.iter().rposition(|item| item.to == 0).unwrap();
    assert_eq!(tl.items[back].source, None);
    assert!(!row_title(&tl, back).contains("made by"));
}

#[test]
fn a_panels_connection_keeps_the_browser_lane_beside_two_programs() {
    let mut trace = Trace::new();
    echo_client(&mut trace, 1, None, 40000);
    echo_client(&mut trace, 2, Some("client.py"), 40001);
    echo_client(&mut trace, 3, Some("other.py"), 40002);
    let tl = timeline(&trace);
    assert_eq!(
        tl.describe_lanes(),
        "Browser\nProgram client.py\nProgram other.py\nRelay\nTarget 127.0.0.1:7\n"
    );
    for (op, lane) in [(1, 0), (2, 1), (3, 2)] {
        let first = tl.items.iter().find(|item| item.op == op).unwrap();
        assert_eq!((first.from, first.to), (lane, 3), "op {op}");
    }
    // Every Relay and Target step moved with its lane.
    assert!(tl.items.iter().all(|item| item.from != 0 || item.op == 1));
    let syn_acks: Vec<_> = tl
        .items
        .iter()
        .filter(|item| item.label.starts_with("SYN-ACK"))
        .map(|item| (item.from, item.to))
        .collect();
    assert_eq!(syn_acks, [(4, 3); 3]);
}

#[test]
fn a_trace_without_programs_is_drawn_as_before() {
    let mut trace = Trace::new();
    echo_client(&mut trace, 1, None, 40000);
    let tl = timeline(&trace);
    assert_eq!(tl.describe_lanes(), "Browser\nRelay\nTarget 127.0.0.1:7\n");
    assert!(tl.items.iter().all(|item| item.source.is_none()));
}
