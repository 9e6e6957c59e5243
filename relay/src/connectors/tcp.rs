//! The TCP connector: connect to a target, write what the browser sends,
//! stream back what arrives, and report every step.
//!
//! One task owns the socket for the whole operation. Reads and writes use
//! readiness (`readable`/`try_read`, `writable`/`try_write`) inside one
//! `select!`, so a target that is slow to read never stops us from reading
//! what it sends (no write/read deadlock with an echo), and every event is
//! reported in the order it happened: a `sent` always precedes the
//! `received` of its echo.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf as _, Bytes};
use roundtrip_shared::protocol::{Closer, ErrorCode, EventKind, RelayError};
use roundtrip_shared::protocol::{FaultTransport, Faults};
use tokio::io::{AsyncWriteExt as _, Interest};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

use crate::AppState;
use crate::connectors::common::{Ended, SocketClock, close_by_relay, fail, refuse_until_close};
use crate::lab::faults::{self, FaultGuard};
use crate::op::Command;
use crate::policy::{Destination, Protocol};
use crate::report::{self, Halt, Reporter};
use crate::target;

// Bytes accepted from the browser but not yet written. Past this we stop
// taking commands, which pushes back on the browser's WebSocket. Shared:
// the page's send window is checked against it at compile time.
use roundtrip_shared::pacing::RELAY_MAX_UNWRITTEN as MAX_UNWRITTEN;
/// Largest read per `received` event. Each read takes a buffer of its own
/// (see [`report::read_buffer`]), so an idle connection holds none.
const READ_CHUNK: usize = 16 * 1024;

#[derive(Debug, Default)]
struct Counts {
    sent: u64,
    received: u64,
}

/// How the browser wants its connection opened.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Connect timeout per address.
    pub connect_timeout: Duration,
    /// Set `TCP_NODELAY` once connected.
    pub nodelay: bool,
    /// Faults for the lab service to inject.
    pub faults: Option<Faults>,
    /// The session's client address, which connections to the lab count
    /// against.
    pub client: std::net::IpAddr,
}

/// Runs one TCP operation to its end.
pub async fn run(
    state: &AppState,
    target: String,
    options: Options,
    mut commands: mpsc::Receiver<Command>,
    report: Reporter,
) {
    let mut counts = Counts::default();
    let ending =
        Ended::of(drive(state, &target, options, &mut commands, &report, &mut counts).await);
    tracing::info!(
        op = report.op(),
        %target,
        %ending,
        sent = counts.sent,
        received = counts.received,
        "tcp operation ended"
    );
}

/// Runs an operation on a connection that is already open (one the relay
/// accepted for a listening browser): reports `connected`, then moves bytes
/// exactly as for a connection the browser opened.
pub async fn run_accepted(
    stream: TcpStream,
    mut commands: mpsc::Receiver<Command>,
    report: Reporter,
) {
    let mut counts = Counts::default();
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let ending = Ended::of(connected(stream, &mut commands, &report, &mut counts).await);
    tracing::info!(
        op = report.op(),
        %peer,
        %ending,
        sent = counts.sent,
        received = counts.received,
        "accepted tcp connection ended"
    );
}

async fn drive(
    state: &AppState,
    target_text: &str,
    options: Options,
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
    counts: &mut Counts,
) -> Result<Ended, Halt> {
    // Boxed, as the endings in `transfer` are: an operation's task is as
    // large as the largest state of its future, and these states (resolve
    // and connect; close and flush) are brief, while an idle connection
    // waits in `transfer` for as long as it lives.
    let connecting = Box::pin(async {
        let target = match target::parse_for(target_text, state.lab(), "tcp") {
            Ok(target) => target,
            Err(error) => return Ok(Err(error)),
        };
        let addrs = match target::resolve(state, &target, "tcp", report).await? {
            Ok(addrs) => addrs,
            Err(error) => return Ok(Err(error)),
        };
        // A connection to a lab service holds one of its client's places
        // there for as long as it lives.
        let lab_place = if addrs.iter().any(|addr| state.lab().is_service(*addr)) {
            match state.open_lab_connection(options.client) {
                Ok(place) => Some(place),
                Err(error) => return Ok(Err(error)),
            }
        } else {
            None
        };
        let dial = Dial {
            protocol: Protocol::Tcp,
            host: match &target {
                target::Target::Host { host, .. } => Some(host.as_str()),
                _ => None,
            },
            timeout: options.connect_timeout,
            faults: options.faults,
        };
        Ok(connect_any(state, &dial, &addrs, report)
            .await?
            .map(|dialled| (dialled, lab_place)))
    });
    // The browser may close (or send too early) while we resolve and connect.
    let stream = tokio::select! {
        result = connecting => result?,
        () = wait_for_close(commands, report) => {
            report.event(EventKind::Closed { by: Closer::Browser }).await?;
            return Ok(Ended::Closed(Closer::Browser));
        }
    };
    // The guard keeps the lab's faults registered while the connection lives.
    let ((stream, _faults), _lab_place) = match stream {
        Ok(dialled) => dialled,
        Err(error) => return fail(report, error).await,
    };
    if options.nodelay
        && let Err(error) = stream.set_nodelay(true)
    {
        return fail(report, io_error(&error)).await;
    }
    connected(stream, commands, report, counts).await
}

/// Reports `connected`, then transfers until the connection ends.
async fn connected(
    stream: TcpStream,
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
    counts: &mut Counts,
) -> Result<Ended, Halt> {
    let (local, remote) = (stream.local_addr(), stream.peer_addr());
    report
        .event(EventKind::Connected {
            local: local.map(|a| a.to_string()).unwrap_or_default(),
            remote: remote.map(|a| a.to_string()).unwrap_or_default(),
        })
        .await?;
    transfer(stream, commands, report, counts).await
}

/// Reads commands until the browser closes, refusing sends (and shutdowns):
/// there is no connection yet. Returns when the browser closes or goes away.
async fn wait_for_close(commands: &mut mpsc::Receiver<Command>, report: &Reporter) {
    let _ = refuse_until_close(commands, report, |command| match command {
        Command::Send(_) => RelayError::new(
            ErrorCode::NotConnected,
            "not connected yet: wait for the connected event before sending",
        ),
        Command::Shutdown => RelayError::new(
            ErrorCode::NotConnected,
            "not connected yet: there is no sending side to shut down before the connected event (close ends the attempt)",
        ),
        Command::SendTo { .. } | Command::Close | Command::Abort => send_to_unsupported(),
    })
    .await;
}

fn send_to_unsupported() -> RelayError {
    RelayError::new(
        ErrorCode::NotSupported,
        "send_to is for UDP sockets: a TCP connection sends with send",
    )
}

/// How a connector wants its connection dialled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dial<'a> {
    /// What the policy is asked about (`tcp`, `http`, `https`).
    pub protocol: Protocol,
    /// The name the learner typed, when it was a name.
    pub host: Option<&'a str>,
    /// Connect timeout per address.
    pub timeout: Duration,
    /// Faults for the lab service to inject on the connection.
    pub faults: Option<Faults>,
}

/// An open connection, and the faults registered for it (kept until the
/// connection's operation ends).
pub(crate) type Dialled = (TcpStream, Option<FaultGuard>);

/// Tries each address in order, as `getaddrinfo` callers do. Each address is
/// checked by the policy right before it is dialled, and the checked address
/// is the one dialled.
pub(crate) async fn connect_any(
    state: &AppState,
    dial: &Dial<'_>,
    addrs: &[SocketAddr],
    report: &Reporter,
) -> Result<Result<Dialled, RelayError>, Halt> {
    let mut last_error = None;
    for (index, addr) in addrs.iter().enumerate() {
        if let Some(error) = last_error.take() {
            report
                .event(EventKind::AttemptFailed {
                    addr: addrs[index - 1].to_string(),
                    error,
                })
                .await?;
        }
        let destination = Destination {
            protocol: dial.protocol,
            host: dial.host,
            addr: *addr,
        };
        if let Err(refusal) = state.permit_dial(destination) {
            last_error = Some(refusal);
            continue;
        }
        let socket = match prepare(state, *addr, dial.faults) {
            Ok(socket) => socket,
            Err(refusal) => {
                last_error = Some(refusal);
                continue;
            }
        };
        report
            .event(EventKind::Connecting {
                addr: addr.to_string(),
            })
            .await?;
        let (socket, guard) = socket;
        let connect = async {
            match socket {
                Some(socket) => socket.connect(*addr).await,
                None => TcpStream::connect(addr).await,
            }
        };
        match tokio::time::timeout(dial.timeout, connect).await {
            Ok(Ok(stream)) => return Ok(Ok((stream, guard))),
            Ok(Err(error)) => last_error = Some(connect_error(&error, *addr)),
            Err(_elapsed) => {
                last_error = Some(RelayError::new(
                    ErrorCode::TimedOut,
                    format!(
                        "connection to {addr} timed out: no answer within {} ms",
                        dial.timeout.as_millis()
                    ),
                ))
            }
        }
    }
    Ok(Err(last_error.unwrap_or_else(|| {
        RelayError::new(ErrorCode::ResolveFailed, "no address to connect to")
    })))
}

/// With faults to inject, a socket bound before it connects, so that its
/// faults are registered under its address before the lab service can
/// accept it. Without faults, nothing to prepare.
#[allow(clippy::type_complexity)]
fn prepare(
    state: &AppState,
    addr: SocketAddr,
    faults: Option<Faults>,
) -> Result<(Option<TcpSocket>, Option<FaultGuard>), RelayError> {
    let Some(faults) = faults.filter(|f| !f.is_empty()) else {
        return Ok((None, None));
    };
    let Some(kind) = state.lab().fault_target(addr) else {
        return Err(faults::not_a_lab_service(addr));
    };
    faults.check(kind)?;
    if kind != FaultTransport::Tcp {
        return Err(faults::not_a_lab_service(addr));
    }
    let bind = |socket: TcpSocket| -> io::Result<TcpSocket> {
        socket.bind(SocketAddr::new(addr.ip(), 0))?;
        Ok(socket)
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .and_then(bind)
    .map_err(|error| RelayError::new(ErrorCode::Io, format!("cannot bind a socket: {error}")))?;
    let local = socket
        .local_addr()
        .map_err(|error| RelayError::new(ErrorCode::Io, format!("socket error: {error}")))?;
    let guard = state.lab().faults().register(local, faults);
    Ok((Some(socket), Some(guard)))
}

/// Our sending side: open, asked to shut down once the bytes before the
/// `shutdown` are written, or shut down (FIN sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteSide {
    Open,
    ShutdownPending,
    Shut,
}

/// Moves bytes both ways until the browser closes, the peer resets, or an
/// error ends the connection.
async fn transfer(
    mut stream: TcpStream,
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
    counts: &mut Counts,
) -> Result<Ended, Halt> {
    let mut unwritten: VecDeque<Bytes> = VecDeque::new();
    let mut unwritten_len = 0usize;
    let mut reading = true;
    let mut watching_errors = true;
    let mut write_side = WriteSide::Open;
    // Whether writing stalled on a full send buffer since the relay last
    // had nothing waiting.
    let mut stalled = false;
    // The session's limits on how long a connection may idle and live; an
    // operation without a session budget (a test's) has none.
    let mut clock = SocketClock::start(report);
    loop {
        tokio::select! {
            expired = clock.expired() => {
                let why = expired.reason("no byte moved", "connections");
                drop(stream);
                return Box::pin(close_by_relay(report, why)).await;
            }
            command = commands.recv(), if unwritten_len < MAX_UNWRITTEN => match command {
                Some(Command::SendTo { .. }) => report.reject(send_to_unsupported()).await?,
                Some(Command::Send(_) | Command::Shutdown) if write_side != WriteSide::Open => {
                    report.reject(RelayError::new(
                        ErrorCode::ShutDown,
                        "the sending side is already shut down: nothing more can be sent",
                    )).await?;
                }
                // Silence would leave the client waiting for a `sent`.
                Some(Command::Send(bytes)) if bytes.is_empty() => {
                    report.reject(RelayError::new(
                        ErrorCode::NotSupported,
                        "nothing to send: TCP carries bytes, not messages, so an empty send writes nothing (UDP can send an empty datagram)",
                    )).await?;
                }
                Some(Command::Send(bytes)) => {
                    unwritten_len += bytes.len();
                    unwritten.push_back(bytes);
                }
                Some(Command::Shutdown) => write_side = WriteSide::ShutdownPending,
                // Data already accepted is still written before the close,
                // as the kernel would do after close(), for a while: a peer
                // that stopped reading must not hold the socket forever.
                Some(Command::Close) => return Box::pin(close(stream, &mut unwritten, report, counts)).await,
                Some(Command::Abort) => return Box::pin(abort(stream, report)).await,
                // Nobody is left to report to, and a peer that reads slowly
                // (or never) must not keep the connection alive for bytes
                // nobody will hear about.
                None => return Ok(Ended::SessionGone),
            },
            // The queue of commands is full and not read (the peer stopped
            // reading): a close went around it.
            abort = report.close_asked(), if unwritten_len >= MAX_UNWRITTEN => {
                if abort {
                    return Box::pin(self::abort(stream, report)).await;
                }
                return Box::pin(close(stream, &mut unwritten, report, counts)).await;
            }
            // Commands are not read while the queue is full, so the end of
            // the session (its command sender dropped) must be heard here.
            () = report.session_ended(), if unwritten_len >= MAX_UNWRITTEN => {
                return Ok(Ended::SessionGone);
            }
            ready = stream.writable(), if !unwritten.is_empty() => {
                let wanted = unwritten.front().map_or(0, Bytes::len);
                let result = ready.and_then(|()| write_some(&stream, &mut unwritten));
                let n = match result {
                    Ok(n) => n,
                    Err(error) => return Box::pin(end_on_error(report, error)).await,
                };
                if n > 0 {
                    unwritten_len -= n;
                    counts.sent += n as u64;
                    report.event(EventKind::Sent { bytes: n as u64 }).await?;
                }
                // The kernel took less than offered: its send buffer is full
                // because the peer's window is. Say so once per stall.
                if n < wanted && !stalled {
                    stalled = true;
                    report.event(EventKind::SendBlocked { waiting: unwritten_len as u64 }).await?;
                }
                if unwritten.is_empty() {
                    stalled = false;
                }
            },
            // Past the peer's FIN nothing more is read, but the peer may
            // still reset (say, when our data reaches a socket it closed):
            // the kernel flags the error, and it is reported when it comes,
            // not at the next send.
            ready = stream.ready(Interest::ERROR), if !reading && watching_errors => {
                match ready.map(|_| stream.take_error()) {
                    Ok(Ok(Some(error))) | Ok(Err(error)) | Err(error) => {
                        return Box::pin(end_on_error(report, error)).await;
                    }
                    // Readiness without an error: nothing to watch for.
                    Ok(Ok(None)) => watching_errors = false,
                }
            },
            ready = stream.readable(), if reading => {
                let mut buf = report::read_buffer(READ_CHUNK);
                match ready.and_then(|()| stream.try_read_buf(&mut buf)) {
                    Ok(0) => {
                        reading = false;
                        report.event(EventKind::PeerClosed).await?;
                    }
                    Ok(n) => {
                        counts.received += n as u64;
                        report.received(buf).await?;
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    Err(error) => return Box::pin(end_on_error(report, error)).await,
                }
            },
        }
        clock.touch();
        // The FIN goes out once every byte sent before the shutdown has.
        if write_side == WriteSide::ShutdownPending && unwritten.is_empty() {
            if let Err(error) = stream.shutdown().await {
                return Box::pin(end_on_error(report, error)).await;
            }
            write_side = WriteSide::Shut;
            report.event(EventKind::ShutdownSent).await?;
        }
    }
}

/// How long a close waits for the bytes still queued to be written (the
/// relay's own SO_LINGER): after that they are dropped and the socket
/// closes.
const CLOSE_LINGER: Duration = Duration::from_secs(5);

/// Writes as much of the front buffer as the socket takes now; 0 when it
/// took nothing (spurious readiness).
fn write_some(stream: &TcpStream, unwritten: &mut VecDeque<Bytes>) -> io::Result<usize> {
    let front = unwritten
        .front_mut()
        .expect("only called with bytes to write");
    match stream.try_write(front) {
        Ok(n) => {
            if n == front.len() {
                unwritten.pop_front();
            } else {
                front.advance(n);
            }
            Ok(n)
        }
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(0),
        Err(error) => Err(error),
    }
}

/// The browser's close of an open connection: what waits is written first,
/// for at most [`CLOSE_LINGER`], then the socket closes.
async fn close(
    stream: TcpStream,
    unwritten: &mut VecDeque<Bytes>,
    report: &Reporter,
    counts: &mut Counts,
) -> Result<Ended, Halt> {
    let deadline = tokio::time::Instant::now() + CLOSE_LINGER;
    match flush(&stream, unwritten, report, counts, deadline).await? {
        Ok(Flushed::All) => {}
        Err(error) => return fail(report, error).await,
        Ok(Flushed::OutOfTime) => {
            let left: usize = unwritten.iter().map(Bytes::len).sum();
            report
                .reject(RelayError::new(
                    ErrorCode::TimedOut,
                    format!(
                        "{} still waited to be sent {} s after close: the peer stopped \
                         reading, so they were dropped",
                        roundtrip_shared::payload::format_bytes(left as u64),
                        CLOSE_LINGER.as_secs()
                    ),
                ))
                .await?;
        }
    }
    drop(stream);
    report
        .event(EventKind::Closed {
            by: Closer::Browser,
        })
        .await?;
    Ok(Ended::Closed(Closer::Browser))
}

/// Aborts the connection as `close()` does after `SO_LINGER` 0: what waits
/// to be written is dropped and the kernel sends an RST, not a FIN.
async fn abort(stream: TcpStream, report: &Reporter) -> Result<Ended, Halt> {
    if let Err(error) = stream.set_zero_linger() {
        // Without the linger the close would be a FIN: say so, and close.
        tracing::debug!(%error, "SO_LINGER 0 refused; closing with a FIN");
        drop(stream);
    } else {
        drop(stream);
        report.event(EventKind::ResetSent).await?;
    }
    report
        .event(EventKind::Closed {
            by: Closer::Browser,
        })
        .await?;
    Ok(Ended::Closed(Closer::Browser))
}

/// How a [`flush`] ended.
enum Flushed {
    All,
    /// The deadline came with bytes still waiting (the peer stopped reading).
    OutOfTime,
}

/// Writes everything still waiting, reporting each write, until
/// `deadline`. Only waiting for the socket is bounded: a write made is
/// always reported.
async fn flush(
    stream: &TcpStream,
    unwritten: &mut VecDeque<Bytes>,
    report: &Reporter,
    counts: &mut Counts,
    deadline: tokio::time::Instant,
) -> Result<Result<Flushed, RelayError>, Halt> {
    while !unwritten.is_empty() {
        let result = match tokio::time::timeout_at(deadline, stream.writable()).await {
            Err(_) => return Ok(Ok(Flushed::OutOfTime)),
            Ok(Ok(())) => write_some(stream, unwritten),
            Ok(Err(error)) => Err(error),
        };
        match result {
            Ok(0) => {}
            Ok(n) => {
                counts.sent += n as u64;
                report.event(EventKind::Sent { bytes: n as u64 }).await?;
            }
            Err(error) => return Ok(Err(io_error(&error))),
        }
    }
    Ok(Ok(Flushed::All))
}

/// A read or write failed on an open connection: a reset is reported as the
/// peer's doing, anything else as a failure.
async fn end_on_error(report: &Reporter, error: io::Error) -> Result<Ended, Halt> {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    ) {
        report.event(EventKind::Reset).await?;
        report.event(EventKind::Closed { by: Closer::Peer }).await?;
        return Ok(Ended::Closed(Closer::Peer));
    }
    fail(report, io_error(&error)).await
}

/// Names a failed connect the way a learner meets it in the socket API.
fn connect_error(error: &io::Error, addr: SocketAddr) -> RelayError {
    use io::ErrorKind::*;
    match error.kind() {
        ConnectionRefused => RelayError::new(
            ErrorCode::Refused,
            format!(
                "connection refused: nothing is listening on {addr} (the host answered with RST)"
            ),
        ),
        // A server can accept and abort before our side sees the handshake end.
        ConnectionReset => RelayError::new(
            ErrorCode::Reset,
            format!("{addr} reset the connection during the handshake"),
        ),
        TimedOut => RelayError::new(
            ErrorCode::TimedOut,
            format!("connection to {addr} timed out"),
        ),
        HostUnreachable | NetworkUnreachable | AddrNotAvailable => RelayError::new(
            ErrorCode::Unreachable,
            format!("{addr} is unreachable: {error}"),
        ),
        _ => RelayError::new(ErrorCode::Io, format!("cannot connect to {addr}: {error}")),
    }
}

fn io_error(error: &io::Error) -> RelayError {
    RelayError::new(ErrorCode::Io, format!("socket error: {error}"))
}
