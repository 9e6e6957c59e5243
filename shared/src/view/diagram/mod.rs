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

pub use timeline::{Item, Lane, LaneKind, Timeline, timeline};
pub use view::{Frame, Geometry, More, Row, Scale, Viewport, frame};

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
}

/// Relay microseconds as milliseconds with three decimals: `1.204 ms`.
pub fn format_micros(t_us: u64) -> String {
    format!("{}.{:03} ms", t_us / 1000, t_us % 1000)
}

/// A span of session time: `0.250 ms`, `4.999 s`, `2 min 05.000 s`; for
/// time labels and idle breaks, which may be long.
pub fn format_span(t_us: u64) -> String {
    let ms = t_us / 1000;
    if ms < 1000 {
        format_micros(t_us)
    } else if ms < 60_000 {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    } else {
        let s = ms / 1000;
        format!("{} min {:02}.{:03} s", s / 60, s % 60, ms % 1000)
    }
}
