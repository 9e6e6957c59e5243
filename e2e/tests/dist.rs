//! The static relay that `cargo xtask dist` ships, and the deploy/ files
//! an operator copies.
//!
//! - The binary (ROUNDTRIP_DIST_BIN, set by `cargo xtask test`) is static,
//!   and from an empty directory with an empty environment it serves the
//!   page and an echo round trip.
//! - deploy/public.toml starts a public relay; nginx -t, caddy validate and
//!   systemd-analyze verify accept deploy/'s configs (Debian's nginx and
//!   caddy, installed by `cargo xtask setup`).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, PROTOCOL_VERSION, ServerMsg};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(30);

fn dist_binary() -> PathBuf {
    let binary = std::env::var_os("ROUNDTRIP_DIST_BIN")
        .map(PathBuf::from)
        .expect(
            "ROUNDTRIP_DIST_BIN is not set: run `cargo xtask test`, or `cargo xtask dist` and \
         point ROUNDTRIP_DIST_BIN at target/dist/roundtrip",
        );
    assert!(binary.is_file(), "{} does not exist", binary.display());
    binary
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roundtrip-dist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// No program interpreter (PT_INTERP) in the ELF program headers: the
/// kernel runs it as it is, with no dynamic loader or shared library.
fn is_static_elf(bytes: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(bytes[4], 2, "not a 64-bit ELF");
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(bytes[0x20..0x28].try_into().unwrap()) as usize;
    let (entry_size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).all(|i| {
        let at = phoff + i * entry_size;
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) != PT_INTERP
    })
}

/// A relay process, killed on drop.
struct Relay {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `binary serve ARGS --port 0` in `dir` with an empty environment
/// and reads the address it prints.
fn start(binary: &Path, dir: &Path, args: &[&str]) -> Relay {
    let mut child = Command::new(binary)
        .arg("serve")
        .args(args)
        .args(["--port", "0"])
        .current_dir(dir)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let start = line
        .find("http://")
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        + 7;
    let addr = line[start..].split('/').next().unwrap().parse().unwrap();
    Relay { child, addr }
}

/// The status line and body of `GET path`.
fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

async fn echo_round_trip(addr: SocketAddr) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let send = |msg: ClientMsg| match frame::encode_client(&msg) {
        Frame::Text(text) => Message::Text(text.into()),
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
    };
    ws.send(send(ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        data: DataEncoding::Binary,
    }))
    .await
    .unwrap();
    ws.send(send(ClientMsg::TcpConnect {
        faults: None,
        op: 1,
        target: "tcp-echo".into(),
        connect_timeout_ms: None,
        nodelay: false,
    }))
    .await
    .unwrap();
    let mut sent = false;
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the relay answers")
            .expect("the session stays open")
            .unwrap();
        let frame = match message {
            Message::Text(text) => Frame::Text(text.to_string()),
            Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
            other => panic!("unexpected {other:?}"),
        };
        match frame::decode_server(&frame).unwrap() {
            ServerMsg::Event(event) if matches!(event.kind, EventKind::Connected { .. }) => {
                ws.send(send(ClientMsg::Send {
                    op: 1,
                    data: Payload(b"static".to_vec()),
                }))
                .await
                .unwrap();
                sent = true;
            }
            ServerMsg::Data { op: 1, data, .. } => {
                assert!(sent);
                assert_eq!(data.0, b"static");
                return;
            }
            ServerMsg::Error { error, .. } => panic!("{}", error.message),
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_static_binary_serves_the_page_and_an_echo_from_an_empty_directory() {
    let source = dist_binary();
    let bytes = std::fs::read(&source).unwrap();
    assert!(
        is_static_elf(&bytes),
        "{} is dynamically linked",
        source.display()
    );
    // Nothing on disk but the binary, nothing in the environment.
    let dir = temp_dir("empty");
    let binary = dir.join("roundtrip");
    std::fs::copy(&source, &binary).unwrap();
    let relay = start(&binary, &dir, &[]);
    let (status, body) = get(relay.addr, "/");
    assert!(status.contains(" 200 "), "{status}");
    assert!(
        body.contains("<html") || body.contains("<!DOCTYPE"),
        "{body}"
    );
    echo_round_trip(relay.addr).await;
    // The Dockerfile's HEALTHCHECK asks this.
    let (status, body) = get(relay.addr, "/healthz");
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "ok\n");
    let listing: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(listing.len(), 1, "the relay wrote nothing beside itself");
    drop(relay);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_example_settings_start_a_public_relay() {
    let dir = temp_dir("settings");
    let settings = repo().join("deploy/public.toml");
    let relay = start(
        &dist_binary(),
        &dir,
        &["--config", settings.to_str().unwrap()],
    );
    let (status, _) = get(relay.addr, "/");
    assert!(status.contains(" 200 "), "{status}");
}

fn run_ok(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (run `cargo xtask setup`)"));
    assert!(
        output.status.success(),
        "{command:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn nginx_accepts_the_example_config() {
    let dir = temp_dir("nginx");
    // A throwaway certificate where the config names Let's Encrypt's.
    run_ok(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
            .args([
                "-keyout",
                dir.join("key.pem").to_str().unwrap(),
                "-out",
                dir.join("cert.pem").to_str().unwrap(),
                "-days",
                "1",
                "-subj",
                "/CN=roundtrip.example",
            ]),
    );
    let site = std::fs::read_to_string(repo().join("deploy/nginx.conf"))
        .unwrap()
        .replace(
            "/etc/letsencrypt/live/roundtrip.example/fullchain.pem",
            dir.join("cert.pem").to_str().unwrap(),
        )
        .replace(
            "/etc/letsencrypt/live/roundtrip.example/privkey.pem",
            dir.join("key.pem").to_str().unwrap(),
        );
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let main = format!(
        "pid {0}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n include {0}/site.conf;\n}}\n",
        dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    run_ok(
        Command::new("nginx")
            .args(["-t", "-c"])
            .arg(dir.join("nginx.conf")),
    );
}

#[test]
fn caddy_accepts_the_example_configs() {
    for file in ["deploy/Caddyfile", "deploy/Caddyfile.compose"] {
        run_ok(
            Command::new("caddy")
                .args(["validate", "--adapter", "caddyfile", "--config"])
                .arg(repo().join(file))
                .env("ROUNDTRIP_SITE", "roundtrip.example")
                .env("HOME", std::env::temp_dir()),
        );
    }
}

#[test]
fn systemd_accepts_the_unit() {
    let dir = temp_dir("systemd");
    let unit = std::fs::read_to_string(repo().join("deploy/roundtrip.service"))
        .unwrap()
        .replace("/usr/local/bin/roundtrip", dist_binary().to_str().unwrap());
    let path = dir.join("roundtrip.service");
    std::fs::write(&path, unit).unwrap();
    run_ok(Command::new("systemd-analyze").args(["verify"]).arg(&path));
}

/// `deploy/nginx.conf` sends each client address to one relay (its
/// `hash $remote_addr consistent`), so a learner's second tab reaches the
/// relay where the first one listens. Two relays behind nginx started with
/// that upstream rule: two sessions from each of twelve loopback addresses
/// land on one relay together, and both relays get some addresses.
#[tokio::test]
async fn nginx_keeps_each_client_address_on_one_relay() {
    let shipped = std::fs::read_to_string(repo().join("deploy/nginx.conf")).unwrap();
    let rule = shipped
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("hash "))
        .expect("deploy/nginx.conf chooses relays by a hash")
        .to_owned();
    let binary = dist_binary();
    let (dir_a, dir_b) = (temp_dir("lb-a"), temp_dir("lb-b"));
    let relays = [start(&binary, &dir_a, &[]), start(&binary, &dir_b, &[])];

    let dir = temp_dir("lb-nginx");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = dir.display();
    let config = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
         upstream roundtrip {{ {rule} server {}; server {}; }}\n\
         server {{\n  listen 127.0.0.1:{port};\n  location / {{\n   proxy_pass http://roundtrip;\n\
         proxy_http_version 1.1;\n   proxy_set_header Host $host;\n\
         proxy_set_header Upgrade $http_upgrade;\n   proxy_set_header Connection $connection_upgrade;\n  }}\n }}\n}}\n",
        relays[0].addr, relays[1].addr
    );
    std::fs::write(dir.join("nginx.conf"), config).unwrap();
    let nginx = Command::new("nginx")
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start nginx: {e} (run `cargo xtask setup`)"));
    struct Killed(Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _nginx = Killed(nginx);
    let front = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = std::time::Instant::now() + WAIT;
    while TcpStream::connect(front).is_err() {
        assert!(std::time::Instant::now() < deadline, "nginx did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }

    let open = |addr: SocketAddr| -> usize {
        let (_, body) = get(addr, "/metrics");
        body.lines()
            .find_map(|line| line.strip_prefix("roundtrip_sessions_open "))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no roundtrip_sessions_open in {body}")) as usize
    };
    let mut kept = Vec::new();
    let mut landed = [0, 0];
    for last in 2..=13u8 {
        let before = [open(relays[0].addr), open(relays[1].addr)];
        for _ in 0..2 {
            kept.push(session_from(front, last).await);
        }
        let after = [open(relays[0].addr), open(relays[1].addr)];
        let grew = [after[0] - before[0], after[1] - before[1]];
        assert!(
            grew == [2, 0] || grew == [0, 2],
            "the two sessions of 127.0.0.{last} landed on different relays: {grew:?}"
        );
        landed[usize::from(grew[1] == 2)] += 1;
    }
    assert!(
        landed[0] > 0 && landed[1] > 0,
        "every address went to one relay: {landed:?}"
    );
    drop(kept);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A greeted session through `front` from the loopback address
/// 127.0.0.`last` (each address is another client to nginx).
async fn session_from(
    front: SocketAddr,
    last: u8,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from(([127, 0, 0, last], 0)))
        .unwrap();
    let stream = socket.connect(front).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{front}/ws"), stream)
        .await
        .unwrap();
    let hello = frame::encode_client(&ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        data: DataEncoding::Binary,
    });
    let Frame::Text(text) = hello else {
        panic!("hello is text")
    };
    ws.send(Message::Text(text.into())).await.unwrap();
    let welcome = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("the relay answers")
        .expect("the session stays open")
        .unwrap();
    assert!(
        matches!(&welcome, Message::Text(text) if text.contains("welcome")),
        "{welcome:?}"
    );
    ws
}
