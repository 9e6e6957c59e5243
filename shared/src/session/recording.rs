//! A session as it happened: every message between the page and the relay,
//! in order, with the moment the page saw it.
//!
//! A [`Trace`] is derived data (it pairs `sent` events with the bytes they
//! confirm, and so on), so it is not what gets saved. A recording keeps the
//! messages themselves, in the protocol's JSON form, and rebuilds the trace
//! from them: a saved file replays through exactly the code that drew the live
//! view, and stepping back is rebuilding from fewer messages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::{ClientMsg, OpId, ServerMsg};
use crate::trace::Trace;

/// What a recording file says it is, so that any other JSON is refused with a
/// clear reason.
pub const FORMAT: &str = "roundtrip-trace";
/// The recording format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The most messages a recording may hold. A live session stops recording
/// at this many (the trace itself keeps going); an imported file with more is
/// refused.
pub const MAX_ENTRIES: usize = 100_000;

/// The latest `at_ms` a recording file may have: 30 days.
pub const MAX_AT_MS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;

/// One message and when the page saw it. Read by hand (`protocol_de`), as
/// the relay's messages are.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// Milliseconds since the recording started, by the page's clock.
    pub at_ms: f64,
    #[serde(flatten)]
    pub message: Message,
}

/// Which way a message went.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "dir", content = "msg", rename_all = "snake_case")]
pub enum Message {
    /// From the page to the relay.
    Out(ClientMsg),
    /// From the relay to the page.
    In(ServerMsg),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub format: String,
    pub version: u32,
    /// The page's wall clock (ms since the Unix epoch) when the recording
    /// started, i.e. at `at_ms` 0: what turns entry times into dates (a HAR's
    /// `startedDateTime`). Absent in files saved before it was kept; such
    /// files still open, with no dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at_ms: Option<f64>,
    pub entries: Vec<Entry>,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            format: FORMAT.to_owned(),
            version: FORMAT_VERSION,
            started_at_ms: None,
            entries: Vec::new(),
        }
    }
}

/// When each operation started as the page saw it: its first message
/// either way (the request the page sent, or for an operation the relay
/// created, such as an accepted connection, the relay's first word about
/// it), in ms since the recording started.
pub type OpStarts = BTreeMap<OpId, f64>;

/// The page's times for the messages shown: what dates a HAR's entries and
/// lays the waterfall's rows on one session axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageTimes {
    /// [`Recording::started_at_ms`].
    pub started_at_ms: Option<f64>,
    pub op_starts: OpStarts,
}

impl PageTimes {
    /// The times of `entries` (a recording's first messages).
    pub fn of(started_at_ms: Option<f64>, entries: &[Entry]) -> PageTimes {
        let mut op_starts = OpStarts::new();
        for entry in entries {
            let op = match &entry.message {
                Message::Out(msg) => msg.op(),
                Message::In(msg) => server_op(msg),
            };
            if let Some(op) = op {
                op_starts.entry(op).or_insert(entry.at_ms);
            }
        }
        PageTimes {
            started_at_ms,
            op_starts,
        }
    }
}

/// The operation a message from the relay is about, if any.
fn server_op(msg: &ServerMsg) -> Option<OpId> {
    match msg {
        ServerMsg::Event(event) => Some(event.op),
        ServerMsg::Data { op, .. } | ServerMsg::Datagram { op, .. } => Some(*op),
        ServerMsg::Error { op, .. } => *op,
        _ => None,
    }
}

/// Why a file could not be read as a recording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    #[error("this is not JSON: {0}")]
    NotJson(String),
    #[error("this is not a Roundtrip trace (it has no \"format\": \"{FORMAT}\")")]
    NotATrace,
    #[error("this trace is format version {0}; this page reads version {FORMAT_VERSION}")]
    UnsupportedVersion(u32),
    #[error("this trace does not match the format: {0}")]
    Invalid(String),
    #[error("this trace holds more than {MAX_ENTRIES} messages")]
    TooLong,
    #[error("the times in this trace go backwards at message {0}")]
    TimeGoesBack(usize),
    #[error("message {0} of this trace is more than 30 days into the session")]
    TooLate(usize),
}

impl Recording {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a message seen at `at_ms`. Returns false (and keeps nothing) once
    /// the recording is full. A clock that steps back is clamped, so times
    /// never decrease.
    pub fn push(&mut self, at_ms: f64, message: Message) -> bool {
        if self.entries.len() >= MAX_ENTRIES {
            return false;
        }
        let floor = self.entries.last().map_or(0.0, |e| e.at_ms);
        let at_ms = if at_ms.is_finite() {
            at_ms.max(floor)
        } else {
            floor
        };
        self.entries.push(Entry { at_ms, message });
        true
    }

    /// The trace of the first `upto` messages (all of them if `upto` is past
    /// the end).
    pub fn trace(&self, upto: usize) -> Trace {
        let mut trace = Trace::new();
        for entry in &self.entries[..upto.min(self.entries.len())] {
            trace.seen_at(entry.at_ms);
            match &entry.message {
                Message::Out(msg) => trace.record_request(msg),
                Message::In(msg) => trace.record_server(msg),
            }
        }
        trace
    }

    /// The page's times of the first `upto` messages: when each operation
    /// started (see [`OpStarts`]), and the wall clock at the start.
    pub fn page_times(&self, upto: usize) -> PageTimes {
        PageTimes::of(
            self.started_at_ms,
            &self.entries[..upto.min(self.entries.len())],
        )
    }

    /// How many messages had been seen `at_ms` into the recording.
    pub fn count_at(&self, at_ms: f64) -> usize {
        self.entries.partition_point(|e| e.at_ms <= at_ms)
    }

    /// The recording's length in time.
    pub fn duration_ms(&self) -> f64 {
        self.entries.last().map_or(0.0, |e| e.at_ms)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a recording is always serialisable")
    }

    /// Reads a recording, checking what it claims to be before the details,
    /// so that the error names the real problem.
    pub fn from_json(text: &str) -> Result<Recording, RecordingError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| RecordingError::NotJson(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(RecordingError::NotATrace);
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(RecordingError::UnsupportedVersion(
                    u32::try_from(v).unwrap_or(u32::MAX),
                ));
            }
            None => return Err(RecordingError::Invalid("no \"version\"".to_owned())),
        }
        if value
            .get("entries")
            .and_then(|e| e.as_array())
            .is_some_and(|e| e.len() > MAX_ENTRIES)
        {
            return Err(RecordingError::TooLong);
        }
        let recording: Recording =
            serde_json::from_value(value).map_err(|e| RecordingError::Invalid(e.to_string()))?;
        let mut last = 0.0;
        for (i, entry) in recording.entries.iter().enumerate() {
            if !entry.at_ms.is_finite() || entry.at_ms < last {
                return Err(RecordingError::TimeGoesBack(i));
            }
            // The views add these times up in microseconds; a session is
            // never this long, and a file that says so is not one.
            if entry.at_ms > MAX_AT_MS {
                return Err(RecordingError::TooLate(i));
            }
            last = entry.at_ms;
        }
        Ok(recording)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{DataEncoding, Event, EventKind, PROTOCOL_VERSION};

    fn echo_session() -> Recording {
        let mut rec = Recording::default();
        let out = |msg| Message::Out(msg);
        let event = |op, t_us, kind| Message::In(ServerMsg::Event(Event { op, t_us, kind }));
        rec.push(
            0.0,
            out(ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                data: DataEncoding::Binary,
            }),
        );
        rec.push(
            1.0,
            out(ClientMsg::TcpConnect {
                faults: None,
                op: 1,
                target: "tcp-echo".to_owned(),
                connect_timeout_ms: None,
                nodelay: false,
            }),
        );
        rec.push(
            2.0,
            event(
                1,
                300,
                EventKind::Connected {
                    local: "127.0.0.1:5000".to_owned(),
                    remote: "127.0.0.1:7".to_owned(),
                },
            ),
        );
        rec.push(
            3.0,
            out(ClientMsg::Send {
                op: 1,
                data: Payload(b"hi\xff".to_vec()),
            }),
        );
        rec.push(4.0, event(1, 900, EventKind::Sent { bytes: 3 }));
        rec.push(
            5.0,
            Message::In(ServerMsg::Data {
                op: 1,
                t_us: 1000,
                data: Payload(b"hi\xff".to_vec()),
            }),
        );
        rec
    }

    #[test]
    fn a_recording_survives_json_and_rebuilds_the_same_trace() {
        let rec = echo_session();
        let back = Recording::from_json(&rec.to_json()).unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.trace(usize::MAX), rec.trace(usize::MAX));
        assert_eq!(back.trace(usize::MAX).received_bytes(1), b"hi\xff");
    }

    #[test]
    fn a_prefix_is_the_trace_of_fewer_messages() {
        let rec = echo_session();
        assert!(rec.trace(0).is_empty());
        // The hello is not a step; the connect is.
        assert_eq!(rec.trace(2).steps().len(), 1);
        assert_eq!(rec.trace(3).steps().len(), 2);
        assert!(rec.trace(5).received_bytes(1).is_empty());
        assert_eq!(rec.trace(6).received_bytes(1), b"hi\xff");
    }

    #[test]
    fn the_wall_clock_start_is_kept_and_older_files_open_without_it() {
        let mut rec = echo_session();
        // Files saved before the field existed have no such key.
        assert!(!rec.to_json().contains("started_at_ms"));
        let old = Recording::from_json(&rec.to_json()).unwrap();
        assert_eq!(old.started_at_ms, None);
        rec.started_at_ms = Some(1_795_644_000_123.5);
        let back = Recording::from_json(&rec.to_json()).unwrap();
        assert_eq!(back.started_at_ms, Some(1_795_644_000_123.5));
        assert_eq!(back.version, FORMAT_VERSION);
    }

    #[test]
    fn operations_start_at_their_first_message() {
        let mut rec = echo_session();
        // A relay-made operation (an accepted connection) starts at the
        // relay's first word about it.
        rec.push(
            7.5,
            Message::In(ServerMsg::Event(Event {
                op: 0x8000_0001,
                t_us: 0,
                kind: EventKind::Connected {
                    local: "127.0.0.1:9".to_owned(),
                    remote: "127.0.0.1:5001".to_owned(),
                },
            })),
        );
        rec.started_at_ms = Some(1_000.0);
        let times = rec.page_times(usize::MAX);
        assert_eq!(times.started_at_ms, Some(1_000.0));
        let starts = times.op_starts;
        assert_eq!(starts.get(&1), Some(&1.0));
        assert_eq!(starts.get(&0x8000_0001), Some(&7.5));
        assert_eq!(starts.len(), 2);
        // Only the messages shown count.
        assert!(rec.page_times(1).op_starts.is_empty());
    }

    #[test]
    fn counts_by_time() {
        let rec = echo_session();
        assert_eq!(rec.count_at(-1.0), 0);
        assert_eq!(rec.count_at(0.0), 1);
        assert_eq!(rec.count_at(2.5), 3);
        assert_eq!(rec.count_at(99.0), 6);
        assert_eq!(rec.duration_ms(), 5.0);
    }

    #[test]
    fn times_never_go_back_while_recording() {
        let mut rec = Recording::default();
        rec.push(10.0, Message::Out(ClientMsg::Close { op: 1 }));
        rec.push(4.0, Message::Out(ClientMsg::Close { op: 2 }));
        rec.push(f64::NAN, Message::Out(ClientMsg::Close { op: 3 }));
        let times: Vec<f64> = rec.entries.iter().map(|e| e.at_ms).collect();
        assert_eq!(times, [10.0, 10.0, 10.0]);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(matches!(
            Recording::from_json("{nope"),
            Err(RecordingError::NotJson(_))
        ));
        assert_eq!(
            Recording::from_json(r#"{"log": {"version": "1.2"}}"#),
            Err(RecordingError::NotATrace)
        );
        assert_eq!(
            Recording::from_json(r#"{"format": "roundtrip-trace", "version": 9, "entries": []}"#),
            Err(RecordingError::UnsupportedVersion(9))
        );
        assert!(matches!(
            Recording::from_json(
                r#"{"format": "roundtrip-trace", "version": 1, "entries": [{"at_ms": 0, "dir": "out", "msg": {"type": "warp"}}]}"#
            ),
            Err(RecordingError::Invalid(_))
        ));
        let backwards = r#"{"format": "roundtrip-trace", "version": 1, "entries": [
            {"at_ms": 5, "dir": "out", "msg": {"type": "close", "op": 1}},
            {"at_ms": 1, "dir": "out", "msg": {"type": "close", "op": 2}}]}"#;
        assert_eq!(
            Recording::from_json(backwards),
            Err(RecordingError::TimeGoesBack(1))
        );
    }

    #[test]
    fn times_past_thirty_days_are_refused() {
        let mut rec = Recording::default();
        let msg = || Message::Out(ClientMsg::Close { op: 1 });
        rec.push(0.0, msg());
        rec.push(1e16, msg());
        assert_eq!(
            Recording::from_json(&rec.to_json()),
            Err(RecordingError::TooLate(1))
        );
    }

    /// PROTOCOL.md's example trace file is one this code reads.
    #[test]
    fn the_documented_example_reads() {
        let doc = include_str!("../../../PROTOCOL.md");
        let section = &doc[doc
            .find("## Trace files")
            .expect("PROTOCOL.md has the section")..];
        let start = section.find("```json\n").expect("an example") + "```json\n".len();
        let example = &section[start..start + section[start..].find("```").unwrap()];
        let rec = Recording::from_json(example).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rec.trace(usize::MAX).received_bytes(1), b"hello");
    }

    #[test]
    fn a_full_recording_keeps_nothing_more() {
        let mut rec = Recording::default();
        for i in 0..MAX_ENTRIES {
            assert!(rec.push(i as f64, Message::Out(ClientMsg::Close { op: 1 })));
        }
        assert!(!rec.push(0.0, Message::Out(ClientMsg::Close { op: 1 })));
        assert_eq!(rec.len(), MAX_ENTRIES);
    }
}
