//! Which line of which program in the page made each step of a trace:
//! `client.py, line 9: sock.sendall(b"Hello")`.
//!
//! A Python program in the page tells the page, before each of its socket
//! calls is carried out, the call and the line of the learner's file that
//! made it ([`ProgramCall`]). The trace keeps those calls beside its steps
//! ([`Sources`]), and [`Sources::resolve`] ties each step to the call that
//! made it: a request to the call that asked for it, an event to the
//! request it answers (the SYN-ACK to `connect`, `sent` to `sendall`).
//! Steps the program did not make — bytes or a FIN from the peer, a reset,
//! a close the page did for a program that ended — have no line.
//!
//! Bounded like the trace: at most [`MAX_CALLS`] calls are kept (later
//! ones are counted), and a line's text is kept once, cut to
//! [`MAX_LINE_TEXT`] characters.

use std::collections::HashMap;

use super::chunked::Chunked;
use super::trace::{Request, Step, StepKind};
use crate::protocol::{EventKind, OpId};

/// The most program calls a trace keeps: one per step it can keep.
pub const MAX_CALLS: usize = super::trace::MAX_STEPS;

/// The most characters of a source line kept for the diagram's tooltips.
pub const MAX_LINE_TEXT: usize = 120;

/// The socket calls a program makes that the page can see, as a course
/// names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallName {
    /// `socket.socket(...)`: told with the socket's first call that opens
    /// something on the relay.
    Socket,
    Connect,
    /// `send` and `sendall`.
    Send,
    /// `recv`, `recv_into`, and reading a `makefile`.
    Recv,
    Shutdown,
    Close,
    /// `bind` + `listen` on a TCP socket (the relay listens at `listen`).
    Listen,
    Accept,
    /// `bind` on a UDP socket.
    Bind,
    SendTo,
    RecvFrom,
    /// `gethostbyname`, `getaddrinfo`.
    Lookup,
    /// A `requests` (or `urllib`) request.
    Request,
}

impl CallName {
    pub const ALL: [CallName; 13] = [
        CallName::Socket,
        CallName::Connect,
        CallName::Send,
        CallName::Recv,
        CallName::Shutdown,
        CallName::Close,
        CallName::Listen,
        CallName::Accept,
        CallName::Bind,
        CallName::SendTo,
        CallName::RecvFrom,
        CallName::Lookup,
        CallName::Request,
    ];

    /// The call as the lifecycle view lists it (`connect()`), or `None`
    /// for an HTTP request, which is not a socket call.
    pub fn socket_call(self) -> Option<&'static str> {
        Some(match self {
            CallName::Socket => "socket()",
            CallName::Connect => "connect()",
            CallName::Send => "send()",
            CallName::Recv => "recv()",
            CallName::Shutdown => "shutdown()",
            CallName::Close => "close()",
            CallName::Listen => "listen()",
            CallName::Accept => "accept()",
            CallName::Bind => "bind()",
            CallName::SendTo => "sendto()",
            CallName::RecvFrom => "recvfrom()",
            CallName::Lookup => "getaddrinfo()",
            CallName::Request => return None,
        })
    }

    /// Whether this call asks the relay for `request` (and so made it).
    fn makes(self, request: &Request) -> bool {
        match request {
            Request::Connect { .. } => self == CallName::Connect,
            // A UDP socket opens at its first bind, sendto or connect.
            Request::UdpOpen { .. } => {
                matches!(self, CallName::Bind | CallName::SendTo | CallName::Connect)
            }
            Request::Listen { .. } => self == CallName::Listen,
            Request::Send { .. } => self == CallName::Send,
            Request::SendTo { .. } => self == CallName::SendTo,
            Request::Shutdown => self == CallName::Shutdown,
            Request::Close | Request::Abort => self == CallName::Close,
            Request::Http { .. } => self == CallName::Request,
            Request::DnsQuery { .. } => self == CallName::Lookup,
        }
    }
}

/// One call a program made, as the page was told before carrying it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramCall {
    /// The operation the call acts on (for `socket()`, the one it opens).
    pub op: OpId,
    pub call: CallName,
    /// The program's file name, e.g. `client.py`.
    pub program: String,
    /// The line of the program's file that made the call (from 1).
    pub line: u32,
    /// That line's text.
    pub text: String,
}

/// A call as the trace keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Kept {
    op: OpId,
    call: CallName,
    program: u16,
    line: u32,
    /// The trace's length when the call came: the steps it makes come at
    /// this index or later.
    at_step: usize,
}

/// Where a step came from: its program, line and the line's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source<'a> {
    pub program: &'a str,
    pub line: u32,
    pub text: &'a str,
    pub call: CallName,
}

impl Source<'_> {
    /// `client.py, line 9: sock.sendall(b"Hello")`.
    pub fn describe(&self) -> String {
        if self.text.is_empty() {
            format!("{}, line {}", self.program, self.line)
        } else {
            format!("{}, line {}: {}", self.program, self.line, self.text)
        }
    }
}

/// The programs' calls of one trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// Program names, each once; calls refer to them by index.
    programs: Vec<String>,
    /// The program each operation belongs to.
    op_program: HashMap<OpId, usize>,
    calls: Vec<Kept>,
    /// Each line's text, once per program and line.
    texts: Vec<(u16, u32, String)>,
    calls_not_kept: u64,
}

/// The most distinct program names a trace keeps (a page runs at most a
/// few programs; a hostile stream of names must not grow the trace).
const MAX_PROGRAMS: usize = 64;

/// The most lines whose text a trace keeps (past it, steps name their line
/// without its text).
const MAX_TEXTS: usize = 1024;

impl Sources {
    /// Keeps `call`, made when the trace held `at_step` steps.
    pub fn record(&mut self, at_step: usize, call: ProgramCall) {
        if self.calls.len() >= MAX_CALLS {
            self.calls_not_kept += 1;
            return;
        }
        let program = match self.programs.iter().position(|p| *p == call.program) {
            Some(index) => index,
            None if self.programs.len() < MAX_PROGRAMS => {
                self.programs.push(call.program);
                self.programs.len() - 1
            }
            None => {
                self.calls_not_kept += 1;
                return;
            }
        } as u16;
        self.op_program
            .entry(call.op)
            .or_insert(usize::from(program));
        let known = self
            .texts
            .iter()
            .any(|(p, line, _)| (*p, *line) == (program, call.line));
        if !known && self.texts.len() < MAX_TEXTS {
            let text = call.text.trim();
            let text = match text.char_indices().nth(MAX_LINE_TEXT) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text.to_owned(),
            };
            self.texts.push((program, call.line, text));
        }
        self.calls.push(Kept {
            op: call.op,
            call: call.call,
            program,
            line: call.line,
            at_step,
        });
    }

    /// A connection `listener` accepted belongs to the listener's program.
    pub fn accepted(&mut self, listener: OpId, conn: OpId) {
        if let Some(&program) = self.op_program.get(&listener) {
            self.op_program.entry(conn).or_insert(program);
        }
    }

    /// The program `op` belongs to, if a program's.
    pub fn program_of(&self, op: OpId) -> Option<&str> {
        let index = *self.op_program.get(&op)?;
        Some(&self.programs[index])
    }

    pub fn is_empty(&self) -> bool {
        self.op_program.is_empty()
    }

    pub fn calls_not_kept(&self) -> u64 {
        self.calls_not_kept
    }

    fn source(&self, index: usize) -> Source<'_> {
        let kept = &self.calls[index];
        Source {
            program: &self.programs[usize::from(kept.program)],
            line: kept.line,
            text: self
                .texts
                .iter()
                .find(|(p, line, _)| (*p, *line) == (kept.program, kept.line))
                .map_or("", |(_, _, text)| text.as_str()),
            call: kept.call,
        }
    }

    /// The lines at which the program made `call` on `op`, each once, in
    /// the order it first made them there.
    pub fn lines_of(&self, op: OpId, call: CallName) -> Vec<u32> {
        let mut lines = Vec::new();
        for kept in self.calls.iter().filter(|k| k.op == op && k.call == call) {
            if !lines.contains(&kept.line) {
                lines.push(kept.line);
            }
        }
        lines
    }

    /// For each of `steps` (a trace's, in order), the call that made it.
    /// One pass over steps and calls.
    pub fn resolve(&self, steps: &Chunked<Step>) -> Vec<Option<Source<'_>>> {
        let mut out = Vec::with_capacity(steps.len());
        let mut index_of: HashMap<OpId, usize> = HashMap::new();
        let mut ops: Vec<OpCalls> = Vec::new();
        let mut next_call = 0;
        for (index, step) in steps.iter().enumerate() {
            while let Some(kept) = self.calls.get(next_call).filter(|k| k.at_step <= index) {
                OpCalls::of(&mut index_of, &mut ops, kept.op).latest[kept.call as usize] =
                    Some(next_call);
                next_call += 1;
            }
            let op = OpCalls::of(&mut index_of, &mut ops, step.op);
            let made_by = match &step.kind {
                StepKind::Request(request) => {
                    let call = CallName::ALL
                        .iter()
                        .filter(|call| call.makes(request))
                        .filter_map(|&call| op.latest[call as usize])
                        .max();
                    if matches!(request, Request::Http { .. } | Request::DnsQuery { .. }) {
                        op.whole = op.whole.or(call);
                    }
                    op.answered[RequestKind::of(request) as usize] = call;
                    op.last_request = call;
                    call
                }
                StepKind::Event { kind, .. } => match op.whole {
                    Some(call) => Some(call),
                    // A failure ends whatever the operation was asked last.
                    None if matches!(kind, EventKind::Failed { .. }) => op.last_request,
                    None => RequestKind::answered_by(kind)
                        .and_then(|request| op.answered[request as usize]),
                },
                StepKind::Rejected(_) => None,
            };
            out.push(made_by.map(|index| self.source(index)));
        }
        out
    }
}

/// What [`Sources::resolve`] remembers of one operation as it walks.
#[derive(Clone, Debug, Default)]
struct OpCalls {
    /// The latest call of each kind (by `CallName as usize`).
    latest: [Option<usize>; CallName::ALL.len()],
    /// The call behind the latest request of each kind (by
    /// `RequestKind as usize`).
    answered: [Option<usize>; 7],
    /// An HTTP request or DNS query: every step of it is its call's.
    whole: Option<usize>,
    last_request: Option<usize>,
}

impl OpCalls {
    fn of<'a>(
        index_of: &mut HashMap<OpId, usize>,
        ops: &'a mut Vec<OpCalls>,
        op: OpId,
    ) -> &'a mut OpCalls {
        let index = *index_of.entry(op).or_insert_with(|| {
            ops.push(OpCalls::default());
            ops.len() - 1
        });
        &mut ops[index]
    }
}

/// The kinds of request whose answers an event can be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RequestKind {
    Connect,
    Open,
    Listen,
    /// A send or a datagram (`sendto` on an unconnected UDP socket).
    Send,
    Shutdown,
    Close,
    Other,
}

impl RequestKind {
    fn of(request: &Request) -> RequestKind {
        match request {
            Request::Connect { .. } => RequestKind::Connect,
            Request::UdpOpen { .. } => RequestKind::Open,
            Request::Listen { .. } => RequestKind::Listen,
            Request::Send { .. } | Request::SendTo { .. } => RequestKind::Send,
            Request::Shutdown => RequestKind::Shutdown,
            Request::Close | Request::Abort => RequestKind::Close,
            Request::Http { .. } | Request::DnsQuery { .. } => RequestKind::Other,
        }
    }

    /// The request `event` answers, for the events a program's call makes
    /// happen; `None` for what the peer does (data, its FIN, a reset, a
    /// connection to a listener).
    fn answered_by(event: &EventKind) -> Option<RequestKind> {
        Some(match event {
            EventKind::Resolving { .. }
            | EventKind::Resolved { .. }
            | EventKind::LabPort { .. }
            | EventKind::Connecting { .. }
            | EventKind::Connected { .. }
            | EventKind::AttemptFailed { .. }
            | EventKind::Refused { .. }
            | EventKind::TlsHandshake { .. } => RequestKind::Connect,
            EventKind::Sent { .. }
            | EventKind::SendBlocked { .. }
            | EventKind::DatagramSent { .. } => RequestKind::Send,
            EventKind::Bound { .. } => RequestKind::Open,
            EventKind::Listening { .. } => RequestKind::Listen,
            EventKind::ShutdownSent => RequestKind::Shutdown,
            EventKind::ResetSent | EventKind::Closed { .. } => RequestKind::Close,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests;
