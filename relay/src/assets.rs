//! The page: Trunk's `dist/` folder.
//!
//! Debug builds read the files from disk on each request, so a `trunk build`
//! shows up without rebuilding the relay. Release builds embed them, so the
//! `roundtrip` binary alone serves the whole playground.

use axum::body::Body;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../dist/"]
#[allow_missing = true]
struct Dist;

const NOT_BUILT: &str = "<!doctype html><title>Roundtrip</title>\
<h1>The page has not been built</h1>\
<p>This relay has no frontend files. Run <code>cargo xtask run</code> at the \
root of the repository: it builds the page and starts the relay.</p>";

/// Serves a file of the page; any other path gets `index.html` with status
/// 200, as a single-page app expects.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some(file) = Dist::get(path) {
        return file_response(path, file);
    }
    match Dist::get("index.html") {
        Some(index) => file_response("index.html", index),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    }
}

fn file_response(path: &str, file: rust_embed::EmbeddedFile) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    // Trunk names assets by content hash, so they never change; the page
    // itself must be fetched again to pick up new asset names.
    let cache = if path == "index.html" {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    (
        [
            (header::CONTENT_TYPE, mime.as_ref().to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        Body::from(file.data.into_owned()),
    )
        .into_response()
}
