//! The page's model: its state, every way it changes ([`State::apply`], one
//! entry with the clock passed in) and everything the panels show, derived
//! from the trace. Pure: the frontend renders it and does the I/O (the
//! browser's WebSocket, the clock, files), and every rule here is tested
//! with plain `cargo test`.
//!
//! - [`state`]: [`State`], [`Action`] and the selectors the panels read.
//! - [`notice`]: what the page's relay socket reports ([`Notice`]).
//! - [`recorder`]: the session's messages with their times, shared by
//!   every clone of the state.

pub mod notice;
pub mod recorder;
pub mod state;
#[cfg(test)]
mod tests;

pub use notice::{Notice, relay_url};
pub use recorder::Recorder;
pub use state::{
    Accepted, Action, Connection, CurrentOp, Held, RelayLink, SHOWN_RECEIVED, ShownError, State,
};
