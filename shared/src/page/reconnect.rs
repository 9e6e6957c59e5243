//! What the page does when it loses its relay: it says so in words,
//! reconnects by itself with exponential backoff and jitter (the same
//! lesson the Retries view teaches, shown in the page's own status line),
//! keeps the recording and the views, reports the sockets that were open
//! as lost, and offers to redo the last experiment once it is back.

use crate::protocol::{ClientMsg, OpId, op_name};

use super::state::{RelayLink, State};

/// The first wait before reconnecting.
pub const FIRST_WAIT_MS: u64 = 500;
/// No wait is longer than this, however many attempts failed.
pub const MAX_WAIT_MS: u64 = 30_000;

/// The wait before reconnect attempt `attempt` (1 for the first): the
/// exponential step `FIRST_WAIT_MS * 2^(attempt-1)`, capped at
/// [`MAX_WAIT_MS`], of which half is fixed and half drawn with `jitter`
/// (in `[0, 1)`): "equal jitter". The fixed half keeps a page from
/// hammering a relay that is down; the drawn half spreads the pages of a
/// restarted relay so that they do not all come back at once.
pub fn reconnect_wait_ms(attempt: u32, jitter: f64) -> u64 {
    let doublings = attempt.saturating_sub(1).min(16);
    let step = FIRST_WAIT_MS
        .saturating_mul(1 << doublings)
        .min(MAX_WAIT_MS);
    let half = step / 2;
    let drawn = (half as f64 * jitter.clamp(0.0, 1.0)) as u64;
    half + drawn.min(step - half)
}

/// A reconnect the page has scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reconnecting {
    /// 1 for the first attempt since the link was last up.
    pub attempt: u32,
    pub wait_ms: u64,
}

impl State {
    /// The attempt the next scheduled reconnect is.
    pub fn next_reconnect_attempt(&self) -> u32 {
        self.reconnect.map_or(1, |r| r.attempt.saturating_add(1))
    }

    /// The page's status line about a lost relay, while there is one to
    /// show: what happened, when it tries again and why it waits; then, once
    /// back, what was lost with the old link.
    pub fn reconnect_line(&self) -> Option<String> {
        let lost = self.lost_sockets();
        match (&self.relay, self.reconnect) {
            (RelayLink::Lost { reason, .. }, Some(r)) => Some(format!(
                "Lost the relay ({reason}). Reconnecting by itself: attempt {} in {:.1} s \
                 (each wait doubles up to {} s, with a random part so that pages do not all \
                 return at once).",
                r.attempt,
                r.wait_ms as f64 / 1000.0,
                MAX_WAIT_MS / 1000
            )),
            (RelayLink::Connecting | RelayLink::Greeting, Some(r)) => Some(format!(
                "Reconnecting to the relay (attempt {})…",
                r.attempt
            )),
            (RelayLink::Ready { .. }, _) if self.was_lost => Some(match lost {
                Some(lost) => format!(
                    "Reconnected to the relay. {lost} The recording and the views are kept."
                ),
                None => "Reconnected to the relay. The recording and the views are kept.".into(),
            }),
            _ => None,
        }
    }

    /// The operations that were open when the link was lost, in words.
    pub fn lost_sockets(&self) -> Option<String> {
        if self.lost.is_empty() {
            return None;
        }
        let names: Vec<String> = self.lost.iter().map(|&op| op_name(op)).collect();
        Some(format!(
            "Lost with the old link ({} open, closed by the relay with the session): {}.",
            self.lost.len(),
            names.join(", ")
        ))
    }

    /// The last experiment again, as a new operation, once the relay is
    /// back after a lost link: what "Redo" sends.
    pub fn redo(&self) -> Option<ClientMsg> {
        if !(self.was_lost && matches!(self.relay, RelayLink::Ready { .. })) {
            return None;
        }
        let mut msg = self.last_experiment.clone()?;
        set_op(&mut msg, self.next_op);
        Some(msg)
    }
}

/// Whether `msg` starts an experiment that "Redo" can repeat.
pub(super) fn starts_experiment(msg: &ClientMsg) -> bool {
    matches!(
        msg,
        ClientMsg::TcpConnect { .. }
            | ClientMsg::UdpOpen { .. }
            | ClientMsg::TcpListen { .. }
            | ClientMsg::HttpRequest(_)
            | ClientMsg::DnsQuery { .. }
    )
}

fn set_op(msg: &mut ClientMsg, new: OpId) {
    match msg {
        ClientMsg::TcpConnect { op, .. }
        | ClientMsg::UdpOpen { op, .. }
        | ClientMsg::TcpListen { op, .. }
        | ClientMsg::Send { op, .. }
        | ClientMsg::SendTo { op, .. }
        | ClientMsg::Shutdown { op }
        | ClientMsg::Close { op }
        | ClientMsg::Abort { op }
        | ClientMsg::DnsQuery { op, .. } => *op = new,
        ClientMsg::HttpRequest(request) => request.op = new,
        ClientMsg::Hello { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_first_up_to_the_cap() {
        let fixed: Vec<u64> = (1..=9).map(|n| reconnect_wait_ms(n, 0.0)).collect();
        assert_eq!(
            fixed,
            [250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]
        );
        let most: Vec<u64> = (1..=9).map(|n| reconnect_wait_ms(n, 0.999_999)).collect();
        assert_eq!(
            most,
            [499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999]
        );
        assert_eq!(reconnect_wait_ms(u32::MAX, 1.0), MAX_WAIT_MS);
    }

    #[test]
    fn jitter_spreads_within_the_upper_half_of_each_step() {
        for attempt in 1..=12 {
            let step = (FIRST_WAIT_MS << (attempt - 1).min(16)).min(MAX_WAIT_MS);
            for i in 0..=10 {
                let wait = reconnect_wait_ms(attempt, f64::from(i) / 10.0);
                assert!(wait >= step / 2 && wait <= step, "{attempt} {i}: {wait}");
            }
        }
        // Jitter out of range is clamped, never a longer wait.
        assert_eq!(reconnect_wait_ms(1, 7.0), 500);
        assert_eq!(reconnect_wait_ms(1, -1.0), 250);
    }
}
