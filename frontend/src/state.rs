//! The page's state and every way it changes.
//!
//! [`State`] is plain data and [`State::apply`] a pure function of it and an
//! [`Action`], so the whole page logic can be tested without a socket: feed it
//! the messages a relay would send and look at what the page would show.
//! Everything the views display is derived here from the trace, never stored
//! twice.

use std::rc::Rc;

use roundtrip_shared::lifecycle::{self, SocketState};
use roundtrip_shared::protocol::{
    ClientMsg, ErrorCode, EventKind, OpId, PROTOCOL_VERSION, RelayError, ServerMsg, Service,
};
use roundtrip_shared::trace::{StepKind, Trace};
use yew::Reducible;

use crate::relay_socket::Notice;

/// How far the page's link to the relay has come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayLink {
    /// The WebSocket is being opened.
    Connecting,
    /// Open, hello sent, no welcome yet.
    Greeting,
    /// The relay welcomed us: operations may start.
    Ready { relay: String },
    /// The WebSocket closed or never opened.
    Lost { reason: String },
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

/// The operation the controls act on: the one the last Connect started.
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
    pub current: Option<CurrentOp>,
    /// The id the next Connect uses. Ids only grow, also across relay
    /// reconnects, so every operation keeps its own rows in the trace.
    pub next_op: OpId,
    /// Problems that belong to no operation, shown until the next Connect.
    pub session_errors: Vec<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            relay: RelayLink::Connecting,
            services: Vec::new(),
            trace: Rc::default(),
            current: None,
            next_op: 1,
            session_errors: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new WebSocket to the relay is being opened.
    RelayConnecting,
    /// Something the relay socket reported.
    Relay(Notice),
    /// This message went to the relay.
    Requested(ClientMsg),
    /// The page could not do what the learner asked.
    Problem(String),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        next.into()
    }
}

impl State {
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::RelayConnecting => {
                self.relay = RelayLink::Connecting;
                self.cut_off_current();
            }
            Action::Relay(Notice::Opened) => self.relay = RelayLink::Greeting,
            Action::Relay(Notice::Message(msg)) => self.receive(msg),
            Action::Relay(Notice::Unreadable(error)) => self.session_errors.push(error.message),
            Action::Relay(Notice::SendFailed(message)) | Action::Problem(message) => {
                self.session_errors.push(message)
            }
            Action::Relay(Notice::Closed { reason }) => {
                self.relay = RelayLink::Lost { reason };
                self.cut_off_current();
            }
            Action::Requested(msg) => {
                if let ClientMsg::TcpConnect { op, .. } = msg {
                    self.current = Some(CurrentOp { op, cut_off: false });
                    self.next_op = self.next_op.max(op.wrapping_add(1));
                    self.session_errors.clear();
                }
                // Every operation (a connection, a UDP socket, a DNS query, an
                // HTTP request) takes its id from the same count.
                if let Some(op) = msg.op() {
                    self.next_op = self.next_op.max(op.wrapping_add(1));
                }
                Rc::make_mut(&mut self.trace).record_request(&msg);
            }
        }
    }

    fn receive(&mut self, msg: ServerMsg) {
        match msg {
            ServerMsg::Welcome {
                version,
                relay,
                services,
            } => {
                if let Some(error) = version_mismatch(version) {
                    self.session_errors.push(error.message);
                }
                self.relay = RelayLink::Ready { relay };
                self.services = services;
            }
            ServerMsg::Error { op: None, error } => self.session_errors.push(error.message),
            other => Rc::make_mut(&mut self.trace).record_server(&other),
        }
    }

    fn cut_off_current(&mut self) {
        if let Some(current) = self.current
            && !self.has_ended(current.op)
        {
            self.current = Some(CurrentOp {
                cut_off: true,
                ..current
            });
        }
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
        let current = self.current?;
        (matches!(self.relay, RelayLink::Ready { .. })
            && !current.cut_off
            && !self.has_ended(current.op))
        .then_some(current.op)
    }

    pub fn can_connect(&self) -> bool {
        matches!(self.relay, RelayLink::Ready { .. }) && self.live_op().is_none()
    }

    pub fn can_send(&self) -> bool {
        self.live_op().is_some() && self.socket_state().can_write()
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

    /// All bytes the current operation received.
    pub fn received(&self) -> Vec<u8> {
        self.current
            .map(|current| self.trace.received_bytes(current.op))
            .unwrap_or_default()
    }

    /// Every error the learner should read now, in the order they happened:
    /// the current operation's failures and refused messages, then problems
    /// of the session, then a lost relay link.
    pub fn errors(&self) -> Vec<String> {
        let mut errors: Vec<String> = match self.current {
            Some(current) => self
                .trace
                .steps()
                .iter()
                .filter(|step| step.op == current.op)
                .filter_map(|step| match &step.kind {
                    StepKind::Event {
                        kind: EventKind::Failed { error },
                        ..
                    }
                    | StepKind::Rejected(error) => Some(error.message.clone()),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        errors.extend(self.session_errors.iter().cloned());
        if let RelayLink::Lost { reason } = &self.relay {
            errors.push(reason.clone());
        }
        errors
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
