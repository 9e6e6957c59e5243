//! End-to-end: what a newcomer sees before the app runs, and the page's
//! files. While the WebAssembly loads, index.html itself shows the page's
//! name and a loading line, which the app removes when it starts; when the
//! app cannot start, the line says so. The icon is served, and a missing
//! file is a 404, not the page in its place. The page's files travel
//! compressed.

mod support;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use support::{Browser, Page, Relay};

#[tokio::test]
async fn the_loading_line_gives_way_to_the_app() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.wait("the loading line removed by the app", async || {
            match page.text("#loading").await {
                Err(_) => Ok(()),
                Ok(text) => Err(format!("#loading still reads {text:?}")),
            }
        })
        .await
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// The page's own index.html, opened where its scripts cannot load: the
/// line under the name says the playground could not start, instead of a
/// blank page.
#[tokio::test]
async fn a_page_whose_app_cannot_load_says_so() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/index.html");
    let index = std::fs::read_to_string(&dist)
        .unwrap_or_else(|e| panic!("read {} (build the page first): {e}", dist.display()));
    let folder = std::env::temp_dir().join(format!("roundtrip-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let copy = folder.join("index.html");
    std::fs::write(&copy, index).unwrap();

    let relay = Relay::start().await; // only for the page's explanations
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        page.open(&format!("file://{}", copy.display())).await?;
        page.wait_text_is("#loading h1", "Roundtrip").await?;
        page.wait_text_contains("#loading-line", "could not start")
            .await
            .map(drop)
    }
    .await;
    browser.close().await;
    let _ = std::fs::remove_dir_all(&folder);
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn the_icon_is_served_and_a_missing_file_is_not_found() {
    let relay = Relay::start().await;
    let addr = relay
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let (status, head) = get(addr, "/favicon.svg").await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: image/svg+xml"),
        "{head}"
    );
    let (status, head) = get(addr, "/favicon.ico").await;
    assert_eq!(status, 404, "{head}");
    // A page of the app is the app.
    let (status, head) = get(addr, "/learn/tcp-echo").await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{head}"
    );
}

/// The built page's WebAssembly, asked for as Chromium asks: it comes as
/// brotli, says so, and decodes to the file in dist/; a client that
/// accepts no encoding gets the file itself.
#[tokio::test]
async fn the_page_arrives_compressed() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let wasm_name = std::fs::read_dir(&dist)
        .unwrap_or_else(|e| panic!("read {} (build the page first): {e}", dist.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .find(|name| name.ends_with(".wasm"))
        .expect("a .wasm in dist/");
    let raw = std::fs::read(dist.join(&wasm_name)).unwrap();
    let relay = Relay::start().await;
    let addr = relay
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let path = format!("/{wasm_name}");

    let (head, body) = get_with(addr, &path, "Accept-Encoding: gzip, deflate, br, zstd\r\n").await;
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-encoding: br"), "{head}");
    assert!(head.contains("vary: accept-encoding"), "{head}");
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &body[..], &mut decoded).unwrap();
    assert!(
        decoded == raw,
        "the decoded wasm differs from dist/{wasm_name}"
    );
    println!(
        "{wasm_name}: {} B raw, {} B as sent with brotli",
        raw.len(),
        body.len()
    );

    let (head, body) = get_with(addr, &path, "").await;
    assert!(
        !head.to_ascii_lowercase().contains("content-encoding"),
        "{head}"
    );
    assert!(body == raw, "the uncompressed wasm differs from the file");
}

/// One HTTP/1.1 GET with `extra` header lines: the head and the body.
async fn get_with(addr: &str, path: &str, extra: &str) -> (String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    (head, response[split + 4..].to_vec())
}

/// One plain HTTP/1.1 GET: the status and the response head.
async fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head)
}

/// The page's WebAssembly is preloaded without an integrity hash: the fetch
/// that uses the preload (wasm-bindgen's `init`) carries none, and Chromium
/// warns on every load that the two do not match. Same-origin files from
/// the relay itself gain nothing from the hash.
#[test]
fn the_preloads_match_the_fetches_that_use_them() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/index.html");
    let index = std::fs::read_to_string(&dist)
        .unwrap_or_else(|e| panic!("read {} (build the page first): {e}", dist.display()));
    let preloads: Vec<&str> = index
        .split('<')
        .filter(|tag| tag.starts_with("link") && tag.contains("preload"))
        .collect();
    assert!(!preloads.is_empty(), "no preload in {}", dist.display());
    for tag in preloads {
        assert!(!tag.contains("integrity="), "a preload with a hash: <{tag}");
    }
}
