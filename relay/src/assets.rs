//! The page: Trunk's `dist/` folder.
//!
//! Debug builds read the files from disk on each request, so a `trunk build`
//! shows up without rebuilding the relay (even if `dist/` did not exist when
//! the relay was compiled). Release builds embed them, so the `roundtrip`
//! binary alone serves the whole playground.
//!
//! The page build (`cargo xtask run`, xtask/src/precompress.rs) writes a
//! brotli `NAME.br` and a gzip `NAME.gz` beside each text or WebAssembly
//! file; a browser gets the best form its `Accept-Encoding` allows, with
//! `Content-Encoding` and `Vary: Accept-Encoding`, and the relay never
//! compresses while answering. A page built by plain `trunk build` has no
//! compressed forms and is sent as it is.

use std::borrow::Cow;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Where the page's files come from.
pub trait Files {
    /// The bytes of the page's file at `path` (relative, `/`-separated).
    fn file(&self, path: &str) -> Option<Cow<'static, [u8]>>;
}

/// The page this relay was built with: embedded in release builds, read
/// from `dist/` beside the sources in debug builds.
#[derive(Debug, Clone, Copy)]
pub struct Dist;

#[cfg(not(debug_assertions))]
#[derive(rust_embed::Embed)]
#[folder = "../dist/"]
#[allow_missing = true]
struct Embedded;

#[cfg(not(debug_assertions))]
impl Files for Dist {
    fn file(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        Embedded::get(path).map(|file| file.data)
    }
}

#[cfg(debug_assertions)]
impl Files for Dist {
    fn file(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        Folder(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist")).file(path)
    }
}

/// A page in a folder on disk, read on each request.
#[derive(Debug, Clone)]
pub struct Folder(pub PathBuf);

impl Files for Folder {
    fn file(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        // Only plain names below the folder: no `..`, no absolute paths, no
        // empty or `.` segments.
        if path.split('/').any(|segment| {
            segment.is_empty() || segment == "." || segment == ".." || segment.contains('\\')
        }) {
            return None;
        }
        std::fs::read(self.0.join(path)).ok().map(Cow::Owned)
    }
}

/// The encodings the relay can send, best first when a client accepts
/// several equally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// Its name in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Identity => "identity",
        }
    }

    /// The suffix of the file that holds this form (see xtask's
    /// precompress.rs).
    fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
            Encoding::Identity => "",
        }
    }
}

/// The compressed encodings `accept` (an `Accept-Encoding` value) allows,
/// most preferred first: by the client's `q` weights, brotli before gzip
/// at equal weight. `q=0` refuses an encoding; `*` stands for those not
/// named. Identity is always possible and is not listed.
pub fn accepted(accept: Option<&HeaderValue>) -> Vec<Encoding> {
    let Some(accept) = accept.and_then(|value| value.to_str().ok()) else {
        return Vec::new();
    };
    // Weights in thousandths, as RFC 9110 allows at most three decimals.
    let mut named: Vec<(String, u16)> = Vec::new();
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        let mut weight = 1000;
        for param in parts {
            if let Some((key, value)) = param.split_once('=')
                && key.trim().eq_ignore_ascii_case("q")
            {
                weight = parse_weight(value.trim()).unwrap_or(0);
            }
        }
        named.push((coding, weight));
    }
    let weight_of = |token: &str| {
        named
            .iter()
            .find(|(coding, _)| coding == token)
            .or_else(|| named.iter().find(|(coding, _)| coding == "*"))
            .map_or(0, |(_, weight)| *weight)
    };
    let mut encodings: Vec<(Encoding, u16)> = [Encoding::Brotli, Encoding::Gzip]
        .into_iter()
        .map(|encoding| (encoding, weight_of(encoding.token())))
        .filter(|(_, weight)| *weight > 0)
        .collect();
    // Stable: brotli stays first among equals.
    encodings.sort_by_key(|(_, weight)| std::cmp::Reverse(*weight));
    encodings
        .into_iter()
        .map(|(encoding, _)| encoding)
        .collect()
}

/// A `q` value (`0`, `0.5`, `1.000`) in thousandths; `None` if malformed.
fn parse_weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

const NOT_BUILT: &str = "<!doctype html><title>Roundtrip</title>\
<h1>The page has not been built</h1>\
<p>This relay has no frontend files. Run <code>cargo xtask run</code> at the \
root of the repository: it builds the page and starts the relay.</p>";

/// Serves a file of the page from [`Dist`]; see [`respond`].
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    respond(&Dist, &uri, &headers)
}

/// Answers a request for the page's file at `uri` from `files`, in the best
/// encoding the request's `Accept-Encoding` allows among those present; any
/// other path gets `index.html` with status 200, as a single-page app
/// expects (`/learn/tcp` is a page of the app), except a missing *file* (a
/// name with an extension, such as `/favicon.ico`): that is 404, not the
/// page in its place.
pub fn respond(files: &impl Files, uri: &Uri, headers: &HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let accepted = accepted(headers.get(header::ACCEPT_ENCODING));
    if let Some(response) = file_response(files, path, &accepted) {
        return response;
    }
    if names_a_file(path) {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "not found",
        )
            .into_response();
    }
    file_response(files, "index.html", &accepted).unwrap_or_else(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            NOT_BUILT,
        )
            .into_response()
    })
}

/// How long a browser may keep `path`. Trunk names the page's assets by
/// content hash and Pyodide's folder carries its version, so those never
/// change; the page itself and its Python modules (`python/`, fixed names)
/// are asked for again each time, so a new relay's are used at once.
fn cache_control(path: &str) -> &'static str {
    if path == "index.html" || path.starts_with(PYTHON_MODULES) {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    }
}

/// Where `index.html` puts the page's Python modules (the socket shim and
/// `requests`), fetched by the program's worker when a program first runs.
const PYTHON_MODULES: &str = "python/";

/// Whether `path` asks for a file rather than a page of the app: its last
/// segment has an extension.
fn names_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .and_then(|last| last.rsplit_once('.'))
        .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
}

/// The file at `path` in the first of `accepted` it has a form for, or as
/// it is; `None` if there is no such file.
fn file_response(files: &impl Files, path: &str, accepted: &[Encoding]) -> Option<Response> {
    let (encoding, bytes) = accepted
        .iter()
        .find_map(|&encoding| {
            files
                .file(&format!("{path}{}", encoding.suffix()))
                .map(|bytes| (encoding, bytes))
        })
        .or_else(|| files.file(path).map(|bytes| (Encoding::Identity, bytes)))?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let cache = cache_control(path);
    let mut response = (
        [
            (header::CONTENT_TYPE, mime.as_ref().to_owned()),
            (header::CACHE_CONTROL, cache.to_owned()),
            // The same URL has other bytes for another Accept-Encoding: a
            // cache in between must key on it.
            (header::VARY, "accept-encoding".to_owned()),
        ],
        Body::from(bytes.into_owned()),
    )
        .into_response();
    if encoding != Encoding::Identity {
        response.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(encoding.token()),
        );
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::{Files as _, Folder};

    #[test]
    fn paths_outside_dist_are_never_read() {
        // relay/Cargo.toml exists one level up from dist/'s parent's view.
        for path in [
            "../relay/Cargo.toml",
            "./../Cargo.toml",
            "a//b",
            "..\\Cargo.toml",
        ] {
            let dist = Folder(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist"));
            assert!(dist.file(path).is_none(), "{path}");
        }
    }
}

#[cfg(test)]
mod routes {
    use super::{cache_control, names_a_file};

    #[test]
    fn only_files_named_by_their_content_or_version_are_kept_for_good() {
        for kept in [
            "roundtrip-frontend-1a2b3c4d5e6f7a8b_bg.wasm",
            "style-97fe6c153c492528.css",
            "pyodide-314.0.8/pyodide.asm.wasm",
        ] {
            assert_eq!(
                cache_control(kept),
                "public, max-age=31536000, immutable",
                "{kept}"
            );
        }
        for asked_again in [
            "index.html",
            "python/socket_shim.py",
            "python/requests_shim.py",
        ] {
            assert_eq!(cache_control(asked_again), "no-cache", "{asked_again}");
        }
    }

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

#[cfg(test)]
mod encodings {
    use axum::http::HeaderValue;

    use super::Encoding::{Brotli, Gzip};
    use super::accepted;

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let cases: &[(Option<&str>, &[super::Encoding])] = &[
            (None, &[]),
            (Some(""), &[]),
            (Some("identity"), &[]),
            (Some("gzip, deflate, br, zstd"), &[Brotli, Gzip]),
            (Some("gzip"), &[Gzip]),
            (Some("BR"), &[Brotli]),
            (Some("br;q=0, gzip"), &[Gzip]),
            (Some("br;q=0.5, gzip;q=0.8"), &[Gzip, Brotli]),
            (Some("gzip;q=1.0, br;q=1"), &[Brotli, Gzip]),
            (Some("*"), &[Brotli, Gzip]),
            (Some("*;q=0, identity"), &[]),
            (Some("br;q=0, *"), &[Gzip]),
            (Some("gzip;q=0.000"), &[]),
            // A malformed weight refuses rather than guesses.
            (Some("br;q=2, gzip;q=abc"), &[]),
            (Some("br;q=0.1234"), &[]),
        ];
        for (header, expected) in cases {
            let value = header.map(|h| HeaderValue::from_str(h).unwrap());
            assert_eq!(accepted(value.as_ref()), *expected, "{header:?}");
        }
    }
}
