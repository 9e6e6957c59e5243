//! Test support (the `test-support` feature, and this crate's own tests):
//! builders for the fixtures tests write again and again, and one function
//! that runs every view and export over a recording, for tests and the
//! `open_recording` fuzz target. Not part of the page or the relay.

pub mod fixtures;
mod render;

pub use fixtures::TraceBuilder;
pub use render::render_everything;
