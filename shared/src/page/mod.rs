//! The page's model: its state, every way it changes ([`State::apply`], one
//! entry with the clock passed in) and everything the panels show, derived
//! from the trace. Pure: the frontend renders it and does the I/O (the
//! browser's WebSocket, the clock, files), and every rule here is tested
//! with plain `cargo test`.
//!
//! - [`state`]: [`State`], [`Action`] and the one way the state changes.
//! - `tcp`, `udp`, `listen`, `session`: what each panel reads from the
//!   state (methods of [`State`]).
//! - [`notice`]: what the page's relay socket reports ([`Notice`]).
//! - [`reconnect`]: a lost relay: the backoff schedule of reconnects, the
//!   status line, the sockets lost, and "Redo".
//! - [`recorder`]: the session's messages with their times, shared by
//!   every clone of the state.

mod listen;
pub mod notice;
pub mod reconnect;
pub mod recorder;
mod session;
pub mod state;
mod tcp;
#[cfg(test)]
mod tests;
mod udp;

pub use listen::Accepted;
pub use notice::{Notice, relay_url};
pub use reconnect::{Reconnecting, reconnect_wait_ms};
pub use recorder::Recorder;
pub use session::ShownError;
pub use state::{Action, CurrentOp, Held, RelayLink, State};
pub use tcp::{Connection, SHOWN_RECEIVED};
