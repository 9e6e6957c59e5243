//! The page's sends on a TCP connection, paced like a blocking `send()`:
//! at most a window of bytes (and of sends) is on its way to the relay for
//! each connection, and the rest waits in the page until the relay says
//! earlier ones were written (`sent`). The relay holds only so much for a
//! peer that reads slowly ([`RELAY_MAX_UNWRITTEN`], [`RELAY_OP_QUEUE`]);
//! the limits of both sides are here, checked against each other at compile
//! time. Without pacing, a paste
//! larger than that would have its later pieces refused instead of waiting
//! their turn.
//!
//! Everything else leaves at once, except what must follow the waiting
//! data: a `shutdown` (the FIN goes after the bytes). A `close` does not
//! wait: the learner asked to be done, and a peer that does not read would
//! keep it waiting for ever; the bytes still waiting are dropped and said
//! so, as they are when the connection or the link to the relay ends.

use std::collections::{BTreeMap, VecDeque};

/// The most payload one `send` from the page carries: a larger send is cut
/// into pieces this size, far below the relay's 256 KiB message limit
/// whatever the header, so one paste does not hold up the socket's queue.
pub const MAX_SEND_CHUNK: usize = 64 * 1024;

/// The most bytes of one TCP connection on their way to the relay and not
/// yet written by it (confirmed by `sent`); more waits in the page.
pub const SEND_WINDOW: usize = 3 * MAX_SEND_CHUNK;

/// The most sends of one TCP connection on their way to the relay.
pub const MAX_SENDS_ON_WAY: usize = 8;

/// The relay's side: bytes a TCP connection holds accepted from the page but
/// not yet written to the peer. Past this the connection stops taking
/// requests, which pushes back on the whole session.
pub const RELAY_MAX_UNWRITTEN: usize = 256 * 1024;

/// The relay's side: requests queued for one operation (a full queue holds
/// the session up, then refuses with `limit_reached`).
pub const RELAY_OP_QUEUE: usize = 16;

// The page must never meet the relay's limits: its window fits in what the
// relay holds unwritten, and its sends on their way, plus the `shutdown`
// and `close` that may follow them, fit in the operation's queue. A change
// to either side that breaks this does not compile.
const _: () = assert!(SEND_WINDOW <= RELAY_MAX_UNWRITTEN);
const _: () = assert!(MAX_SENDS_ON_WAY + 2 <= RELAY_OP_QUEUE);

use crate::payload::Payload;
use crate::protocol::{ClientMsg, ErrorCode, EventKind, OpId, ServerMsg};

/// Splits a `Send` whose payload exceeds [`MAX_SEND_CHUNK`] into consecutive
/// sends of at most that size; every other message passes unchanged.
pub fn split_sends(msg: ClientMsg) -> Vec<ClientMsg> {
    match msg {
        ClientMsg::Send { op, data } if data.0.len() > MAX_SEND_CHUNK => data
            .0
            .chunks(MAX_SEND_CHUNK)
            .map(|chunk| ClientMsg::Send {
                op,
                data: Payload(chunk.to_vec()),
            })
            .collect(),
        other => vec![other],
    }
}

/// What the pacer holds and lets go.
#[derive(Debug)]
pub struct Pacer {
    /// Bytes on their way (sent, not yet confirmed) per connection, at most.
    window: usize,
    /// Sends on their way per connection, at most.
    max_sends: usize,
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
    /// A `sent` came since the last [`Pacer::release`].
    confirmed: bool,
}

impl Lane {
    fn on_way_bytes(&self) -> usize {
        self.on_way.iter().sum()
    }

    fn waiting_bytes(&self) -> u64 {
        self.waiting.iter().map(send_len).sum::<usize>() as u64
    }

    fn shutdown_waits(&self) -> bool {
        self.waiting
            .iter()
            .any(|msg| matches!(msg, ClientMsg::Shutdown { .. }))
    }

    /// Whether a send of `len` bytes may join what is on its way: one
    /// always may.
    fn fits(&self, len: usize, window: usize, max_sends: usize) -> bool {
        self.on_way.is_empty()
            || (self.on_way.len() < max_sends && self.on_way_bytes() + len <= window)
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
    /// `bytes` of `op` wait in the page (0: none any more), and whether a
    /// `shutdown` waits behind them.
    Waiting {
        op: OpId,
        bytes: u64,
        shutdown: bool,
    },
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
    /// A pacer that lets `window` bytes and `max_sends` sends per
    /// connection be on their way (one send always goes, however large).
    pub fn new(window: usize, max_sends: usize) -> Self {
        Pacer {
            window,
            max_sends: max_sends.max(1),
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
                let len = data.0.len();
                let (window, max_sends) = (self.window, self.max_sends);
                let lane = self.lanes.entry(op).or_default();
                let now = lane.waiting.is_empty() && lane.fits(len, window, max_sends);
                if now {
                    if len > 0 {
                        lane.on_way.push_back(len);
                    }
                } else {
                    lane.waiting.push_back(msg.clone());
                    changes.push(waiting(op, lane));
                }
                now
            }
            (ClientMsg::Shutdown { .. }, Some(op)) => match self.lanes.get_mut(&op) {
                Some(lane) if !lane.waiting.is_empty() => {
                    lane.waiting.push_back(msg.clone());
                    changes.push(waiting(op, lane));
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

    /// Hears `msg` from the relay: a `sent` for a connection makes room for
    /// what waits (let go by [`Pacer::release`] once the messages that came
    /// together are all heard: one of them may end the connection); a
    /// refused send is no longer on its way, but makes no room (the refusal
    /// before a close by the relay must not let more go); the end of a
    /// connection drops what waits. Returns what changed.
    pub fn heard(&mut self, msg: &ServerMsg) -> Vec<Change> {
        let op = match msg {
            ServerMsg::Event(event) => event.op,
            ServerMsg::Error { op: Some(op), .. } => *op,
            _ => return Vec::new(),
        };
        let Some(lane) = self.lanes.get_mut(&op) else {
            return Vec::new();
        };
        match msg {
            ServerMsg::Event(event) => match &event.kind {
                EventKind::Sent { bytes } => {
                    lane.confirm(usize::try_from(*bytes).unwrap_or(usize::MAX));
                    lane.confirmed = true;
                }
                kind if kind.is_terminal() => {
                    let lane = self.lanes.remove(&op).unwrap_or_default();
                    return dropped(op, &lane, "the connection ended first")
                        .into_iter()
                        .collect();
                }
                _ => {}
            },
            // Sends refused as they arrived (after a shutdown, before the
            // connection, or past what the relay holds): each was the
            // newest on its way when it was refused.
            ServerMsg::Error { error, .. } => {
                if matches!(
                    error.code,
                    ErrorCode::ShutDown | ErrorCode::NotConnected | ErrorCode::LimitReached
                ) {
                    lane.on_way.pop_back();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Lets go what now fits on the connections that had sends confirmed
    /// since the last call. Returns the requests that became ready (to
    /// record as leaving now) and what changed.
    pub fn release(&mut self) -> (Vec<ClientMsg>, Vec<Change>) {
        let (mut released, mut changes) = (Vec::new(), Vec::new());
        let (window, max_sends) = (self.window, self.max_sends);
        for (op, lane) in &mut self.lanes {
            if !std::mem::take(&mut lane.confirmed) {
                continue;
            }
            let before = released.len();
            while let Some(next) = lane.waiting.front() {
                let len = send_len(next);
                if matches!(next, ClientMsg::Send { .. }) && !lane.fits(len, window, max_sends) {
                    break;
                }
                if len > 0 {
                    lane.on_way.push_back(len);
                }
                let next = lane.waiting.pop_front().expect("front exists");
                self.ready.push_back(next.clone());
                released.push(next);
            }
            if released.len() > before {
                changes.push(waiting(*op, lane));
            }
        }
        (released, changes)
    }

    /// The link to the relay is gone: everything that waited is dropped.
    pub fn link_lost(&mut self) -> Vec<Change> {
        let lanes = std::mem::take(&mut self.lanes);
        self.ready.clear();
        lanes
            .iter()
            .filter_map(|(op, lane)| dropped(*op, lane, "the link to the relay closed first"))
            .collect()
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

fn waiting(op: OpId, lane: &Lane) -> Change {
    Change::Waiting {
        op,
        bytes: lane.waiting_bytes(),
        shutdown: lane.shutdown_waits(),
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

    /// One message heard on its own, and what it let go.
    fn hear(pacer: &mut Pacer, msg: &ServerMsg) -> (Vec<ClientMsg>, Vec<Change>) {
        let mut changes = pacer.heard(msg);
        let (released, more) = pacer.release();
        changes.extend(more);
        (released, changes)
    }

    fn waits(op: OpId, bytes: u64, shutdown: bool) -> Change {
        Change::Waiting {
            op,
            bytes,
            shutdown,
        }
    }

    fn drain(pacer: &mut Pacer) -> Vec<ClientMsg> {
        std::iter::from_fn(|| pacer.next_ready()).collect()
    }

    #[test]
    fn sends_past_the_window_wait_for_the_relay_to_write_earlier_ones() {
        let mut pacer = Pacer::new(100, 8);
        assert_eq!(pacer.offer(send(1, 60), true), (true, vec![]));
        assert_eq!(pacer.offer(send(1, 40), true), (true, vec![]));
        assert_eq!(
            pacer.offer(send(1, 30), true),
            (false, vec![waits(1, 30, false)])
        );
        // What follows waiting data waits too, in order, even if it fits.
        assert_eq!(
            pacer.offer(send(1, 1), true),
            (false, vec![waits(1, 31, false)])
        );
        // A shutdown waits behind them, and says so.
        assert_eq!(
            pacer.offer(ClientMsg::Shutdown { op: 1 }, true),
            (false, vec![waits(1, 31, true)])
        );
        // Another connection is not held up.
        assert_eq!(pacer.offer(send(2, 100), true), (true, vec![]));
        assert_eq!(drain(&mut pacer), [send(1, 60), send(1, 40), send(2, 100)]);

        // The first 60 written: room for the 30 and the 1, then the FIN.
        let (released, changes) = hear(&mut pacer, &sent(1, 60));
        assert_eq!(
            released,
            [send(1, 30), send(1, 1), ClientMsg::Shutdown { op: 1 }]
        );
        assert_eq!(changes, [waits(1, 0, false)]);
        assert_eq!(drain(&mut pacer), released);
        assert_eq!(pacer.waiting(1), 0);
    }

    #[test]
    fn pieces_of_a_send_written_one_by_one_confirm_it_bit_by_bit() {
        let mut pacer = Pacer::new(100, 8);
        pacer.offer(send(1, 60), true);
        pacer.offer(send(1, 40), true);
        pacer.offer(send(1, 50), true);
        // The kernel takes the first send in pieces: 100 - 30, then 100 - 45
        // are on their way, too many to add 50; at 100 - 50 there is room.
        assert_eq!(hear(&mut pacer, &sent(1, 30)).0, []);
        assert_eq!(hear(&mut pacer, &sent(1, 15)).0, []);
        assert_eq!(hear(&mut pacer, &sent(1, 5)).0, [send(1, 50)]);
        // Confirming past a send's end goes on to the next: 40 are left on
        // their way, so 60 more fit.
        assert_eq!(hear(&mut pacer, &sent(1, 60)).0, []);
        assert!(pacer.offer(send(1, 60), true).0);
        assert!(!pacer.offer(send(1, 1), true).0);
    }

    #[test]
    fn one_send_always_goes_however_large() {
        let mut pacer = Pacer::new(100, 8);
        assert!(pacer.offer(send(1, 500), true).0);
        assert!(!pacer.offer(send(1, 500), true).0);
        let (released, _) = hear(&mut pacer, &sent(1, 500));
        assert_eq!(released, [send(1, 500)]);
    }

    #[test]
    fn a_refused_send_is_off_its_way_but_lets_nothing_go() {
        let mut pacer = Pacer::new(100, 8);
        pacer.offer(send(1, 100), true);
        pacer.offer(send(1, 100), true);
        // The relay closes an idle connection: a refusal, then `closed`.
        let refused = ServerMsg::Error {
            op: Some(1),
            error: RelayError::new(ErrorCode::LimitReached, "idle for too long"),
        };
        assert_eq!(hear(&mut pacer, &refused), (vec![], vec![]));
        let closed = event(1, EventKind::Closed { by: Closer::Relay });
        assert_eq!(
            hear(&mut pacer, &closed).1,
            [Change::Dropped {
                op: 1,
                bytes: 100,
                why: "the connection ended first"
            }]
        );
        assert_eq!(drain(&mut pacer), [send(1, 100)]);

        // Refused sends are off their way: the next `sent` makes room.
        pacer.offer(send(2, 100), true);
        pacer.offer(send(2, 50), true);
        pacer.offer(send(2, 50), true);
        let shut = ServerMsg::Error {
            op: Some(2),
            error: RelayError::new(ErrorCode::ShutDown, "shut down"),
        };
        // Another error about the connection changes nothing.
        let other = ServerMsg::Error {
            op: Some(2),
            error: RelayError::new(ErrorCode::NotSupported, "not for TCP"),
        };
        assert_eq!(hear(&mut pacer, &other), (vec![], vec![]));
        assert_eq!(hear(&mut pacer, &shut), (vec![], vec![]));
        assert_eq!(
            hear(&mut pacer, &sent(2, 100)).0,
            [send(2, 50), send(2, 50)]
        );
    }

    #[test]
    fn room_made_just_before_the_end_lets_nothing_go() {
        // A `sent` and the reset after it, read together.
        let mut pacer = Pacer::new(10, 8);
        pacer.offer(send(1, 10), true);
        pacer.offer(send(1, 10), true);
        assert_eq!(pacer.heard(&sent(1, 10)), []);
        let reset = event(1, EventKind::Closed { by: Closer::Peer });
        assert_eq!(
            pacer.heard(&reset),
            [Change::Dropped {
                op: 1,
                bytes: 10,
                why: "the connection ended first"
            }]
        );
        assert_eq!(pacer.release(), (vec![], vec![]));
        assert_eq!(drain(&mut pacer), [send(1, 10)]);
    }

    #[test]
    fn at_most_so_many_sends_are_on_their_way() {
        let mut pacer = Pacer::new(100, 2);
        assert!(pacer.offer(send(1, 1), true).0);
        assert!(pacer.offer(send(1, 1), true).0);
        assert!(!pacer.offer(send(1, 1), true).0);
        assert_eq!(hear(&mut pacer, &sent(1, 1)).0, [send(1, 1)]);
    }

    #[test]
    fn losing_the_link_drops_what_waited_and_says_so() {
        let mut pacer = Pacer::new(10, 8);
        pacer.offer(send(1, 10), true);
        pacer.offer(send(1, 7), true);
        pacer.offer(send(2, 3), true);
        assert_eq!(
            pacer.link_lost(),
            [Change::Dropped {
                op: 1,
                bytes: 7,
                why: "the link to the relay closed first"
            }]
        );
        assert_eq!(pacer.next_ready(), None);
        assert_eq!(pacer.waiting(1), 0);
    }

    #[test]
    fn close_does_not_wait_and_says_what_was_dropped() {
        let mut pacer = Pacer::new(100, 8);
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
        assert_eq!(hear(&mut pacer, &sent(1, 100)), (vec![], vec![]));
    }

    #[test]
    fn the_end_of_a_connection_drops_what_waits() {
        let mut pacer = Pacer::new(10, 8);
        pacer.offer(send(3, 10), true);
        pacer.offer(send(3, 5), true);
        let reset = event(3, EventKind::Closed { by: Closer::Peer });
        assert_eq!(
            hear(&mut pacer, &reset).1,
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
        let mut pacer = Pacer::new(10, 8);
        assert!(pacer.offer(send(4, 100), false).0);
        assert!(pacer.offer(send(4, 100), false).0);
        assert!(pacer.offer(ClientMsg::Shutdown { op: 9 }, true).0);
        assert_eq!(drain(&mut pacer).len(), 3);
    }
}
