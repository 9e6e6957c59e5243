//! The `roundtrip` command line: every option with its default and the
//! environment variable that can set it, as `--help` shows them.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::LazyLock;

use clap::{Parser, Subcommand};
use roundtrip_shared::protocol::PROTOCOL_VERSION;

/// Where `serve --help` and the start-up errors send people for more.
const AFTER_HELP: &str = "\
Options may also come from the environment variables shown; a flag given on
the command line wins. Public mode's defaults and threat model: SECURITY.md.";

#[derive(Parser, Debug)]
#[command(
    name = "roundtrip",
    version = version_text(),
    about = "Roundtrip: see network programming happen",
    long_about = "Roundtrip: see network programming happen.\n\n\
                  `roundtrip serve` serves the playground's page, the relay that opens \
                  real sockets for it, and the lab services, on http://127.0.0.1:8080/ \
                  by default. `roundtrip serve --help` lists its options."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the playground (page, relay and lab services).
    #[command(after_help = AFTER_HELP)]
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. The default keeps the relay on this machine.
    #[arg(long, env = "ROUNDTRIP_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "ROUNDTRIP_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Serve the public: deny by default, allow the lab services and the
    /// settings file's allow-list, and require an allowed Origin.
    /// [default: off, local mode]
    #[arg(long, env = "ROUNDTRIP_PUBLIC")]
    pub public: bool,
    /// Settings file (TOML): origins, token, allow-list, limits; the format
    /// is in relay/src/settings.rs. [default: none, the mode's defaults]
    #[arg(long, env = "ROUNDTRIP_CONFIG")]
    pub config: Option<PathBuf>,
    /// An origin allowed to open sessions in public mode, as the browser
    /// sends it: scheme://host[:port], no path (repeatable, or
    /// comma-separated). [default: none]
    #[arg(long = "origin", env = "ROUNDTRIP_ORIGINS", value_delimiter = ',')]
    pub origins: Vec<String>,
    /// A token pages must present in public mode (`/ws?token=...`).
    /// [default: none]
    #[arg(long, env = "ROUNDTRIP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Serve /healthz, /readyz and /metrics on this address instead of
    /// beside the page (which then answers 404 for them), e.g.
    /// 127.0.0.1:9090. [default: beside the page]
    #[arg(long, env = "ROUNDTRIP_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    /// A reverse proxy (address or CIDR) whose X-Forwarded-For/Forwarded
    /// name the client; from other peers those headers are ignored
    /// (repeatable, or comma-separated). [default: none]
    #[arg(
        long = "trusted-proxy",
        env = "ROUNDTRIP_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDR",
        value_parser = parse_net
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// On SIGTERM, how long to drain (no new sessions, /readyz 503) before
    /// open sessions are closed with 1001; Ctrl-C does not wait.
    /// [default: 10, or the settings file's drain_grace_s]
    #[arg(long, env = "ROUNDTRIP_DRAIN_GRACE", value_name = "SECONDS")]
    pub drain_grace: Option<u64>,
    /// Log lines as text or as JSON objects (one a line, for log shippers).
    #[arg(
        long,
        env = "ROUNDTRIP_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// Redis that keeps per-address limits (sessions, new sessions and
    /// bytes a minute) shared by every relay that names it, e.g.
    /// redis://127.0.0.1:6379/. While it does not answer the relay serves
    /// on its own limits. [default: none, limits per relay]
    #[arg(long, env = "ROUNDTRIP_REDIS", hide_env_values = true)]
    pub redis: Option<String>,
    /// How the user started the relay, for the commands that start-up errors
    /// suggest (`cargo xtask run` sets it to itself).
    #[arg(
        long,
        env = "ROUNDTRIP_COMMAND",
        default_value = "roundtrip serve",
        hide = true
    )]
    pub command_name: String,
}

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A CIDR (`10.0.0.0/8`), or one address (`127.0.0.1`: a /32 or /128).
fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("\"{text}\" is not an address or a CIDR such as 10.0.0.0/8"))
}

/// `0.1.0 (protocol 1)`: the protocol version is what a page and a relay
/// must agree on, so `--version` says it.
fn version_text() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{} (protocol {PROTOCOL_VERSION})",
            env!("CARGO_PKG_VERSION")
        )
    });
    &TEXT
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_trusted_proxy_is_a_cidr_or_one_address() {
        assert_eq!(parse_net("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_net(" 127.0.0.1").unwrap().to_string(), "127.0.0.1/32");
        assert_eq!(parse_net("::1").unwrap().to_string(), "::1/128");
        assert!(parse_net("proxy.example").unwrap_err().contains("CIDR"));
    }
}
