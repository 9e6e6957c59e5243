//! Two relays and one real `redis-server` on loopback: per-address limits
//! hold across both relays, both keep serving while Redis is away, and the
//! shared limits hold again once it is back.
//!
//! Needs Debian's `redis-server` (`cargo xtask test` installs it; another
//! binary can be named with `ROUNDTRIP_REDIS_SERVER`).

mod support;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use roundtrip_relay::limits::Limits;
use roundtrip_relay::shared_limits::{SharedLimits, SharedOptions, Status};
use roundtrip_relay::{AppState, Config};
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, PROTOCOL_VERSION, ServerMsg};
use support::Client;

/// Generous: a loaded CI machine may be slow to start a process.
const EVENTUALLY: Duration = Duration::from_secs(30);

/// A `redis-server` on 127.0.0.1 that keeps nothing on disk; killed on
/// drop.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(port: u16) -> Redis {
        let binary =
            std::env::var("ROUNDTRIP_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {binary}: {e} (install Debian's redis-server, or run \
                     `cargo xtask test`, which does)"
                )
            });
        let redis = Redis { child, port };
        redis.wait_until_listening();
        redis
    }

    fn wait_until_listening(&self) {
        let deadline = std::time::Instant::now() + EVENTUALLY;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const PER_ADDRESS: usize = 3;

async fn relay(url: &str) -> (SocketAddr, AppState) {
    let options = SharedOptions {
        session_ttl: Duration::from_secs(20),
        heartbeat: Duration::from_secs(2),
        probe: Duration::from_millis(200),
        // Roomy: a slow answer on a loaded machine would count as Redis
        // being away and let local limits decide. A killed Redis refuses
        // at once, so this does not slow the test.
        timeout: Duration::from_secs(3),
    };
    support::start_relay_with(Config {
        limits: Limits {
            max_sessions_per_ip: PER_ADDRESS,
            ..Limits::local()
        },
        shared_limits: SharedLimits::redis(url, options).unwrap(),
        ..Config::default()
    })
    .await
}

async fn status_becomes(state: &AppState, wanted: Status) {
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while state.shared_limits().status() != wanted {
        assert!(
            tokio::time::Instant::now() < deadline,
            "shared limits stayed {:?}, expected {wanted:?}",
            state.shared_limits().status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A session from 127.0.0.`last`: the greeted client, or the close reason
/// of the refusal.
async fn session(relay: SocketAddr, last: u8) -> Result<Client, String> {
    let mut client = Client::ungreeted_from(relay, last).await;
    client
        .send(ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        })
        .await;
    match client.recv_or_close().await {
        Ok(ServerMsg::Welcome { services, .. }) => {
            client.services = services;
            Ok(client)
        }
        Ok(other) => panic!("expected a welcome or a close, got {other:?}"),
        Err((code, reason)) => {
            assert_eq!(code, 1013, "{reason}");
            Err(reason)
        }
    }
}

/// Opens sessions from one address, alternating between the relays, until
/// `tries` were asked for; returns those admitted and the refusals.
async fn open_alternating(
    relays: [SocketAddr; 2],
    last: u8,
    tries: usize,
) -> (Vec<Client>, Vec<String>) {
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for i in 0..tries {
        match session(relays[i % 2], last).await {
            Ok(client) => admitted.push(client),
            Err(reason) => refused.push(reason),
        }
    }
    (admitted, refused)
}

async fn echo(client: &mut Client) {
    client.connect(1, "tcp-echo").await;
    client.send_bytes(1, b"across relays").await;
    let seen = client
        .until(1, |k| matches!(k, EventKind::Received { .. }))
        .await;
    assert_eq!(seen.data, b"across relays");
}

async fn close_all(clients: Vec<Client>, states: [&AppState; 2]) {
    for mut client in clients {
        client.close().await;
    }
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while states.iter().any(|s| s.open_sessions() > 0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sessions did not close"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_address_limits_hold_across_relays_and_survive_redis_going_away() {
    let port = free_port();
    let redis = Redis::start(port);
    let (a, state_a) = relay(&redis.url()).await;
    let (b, state_b) = relay(&redis.url()).await;
    status_becomes(&state_a, Status::Shared).await;
    status_becomes(&state_b, Status::Shared).await;

    // One address gets its three places across both relays, not three on
    // each.
    let (mut admitted, refused) = open_alternating([a, b], 21, 2 * PER_ADDRESS).await;
    assert_eq!(admitted.len(), PER_ADDRESS, "refusals: {refused:?}");
    assert!(
        refused.iter().all(|r| r.contains("across the relays")),
        "{refused:?}"
    );
    assert!(state_a.open_sessions() > 0 && state_b.open_sessions() > 0);
    // Another address is apart, and admitted sessions work.
    let mut other = session(b, 22).await.expect("another address is apart");
    echo(&mut other).await;
    echo(&mut admitted[0]).await;
    admitted.push(other);
    close_all(admitted, [&state_a, &state_b]).await;

    // Places come back: closed sessions leave Redis.
    let (admitted, refused) = open_alternating([a, b], 21, PER_ADDRESS).await;
    assert_eq!(admitted.len(), PER_ADDRESS, "refusals: {refused:?}");
    close_all(admitted, [&state_a, &state_b]).await;

    // Redis goes away: both relays keep serving, each on its own limits.
    redis.kill();
    let mut outage = Vec::new();
    for (addr, state) in [(a, &state_a), (b, &state_b)] {
        // The first admission after the kill may be the one that notices.
        let mut client = session(addr, 23).await.expect("served while Redis is away");
        status_becomes(state, Status::Unreachable).await;
        // ...and says so to whoever watches it.
        let (_, metrics) = support::http_get(addr, "/metrics").await;
        assert!(
            metrics.contains(r#"roundtrip_shared_limits{state="unreachable"} 1"#),
            "{metrics}"
        );
        echo(&mut client).await;
        outage.push(client);
    }
    // Each relay's own limit still holds.
    for _ in 1..PER_ADDRESS {
        outage.push(session(a, 23).await.expect("under the local limit"));
    }
    let past = session(a, 23).await.expect_err("the local limit holds");
    assert!(past.contains("too many sessions"), "{past}");

    // Redis is back (empty: it kept nothing): the relays find it, write
    // their open sessions back, and the shared limit holds again: relay A
    // holds the address's three, so relay B admits none.
    let redis = Redis::start(port);
    status_becomes(&state_a, Status::Shared).await;
    status_becomes(&state_b, Status::Shared).await;
    // B holds one session from the outage, under its own limit: only the
    // shared count (A's three written back) can refuse this one.
    let refused = session(b, 23)
        .await
        .expect_err("the shared limit holds again");
    assert!(refused.contains("across the relays"), "{refused}");
    close_all(outage, [&state_a, &state_b]).await;
    let (admitted, _) = open_alternating([a, b], 23, 2 * PER_ADDRESS).await;
    assert_eq!(admitted.len(), PER_ADDRESS);
    close_all(admitted, [&state_a, &state_b]).await;
    drop(redis);
}

#[tokio::test]
async fn a_relay_whose_redis_never_answers_serves_on_its_own_limits() {
    // A port nothing listens on (bound, never listening).
    let (_socket, addr) = support::refusing_port();
    let (relay, state) = relay(&format!("redis://{addr}/")).await;
    let mut client = session(relay, 24).await.expect("served without Redis");
    echo(&mut client).await;
    assert_eq!(state.shared_limits().status(), Status::Unreachable);
}
