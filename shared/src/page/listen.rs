//! What the Listen panel shows: the listener and every connection it
//! accepted in this relay session.

use crate::lifecycle::{self, SocketState};
use crate::protocol::{EventKind, OpId};
use crate::trace::StepKind;

use super::state::{RelayLink, State};

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
    pub(super) fn accepted(&self) -> Vec<(OpId, String)> {
        self.session_steps()
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
        let steps = self.session_steps();
        self.accepted()
            .into_iter()
            .map(|(op, peer)| {
                let events = steps
                    .clone()
                    .filter(|step| step.op == op)
                    .filter_map(|step| match &step.kind {
                        StepKind::Event { kind, .. } => Some(kind),
                        _ => None,
                    });
                let state = lifecycle::current(events);
                let received = steps
                    .clone()
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
