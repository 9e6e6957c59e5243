//! Roundtrip's page, a yew app compiled to WebAssembly.
//!
//! Module map:
//!
//! - [`app`]: the page; owns the state and the relay socket.
//! - [`relay_socket`]: the one WebSocket to the relay. Only this module knows
//!   the browser's socket API; it speaks `ClientMsg`/`ServerMsg`.
//! - [`state`]: the page state as data, and a pure reducer over it.
//! - [`components`]: the panels and the sequence diagram; props in,
//!   callbacks out.
//! - [`download`]: hands text the page made (an export) to the browser as
//!   a file.
//!
//! Protocol, trace, lifecycle and diagram layout come from
//! `roundtrip_shared`, where they are tested natively: this crate draws them.

pub mod app;
pub mod components;
pub mod download;
pub mod relay_socket;
pub mod state;
