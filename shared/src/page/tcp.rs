//! What the TCP client's panels show: the connections open at once, the one
//! the Target and Message panels act on, its socket state and what it
//! received.

use crate::lifecycle::{self, SocketState};
use crate::protocol::{EventKind, OpId};
use crate::trace::{Request, StepKind};

use super::state::{Held, RelayLink, State};

/// An open TCP connection of this relay session, for the connection picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub op: OpId,
    /// `#2 tcp-chat · 127.0.0.1:51002 → 127.0.0.1:6000 · connected`.
    pub label: String,
}

/// The most received bytes the Message panel shows (the newest).
pub const SHOWN_RECEIVED: usize = 64 * 1024;

impl State {
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
        self.session_steps()
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
}
