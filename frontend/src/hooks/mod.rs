//! The page's hooks: where the browser's side effects (the relay socket,
//! remembered preferences) meet the page model.

pub mod use_preferences;
pub mod use_relay;

pub use use_preferences::{Preferences, use_preferences};
pub use use_relay::{Relay, use_relay};
