//! `roundtrip serve` from its arguments to a running relay, and the
//! start-up errors a user meets: each one line that says what is in the way
//! and what to type instead (the binary prints it without a backtrace).

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::settings::{Settings, SettingsError};
use crate::shared_limits::{SharedLimits, SharedOptions};
use crate::{AppState, Config, lab};

/// The drain on SIGTERM when neither `--drain-grace` nor the settings say.
pub const DEFAULT_DRAIN_GRACE_S: u64 = 10;

/// What stops the relay from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A setting that is wrong in itself, wherever it came from (the
    /// message says where).
    #[error("{0}")]
    Invalid(String),
    #[error("--origin {0}")]
    Origin(String),
    #[error(
        "port {port} is in use by another program: try `{command} --port {free}`",
        free = suggestion.map_or_else(|| "0".to_owned(), |p| p.to_string())
    )]
    PortInUse {
        port: u16,
        /// The command the user typed (`roundtrip serve`, `cargo xtask run`).
        command: String,
        /// A port that was free a moment ago; `None` suggests 0 (any).
        suggestion: Option<u16>,
    },
    #[error("cannot listen on {addr}: {source}{hint}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
        /// The way out, when the cause is one we know.
        hint: String,
    },
    #[error("cannot start the lab services on 127.0.0.1: {0}")]
    Lab(std::io::Error),
    #[error("the relay stopped: {0}")]
    Serve(std::io::Error),
}

impl StartupError {
    /// 2 for a mistake in what was asked (as clap does for a bad flag), 1
    /// for what the machine refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartupError::Settings(_) | StartupError::Invalid(_) | StartupError::Origin(_) => 2,
            _ => 1,
        }
    }
}

/// Checks the settings, listens, starts the lab services and serves until
/// Ctrl-C.
pub async fn serve(args: ServeArgs) -> Result<(), StartupError> {
    let mut settings = match &args.config {
        Some(path) => Settings::load(path)?,
        None => Settings::default(),
    };
    settings.public |= args.public;
    for origin in &args.origins {
        let origin = crate::access::parse_origin(origin).map_err(StartupError::Origin)?;
        settings.origins.push(origin);
    }
    if args.token.is_some() {
        settings.token = args.token.clone();
    }
    let mut trusted = settings.trusted_proxies.clone();
    trusted.extend(args.trusted_proxies.iter().copied());
    let admin_listen = args.admin_listen.or(settings.admin_listen);
    let drain_grace = args
        .drain_grace
        .or(settings.drain_grace_s)
        .unwrap_or(DEFAULT_DRAIN_GRACE_S);
    let redis = args.redis.clone().or(settings.redis.take());
    let (policy, access, limits) = settings.build().map_err(|message| match &args.config {
        Some(path) => StartupError::Settings(SettingsError::Invalid {
            path: path.clone(),
            message,
        }),
        None => StartupError::Invalid(message),
    })?;

    let listener = listen(args.host, args.port, &args.command_name).await?;
    let addr = listener.local_addr().map_err(StartupError::Serve)?;
    let admin = match admin_listen {
        Some(admin) => Some(listen(admin.ip(), admin.port(), &args.command_name).await?),
        None => None,
    };
    let lab = lab::Lab::start().await.map_err(StartupError::Lab)?;
    for service in lab.services() {
        tracing::info!(
            name = %service.name,
            addr = %service.addr,
            protocol = %service.protocol,
            "lab service"
        );
    }
    // The URL goes to stdout (logs go to stderr) so that scripts can read it.
    println!("Roundtrip is running at http://{addr}/  (Ctrl-C to stop)");

    if !trusted.is_empty() {
        let nets: Vec<String> = trusted.iter().map(ToString::to_string).collect();
        tracing::info!(proxies = %nets.join(", "), "client addresses from X-Forwarded-For/Forwarded of these peers");
    }
    let shared_limits = match redis.filter(|url| !url.is_empty()) {
        Some(url) => {
            let shared = SharedLimits::redis(&url, SharedOptions::default())
                .map_err(|e| StartupError::Invalid(e.to_string()))?;
            tracing::info!(
                redis = %crate::shared_limits::hide_password(&url),
                "per-address limits shared through Redis"
            );
            shared
        }
        None => SharedLimits::local(),
    };
    let config = Config {
        policy,
        access,
        limits,
        admin_on_public: admin.is_none(),
        trusted_proxies: crate::client_addr::TrustedProxies::new(trusted),
        drain_grace: std::time::Duration::from_secs(drain_grace),
        shared_limits,
        ..Config::default()
    };
    if config.policy.mode() == crate::policy::Mode::Public {
        tracing::info!("public mode: deny by default, allow-list and origins from the settings");
    }
    let state = AppState::new(config, lab);
    if let Some(admin) = admin {
        let at = admin.local_addr().map_err(StartupError::Serve)?;
        tracing::info!(%at, "/healthz, /readyz and /metrics");
        tokio::spawn(crate::serve_admin(admin, state.clone()));
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(StartupError::Serve)?;
    let stopping = state.clone();
    crate::serve(listener, state, async move {
        tokio::select! {
            // A person at a terminal: stop now, no drain.
            _ = tokio::signal::ctrl_c() => stopping.cut_drain(),
            // A service manager or an orchestrator: drain first.
            _ = terminate.recv() => tracing::info!("SIGTERM"),
        }
    })
    .await
    .map_err(StartupError::Serve)
}

async fn listen(host: IpAddr, port: u16, command: &str) -> Result<TcpListener, StartupError> {
    let addr = SocketAddr::new(host, port);
    let source = match TcpListener::bind(addr).await {
        Ok(listener) => return Ok(listener),
        Err(source) => source,
    };
    let hint = match source.kind() {
        ErrorKind::AddrInUse => {
            return Err(StartupError::PortInUse {
                port,
                command: command.to_owned(),
                suggestion: free_port_after(host, port),
            });
        }
        ErrorKind::AddrNotAvailable => {
            format!(": {host} is not an address of this machine; try `{command} --host 127.0.0.1`")
        }
        ErrorKind::PermissionDenied if port < 1024 => format!(
            ": ports below 1024 need administrator rights; try `{command} --port {}`",
            free_port_after(host, 8079).unwrap_or(0)
        ),
        _ => String::new(),
    };
    Err(StartupError::Listen { addr, source, hint })
}

/// The first of the next hundred ports that `host` can listen on right
/// now (probed with a listener that is closed again at once).
fn free_port_after(host: IpAddr, port: u16) -> Option<u16> {
    (port.saturating_add(1)..=port.saturating_add(100))
        .filter(|&p| p != port)
        .find(|&p| std::net::TcpListener::bind((host, p)).is_ok())
}
