//! The `roundtrip` command line.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "roundtrip",
    version,
    about = "Roundtrip: see network programming happen"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the playground (page, relay and lab services).
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
    #[arg(long, env = "ROUNDTRIP_PUBLIC")]
    pub public: bool,
    /// Settings file (TOML): origins, token, allow-list.
    #[arg(long, env = "ROUNDTRIP_CONFIG")]
    pub config: Option<PathBuf>,
    /// An origin allowed to open sessions in public mode (repeatable).
    #[arg(long = "origin", env = "ROUNDTRIP_ORIGINS", value_delimiter = ',')]
    pub origins: Vec<String>,
    /// A token pages must present in public mode (`/ws?token=...`).
    #[arg(long, env = "ROUNDTRIP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
