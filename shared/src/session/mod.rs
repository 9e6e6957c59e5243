//! What happened in a session, in order: the trace every view reads, the
//! recording it is saved and shared as, replay through it, links, and the
//! pacing of the page's sends.
//!
//! - [`trace`]: the recorded steps of a session (what the browser asked,
//!   what the relay reported), in arrival order, bounded.
//! - [`recording`]: a session's messages with their times: saved, loaded
//!   and replayed into a trace.
//! - [`replay`]: stepping and playing through a recording.
//! - [`share`]: links that carry an experiment or a recording.
//! - [`chunked`]: the list the trace keeps its steps in, cheap to copy.
//! - [`sources`]: which line of which program in the page made each step.
//! - [`pacing`]: the page's sends paced like a blocking `send()`, and the
//!   limits the page and the relay must agree on.

pub mod chunked;
pub mod pacing;
pub mod recording;
pub mod replay;
pub mod share;
pub mod sources;
pub mod trace;
