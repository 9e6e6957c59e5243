//! The HTTP server loop under the router: `axum::serve` with the knobs a
//! public relay needs and `axum::serve` does not expose — above all a limit
//! on how long a client may take to send its request headers, so that slow
//! header senders (slowloris) cannot hold connections open for ever —
//! and `TCP_NODELAY` on every accepted connection (see [`prepare`]).

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

/// Serves `router` on `listener` until `shutdown` completes, then waits up
/// to `grace` for HTTP exchanges in flight. (Upgraded WebSockets leave
/// hyper's hands; the caller waits for those.)
pub async fn run(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    grace: Duration,
    on_accept: Option<OnAccept>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection that died in the
                // queue: neither should stop the server.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
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
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
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
            if let Err(error) = connection.await {
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
