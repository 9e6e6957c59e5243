//! What an operator's tools ask the relay: `GET /healthz` (the process
//! answers), `GET /readyz` (it takes new sessions: 503 while it drains
//! before a restart) and `GET /metrics` (Prometheus text, see
//! [`crate::telemetry`]).
//!
//! Served beside the page unless `--admin-listen` puts them on an address
//! of their own ([`crate::Config::admin_on_public`]); then the public
//! listener answers 404 for them, so a public relay does not show its
//! counts to the world.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// The paths this module answers.
pub const PATHS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// The admin routes alone (for the admin listener).
pub fn router(state: AppState) -> Router {
    routes().with_state(state)
}

/// The admin routes, to be given the state by whoever mounts them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The same paths answering 404 (on the public listener when the admin
/// routes live elsewhere), so that they do not fall through to the page.
pub fn hidden() -> Router<AppState> {
    PATHS.iter().fold(Router::new(), |router, path| {
        router.route(path, get(|| async { StatusCode::NOT_FOUND }))
    })
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.ready() {
        Ok(()) => "ready\n".into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    crate::telemetry::set_gauges(
        state.open_sessions(),
        state.open_sockets(),
        state.ready().is_err(),
        state.shared_limits().status(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}
