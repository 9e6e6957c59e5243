//! What the views show: the live session's trace, or the trace of the first
//! messages of a recording — the live one, paused or replaying, or one opened
//! from a file or a link. The stepping itself is
//! `roundtrip_shared::replay::Player`; this module keeps it in yew state and
//! runs its playback timer.

use std::rc::Rc;

use roundtrip_shared::recording::{PageTimes, Recording};
use roundtrip_shared::replay::{Command, Player};
use roundtrip_shared::trace::Trace;
use yew::prelude::*;

use roundtrip_shared::page::Recorder;

/// A recording opened from a file or a link, shown instead of the live
/// session.
#[derive(Debug, PartialEq)]
struct Opened {
    recording: Recording,
    /// Where it came from, for the replay bar.
    source: String,
    /// Tells one opening from the next (the same file may be opened twice).
    serial: u32,
}

/// The views' source for one render; cheap to clone into callbacks.
#[derive(Clone, Debug)]
pub struct ViewsSource {
    opened: UseStateHandle<Option<Rc<Opened>>>,
    player: UseStateHandle<Player>,
    recorder: Recorder,
}

impl ViewsSource {
    /// The recording the views step through: the opened one, else the live
    /// session's.
    pub fn recording(&self) -> Recording {
        match &*self.opened {
            Some(opened) => opened.recording.clone(),
            None => self.recorder.snapshot(),
        }
    }

    pub fn player(&self) -> Player {
        *self.player
    }

    /// The views follow the live session as it happens.
    pub fn is_live(&self) -> bool {
        self.player.is_live() && self.opened.is_none()
    }

    /// Where an opened recording came from; `None` for the live session.
    pub fn opened_from(&self) -> Option<&str> {
        self.opened.as_ref().map(|o| o.source.as_str())
    }

    /// The step shown and the number of steps (`live_steps` when live).
    pub fn step(&self, live_steps: usize) -> (usize, usize) {
        if self.is_live() {
            (live_steps, live_steps)
        } else {
            self.player.step_of(&self.recording())
        }
    }

    pub fn command(&self, command: Command) {
        let mut next = *self.player;
        next.apply(command, &self.recording());
        self.player.set(next);
    }

    /// Shows `recording` instead of the live session, paused at its start.
    pub fn open(&self, recording: Recording, source: String) {
        let serial = self.opened.as_ref().map_or(1, |o| o.serial + 1);
        self.opened.set(Some(Rc::new(Opened {
            recording,
            source,
            serial,
        })));
        self.player.set(Player::at_start());
    }

    /// Back to the live session.
    pub fn close(&self) {
        self.opened.set(None);
        self.player.set(Player::default());
    }

    fn serial(&self) -> Option<u32> {
        self.opened.as_ref().map(|o| o.serial)
    }
}

/// The views' source, starting on `initial` (a recording from a link) when
/// given, and the playback timer that moves it while playing.
#[hook]
pub fn use_views_source(recorder: &Recorder, initial: Option<(Recording, String)>) -> ViewsSource {
    let opened = use_state(|| {
        initial.map(|(recording, source)| {
            Rc::new(Opened {
                recording,
                source,
                serial: 0,
            })
        })
    });
    let player = use_state(|| {
        if opened.is_some() {
            Player::at_start()
        } else {
            Player::default()
        }
    });
    let source = ViewsSource {
        opened,
        player,
        recorder: recorder.clone(),
    };
    // Playing: one step per tick, after the recorded gap.
    {
        let source = source.clone();
        use_effect_with(
            (source.player(), source.serial(), recorder.len()),
            move |(current, _, _)| {
                // Copying the recording costs its length: only when playing,
                // not on every live message.
                let recording = if current.playing {
                    source.recording()
                } else {
                    Recording::default()
                };
                let timer = current.next_delay_ms(&recording).map(|delay| {
                    let mut next = *current;
                    gloo_timers::callback::Timeout::new(delay.round() as u32, move || {
                        next.apply(Command::Tick, &recording);
                        source.player.set(next);
                    })
                });
                move || drop(timer)
            },
        );
    }
    source
}

/// Something the views derive from what they show: `live()` while
/// following the live session, else `from_recording` of the recording and
/// how many of its messages are shown. Recomputed only when what is shown
/// changes.
#[hook]
fn use_shown<T: 'static>(
    source: &ViewsSource,
    live: impl FnOnce() -> Rc<T> + 'static,
    from_recording: impl FnOnce(&Recording, usize) -> T + 'static,
) -> Rc<T> {
    let source = source.clone();
    let deps = (
        source.recorder.len(),
        source.player().position,
        source.serial(),
        source.is_live(),
    );
    let shown = use_memo(deps, move |_| {
        if source.is_live() {
            live()
        } else {
            let recording = source.recording();
            Rc::new(from_recording(
                &recording,
                source.player().shown(&recording),
            ))
        }
    });
    (*shown).clone()
}

/// The page's times of the messages the views show (when each operation
/// started; the wall clock at the start).
#[hook]
pub fn use_page_times(source: &ViewsSource) -> Rc<PageTimes> {
    let recorder = source.recorder.clone();
    use_shown(
        source,
        move || Rc::new(recorder.page_times()),
        |recording, shown| recording.page_times(shown),
    )
}

/// The trace the views draw: `live` itself when following it, else rebuilt
/// from the shown part of the recording.
#[hook]
pub fn use_shown_trace(source: &ViewsSource, live: Rc<Trace>) -> Rc<Trace> {
    use_shown(
        source,
        move || live,
        |recording, shown| recording.trace(shown),
    )
}
