//! Limits that hold across several relays behind one load balancer, kept
//! in Redis (`--redis URL`): sessions per client address, new sessions per
//! address per minute, and bytes per address per minute.
//!
//! Each relay still applies its own limits in process ([`crate::limits`]):
//! a relay's count for an address is never above the shared one, so the
//! local check only ever refuses what the shared one would too. Redis adds
//! what one relay cannot see, the same address's sessions on the others.
//!
//! Everything in Redis expires on its own, so a relay that crashes leaks
//! nothing for long:
//!
//! - `roundtrip:sessions:<address>`: a sorted set of the address's open
//!   sessions (`<relay>:<n>`), each scored with the time it expires. A
//!   relay refreshes its own sessions every [`SharedOptions::heartbeat`];
//!   one not refreshed for [`SharedOptions::session_ttl`] no longer counts.
//! - `roundtrip:new:<address>:<minute>` and
//!   `roundtrip:bytes:<address>:<minute>`: counters of one clock minute,
//!   gone two minutes later.
//!
//! Each check is one Lua script, so two relays admitting the same address
//! at once cannot both take its last place.
//!
//! When Redis does not answer (within [`SharedOptions::timeout`]) the relay
//! keeps serving on its local limits, logs it once, and
//! [`SharedLimits::status`] says [`Status::Unreachable`]. It asks again
//! every [`SharedOptions::probe`]; once Redis answers, the relay writes its
//! open sessions (those opened meanwhile too) back before it trusts the
//! shared counts again, so limits hold again from then on.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;

use crate::limits::{Limits, client_key};

/// Where the shared limits stand, for logs and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// No `--redis`: every limit is this relay's own.
    Local,
    /// Redis answers: limits hold across the relays that share it.
    Shared,
    /// Redis is configured but does not answer: the relay serves on its
    /// local limits and keeps asking.
    Unreachable,
}

impl Status {
    /// As logs and metrics name it.
    /// Every status, for the metric that names the current one.
    pub const ALL: [Status; 3] = [Status::Local, Status::Shared, Status::Unreachable];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Local => "local",
            Status::Shared => "shared",
            Status::Unreachable => "unreachable",
        }
    }

    fn from_u8(n: u8) -> Status {
        match n {
            0 => Status::Local,
            1 => Status::Shared,
            _ => Status::Unreachable,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            Status::Local => 0,
            Status::Shared => 1,
            Status::Unreachable => 2,
        }
    }
}

/// How often the relay talks to Redis, and how long it waits for it.
#[derive(Clone, Copy, Debug)]
pub struct SharedOptions {
    /// A session that was not refreshed for this long stops counting (a
    /// relay that crashed leaks its sessions no longer than this).
    pub session_ttl: Duration,
    /// How often a relay refreshes its open sessions.
    pub heartbeat: Duration,
    /// How often an unreachable Redis is asked again.
    pub probe: Duration,
    /// An answer slower than this counts as Redis being unreachable: a
    /// session waits no longer than this for its admission.
    pub timeout: Duration,
}

impl Default for SharedOptions {
    fn default() -> Self {
        SharedOptions {
            session_ttl: Duration::from_secs(30),
            heartbeat: Duration::from_secs(10),
            probe: Duration::from_secs(1),
            timeout: Duration::from_millis(500),
        }
    }
}

/// Why `--redis` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--redis {url}: {reason} (expected redis://host:port/ or redis://:password@host:port/db)")]
pub struct RedisUrlError {
    /// The URL with any password replaced.
    url: String,
    reason: String,
}

/// The relay's shared limits: in Redis with `--redis`, in process without.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct SharedLimits {
    inner: Arc<Inner>,
}

struct Inner {
    redis: Option<ConnectionManager>,
    options: SharedOptions,
    /// Names this relay's sessions in Redis.
    relay_id: String,
    status: AtomicU8,
    next_session: AtomicU64,
    /// This relay's open sessions: refreshed by the heartbeat, and written
    /// back when Redis returns.
    live: Mutex<HashMap<u64, IpAddr>>,
    /// Bytes per address in the current minute, when Redis is not used.
    local_bytes: Mutex<HashMap<IpAddr, (u64, u64)>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLimits")
            .field(
                "status",
                &Status::from_u8(self.status.load(Ordering::SeqCst)),
            )
            .field("relay_id", &self.relay_id)
            .finish_non_exhaustive()
    }
}

/// Past this many addresses in the local byte counters, the ones of past
/// minutes are dropped.
const RECENT_ADDRESSES: usize = 4096;

/// Admits a session: drops expired members, checks the open count and the
/// minute's new-session count, then records both. KEYS: the address's
/// session set, its new-session counter for this minute. ARGV: member, most
/// sessions, most new sessions a minute, time to live in ms. Returns 0
/// (admitted), 1 (too many open) or 2 (too many new this minute).
const ADMIT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
local new = tonumber(redis.call('GET', KEYS[2]) or '0')
if new >= tonumber(ARGV[3]) then return 2 end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 120)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
";

/// Refreshes sessions: KEYS are session sets, ARGV the time to live in ms
/// then one member per key.
const REFRESH: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl)
end
return #KEYS
";

/// Adds bytes to the address's counter for this minute; returns the total.
const SPEND: &str = r"
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], 120) end
return used
";

/// Sessions refreshed per script call: one call holds Redis for a moment,
/// many short ones let other relays in between.
const REFRESH_BATCH: usize = 500;

impl SharedLimits {
    /// Limits kept in this process only (no `--redis`).
    pub fn local() -> Self {
        Self::build(None, SharedOptions::default(), Status::Local)
    }

    /// Limits kept in the Redis at `url`. Connects in the background: until
    /// Redis first answers, the relay serves on its local limits. Needs a
    /// Tokio runtime.
    pub fn redis(url: &str, options: SharedOptions) -> Result<Self, RedisUrlError> {
        let error = |reason: String| RedisUrlError {
            url: hide_password(url),
            reason,
        };
        let client = redis::Client::open(url).map_err(|e| error(e.to_string()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(1)
            .set_max_delay(options.probe);
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| error(e.to_string()))?;
        let shared = Self::build(Some(manager), options, Status::Unreachable);
        tokio::spawn(watch(Arc::downgrade(&shared.inner)));
        Ok(shared)
    }

    fn build(redis: Option<ConnectionManager>, options: SharedOptions, status: Status) -> Self {
        SharedLimits {
            inner: Arc::new(Inner {
                redis,
                options,
                relay_id: format!("{:016x}", rand::random::<u64>()),
                status: AtomicU8::new(status.as_u8()),
                next_session: AtomicU64::new(1),
                live: Mutex::default(),
                local_bytes: Mutex::default(),
            }),
        }
    }

    /// Where the shared limits stand now.
    pub fn status(&self) -> Status {
        Status::from_u8(self.inner.status.load(Ordering::SeqCst))
    }

    /// Admits a session from `ip` under the shared limits, or says why
    /// not. Call it after the relay's own [`crate::limits::SessionGate`]
    /// admitted the session; the returned place lasts as long as the
    /// session. Without Redis (or while it does not answer) every session
    /// is admitted here: the local limits decided.
    pub async fn admit(&self, ip: IpAddr, limits: &Limits) -> Result<SharedPlace, String> {
        let ip = client_key(ip);
        let n = self.inner.next_session.fetch_add(1, Ordering::Relaxed);
        let place = SharedPlace {
            shared: self.clone(),
            n,
            ip,
        };
        if self.status() == Status::Shared
            && let Some(redis) = &self.inner.redis
        {
            let mut conn = redis.clone();
            let script = redis::Script::new(ADMIT);
            let mut call = script.prepare_invoke();
            call.key(sessions_key(ip))
                .key(format!("roundtrip:new:{ip}:{}", minute()))
                .arg(self.member(n))
                .arg(limits.max_sessions_per_ip)
                .arg(limits.sessions_per_minute_per_ip.get())
                .arg(millis(self.inner.options.session_ttl));
            let answer = tokio::time::timeout(
                self.inner.options.timeout,
                call.invoke_async::<u8>(&mut conn),
            )
            .await;
            match answer {
                Ok(Ok(0)) => {}
                Ok(Ok(1)) => {
                    return Err(format!(
                        "too many sessions from {ip} across the relays (at most {}): close a \
                         tab first",
                        limits.max_sessions_per_ip
                    ));
                }
                Ok(Ok(_)) => {
                    return Err(format!(
                        "too many new sessions from {ip} (at most {} a minute across the \
                         relays): wait a moment",
                        limits.sessions_per_minute_per_ip
                    ));
                }
                Ok(Err(error)) => self.unreachable(&error.to_string()),
                Err(_) => self.unreachable("no answer in time"),
            }
        }
        // Kept whatever Redis said, so that a session admitted while Redis
        // was away is written back when it returns.
        self.lock_live().insert(n, ip);
        Ok(place)
    }

    /// Counts `n` bytes moved for the client at `ip` this minute and, when
    /// that takes the address past `max` ([`Limits::bytes_per_minute_per_ip`]),
    /// waits for the next minute. Shared through Redis when it answers, this
    /// relay's own count otherwise.
    pub async fn spend_bytes(&self, ip: IpAddr, n: usize, max: u64) {
        if max == u64::MAX || n == 0 {
            return;
        }
        let ip = client_key(ip);
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        let minute = minute();
        let mut used = None;
        if self.status() == Status::Shared
            && let Some(redis) = &self.inner.redis
        {
            let mut conn = redis.clone();
            let script = redis::Script::new(SPEND);
            let mut call = script.prepare_invoke();
            call.key(format!("roundtrip:bytes:{ip}:{minute}")).arg(n);
            match tokio::time::timeout(
                self.inner.options.timeout,
                call.invoke_async::<u64>(&mut conn),
            )
            .await
            {
                Ok(Ok(total)) => used = Some(total),
                Ok(Err(error)) => self.unreachable(&error.to_string()),
                Err(_) => self.unreachable("no answer in time"),
            }
        }
        let used = used.unwrap_or_else(|| self.spend_locally(ip, minute, n));
        if used > max {
            tokio::time::sleep(until_next_minute()).await;
        }
    }

    fn spend_locally(&self, ip: IpAddr, minute: u64, n: u64) -> u64 {
        let mut counts = self
            .inner
            .local_bytes
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if counts.len() > RECENT_ADDRESSES {
            counts.retain(|_, (at, _)| *at == minute);
        }
        let entry = counts.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 = entry.1.saturating_add(n);
        entry.1
    }

    fn member(&self, n: u64) -> String {
        format!("{}:{n}", self.inner.relay_id)
    }

    fn lock_live(&self) -> std::sync::MutexGuard<'_, HashMap<u64, IpAddr>> {
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Redis stopped answering: said once, then the relay serves on its
    /// local limits until [`watch`] finds Redis again.
    fn unreachable(&self, why: &str) {
        let was = self
            .inner
            .status
            .swap(Status::Unreachable.as_u8(), Ordering::SeqCst);
        if Status::from_u8(was) == Status::Shared {
            tracing::warn!(
                error = why,
                "Redis does not answer: serving on this relay's own limits until it is back"
            );
        }
    }
}

/// One admitted session's entry in the shared count; removed on drop.
#[derive(Debug)]
pub struct SharedPlace {
    shared: SharedLimits,
    n: u64,
    ip: IpAddr,
}

impl Drop for SharedPlace {
    fn drop(&mut self) {
        self.shared.lock_live().remove(&self.n);
        if self.shared.status() != Status::Shared {
            // Not in Redis, or it will expire there by itself.
            return;
        }
        let Some(redis) = self.shared.inner.redis.clone() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let key = sessions_key(self.ip);
        let member = self.shared.member(self.n);
        let timeout = self.shared.inner.options.timeout;
        runtime.spawn(async move {
            let mut conn = redis;
            let mut zrem = redis::cmd("ZREM");
            zrem.arg(key).arg(member);
            // A removal that fails expires with the session's time to live.
            let _ = tokio::time::timeout(timeout, zrem.exec_async(&mut conn)).await;
        });
    }
}

/// Keeps the shared limits' status true: refreshes this relay's sessions
/// while Redis answers, asks again while it does not. Ends with the
/// limits it watches.
async fn watch(inner: Weak<Inner>) {
    let mut last_refresh = tokio::time::Instant::now();
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let shared = SharedLimits { inner: strong };
        let options = shared.inner.options;
        match shared.status() {
            Status::Shared => {
                if last_refresh.elapsed() >= options.heartbeat {
                    match shared.refresh().await {
                        Ok(()) => last_refresh = tokio::time::Instant::now(),
                        Err(why) => shared.unreachable(&why),
                    }
                }
            }
            _ => {
                // Sessions opened while Redis was away go back first, so
                // that no relay trusts the shared counts before they do.
                if shared.ping().await.is_ok() && shared.refresh().await.is_ok() {
                    last_refresh = tokio::time::Instant::now();
                    shared
                        .inner
                        .status
                        .store(Status::Shared.as_u8(), Ordering::SeqCst);
                    tracing::info!("Redis answers: limits are shared across relays");
                }
            }
        }
        let pause = options.probe.min(options.heartbeat);
        drop(shared);
        tokio::time::sleep(pause).await;
    }
}

impl SharedLimits {
    async fn ping(&self) -> Result<(), String> {
        let Some(redis) = &self.inner.redis else {
            return Err("no Redis".into());
        };
        let mut conn = redis.clone();
        match tokio::time::timeout(
            self.inner.options.timeout,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("no answer in time".into()),
        }
    }

    /// Writes every open session of this relay with a fresh expiry.
    async fn refresh(&self) -> Result<(), String> {
        let Some(redis) = &self.inner.redis else {
            return Ok(());
        };
        let live: Vec<(u64, IpAddr)> = self.lock_live().iter().map(|(n, ip)| (*n, *ip)).collect();
        let script = redis::Script::new(REFRESH);
        for batch in live.chunks(REFRESH_BATCH) {
            let mut call = script.prepare_invoke();
            call.arg(millis(self.inner.options.session_ttl));
            for (n, ip) in batch {
                call.key(sessions_key(*ip)).arg(self.member(*n));
            }
            let mut conn = redis.clone();
            match tokio::time::timeout(
                self.inner.options.timeout,
                call.invoke_async::<u64>(&mut conn),
            )
            .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => return Err(error.to_string()),
                Err(_) => return Err("no answer in time".into()),
            }
        }
        Ok(())
    }
}

fn sessions_key(ip: IpAddr) -> String {
    format!("roundtrip:sessions:{ip}")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Minutes since the epoch: the relays' clocks name the minute a counter
/// belongs to (a relay whose clock is off shifts only its window's edge).
fn minute() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60)
}

fn until_next_minute() -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(60)
        - Duration::from_millis(u64::try_from(now.as_millis() % 60_000).unwrap_or(0))
}

/// `url` with any password replaced, for error messages and logs.
pub fn hide_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            hide_password("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(hide_password("redis://127.0.0.1/"), "redis://127.0.0.1/");
        let error = SharedLimits::redis("http://:s3cret@x/", SharedOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        // Checked before any runtime is needed: no connection is tried.
        assert!(error.starts_with("--redis http://:***@x/"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[tokio::test]
    async fn without_redis_bytes_per_address_are_counted_in_process() {
        let shared = SharedLimits::local();
        assert_eq!(shared.status(), Status::Local);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let minute = minute();
        assert_eq!(shared.spend_locally(a, minute, 10), 10);
        assert_eq!(shared.spend_locally(a, minute, 5), 15);
        assert_eq!(shared.spend_locally(a, minute + 1, 5), 5, "a new minute");
        let _place = shared.admit(a, &Limits::public()).await.unwrap();
        assert_eq!(shared.lock_live().len(), 1);
        drop(_place);
        assert!(shared.lock_live().is_empty(), "a closed session leaves");
    }
}
