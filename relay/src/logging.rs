//! The relay's log lines (to stderr): text, coloured only for a person at
//! a terminal so that a log file or a pipe holds plain text; or one JSON
//! object a line for log shippers (`--log-format json`).
//!
//! What the logs never hold, at any level: payload bytes, tokens,
//! `Authorization`/`Cookie` values, credentials in URLs. The relay's own
//! lines name sizes, addresses and codes only; the libraries under it that
//! would print frames or bodies at `trace` are held at `debug` below,
//! whatever `RUST_LOG` asks (tests/logs.rs runs a session at `trace` and
//! greps for each secret).

use std::ffi::OsStr;
use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Libraries whose `trace` lines carry what went over the wire:
/// tungstenite prints every WebSocket frame with its payload.
const QUIET: &[&str] = &[
    "tungstenite=debug",
    "tokio_tungstenite=debug",
    "hyper=debug",
    "hyper_util=debug",
    "rustls=debug",
];

/// Logs at `info` for the relay unless `RUST_LOG` says otherwise.
pub fn init(format: LogFormat) {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(use_colour(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            ))
            .init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

/// `RUST_LOG` (or the relay at `info`), with the payload-printing
/// libraries held at `debug`.
fn filter(rust_log: Option<&str>) -> EnvFilter {
    let mut filter = rust_log
        .and_then(|text| EnvFilter::try_new(text).ok())
        .unwrap_or_else(|| EnvFilter::new("roundtrip_relay=info,roundtrip=info"));
    for directive in QUIET {
        filter = filter.add_directive(directive.parse().expect("a valid directive"));
    }
    filter
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

    #[test]
    fn trace_everywhere_still_holds_the_wire_libraries_at_debug() {
        let filter = filter(Some("trace,tungstenite=trace")).to_string();
        assert!(filter.contains("tungstenite=debug"), "{filter}");
        assert!(!filter.contains("tungstenite=trace"), "{filter}");
    }
}
