//! When an operation's connection phases began, from its events: the marks
//! the timing waterfall and the HAR export both measure from when the relay
//! sent no measured timings (a redirect's hop, a failed or running request,
//! a TCP connection).

use crate::protocol::EventKind;

/// Relay times (µs into the operation) of the first event of each phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhaseMarks {
    pub resolving: Option<u64>,
    pub resolved: Option<u64>,
    pub connecting: Option<u64>,
    pub connected: Option<u64>,
    pub tls: Option<u64>,
    pub written: Option<u64>,
    pub first_byte: Option<u64>,
}

impl PhaseMarks {
    /// Notes `event`, seen at `t_us`, when it marks a phase; a phase keeps
    /// its first mark (a retried DNS query does not move it).
    pub fn note(&mut self, event: &EventKind, t_us: u64) {
        let slot = match event {
            EventKind::Resolving { .. } => &mut self.resolving,
            EventKind::Resolved { .. } => &mut self.resolved,
            EventKind::Connecting { .. } => &mut self.connecting,
            EventKind::Connected { .. } => &mut self.connected,
            EventKind::TlsHandshake { .. } => &mut self.tls,
            EventKind::RequestWritten { .. } => &mut self.written,
            EventKind::FirstByte => &mut self.first_byte,
            _ => return,
        };
        slot.get_or_insert(t_us);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ResolveSource;

    #[test]
    fn each_phase_keeps_its_first_mark_and_other_events_mark_nothing() {
        let mut marks = PhaseMarks::default();
        let resolved = EventKind::Resolved {
            addrs: vec!["127.0.0.1:80".into()],
            source: ResolveSource::Literal,
        };
        marks.note(&resolved, 10);
        marks.note(&resolved, 20);
        marks.note(&EventKind::FirstByte, 30);
        marks.note(&EventKind::Sent { bytes: 5 }, 40);
        assert_eq!(
            marks,
            PhaseMarks {
                resolved: Some(10),
                first_byte: Some(30),
                ..PhaseMarks::default()
            }
        );
    }
}
