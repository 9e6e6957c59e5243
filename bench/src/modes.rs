//! The measurements, one function per mode. Each runs against a bridge (or
//! none, for direct TCP) that the caller started fresh, and returns figures;
//! none of them judges.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{Conn, Incoming, Kind, Target};
use crate::procs;

/// One figure, and how busy the generator's CPU was while it was taken.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub value: f64,
    /// The generator's CPU time over wall time (1.0: its core was full,
    /// so the figure may be the generator's limit, not the bridge's).
    pub busy: f64,
}

/// Runs `f` and notes the generator's CPU share meanwhile.
async fn timed<F, T>(f: F) -> io::Result<(T, f64)>
where
    F: Future<Output = io::Result<T>>,
{
    let (ticks, started) = (procs::own_cpu_ticks(), Instant::now());
    let value = f.await?;
    let wall = started.elapsed().as_secs_f64();
    let busy = (procs::own_cpu_ticks() - ticks) as f64 / 100.0 / wall.max(1e-3);
    Ok((value, busy.min(1.0)))
}

fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

// ---------------------------------------------------------------- bulk

/// One message of the bulk mode: what the page sends at most at once.
pub const BULK_MESSAGE: usize = 64 * 1024;
/// Bytes per bulk trial.
const BULK_TOTAL: usize = 128 * 1024 * 1024;
/// The page's pacing (`frontend/src/relay_socket.rs`): at most three
/// messages' worth of bytes, and 8 sends, not yet confirmed by `sent`.
const PAGE_WINDOW: usize = 3 * BULK_MESSAGE;
const PAGE_MAX_SENDS: usize = 8;

/// One stream of 64 KiB messages to the echo and back: MB/s echoed.
/// Direct TCP and websocat write and read at once, as fast as TCP lets
/// them; Roundtrip is paced by `sent`, as the page paces it.
pub async fn bulk(target: &Target) -> io::Result<Measured> {
    let conn = Conn::open(target).await?;
    let message = pattern(BULK_MESSAGE);
    let count = BULK_TOTAL / BULK_MESSAGE;
    let (elapsed, busy) = timed(async move {
        let started = Instant::now();
        match conn {
            Conn::Direct { mut stream, .. } => {
                let (mut reader, mut writer) = stream.split();
                let write = async {
                    for _ in 0..count {
                        writer.write_all(&message).await?;
                    }
                    io::Result::Ok(())
                };
                let read = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut got = 0;
                    while got < BULK_TOTAL {
                        match reader.read(&mut buf).await? {
                            0 => return Err(io::Error::other("echo closed")),
                            n => got += n,
                        }
                    }
                    Ok(())
                };
                tokio::try_join!(write, read)?;
            }
            Conn::Websocat(ws) => {
                let (mut sink, mut stream) = ws.split();
                let write = async {
                    for _ in 0..count {
                        sink.send(Message::Binary(message.clone()))
                            .await
                            .map_err(io::Error::other)?;
                    }
                    io::Result::Ok(())
                };
                let read = async {
                    let mut got = 0;
                    while got < BULK_TOTAL {
                        match stream.next().await {
                            Some(Ok(Message::Binary(bytes))) => got += bytes.len(),
                            Some(Ok(_)) => {}
                            Some(Err(e)) => return Err(io::Error::other(e)),
                            None => return Err(io::Error::other("websocat closed")),
                        }
                    }
                    Ok(())
                };
                tokio::try_join!(write, read)?;
            }
            mut conn @ Conn::Roundtrip(_) => {
                // What the relay has not yet confirmed of each send on its
                // way, oldest first (as `shared::pacing` keeps it).
                let mut on_way: VecDeque<usize> = VecDeque::new();
                let (mut on_way_bytes, mut sent, mut got) = (0, 0, 0);
                while got < BULK_TOTAL {
                    let fits = on_way.is_empty()
                        || (on_way.len() < PAGE_MAX_SENDS
                            && on_way_bytes + BULK_MESSAGE <= PAGE_WINDOW);
                    if sent < count && fits {
                        conn.send(message.clone()).await?;
                        sent += 1;
                        on_way.push_back(BULK_MESSAGE);
                        on_way_bytes += BULK_MESSAGE;
                        continue;
                    }
                    match conn.recv().await? {
                        Incoming::Data(n) => got += n,
                        Incoming::Sent(mut n) => {
                            on_way_bytes -= n.min(on_way_bytes);
                            while n > 0
                                && let Some(front) = on_way.front_mut()
                            {
                                let taken = n.min(*front);
                                *front -= taken;
                                n -= taken;
                                if *front == 0 {
                                    on_way.pop_front();
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(started.elapsed())
    })
    .await?;
    Ok(Measured {
        value: BULK_TOTAL as f64 / elapsed.as_secs_f64() / 1e6,
        busy,
    })
}

// --------------------------------------------------------------- small

pub const SMALL_CONNECTIONS: usize = 100;
pub const SMALL_MESSAGE: usize = 20;
const SMALL_WARM_UP: Duration = Duration::from_millis(300);
const SMALL_WINDOW: Duration = Duration::from_secs(1);

/// 100 connections, each sending 20 bytes and waiting for their echo, over
/// and over: round trips per second, all connections together.
pub async fn small(target: &Target) -> io::Result<Measured> {
    let conns = open_many(target, SMALL_CONNECTIONS, 25, false).await?;
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for mut conn in conns {
        let (done, stop) = (done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let message = pattern(SMALL_MESSAGE);
            while !stop.load(Ordering::Relaxed) {
                conn.round_trip(message.clone()).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            io::Result::Ok(())
        }));
    }
    tokio::time::sleep(SMALL_WARM_UP).await;
    let (count, busy) = timed(async {
        let before = done.load(Ordering::Relaxed);
        tokio::time::sleep(SMALL_WINDOW).await;
        Ok(done.load(Ordering::Relaxed) - before)
    })
    .await?;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.map_err(io::Error::other)??;
    }
    Ok(Measured {
        value: count as f64 / SMALL_WINDOW.as_secs_f64(),
        busy,
    })
}

// ------------------------------------------------------------- latency

pub const LATENCY_MESSAGE: usize = 1024;
const LATENCY_WARM_UP: usize = 200;
const LATENCY_SAMPLES: usize = 5_000;
/// A slow bridge gets fewer samples, not a longer run.
const LATENCY_BUDGET: Duration = Duration::from_secs(2);

/// 1 KiB ping-pong on one connection: (p50, p99) round-trip time in µs.
pub async fn latency(target: &Target) -> io::Result<(Measured, Measured)> {
    let mut conn = Conn::open(target).await?;
    let message = pattern(LATENCY_MESSAGE);
    let warm_up = Instant::now() + LATENCY_BUDGET / 4;
    for _ in 0..LATENCY_WARM_UP {
        conn.round_trip(message.clone()).await?;
        if Instant::now() > warm_up {
            break;
        }
    }
    let (mut samples, busy) = timed(async {
        let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
        let started = Instant::now();
        while samples.len() < LATENCY_SAMPLES && started.elapsed() < LATENCY_BUDGET {
            let t = Instant::now();
            conn.round_trip(message.clone()).await?;
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
        Ok(samples)
    })
    .await?;
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Ok((
        Measured {
            value: at(0.50),
            busy,
        },
        Measured {
            value: at(0.99),
            busy,
        },
    ))
}

// -------------------------------------------------------------- memory

pub const IDLE_SESSIONS: usize = 1_000;

/// Opens 1,000 sessions that each hold a connection to the echo and did
/// one 20-byte round trip, then reads the bridge's PSS: KiB per session
/// over the PSS after one warm-up session.
pub async fn idle_memory(target: &Target, pid: u32) -> io::Result<Measured> {
    // The first session pays for what every later one shares.
    drop(open_many(target, 1, 1, true).await?);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = procs::pss_kib(pid).map_err(io::Error::other)?;
    let (held, busy) = timed(open_many(target, IDLE_SESSIONS, 50, true)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = procs::pss_kib(pid).map_err(io::Error::other)?;
    drop(held);
    Ok(Measured {
        value: after.saturating_sub(before) as f64 / IDLE_SESSIONS as f64,
        busy,
    })
}

// ---------------------------------------------------------------- held

/// How many sessions the bridge held, how many were asked for, and why it
/// stopped short (if it did).
#[derive(Debug)]
pub struct Held {
    pub held: usize,
    pub asked: usize,
    pub stopped: Option<String>,
}

/// Opens sessions (each holding a connection to the echo, checked with a
/// 1-byte round trip) until `asked` are open or one fails.
pub async fn held(target: &Target, asked: usize) -> io::Result<Held> {
    const AT_ONCE: usize = 64;
    let mut conns = Vec::with_capacity(asked);
    let mut stopped = None;
    while conns.len() < asked && stopped.is_none() {
        let batch = AT_ONCE.min(asked - conns.len());
        let opening = (0..batch).map(|_| open_checked(target));
        for result in futures_util::future::join_all(opening).await {
            match result {
                Ok(conn) => conns.push(conn),
                Err(error) => stopped = Some(error.to_string()),
            }
        }
    }
    Ok(Held {
        held: conns.len(),
        asked,
        stopped,
    })
}

// ---------------------------------------------------------------- open

pub const SEQUENTIAL_SESSIONS: usize = 1_000;
/// A slow bridge is stopped here and its figure extrapolated.
const SEQUENTIAL_BUDGET: Duration = Duration::from_secs(10);

/// Opens 1,000 sessions one after another (each open, connected to the
/// echo, and one 1-byte round trip), keeping them: seconds for all 1,000,
/// extrapolated (and said so) when it would take longer than the budget.
pub async fn sequential(target: &Target) -> io::Result<(Measured, bool)> {
    let mut conns = Vec::with_capacity(SEQUENTIAL_SESSIONS);
    let ((seconds, cut), busy) = timed(async {
        let started = Instant::now();
        while conns.len() < SEQUENTIAL_SESSIONS {
            conns.push(open_checked(target).await?);
            if started.elapsed() > SEQUENTIAL_BUDGET {
                let each = started.elapsed().as_secs_f64() / conns.len() as f64;
                return Ok((each * SEQUENTIAL_SESSIONS as f64, true));
            }
        }
        Ok((started.elapsed().as_secs_f64(), false))
    })
    .await?;
    Ok((
        Measured {
            value: seconds,
            busy,
        },
        cut,
    ))
}

// ------------------------------------------------------------- helpers

/// Opens a connection and checks its way to the echo with one byte.
async fn open_checked(target: &Target) -> io::Result<Conn> {
    let open = async {
        let mut conn = Conn::open(target).await?;
        conn.round_trip(Bytes::from_static(b"x")).await?;
        Ok(conn)
    };
    tokio::time::timeout(Duration::from_secs(10), open)
        .await
        .map_err(|_| io::Error::other("no session within 10 s"))?
}

/// Opens `n` connections, `at_once` at a time; with `exchange`, each does a
/// 20-byte round trip first.
async fn open_many(
    target: &Target,
    n: usize,
    at_once: usize,
    exchange: bool,
) -> io::Result<Vec<Conn>> {
    let mut conns = Vec::with_capacity(n);
    while conns.len() < n {
        let batch = at_once.min(n - conns.len());
        let opening = (0..batch).map(|_| async {
            let mut conn = Conn::open(target).await?;
            if exchange {
                conn.round_trip(pattern(SMALL_MESSAGE)).await?;
            }
            io::Result::Ok(conn)
        });
        for conn in futures_util::future::join_all(opening).await {
            conns.push(conn?);
        }
    }
    Ok(conns)
}

/// Whether a way has a bridge process to measure.
pub fn has_bridge(kind: Kind) -> bool {
    kind != Kind::Direct
}
