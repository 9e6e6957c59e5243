//! Roundtrip's shared crate: the browser<->relay protocol and the pure models
//! that both sides use. It knows nothing of sockets, async runtimes or the DOM,
//! so it builds for the host and for `wasm32-unknown-unknown` and is tested
//! with a plain `cargo test`.
//!
//! Module map, by layer (each reads only the layers above it):
//!
//! - [`protocol`]: the messages (requests, events, typed errors, refusals,
//!   close codes) as Rust types; [`frame`]: how they become WebSocket frames
//!   and back; [`payload`]: payload bytes in JSON and short previews;
//!   `protocol_de`: the relay's messages read from JSON by hand.
//! - [`session`]: what happened, in order: the [`trace`] every view reads
//!   (bounded), the [`recording`] it is saved as, [`replay`], [`share`]
//!   links, and the [`pacing`] of the page's sends.
//! - [`model`]: an operation's events folded once into meaning: an HTTP
//!   exchange (attempts → hops), a DNS ladder, a socket's [`lifecycle`],
//!   an operation's [`phase_marks`]. No geometry, no display strings.
//! - [`retry`]: retry policies, backoff with jitter, a simulator, `/flaky`
//!   plans, and the timeline of simulated and real runs.
//! - [`view`]: layout and text for the page: the [`diagram`], the
//!   [`lifecycle_graph`], the [`waterfall`], the [`dns_ladder`] and [`dns`]
//!   tables, the [`http_view`], the payload [`inspect`]or ([`hexdump`],
//!   [`json_check`], [`tls_record`]). Views read the model, not the events
//!   that give an HTTP or DNS operation its structure (kept by
//!   `model::tidy`).
//! - [`export`]: the HTTP exchanges as a [`har`] archive.
//! - [`explain`]: "what does this mean?" for HTTP statuses, error codes,
//!   refusals and close codes.
//! - [`page`]: the page's model: state, actions and what the panels show,
//!   with the clock passed in; [`forms`]: the page's forms parsed into
//!   protocol values.
//! - [`learn`]: the Learn course: lessons as data, their checks (pure
//!   functions of the page model's trace), the runner behind each "Do this"
//!   button, and the code generated beside each lesson.
//! - [`program`]: a program running in the page: its socket calls as relay
//!   operations, and relay errors as the exceptions CPython raises.
//! - `testing` (feature `test-support`): fixtures, and every view run over
//!   a recording.
//!
//! The modules of each layer are also re-exported here under their old
//! names (`roundtrip_shared::trace`, `::waterfall`, ...), so paths written
//! before the layers were folders keep working.

pub mod explain;
pub mod export;
pub mod forms;
pub mod frame;
pub mod learn;
pub mod model;
pub mod page;
pub mod payload;
pub mod program;
pub mod protocol;
mod protocol_de;
pub mod retry;
pub mod session;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod view;

pub use export::har;
pub use model::{lifecycle, phase_marks};
pub use session::{pacing, recording, replay, share, trace};
pub use view::{
    diagram, dns, dns_ladder, hexdump, http_view, inspect, json_check, lifecycle_graph, tls_record,
    waterfall,
};
