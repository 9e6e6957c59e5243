//! How much of the machine sessions may take: sessions in all and per
//! client address, operations per session, and how long a session may idle
//! or live. A breach is answered, never silently dropped: a session that
//! cannot be admitted is closed with code 1013 and a reason, an operation
//! past the limit gets a typed `limit_reached` error, and everything under
//! the limits keeps working.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_sessions: usize,
    pub max_sessions_per_ip: usize,
    /// New sessions per client address per minute (with a burst of as
    /// many): reconnecting in a loop cannot churn the relay.
    pub sessions_per_minute_per_ip: NonZeroU32,
    pub max_ops_per_session: usize,
    /// Open sockets (operations: connections, UDP sockets, listeners,
    /// accepted connections, requests, queries) across all sessions.
    pub max_open_sockets: usize,
    /// Open sockets per client address ([`client_key`]), across its
    /// sessions: a few addresses cannot take every socket of the relay.
    pub max_open_sockets_per_ip: usize,
    /// TCP connections per client address to the lab services: the lab
    /// is shared by everyone, and the one-at-a-time server serves one
    /// client at a time.
    pub max_lab_connections_per_ip: usize,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
    /// New operations per second per session (with a burst of as many).
    pub ops_per_second: NonZeroU32,
    /// Bytes per minute per session from the browser to targets; sends
    /// past it wait (the browser's WebSocket is read more slowly).
    pub bytes_out_per_minute: NonZeroU32,
    /// Bytes per minute per session from targets to the browser; reads past
    /// it wait (TCP flow control slows the target down).
    pub bytes_in_per_minute: NonZeroU32,
    /// A connection that moves no byte either way (a UDP socket no
    /// datagram, a listener no new connection) for this long is closed.
    pub socket_idle: Duration,
    /// A connection, UDP socket or listener is closed after this long,
    /// busy or not.
    pub socket_lifetime: Duration,
    /// Bytes a session may move in all, both ways together. Past it a send
    /// is refused and receiving ends the operation (`limit_reached`); the
    /// session itself goes on (DNS, closing, new sessions).
    pub session_bytes: u64,
    /// A new session must say `hello` within this long (close 4000): an
    /// open WebSocket that never speaks should not hold a session's place.
    pub hello_timeout: Duration,
    /// Connections per client address ([`client_key`]) that have not (yet)
    /// become a session: page loads and WebSocket requests still sending
    /// their head. The one past it gets a 503 and is closed, so one address
    /// cannot hold the relay's descriptors.
    pub max_connections_per_ip: usize,
    /// A WebSocket frame the browser does not take within this long ends
    /// the session: a browser that stops reading cannot hold its place.
    pub write_timeout: Duration,
    /// Bytes per client address ([`client_key`]) per clock minute, both
    /// ways and across its sessions (and across relays with `--redis`:
    /// [`crate::shared_limits`]). Bytes past it wait for the next minute.
    /// `u64::MAX`: not counted at all.
    pub bytes_per_minute_per_ip: u64,
}

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("limits are never zero"),
    }
}

/// The largest single read or datagram a budget is asked for at once.
const LARGEST_CHUNK: u32 = 64 * 1024;

impl Limits {
    /// For the person at this machine: roomy, but still bounded.
    pub fn local() -> Self {
        Limits {
            max_sessions: 256,
            max_sessions_per_ip: 256,
            sessions_per_minute_per_ip: nonzero(1_000),
            max_ops_per_session: 512,
            max_open_sockets: 4096,
            max_open_sockets_per_ip: 4096,
            max_lab_connections_per_ip: 4096,
            session_idle: Duration::from_secs(24 * 60 * 60),
            session_lifetime: Duration::from_secs(7 * 24 * 60 * 60),
            ops_per_second: nonzero(1_000),
            bytes_out_per_minute: nonzero(u32::MAX),
            bytes_in_per_minute: nonzero(u32::MAX),
            socket_idle: Duration::from_secs(24 * 60 * 60),
            socket_lifetime: Duration::from_secs(7 * 24 * 60 * 60),
            session_bytes: u64::MAX,
            hello_timeout: Duration::from_secs(10),
            max_connections_per_ip: 1024,
            write_timeout: Duration::from_secs(10),
            bytes_per_minute_per_ip: u64::MAX,
        }
    }

    /// For strangers on the internet.
    pub fn public() -> Self {
        Limits {
            max_sessions: 200,
            max_sessions_per_ip: 4,
            sessions_per_minute_per_ip: nonzero(20),
            max_ops_per_session: 16,
            max_open_sockets: 1024,
            max_open_sockets_per_ip: 32,
            max_lab_connections_per_ip: 4,
            session_idle: Duration::from_secs(5 * 60),
            session_lifetime: Duration::from_secs(30 * 60),
            ops_per_second: nonzero(5),
            bytes_out_per_minute: nonzero(1024 * 1024),
            bytes_in_per_minute: nonzero(8 * 1024 * 1024),
            socket_idle: Duration::from_secs(5 * 60),
            socket_lifetime: Duration::from_secs(30 * 60),
            session_bytes: 64 * 1024 * 1024,
            hello_timeout: Duration::from_secs(10),
            max_connections_per_ip: 32,
            write_timeout: Duration::from_secs(10),
            // Four sessions' worth of the per-session rate towards the
            // browser.
            bytes_per_minute_per_ip: 32 * 1024 * 1024,
        }
    }
}

/// What one session may spend: operations started, bytes each way, and
/// how long its connections may idle and live.
#[derive(Debug)]
pub struct Budget {
    ops: DefaultDirectRateLimiter,
    bytes_out: DefaultDirectRateLimiter,
    bytes_in: DefaultDirectRateLimiter,
    /// Bytes moved so far, both ways, and the most allowed.
    moved: AtomicU64,
    pub max_bytes: u64,
    pub socket_idle: Duration,
    pub socket_lifetime: Duration,
    /// The client's address and the shared counter of its bytes per
    /// minute; `None` in tests of one session alone.
    address: Option<(crate::shared_limits::SharedLimits, IpAddr, u64)>,
}

impl Budget {
    /// A session's budget that also spends from its client address's
    /// bytes per minute ([`Limits::bytes_per_minute_per_ip`]).
    pub fn for_client(
        limits: &Limits,
        shared: crate::shared_limits::SharedLimits,
        client: IpAddr,
    ) -> Arc<Budget> {
        let mut budget = Self::build(limits);
        budget.address = Some((shared, client, limits.bytes_per_minute_per_ip));
        Arc::new(budget)
    }

    pub fn new(limits: &Limits) -> Arc<Budget> {
        Arc::new(Self::build(limits))
    }

    fn build(limits: &Limits) -> Budget {
        // Bursts of at least one chunk, so that any single chunk can pass.
        let per_minute =
            |n: NonZeroU32| Quota::per_minute(n).allow_burst(n.max(nonzero(LARGEST_CHUNK)));
        Budget {
            ops: RateLimiter::direct(Quota::per_second(limits.ops_per_second)),
            bytes_out: RateLimiter::direct(per_minute(limits.bytes_out_per_minute)),
            bytes_in: RateLimiter::direct(per_minute(limits.bytes_in_per_minute)),
            moved: AtomicU64::new(0),
            max_bytes: limits.session_bytes,
            socket_idle: limits.socket_idle,
            socket_lifetime: limits.socket_lifetime,
            address: None,
        }
    }

    /// Whether one more operation may start now.
    pub fn start_op(&self) -> bool {
        self.ops.check().is_ok()
    }

    /// Counts `n` more bytes against the session's total. False (and
    /// nothing counted) when they would take it past [`Limits::session_bytes`].
    pub fn charge(&self, n: usize) -> bool {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.moved
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |moved| {
                moved
                    .checked_add(n)
                    .filter(|&total| total <= self.max_bytes)
            })
            .is_ok()
    }

    /// The error for bytes past the session's total.
    pub fn total_reached(&self) -> roundtrip_shared::protocol::RelayError {
        roundtrip_shared::protocol::RelayError::new(
            roundtrip_shared::protocol::ErrorCode::LimitReached,
            format!(
                "this session has moved {}, its limit: no more bytes pass (open a new \
                 session to go on)",
                roundtrip_shared::payload::format_bytes(self.max_bytes)
            ),
        )
    }

    /// Waits until `n` more bytes may go to a target.
    pub async fn outbound(&self, n: usize) {
        wait_for(&self.bytes_out, n).await;
        self.spend_address(n).await;
    }

    /// Waits until `n` more bytes may go to the browser.
    pub async fn inbound(&self, n: usize) {
        wait_for(&self.bytes_in, n).await;
        self.spend_address(n).await;
    }

    async fn spend_address(&self, n: usize) {
        if let Some((shared, client, max)) = &self.address {
            shared.spend_bytes(*client, n, *max).await;
        }
    }
}

async fn wait_for(limiter: &DefaultDirectRateLimiter, n: usize) {
    let mut left = u32::try_from(n).unwrap_or(u32::MAX);
    while left > 0 {
        let chunk = left.min(LARGEST_CHUNK);
        if let Some(chunk_nz) = NonZeroU32::new(chunk) {
            // Cannot fail: chunks never exceed the burst.
            let _ = limiter.until_n_ready(chunk_nz).await;
        }
        left -= chunk;
    }
}

/// Counts open sockets across sessions; a [`SocketPermit`] gives its place
/// back on drop.
#[derive(Debug, Default)]
pub struct SocketGate {
    open: std::sync::atomic::AtomicUsize,
}

#[derive(Debug)]
pub struct SocketPermit {
    gate: Arc<SocketGate>,
}

impl SocketGate {
    /// One more open socket, if fewer than `max` are open.
    pub fn acquire(self: &Arc<Self>, max: usize) -> Option<SocketPermit> {
        use std::sync::atomic::Ordering;
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(SocketPermit {
            gate: Arc::clone(self),
        })
    }

    /// Open sockets now.
    pub fn open(&self) -> usize {
        self.open.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        self.gate
            .open
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The refusal for the socket past the relay's limit.
pub fn sockets_full(max: usize) -> roundtrip_shared::protocol::RelayError {
    roundtrip_shared::protocol::RelayError::new(
        roundtrip_shared::protocol::ErrorCode::LimitReached,
        format!("the relay has {max} sockets open in all, its limit: try again in a moment"),
    )
}

/// The address a client is counted under: an IPv4 address as it is, an
/// IPv6 address by its /64. One IPv6 customer usually gets a whole /64 (or
/// more) and can pick any address in it, so per-/128 counting would give
/// one client unlimited places. An IPv4 address carried in IPv6 (mapped)
/// counts as that IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Counts something per client address ([`client_key`]): connections
/// waiting for their request head, open sockets. An [`AddressPermit`]
/// gives its place back on drop; an address with nothing open takes no
/// memory.
#[derive(Debug, Default)]
pub struct PerAddress {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

#[derive(Debug)]
pub struct AddressPermit {
    gate: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    /// One more for the client at `ip`, if it holds fewer than `max`.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressPermit> {
        let key = client_key(ip);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mine = counts.entry(key).or_insert(0);
        if *mine >= max {
            if *mine == 0 {
                counts.remove(&key);
            }
            return None;
        }
        *mine += 1;
        Some(AddressPermit {
            gate: Arc::clone(self),
            key,
        })
    }

    /// What the client at `ip` holds now.
    pub fn held(&self, ip: IpAddr) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.get(&client_key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for AddressPermit {
    fn drop(&mut self) {
        let mut counts = self.gate.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The refusal for the socket past a client address's limit.
pub fn address_sockets_full(max: usize) -> roundtrip_shared::protocol::RelayError {
    roundtrip_shared::protocol::RelayError::new(
        roundtrip_shared::protocol::ErrorCode::LimitReached,
        format!(
            "your address has {max} sockets open across its sessions, its limit: close some \
             first"
        ),
    )
}

/// Counts open sessions; a [`SessionPermit`] gives its place back on drop.
#[derive(Default)]
pub struct SessionGate {
    counts: Mutex<Counts>,
    /// New sessions per address, made on first use from the relay's limits
    /// (which do not change while it runs).
    new_per_ip: OnceLock<DefaultKeyedRateLimiter<IpAddr>>,
}

impl std::fmt::Debug for SessionGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionGate")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

/// Past this many addresses in the new-session limiter, forget the ones
/// whose budget is full again.
const RECENT_ADDRESSES: usize = 4096;

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
pub struct SessionPermit {
    gate: Arc<SessionGate>,
    ip: IpAddr,
}

impl SessionGate {
    /// Admits one more session from `ip`, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Result<SessionPermit, String> {
        // An IPv6 client is counted by its /64.
        let ip = client_key(ip);
        let mut counts = self.counts.lock().expect("gate lock poisoned");
        if counts.total >= limits.max_sessions {
            return Err(format!(
                "the relay is full ({} sessions): try again later",
                limits.max_sessions
            ));
        }
        let mine = counts.per_ip.entry(ip).or_insert(0);
        if *mine >= limits.max_sessions_per_ip {
            return Err(format!(
                "too many sessions from {ip} (at most {}): close a tab first",
                limits.max_sessions_per_ip
            ));
        }
        let new_per_ip = self.new_per_ip.get_or_init(|| {
            RateLimiter::keyed(Quota::per_minute(limits.sessions_per_minute_per_ip))
        });
        if new_per_ip.check_key(&ip).is_err() {
            return Err(format!(
                "too many new sessions from {ip} (at most {} a minute): wait a moment",
                limits.sessions_per_minute_per_ip
            ));
        }
        if new_per_ip.len() > RECENT_ADDRESSES {
            new_per_ip.retain_recent();
        }
        *mine += 1;
        counts.total += 1;
        Ok(SessionPermit {
            gate: Arc::clone(self),
            ip,
        })
    }

    /// Open sessions in all.
    pub fn open(&self) -> usize {
        self.counts.lock().expect("gate lock poisoned").total
    }
}

impl Drop for SessionPermit {
    fn drop(&mut self) {
        let mut counts = self.gate.counts.lock().expect("gate lock poisoned");
        counts.total -= 1;
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_per_second_are_limited() {
        let budget = Budget::new(&Limits {
            ops_per_second: nonzero(3),
            ..Limits::public()
        });
        let allowed = (0..10).filter(|_| budget.start_op()).count();
        assert_eq!(allowed, 3);
    }

    #[tokio::test]
    async fn bytes_past_the_budget_wait() {
        let budget = Budget::new(&Limits {
            bytes_in_per_minute: nonzero(LARGEST_CHUNK),
            ..Limits::public()
        });
        // The burst passes at once...
        tokio::time::timeout(
            Duration::from_secs(5),
            budget.inbound(LARGEST_CHUNK as usize),
        )
        .await
        .expect("a full burst passes");
        // ... and the next kilobyte has to wait for the budget to refill.
        let next = tokio::time::timeout(Duration::from_millis(200), budget.inbound(1024)).await;
        assert!(next.is_err(), "bytes past the budget must wait");
    }

    #[test]
    fn socket_permits_count_and_come_back() {
        let gate = Arc::new(SocketGate::default());
        let first = gate.acquire(2).unwrap();
        let _second = gate.acquire(2).unwrap();
        assert!(gate.acquire(2).is_none());
        drop(first);
        assert!(gate.acquire(2).is_some());
        assert_eq!(gate.open(), 1);
    }

    #[test]
    fn new_sessions_per_address_are_limited_per_minute() {
        let gate = Arc::new(SessionGate::default());
        let limits = Limits {
            sessions_per_minute_per_ip: nonzero(3),
            ..Limits::public()
        };
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        // Open and close three: closing gives the place back, not the rate.
        for _ in 0..3 {
            drop(gate.admit(a, &limits).unwrap());
        }
        let refused = gate.admit(a, &limits).unwrap_err();
        assert!(refused.contains("too many new sessions"), "{refused}");
        let _other = gate
            .admit(b, &limits)
            .expect("other addresses are not held up");
        assert_eq!(gate.open(), 1);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2::"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1").to_string(), "2001:db8:1:2::");
        // IPv4 stays per address, also when it comes mapped into IPv6.
        assert_eq!(key("192.0.2.7").to_string(), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn per_address_places_are_shared_by_a_64_and_come_back() {
        let gate = Arc::new(PerAddress::default());
        let a1: IpAddr = "2001:db8::1".parse().unwrap();
        let a2: IpAddr = "2001:db8::2".parse().unwrap();
        let other: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        let first = gate.acquire(a1, 2).unwrap();
        let _second = gate.acquire(a2, 2).unwrap();
        assert!(gate.acquire(a1, 2).is_none(), "the /64 holds its two");
        assert!(gate.acquire(other, 2).is_some(), "another /64 is apart");
        drop(first);
        let again = gate.acquire(a2, 2);
        assert!(again.is_some(), "a closed one gives its place back");
        assert_eq!(gate.held(a1), 2);
        drop(again);
        assert_eq!(gate.held(a1), 1);
    }

    #[test]
    fn permits_count_and_come_back() {
        let gate = Arc::new(SessionGate::default());
        let limits = Limits {
            max_sessions: 3,
            max_sessions_per_ip: 2,
            ..Limits::public()
        };
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = gate.admit(a, &limits).unwrap();
        let _second = gate.admit(a, &limits).unwrap();
        assert!(
            gate.admit(a, &limits)
                .unwrap_err()
                .contains("too many sessions")
        );
        let _third = gate.admit(b, &limits).unwrap();
        assert!(gate.admit(b, &limits).unwrap_err().contains("full"));
        drop(first);
        let _again = gate
            .admit(a, &limits)
            .expect("a closed session frees its place");
        assert_eq!(gate.open(), 3);
    }
}
