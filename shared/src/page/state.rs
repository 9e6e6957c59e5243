//! The page's state and every way it changes.
//!
//! [`State`] is plain data and [`State::apply`] a pure function of it and an
//! [`Action`], so the whole page logic can be tested without a socket: feed it
//! the messages a relay would send and look at what the page would show.
//! Everything the views display is derived here from the trace, never stored
//! twice.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::explain;
use crate::lifecycle::{self, SocketState};
use crate::payload::format_bytes;
use crate::protocol::{
    ClientMsg, ErrorCode, EventKind, FIRST_RELAY_OP, OpId, PROTOCOL_VERSION, RelayError, ServerMsg,
    Service, SessionLimits, op_name,
};
use crate::trace::{Request, StepKind, Trace};

use crate::recording::Message;

use super::notice::Notice;
use super::recorder::Recorder;

/// How far the page's link to the relay has come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayLink {
    /// The WebSocket is being opened.
    Connecting,
    /// Open, hello sent, no welcome yet.
    Greeting,
    /// The relay welcomed us: operations may start.
    Ready { relay: String },
    /// The WebSocket closed or never opened; `code` is the close frame's.
    Lost { code: Option<u16>, reason: String },
}

impl RelayLink {
    /// The words `#relay-status` shows.
    pub fn label(&self) -> &'static str {
        match self {
            RelayLink::Connecting | RelayLink::Greeting => "connecting…",
            RelayLink::Ready { .. } => "connected",
            RelayLink::Lost { .. } => "disconnected",
        }
    }
}

/// An operation a panel acts on: the one its last Connect (Open, Listen)
/// started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrentOp {
    pub op: OpId,
    /// The relay link this operation ran over ended before the operation
    /// did. The relay closes a session's sockets with it, but no event can
    /// say so any more.
    pub cut_off: bool,
}

/// The most received bytes the Message panel shows (the newest).
pub const SHOWN_RECEIVED: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub relay: RelayLink,
    /// Lab services from the relay's welcome, in the relay's order.
    pub services: Vec<Service>,
    /// Every step of every operation of this page. Shared with the views so
    /// that a render does not copy it.
    pub trace: Rc<Trace>,
    /// The TCP connection the Target and Message panels act on.
    pub current: Option<CurrentOp>,
    /// The UDP socket the UDP panel acts on.
    pub udp: Option<CurrentOp>,
    /// The listener the Listen panel acts on.
    pub listener: Option<CurrentOp>,
    /// Where the steps of the current relay session begin in the trace. The
    /// relay numbers accepted connections per session, so their ids repeat
    /// across reconnects: only this session's steps count for them.
    pub session_start: usize,
    /// The id the next Connect uses. Ids only grow, also across relay
    /// reconnects, so every operation keeps its own rows in the trace.
    pub next_op: OpId,
    /// Problems that belong to no operation, shown until the next Connect.
    pub session_errors: Vec<String>,
    /// The limits of the current relay session, from its welcome.
    pub limits: Option<SessionLimits>,
    /// Every message to and from the relay, with its time: what "Save
    /// trace", share links and replay work from.
    pub recorder: Recorder,
    /// What of each TCP connection's sends waits in the page for the relay
    /// to write earlier ones (see `shared::pacing`).
    pub waiting: BTreeMap<OpId, Held>,
}

impl Default for State {
    fn default() -> Self {
        State {
            relay: RelayLink::Connecting,
            services: Vec::new(),
            trace: Rc::default(),
            current: None,
            udp: None,
            listener: None,
            session_start: 0,
            next_op: 1,
            session_errors: Vec::new(),
            limits: None,
            recorder: Recorder::default(),
            waiting: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A new WebSocket to the relay is being opened.
    RelayConnecting,
    /// Something the relay socket reported.
    Relay(Notice),
    /// This message went to the relay.
    Requested(ClientMsg),
    /// The page could not do what the learner asked.
    Problem(String),
    /// The learner picked which open connection the Target and Message
    /// panels act on.
    SelectConnection(OpId),
}

/// What of a connection's sends waits in the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub bytes: u64,
    /// A shutdown waits behind the bytes.
    pub shutdown: bool,
}

/// An open TCP connection of this relay session, for the connection picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub op: OpId,
    /// `#2 tcp-chat · 127.0.0.1:51002 → 127.0.0.1:6000 · connected`.
    pub label: String,
}

impl State {
    /// The one way the page changes: `action`, with the messages in it
    /// recorded as seen at `now_ms` (the page's wall clock, ms since the
    /// Unix epoch; the reducer reads the clock, this function does not).
    pub fn apply(&mut self, now_ms: f64, action: Action) {
        match action {
            Action::RelayConnecting => {
                self.relay = RelayLink::Connecting;
                self.waiting.clear();
                self.cut_off_current();
                self.session_start = self.trace.steps().len();
            }
            Action::Requested(msg) => {
                self.note(now_ms, Message::Out(msg.clone()));
                self.requested(msg);
            }
            Action::Relay(Notice::Message(msg)) => {
                self.note(now_ms, Message::In(msg.clone()));
                self.receive(msg);
            }
            Action::Relay(Notice::Messages(msgs)) => {
                for msg in msgs {
                    self.note(now_ms, Message::In(msg.clone()));
                    self.receive(msg);
                }
            }
            Action::Relay(Notice::Left(msgs)) => {
                for msg in msgs {
                    self.apply(now_ms, Action::Requested(msg));
                }
            }
            Action::Relay(Notice::Opened) => self.relay = RelayLink::Greeting,
            Action::Relay(Notice::Unreadable(error)) => self.session_errors.push(error.message),
            Action::Relay(Notice::SendFailed(message)) | Action::Problem(message) => {
                self.session_errors.push(message)
            }
            Action::Relay(Notice::Waiting {
                op,
                bytes: 0,
                shutdown: false,
            }) => {
                self.waiting.remove(&op);
            }
            Action::Relay(Notice::Waiting {
                op,
                bytes,
                shutdown,
            }) => {
                self.waiting.insert(op, Held { bytes, shutdown });
            }
            Action::Relay(Notice::NotSent { op, bytes, why }) => {
                self.waiting.remove(&op);
                self.session_errors.push(format!(
                    "{}: {} waiting in the page were never sent: {why}",
                    op_name(op),
                    format_bytes(bytes)
                ));
            }
            Action::Relay(Notice::Closed { code, reason }) => {
                self.waiting.clear();
                self.relay = RelayLink::Lost { code, reason };
                self.cut_off_current();
            }
            Action::SelectConnection(op) => {
                if self.connections().iter().any(|c| c.op == op) {
                    self.current = Some(CurrentOp { op, cut_off: false });
                }
            }
        }
    }

    /// A message that went to the relay: the panel it came from acts on its
    /// operation from now on.
    fn requested(&mut self, msg: ClientMsg) {
        let started = |op| Some(CurrentOp { op, cut_off: false });
        match msg {
            ClientMsg::TcpConnect { op, .. } => {
                self.current = started(op);
                self.session_errors.clear();
            }
            ClientMsg::UdpOpen { op, .. } => self.udp = started(op),
            ClientMsg::TcpListen { op, .. } => self.listener = started(op),
            _ => {}
        }
        // Every operation the page starts (a connection, a UDP
        // socket, a listener, a DNS query, an HTTP request) takes its
        // id from the same count. The ids of accepted connections
        // are the relay's, from FIRST_RELAY_OP up: not ours to count.
        if let Some(op) = msg.op().filter(|&op| op < FIRST_RELAY_OP) {
            self.next_op = self.next_op.max(op.wrapping_add(1));
        }
        Rc::make_mut(&mut self.trace).record_request(&msg);
    }

    /// Records `message` and gives the trace steps that follow its time:
    /// they carry the recording's times, so the live diagram and a replay of
    /// it are drawn alike.
    fn note(&mut self, now_ms: f64, message: Message) {
        let at_ms = self.recorder.record(now_ms, message);
        Rc::make_mut(&mut self.trace).seen_at(at_ms);
    }

    fn receive(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Welcome {
                version,
                relay,
                services,
                limits,
            } => {
                if let Some(error) = version_mismatch(version) {
                    self.session_errors.push(error.message);
                }
                self.relay = RelayLink::Ready { relay };
                self.services = services;
                self.limits = limits;
            }
            ServerMsg::Error { op: None, error } => self.session_errors.push(error.message),
            other => Rc::make_mut(&mut self.trace).record_server(&other),
        }
    }

    /// The relay link ended: no operation of it can take requests any more.
    fn cut_off_current(&mut self) {
        let cut = |state: &State, slot: Option<CurrentOp>| match slot {
            Some(current) if !state.has_ended(current.op) => Some(CurrentOp {
                cut_off: true,
                ..current
            }),
            other => other,
        };
        self.current = cut(self, self.current);
        self.udp = cut(self, self.udp);
        self.listener = cut(self, self.listener);
    }

    /// The lab services of one protocol (`tcp`, `udp`), in the relay's order.
    pub fn services_of(&self, protocol: &str) -> Vec<Service> {
        self.services
            .iter()
            .filter(|service| service.protocol == protocol)
            .cloned()
            .collect()
    }

    /// Whether the relay reported the end of `op`.
    pub fn has_ended(&self, op: OpId) -> bool {
        self.trace.events_of(op).any(EventKind::is_terminal)
    }

    /// The states the current operation's socket went through, ending with
    /// the state it is in; just `[Idle]` before the first Connect.
    pub fn socket_path(&self) -> Vec<SocketState> {
        match self.current {
            Some(current) => lifecycle::path(self.trace.events_of(current.op)),
            None => vec![SocketState::Idle],
        }
    }

    pub fn socket_state(&self) -> SocketState {
        match self.current {
            Some(current) => lifecycle::current(self.trace.events_of(current.op)),
            None => SocketState::Idle,
        }
    }

    /// The current operation while it can still take requests.
    fn live_op(&self) -> Option<OpId> {
        self.live(self.current)
    }

    /// `slot`'s operation while it can still take requests.
    fn live(&self, slot: Option<CurrentOp>) -> Option<OpId> {
        let current = slot?;
        (matches!(self.relay, RelayLink::Ready { .. })
            && !current.cut_off
            && !self.has_ended(current.op))
        .then_some(current.op)
    }

    /// The state of `slot`'s socket; idle before it started.
    fn state_of(&self, slot: Option<CurrentOp>) -> SocketState {
        slot.map_or(SocketState::Idle, |current| {
            lifecycle::current(self.trace.events_of(current.op))
        })
    }

    /// Connect is offered whenever the relay is there: a second connection
    /// (a second chat client) opens beside the first and becomes current.
    pub fn can_connect(&self) -> bool {
        matches!(self.relay, RelayLink::Ready { .. })
    }

    /// The TCP connections this page opened over the current relay link
    /// and that have not ended, oldest first, plus the current one.
    pub fn connections(&self) -> Vec<Connection> {
        if !matches!(self.relay, RelayLink::Ready { .. }) {
            return Vec::new();
        }
        let steps = &self.trace.steps()[self.session_start.min(self.trace.steps().len())..];
        steps
            .iter()
            .filter_map(|step| match &step.kind {
                StepKind::Request(Request::Connect { target, .. }) => Some((step.op, target)),
                _ => None,
            })
            .filter(|(op, _)| !self.has_ended(*op) || self.current.is_some_and(|c| c.op == *op))
            .map(|(op, target)| {
                let mut label = format!("#{op} {target}");
                for kind in self.trace.events_of(op) {
                    if let EventKind::Connected { local, remote } = kind {
                        label.push_str(&format!(" · {local} → {remote}"));
                    }
                }
                let state = lifecycle::current(self.trace.events_of(op));
                label.push_str(&format!(" · {}", state.label()));
                Connection { op, label }
            })
            .collect()
    }

    /// Send is offered while our sending side is open (and no shutdown
    /// waits in the page to close it).
    pub fn can_send(&self) -> bool {
        self.live_op().is_some()
            && self.socket_state().can_write()
            && !self.waiting_to_send().shutdown
    }

    /// What of the current connection's sends waits in the page.
    pub fn waiting_to_send(&self) -> Held {
        self.live_op()
            .and_then(|op| self.waiting.get(&op).copied())
            .unwrap_or_default()
    }

    /// Shutdown (half-close) is offered while our sending side is open.
    pub fn can_shutdown(&self) -> bool {
        self.can_send()
    }

    /// Close is offered from the Connect on, so that a slow handshake can be
    /// abandoned too.
    pub fn can_close(&self) -> bool {
        self.live_op().is_some()
    }

    /// The operation Send and Close act on.
    pub fn op_for_requests(&self) -> Option<OpId> {
        self.live_op()
    }

    /// The last bytes the current operation received (at most about
    /// [`SHOWN_RECEIVED`]: a long stream is not copied on every render).
    pub fn received(&self) -> Vec<u8> {
        self.received_shown().0
    }

    /// [`State::received`], whether earlier bytes are left out of it, and
    /// how many bytes the operation received in all.
    pub fn received_shown(&self) -> (Vec<u8>, bool, u64) {
        let Some(current) = self.current else {
            return (Vec::new(), false, 0);
        };
        let (tail, earlier) = self.trace.received_tail(current.op, SHOWN_RECEIVED);
        let total = self
            .trace
            .events_of(current.op)
            .map(|kind| match kind {
                EventKind::Received { bytes } => *bytes,
                _ => 0,
            })
            .fold(0, u64::saturating_add);
        (tail, earlier, total)
    }

    /// What this relay session uses of its limits, for the page: open
    /// operations of the most allowed, bytes moved so far, and the rates,
    /// e.g. `2 of 16 operations open · sent 5 B, received 5 B · at most 5
    /// new per second · 1 MiB/min out, 8 MiB/min in`. `None` before the
    /// welcome.
    pub fn quota(&self) -> Option<String> {
        let limits = self.limits.as_ref()?;
        let open = self.trace.open_ops(self.session_start).len();
        let (sent, received) = self.trace.bytes_moved(self.session_start);
        let mut parts = vec![
            format!("{open} of {} operations open", limits.max_ops),
            format!(
                "sent {}, received {}",
                format_bytes(sent),
                format_bytes(received)
            ),
            format!("at most {} new per second", limits.ops_per_second),
        ];
        let rate = |n: Option<u64>, way: &str| n.map(|n| format!("{}/min {way}", format_bytes(n)));
        let rates: Vec<String> = [
            rate(limits.bytes_out_per_minute, "out"),
            rate(limits.bytes_in_per_minute, "in"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !rates.is_empty() {
            parts.push(rates.join(", "));
        }
        if let Some(total) = limits.session_bytes {
            let left = total.saturating_sub(sent.saturating_add(received));
            parts.push(format!(
                "{} of {} left",
                format_bytes(left),
                format_bytes(total)
            ));
        }
        Some(parts.join(" · "))
    }

    /// Every error the learner should read now, in the order they happened:
    /// the failures and refused messages of the current connection, UDP
    /// socket, listener and accepted connections, then problems of the
    /// session, then a lost relay link.
    pub fn errors(&self) -> Vec<String> {
        self.shown_errors().into_iter().map(|e| e.message).collect()
    }

    /// [`State::errors`], each with its explanation when the page has one:
    /// from the relay's typed error (its refusal or code) or the close
    /// code of a lost link, never from the words.
    pub fn shown_errors(&self) -> Vec<ShownError> {
        let current: Vec<OpId> = [self.current, self.udp, self.listener]
            .into_iter()
            .flatten()
            .map(|current| current.op)
            .collect();
        let conns: Vec<OpId> = self.accepted().into_iter().map(|(op, _)| op).collect();
        let mut errors: Vec<ShownError> = self
            .trace
            .steps()
            .iter()
            .enumerate()
            .filter(|(i, step)| {
                current.contains(&step.op) || (*i >= self.session_start && conns.contains(&step.op))
            })
            .filter_map(|(_, step)| match &step.kind {
                StepKind::Event {
                    kind: EventKind::Failed { error },
                    ..
                }
                | StepKind::Rejected(error) => Some(ShownError {
                    message: error.message.clone(),
                    explanation: Some(explain::relay_error(error)),
                }),
                _ => None,
            })
            .collect();
        errors.extend(self.session_errors.iter().map(|m| ShownError {
            message: m.clone(),
            explanation: None,
        }));
        if let RelayLink::Lost { code, reason } = &self.relay {
            errors.push(ShownError {
                message: reason.clone(),
                explanation: code.and_then(explain::close_code),
            });
        }
        errors
    }
}

/// One error as the page shows it: the words, and the explanation when the
/// page has one.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownError {
    pub message: String,
    pub explanation: Option<explain::Explanation>,
}

/// One connection a listener of this relay session accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub op: OpId,
    pub peer: String,
    pub state: SocketState,
    /// Everything it received.
    pub received: Vec<u8>,
    pub can_send: bool,
    pub can_close: bool,
}

impl State {
    // The UDP panel.

    pub fn can_open_udp(&self) -> bool {
        matches!(self.relay, RelayLink::Ready { .. }) && self.live(self.udp).is_none()
    }

    pub fn udp_state(&self) -> SocketState {
        self.state_of(self.udp)
    }

    /// The UDP socket while it can send.
    pub fn udp_op(&self) -> Option<OpId> {
        self.live(self.udp)
            .filter(|_| self.udp_state() == SocketState::Bound)
    }

    /// The UDP socket's local address and its target, once bound.
    pub fn udp_addresses(&self) -> Option<(String, Option<String>)> {
        let udp = self.udp?;
        self.trace.events_of(udp.op).find_map(|kind| match kind {
            EventKind::Bound { local, remote } => Some((local.clone(), remote.clone())),
            _ => None,
        })
    }

    /// Send (to the socket's target) needs a target.
    pub fn can_send_udp(&self) -> bool {
        self.udp_op().is_some()
            && self
                .udp_addresses()
                .is_some_and(|(_, remote)| remote.is_some())
    }

    pub fn can_close_udp(&self) -> bool {
        self.live(self.udp).is_some()
    }

    /// The datagrams the UDP socket received: source and bytes.
    pub fn datagrams(&self) -> Vec<(String, Vec<u8>)> {
        self.udp
            .map(|udp| {
                self.trace
                    .datagrams(udp.op)
                    .into_iter()
                    .map(|(from, bytes)| (from.to_owned(), bytes.to_vec()))
                    .collect()
            })
            .unwrap_or_default()
    }

    // The Listen panel.

    pub fn can_listen(&self) -> bool {
        matches!(self.relay, RelayLink::Ready { .. }) && self.live(self.listener).is_none()
    }

    pub fn listener_state(&self) -> SocketState {
        self.state_of(self.listener)
    }

    pub fn listener_op(&self) -> Option<OpId> {
        self.live(self.listener)
    }

    /// Where the live listener listens.
    pub fn listening_on(&self) -> Option<String> {
        let op = self.listener_op()?;
        self.trace.events_of(op).find_map(|kind| match kind {
            EventKind::Listening { addr } => Some(addr.clone()),
            _ => None,
        })
    }

    /// The connections accepted in this relay session, by any listener:
    /// their ids and peers, in the order they came.
    fn accepted(&self) -> Vec<(OpId, String)> {
        self.trace.steps()[self.session_start.min(self.trace.steps().len())..]
            .iter()
            .filter_map(|step| match &step.kind {
                StepKind::Event {
                    kind: EventKind::Accepted { conn, peer },
                    ..
                } => Some((*conn, peer.clone())),
                _ => None,
            })
            .collect()
    }

    /// Every connection accepted in this relay session, with what the
    /// Listen panel shows of it.
    pub fn accepted_connections(&self) -> Vec<Accepted> {
        let ready = matches!(self.relay, RelayLink::Ready { .. });
        let steps = &self.trace.steps()[self.session_start.min(self.trace.steps().len())..];
        self.accepted()
            .into_iter()
            .map(|(op, peer)| {
                let events =
                    steps
                        .iter()
                        .filter(|step| step.op == op)
                        .filter_map(|step| match &step.kind {
                            StepKind::Event { kind, .. } => Some(kind),
                            _ => None,
                        });
                let state = lifecycle::current(events);
                let received = steps
                    .iter()
                    .filter(|step| step.op == op)
                    .filter_map(|step| match &step.kind {
                        StepKind::Event {
                            kind: EventKind::Received { .. },
                            payload: Some(bytes),
                        } => Some(bytes.as_slice()),
                        _ => None,
                    })
                    .flatten()
                    .copied()
                    .collect();
                let open = ready && state.is_open();
                Accepted {
                    op,
                    peer,
                    state,
                    received,
                    can_send: open && state.can_write(),
                    can_close: open,
                }
            })
            .collect()
    }
}

/// A session error when the relay's welcome names another protocol version.
fn version_mismatch(relay_version: u32) -> Option<RelayError> {
    (relay_version != PROTOCOL_VERSION).then(|| {
        RelayError::new(
            ErrorCode::UnsupportedVersion,
            format!(
                "the relay speaks protocol version {relay_version}, this page speaks {PROTOCOL_VERSION}"
            ),
        )
    })
}
