//! The page: Trunk's `dist/` folder.
//!
//! Debug builds read the files from disk on each request, so a `trunk build`
//! shows up without rebuilding the relay (even if `dist/` did not exist when
//! the relay was compiled). Release builds embed them, so the `roundtrip`
//! binary alone serves the whole playground.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[cfg(not(debug_assertions))]
#[derive(rust_embed::Embed)]
#[folder = "../dist/"]
#[allow_missing = true]
struct Dist;

/// The bytes of the page's file at `path` (relative, `/`-separated).
#[cfg(not(debug_assertions))]
fn file(path: &str) -> Option<Cow<'static, [u8]>> {
    Dist::get(path).map(|file| file.data)
}

#[cfg(debug_assertions)]
fn file(path: &str) -> Option<Cow<'static, [u8]>> {
    // Only plain names below dist/: no `..`, no absolute paths, no empty or
    // `.` segments.
    if path.split('/').any(|segment| {
        segment.is_empty() || segment == "." || segment == ".." || segment.contains('\\')
    }) {
        return None;
    }
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    std::fs::read(dist.join(path)).ok().map(Cow::Owned)
}

const NOT_BUILT: &str = "<!doctype html><title>Roundtrip</title>\
<h1>The page has not been built</h1>\
<p>This relay has no frontend files. Run <code>cargo xtask run</code> at the \
root of the repository: it builds the page and starts the relay.</p>";

/// Serves a file of the page; any other path gets `index.html` with status
/// 200, as a single-page app expects (`/learn/tcp` is a page of the app),
/// except a missing *file* (a name with an extension, such as
/// `/favicon.ico`): that is 404, not the page in its place.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some(bytes) = file(path) {
        return file_response(path, bytes);
    }
    if names_a_file(path) {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found",
        )
            .into_response();
    }
    match file("index.html") {
        Some(index) => file_response("index.html", index),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response(),
    }
}

/// Whether `path` asks for a file rather than a page of the app: its last
/// segment has an extension.
fn names_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .and_then(|last| last.rsplit_once('.'))
        .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
}

fn file_response(path: &str, bytes: Cow<'static, [u8]>) -> Response {
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
        Body::from(bytes.into_owned()),
    )
        .into_response()
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::file;

    #[test]
    fn paths_outside_dist_are_never_read() {
        // relay/Cargo.toml exists one level up from dist/'s parent's view.
        for path in [
            "../relay/Cargo.toml",
            "./../Cargo.toml",
            "a//b",
            "..\\Cargo.toml",
        ] {
            assert!(file(path).is_none(), "{path}");
        }
    }
}

#[cfg(test)]
mod routes {
    use super::names_a_file;

    #[test]
    fn files_are_told_from_pages_of_the_app() {
        for file in [
            "favicon.ico",
            "x/roundtrip-frontend-1a2b_bg.wasm",
            "a.b.css",
        ] {
            assert!(names_a_file(file), "{file}");
        }
        for page in ["learn/tcp-echo", "learn", "", ".hidden", "learn/v1."] {
            assert!(!names_a_file(page), "{page}");
        }
    }
}
