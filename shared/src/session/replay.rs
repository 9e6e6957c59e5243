//! Stepping through a recording: where the views stand, and how that moves.
//!
//! The views show the trace of the first `shown` messages of a
//! [`Recording`]. Live, that is all of them and grows as messages arrive;
//! paused, it stays put while the recording grows behind it; playing, it
//! advances with the recording's own timing, scaled by a speed. Only
//! messages that add a step to the trace count as a step here (the hello and
//! the welcome do not), so one press of "step" always changes the picture.

use crate::protocol::{ClientMsg, ServerMsg};
use crate::recording::{Message, Recording};

/// The replay speeds offered, slowest first.
pub const SPEEDS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];
/// The longest wait between two steps during playback, in recorded
/// milliseconds: a minute of idling in the recording should not stall the
/// replay for a minute.
pub const MAX_GAP_MS: f64 = 1500.0;

/// Where the views stand in a recording.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Player {
    /// `None`: live, the views follow every message. `Some(n)`: the views show
    /// the first `n` messages.
    pub position: Option<usize>,
    pub playing: bool,
    pub speed: f64,
}

impl Default for Player {
    fn default() -> Self {
        Player {
            position: None,
            playing: false,
            speed: 1.0,
        }
    }
}

/// What the replay controls ask for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// Stop following: hold the picture where it is.
    Pause,
    /// Follow every message again.
    Live,
    /// Back to the start, paused.
    Start,
    /// One step back, paused.
    StepBack,
    /// One step forward, paused.
    StepForward,
    /// Play from here (from the start when at the end).
    Play,
    /// Set the playback speed (one of [`SPEEDS`]; others snap to the nearest).
    Speed(f64),
    /// The playback timer fired: advance one step, and stop at the end.
    Tick,
}

impl Player {
    /// A player that starts paused at the beginning, as for a recording
    /// opened from a file or a link.
    pub fn at_start() -> Self {
        Player {
            position: Some(0),
            ..Player::default()
        }
    }

    pub fn is_live(&self) -> bool {
        self.position.is_none()
    }

    /// How many messages of `recording` the views show.
    pub fn shown(&self, recording: &Recording) -> usize {
        self.position
            .map_or(recording.len(), |n| n.min(recording.len()))
    }

    /// Which step the views show and how many there are, for "step 3 of 12".
    pub fn step_of(&self, recording: &Recording) -> (usize, usize) {
        let shown = self.shown(recording);
        let steps = |entries: &[crate::recording::Entry]| {
            entries.iter().filter(|e| is_step(&e.message)).count()
        };
        (
            steps(&recording.entries[..shown]),
            steps(&recording.entries),
        )
    }

    pub fn apply(&mut self, command: Command, recording: &Recording) {
        let shown = self.shown(recording);
        match command {
            Command::Pause => {
                self.position = Some(shown);
                self.playing = false;
            }
            Command::Live => {
                self.position = None;
                self.playing = false;
            }
            Command::Start => {
                self.position = Some(0);
                self.playing = false;
            }
            Command::StepBack => {
                self.position = Some(previous_step(recording, shown));
                self.playing = false;
            }
            Command::StepForward => {
                self.position = Some(next_step(recording, shown));
                self.playing = false;
            }
            Command::Play => {
                let at_end = next_step(recording, shown) == shown;
                let from = if at_end { 0 } else { shown };
                self.position = Some(from);
                self.playing = next_step(recording, from) != from;
            }
            Command::Speed(speed) => self.speed = nearest_speed(speed),
            Command::Tick => {
                if !self.playing {
                    return;
                }
                let next = next_step(recording, shown);
                self.position = Some(next);
                if next_step(recording, next) == next {
                    self.playing = false;
                }
            }
        }
    }

    /// While playing: how long to wait, in real milliseconds, before the next
    /// [`Command::Tick`]. `None` when not playing or at the end.
    pub fn next_delay_ms(&self, recording: &Recording) -> Option<f64> {
        if !self.playing {
            return None;
        }
        let shown = self.shown(recording);
        let next = next_step(recording, shown);
        if next == shown {
            return None;
        }
        let from = shown
            .checked_sub(1)
            .map_or(0.0, |i| recording.entries[i].at_ms);
        let to = recording.entries[next - 1].at_ms;
        Some((to - from).clamp(0.0, MAX_GAP_MS) / self.speed)
    }
}

/// Whether a message adds a step to the trace (see `Trace::record_*`).
pub fn is_step(message: &Message) -> bool {
    !matches!(
        message,
        Message::Out(ClientMsg::Hello { .. })
            | Message::In(ServerMsg::Welcome { .. })
            | Message::In(ServerMsg::Error { op: None, .. })
    )
}

/// The position just after the next step past `shown` (or `shown` when
/// there is none).
fn next_step(recording: &Recording, shown: usize) -> usize {
    recording.entries[shown.min(recording.len())..]
        .iter()
        .position(|e| is_step(&e.message))
        .map_or(shown, |i| shown + i + 1)
}

/// The position just after the step before the last one shown (0 when none).
fn previous_step(recording: &Recording, shown: usize) -> usize {
    let entries = &recording.entries[..shown.min(recording.len())];
    let Some(last) = entries.iter().rposition(|e| is_step(&e.message)) else {
        return 0;
    };
    entries[..last]
        .iter()
        .rposition(|e| is_step(&e.message))
        .map_or(0, |i| i + 1)
}

fn nearest_speed(speed: f64) -> f64 {
    SPEEDS
        .into_iter()
        .min_by(|a, b| (a - speed).abs().total_cmp(&(b - speed).abs()))
        .expect("SPEEDS is not empty")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{DataEncoding, PROTOCOL_VERSION};

    /// hello, welcome, then three closes at 100, 200 and 10 000 ms.
    fn recording() -> Recording {
        let mut rec = Recording::default();
        rec.push(
            0.0,
            Message::Out(ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                data: DataEncoding::Binary,
            }),
        );
        rec.push(
            5.0,
            Message::In(ServerMsg::Welcome {
                version: PROTOCOL_VERSION,
                relay: "roundtrip".to_owned(),
                services: Vec::new(),
                limits: None,
            }),
        );
        for (op, at) in [(1, 100.0), (2, 200.0), (3, 10_000.0)] {
            rec.push(at, Message::Out(ClientMsg::Close { op }));
        }
        rec
    }

    #[test]
    fn live_follows_everything_and_pause_holds() {
        let mut rec = recording();
        let mut player = Player::default();
        assert_eq!(player.shown(&rec), 5);
        assert_eq!(player.step_of(&rec), (3, 3));
        player.apply(Command::Pause, &rec);
        rec.push(20_000.0, Message::Out(ClientMsg::Close { op: 4 }));
        assert_eq!(player.shown(&rec), 5);
        assert_eq!(player.step_of(&rec), (3, 4));
        player.apply(Command::Live, &rec);
        assert_eq!(player.shown(&rec), 6);
    }

    #[test]
    fn steps_skip_messages_that_draw_nothing() {
        let rec = recording();
        let mut player = Player::at_start();
        assert_eq!(player.step_of(&rec), (0, 3));
        player.apply(Command::StepForward, &rec);
        // Past the hello and the welcome, onto the first close.
        assert_eq!(player.position, Some(3));
        assert_eq!(player.step_of(&rec), (1, 3));
        player.apply(Command::StepForward, &rec);
        player.apply(Command::StepForward, &rec);
        player.apply(Command::StepForward, &rec);
        assert_eq!(player.position, Some(5));
        player.apply(Command::StepBack, &rec);
        assert_eq!(player.position, Some(4));
        player.apply(Command::StepBack, &rec);
        player.apply(Command::StepBack, &rec);
        player.apply(Command::StepBack, &rec);
        assert_eq!(player.position, Some(0));
        assert_eq!(player.step_of(&rec), (0, 3));
    }

    #[test]
    fn playback_waits_as_recorded_scaled_and_capped() {
        let rec = recording();
        let mut player = Player::at_start();
        player.apply(Command::Speed(2.0), &rec);
        player.apply(Command::Play, &rec);
        // From the start to the first close: 100 ms recorded, at 2x.
        assert_eq!(player.next_delay_ms(&rec), Some(50.0));
        player.apply(Command::Tick, &rec);
        assert_eq!(player.position, Some(3));
        assert_eq!(player.next_delay_ms(&rec), Some(50.0));
        player.apply(Command::Tick, &rec);
        // 9.8 s of idling is capped.
        assert_eq!(player.next_delay_ms(&rec), Some(MAX_GAP_MS / 2.0));
        player.apply(Command::Tick, &rec);
        assert_eq!(player.position, Some(5));
        assert!(!player.playing, "stops at the end");
        assert_eq!(player.next_delay_ms(&rec), None);
        // Play at the end starts over.
        player.apply(Command::Play, &rec);
        assert_eq!(player.position, Some(0));
        assert!(player.playing);
    }

    #[test]
    fn a_tick_after_pause_does_nothing() {
        let rec = recording();
        let mut player = Player::at_start();
        player.apply(Command::Play, &rec);
        player.apply(Command::Pause, &rec);
        player.apply(Command::Tick, &rec);
        assert_eq!(player.position, Some(0));
    }

    #[test]
    fn speeds_snap_to_the_offered_ones() {
        let rec = recording();
        let mut player = Player::default();
        player.apply(Command::Speed(3.1), &rec);
        assert_eq!(player.speed, 4.0);
        player.apply(Command::Speed(0.0), &rec);
        assert_eq!(player.speed, 0.25);
        player.apply(Command::Speed(f64::NAN), &rec);
        assert!(SPEEDS.contains(&player.speed));
    }

    #[test]
    fn an_empty_recording_has_nothing_to_play() {
        let rec = Recording::default();
        let mut player = Player::at_start();
        player.apply(Command::Play, &rec);
        assert!(!player.playing);
        assert_eq!(player.next_delay_ms(&rec), None);
        player.apply(Command::StepForward, &rec);
        player.apply(Command::StepBack, &rec);
        assert_eq!(player.position, Some(0));
    }
}
