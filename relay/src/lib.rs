//! Roundtrip's relay: the native half of the playground.
//!
//! Browsers cannot open raw sockets, so the page talks to this relay over one
//! WebSocket and the relay opens real sockets on its behalf, reporting every
//! step as a timestamped event (protocol in `roundtrip-shared`, described in
//! `PROTOCOL.md`).
//!
//! Module map:
//!
//! - [`access`]: who may open a session (Origin, Host and token checks).
//! - [`admin`]: `/healthz`, `/readyz` and `/metrics`, for an operator's
//!   tools (beside the page, or on `--admin-listen`).
//! - [`client_addr`]: the client's address behind trusted reverse proxies
//!   (`--trusted-proxy`), which every per-address limit and log line uses.
//! - [`telemetry`]: the metrics the relay records, and their recorder.
//! - [`assets`]: the page (Trunk's `dist/`), from disk in debug builds and
//!   embedded in release builds.
//! - [`cli`]: the `roundtrip` command line (options, defaults, variables).
//! - [`startup`]: from `roundtrip serve`'s arguments to a running relay,
//!   and the one-line start-up errors.
//! - [`logging`]: log lines to stderr (text, coloured only on a terminal,
//!   or JSON), and the crates whose trace lines would carry payloads kept
//!   quiet.
//! - [`settings`]: the settings file for a public relay.
//! - [`server`]: the HTTP server loop (header read timeout, graceful
//!   shutdown).
//! - [`session`]: one WebSocket session: handshake, dispatch of requests to
//!   operations, and the single writer of outgoing frames.
//! - [`limits`]: sessions per relay and per address, operations per
//!   session, idle and lifetime.
//! - [`shared_limits`]: the per-address limits that hold across several
//!   relays, kept in Redis (`--redis`), and what happens when it is away.
//! - [`op`]: the commands a session forwards to a running operation.
//! - [`policy`]: what the relay may dial (local vs public mode, allow-list,
//!   special-purpose IP ranges).
//! - [`resolver`]: host names to addresses (the system's, or a test table).
//! - [`report`]: how an operation reports events (timestamps, ordering).
//! - [`target`]: parsing and resolving what the browser wants to reach.
//! - [`connectors`]: one module per kind of operation: TCP connections, TCP
//!   listeners (the browser as a server), UDP sockets, DNS queries, HTTP
//!   requests (and their retries).
//! - [`lab`]: the built-in lab services on loopback (TCP and UDP echo, a chat
//!   room, the slow servers of the concurrency lab, the HTTP and HTTPS lab,
//!   the DNS lab's hierarchy) and the faults they inject.

pub mod access;
pub mod admin;
pub mod assets;
pub mod cli;
pub mod client_addr;
pub mod connectors;
pub mod lab;
pub mod limits;
pub mod logging;
pub mod op;
pub mod policy;
pub mod report;
pub mod resolver;
pub mod server;
pub mod session;
pub mod settings;
pub mod shared_limits;
pub mod startup;
pub mod target;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use roundtrip_shared::protocol::{Refusal, RelayError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

/// The WebSocket's read buffer: where each session's frames are read
/// into, and the most read from the socket at once. tungstenite fills its
/// free part with zeros before every read, so all of it is resident from
/// the first frame (128 KiB by default, per session) and the `memset` is
/// paid per read. It grows only while a larger frame is read (tungstenite
/// reserves a frame's whole length). Chosen by `cargo xtask bench`: see
/// ARCHITECTURE.md.
const WS_READ_BUFFER: usize = 4 * 1024;
/// What the session's writer may queue before tungstenite writes it out.
/// The writer feeds every message already waiting, then flushes once, so
/// a `sent` event and the `data` behind it leave in one write. The
/// buffer holds at most this plus one message: when the socket blocks,
/// the next message waits for it (tokio-tungstenite's `poll_ready`).
const WS_WRITE_BUFFER: usize = 64 * 1024;

/// How long open sessions get to say goodbye when the relay shuts down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// The reason sent with the 1001 close when the relay stops: the page
/// reconnects on its own after it.
pub const GOING_AWAY_REASON: &str = "relay shutting down (restarting: reconnect in a moment)";

/// Limits and defaults that apply to every session.
#[derive(Clone, Debug)]
pub struct Config {
    /// Connect timeout per address when the browser does not set one.
    pub connect_timeout: Duration,
    /// The largest WebSocket message (and frame) accepted from a client. The
    /// page sends payload in pieces of at most 64 KiB.
    pub max_ws_message: usize,
    /// What operations may dial (lab services are added by [`AppState::new`]).
    pub policy: policy::Policy,
    /// Who may open a session.
    pub access: access::Access,
    pub limits: limits::Limits,
    /// A last line of defence under the policy: refuse any non-loopback
    /// address, and count each time that had to happen. The hostile-input
    /// tests run with it on, so that even a broken policy sends nothing off
    /// this machine (and the count shows the policy was broken).
    pub loopback_only: bool,
    /// How long a client may take from connecting to the end of its first
    /// request head (and hyper's limit for the heads after it).
    pub header_timeout: Duration,
    /// How names outside the lab are resolved.
    pub resolver: resolver::Resolver,
    /// Shown every accepted connection once the server has set it up
    /// (tests check its socket options); `None` outside tests.
    pub on_accept: Option<server::OnAccept>,
    /// Serve `/healthz`, `/readyz` and `/metrics` beside the page; `false`
    /// when `--admin-listen` serves them elsewhere (then the page's
    /// listener answers 404 for them).
    pub admin_on_public: bool,
    /// Peers whose `Forwarded`/`X-Forwarded-For` name the client.
    pub trusted_proxies: client_addr::TrustedProxies,
    /// Once told to stop, how long the relay drains (no new sessions,
    /// `/readyz` 503, open sessions go on) before it closes the sessions
    /// still open with 1001. Zero: at once.
    pub drain_grace: Duration,
    /// Where per-address limits are kept beyond this relay: in Redis with
    /// `--redis`, nowhere else without.
    pub shared_limits: shared_limits::SharedLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(10),
            max_ws_message: 256 * 1024,
            policy: policy::Policy::local(),
            access: access::Access::default(),
            limits: limits::Limits::local(),
            loopback_only: false,
            header_timeout: Duration::from_secs(10),
            resolver: resolver::Resolver::System,
            on_accept: None,
            admin_on_public: true,
            trusted_proxies: client_addr::TrustedProxies::default(),
            drain_grace: Duration::ZERO,
            shared_limits: shared_limits::SharedLimits::local(),
        }
    }
}

/// One open socket's places under the relay's limit and its client
/// address's; both come back on drop.
#[derive(Debug)]
pub struct SocketPlace {
    _relay: limits::SocketPermit,
    _address: limits::AddressPermit,
}

/// What every request handler can reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    lab: lab::Lab,
    next_session: AtomicU64,
    /// Flips to `true` when the relay shuts down, so that sessions can say
    /// goodbye with a close frame instead of vanishing.
    shutting_down: watch::Receiver<bool>,
    shutdown_tx: watch::Sender<bool>,
    /// Upgraded WebSockets leave axum's graceful shutdown, so the relay
    /// tracks its sessions itself to let them send their close frames.
    sessions: TaskTracker,
    gate: Arc<limits::SessionGate>,
    guard_trips: AtomicU64,
    /// Live session listeners: on a public relay, the only loopback
    /// addresses sessions may dial (besides the lab).
    listeners: Arc<policy::listeners::Listeners>,
    sockets: Arc<limits::SocketGate>,
    /// Open sockets per client address.
    sockets_per_ip: Arc<limits::PerAddress>,
    /// TCP connections to the lab services per client address.
    lab_per_ip: Arc<limits::PerAddress>,
    /// The HTTP connector's TLS client configuration, built once.
    http_tls: connectors::http::ClientTls,
    /// Set once the relay was told to stop: no new sessions from then on.
    draining: AtomicBool,
    /// Cancelled to end the drain early (a person pressed Ctrl-C).
    drain_cut: tokio_util::sync::CancellationToken,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
}

impl AppState {
    pub fn new(mut config: Config, lab: lab::Lab) -> Self {
        config.policy.allow_lab(lab.addrs());
        if config.policy.mode() == policy::Mode::Public {
            lab.for_public();
        }
        let (shutdown_tx, shutting_down) = watch::channel(false);
        AppState {
            inner: Arc::new(Inner {
                config,
                lab,
                next_session: AtomicU64::new(1),
                shutting_down,
                shutdown_tx,
                sessions: TaskTracker::new(),
                gate: Arc::default(),
                guard_trips: AtomicU64::new(0),
                listeners: Arc::default(),
                sockets: Arc::default(),
                sockets_per_ip: Arc::default(),
                lab_per_ip: Arc::default(),
                http_tls: connectors::http::ClientTls::default(),
                draining: AtomicBool::new(false),
                drain_cut: tokio_util::sync::CancellationToken::new(),
                metrics: telemetry::install(),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn lab(&self) -> &lab::Lab {
        &self.inner.lab
    }

    /// The HTTP connector's TLS client configuration (web roots and the lab
    /// CA), shared by every exchange on this relay.
    pub(crate) fn http_tls(&self) -> &connectors::http::ClientTls {
        &self.inner.http_tls
    }

    pub fn policy(&self) -> &policy::Policy {
        &self.inner.config.policy
    }

    /// Every connector calls this right before it dials `dest.addr`, and then
    /// dials exactly that address.
    pub fn permit_dial(&self, dest: policy::Destination<'_>) -> Result<(), RelayError> {
        let dial = policy::Dial {
            policy: self.policy(),
            listeners: &self.inner.listeners,
            loopback_only: self.inner.config.loopback_only,
        };
        dial.permit(dest)
            .inspect(|()| {
                if let Some(service) = self.lab().service_at(dest.addr) {
                    telemetry::lab_use(service);
                }
            })
            .inspect_err(|error| {
                if let Some(refusal) = error.refusal {
                    telemetry::policy_refused(refusal);
                }
                if error.refusal == Some(Refusal::NotOnThisMachine) {
                    self.inner.guard_trips.fetch_add(1, Ordering::SeqCst);
                    tracing::error!(addr = %dest.addr, "policy let a non-loopback address through");
                }
            })
    }

    /// How often [`Config::loopback_only`] had to stop a dial the policy
    /// allowed. Zero unless the policy is broken.
    pub fn guard_trips(&self) -> u64 {
        self.inner.guard_trips.load(Ordering::SeqCst)
    }

    /// A place for one more open socket of the client at `client`, under
    /// the relay's limit and the address's, or the refusal for the one past
    /// either.
    pub fn open_socket(&self, client: std::net::IpAddr) -> Result<SocketPlace, RelayError> {
        let limits = &self.config().limits;
        let address = self
            .inner
            .sockets_per_ip
            .acquire(client, limits.max_open_sockets_per_ip)
            .ok_or_else(|| limits::address_sockets_full(limits.max_open_sockets_per_ip))?;
        let relay = self
            .inner
            .sockets
            .acquire(limits.max_open_sockets)
            .ok_or_else(|| limits::sockets_full(limits.max_open_sockets))?;
        Ok(SocketPlace {
            _relay: relay,
            _address: address,
        })
    }

    /// A place for one more TCP connection of the client at `client` to
    /// the lab services, or the refusal past its limit.
    pub fn open_lab_connection(
        &self,
        client: std::net::IpAddr,
    ) -> Result<limits::AddressPermit, RelayError> {
        let max = self.config().limits.max_lab_connections_per_ip;
        self.inner.lab_per_ip.acquire(client, max).ok_or_else(|| {
            telemetry::refused("lab_limit");
            RelayError::new(
                roundtrip_shared::protocol::ErrorCode::LimitReached,
                format!(
                    "your address has {max} connections open to the lab services, its limit \
                     (the lab is shared by everyone): close one first"
                ),
            )
        })
    }

    /// Sockets open now, across all sessions.
    pub fn open_sockets(&self) -> usize {
        self.inner.sockets.open()
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.inner.gate.open()
    }

    /// The per-address limits shared with other relays, and whether Redis
    /// answers ([`shared_limits::SharedLimits::status`]).
    pub fn shared_limits(&self) -> &shared_limits::SharedLimits {
        &self.inner.config.shared_limits
    }

    /// The listeners sessions run now.
    pub fn listeners(&self) -> &Arc<policy::listeners::Listeners> {
        &self.inner.listeners
    }

    pub(crate) fn shutting_down(&self) -> watch::Receiver<bool> {
        self.inner.shutting_down.clone()
    }

    /// Whether the relay takes new sessions, or why not.
    pub fn ready(&self) -> Result<(), &'static str> {
        if self.inner.draining.load(Ordering::SeqCst) {
            return Err("draining before a restart or stop");
        }
        Ok(())
    }

    /// Ends the drain at once (the sessions still open are closed with
    /// 1001): for Ctrl-C, where a person waits, not a load balancer.
    pub fn cut_drain(&self) {
        self.inner.drain_cut.cancel();
    }

    /// What renders the metrics.
    pub fn metrics(&self) -> &metrics_exporter_prometheus::PrometheusHandle {
        &self.inner.metrics
    }
}

/// The relay's routes: the WebSocket at `/ws`, the lab CA's certificate at
/// `/lab-ca.pem`, the admin routes unless they have a listener of their
/// own, the page everywhere else.
pub fn app(state: AppState) -> Router {
    let admin = if state.config().admin_on_public {
        admin::routes()
    } else {
        admin::hidden()
    };
    Router::new()
        .route("/ws", get(ws_upgrade))
        .route("/lab-ca.pem", get(lab_ca))
        .merge(admin)
        .fallback(assets::serve)
        .with_state(state)
}

/// The lab CA's certificate, for the programs beside the HTTPS lessons to
/// trust the HTTPS lab with (`verify="lab-ca.pem"`, `curl --cacert`). A
/// certificate is public; its key never leaves the relay's memory, and a
/// new one is made at every start.
async fn lab_ca(State(state): State<AppState>) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/x-pem-file"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"lab-ca.pem\"",
            ),
        ],
        state.lab().lab_ca_pem().to_owned(),
    )
        .into_response()
}

async fn ws_upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    // Behind a trusted proxy, the client it forwards for: every limit and
    // log line from here on is about that address.
    let client = state.config().trusted_proxies.client(peer.ip(), &headers);
    if let Err(reason) = state.config().access.check(&headers, uri.query()) {
        tracing::info!(%client, %reason, "session refused");
        telemetry::refused("access");
        return (StatusCode::FORBIDDEN, reason).into_response();
    }
    if let Err(why) = state.ready() {
        tracing::info!(%client, why, "session refused");
        telemetry::refused("draining");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            "the relay is restarting: try again in a moment",
        )
            .into_response();
    }
    let id = state.inner.next_session.fetch_add(1, Ordering::Relaxed);
    let max = state.config().max_ws_message;
    let sessions = state.inner.sessions.clone();
    let permit = match state.inner.gate.admit(client, &state.config().limits) {
        // This relay's own count first: it never refuses what the shared
        // one would admit, and it holds while Redis is away.
        Ok(local) => state
            .shared_limits()
            .admit(client, &state.config().limits)
            .await
            .map(|shared| (local, shared)),
        Err(reason) => Err(reason),
    };
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(WS_WRITE_BUFFER)
        .on_upgrade(move |socket| {
            let span = tracing::info_span!("session", id, %client, port = peer.port());
            let session = async move {
                match permit {
                    // The permit lives as long as the session.
                    // Boxed for the reason `Session::start` boxes
                    // operations: one copy of the session's state, not two.
                    Ok(_permit) => Box::pin(session::run(socket, state, client)).await,
                    Err(reason) => session::refuse(socket, &reason).await,
                }
            };
            sessions.track_future(session.instrument(span))
        })
}

/// Serves [`admin::router`] on `listener` (`--admin-listen`) until the
/// relay behind `state` shuts down.
pub async fn serve_admin(listener: TcpListener, state: AppState) {
    let mut down = state.shutting_down();
    let knobs = server::Knobs {
        header_timeout: state.config().header_timeout,
        per_ip: state.config().limits.max_connections_per_ip,
        trusted: client_addr::TrustedProxies::default(),
        grace: Duration::from_secs(1),
        on_accept: None,
    };
    server::run(listener, admin::router(state), knobs, async move {
        let _ = down.wait_for(|down| *down).await;
    })
    .await;
}

impl AppState {
    /// The drain before a stop: from now on no new sessions (`/readyz`
    /// 503, `/ws` 503), while open sessions go on until they end, the
    /// drain grace is over, or [`AppState::cut_drain`] is called.
    async fn drain(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
        let grace = self.config().drain_grace;
        if grace.is_zero() || self.inner.drain_cut.is_cancelled() {
            return;
        }
        tracing::info!(
            grace_s = grace.as_secs_f32(),
            open_sessions = self.open_sessions(),
            "draining: no new sessions; open ones are closed with 1001 when the grace is over"
        );
        let sessions = self.inner.sessions.clone();
        sessions.close();
        tokio::select! {
            () = sessions.wait() => tracing::info!("every session has ended"),
            () = tokio::time::sleep(grace) => tracing::info!("drain grace over"),
            () = self.inner.drain_cut.cancelled() => {}
        }
    }
}

/// Raises this process's soft limit on open files to its hard limit: each
/// session and each socket it opens holds a descriptor, and the common
/// soft limit (1,024) is far below what the relay's own limits allow. The
/// binary calls this once at start, and it logs the outcome; returns the
/// limit now in force, if it could be read.
pub fn raise_descriptor_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open file limit");
            Some(limit)
        }
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open file limit; the relay may run out of descriptors early");
            None
        }
    }
}

/// Says so at start when the open-file limit is below what the relay's own
/// limits may use: each session and each socket holds a descriptor, and a
/// connection to a lab service two (the lab is in this process). Past it,
/// new clients get a 503 (see [`server`]) before the limits are reached.
fn warn_if_few_descriptors(limits: &limits::Limits) {
    let Ok((soft, _hard)) = rlimit::Resource::NOFILE.get() else {
        return;
    };
    let wanted = limits.max_sessions as u64 + 2 * limits.max_open_sockets as u64 + 64;
    if soft < wanted {
        tracing::warn!(
            open_file_limit = soft,
            wanted,
            "the open file limit is below what the relay's limits may use: raise the hard \
             limit (ulimit -Hn, LimitNOFILE=) or lower max_open_sockets"
        );
    }
}

/// Serves the relay on `listener` until `shutdown` completes; then drains
/// for [`Config::drain_grace`] (see [`AppState::drain`]), tells the sessions
/// still open that the relay is going away (1001) and returns once they
/// have closed (or after a short grace).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    warn_if_few_descriptors(&state.config().limits);
    let shutdown_tx = state.inner.shutdown_tx.clone();
    let sessions = state.inner.sessions.clone();
    let header_timeout = state.config().header_timeout;
    let per_ip = state.config().limits.max_connections_per_ip;
    let on_accept = state.config().on_accept.clone();
    let trusted = state.config().trusted_proxies.clone();
    let draining = state.clone();
    let router = app(state);
    server::run(
        listener,
        router,
        server::Knobs {
            header_timeout,
            per_ip,
            trusted,
            grace: SHUTDOWN_GRACE,
            on_accept,
        },
        async move {
            shutdown.await;
            draining.drain().await;
            tracing::info!("shutting down");
            let _ = shutdown_tx.send(true);
        },
    )
    .await;
    sessions.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, sessions.wait())
        .await
        .is_err()
    {
        tracing::warn!("sessions still open after the shutdown grace period");
    }
    Ok(())
}
