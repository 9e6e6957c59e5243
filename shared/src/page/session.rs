//! What the page says about the session as a whole: what it uses of the
//! relay's limits, and every error the learner should read now, with its
//! explanation.

use crate::explain;
use crate::payload::format_bytes;
use crate::protocol::{EventKind, OpId};
use crate::trace::StepKind;

use super::state::{RelayLink, State};

/// One error as the page shows it: the words, and the explanation when the
/// page has one.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownError {
    pub message: String,
    pub explanation: Option<explain::Explanation>,
}

/// What the page says when the peer reset a connection: what a program
/// using the socket would get.
pub const RESET_MESSAGE: &str = "The peer reset the connection (RST): it aborted it instead of \
     closing it. A program using this socket gets an error from recv() or send(): in Python, \
     ConnectionResetError (errno ECONNRESET, \"Connection reset by peer\").";

impl State {
    /// What this relay session uses of its limits, for the page: open
    /// operations of the most allowed, bytes moved so far, and the rates,
    /// e.g. `2 of 16 operations open · sent 5 B, received 5 B · at most 5
    /// new per second · 1 MiB/min out, 8 MiB/min in`. `None` before the
    /// welcome.
    pub fn quota(&self) -> Option<String> {
        let limits = self.limits.as_ref()?;
        let open = self.trace.open_ops(self.session_start).len();
        let (sent, received) = self.trace.bytes_moved(self.session_start);
        let mut parts = vec![
            format!("{open} of {} operations open", limits.max_ops),
            format!(
                "sent {}, received {}",
                format_bytes(sent),
                format_bytes(received)
            ),
            format!("at most {} new per second", limits.ops_per_second),
        ];
        let rate = |n: Option<u64>, way: &str| n.map(|n| format!("{}/min {way}", format_bytes(n)));
        let rates: Vec<String> = [
            rate(limits.bytes_out_per_minute, "out"),
            rate(limits.bytes_in_per_minute, "in"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !rates.is_empty() {
            parts.push(rates.join(", "));
        }
        if let Some(total) = limits.session_bytes {
            let left = total.saturating_sub(sent.saturating_add(received));
            parts.push(format!(
                "{} of {} left",
                format_bytes(left),
                format_bytes(total)
            ));
        }
        Some(parts.join(" · "))
    }

    /// Every error the learner should read now, in the order they happened:
    /// the failures and refused messages of the current connection, UDP
    /// socket, listener and accepted connections, then problems of the
    /// session, then a lost relay link.
    pub fn errors(&self) -> Vec<String> {
        self.shown_errors().into_iter().map(|e| e.message).collect()
    }

    /// [`State::errors`], each with its explanation when the page has one:
    /// from the relay's typed error (its refusal or code) or the close
    /// code of a lost link, never from the words.
    pub fn shown_errors(&self) -> Vec<ShownError> {
        let current: Vec<OpId> = [self.current, self.udp, self.listener]
            .into_iter()
            .flatten()
            .map(|current| current.op)
            .collect();
        let conns: Vec<OpId> = self.accepted().into_iter().map(|(op, _)| op).collect();
        let mut errors: Vec<ShownError> = self
            .trace
            .steps()
            .iter()
            .enumerate()
            .filter(|(i, step)| {
                current.contains(&step.op) || (*i >= self.session_start && conns.contains(&step.op))
            })
            .filter_map(|(_, step)| match &step.kind {
                StepKind::Event {
                    kind: EventKind::Failed { error },
                    ..
                }
                | StepKind::Rejected(error) => Some(ShownError {
                    message: error.message.clone(),
                    explanation: Some(explain::relay_error(error)),
                }),
                // The relay reports a reset as the peer's doing, not as a
                // failure of its own; a program still meets it as an error.
                StepKind::Event {
                    kind: EventKind::Reset,
                    ..
                } => Some(ShownError {
                    message: RESET_MESSAGE.to_owned(),
                    explanation: Some(explain::error(crate::protocol::ErrorCode::Reset)),
                }),
                _ => None,
            })
            .collect();
        errors.extend(self.session_errors.iter().map(|m| ShownError {
            message: m.clone(),
            explanation: None,
        }));
        if let RelayLink::Lost { code, reason } = &self.relay {
            errors.push(ShownError {
                message: reason.clone(),
                explanation: code.and_then(explain::close_code),
            });
        }
        errors
    }
}
