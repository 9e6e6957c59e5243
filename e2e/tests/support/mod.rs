//! Harness for the browser tests: the real relay binary, chromedriver with
//! headless Chromium, and a `Page` whose every wait polls with a deadline and
//! explains itself when it times out.

// Each test file uses its own part of the harness.
#![allow(dead_code, unused_imports)]

mod page;
mod process;

pub use page::{Page, Row, describe};
pub use process::{Browser, Log, Relay};

use std::path::PathBuf;

/// The workspace target dir. Test binaries live in `<target>/debug/deps/`,
/// which is right even when CARGO_TARGET_DIR moves the target dir.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A loopback TCP port that refuses connections: bound, so that nothing
/// else takes it while the returned socket lives, but never listening.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket
        .bind(([127, 0, 0, 1], 0).into())
        .expect("bind 127.0.0.1:0");
    let port = socket.local_addr().expect("local_addr").port();
    (socket, port)
}

/// A loopback port that was free when asked for, for a program to listen
/// on (it may be taken again before the program binds it).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}
