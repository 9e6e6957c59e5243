//! Two thin adapters that watch the bytes of one hop, and the plumbing that
//! turns what they see into events in the right order.
//!
//! [`WireTap`] sits on the TCP socket (so over TLS it sees the records an
//! eavesdropper would see) and reports `wire` events when the browser asked
//! for `raw`; [`HeadTap`] sits on the plain-text side and captures the exact
//! request head and the instant the first response byte arrives. They live
//! under hyper, in `poll_*` calls that cannot await, so they only send
//! [`TapEvent`]s into a channel; the exchange [`pump`]s that channel while
//! it waits on hyper, so a `wire` event never comes after the response it
//! carried.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{EventKind, WireDir};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::CHUNK;
use crate::report::{Halt, Reporter};

/// Most wire bytes reported per operation (`raw` requests); past this the
/// `wire` events stop (the exchange goes on).
pub(super) const WIRE_BUDGET: usize = 256 * 1024;
/// Longest request head captured for `request_written`.
const MAX_HEAD: usize = 64 * 1024;

/// The channel from a hop's taps to its exchange. Unbounded because a
/// `poll_*` call cannot wait for room, yet bounded in practice: the wire
/// tap sends at most [`WIRE_BUDGET`] bytes per operation, the head tap one
/// head of at most [`MAX_HEAD`] bytes and one first-byte mark per hop, and
/// the exchange drains it as it goes.
pub(super) fn channel() -> (
    mpsc::UnboundedSender<TapEvent>,
    mpsc::UnboundedReceiver<TapEvent>,
) {
    mpsc::unbounded_channel()
}

/// When the request went out and the answer began, on this hop.
#[derive(Debug, Default)]
pub(super) struct Marks {
    pub(super) written: Option<Instant>,
    pub(super) first_byte: Option<Instant>,
}

/// Awaits `work` while reporting what the taps saw, in order.
pub(super) async fn pump<F: std::future::Future>(
    work: F,
    taps: &mut mpsc::UnboundedReceiver<TapEvent>,
    report: &Reporter,
    marks: &mut Marks,
) -> Result<F::Output, Halt> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            biased;
            Some(event) = taps.recv() => tell(event, report, marks).await?,
            output = &mut work => {
                drain(taps, report, marks).await?;
                return Ok(output);
            }
        }
    }
}

/// Reports what the taps saw and nobody reported yet.
pub(super) async fn drain(
    taps: &mut mpsc::UnboundedReceiver<TapEvent>,
    report: &Reporter,
    marks: &mut Marks,
) -> Result<(), Halt> {
    while let Ok(event) = taps.try_recv() {
        tell(event, report, marks).await?;
    }
    Ok(())
}

async fn tell(event: TapEvent, report: &Reporter, marks: &mut Marks) -> Result<(), Halt> {
    match event {
        TapEvent::Wire(dir, bytes) => {
            report
                .event(EventKind::Wire {
                    dir,
                    bytes: Payload(bytes),
                })
                .await
        }
        TapEvent::RequestWritten {
            head,
            body_bytes,
            at,
        } => {
            marks.written = Some(at);
            report
                .event(EventKind::RequestWritten {
                    head: Payload(head),
                    body_bytes,
                })
                .await
        }
        TapEvent::FirstByte(at) => {
            marks.first_byte = Some(at);
            report.event(EventKind::FirstByte).await
        }
    }
}

/// What the adapters saw, in the order they saw it.
#[derive(Debug)]
pub(super) enum TapEvent {
    Wire(WireDir, Vec<u8>),
    RequestWritten {
        head: Vec<u8>,
        body_bytes: u64,
        at: Instant,
    },
    FirstByte(Instant),
}

/// A byte stream hyper can drive: the TCP socket or TLS over it.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A byte stream with a watcher: every byte read from it or written to it
/// passes `watch` on its way. The one place the pass-through is written.
pub(super) struct Tap<S, W> {
    inner: S,
    watch: W,
}

/// What a [`Tap`] does with the bytes that pass.
pub(super) trait Watch: Unpin {
    fn read(&mut self, bytes: &[u8]);
    fn wrote(&mut self, bytes: &[u8]);
}

impl<S: AsyncRead + Unpin, W: Watch> AsyncRead for Tap<S, W> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.watch.read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin, W: Watch> AsyncWrite for Tap<S, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.watch.wrote(&buf[..n]);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Sits on the TCP socket and reports the bytes crossing it (while the
/// operation's wire budget lasts; 0 when the browser did not ask).
pub(super) type WireTap = Tap<TcpStream, WireWatch>;

pub(super) struct WireWatch {
    events: mpsc::UnboundedSender<TapEvent>,
    budget: Arc<AtomicUsize>,
}

impl WireTap {
    pub(super) fn new(
        inner: TcpStream,
        events: mpsc::UnboundedSender<TapEvent>,
        budget: Arc<AtomicUsize>,
    ) -> Self {
        Tap {
            inner,
            watch: WireWatch { events, budget },
        }
    }
}

impl WireWatch {
    fn report(&self, dir: WireDir, bytes: &[u8]) {
        for piece in bytes.chunks(CHUNK) {
            let allowed = self
                .budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    Some(left.saturating_sub(piece.len()))
                })
                .unwrap_or(0)
                .min(piece.len());
            if allowed == 0 {
                return;
            }
            let _ = self
                .events
                .send(TapEvent::Wire(dir, piece[..allowed].to_vec()));
        }
    }
}

impl Watch for WireWatch {
    fn read(&mut self, bytes: &[u8]) {
        self.report(WireDir::In, bytes);
    }

    fn wrote(&mut self, bytes: &[u8]) {
        self.report(WireDir::Out, bytes);
    }
}

/// Sits on the plain-text side (above TLS): captures the request head as
/// hyper writes it, counts the body, and notes the first response byte.
pub(super) type HeadTap = Tap<Box<dyn Io>, HeadWatch>;

pub(super) struct HeadWatch {
    events: mpsc::UnboundedSender<TapEvent>,
    head: Vec<u8>,
    head_done: bool,
    body_expected: u64,
    body_written: u64,
    written_reported: bool,
    first_byte_seen: bool,
}

impl HeadTap {
    /// Watches `inner` for a request whose body is `body_expected` bytes.
    pub(super) fn new(
        inner: Box<dyn Io>,
        events: mpsc::UnboundedSender<TapEvent>,
        body_expected: u64,
    ) -> Self {
        Tap {
            inner,
            watch: HeadWatch {
                events,
                head: Vec::new(),
                head_done: false,
                body_expected,
                body_written: 0,
                written_reported: false,
                first_byte_seen: false,
            },
        }
    }
}

impl Watch for HeadWatch {
    fn read(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() && !self.first_byte_seen {
            self.first_byte_seen = true;
            let _ = self.events.send(TapEvent::FirstByte(Instant::now()));
        }
    }

    fn wrote(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        if !self.head_done {
            let old = self.head.len();
            self.head.extend_from_slice(bytes);
            // The head ends at the first blank line.
            let search_from = old.saturating_sub(3);
            if let Some(end) = self.head[search_from..]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|p| search_from + p + 4)
            {
                rest = &bytes[end - old..];
                self.head.truncate(end);
                self.head_done = true;
            } else if self.head.len() >= MAX_HEAD {
                self.head_done = true;
                rest = &[];
            } else {
                rest = &[];
            }
        }
        self.body_written += rest.len() as u64;
        if self.head_done && !self.written_reported && self.body_written >= self.body_expected {
            self.written_reported = true;
            let _ = self.events.send(TapEvent::RequestWritten {
                head: std::mem::take(&mut self.head),
                body_bytes: self.body_written,
                at: Instant::now(),
            });
        }
    }
}
