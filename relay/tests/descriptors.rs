//! The relay at its limit on open files: the real `roundtrip` binary,
//! started under `prlimit` with a small limit (a child process keeps the
//! limit away from other tests), answers a client it cannot serve with a
//! 503 instead of leaving it waiting, logs the failed accepts once per
//! interval rather than once each, and serves again once descriptors free
//! up. It also raises a soft limit below the hard one at start, and says
//! when the limit is below what its own limits may use.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

/// Kills the relay when the test ends, however it ends.
struct Relay {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Relay {
    /// Starts the relay with `soft:hard` as its limit on open files.
    fn start(soft: u64, hard: u64, name: &str) -> Relay {
        let log = std::env::temp_dir().join(format!(
            "roundtrip-descriptors-{name}-{}.log",
            std::process::id()
        ));
        let mut child = Command::new("prlimit")
            .arg(format!("--nofile={soft}:{hard}"))
            .arg(env!("CARGO_BIN_EXE_roundtrip"))
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .env_remove("ROUNDTRIP_CONFIG")
            .env_remove("ROUNDTRIP_PUBLIC")
            .env("RUST_LOG", "roundtrip_relay=info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("prlimit (util-linux) and the roundtrip binary start");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Relay { child, addr, log }
    }

    fn proc(&self, file: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/{file}", self.child.id()))
    }

    fn open_files(&self) -> usize {
        std::fs::read_dir(self.proc("fd")).unwrap().count()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

#[test]
fn the_soft_limit_is_raised_to_the_hard_limit_at_start() {
    let relay = Relay::start(256, 512, "raise");
    let limits = std::fs::read_to_string(relay.proc("limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers, ["512", "512"], "{line}");
}

/// What a WebSocket handshake got: the HTTP status and body of a refusal,
/// or 101.
async fn handshake(relay: SocketAddr) -> (u16, String) {
    match tokio_tungstenite::connect_async(format!("ws://{relay}/ws")).await {
        Ok((_ws, response)) => (response.status().as_u16(), String::new()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            (response.status().as_u16(), body)
        }
        Err(error) => panic!("no answer from the relay: {error}"),
    }
}

#[tokio::test]
async fn out_of_descriptors_a_new_session_gets_503_and_the_log_stays_short() {
    const LIMIT: usize = 96;
    let relay = Relay::start(LIMIT as u64, LIMIT as u64, "full");
    // More silent connections than the relay has descriptors left.
    let spare = LIMIT - relay.open_files();
    let mut silent = Vec::new();
    for _ in 0..spare + 20 {
        silent.push(TcpStream::connect(relay.addr).await.unwrap());
    }
    let (status, body) = tokio::time::timeout(WAIT, handshake(relay.addr))
        .await
        .expect("a client at the descriptor limit gets an answer");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("out of file descriptors"), "{body}");
    // Once the silent clients go, sessions are served again.
    drop(silent);
    let mut served = false;
    for _ in 0..100 {
        if tokio::time::timeout(WAIT, handshake(relay.addr))
            .await
            .unwrap()
            .0
            == 101
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "sessions are served again");
    let log = relay.log();
    assert!(
        log.contains("open file limit is below"),
        "a limit below what the relay's limits may use is told at start:\n{log}"
    );
    let lines = log.matches("accept failed").count();
    assert!(
        (1..=2).contains(&lines),
        "{lines} accept failures logged:\n{log}"
    );
}
