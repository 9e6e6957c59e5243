//! The sequence diagram: a [`Trace`](crate::trace::Trace) in, what to draw
//! out. The page only draws what these functions return, so the whole
//! diagram is tested here, natively, without a browser.
//!
//! - [`labels`]: what each step says and which sides it joins.
//! - [`timeline`]: the lanes (one per DNS server, target and client) and
//!   every step on one session clock. Built once per trace change.
//! - [`view`]: the visible window (scale, zoom, scroll) laid out in screen
//!   coordinates, with crowded rows merged. Cheap enough for every frame.
//! - [`export`]: the whole diagram as standalone SVG and as Mermaid text.

pub mod export;
pub mod labels;
pub mod timeline;
pub mod view;

#[cfg(test)]
mod tests;

pub use timeline::{Lane, LaneKind, Timeline, TimelineItem, timeline};
pub use view::{Drawing, DrawnRow, Geometry, More, Scale, Viewport, frame};

/// Said once beside the diagram: its rows are what the relay's sockets
/// reported, so a learner does not count packets off it (the handshake's
/// last ACK, the ACKs of data, retransmissions never appear).
pub const WHAT_IS_DRAWN: &str =
    "Arrows are the socket events the relay saw, not every packet: ACKs are not drawn.";

/// What the empty diagram says: live, what to do to fill it; showing a
/// recording that has not started yet (a trace link), how to replay it.
pub fn empty_hint(recording: bool) -> &'static str {
    if recording {
        "Press ▶ Play to replay the recording: its steps appear here."
    } else {
        "Connect to see every step appear here."
    }
}

/// What a row means, so that colours carry the same meaning everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case", prefix = "tone-")]
pub enum Tone {
    /// Something the browser asked for.
    Request,
    /// TCP control traffic: SYN, SYN-ACK, FIN.
    Control,
    /// Payload bytes.
    Data,
    /// A lookup or other work inside one lane.
    Note,
    /// A failure, refusal or reset.
    Error,
}

impl Tone {
    /// Every tone, in declaration order.
    pub fn all() -> impl Iterator<Item = Tone> {
        <Tone as strum::IntoEnumIterator>::iter()
    }

    /// CSS class, e.g. `tone-error`.
    pub fn class(self) -> &'static str {
        self.into()
    }

    /// An HTTP status by its class, the same in every view: a client or
    /// server error (4xx, 5xx) is an error; any other answer (1xx, 2xx,
    /// 3xx) is data that came back. (Grey, the note tone, means "inside
    /// the relay" in the legend, so a redirect is not grey.)
    pub fn of_status(status: u16) -> Tone {
        if status >= 400 {
            Tone::Error
        } else {
            Tone::Data
        }
    }
}

pub use crate::view::units::{format_micros, format_span};
