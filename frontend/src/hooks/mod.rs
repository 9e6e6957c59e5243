//! The page's hooks: where the browser's side effects (the relay socket,
//! remembered preferences) meet the page model, and a line field's
//! send-on-Enter.

pub mod use_line_entry;
pub mod use_preferences;
pub mod use_relay;

pub use use_line_entry::{LineEntry, use_line_entry};
pub use use_preferences::{Preferences, use_preferences};
pub use use_relay::{MessageTap, Relay, use_relay};
