//! The concurrency lab: three servers that do the same slow work for each
//! client in three ways, so that a lesson can fire N clients at each and see
//! who waits.
//!
//! Each reads one line, works for [`WORK`] (a sleep standing in for a disk
//! or a database), then answers with one line that names its mode and says
//! how long after connecting the client got its answer, and closes:
//!
//! ```text
//! tcp-slow-serial: answered 612 ms after you connected (200 ms of work; one client at a time)
//! ```
//!
//! - `tcp-slow-serial`: one client at a time. A thread accepts every
//!   connection at once (so that the wait is measured from the connect) and
//!   queues it for a single worker thread: the N-th client waits N × 200 ms.
//!   The queue holds [`SERIAL_QUEUE`] clients; the one past it is told to
//!   try later and closed, so that the line (and what it holds) is bounded.
//! - `tcp-slow-threads`: a thread per client, with blocking `std::net` I/O.
//! - `tcp-slow-async`: a tokio task per client.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

/// The work each request takes.
pub const WORK: Duration = Duration::from_millis(200);
/// Longest request line read; the rest of a longer line is ignored.
const MAX_LINE: u64 = 1024;
/// How long a server waits for a client's line before giving up on it, by
/// default. In serial mode a silent client blocks everyone behind it for
/// this long, so a public relay shortens it (see [`ReadTimeout`]).
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The read timeout of a public relay's slow servers: a lesson's client
/// sends its line at once, a stranger's silent one holds the line this long.
pub const PUBLIC_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Clients waiting in the serial server's line, at most.
pub const SERIAL_QUEUE: usize = 16;
/// At most this many client threads at once in threads mode.
const MAX_THREADS: usize = 256;

/// How long the slow servers wait for a client's line; shared with the
/// relay, which shortens it in public mode.
#[derive(Debug)]
pub struct ReadTimeout(AtomicU64);

impl Default for ReadTimeout {
    fn default() -> Self {
        ReadTimeout(AtomicU64::new(millis(READ_TIMEOUT)))
    }
}

impl ReadTimeout {
    pub fn set(&self, timeout: Duration) {
        self.0.store(millis(timeout), Ordering::Relaxed);
    }

    pub fn get(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The three modes, by service name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Serial,
    Threads,
    Async,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Serial => "tcp-slow-serial",
            Mode::Threads => "tcp-slow-threads",
            Mode::Async => "tcp-slow-async",
        }
    }

    fn how(self) -> &'static str {
        match self {
            Mode::Serial => "one client at a time",
            Mode::Threads => "a thread per client",
            Mode::Async => "a tokio task per client",
        }
    }

    fn answer(self, connected: Instant) -> String {
        format!(
            "{}: answered {} ms after you connected ({} ms of work; {})\n",
            self.name(),
            connected.elapsed().as_millis(),
            WORK.as_millis(),
            self.how()
        )
    }
}

/// Starts the serial server on `listener`: an accepting thread and one worker.
pub(super) fn start_serial(
    listener: TcpListener,
    timeout: Arc<ReadTimeout>,
) -> std::io::Result<()> {
    let (queue, queued) = std::sync::mpsc::sync_channel::<(TcpStream, Instant)>(SERIAL_QUEUE);
    let worker_timeout = timeout.clone();
    std::thread::Builder::new()
        .name("tcp-slow-serial worker".into())
        .spawn(move || {
            for (stream, connected) in queued {
                serve_blocking(Mode::Serial, stream, connected, worker_timeout.get());
            }
        })?;
    std::thread::Builder::new()
        .name("tcp-slow-serial accept".into())
        .spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(stream) => match queue.try_send((stream, Instant::now())) {
                        Ok(()) => {}
                        Err(std::sync::mpsc::TrySendError::Full((stream, _))) => {
                            refuse_blocking(
                                stream,
                                &format!(
                                    "tcp-slow-serial: {SERIAL_QUEUE} clients are already waiting \
                                     in line; try again later\n"
                                ),
                            );
                        }
                        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return,
                    },
                    Err(error) => accept_failed_blocking(Mode::Serial, &error),
                }
            }
        })?;
    Ok(())
}

/// Tells a client there is no room and closes, without waiting on it.
fn refuse_blocking(stream: TcpStream, message: &str) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let _ = (&stream).write_all(message.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// Starts the thread-per-client server on `listener`.
pub(super) fn start_threads(
    listener: TcpListener,
    timeout: Arc<ReadTimeout>,
) -> std::io::Result<()> {
    let running = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new()
        .name("tcp-slow-threads accept".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let mut stream = match stream {
                    Ok(stream) => stream,
                    Err(error) => {
                        accept_failed_blocking(Mode::Threads, &error);
                        continue;
                    }
                };
                let connected = Instant::now();
                if running.fetch_add(1, Ordering::SeqCst) >= MAX_THREADS {
                    running.fetch_sub(1, Ordering::SeqCst);
                    let _ = stream.write_all(b"tcp-slow-threads: too many clients, try later\n");
                    continue;
                }
                let running = running.clone();
                let read_timeout = timeout.get();
                let spawned = std::thread::Builder::new()
                    .name("tcp-slow-threads client".into())
                    .spawn(move || {
                        serve_blocking(Mode::Threads, stream, connected, read_timeout);
                        running.fetch_sub(1, Ordering::SeqCst);
                    });
                if let Err(error) = spawned {
                    tracing::warn!(%error, "tcp-slow-threads: cannot start a thread");
                }
            }
        })?;
    Ok(())
}

/// Runs the task-per-client server on `listener`.
pub(super) async fn run_async(listener: tokio::net::TcpListener, timeout: Arc<ReadTimeout>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let connected = Instant::now();
                tokio::spawn(serve_async(stream, connected, timeout.get()));
            }
            Err(error) => accept_failed_async(Mode::Async, &error).await,
        }
    }
}

/// How long a server pauses after a failed accept (out of descriptors,
/// say), so as not to spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// A failed accept on a server's own thread: log, and pause the thread.
fn accept_failed_blocking(mode: Mode, error: &std::io::Error) {
    tracing::warn!(%error, "{}: accept failed", mode.name());
    std::thread::sleep(ACCEPT_PAUSE);
}

/// A failed accept in a task: log, and pause the task (never the thread,
/// which runs other tasks).
async fn accept_failed_async(mode: Mode, error: &std::io::Error) {
    tracing::warn!(%error, "{}: accept failed", mode.name());
    tokio::time::sleep(ACCEPT_PAUSE).await;
}

fn serve_blocking(mode: Mode, stream: TcpStream, connected: Instant, read_timeout: Duration) {
    let result = (|| -> std::io::Result<()> {
        stream.set_read_timeout(Some(read_timeout))?;
        let mut line = Vec::new();
        BufReader::new((&stream).take(MAX_LINE)).read_until(b'\n', &mut line)?;
        std::thread::sleep(WORK);
        (&stream).write_all(mode.answer(connected).as_bytes())?;
        stream.shutdown(Shutdown::Write)
    })();
    if let Err(error) = result {
        tracing::debug!(%error, "{}: client ended with an error", mode.name());
    }
}

async fn serve_async(
    mut stream: tokio::net::TcpStream,
    connected: Instant,
    read_timeout: Duration,
) {
    let result = async {
        let mut line = Vec::new();
        let (reader, mut writer) = stream.split();
        let mut reader = tokio::io::BufReader::new(reader.take(MAX_LINE));
        tokio::time::timeout(read_timeout, reader.read_until(b'\n', &mut line))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        tokio::time::sleep(WORK).await;
        writer
            .write_all(Mode::Async.answer(connected).as_bytes())
            .await?;
        writer.shutdown().await
    }
    .await;
    if let Err(error) = result {
        tracing::debug!(%error, "tcp-slow-async: client ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Lab;

    /// Connects `n` clients at once to `service`, each sends a line; returns
    /// the waits each answer reports, sorted.
    async fn fire(lab: &Lab, mode: Mode, n: usize) -> Vec<u64> {
        let addr = lab.lookup(mode.name()).unwrap();
        let clients = (0..n).map(|i| async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(format!("client {i}\n").as_bytes())
                .await
                .unwrap();
            let mut answer = String::new();
            tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
                .await
                .unwrap()
                .unwrap();
            let prefix = format!("{}: answered ", mode.name());
            assert!(answer.starts_with(&prefix), "{answer}");
            assert!(
                answer.ends_with(&format!("; {})\n", mode.how())),
                "{answer}"
            );
            let ms = answer[prefix.len()..].split(' ').next().unwrap();
            ms.parse::<u64>().unwrap()
        });
        let mut waits = futures_util::future::join_all(clients).await;
        waits.sort_unstable();
        waits
    }

    #[tokio::test]
    async fn the_serial_line_is_bounded_and_the_one_past_it_is_told() {
        let lab = Lab::start().await.unwrap();
        let addr = lab.lookup(Mode::Serial.name()).unwrap();
        // Silent clients: one with the worker, a full line behind it, and
        // more.
        let mut silent = Vec::new();
        for _ in 0..SERIAL_QUEUE + 4 {
            silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let mut last = silent.pop().unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(5), last.read_to_string(&mut answer))
            .await
            .expect("the client past the line is answered at once")
            .unwrap();
        assert!(answer.contains("already waiting"), "{answer}");
    }

    #[tokio::test]
    async fn a_public_relays_serial_server_drops_a_silent_client_soon() {
        let lab = Lab::start().await.unwrap();
        lab.for_public();
        let addr = lab.lookup(Mode::Serial.name()).unwrap();
        let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        let started = Instant::now();
        let mut next = tokio::net::TcpStream::connect(addr).await.unwrap();
        next.write_all(b"hello\n").await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(20), next.read_to_string(&mut answer))
            .await
            .unwrap()
            .unwrap();
        assert!(answer.starts_with("tcp-slow-serial: answered"), "{answer}");
        // Behind a silent client for the public timeout, not the default.
        assert!(
            started.elapsed() < READ_TIMEOUT - Duration::from_secs(2),
            "waited {:?} behind a silent client",
            started.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serial_clients_wait_in_line_and_concurrent_ones_do_not() {
        let lab = Lab::start().await.unwrap();
        let work = WORK.as_millis() as u64;
        // One worker does one client's work at a time: three clients that
        // connect together are all answered only after three times the work
        // (what each reports counts from when it was accepted, which a busy
        // machine may delay, so the whole is what is checked).
        let started = Instant::now();
        let serial = fire(&lab, Mode::Serial, 3).await;
        assert!(serial[0] >= work, "{serial:?}");
        assert!(
            started.elapsed() >= 3 * WORK,
            "three clients in line took {:?}: {serial:?}",
            started.elapsed()
        );
        // Ten at once: in line they would take ten times the work; side by
        // side even the last is answered in well under half of that, with
        // room for a loaded machine.
        for mode in [Mode::Threads, Mode::Async] {
            let waits = fire(&lab, mode, 10).await;
            assert!(waits[0] >= work, "{mode:?}: {waits:?}");
            assert!(
                waits[9] < 5 * work,
                "{mode:?}: nobody waits for another: {waits:?}"
            );
        }
    }
}
