//! Roundtrip's relay: the native half of the playground.
//!
//! Browsers cannot open raw sockets, so the page talks to this relay over one
//! WebSocket and the relay opens real sockets on its behalf, reporting every
//! step as a timestamped event (protocol in `roundtrip-shared`, described in
//! `PROTOCOL.md`).
//!
//! Module map:
//!
//! - [`assets`]: the page (Trunk's `dist/`), from disk in debug builds and
//!   embedded in release builds.
//! - [`session`]: one WebSocket session: handshake, dispatch of requests to
//!   operations, and the single writer of outgoing frames.
//! - [`op`]: the commands a session forwards to a running operation.
//! - [`report`]: how an operation reports events (timestamps, ordering).
//! - [`target`]: parsing and resolving what the browser wants to reach.
//! - [`connectors`]: one module per kind of socket: TCP connections, TCP
//!   listeners (the browser as a server), UDP sockets.
//! - [`lab`]: the built-in lab services on loopback (TCP and UDP echo, a chat
//!   room, the slow servers of the concurrency lab).

pub mod assets;
pub mod connectors;
pub mod lab;
pub mod op;
pub mod report;
pub mod session;
pub mod target;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

/// How long open sessions get to say goodbye when the relay shuts down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Limits and defaults that apply to every session.
#[derive(Clone, Debug)]
pub struct Config {
    /// Connect timeout per address when the browser does not set one.
    pub connect_timeout: Duration,
    /// The largest WebSocket message (and frame) accepted from a client. The
    /// page sends payload in pieces of at most 64 KiB.
    pub max_ws_message: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(10),
            max_ws_message: 256 * 1024,
        }
    }
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
}

impl AppState {
    pub fn new(config: Config, lab: lab::Lab) -> Self {
        let (shutdown_tx, shutting_down) = watch::channel(false);
        AppState {
            inner: Arc::new(Inner {
                config,
                lab,
                next_session: AtomicU64::new(1),
                shutting_down,
                shutdown_tx,
                sessions: TaskTracker::new(),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn lab(&self) -> &lab::Lab {
        &self.inner.lab
    }

    pub(crate) fn shutting_down(&self) -> watch::Receiver<bool> {
        self.inner.shutting_down.clone()
    }
}

/// The relay's routes: the WebSocket at `/ws`, the page everywhere else.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(ws_upgrade))
        .fallback(assets::serve)
        .with_state(state)
}

async fn ws_upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    let id = state.inner.next_session.fetch_add(1, Ordering::Relaxed);
    let max = state.config().max_ws_message;
    let sessions = state.inner.sessions.clone();
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let span = tracing::info_span!("session", id, %peer);
            sessions.track_future(session::run(socket, state).instrument(span))
        })
}

/// Serves the relay on `listener` until `shutdown` completes, then tells open
/// sessions to close and returns once they have (or after a short grace).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shutdown_tx = state.inner.shutdown_tx.clone();
    let sessions = state.inner.sessions.clone();
    let router = app(state);
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
    })
    .await;
    sessions.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, sessions.wait())
        .await
        .is_err()
    {
        tracing::warn!("sessions still open after the shutdown grace period");
    }
    served
}
