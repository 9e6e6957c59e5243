//! The `roundtrip` binary: command line, logging, and Ctrl-C.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use roundtrip_relay::settings::Settings;
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
    /// Serve the public: deny by default, allow the lab services and the
    /// settings file's allow-list, and require an allowed Origin.
    #[arg(long, env = "ROUNDTRIP_PUBLIC")]
    public: bool,
    /// Settings file (TOML): origins, token, allow-list.
    #[arg(long, env = "ROUNDTRIP_CONFIG")]
    config: Option<PathBuf>,
    /// An origin allowed to open sessions in public mode (repeatable).
    #[arg(long = "origin", env = "ROUNDTRIP_ORIGINS", value_delimiter = ',')]
    origins: Vec<String>,
    /// A token pages must present in public mode (`/ws?token=...`).
    #[arg(long, env = "ROUNDTRIP_TOKEN", hide_env_values = true)]
    token: Option<String>,
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
    roundtrip_relay::raise_descriptor_limit();
    let mut settings = match &args.config {
        Some(path) => Settings::load(path).unwrap_or_else(|e| usage_error(&e)),
        None => Settings::default(),
    };
    settings.public |= args.public;
    settings.origins.extend(args.origins.iter().cloned());
    if args.token.is_some() {
        settings.token = args.token.clone();
    }
    let (policy, access, limits) = settings.build().unwrap_or_else(|e| usage_error(&e));

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

    let config = Config {
        policy,
        access,
        limits,
        ..Config::default()
    };
    if config.policy.mode() == roundtrip_relay::policy::Mode::Public {
        tracing::info!("public mode: deny by default, allow-list and origins from the settings");
    }
    let state = AppState::new(config, lab);
    roundtrip_relay::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// A mistake in the settings: say it plainly and exit 2, as for a bad flag.
fn usage_error(message: &str) -> ! {
    eprintln!("roundtrip: {message}");
    std::process::exit(2)
}
