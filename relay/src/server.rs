//! The HTTP server loop under the router: `axum::serve` with the knobs a
//! public relay needs and `axum::serve` does not expose:
//!
//! - a deadline from accept to a complete request head, whatever arrives
//!   (nothing, one byte, an HTTP/2 preface), so that silent or slow header
//!   senders (slowloris) cannot hold connections open for ever;
//! - a cap on connections per client address until they become sessions;
//! - at the descriptor limit, a 503 for the connection that could not be
//!   served (from a descriptor kept in reserve) instead of silence, and one
//!   log line per interval instead of one per failed accept.
//! - `TCP_NODELAY` on every accepted connection (see [`prepare`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::limits::PerAddress;

/// How long a refused connection is kept to read what the client sends,
/// so that closing does not reset the connection before the client has
/// read the refusal.
const REFUSAL_LINGER: Duration = Duration::from_millis(500);
/// Refused connections lingering at once, at most; past it they close at
/// once, so that refusals cannot hold descriptors in bulk.
const MAX_LINGERING: usize = 64;
static LINGERING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// At most one "accept failed" line per this long; the others are counted.
const ACCEPT_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Sets up a connection the server accepted, before HTTP runs on it.
///
/// `TCP_NODELAY`: the relay writes each WebSocket frame as soon as it has
/// it, and often two small ones back to back (a `sent` event, then the
/// echoed `data`). With Nagle's algorithm on, the second waits in the
/// kernel until the first is acknowledged, and the browser delays that ACK
/// by up to 40 ms: every small round trip, and every session's opening,
/// paid it.
pub fn prepare(stream: &TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)
}

/// Called with every connection the server accepted, once [`prepare`]d:
/// how the tests look at the socket options of the connections the real
/// server accepts ([`crate::Config::on_accept`]).
#[derive(Clone)]
pub struct OnAccept(pub Arc<dyn Fn(&TcpStream) + Send + Sync>);

impl std::fmt::Debug for OnAccept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnAccept(..)")
    }
}

/// How [`run`] serves.
#[derive(Debug)]
pub struct Knobs {
    /// A connection must complete its first request head within this of
    /// being accepted.
    pub header_timeout: Duration,
    /// Connections each client address may hold that have not been handed
    /// to a session.
    pub per_ip: usize,
    /// Peers exempt from `per_ip`: a trusted reverse proxy carries many
    /// clients' connections, and the per-address limits apply to those
    /// clients once their requests say who they are.
    pub trusted: crate::client_addr::TrustedProxies,
    /// How long HTTP exchanges in flight get once `shutdown` completes.
    pub grace: Duration,
    pub on_accept: Option<OnAccept>,
}

/// Serves `router` on `listener` until `shutdown` completes, then waits up
/// to `knobs.grace` for HTTP exchanges in flight. (Upgraded WebSockets
/// leave hyper's hands; the caller waits for those.)
pub async fn run(
    listener: TcpListener,
    router: Router,
    knobs: Knobs,
    shutdown: impl Future<Output = ()>,
) {
    let Knobs {
        header_timeout,
        per_ip,
        trusted,
        grace,
        on_accept,
    } = knobs;
    let connections = Arc::new(PerAddress::default());
    let mut accept_errors = AcceptErrors::default();
    // One descriptor held back, to answer one client when all others are
    // in use (see `refuse_for_descriptors`).
    let mut reserve = reserve_descriptor();
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    tokio::pin!(shutdown);
    loop {
        // Refilled first, so that a descriptor freed by a closing connection
        // goes back to the reserve rather than to the next silent client.
        if reserve.is_none() {
            reserve = reserve_descriptor();
        }
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection that died in the
                // queue: neither should stop the server.
                Err(error) => {
                    accept_errors.note(&error);
                    if out_of_descriptors(&error)
                        && let Some(spare) = reserve.take()
                    {
                        drop(spare);
                        refuse_for_descriptors(&listener).await;
                    } else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A connection that cannot take the option is one that already
        // died; serving it ends at once anyway.
        if let Err(error) = prepare(&stream) {
            tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
        }
        if let Some(OnAccept(observe)) = &on_accept {
            observe(&stream);
        }
        let per_ip = if trusted.trusts(peer.ip()) {
            usize::MAX
        } else {
            per_ip
        };
        let Some(place) = connections.acquire(peer.ip(), per_ip) else {
            tracing::debug!(%peer, "connection refused: too many from this address");
            crate::telemetry::refused("connections");
            refuse(
                stream,
                &format!(
                    "too many connections from your address (at most {per_ip} that are not \
                     yet sessions): close some and try again"
                ),
                Some(REFUSAL_LINGER),
            );
            continue;
        };
        // Flips once the first request head is complete: from then on the
        // connection is hyper's (or the session's) to time.
        let (head_tx, mut head_rx) = tokio::sync::watch::channel(false);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            head_tx.send_replace(true);
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let router = router.clone();
            async move {
                Ok::<_, Infallible>(router.oneshot(request).await.unwrap_or_else(|e| match e {}))
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // The place is the connection's until it ends (an upgraded
            // WebSocket leaves it here and counts as a session instead).
            let _place = place;
            tokio::pin!(connection);
            let first_head = tokio::time::timeout(header_timeout, async {
                // The sender goes with the connection, which the other
                // branch sees end.
                if head_rx.wait_for(|&head| head).await.is_err() {
                    std::future::pending::<()>().await;
                }
            });
            let result = tokio::select! {
                // The connection first: once it has ended it is not polled
                // again below.
                biased;
                result = &mut connection => result,
                waited = first_head => {
                    if waited.is_err() {
                        // Dropping the connection closes it.
                        tracing::debug!(%peer, "no complete request head in time: closed");
                        return;
                    }
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("HTTP connections still open after the shutdown grace period");
    }
}

/// A descriptor to give back when accept fails for want of one.
fn reserve_descriptor() -> Option<std::fs::File> {
    std::fs::File::open("/dev/null").ok()
}

/// EMFILE (this process) or ENFILE (the whole system): no descriptor for
/// the connection waiting in the queue.
fn out_of_descriptors(error: &std::io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(error.raw_os_error(), Some(EMFILE | ENFILE))
}

/// With the reserve descriptor just given back: takes the oldest waiting
/// connection and tells it the relay is full, rather than leaving it (and
/// every client behind it) waiting without an answer.
async fn refuse_for_descriptors(listener: &TcpListener) {
    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
    if let Ok(Ok((stream, _))) = accepted {
        // No linger: the descriptor is what is short.
        refuse(
            stream,
            "the relay is out of file descriptors (too many connections): try again later",
            None,
        );
    }
}

/// Answers `503 Service Unavailable` with `reason` and closes. Never waits
/// on the client: what the socket does not take at once is dropped, and
/// the socket goes after `linger` at most.
fn refuse(stream: TcpStream, reason: &str, linger: Option<Duration>) {
    // What the client sent already is read first (a request head, not a
    // stream: at most 64 KiB): closing with unread bytes sends a reset
    // instead of a FIN.
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        if !matches!(stream.try_read(&mut sink), Ok(1..)) {
            break;
        }
    }
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\nretry-after: 10\r\nconnection: close\r\n\r\n{reason}",
        reason.len()
    );
    let _ = stream.try_write(response.as_bytes());
    let Some(linger) = linger else {
        return;
    };
    use std::sync::atomic::Ordering;
    let lingering = LINGERING.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
        (n < MAX_LINGERING).then_some(n + 1)
    });
    if lingering.is_err() {
        return;
    }
    tokio::spawn(async move {
        // Half-close, then read and discard until the client closes (or the
        // linger ends): bytes still on their way would meet a closed socket
        // and draw a reset.
        let mut stream = stream;
        let drain = async {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let _ = stream.shutdown().await;
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(linger, drain).await;
        drop(stream);
        LINGERING.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Failed accepts, logged at most once per [`ACCEPT_LOG_INTERVAL`]: at the
/// descriptor limit accept fails as fast as the loop runs, and a line each
/// time would bury everything else.
#[derive(Debug, Default)]
struct AcceptErrors {
    last_logged: Option<tokio::time::Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    fn note(&mut self, error: &std::io::Error) {
        let now = tokio::time::Instant::now();
        if self
            .last_logged
            .is_some_and(|at| now.duration_since(at) < ACCEPT_LOG_INTERVAL)
        {
            self.unlogged += 1;
            return;
        }
        tracing::warn!(
            %error,
            more_since_last_line = self.unlogged,
            "accept failed (logged at most once every {} s)",
            ACCEPT_LOG_INTERVAL.as_secs()
        );
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}
