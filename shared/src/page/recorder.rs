//! The page's recording of its session: every message to and from the
//! relay, with when the page saw it (see `crate::recording`).
//!
//! The state is cloned on every action, so the recording is one append-only
//! log shared by every clone; each state remembers how much of it it has
//! seen. Adding a message is O(1) however long the session.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::recording::{Message, PageTimes, Recording};

#[derive(Clone, Default)]
pub struct Recorder {
    log: Rc<RefCell<Recording>>,
    /// How many entries of `log` belong to this state.
    len: usize,
    /// The clock reading (ms) of the first message; times count from it.
    origin_ms: Option<f64>,
    /// The wall clock (ms since the Unix epoch) at the first message, to
    /// date requests in a HAR export.
    started_at_ms: Option<f64>,
}

impl Recorder {
    /// Records `message`, seen when the clock read `now_ms`, and returns
    /// that time in ms since the first message (also once the recording is
    /// full and keeps nothing more).
    pub fn record(&mut self, now_ms: f64, message: Message) -> f64 {
        // `now_ms` is the page's wall clock (ms since the Unix epoch): times
        // count from the first message, which also dates the recording.
        let origin = *self.origin_ms.get_or_insert(now_ms);
        self.started_at_ms.get_or_insert(now_ms);
        // Another state already moved on from this point: this one starts
        // a log of its own (a reducer always moves on from the newest state,
        // so this is rare; it keeps both states' recordings right).
        if self.log.borrow().len() != self.len {
            let entries = self.log.borrow().entries[..self.len].to_vec();
            self.log = Rc::new(RefCell::new(Recording {
                entries,
                started_at_ms: self.started_at_ms,
                ..Recording::default()
            }));
        }
        let mut log = self.log.borrow_mut();
        let kept = log.push(now_ms - origin, message);
        self.len = log.len();
        match log.entries.last() {
            // As kept: a clock that stepped back is clamped.
            Some(entry) if kept => entry.at_ms,
            _ => now_ms - origin,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A copy of what this state has seen, to save or to replay from.
    pub fn snapshot(&self) -> Recording {
        let log = self.log.borrow();
        Recording {
            entries: log.entries[..self.len.min(log.len())].to_vec(),
            started_at_ms: self.started_at_ms,
            ..Recording::default()
        }
    }

    /// The page's times of what this state has seen, without copying the
    /// messages.
    pub fn page_times(&self) -> PageTimes {
        let log = self.log.borrow();
        PageTimes::of(self.started_at_ms, &log.entries[..self.len.min(log.len())])
    }
}

impl PartialEq for Recorder {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.log, &other.log) && self.len == other.len
    }
}

impl fmt::Debug for Recorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recorder({} messages)", self.len)
    }
}
