//! Roundtrip's page, a yew app compiled to WebAssembly.
//!
//! Module map:
//!
//! - [`app`]: the page: the experiment tabs wired to the page model, the
//!   masthead and the views.
//! - [`hooks`]: `use_relay` (the page model and its relay socket) and
//!   `use_preferences` (theme, presenter mode).
//! - [`trace_files`]: open, save and share traces.
//! - [`browser`]: files, links, clipboard and preferences, with readable
//!   errors.
//! - [`relay_socket`]: the one WebSocket to the relay. Only this module knows
//!   the browser's socket API; it speaks `ClientMsg`/`ServerMsg`.
//! - [`state`]: the page's model (`roundtrip_shared::page`) as yew's
//!   reducer: the clock is read here and handed to the pure `apply`.
//! - [`views_source`]: what the views show (live, paused, replaying, or an
//!   opened recording) and the playback timer.
//! - [`learn`]: the Learn course's pages (contents, lessons, the front
//!   door), and [`learn::Root`], which picks the page by its address.
//! - [`components`]: the panels and the sequence diagram; props in,
//!   callbacks out.
//!
//! Protocol, trace, the page model, lifecycle and diagram layout come from
//! `roundtrip_shared`, where they are tested natively: this crate draws them.

pub mod app;
pub mod browser;
pub mod components;
pub mod hooks;
pub mod learn;
pub mod python;
pub mod relay_socket;
pub mod state;
pub mod trace_files;
pub mod views_source;
