//! Roundtrip's shared crate: the browser<->relay protocol and the pure models
//! that both sides use. It knows nothing of sockets, async runtimes or the DOM,
//! so it builds for the host and for `wasm32-unknown-unknown` and is tested
//! with a plain `cargo test`.
//!
//! Module map:
//!
//! - [`protocol`]: the messages (requests, events, typed errors) as Rust types.
//! - [`wire`]: how those messages become WebSocket frames (JSON text frames for
//!   control, compact binary frames for payload bytes) and back.
//! - [`payload`]: payload bytes in JSON (`text` or `base64`) and short
//!   human-readable previews of them.
//! - [`trace`]: the recorded steps of a session (what the browser asked, what
//!   the relay reported), in arrival order.
//! - [`lifecycle`]: the state of one socket, derived from its events.
//! - [`diagram`]: the sequence-diagram layout: trace in, lanes and arrows out.
//! - [`dns`]: DNS answers for people: dig-style record tables and labels.
//! - [`retry`]: retry policies, backoff with jitter, a simulator, and the
//!   timeline of simulated and real runs.

pub mod diagram;
pub mod dns;
pub mod lifecycle;
pub mod payload;
pub mod protocol;
pub mod retry;
pub mod trace;
pub mod wire;
