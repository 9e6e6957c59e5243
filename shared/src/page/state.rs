//! The page's state and every way it changes.
//!
//! [`State`] is plain data and [`State::apply`] a pure function of it, the
//! clock and an [`Action`], so the whole page logic can be tested without a
//! socket: feed it the messages a relay would send and look at what the
//! page would show. Everything the panels display is derived from the trace
//! (in `tcp`, `udp`, `listen` and `session`), never stored twice.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::lifecycle::{self, SocketState};
use crate::payload::format_bytes;
use crate::protocol::{
    ClientMsg, ErrorCode, EventKind, FIRST_RELAY_OP, OpId, PROTOCOL_VERSION, RelayError, ServerMsg,
    Service, SessionLimits, op_name,
};
use crate::session::sources::ProgramCall;
use crate::trace::Trace;

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
    /// The reconnect scheduled since the link was lost; `None` once the
    /// relay welcomes the page again.
    pub reconnect: Option<super::Reconnecting>,
    /// The link was lost since the learner's last experiment: the page says
    /// so, and offers to redo it.
    pub was_lost: bool,
    /// Operations that were open when the link was lost.
    pub lost: Vec<OpId>,
    /// The request that started the last experiment (for "Redo").
    pub last_experiment: Option<ClientMsg>,
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
            reconnect: None,
            was_lost: false,
            lost: Vec::new(),
            last_experiment: None,
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
    /// A program in the page makes this call: the requests that follow are
    /// its line's.
    ProgramCall(ProgramCall),
    /// The page could not do what the learner asked.
    Problem(String),
    /// The learner picked which open connection the Target and Message
    /// panels act on.
    SelectConnection(OpId),
    /// The page will reconnect by itself after this wait (see
    /// [`super::reconnect::reconnect_wait_ms`]).
    ReconnectIn(super::Reconnecting),
}

/// What of a connection's sends waits in the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub bytes: u64,
    /// A shutdown waits behind the bytes.
    pub shutdown: bool,
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
            Action::ProgramCall(call) => Rc::make_mut(&mut self.trace).program_call(call),
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
                // Once per lost link: a reconnect that fails finds nothing
                // open, and keeps what the first loss found.
                if !matches!(self.relay, RelayLink::Lost { .. }) {
                    let open = self.trace.open_ops(self.session_start);
                    if !open.is_empty() || matches!(self.relay, RelayLink::Ready { .. }) {
                        self.lost = open;
                        self.was_lost = true;
                    }
                }
                self.waiting.clear();
                self.relay = RelayLink::Lost { code, reason };
                self.cut_off_current();
            }
            Action::ReconnectIn(reconnecting) => self.reconnect = Some(reconnecting),
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
        if super::reconnect::starts_experiment(&msg) {
            self.last_experiment = Some(msg.clone());
            self.was_lost = false;
            self.lost.clear();
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
                self.reconnect = None;
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

    /// The current operation while it can still take requests.
    /// The steps of the current relay session: the relay numbers accepted
    /// connections per session, so only these count for them.
    pub(super) fn session_steps(&self) -> crate::session::chunked::Iter<'_, crate::trace::Step> {
        self.trace.steps().iter_from(self.session_start)
    }

    pub(super) fn live_op(&self) -> Option<OpId> {
        self.live(self.current)
    }

    /// `slot`'s operation while it can still take requests.
    pub(super) fn live(&self, slot: Option<CurrentOp>) -> Option<OpId> {
        let current = slot?;
        (matches!(self.relay, RelayLink::Ready { .. })
            && !current.cut_off
            && !self.has_ended(current.op))
        .then_some(current.op)
    }

    /// The state of `slot`'s socket; idle before it started.
    pub(super) fn state_of(&self, slot: Option<CurrentOp>) -> SocketState {
        slot.map_or(SocketState::Idle, |current| {
            lifecycle::current(self.trace.events_of(current.op))
        })
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
