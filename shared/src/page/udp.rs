//! What the UDP panel shows: the socket, its addresses and its datagrams.

use crate::lifecycle::SocketState;
use crate::protocol::{EventKind, OpId};

use super::state::{RelayLink, State};

impl State {
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
}
