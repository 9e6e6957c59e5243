//! The relay's log lines (to stderr): colour only for a person at a
//! terminal, so that a log file or a pipe holds plain text.

use std::ffi::OsStr;
use std::io::IsTerminal as _;

/// Logs at `info` for the relay unless `RUST_LOG` says otherwise.
pub fn init() {
    let ansi = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "roundtrip_relay=info,roundtrip=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

/// Colour when writing to a terminal, unless `NO_COLOR` is set to anything
/// but the empty string (https://no-color.org).
pub fn use_colour(is_terminal: bool, no_color: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some(OsStr::new(""))));
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(!use_colour(false, None));
        assert!(!use_colour(false, Some(OsStr::new("1"))));
    }
}
