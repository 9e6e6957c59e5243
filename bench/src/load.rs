//! `roundtrip-bench load`: the public setup under load. nginx in front of
//! two relays that share their limits in one Redis, all on loopback and
//! started here; this process opens up to 10,000 sessions through nginx
//! (from 200 loopback addresses, so that nginx's per-address hashing
//! spreads them over both relays), 1,000 of them doing echo round trips
//! for a while. It reports sessions held, round trips per second, p50 and
//! p99 latency, each relay's memory per session, refusals (limits) and
//! sessions lost, and stops everything it started. It asserts nothing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt as _;
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, PROTOCOL_VERSION, ServerMsg};

use crate::conn::{self, Conn};
use crate::procs::{self, Process};

#[derive(Debug)]
pub struct LoadOptions {
    pub relay: PathBuf,
    pub sessions: usize,
    pub echoing: usize,
    pub seconds: u64,
}

/// Descriptors kept aside in each process for everything but sessions.
const SPARE_DESCRIPTORS: u64 = 200;
/// Sessions being opened at once.
const OPENING_AT_ONCE: usize = 200;
/// Client source addresses 127.0.0.10 .. 127.0.0.209.
const SOURCES: usize = 200;

/// A child that is ended with SIGTERM (nginx's master then ends its
/// workers; SIGKILL would leave them behind).
struct Terminated(Child);

impl Drop for Terminated {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn wait_listening(addr: SocketAddr, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            return Err(format!("{what} did not listen on {addr} within 20 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn free_addr() -> Result<SocketAddr, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))
}

fn redis_server(addr: SocketAddr) -> Result<Terminated, String> {
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &addr.port().to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server: {e} (apt-get install redis-server)"))?;
    let child = Terminated(child);
    wait_listening(addr, "redis-server")?;
    Ok(child)
}

fn nginx(
    dir: &Path,
    addr: SocketAddr,
    relays: [SocketAddr; 2],
    limit: u64,
) -> Result<Terminated, String> {
    let d = dir.display();
    let config = format!(
        "daemon off;\nmaster_process on;\nworker_processes 2;\nworker_rlimit_nofile {limit};\n\
         pid {d}/nginx.pid;\nerror_log {d}/nginx.log warn;\n\
         events {{ worker_connections {limit}; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
         upstream relays {{ hash $remote_addr consistent; server {}; server {}; }}\n\
         server {{\n  listen {addr} backlog=4096;\n  location /ws {{\n   proxy_pass http://relays;\n\
         proxy_http_version 1.1;\n   proxy_set_header Host $host;\n   proxy_set_header Upgrade $http_upgrade;\n\
         proxy_set_header Connection $connection_upgrade;\n   proxy_read_timeout 3600s;\n  }}\n }}\n}}\n",
        relays[0], relays[1]
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, config).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let child = Command::new("nginx")
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start nginx: {e} (apt-get install nginx)"))?;
    let child = Terminated(child);
    wait_listening(addr, "nginx")?;
    Ok(child)
}

/// Established TCP connections whose local port is `port`: the sessions
/// nginx holds open to that relay.
fn accepted_on(port: u16) -> usize {
    let mut n = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1).unwrap_or_default();
            let state = fields.nth(1).unwrap_or_default();
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && state == "01" {
                n += 1;
            }
        }
    }
    n
}

/// Opens session `i` through nginx from one of [`SOURCES`] addresses; an
/// echoing one also connects to the echo server.
async fn open(i: usize, nginx: SocketAddr, echo: Option<SocketAddr>) -> Result<Conn, String> {
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    let source = SocketAddr::from(([127, 0, 0, 10 + (i % SOURCES) as u8], 0));
    socket.bind(source).map_err(|e| e.to_string())?;
    let stream = socket.connect(nginx).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{nginx}/ws"), stream)
        .await
        .map_err(|e| e.to_string())?;
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        data: DataEncoding::Binary,
    };
    conn::send_msg(&mut ws, &hello)
        .await
        .map_err(|e| e.to_string())?;
    match conn::recv_msg(&mut ws).await.map_err(|e| e.to_string())? {
        ServerMsg::Welcome { .. } => {}
        other => return Err(format!("expected welcome, got {other:?}")),
    }
    if let Some(echo) = echo {
        let connect = ClientMsg::TcpConnect {
            op: 1,
            target: echo.to_string(),
            connect_timeout_ms: None,
            nodelay: true,
            faults: None,
        };
        conn::send_msg(&mut ws, &connect)
            .await
            .map_err(|e| e.to_string())?;
        loop {
            match conn::recv_msg(&mut ws).await.map_err(|e| e.to_string())? {
                ServerMsg::Event(event) => match event.kind {
                    EventKind::Connected { .. } => break,
                    EventKind::Failed { error } => return Err(error.message),
                    _ => {}
                },
                ServerMsg::Error { error, .. } => return Err(error.message),
                _ => {}
            }
        }
    }
    Ok(Conn::Roundtrip(ws))
}

/// Echo round trips of 32 bytes on `conn` until `until`; their latencies.
async fn round_trips(mut conn: Conn, until: Instant) -> (Conn, Vec<Duration>, Option<String>) {
    let mut latencies = Vec::new();
    let payload = Bytes::from_static(&[b'x'; 32]);
    while Instant::now() < until {
        let start = Instant::now();
        if let Err(error) = conn.round_trip(payload.clone()).await {
            return (conn, latencies, Some(error.to_string()));
        }
        latencies.push(start.elapsed());
    }
    (conn, latencies, None)
}

pub async fn run(options: LoadOptions) -> Result<(), String> {
    let limit = procs::descriptor_limit().unwrap_or(1024);
    // nginx holds two descriptors per session (client and relay side), and
    // one of its workers may end up holding all of them.
    let fit = usize::try_from(limit.saturating_sub(SPARE_DESCRIPTORS) / 2).unwrap_or(usize::MAX);
    let sessions = options.sessions.min(fit);
    let echoing = options.echoing.min(sessions);
    println!(
        "load: {} sessions asked, {echoing} of them echoing, for {} s",
        options.sessions, options.seconds
    );
    if sessions < options.sessions {
        println!(
            "load: scaled to {sessions} sessions: the open-file limit is {limit} per process and \
             an nginx worker holds two descriptors per session ({SPARE_DESCRIPTORS} kept aside)"
        );
    }
    let dir = procs::scratch_dir()?;
    let redis_addr = free_addr()?;
    let _redis = redis_server(redis_addr)?;
    let echo = procs::echo(None)?;
    // One address as the relays see it (nginx's): the shared per-address
    // limits are set to exactly the sessions asked for, so any count past
    // them shows as refusals.
    let settings = format!(
        "redis = \"redis://{redis_addr}/\"\n[limits]\nmax_sessions = {sessions}\n\
         max_sessions_per_ip = {sessions}\nsessions_per_minute_per_ip = {}\n\
         max_connections_per_ip = {}\nmax_open_sockets = 1000000\n\
         max_open_sockets_per_ip = 1000000\nops_per_second = 1000000\n",
        sessions * 2,
        sessions + OPENING_AT_ONCE
    );
    let settings_path = dir.join("load.toml");
    std::fs::write(&settings_path, settings).map_err(|e| e.to_string())?;
    let relays: Vec<Process> = (0..2)
        .map(|i| {
            procs::relay(
                &options.relay,
                &settings_path,
                &dir.join(format!("relay{i}.log")),
                None,
            )
        })
        .collect::<Result<_, _>>()?;
    let relay_addrs = [relays[0].addr, relays[1].addr];
    let nginx_addr = free_addr()?;
    let _nginx = nginx(&dir, nginx_addr, relay_addrs, limit)?;
    // Let the relays find Redis before the first session.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before: Vec<u64> = relays
        .iter()
        .map(|r| procs::pss_kib(r.pid()).unwrap_or(0))
        .collect();

    let opening = Instant::now();
    let echo_addr = echo.addr;
    let results: Vec<(usize, Result<Conn, String>)> = futures_util::stream::iter(0..sessions)
        .map(|i| async move {
            let target = (i < echoing).then_some(echo_addr);
            (i, open(i, nginx_addr, target).await)
        })
        .buffer_unordered(OPENING_AT_ONCE)
        .collect()
        .await;
    let open_seconds = opening.elapsed().as_secs_f64();
    let mut echo_conns = Vec::new();
    let mut idle_conns = Vec::new();
    let mut failures: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, result) in results {
        match result {
            Ok(conn) if i < echoing => echo_conns.push(conn),
            Ok(conn) => idle_conns.push(conn),
            Err(reason) => *failures.entry(reason).or_default() += 1,
        }
    }
    let held = echo_conns.len() + idle_conns.len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let per_relay: Vec<usize> = relay_addrs.iter().map(|a| accepted_on(a.port())).collect();
    let after: Vec<u64> = relays
        .iter()
        .map(|r| procs::pss_kib(r.pid()).unwrap_or(0))
        .collect();
    let shared = Command::new("redis-cli")
        .args([
            "-p",
            &redis_addr.port().to_string(),
            "ZCARD",
            "roundtrip:sessions:127.0.0.1",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into());

    let until = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    // A task per session: the runtime's scheduler is fair across tasks,
    // so no session waits behind the busy ones.
    let tasks: Vec<_> = echo_conns
        .into_iter()
        .map(|c| tokio::spawn(round_trips(c, until)))
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut echo_errors = 0;
    for (_conn, lat, error) in &outcomes {
        latencies.extend(lat);
        if error.is_some() {
            echo_errors += 1;
        }
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    let still: Vec<usize> = relay_addrs.iter().map(|a| accepted_on(a.port())).collect();
    let lost = per_relay
        .iter()
        .sum::<usize>()
        .saturating_sub(still.iter().sum());

    println!();
    println!(
        "Load test: nginx -> 2 relays + Redis, all on loopback (load average {})",
        procs::load_average()
    );
    println!("  sessions asked / held        {sessions} / {held} (opened in {open_seconds:.1} s)");
    for (reason, n) in &failures {
        println!("  refused or failed            {n} x {reason}");
    }
    println!(
        "  sessions per relay           {} / {}",
        per_relay[0], per_relay[1]
    );
    println!(
        "  in Redis (shared count)      {shared} (limit {sessions}: exceeded = {})",
        shared.parse::<usize>().is_ok_and(|n| n > sessions)
    );
    for (i, relay) in relays.iter().enumerate() {
        let per = (after[i].saturating_sub(before[i]) as f64) / per_relay[i].max(1) as f64;
        println!(
            "  relay {i} memory (PSS)         {:.1} MiB -> {:.1} MiB, {per:.1} KiB per session (pid {})",
            before[i] as f64 / 1024.0,
            after[i] as f64 / 1024.0,
            relay.pid()
        );
    }
    println!(
        "  echo round trips             {} in {elapsed:.1} s by {} sessions: {:.0}/s",
        latencies.len(),
        outcomes.len(),
        latencies.len() as f64 / elapsed
    );
    println!(
        "  latency p50 / p90 / p99      {:.2} ms / {:.2} ms / {:.2} ms (max {:.0} ms)",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    );
    let starved = outcomes.iter().filter(|(_, lat, _)| lat.len() <= 1).count();
    println!("  echo sessions with <= 1 trip {starved}");
    println!("  echo sessions that failed    {echo_errors}");
    println!("  sessions lost while held     {lost}");
    drop(idle_conns);
    drop(outcomes);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
