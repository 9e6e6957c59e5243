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
//! - [`lifecycle_graph`]: a socket's state machine as a graph to draw, its
//!   path lit, and the socket calls made so far.
//! - [`diagram`]: the sequence diagram: trace in, lanes, arrows and the
//!   visible window out; SVG and Mermaid export.
//! - [`dns`]: DNS answers for people: dig-style record tables and labels.
//! - [`recording`]: a session's messages with their times: saved, loaded and
//!   replayed into a trace.
//! - [`replay`]: stepping and playing through a recording.
//! - [`share`]: links that carry an experiment or a recording.

pub mod diagram;
pub mod dns;
pub mod lifecycle;
pub mod lifecycle_graph;
pub mod payload;
pub mod protocol;
pub mod recording;
pub mod replay;
pub mod share;
pub mod trace;
pub mod wire;
