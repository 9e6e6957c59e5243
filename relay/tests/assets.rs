//! The page's files over real HTTP requests: each goes in the best form
//! the request's `Accept-Encoding` allows among the compressed forms the
//! page build wrote (`NAME.br`, `NAME.gz`), says so in `Content-Encoding`
//! and `Vary`, and decodes to the file itself.

use std::io::Read as _;
use std::path::PathBuf;

use axum::Router;
use axum::http::{HeaderMap, Uri};
use roundtrip_relay::assets::{Folder, respond};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A page in a fresh folder: a wasm and a script with both compressed
/// forms (made as the page build makes them), a stylesheet with only gzip,
/// an icon with none.
struct Page {
    dir: PathBuf,
    wasm: Vec<u8>,
    js: Vec<u8>,
    css: Vec<u8>,
}

impl Page {
    fn write(name: &str) -> Page {
        let dir =
            std::env::temp_dir().join(format!("roundtrip-assets-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let wasm: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 997).to_le_bytes())
            .collect();
        let js = "export function start() { return 1; }\n"
            .repeat(300)
            .into_bytes();
        let css = "main { display: grid }\n".repeat(300).into_bytes();
        let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
        put("index.html", b"<!doctype html><title>Roundtrip</title>");
        put("app_bg.wasm", &wasm);
        put("app_bg.wasm.br", &brotli(&wasm));
        put("app_bg.wasm.gz", &gzip(&wasm));
        put("app.js", &js);
        put("app.js.br", &brotli(&js));
        put("app.js.gz", &gzip(&js));
        put("style.css", &css);
        put("style.css.gz", &gzip(&css));
        put("favicon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>");
        Page { dir, wasm, js, css }
    }

    async fn serve(&self) -> String {
        let folder = Folder(self.dir.clone());
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            std::future::ready(respond(&folder, &uri, &headers))
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn brotli(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &raw[..], &mut out, &params).unwrap();
    out
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw).unwrap();
    encoder.finish().unwrap()
}

/// An answer: its status, its head's lines (names lower-cased) and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded as its `Content-Encoding` says.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("content-encoding") {
            None => out.clone_from(&self.body),
            Some("br") => brotli::BrotliDecompress(&mut &self.body[..], &mut out).unwrap(),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        }
        out
    }
}

/// One HTTP/1.1 GET with `accept` as its Accept-Encoding (none if `None`).
async fn get(addr: &str, path: &str, accept: Option<&str>) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let accept = accept
        .map(|a| format!("Accept-Encoding: {a}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let body = response[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let answer = Answer {
        status,
        headers,
        body,
    };
    if let Some(length) = answer.header("content-length") {
        assert_eq!(
            length.parse::<usize>().unwrap(),
            answer.body.len(),
            "{answer:?}"
        );
    }
    answer
}

#[tokio::test]
async fn each_file_goes_in_the_best_encoding_the_browser_accepts() {
    let page = Page::write("best");
    let addr = page.serve().await;
    // Path, Accept-Encoding sent, Content-Encoding expected, the file.
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);
    let cases: &[Case<'_>] = &[
        // What Chromium sends.
        (
            "/app_bg.wasm",
            Some("gzip, deflate, br, zstd"),
            Some("br"),
            &page.wasm,
        ),
        ("/app_bg.wasm", Some("gzip"), Some("gzip"), &page.wasm),
        ("/app_bg.wasm", None, None, &page.wasm),
        ("/app_bg.wasm", Some("identity"), None, &page.wasm),
        (
            "/app_bg.wasm",
            Some("br;q=0, gzip"),
            Some("gzip"),
            &page.wasm,
        ),
        ("/app_bg.wasm", Some("br;q=0, gzip;q=0"), None, &page.wasm),
        (
            "/app_bg.wasm",
            Some("br;q=0.2, gzip;q=0.9"),
            Some("gzip"),
            &page.wasm,
        ),
        ("/app.js", Some("br"), Some("br"), &page.js),
        // Only the forms the page has: no brotli stylesheet, so gzip.
        ("/style.css", Some("gzip, br"), Some("gzip"), &page.css),
        ("/style.css", Some("br"), None, &page.css),
    ];
    for &(path, accept, encoding, raw) in cases {
        let answer = get(&addr, path, accept).await;
        let case = format!("{path} with Accept-Encoding {accept:?}");
        assert_eq!(answer.status, 200, "{case}");
        assert_eq!(answer.header("content-encoding"), encoding, "{case}");
        assert_eq!(answer.header("vary"), Some("accept-encoding"), "{case}");
        assert_eq!(
            answer.decoded(),
            raw,
            "{case}: decoded body differs from the file"
        );
        if encoding.is_some() {
            assert!(answer.body.len() < raw.len(), "{case}: not smaller");
        }
    }
    // The type is the file's, not its compressed form's.
    let wasm = get(&addr, "/app_bg.wasm", Some("br")).await;
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    let css = get(&addr, "/style.css", Some("gzip")).await;
    assert_eq!(css.header("content-type"), Some("text/css"));
}

#[tokio::test]
async fn pages_of_the_app_and_missing_files_are_answered_as_before() {
    let page = Page::write("routes");
    let addr = page.serve().await;
    let app_page = get(&addr, "/learn/tcp-echo", Some("br, gzip")).await;
    assert_eq!(app_page.status, 200);
    assert_eq!(
        app_page.decoded(),
        b"<!doctype html><title>Roundtrip</title>"
    );
    let icon = get(&addr, "/favicon.svg", Some("br, gzip")).await;
    assert_eq!(icon.status, 200);
    assert_eq!(icon.header("content-encoding"), None);
    let missing = get(&addr, "/favicon.ico", Some("br, gzip")).await;
    assert_eq!(missing.status, 404);
    let outside = get(&addr, "/../Cargo.toml", None).await;
    assert_ne!(outside.status, 200, "{outside:?}");
}
