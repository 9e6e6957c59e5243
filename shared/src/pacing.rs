//! The page's sends on a TCP connection, paced like a blocking `send()`:
//! at most a window of bytes is on its way to the relay for each
//! connection, and the rest waits in the page until the relay says earlier
//! ones were written (`sent`). The relay holds only so much for a peer that
//! reads slowly; without pacing, a paste larger than that would have its
//! later pieces refused instead of waiting their turn.
//!
//! Everything else leaves at once, except what must follow the waiting
//! data: a `shutdown` (the FIN goes after the bytes). A `close` does not
//! wait: the learner asked to be done, and a peer that does not read would
//! keep it waiting for ever; the bytes still waiting are dropped and said
//! so.

use std::collections::{BTreeMap, VecDeque};

use crate::protocol::{ClientMsg, EventKind, OpId, ServerMsg};

/// What the pacer holds and lets go.
#[derive(Debug)]
pub struct Pacer {
    /// Bytes on their way (sent, not yet confirmed) per connection, at most.
    window: usize,
    lanes: BTreeMap<OpId, Lane>,
    /// Messages to put on the wire, in order.
    ready: VecDeque<ClientMsg>,
}

/// One connection's sends.
#[derive(Debug, Default)]
struct Lane {
    /// What the relay has not yet confirmed of each send on its way, oldest
    /// first: it writes them in order, with a `sent` for each piece the
    /// kernel took (several for one send when the peer's window is small).
    on_way: VecDeque<usize>,
    /// Requests waiting their turn, in order.
    waiting: VecDeque<ClientMsg>,
}

impl Lane {
    fn on_way_bytes(&self) -> usize {
        self.on_way.iter().sum()
    }

    fn waiting_bytes(&self) -> u64 {
        self.waiting.iter().map(send_len).sum::<usize>() as u64
    }

    /// Whether a send of `len` bytes may leave now: one always may.
    fn fits(&self, len: usize, window: usize) -> bool {
        self.on_way.is_empty() || self.on_way_bytes() + len <= window
    }

    /// A send of `len` bytes leaves.
    fn leave(&mut self, len: usize) {
        if len > 0 {
            self.on_way.push_back(len);
        }
    }

    /// The relay wrote `bytes` more.
    fn confirm(&mut self, mut bytes: usize) {
        while bytes > 0
            && let Some(front) = self.on_way.front_mut()
        {
            let n = bytes.min(*front);
            *front -= n;
            bytes -= n;
            if *front == 0 {
                self.on_way.pop_front();
            }
        }
    }
}

/// Bytes a change left waiting, or dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `bytes` of `op` wait in the page (0: none any more).
    Waiting { op: OpId, bytes: u64 },
    /// `bytes` of `op` were never sent, and why.
    Dropped {
        op: OpId,
        bytes: u64,
        why: &'static str,
    },
}

fn send_len(msg: &ClientMsg) -> usize {
    match msg {
        ClientMsg::Send { data, .. } => data.0.len(),
        _ => 0,
    }
}

impl Pacer {
    /// A pacer that lets `window` bytes per connection be on their way (one
    /// send always goes, however large).
    pub fn new(window: usize) -> Self {
        Pacer {
            window,
            lanes: BTreeMap::new(),
            ready: VecDeque::new(),
        }
    }

    /// Takes `msg` from the page. `paced` is for sends on a TCP connection
    /// (a datagram leaves whole and at once). Returns whether it is ready
    /// to leave now, and what changed for its connection.
    pub fn offer(&mut self, msg: ClientMsg, paced: bool) -> (bool, Vec<Change>) {
        let mut changes = Vec::new();
        let now = match (&msg, msg.op()) {
            (ClientMsg::Send { data, .. }, Some(op)) if paced => {
                let lane = self.lanes.entry(op).or_default();
                if lane.waiting.is_empty() && lane.fits(data.0.len(), self.window) {
                    lane.leave(data.0.len());
                    true
                } else {
                    lane.waiting.push_back(msg.clone());
                    changes.push(Change::Waiting {
                        op,
                        bytes: lane.waiting_bytes(),
                    });
                    false
                }
            }
            (ClientMsg::Shutdown { .. }, Some(op)) => match self.lanes.get_mut(&op) {
                Some(lane) if !lane.waiting.is_empty() => {
                    lane.waiting.push_back(msg.clone());
                    false
                }
                _ => true,
            },
            (ClientMsg::Close { .. }, Some(op)) => {
                if let Some(lane) = self.lanes.remove(&op) {
                    changes.extend(dropped(op, &lane, "you closed the connection first"));
                }
                true
            }
            _ => true,
        };
        if now {
            self.ready.push_back(msg);
        }
        (now, changes)
    }

    /// Hears `msg` from the relay: a `sent` (or a refusal) for a
    /// connection's send makes room for what waits; the end of a connection
    /// drops what waits. Returns the requests that became ready (to record
    /// as leaving now) and what changed.
    pub fn heard(&mut self, msg: &ServerMsg) -> (Vec<ClientMsg>, Vec<Change>) {
        let op = match msg {
            ServerMsg::Event(event) => event.op,
            ServerMsg::Error { op: Some(op), .. } => *op,
            _ => return (Vec::new(), Vec::new()),
        };
        let Some(lane) = self.lanes.get_mut(&op) else {
            return (Vec::new(), Vec::new());
        };
        match msg {
            ServerMsg::Event(event) => match &event.kind {
                EventKind::Sent { bytes } => {
                    lane.confirm(usize::try_from(*bytes).unwrap_or(usize::MAX));
                }
                kind if kind.is_terminal() => {
                    let ended = self.lanes.remove(&op).unwrap_or_default();
                    let changes = dropped(op, &ended, "the connection ended first");
                    return (Vec::new(), changes.into_iter().collect());
                }
                _ => return (Vec::new(), Vec::new()),
            },
            // A refused request of the connection: when it was a send, it
            // will never be written. It was the newest: a request is refused
            // as it arrives, behind those already taken.
            _ => {
                lane.on_way.pop_back();
            }
        }
        let mut released = Vec::new();
        while let Some(next) = lane.waiting.front() {
            let len = send_len(next);
            if matches!(next, ClientMsg::Send { .. }) && !lane.fits(len, self.window) {
                break;
            }
            lane.leave(len);
            let next = lane.waiting.pop_front().expect("front exists");
            self.ready.push_back(next.clone());
            released.push(next);
        }
        let mut changes = Vec::new();
        if !released.is_empty() {
            changes.push(Change::Waiting {
                op,
                bytes: lane.waiting_bytes(),
            });
        }
        (released, changes)
    }

    /// The next message to put on the wire.
    pub fn next_ready(&mut self) -> Option<ClientMsg> {
        self.ready.pop_front()
    }

    /// Bytes of `op` waiting in the page.
    pub fn waiting(&self, op: OpId) -> u64 {
        self.lanes.get(&op).map_or(0, Lane::waiting_bytes)
    }
}

/// What dropping `lane` drops, when anything waited.
fn dropped(op: OpId, lane: &Lane, why: &'static str) -> Option<Change> {
    let bytes = lane.waiting_bytes();
    (bytes > 0).then_some(Change::Dropped { op, bytes, why })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{Closer, ErrorCode, Event, RelayError};

    fn send(op: OpId, len: usize) -> ClientMsg {
        ClientMsg::Send {
            op,
            data: Payload(vec![b'x'; len]),
        }
    }

    fn event(op: OpId, kind: EventKind) -> ServerMsg {
        ServerMsg::Event(Event { op, t_us: 0, kind })
    }

    fn sent(op: OpId, bytes: u64) -> ServerMsg {
        event(op, EventKind::Sent { bytes })
    }

    fn drain(pacer: &mut Pacer) -> Vec<ClientMsg> {
        std::iter::from_fn(|| pacer.next_ready()).collect()
    }

    #[test]
    fn sends_past_the_window_wait_for_the_relay_to_write_earlier_ones() {
        let mut pacer = Pacer::new(100);
        assert_eq!(pacer.offer(send(1, 60), true), (true, vec![]));
        assert_eq!(pacer.offer(send(1, 40), true), (true, vec![]));
        assert_eq!(
            pacer.offer(send(1, 30), true),
            (false, vec![Change::Waiting { op: 1, bytes: 30 }])
        );
        // What follows waiting data waits too, in order, even if it fits.
        assert_eq!(
            pacer.offer(send(1, 1), true),
            (false, vec![Change::Waiting { op: 1, bytes: 31 }])
        );
        assert!(!pacer.offer(ClientMsg::Shutdown { op: 1 }, true).0);
        // Another connection is not held up.
        assert_eq!(pacer.offer(send(2, 100), true), (true, vec![]));
        assert_eq!(drain(&mut pacer), [send(1, 60), send(1, 40), send(2, 100)]);

        // The first 60 written: room for the 30 and the 1, then the FIN.
        let (released, changes) = pacer.heard(&sent(1, 60));
        assert_eq!(
            released,
            [send(1, 30), send(1, 1), ClientMsg::Shutdown { op: 1 }]
        );
        assert_eq!(changes, [Change::Waiting { op: 1, bytes: 0 }]);
        assert_eq!(drain(&mut pacer), released);
        assert_eq!(pacer.waiting(1), 0);
    }

    #[test]
    fn pieces_of_a_send_written_one_by_one_confirm_it_bit_by_bit() {
        let mut pacer = Pacer::new(100);
        pacer.offer(send(1, 60), true);
        pacer.offer(send(1, 40), true);
        pacer.offer(send(1, 50), true);
        // The kernel takes the first send in pieces: 100 - 30, then 100 - 45
        // are on their way, too many to add 50; at 100 - 50 there is room.
        assert_eq!(pacer.heard(&sent(1, 30)).0, []);
        assert_eq!(pacer.heard(&sent(1, 15)).0, []);
        assert_eq!(pacer.heard(&sent(1, 5)).0, [send(1, 50)]);
        // Confirming past a send's end goes on to the next: 40 are left on
        // their way, so 60 more fit.
        assert_eq!(pacer.heard(&sent(1, 60)).0, []);
        assert!(pacer.offer(send(1, 60), true).0);
        assert!(!pacer.offer(send(1, 1), true).0);
    }

    #[test]
    fn one_send_always_goes_however_large() {
        let mut pacer = Pacer::new(100);
        assert!(pacer.offer(send(1, 500), true).0);
        assert!(!pacer.offer(send(1, 500), true).0);
        let (released, _) = pacer.heard(&sent(1, 500));
        assert_eq!(released, [send(1, 500)]);
    }

    #[test]
    fn a_refused_send_makes_room_too() {
        let mut pacer = Pacer::new(100);
        pacer.offer(send(1, 100), true);
        pacer.offer(send(1, 100), true);
        let refused = ServerMsg::Error {
            op: Some(1),
            error: RelayError::new(ErrorCode::LimitReached, "the peer is not reading"),
        };
        assert_eq!(pacer.heard(&refused).0, [send(1, 100)]);
    }

    #[test]
    fn close_does_not_wait_and_says_what_was_dropped() {
        let mut pacer = Pacer::new(100);
        pacer.offer(send(1, 100), true);
        pacer.offer(send(1, 70), true);
        pacer.offer(send(1, 30), true);
        let (now, changes) = pacer.offer(ClientMsg::Close { op: 1 }, true);
        assert!(now);
        assert_eq!(
            changes,
            [Change::Dropped {
                op: 1,
                bytes: 100,
                why: "you closed the connection first"
            }]
        );
        assert_eq!(
            drain(&mut pacer),
            [send(1, 100), ClientMsg::Close { op: 1 }]
        );
        // A late `sent` for the closed connection releases nothing.
        assert_eq!(pacer.heard(&sent(1, 100)), (vec![], vec![]));
    }

    #[test]
    fn the_end_of_a_connection_drops_what_waits() {
        let mut pacer = Pacer::new(10);
        pacer.offer(send(3, 10), true);
        pacer.offer(send(3, 5), true);
        let reset = event(3, EventKind::Closed { by: Closer::Peer });
        assert_eq!(
            pacer.heard(&reset).1,
            [Change::Dropped {
                op: 3,
                bytes: 5,
                why: "the connection ended first"
            }]
        );
        assert_eq!(pacer.waiting(3), 0);
    }

    #[test]
    fn datagrams_and_other_requests_are_not_paced() {
        let mut pacer = Pacer::new(10);
        assert!(pacer.offer(send(4, 100), false).0);
        assert!(pacer.offer(send(4, 100), false).0);
        assert!(pacer.offer(ClientMsg::Shutdown { op: 9 }, true).0);
        assert_eq!(drain(&mut pacer).len(), 3);
    }
}
