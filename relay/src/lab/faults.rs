//! Faults the lab services inject, per connection or UDP socket, as the
//! browser asked when it opened it (`faults` in `tcp_connect`, `udp_open`,
//! `http_request`).
//!
//! The faults are real: the lab service itself delays what it reads, drops
//! datagrams, aborts with an RST or reads slowly, on its own socket. The
//! relay only tells it which connection wants what. It does so through a
//! [`FaultTable`] keyed by the relay-side address of the connection, which
//! is the peer address the lab service sees on `accept` or `recv_from`. The
//! relay binds its socket first and registers the faults before it connects
//! or sends, so the entry is there before the first byte; the entry goes
//! when the relay's [`FaultGuard`] drops with its operation.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use roundtrip_shared::protocol::{ErrorCode, Faults, RelayError};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// The receive buffer of a slow reader. Small, so that its window fills
/// after a few kilobytes instead of megabytes and the sender soon waits.
const SLOW_READER_BUFFER: usize = 4 * 1024;
/// Largest piece a faulty stream reads at once.
const READ_CHUNK: usize = 16 * 1024;

/// The refusal for faults towards anything but the lab's echo and HTTP
/// services.
pub fn not_a_lab_service(addr: SocketAddr) -> RelayError {
    RelayError::new(
        ErrorCode::NotSupported,
        format!(
            "faults apply to the lab services only (tcp-echo, udp-echo, http-lab, https-lab), \
             which inject them on their own sockets; {addr} is not one of them"
        ),
    )
}

/// Which peer wants which faults. Shared by the relay (which registers) and
/// the lab services (which look their peers up).
#[derive(Debug, Default)]
pub struct FaultTable {
    entries: Mutex<HashMap<SocketAddr, Entry>>,
}

#[derive(Debug)]
struct Entry {
    faults: Faults,
    /// Drop decisions for a UDP peer, in order.
    drops: StdRng,
}

/// What the UDP echo does with one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Answer it after this long (zero: at once).
    Answer(Duration),
    Drop,
}

impl FaultTable {
    /// Registers `faults` for the connection or socket whose relay-side
    /// address is `peer`, until the guard drops.
    pub fn register(self: &Arc<Self>, peer: SocketAddr, faults: Faults) -> FaultGuard {
        let drops = match faults.drop_seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        self.lock().insert(peer, Entry { faults, drops });
        FaultGuard {
            table: Arc::clone(self),
            peer,
        }
    }

    /// The faults registered for `peer`, if any.
    pub fn lookup(&self, peer: SocketAddr) -> Option<Faults> {
        self.lock().get(&peer).map(|entry| entry.faults)
    }

    /// What to do with the next datagram from `peer`.
    pub fn fate(&self, peer: SocketAddr) -> Fate {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&peer) else {
            return Fate::Answer(Duration::ZERO);
        };
        let percent = u32::from(entry.faults.drop_percent.unwrap_or(0));
        // Always draw, so that a seed gives the same sequence of decisions
        // whatever the percentage.
        if entry.drops.random_range(0..100) < percent {
            return Fate::Drop;
        }
        Fate::Answer(latency(&entry.faults))
    }

    /// Peers with faults registered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Entry>> {
        self.entries.lock().expect("fault table lock poisoned")
    }
}

fn latency(faults: &Faults) -> Duration {
    Duration::from_millis(u64::from(faults.latency_ms.unwrap_or(0)))
}

/// Keeps a registration alive; dropping it removes the entry, so that a
/// later socket on the same port starts without faults.
#[derive(Debug)]
pub struct FaultGuard {
    table: Arc<FaultTable>,
    peer: SocketAddr,
}

impl Drop for FaultGuard {
    fn drop(&mut self) {
        self.table.lock().remove(&self.peer);
    }
}

/// A lab service's end of a TCP connection, with the faults its peer asked
/// for applied on the receive side: each piece read is handed to the
/// service `latency_ms` after it arrived, while later pieces keep arriving
/// behind it (a long link carries many pieces at once), reading slows to
/// `read_bytes_per_s`, and once `reset_after_bytes` have been handed over
/// the next read aborts the connection (the service then drops it, and the
/// kernel sends an RST). Writes pass straight through.
#[derive(Debug)]
pub struct FaultyStream {
    inner: TcpStream,
    faults: Faults,
    /// Bytes read from the socket so far.
    handed: u64,
    /// Pieces read but not yet due (latency), oldest first, with when each
    /// is due.
    in_flight: VecDeque<(Instant, Vec<u8>)>,
    /// Bytes in `in_flight`: at most [`MAX_IN_FLIGHT`].
    in_flight_bytes: usize,
    /// Wakes the reader when the oldest piece in flight is due.
    due: Pin<Box<Sleep>>,
    /// The socket said end of stream (handed over once nothing is in flight).
    ended: bool,
    /// When the slow reader may read again.
    pace: Option<Pin<Box<Sleep>>>,
}

/// The most bytes a faulty stream holds back for latency: a long link's
/// bytes in flight. Past it the stream stops reading, and TCP's window
/// slows the sender.
const MAX_IN_FLIGHT: usize = 1024 * 1024;

impl FaultyStream {
    /// Wraps `inner` with the faults registered for `peer` (none: the
    /// stream behaves exactly like `inner`).
    pub fn new(inner: TcpStream, peer: SocketAddr, table: &FaultTable) -> FaultyStream {
        let faults = table.lookup(peer).unwrap_or_default();
        if faults.read_bytes_per_s.is_some() {
            // Set after the handshake, this still caps the window the
            // kernel advertises from here on.
            let _ = socket2::SockRef::from(&inner).set_recv_buffer_size(SLOW_READER_BUFFER);
        }
        FaultyStream {
            inner,
            faults,
            handed: 0,
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            due: Box::pin(tokio::time::sleep(Duration::ZERO)),
            ended: false,
            pace: None,
        }
    }

    /// Aborts the connection: with a zero linger time, closing the socket
    /// sends an RST instead of a FIN.
    fn abort(&self) -> io::Error {
        let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
        io::Error::new(
            io::ErrorKind::ConnectionReset,
            "lab fault: reset after the bytes asked for",
        )
    }

    /// The most the next read from the socket may take.
    fn allowance(&self) -> usize {
        let mut most = READ_CHUNK.min(MAX_IN_FLIGHT.saturating_sub(self.in_flight_bytes));
        if let Some(limit) = self.faults.reset_after_bytes {
            let left = limit.saturating_sub(self.handed);
            most = most.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        if let Some(rate) = self.faults.read_bytes_per_s {
            // A quarter of a second's worth at a time keeps the pace smooth.
            let piece = usize::try_from(rate / 4).unwrap_or(usize::MAX).max(1);
            most = most.min(piece);
        }
        most
    }

    /// Reads what the socket has (and the faults allow) into `in_flight`,
    /// each piece due `latency_ms` from now. Pending wakers are registered
    /// for whatever stopped it.
    fn take_in(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while !self.ended {
            if let Some(pace) = &mut self.pace {
                if pace.as_mut().poll(cx).is_pending() {
                    return Ok(());
                }
                self.pace = None;
            }
            let most = self.allowance();
            if most == 0 {
                return Ok(());
            }
            let mut piece = vec![0u8; most];
            let mut piece_buf = ReadBuf::new(&mut piece);
            match Pin::new(&mut self.inner).poll_read(cx, &mut piece_buf) {
                Poll::Pending => return Ok(()),
                Poll::Ready(result) => result?,
            }
            let n = piece_buf.filled().len();
            if n == 0 {
                self.ended = true;
                return Ok(());
            }
            piece.truncate(n);
            self.handed += n as u64;
            if let Some(rate) = self.faults.read_bytes_per_s {
                let wait = Duration::from_secs_f64(n as f64 / f64::from(rate));
                self.pace = Some(Box::pin(tokio::time::sleep(wait)));
            }
            self.in_flight_bytes += n;
            self.in_flight
                .push_back((Instant::now() + latency(&self.faults), piece));
        }
        Ok(())
    }
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // Most connections ask for nothing: read straight through.
        if this.faults.is_empty() {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        this.take_in(cx)?;
        let Some((due_at, _)) = this.in_flight.front() else {
            // Nothing in flight: the end of the stream, or the reset that
            // comes once the bytes asked for were handed over, or waiting.
            if this
                .faults
                .reset_after_bytes
                .is_some_and(|limit| this.handed >= limit)
            {
                return Poll::Ready(Err(this.abort()));
            }
            return if this.ended {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            };
        };
        if this.due.deadline() != *due_at {
            this.due.as_mut().reset(*due_at);
        }
        ready!(this.due.as_mut().poll(cx));
        let (_, bytes) = this.in_flight.front_mut().expect("front seen above");
        let n = bytes.len().min(buf.remaining());
        buf.put_slice(&bytes[..n]);
        bytes.drain(..n);
        this.in_flight_bytes -= n;
        if bytes.is_empty() {
            this.in_flight.pop_front();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The HTTP lab's listener: each accepted connection comes wrapped in the
/// faults its peer registered.
#[derive(Debug)]
pub struct FaultyListener {
    pub listener: tokio::net::TcpListener,
    pub table: Arc<FaultTable>,
}

impl axum::serve::Listener for FaultyListener {
    type Io = FaultyStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (FaultyStream, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    return (FaultyStream::new(stream, peer, &self.table), peer);
                }
                // Out of file descriptors must not end the service.
                Err(error) => {
                    tracing::warn!(%error, "http lab: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp(drop_percent: u8, seed: u64) -> Faults {
        Faults {
            drop_percent: Some(drop_percent),
            drop_seed: Some(seed),
            ..Faults::default()
        }
    }

    #[test]
    fn the_same_seed_drops_the_same_datagrams() {
        let table = Arc::new(FaultTable::default());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let draw = |table: &Arc<FaultTable>| {
            let _guard = table.register(peer, udp(50, 7));
            (0..64).map(|_| table.fate(peer)).collect::<Vec<_>>()
        };
        let first = draw(&table);
        assert_eq!(first, draw(&table));
        let dropped = first.iter().filter(|f| **f == Fate::Drop).count();
        assert!(
            (1..64).contains(&dropped),
            "half of 64 dropped, roughly: {dropped}"
        );
    }

    #[test]
    fn none_and_all_are_exact() {
        let table = Arc::new(FaultTable::default());
        let peer: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        let guard = table.register(peer, udp(100, 1));
        assert!((0..50).all(|_| table.fate(peer) == Fate::Drop));
        drop(guard);
        let _guard = table.register(peer, udp(0, 1));
        assert!((0..50).all(|_| table.fate(peer) == Fate::Answer(Duration::ZERO)));
    }

    #[test]
    fn guards_remove_their_entry() {
        let table = Arc::new(FaultTable::default());
        let peer: SocketAddr = "127.0.0.1:5002".parse().unwrap();
        let guard = table.register(peer, udp(100, 1));
        assert_eq!(table.len(), 1);
        drop(guard);
        assert!(table.is_empty());
        assert_eq!(table.fate(peer), Fate::Answer(Duration::ZERO));
    }
}
