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
//! - [`model`]: an operation's events folded once into meaning, for every
//!   view and export: an HTTP exchange (attempts → hops: URL, heads, body,
//!   phase marks, wire bytes, error) and a DNS ladder (its dig-style outcome
//!   derived). No geometry.
//! - [`phase_marks`]: when an operation's connection phases began.
//! - [`lifecycle_graph`]: a socket's state machine as a graph to draw, its
//!   path lit, and the socket calls made so far.
//! - [`diagram`]: the sequence diagram: trace in, lanes, arrows and the
//!   visible window out; SVG and Mermaid export.
//! - [`dns`]: DNS answers for people: dig-style record tables and labels,
//!   and the outcome the DNS panel shows.
//! - [`recording`]: a session's messages with their times: saved, loaded and
//!   replayed into a trace.
//! - [`replay`]: stepping and playing through a recording.
//! - [`share`]: links that carry an experiment or a recording.
//! - [`dns_ladder`]: a DNS lookup rung by rung (root → TLD → authoritative),
//!   CNAME chains, TTL countdowns.
//! - [`inspect`]: the payloads a trace holds, HTTP exchanges as raw text, the
//!   bytes as they crossed the socket.
//! - [`hexdump`]: payload bytes as text (encoding named, bad bytes marked) and
//!   as an `xxd`-style hex dump.
//! - [`json_check`]: JSON payloads re-indented, expected keys checked.
//! - [`http_view`]: what the HTTP panel shows of a request (the newest
//!   attempt's answer).
//! - [`tls_record`]: the TLS records an eavesdropper sees.
//! - [`waterfall`]: the timing waterfall of HTTP requests and TCP connections.
//! - [`page`]: the page's model: state, actions and what the panels show,
//!   with the clock passed in.
//! - [`forms`]: the page's forms (faults, headers, retry fields) parsed into
//!   protocol values.
//! - [`pacing`]: the page's sends paced like a blocking `send()`, and the
//!   limits the page and the relay must agree on.
//! - [`phase_marks`]: when an operation's connection phases began, from
//!   its events.
//! - `testing` (feature `test-support`): fixtures, and every view run over
//!   a recording.
//! - [`explain`]: "what does this mean?" for HTTP statuses, error codes and
//!   the relay's refusals.
//! - [`har`]: the HTTP exchanges as a HAR 1.2 archive.
//! - [`retry`]: retry policies, backoff with jitter, a simulator, and the
//!   timeline of simulated and real runs.
//! - [`pacing`]: the page's send window and the relay's queues, held
//!   together.
//!
//! The layers: [`protocol`] ← [`trace`] ← [`model`] ← views and exports
//! ([`waterfall`], [`retry`]'s timeline, [`dns_ladder`], [`inspect`],
//! [`http_view`], [`har`]). A view of an HTTP or DNS operation reads the
//! model, never the events that give the operation its structure (the
//! sequence diagram, which draws each event as a step, and the lifecycle
//! read events one by one); the model knows no geometry.

pub mod diagram;
pub mod dns;
pub mod dns_ladder;
pub mod explain;
pub mod forms;
pub mod har;
pub mod hexdump;
pub mod http_view;
pub mod inspect;
pub mod json_check;
pub mod lifecycle;
pub mod lifecycle_graph;
pub mod model;
pub mod pacing;
pub mod page;
pub mod payload;
pub mod phase_marks;
pub mod protocol;
pub mod recording;
pub mod replay;
pub mod retry;
pub mod share;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod tls_record;
pub mod trace;
pub mod waterfall;
pub mod wire;
