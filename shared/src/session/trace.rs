//! A session's trace: every request the browser made and every event the
//! relay reported, in the order the browser saw them.
//!
//! The trace is the single input of every view, live or replayed. It keeps
//! payload bytes beside the steps that moved them, so that a label can say
//! `"hello" (5 B)` and not only `5 B`.
//!
//! It is bounded like the recording it mirrors: at most [`MAX_STEPS`] steps
//! (later ones are counted, not kept), and at most [`MAX_KEPT_PAYLOAD`]
//! bytes of the payloads the relay reported; past that the oldest are let
//! go (the step stays, with its byte count, and `payload: None`), so a long
//! flood from a server cannot fill the page's memory.

use std::collections::{HashMap, HashSet, VecDeque};

use super::chunked::Chunked;
use super::sources::{ProgramCall, Sources};
use crate::protocol::{ClientMsg, DnsMode, DnsType, EventKind, OpId, RelayError, ServerMsg};

/// The most steps a trace keeps: as many as a recording holds.
pub const MAX_STEPS: usize = crate::recording::MAX_ENTRIES;

/// The most bytes of reported payloads (`sent`, `received`, datagrams) a
/// trace keeps; the oldest go first.
pub const MAX_KEPT_PAYLOAD: usize = 16 * 1024 * 1024;

/// What the browser asked the relay to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Connect {
        target: String,
        nodelay: bool,
    },
    UdpOpen {
        target: Option<String>,
        bind_port: u16,
    },
    Listen {
        port: u16,
    },
    Send {
        data: Vec<u8>,
    },
    SendTo {
        target: String,
        data: Vec<u8>,
    },
    Shutdown,
    Close,
    /// `close()` with `SO_LINGER` set to zero: an RST, not a FIN.
    Abort,
    Http {
        method: String,
        url: String,
        /// The request body, kept for the payload inspector and HAR export.
        body: Option<Vec<u8>>,
    },
    DnsQuery {
        name: String,
        rtype: DnsType,
        mode: DnsMode,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The browser sent a request (it carries no relay time).
    Request(Request),
    /// The relay reported an event. `payload` holds the bytes of a `sent` or
    /// `received` event.
    Event {
        kind: EventKind,
        payload: Option<Vec<u8>>,
    },
    /// The relay refused a message about this operation.
    Rejected(RelayError),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub op: OpId,
    /// Relay time in microseconds since the operation started; `None` for
    /// steps the browser took itself.
    pub t_us: Option<u64>,
    /// When the page sent or received the step's message, in microseconds
    /// by the page's clock since its recording started; `None` when the
    /// trace was built without times.
    pub seen_us: Option<u64>,
    pub kind: StepKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// In chunks shared between copies: the page copies its state, trace
    /// included, on every action (see `chunked`).
    steps: Chunked<Step>,
    /// Bytes sent by the browser and not yet confirmed by a `sent` event, per
    /// operation. The relay writes bytes in order and confirms each write with
    /// a `sent` of its length (one send may take several writes), so a `sent`
    /// of n bytes confirms the oldest n waiting bytes.
    unconfirmed_sends: HashMap<OpId, VecDeque<u8>>,
    /// Operations that are UDP sockets: their sends are whole datagrams.
    datagram_ops: HashSet<OpId>,
    /// Operations that are TCP listeners.
    listener_ops: HashSet<OpId>,
    /// Operations that are connections a listener accepted.
    accepted_ops: HashSet<OpId>,
    /// Datagrams the browser asked for and the relay has not yet answered.
    /// The relay answers each, in order, with one `datagram_sent` or one
    /// rejection.
    unconfirmed_datagrams: HashMap<OpId, VecDeque<Vec<u8>>>,
    /// The page time given to the steps recorded next (see [`Trace::seen_at`]).
    clock_us: Option<u64>,
    /// Steps holding a reported payload, oldest first, and their bytes.
    payload_steps: VecDeque<usize>,
    payload_bytes: usize,
    /// Payload bytes let go to stay within [`MAX_KEPT_PAYLOAD`].
    released_bytes: u64,
    /// Steps not kept because the trace held [`MAX_STEPS`].
    steps_not_kept: u64,
    /// Which program in the page made which steps, and at which line.
    sources: Sources,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn steps(&self) -> &Chunked<Step> {
        &self.steps
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Sets the page time (milliseconds since the recording started) of the
    /// messages recorded next: the steps remember it as `seen_us`, which
    /// lets the diagram show the time between operations.
    pub fn seen_at(&mut self, at_ms: f64) {
        self.clock_us =
            (at_ms.is_finite() && at_ms >= 0.0).then(|| (at_ms * 1000.0).round() as u64);
    }

    /// Records a request the browser is about to send. `Hello` is not an
    /// operation and is not recorded.
    pub fn record_request(&mut self, msg: &ClientMsg) {
        let (op, request) = match msg {
            ClientMsg::Hello { .. } => return,
            ClientMsg::TcpConnect {
                op,
                target,
                nodelay,
                ..
            } => (
                *op,
                Request::Connect {
                    target: target.clone(),
                    nodelay: *nodelay,
                },
            ),
            ClientMsg::UdpOpen {
                op,
                target,
                bind_port,
                ..
            } => {
                self.datagram_ops.insert(*op);
                (
                    *op,
                    Request::UdpOpen {
                        target: target.clone(),
                        bind_port: bind_port.unwrap_or(0),
                    },
                )
            }
            ClientMsg::TcpListen { op, port } => {
                self.listener_ops.insert(*op);
                (
                    *op,
                    Request::Listen {
                        port: port.unwrap_or(0),
                    },
                )
            }
            ClientMsg::Send { op, data } if self.datagram_ops.contains(op) => {
                self.unconfirmed_datagrams
                    .entry(*op)
                    .or_default()
                    .push_back(data.0.clone());
                (
                    *op,
                    Request::Send {
                        data: data.0.clone(),
                    },
                )
            }
            ClientMsg::SendTo { op, target, data } => {
                self.unconfirmed_datagrams
                    .entry(*op)
                    .or_default()
                    .push_back(data.0.clone());
                (
                    *op,
                    Request::SendTo {
                        target: target.clone(),
                        data: data.0.clone(),
                    },
                )
            }
            ClientMsg::Send { op, data } => {
                self.unconfirmed_sends
                    .entry(*op)
                    .or_default()
                    .extend(data.0.iter().copied());
                (
                    *op,
                    Request::Send {
                        data: data.0.clone(),
                    },
                )
            }
            ClientMsg::Shutdown { op } => (*op, Request::Shutdown),
            ClientMsg::Close { op } => (*op, Request::Close),
            ClientMsg::Abort { op } => (*op, Request::Abort),
            ClientMsg::HttpRequest(request) => (
                request.op,
                Request::Http {
                    method: request.method.clone(),
                    url: request.url.clone(),
                    body: request.body.as_ref().map(|body| body.0.clone()),
                },
            ),
            ClientMsg::DnsQuery {
                op,
                name,
                rtype,
                mode,
                ..
            } => (
                *op,
                Request::DnsQuery {
                    name: name.clone(),
                    rtype: *rtype,
                    mode: *mode,
                },
            ),
        };
        self.push(Step {
            op,
            t_us: None,
            seen_us: self.clock_us,
            kind: StepKind::Request(request),
        });
    }

    /// Records a message from the relay. A `Welcome` and errors that name no
    /// operation are about the session, not an operation, and are not recorded.
    pub fn record_server(&mut self, msg: &ServerMsg) {
        let step = match msg {
            ServerMsg::Welcome { .. } | ServerMsg::Error { op: None, .. } => return,
            ServerMsg::Event(event) => {
                if let EventKind::Accepted { conn, .. } = event.kind {
                    self.accepted_ops.insert(conn);
                    self.sources.accepted(event.op, conn);
                }
                let payload = match event.kind {
                    EventKind::Sent { bytes } => {
                        self.unconfirmed_sends.get_mut(&event.op).map(|waiting| {
                            let n = (bytes as usize).min(waiting.len());
                            waiting.drain(..n).collect()
                        })
                    }
                    EventKind::DatagramSent { .. } => self
                        .unconfirmed_datagrams
                        .get_mut(&event.op)
                        .and_then(VecDeque::pop_front),
                    _ => None,
                };
                if event.kind.is_terminal() {
                    self.unconfirmed_sends.remove(&event.op);
                    self.unconfirmed_datagrams.remove(&event.op);
                }
                Step {
                    op: event.op,
                    t_us: Some(event.t_us),
                    seen_us: self.clock_us,
                    kind: StepKind::Event {
                        kind: event.kind.clone(),
                        payload,
                    },
                }
            }
            ServerMsg::Data { op, t_us, data } => Step {
                op: *op,
                t_us: Some(*t_us),
                seen_us: self.clock_us,
                kind: StepKind::Event {
                    kind: EventKind::Received {
                        bytes: data.0.len() as u64,
                    },
                    payload: Some(data.0.clone()),
                },
            },
            ServerMsg::Datagram {
                op,
                t_us,
                from,
                data,
            } => Step {
                op: *op,
                t_us: Some(*t_us),
                seen_us: self.clock_us,
                kind: StepKind::Event {
                    kind: EventKind::DatagramReceived {
                        from: from.clone(),
                        bytes: data.0.len() as u64,
                    },
                    payload: Some(data.0.clone()),
                },
            },
            ServerMsg::Error {
                op: Some(op),
                error,
            } => {
                // A refused datagram is answered by this rejection instead.
                if let Some(waiting) = self.unconfirmed_datagrams.get_mut(op) {
                    waiting.pop_front();
                }
                Step {
                    op: *op,
                    t_us: None,
                    seen_us: self.clock_us,
                    kind: StepKind::Rejected(error.clone()),
                }
            }
        };
        self.push(step);
    }

    /// Keeps `step` within the bounds (see the module's documentation).
    fn push(&mut self, step: Step) {
        if self.steps.len() >= MAX_STEPS {
            self.steps_not_kept += 1;
            return;
        }
        if let StepKind::Event {
            payload: Some(bytes),
            ..
        } = &step.kind
        {
            self.payload_bytes += bytes.len();
            self.payload_steps.push_back(self.steps.len());
        }
        self.steps.push(step);
        while self.payload_bytes > MAX_KEPT_PAYLOAD {
            let Some(oldest) = self.payload_steps.pop_front() else {
                break;
            };
            if let Some(Step {
                kind: StepKind::Event { payload, .. },
                ..
            }) = self.steps.get_mut(oldest)
                && let Some(bytes) = payload.take()
            {
                self.payload_bytes -= bytes.len();
                self.released_bytes += bytes.len() as u64;
            }
        }
    }

    /// Payload bytes let go to keep the trace within [`MAX_KEPT_PAYLOAD`]:
    /// the oldest steps' bytes, no longer shown.
    pub fn released_bytes(&self) -> u64 {
        self.released_bytes
    }

    /// Steps that came after the trace held [`MAX_STEPS`] and were not kept.
    /// A program in the page is about to make `call`: the steps it makes
    /// from now on are its (see [`Sources::resolve`]).
    pub fn program_call(&mut self, call: ProgramCall) {
        self.sources.record(self.steps.len(), call);
    }

    /// The programs' calls, to tell which line made a step.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    pub fn steps_not_kept(&self) -> u64 {
        self.steps_not_kept
    }

    /// The relay events of one operation, in order.
    pub fn events_of(&self, op: OpId) -> impl Iterator<Item = &EventKind> {
        self.steps.iter().filter_map(move |step| match &step.kind {
            StepKind::Event { kind, .. } if step.op == op => Some(kind),
            _ => None,
        })
    }

    /// The operations that have started and not ended (no `closed` or
    /// `failed` yet) among the steps from index `from` on, in the order they
    /// started.
    pub fn open_ops(&self, from: usize) -> Vec<OpId> {
        let mut open: Vec<OpId> = Vec::new();
        let mut ended: std::collections::HashSet<OpId> = std::collections::HashSet::new();
        for step in self.steps.iter().skip(from) {
            match &step.kind {
                StepKind::Event { kind, .. } if kind.is_terminal() => {
                    ended.insert(step.op);
                }
                StepKind::Request(_) | StepKind::Event { .. } => {
                    if !open.contains(&step.op) && !ended.contains(&step.op) {
                        open.push(step.op);
                    }
                }
                StepKind::Rejected(_) => {}
            }
        }
        open.retain(|op| !ended.contains(op));
        open
    }

    /// Bytes the relay reported written to targets and received from them,
    /// in the steps from index `from` on.
    pub fn bytes_moved(&self, from: usize) -> (u64, u64) {
        let (mut sent, mut received) = (0, 0);
        for step in self.steps.iter().skip(from) {
            if let StepKind::Event { kind, .. } = &step.kind {
                match kind {
                    EventKind::Sent { bytes } | EventKind::DatagramSent { bytes, .. } => {
                        sent += bytes
                    }
                    EventKind::Received { bytes } | EventKind::DatagramReceived { bytes, .. } => {
                        received += bytes
                    }
                    _ => {}
                }
            }
        }
        (sent, received)
    }

    /// All bytes received on `op` that the trace still keeps, concatenated.
    pub fn received_bytes(&self, op: OpId) -> Vec<u8> {
        received_in(&self.steps, op)
    }

    /// The last bytes received on `op`, at most about `max` (whole pieces,
    /// newest last): what a view of a long stream shows without copying all
    /// of it on every render. The flag says whether earlier bytes exist
    /// that are not in it (left out here, or let go by the trace).
    pub fn received_tail(&self, op: OpId, max: usize) -> (Vec<u8>, bool) {
        let mut pieces = Vec::new();
        let mut total = 0;
        let mut earlier = false;
        for step in self.steps.iter().rev().filter(|step| step.op == op) {
            match &step.kind {
                StepKind::Event {
                    kind: EventKind::Received { bytes },
                    payload,
                } => match payload {
                    Some(piece) if total < max => {
                        total += piece.len();
                        pieces.push(piece.as_slice());
                    }
                    _ if *bytes > 0 => {
                        earlier = true;
                        break;
                    }
                    _ => {}
                },
                _ => continue,
            }
        }
        let mut out = Vec::with_capacity(total);
        for piece in pieces.into_iter().rev() {
            out.extend_from_slice(piece);
        }
        (out, earlier)
    }
}

/// The bytes `op` received in `steps`, concatenated.
fn received_in(steps: &Chunked<Step>, op: OpId) -> Vec<u8> {
    let mut out = Vec::new();
    for step in steps {
        if let StepKind::Event {
            kind: EventKind::Received { .. },
            payload: Some(bytes),
        } = &step.kind
            && step.op == op
        {
            out.extend_from_slice(bytes);
        }
    }
    out
}

/// What kind of socket an operation is, as far as the trace knows: the
/// browser's request says so (accepted connections are TCP connections).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    TcpConnection,
    UdpSocket,
    TcpListener,
    /// A connection a listener accepted: the relay is the server.
    AcceptedConnection,
}

impl Trace {
    pub fn kind_of(&self, op: OpId) -> SocketKind {
        if self.datagram_ops.contains(&op) {
            SocketKind::UdpSocket
        } else if self.listener_ops.contains(&op) {
            SocketKind::TcpListener
        } else if self.accepted_ops.contains(&op) {
            SocketKind::AcceptedConnection
        } else {
            SocketKind::TcpConnection
        }
    }

    /// The datagrams `op` received, in order: source address and bytes.
    pub fn datagrams(&self, op: OpId) -> Vec<(&str, &[u8])> {
        self.steps
            .iter()
            .filter(|step| step.op == op)
            .filter_map(|step| match &step.kind {
                StepKind::Event {
                    kind: EventKind::DatagramReceived { from, .. },
                    payload: Some(bytes),
                } => Some((from.as_str(), bytes.as_slice())),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::Event;

    /// The payloads the trace keeps on its relay events, in order.
    fn payloads(trace: &Trace) -> Vec<Vec<u8>> {
        trace
            .steps()
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Event { payload, .. } => payload.clone(),
                _ => None,
            })
            .collect()
    }

    fn data(op: OpId, t_us: u64, bytes: Vec<u8>) -> ServerMsg {
        ServerMsg::Data {
            op,
            t_us,
            data: Payload(bytes),
        }
    }

    /// A server that never stops sending: the trace keeps the newest bytes
    /// within its budget, every step with its byte count, and says how much
    /// it let go.
    #[test]
    fn a_long_flood_keeps_the_newest_payloads_within_the_budget() {
        let mut trace = Trace::new();
        let piece = 16 * 1024;
        let pieces = MAX_KEPT_PAYLOAD / piece + 100;
        for i in 0..pieces {
            trace.record_server(&data(1, i as u64, vec![(i % 251) as u8; piece]));
        }
        let kept: usize = trace
            .steps()
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Event { payload, .. } => payload.as_ref().map(Vec::len),
                _ => None,
            })
            .sum();
        assert!(kept <= MAX_KEPT_PAYLOAD, "{kept}");
        assert_eq!(trace.steps().len(), pieces);
        assert_eq!(trace.released_bytes(), (pieces * piece - kept) as u64);
        assert_eq!(trace.bytes_moved(0).1, (pieces * piece) as u64);
        // The newest piece is there, the oldest is not.
        let (tail, earlier) = trace.received_tail(1, piece);
        assert_eq!(tail, vec![((pieces - 1) % 251) as u8; piece]);
        assert!(earlier);
        assert!(matches!(
            &trace.steps()[0].kind,
            StepKind::Event { payload: None, kind: EventKind::Received { bytes } } if *bytes == piece as u64
        ));
    }

    #[test]
    fn a_trace_keeps_at_most_as_many_steps_as_a_recording() {
        let mut trace = Trace::new();
        for i in 0..MAX_STEPS + 5 {
            trace.record_server(&data(1, i as u64, Vec::new()));
        }
        assert_eq!(trace.steps().len(), MAX_STEPS);
        assert_eq!(trace.steps_not_kept(), 5);
    }

    #[test]
    fn the_received_tail_is_the_last_bytes_whole_and_in_order() {
        let mut trace = Trace::new();
        for (t, text) in ["ab", "cd", "ef"].into_iter().enumerate() {
            trace.record_server(&data(1, t as u64, text.into()));
            trace.record_server(&data(2, t as u64, b"x".to_vec()));
        }
        assert_eq!(trace.received_tail(1, 100), (b"abcdef".to_vec(), false));
        assert_eq!(trace.received_tail(1, 3), (b"cdef".to_vec(), true));
        assert_eq!(trace.received_tail(3, 3), (Vec::new(), false));
    }

    #[test]
    fn sent_events_get_the_bytes_of_the_send_they_confirm() {
        let mut trace = Trace::new();
        for text in ["one", "two"] {
            trace.record_request(&ClientMsg::Send {
                op: 1,
                data: Payload(text.into()),
            });
        }
        for t_us in [10, 20] {
            trace.record_server(&ServerMsg::Event(Event {
                op: 1,
                t_us,
                kind: EventKind::Sent { bytes: 3 },
            }));
        }
        let payloads = payloads(&trace);
        assert_eq!(payloads, vec![b"one".to_vec(), b"two".to_vec()]);
    }

    #[test]
    fn open_operations_and_bytes_moved() {
        let mut trace = Trace::new();
        for op in [1, 2] {
            trace.record_request(&ClientMsg::Close { op });
        }
        trace.record_server(&ServerMsg::Event(Event {
            op: 1,
            t_us: 1,
            kind: EventKind::Sent { bytes: 7 },
        }));
        trace.record_server(&ServerMsg::Data {
            op: 2,
            t_us: 2,
            data: Payload(b"abc".to_vec()),
        });
        assert_eq!(trace.open_ops(0), vec![1, 2]);
        assert_eq!(
            trace.open_ops(3),
            vec![2],
            "steps before `from` do not count"
        );
        trace.record_server(&ServerMsg::Event(Event {
            op: 1,
            t_us: 3,
            kind: EventKind::Closed {
                by: crate::protocol::Closer::Browser,
            },
        }));
        assert_eq!(trace.open_ops(0), vec![2]);
        assert_eq!(trace.bytes_moved(0), (7, 3));
        assert_eq!(trace.bytes_moved(3), (0, 3));
    }

    #[test]
    fn partial_writes_confirm_the_oldest_bytes() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::Send {
            op: 1,
            data: Payload(b"abcdef".to_vec()),
        });
        for (t_us, bytes) in [(1, 4), (2, 2)] {
            trace.record_server(&ServerMsg::Event(Event {
                op: 1,
                t_us,
                kind: EventKind::Sent { bytes },
            }));
        }
        let payloads = payloads(&trace);
        assert_eq!(payloads, vec![b"abcd".to_vec(), b"ef".to_vec()]);
    }

    #[test]
    fn datagrams_keep_their_boundaries_sources_and_payloads() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::UdpOpen {
            faults: None,
            op: 5,
            target: Some("udp-echo".into()),
            bind_port: None,
            recv_timeout_ms: None,
        });
        for (i, text) in ["one", "too big", "three"].into_iter().enumerate() {
            let data = Payload(text.into());
            trace.record_request(&if i == 2 {
                ClientMsg::SendTo {
                    op: 5,
                    target: "127.0.0.1:9".into(),
                    data,
                }
            } else {
                ClientMsg::Send { op: 5, data }
            });
        }
        let sent = |to: &str, bytes| {
            ServerMsg::Event(Event {
                op: 5,
                t_us: 1,
                kind: EventKind::DatagramSent {
                    to: to.into(),
                    bytes,
                },
            })
        };
        trace.record_server(&sent("127.0.0.1:7", 3));
        trace.record_server(&ServerMsg::Error {
            op: Some(5),
            error: RelayError::new(crate::protocol::ErrorCode::TooLarge, "too large"),
        });
        trace.record_server(&sent("127.0.0.1:9", 5));
        for (from, text) in [("127.0.0.1:7", "one"), ("127.0.0.1:7", "two")] {
            trace.record_server(&ServerMsg::Datagram {
                op: 5,
                t_us: 2,
                from: from.into(),
                data: Payload(text.into()),
            });
        }
        let payloads: Vec<_> = trace
            .steps()
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Event {
                    kind: EventKind::DatagramSent { .. },
                    payload,
                } => payload.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(payloads, vec![b"one".to_vec(), b"three".to_vec()]);
        assert_eq!(
            trace.datagrams(5),
            vec![
                ("127.0.0.1:7", b"one".as_slice()),
                ("127.0.0.1:7", b"two".as_slice())
            ]
        );
        assert!(trace.received_bytes(5).is_empty());
    }

    #[test]
    fn data_becomes_a_received_event_and_bytes_concatenate() {
        let mut trace = Trace::new();
        for (t_us, chunk) in [(5, "hel"), (9, "lo")] {
            trace.record_server(&ServerMsg::Data {
                op: 3,
                t_us,
                data: Payload(chunk.into()),
            });
        }
        assert_eq!(trace.received_bytes(3), b"hello");
        assert_eq!(
            trace.events_of(3).collect::<Vec<_>>(),
            vec![
                &EventKind::Received { bytes: 3 },
                &EventKind::Received { bytes: 2 }
            ]
        );
    }
}
