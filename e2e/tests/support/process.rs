//! The processes a test drives: the relay under test and chromedriver (which
//! starts Chromium). All are killed when dropped, even if a test panics.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use roundtrip_shared::protocol::Service;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Output lines of a child, kept to explain failures.
pub type Log = Arc<Mutex<Vec<String>>>;

const STARTUP: Duration = Duration::from_secs(20);

/// The relay binary, started as `roundtrip serve --host 127.0.0.1 --port 0`.
#[derive(Debug)]
pub struct Relay {
    _child: Child,
    /// `http://127.0.0.1:PORT`, as the relay printed it.
    pub url: String,
    pub log: Log,
}

impl Relay {
    pub async fn start() -> Relay {
        Relay::start_with(&["--port", "0"]).await
    }

    /// The relay with these options after `serve --host 127.0.0.1` (a
    /// `--port` among them).
    pub async fn start_with(args: &[&str]) -> Relay {
        let binary = relay_binary();
        let mut child = Command::new(&binary)
            .args(["serve", "--host", "127.0.0.1"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));

        let log = Log::default();
        // Keep draining both pipes for the whole test: a relay blocked on a
        // full pipe would look like a hung page.
        let (lines_tx, mut lines_rx) = mpsc::unbounded_channel();
        collect(child.stdout.take(), "", log.clone(), Some(lines_tx));
        collect(child.stderr.take(), "stderr: ", log.clone(), None);

        let found = tokio::time::timeout(STARTUP, async {
            while let Some(line) = lines_rx.recv().await {
                if let Some(url) = loopback_url(&line) {
                    return Some(url);
                }
            }
            None // stdout closed: the relay exited
        })
        .await;
        match found {
            Ok(Some(url)) => Relay {
                _child: child,
                url,
                log,
            },
            outcome => {
                let why = if outcome.is_err() {
                    "did not print"
                } else {
                    "exited before printing"
                };
                panic!(
                    "the relay ({}) {why} its URL (http://127.0.0.1:PORT) on stdout within {} s.\n\
                     --- its output ---\n{}",
                    binary.display(),
                    STARTUP.as_secs(),
                    log.lock().unwrap().join("\n")
                )
            }
        }
    }
}

impl Relay {
    /// Stops the relay as a service manager does (SIGTERM) and waits for
    /// it to exit.
    pub async fn terminate(mut self) {
        let pid = self._child.id().expect("the relay is running").to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(status.success(), "kill -TERM {pid}");
        let exited = tokio::time::timeout(Duration::from_secs(60), self._child.wait()).await;
        assert!(
            matches!(exited, Ok(Ok(_))),
            "the relay did not exit after SIGTERM:\n{}",
            self.log.lock().unwrap().join("\n")
        );
    }
}

impl Relay {
    /// The lab services as the relay announced them in its log (`lab
    /// service name=... addr=...`, the DNS lab last): where each really
    /// listens, for a program outside the page to reach it.
    pub async fn lab_services(&self) -> Vec<Service> {
        for _ in 0..100 {
            let found: Vec<Service> = self
                .log
                .lock()
                .unwrap()
                .iter()
                .filter_map(|line| {
                    let rest = &line[line.find("lab service name=")? + "lab service name=".len()..];
                    let (name, addr) = rest.split_once(" addr=")?;
                    // What it speaks: HTTPS services are asked with https://.
                    let protocol = addr
                        .split_once("protocol=")
                        .and_then(|(_, p)| p.split_whitespace().next())
                        .unwrap_or_default();
                    Some(Service {
                        name: name.to_owned(),
                        label: name.to_owned(),
                        protocol: protocol.to_owned(),
                        addr: addr.split_whitespace().next()?.to_owned(),
                    })
                })
                .collect();
            if found.iter().any(|s| s.name == "dns-lab") {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the relay's log names no lab services:\n{}",
            self.log.lock().unwrap().join("\n")
        );
    }
}

/// ROUNDTRIP_BIN (set by `cargo xtask test`), else the workspace's debug build.
fn relay_binary() -> PathBuf {
    let binary = std::env::var_os("ROUNDTRIP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::target_dir().join("debug").join("roundtrip"));
    assert!(
        binary.is_file(),
        "relay binary {} does not exist. Run `cargo xtask test`, which builds the page \
         and the relay first (or `trunk build --release && cargo build -p roundtrip-relay`, \
         or set ROUNDTRIP_BIN).",
        binary.display()
    );
    binary
}

/// `http://127.0.0.1:PORT` out of a line such as `listening on http://127.0.0.1:8080/`.
fn loopback_url(line: &str) -> Option<String> {
    const PREFIX: &str = "http://127.0.0.1:";
    let start = line.find(PREFIX)?;
    let digits: String = line[start + PREFIX.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("{PREFIX}{digits}"))
}

fn collect(
    pipe: Option<impl AsyncRead + Unpin + Send + 'static>,
    prefix: &'static str,
    log: Log,
    forward: Option<mpsc::UnboundedSender<String>>,
) {
    let Some(pipe) = pipe else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(forward) = &forward {
                let _ = forward.send(line.clone());
            }
            log.lock().unwrap().push(format!("{prefix}{line}"));
        }
    });
}

/// chromedriver on a free loopback port, with one headless Chromium session.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    _driver: Child,
    profile: PathBuf,
}

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// A browser started with more Chromium switches (`--force-dark-mode`:
    /// a system that prefers dark).
    pub async fn start_with(extra_args: &[&str]) -> Browser {
        let chromedriver = env_path("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = env_path("CHROMIUM", "/usr/bin/chromium");
        for tool in [&chromedriver, &chromium] {
            assert!(
                tool.is_file(),
                "{} is missing; `cargo xtask test` installs Chromium \
                 (apt-get install chromium chromium-driver)",
                tool.display()
            );
        }
        let (driver, port) = start_driver(&chromedriver).await;

        // A fresh profile per session: nothing leaks between tests or runs.
        let profile =
            std::env::temp_dir().join(format!("roundtrip-e2e-{}-{}", std::process::id(), port));
        std::fs::create_dir_all(profile.join("downloads")).expect("create Chromium profile dir");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Tall: the sequence diagram is as tall as the window leaves
            // room for, and the diagram tests read every row of a whole
            // session. tests/layout.rs sets laptop and phone sizes itself.
            "--window-size=1280,1400",
        ]
        .into_iter()
        .chain(extra_args.iter().copied())
        .map(str::to_owned)
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                // Downloads ("Save trace") land where a test can read them.
                "prefs": {
                    "download.default_directory": profile.join("downloads"),
                    "download.prompt_for_download": false,
                },
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("json! object")
        };
        let client = ClientBuilder::rustls()
            .expect("TLS roots for the WebDriver client")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        Browser {
            client,
            _driver: driver,
            profile,
        }
    }

    /// Where the page's downloads are saved.
    pub fn downloads(&self) -> PathBuf {
        self.profile.join("downloads")
    }

    /// Ends the session (which quits Chromium) before chromedriver is killed.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// Starts chromedriver on a free port. The port is free when picked, but
/// another process may take it before chromedriver binds it; chromedriver
/// then exits, and another port is tried.
async fn start_driver(chromedriver: &Path) -> (Child, u16) {
    let mut last = String::new();
    for _ in 0..3 {
        let port = super::free_port();
        let mut driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        match wait_for_port(&mut driver, port).await {
            Ok(()) => return (driver, port),
            Err(why) => last = why,
        }
    }
    panic!("chromedriver did not start: {last}")
}

/// Waits until chromedriver listens on `port`; Err when it exited first.
async fn wait_for_port(driver: &mut Child, port: u16) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + STARTUP;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!(
                "it exited ({status}) before listening on port {port}"
            ));
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not listen on 127.0.0.1:{port} within {} s",
            STARTUP.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Something answers; if chromedriver has exited, it was someone else.
    match driver.try_wait() {
        Ok(Some(status)) => Err(format!(
            "it exited ({status}); another program listens on port {port}"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_url;

    #[test]
    fn finds_url_in_a_line() {
        assert_eq!(
            loopback_url("roundtrip listening on http://127.0.0.1:43123/ (Ctrl-C)").as_deref(),
            Some("http://127.0.0.1:43123")
        );
        assert_eq!(loopback_url("http://127.0.0.1:"), None);
        assert_eq!(loopback_url("starting"), None);
    }
}
