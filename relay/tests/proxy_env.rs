//! Proxy environment variables play no part in where the relay goes: the
//! real `roundtrip` binary, started as a child process with every proxy
//! variable (upper and lower case) pointing at a trap listener, makes HTTP
//! and HTTPS requests to loopback servers directly, and the trap never sees
//! a connection. A child process keeps the variables out of other tests.

mod support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, HttpRequest};
use support::Client;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Kills the relay when the test ends, however it ends.
struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A listener that only counts the connections it gets.
async fn trap() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, count)
}

/// A loopback HTTP server that answers every request with `200 ok`.
async fn plain_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(n @ 1..) => head.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    addr
}

fn start_relay(proxy: SocketAddr) -> (Relay, SocketAddr) {
    let proxy = format!("http://{proxy}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_roundtrip"));
    command
        .args(["serve", "--host", "127.0.0.1", "--port", "0"])
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ROUNDTRIP_CONFIG")
        .env_remove("ROUNDTRIP_PUBLIC")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        command.env(name, &proxy).env(name.to_lowercase(), &proxy);
    }
    let mut child = command.spawn().expect("the roundtrip binary starts");
    let stdout = child.stdout.take().unwrap();
    let relay = Relay(child);
    // "Roundtrip is running at http://127.0.0.1:PORT/  (Ctrl-C to stop)"
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (relay, addr)
}

fn get(op: u32, url: String) -> ClientMsg {
    ClientMsg::HttpRequest(HttpRequest::get(op, url))
}

#[tokio::test]
async fn proxy_variables_are_ignored() {
    let (proxy, trapped) = trap().await;
    let server = plain_server().await;
    let (_relay, addr) = start_relay(proxy);
    let mut client = Client::greeted(addr, DataEncoding::Json).await;

    for (op, url) in [
        (1, format!("http://{server}/")),
        (2, "https://https-lab/get".to_owned()),
    ] {
        client.send(get(op, url.clone())).await;
        let mut status = None;
        loop {
            let seen = client.next(op).await;
            if let EventKind::ResponseHead { status: s, .. } = seen.kind {
                status = Some(s);
            }
            if seen.kind.is_terminal() {
                assert!(
                    matches!(seen.kind, EventKind::Closed { .. }),
                    "{url}: {seen:?}"
                );
                break;
            }
        }
        assert_eq!(status, Some(200), "{url}");
    }
    assert_eq!(
        trapped.load(Ordering::SeqCst),
        0,
        "the proxy trap saw a connection"
    );
}
