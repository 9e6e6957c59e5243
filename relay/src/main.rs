//! The `roundtrip` binary: command line, logging, and Ctrl-C.

use std::net::IpAddr;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use roundtrip_relay::{AppState, Config, lab};
use tokio::net::TcpListener;

#[derive(Parser, Debug)]
#[command(
    name = "roundtrip",
    version,
    about = "Roundtrip: see network programming happen"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the playground (page, relay and lab services).
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on. The default keeps the relay on this machine.
    #[arg(long, env = "ROUNDTRIP_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "ROUNDTRIP_PORT", default_value_t = 8080)]
    port: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "roundtrip_relay=info,roundtrip=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve(args) = Cli::parse().command;

    let listener = TcpListener::bind((args.host, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let lab = lab::Lab::start()
        .await
        .context("cannot start the lab services")?;
    for service in lab.services() {
        tracing::info!(name = %service.name, addr = %service.addr, "lab service");
    }
    // The URL goes to stdout (logs go to stderr) so that scripts can read it.
    println!("Roundtrip is running at http://{addr}/  (Ctrl-C to stop)");

    let state = AppState::new(Config::default(), lab);
    roundtrip_relay::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
