//! One WebSocket session.
//!
//! Two tasks: this one reads frames and dispatches them; a writer task owns
//! the sending half and is the only one that writes frames. Operations send
//! their events to the writer through one bounded channel, so a browser that
//! reads slowly slows the operations down instead of growing a buffer.
//! A browser that stops reading does not keep its session: a frame it does
//! not take within the write deadline ends the session, and the closes
//! (idle, lifetime, shutdown) go to the writer beside the queue.
//!
//! A bad message never ends the session: it is answered with a typed
//! [`ServerMsg::Error`] and the session reads on.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, FIRST_RELAY_OP, OpId, PROTOCOL_VERSION, RelayError,
    ServerMsg, SessionClose,
};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::connectors::{dns, http, listen, tcp, udp};
use crate::op::{Closing, Command, Registration, Spawner};
use crate::report::{Outgoing, Reporter};
use crate::{AppState, limits, telemetry};

/// Messages waiting for the writer. With reads of 16 KiB this bounds what a
/// session buffers for a slow browser to about half a mebibyte.
const OUTGOING_CAPACITY: usize = 32;
// Commands waiting for one operation (shared: the page's pacing is
// checked against it at compile time).
use roundtrip_shared::pacing::RELAY_OP_QUEUE as COMMAND_CAPACITY;
/// How long a request waits for room in an operation's full command queue
/// before it is refused.
const STALL: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a send to an operation whose peer stopped reading is refused.
fn not_reading(op: OpId) -> RelayError {
    RelayError::new(
        ErrorCode::LimitReached,
        format!(
            "operation {op}: the peer is not reading, and the relay already holds all it will \
             for it, so this request was refused. Wait for `sent` events before sending more, \
             or close"
        ),
    )
}

/// Closes a session that cannot be admitted, saying why (code 1013).
pub async fn refuse(mut socket: WebSocket, reason: &str) {
    tracing::info!(%reason, "session refused");
    telemetry::refused("sessions");
    telemetry::session_refused(SessionClose::TryAgainLater.code());
    let frame = CloseFrame {
        code: SessionClose::TryAgainLater.code(),
        reason: Utf8Bytes::from(reason),
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(Message::Close(Some(frame)))).await;
}

pub async fn run(socket: WebSocket, state: AppState, client: std::net::IpAddr) {
    tracing::info!("session started");
    telemetry::session_started();
    let started = std::time::Instant::now();
    let (sink, mut stream) = socket.split();
    let (out, out_rx) = mpsc::channel(OUTGOING_CAPACITY);
    let (close_tx, close_rx) = oneshot::channel();
    let (encoding_tx, encoding_rx) = watch::channel(DataEncoding::Binary);
    let limits = state.config().limits.clone();
    let mut writer = tokio::spawn(write_frames(
        sink,
        out_rx,
        close_rx,
        encoding_rx,
        limits.write_timeout,
    ));
    let mut shutting_down = state.shutting_down();
    let (registrations, mut registered) = mpsc::unbounded_channel();
    let ended = CancellationToken::new();
    let budget = limits::Budget::for_client(&limits, state.shared_limits().clone(), client);
    let mut session = Session {
        budget,
        state,
        out: out.clone(),
        encoding: encoding_tx,
        greeted: false,
        ops: HashMap::new(),
        spawner: Spawner::new(registrations, client),
        closing: std::sync::Arc::default(),
        stalled: std::collections::HashSet::new(),
        ended: ended.clone(),
    };
    // The lifetime, a shutdown and a writer that gave up are watched from
    // outside the read loop: the loop can be held up (by a full outgoing
    // queue, say, when the browser stops reading), and these must end the
    // session all the same.
    let mut writer_ended = false;
    let close = tokio::select! {
        close = read_frames(&mut stream, &mut session, &mut registered, &limits) => close,
        () = tokio::time::sleep(limits.session_lifetime) => {
            Some((SessionClose::Lifetime.code(), "session lifetime reached".into()))
        }
        () = async { let _ = shutting_down.wait_for(|down| *down).await; } => {
            Some((SessionClose::GoingAway.code(), crate::GOING_AWAY_REASON.into()))
        }
        // The browser is gone, or stopped taking frames.
        _ = &mut writer => {
            writer_ended = true;
            None
        }
    };
    // Every operation ends with the session, whatever it is waiting for.
    ended.cancel();
    telemetry::session_ended(close.as_ref().map(|(code, _)| *code), started.elapsed());
    // Without a close to send, dropping the sender tells the writer to end.
    if let Some(close) = close {
        let _ = close_tx.send(close);
    } else {
        drop(close_tx);
    }
    drop(session);
    drop(out);
    // Bounded: the writer gives a close at most CLOSE_GRACE.
    if !writer_ended {
        let _ = writer.await;
    }
    tracing::info!("session ended");
}

/// Reads and handles the browser's frames until the session should end;
/// the close to send, if any.
async fn read_frames(
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
    session: &mut Session,
    registered: &mut mpsc::UnboundedReceiver<Registration>,
    limits: &limits::Limits,
) -> Option<CloseWith> {
    let hello_by = tokio::time::Instant::now() + limits.hello_timeout;
    loop {
        let message = tokio::select! {
            // Registrations first: an operation registers a new id before it
            // tells the browser about it, so the browser's requests about
            // that id, which come later, must find it registered.
            biased;
            Some(registration) = registered.recv() => {
                session.register(registration);
                continue;
            }
            message = tokio::time::timeout(
                if session.greeted {
                    limits.session_idle
                } else {
                    limits.session_idle.min(hello_by.saturating_duration_since(tokio::time::Instant::now()))
                },
                stream.next(),
            ) => match message {
                Ok(message) => message,
                Err(_idle) => {
                    let reason = if session.greeted {
                        "session idle for too long"
                    } else {
                        "no hello in time"
                    };
                    return Some((SessionClose::Idle.code(), reason.into()));
                }
            },
        };
        let frame = match message {
            Some(Ok(Message::Text(text))) => Frame::Text(text.to_string()),
            // The hot path: a binary send's payload goes on to its
            // operation as a slice of the frame, not copied.
            Some(Ok(Message::Binary(bytes)))
                if session.greeted
                    && let Some(op) = frame::send_op(&bytes) =>
            {
                let payload = bytes.slice(frame::SEND_HEADER..);
                session.command(op, Command::Send(payload)).await;
                continue;
            }
            Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
            // axum answers pings itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => return None,
            Some(Err(error)) => {
                tracing::info!(%error, "session read failed");
                if is_too_large(error) {
                    let reason = format!(
                        "message too large: the relay accepts at most {} KiB",
                        session.state.config().max_ws_message / 1024
                    );
                    return Some((SessionClose::MessageTooBig.code(), reason.into()));
                }
                return None;
            }
        };
        session.handle(frame).await;
    }
}

/// The limits as the page shows them; "unlimited" byte rates are left out.
fn session_limits(limits: &limits::Limits) -> roundtrip_shared::protocol::SessionLimits {
    let per_minute = |n: std::num::NonZeroU32| (n.get() != u32::MAX).then_some(u64::from(n.get()));
    roundtrip_shared::protocol::SessionLimits {
        max_ops: u32::try_from(limits.max_ops_per_session).unwrap_or(u32::MAX),
        ops_per_second: limits.ops_per_second.get(),
        bytes_out_per_minute: per_minute(limits.bytes_out_per_minute),
        bytes_in_per_minute: per_minute(limits.bytes_in_per_minute),
        session_idle_s: limits.session_idle.as_secs(),
        session_lifetime_s: limits.session_lifetime.as_secs(),
        session_bytes: (limits.session_bytes != u64::MAX).then_some(limits.session_bytes),
    }
}

fn is_too_large(error: axum::Error) -> bool {
    error
        .into_inner()
        .downcast_ref::<tungstenite::Error>()
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}

/// The close code and reason a session ends with.
type CloseWith = (u16, std::borrow::Cow<'static, str>);

/// How long a closing session gives the browser to take what is queued and
/// the close frame (and a frame already on its way to finish). A browser
/// that takes nothing does not hold the session's place past it.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The writer: sends queued messages until the session asks it to close (or
/// ends). A frame that cannot be written within `write_timeout` (the browser
/// stopped reading) ends it, and with it the session.
async fn write_frames(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    mut close: oneshot::Receiver<CloseWith>,
    encoding: watch::Receiver<DataEncoding>,
    write_timeout: Duration,
) {
    let encode = |item: Outgoing| match item {
        Outgoing::Msg(msg) => match frame::encode_server(&msg, *encoding.borrow()) {
            Frame::Text(text) => Message::Text(text.into()),
            Frame::Binary(bytes) => Message::Binary(bytes.into()),
        },
        Outgoing::Data(frame) => data_message(frame, *encoding.borrow()),
    };
    let asked = loop {
        let item = tokio::select! {
            biased;
            asked = &mut close => break asked,
            item = outgoing.recv() => item,
        };
        let Some(item) = item else { return };
        // What is already queued behind it goes out in the same flush:
        // frames that pile up (data and `sent` events under load) take one
        // write, not one each. The whole write has the deadline.
        let batch = async {
            sink.feed(encode(item)).await?;
            let mut fed = 1;
            while fed < OUTGOING_CAPACITY {
                let Ok(item) = outgoing.try_recv() else { break };
                sink.feed(encode(item)).await?;
                fed += 1;
            }
            sink.flush().await
        };
        let send = tokio::time::timeout(write_timeout, batch);
        tokio::pin!(send);
        let (sent, asked) = tokio::select! {
            biased;
            sent = &mut send => (sent, None),
            asked = &mut close => match tokio::time::timeout(CLOSE_GRACE, &mut send).await {
                Ok(sent) => (sent, Some(asked)),
                // The browser takes nothing: no close frame can follow.
                Err(_) => return,
            },
        };
        match sent {
            Ok(Ok(())) => {}
            // The browser is gone; the read loop notices too.
            Ok(Err(_)) => return,
            Err(_) => {
                tracing::info!(
                    "the browser took no frame for {} s: session ended",
                    write_timeout.as_secs_f32()
                );
                return;
            }
        }
        if let Some(asked) = asked {
            break asked;
        }
    };
    // No close asked for (the session just ended): nothing more to say.
    let Ok((code, reason)) = asked else { return };
    let closing = async {
        // What is queued already goes first.
        while let Ok(item) = outgoing.try_recv() {
            sink.feed(encode(item)).await?;
        }
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.as_ref()),
        };
        sink.send(Message::Close(Some(frame))).await
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, closing).await;
}

/// A binary `data` frame as it goes to the browser: as it is, or in its
/// JSON form for a client that asked for JSON.
fn data_message(frame: bytes::Bytes, encoding: DataEncoding) -> Message {
    match encoding {
        DataEncoding::Binary => Message::Binary(frame),
        DataEncoding::Json => match frame::decode_server(&Frame::Binary(frame.to_vec())) {
            Ok(msg) => match frame::encode_server(&msg, DataEncoding::Json) {
                Frame::Text(text) => Message::Text(text.into()),
                Frame::Binary(bytes) => Message::Binary(bytes.into()),
            },
            // The relay built the frame itself.
            Err(_) => Message::Binary(frame),
        },
    }
}

struct Session {
    /// This session's rates (operations per second, bytes per minute).
    budget: std::sync::Arc<limits::Budget>,
    state: AppState,
    out: mpsc::Sender<Outgoing>,
    encoding: watch::Sender<DataEncoding>,
    greeted: bool,
    /// Running operations. An operation whose task has ended has a closed
    /// sender; such entries are pruned when a new operation starts.
    ops: HashMap<OpId, mpsc::Sender<Command>>,
    /// Ids and registration for operations that operations create.
    spawner: Spawner,
    /// Closes that went around a full command queue.
    closing: std::sync::Arc<Closing>,
    /// Operations whose queue stayed full for [`STALL`]: their sends are
    /// refused at once while it stays full, so one peer that stopped
    /// reading does not hold up the session's other operations.
    stalled: std::collections::HashSet<OpId>,
    /// Cancelled when the session ends: operations stop whatever they wait
    /// for (a peer that stopped reading, a full queue).
    ended: CancellationToken,
}

/// The longest connect or DNS timeout a request may ask for: a wait the
/// learner can sit through, not one that holds a socket for days.
const MAX_TIMEOUT_MS: u64 = 60_000;

/// A request's timeout `field`, when given: 1 ms to [`MAX_TIMEOUT_MS`].
fn timeout(field: &str, ms: Option<u64>) -> Result<Option<std::time::Duration>, RelayError> {
    match ms {
        None => Ok(None),
        Some(ms @ 1..=MAX_TIMEOUT_MS) => Ok(Some(std::time::Duration::from_millis(ms))),
        Some(ms) => Err(RelayError::new(
            ErrorCode::Malformed,
            format!("{field} is {ms}; it must be between 1 and {MAX_TIMEOUT_MS} ms"),
        )),
    }
}

impl Session {
    async fn handle(&mut self, frame: Frame) {
        let msg = match frame::decode_client(&frame) {
            Ok(msg) => msg,
            // Said about the operation the frame names, if it names one.
            Err(error) => return self.reject(frame::op_of(&frame), error).await,
        };
        if !self.greeted && !matches!(msg, ClientMsg::Hello { .. }) {
            let error = RelayError::new(
                ErrorCode::ExpectedHello,
                format!(
                    "send {{\"type\":\"hello\",\"version\":{PROTOCOL_VERSION}}} before anything else"
                ),
            );
            return self.reject(msg.op(), error).await;
        }
        match msg {
            ClientMsg::Hello { version, data } => self.hello(version, data).await,
            ClientMsg::TcpConnect {
                op,
                target,
                connect_timeout_ms,
                nodelay,
                faults,
            } => {
                let connect_timeout = match timeout("connect_timeout_ms", connect_timeout_ms) {
                    Ok(timeout) => timeout.unwrap_or(self.state.config().connect_timeout),
                    Err(error) => return self.reject(Some(op), error).await,
                };
                let options = tcp::Options {
                    client: self.spawner.client(),
                    connect_timeout,
                    nodelay,
                    faults,
                };
                let state = self.state.clone();
                self.start(
                    op,
                    "tcp",
                    tracing::info_span!("tcp", op),
                    |commands, report| async move {
                        tcp::run(&state, target, options, commands, report).await
                    },
                )
                .await
            }
            ClientMsg::UdpOpen {
                op,
                target,
                bind_port,
                recv_timeout_ms,
                faults,
            } => {
                let options = udp::Options {
                    bind_port: bind_port.unwrap_or(0),
                    // As with SO_RCVTIMEO, 0 means no timeout.
                    recv_timeout: recv_timeout_ms
                        .filter(|&ms| ms > 0)
                        .map(std::time::Duration::from_millis),
                    faults,
                };
                let state = self.state.clone();
                self.start(
                    op,
                    "udp",
                    tracing::info_span!("udp", op),
                    |commands, report| async move {
                        udp::run(&state, target, options, commands, report).await
                    },
                )
                .await
            }
            ClientMsg::TcpListen { op, port } => {
                let spawner = self.spawner.clone();
                let state = self.state.clone();
                self.start(
                    op,
                    "listen",
                    tracing::info_span!("listen", op),
                    |commands, report| async move {
                        listen::run(&state, port.unwrap_or(0), spawner, commands, report).await
                    },
                )
                .await
            }
            ClientMsg::Send { op, data } => self.command(op, Command::Send(data.0.into())).await,
            ClientMsg::SendTo { op, target, data } => {
                self.command(
                    op,
                    Command::SendTo {
                        target,
                        data: data.0.into(),
                    },
                )
                .await
            }
            ClientMsg::Shutdown { op } => self.command(op, Command::Shutdown).await,
            ClientMsg::Close { op } => self.command(op, Command::Close).await,
            ClientMsg::Abort { op } => self.command(op, Command::Abort).await,
            ClientMsg::HttpRequest(request) => {
                let state = self.state.clone();
                let op = request.op;
                self.start(
                    op,
                    "http",
                    tracing::info_span!("http", op),
                    |commands, report| async move {
                        http::run(&state, request, commands, report).await
                    },
                )
                .await
            }
            ClientMsg::DnsQuery {
                op,
                name,
                rtype,
                mode,
                server,
                timeout_ms,
            } => {
                let timeout = match timeout("timeout_ms", timeout_ms) {
                    Ok(timeout) => timeout.unwrap_or(dns::DEFAULT_TIMEOUT),
                    Err(error) => return self.reject(Some(op), error).await,
                };
                let request = dns::Request {
                    name,
                    rtype,
                    mode,
                    server,
                    timeout,
                };
                let state = self.state.clone();
                self.start(
                    op,
                    "dns",
                    tracing::info_span!("dns", op),
                    |commands, report| async move {
                        dns::run(&state, request, commands, report).await
                    },
                )
                .await
            }
        }
    }

    async fn hello(&mut self, version: u32, data: DataEncoding) {
        // The encoding is the session's: one hello, one welcome.
        if self.greeted {
            let error = RelayError::new(
                ErrorCode::NotSupported,
                "this session already said hello; the first one holds (a new hello needs a new session)",
            );
            return self.reject(None, error).await;
        }
        if version != PROTOCOL_VERSION {
            let error = RelayError::new(
                ErrorCode::UnsupportedVersion,
                format!("this relay speaks protocol version {PROTOCOL_VERSION}, not {version}"),
            );
            return self.reject(None, error).await;
        }
        self.greeted = true;
        self.encoding.send_replace(data);
        let welcome = ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            relay: format!("roundtrip {}", env!("CARGO_PKG_VERSION")),
            services: self.state.lab().services(),
            limits: Some(session_limits(&self.state.config().limits)),
        };
        let _ = self.out.send(Outgoing::msg(welcome)).await;
    }

    /// Starts operation `op` as a task of its own, unless the id is taken.
    async fn start<F, Fut>(
        &mut self,
        op: OpId,
        kind: &'static str,
        span: tracing::Span,
        operation: F,
    ) where
        F: FnOnce(mpsc::Receiver<Command>, Reporter) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.prune();
        if op >= FIRST_RELAY_OP {
            let error = RelayError::new(
                ErrorCode::OpInUse,
                format!(
                    "ids from {FIRST_RELAY_OP} (0x80000000) up are the relay's, for accepted \
                     connections: pick a smaller id"
                ),
            );
            return self.reject(Some(op), error).await;
        }
        let max = self.state.config().limits.max_ops_per_session;
        if self.ops.len() >= max {
            let error = RelayError::new(
                ErrorCode::LimitReached,
                format!(
                    "this session already has {max} open operations, its limit: close one first"
                ),
            );
            return self.reject(Some(op), error).await;
        }
        if !self.budget.start_op() {
            let error = RelayError::new(
                ErrorCode::LimitReached,
                format!(
                    "too many new operations: at most {} per second in this session",
                    self.state.config().limits.ops_per_second
                ),
            );
            return self.reject(Some(op), error).await;
        }
        if self.ops.contains_key(&op) {
            let error = RelayError::new(
                ErrorCode::OpInUse,
                format!("operation {op} is still running: pick a new id"),
            );
            return self.reject(Some(op), error).await;
        }
        // Every operation holds a socket (or a few, one after the other).
        let socket = match self.state.open_socket(self.spawner.client()) {
            Ok(socket) => socket,
            Err(error) => return self.reject(Some(op), error).await,
        };
        let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        self.ops.insert(op, commands);
        telemetry::operation_started(kind);
        let report = Reporter::new(op, self.out.clone())
            .with_kind(kind)
            .with_budget(self.budget.clone())
            .with_closing(self.closing.clone())
            .with_session_end(self.ended.clone());
        // Boxed: the task below holds the operation both before and while
        // awaiting it, and rustc lays those out side by side; boxed, both
        // are a pointer, and the operation's state is allocated once.
        let operation = Box::pin(operation(command_rx, report));
        let ended = self.ended.clone();
        tokio::spawn(
            async move {
                // The operation is told the session ended and ends on its own
                // (saying so in its log line); an operation waiting on
                // something else is dropped, sockets and all.
                tokio::select! {
                    biased;
                    () = operation => {}
                    () = ended.cancelled() => {}
                }
                drop(socket);
            }
            .instrument(span),
        );
    }

    /// Routes requests about an operation another operation created, if
    /// the session has room for one more; answers either way.
    fn register(&mut self, registration: Registration) {
        self.prune();
        let max = self.state.config().limits.max_ops_per_session;
        let answer = if self.ops.len() >= max {
            Err(RelayError::new(
                ErrorCode::LimitReached,
                format!(
                    "this session already has {max} open operations, its limit: the \
                     connection was closed"
                ),
            ))
        } else {
            self.ops.insert(registration.op, registration.commands);
            Ok(())
        };
        let _ = registration.admitted.send(answer);
    }

    /// Forgets operations whose task has ended.
    fn prune(&mut self) {
        let (closing, stalled) = (&self.closing, &mut self.stalled);
        self.ops.retain(|op, commands| {
            let running = !commands.is_closed();
            if !running {
                closing.forget(*op);
                stalled.remove(op);
            }
            running
        });
    }

    async fn command(&mut self, op: OpId, command: Command) {
        let Some(commands) = self.ops.get(&op).cloned() else {
            let error = RelayError::new(
                ErrorCode::UnknownOp,
                format!("there is no operation {op} in this session"),
            );
            return self.reject(Some(op), error).await;
        };
        let ended = || {
            RelayError::new(
                ErrorCode::UnknownOp,
                format!("operation {op} has already ended"),
            )
        };
        let is_data = matches!(command, Command::Send(_) | Command::SendTo { .. });
        // Still stalled: refused before it is counted against the budget.
        if is_data && self.stalled.contains(&op) && commands.capacity() == 0 {
            return self.reject(Some(op), not_reading(op)).await;
        }
        // Past the byte budget, wait: this session's WebSocket is then read
        // more slowly, which pushes back on the browser.
        if let Command::Send(bytes) | Command::SendTo { data: bytes, .. } = &command {
            if !self.budget.charge(bytes.len()) {
                let error = self.budget.total_reached();
                let _ = self
                    .out
                    .send(Outgoing::msg(ServerMsg::Error {
                        op: Some(op),
                        error,
                    }))
                    .await;
                return;
            }
            self.budget.outbound(bytes.len()).await;
            telemetry::bytes(telemetry::Direction::ToTarget, bytes.len());
        }
        let command = match commands.try_send(command) {
            Ok(()) => {
                self.stalled.remove(&op);
                return;
            }
            Err(TrySendError::Closed(_)) => return self.reject(Some(op), ended()).await,
            Err(TrySendError::Full(command)) => command,
        };
        if let Command::Close | Command::Abort = command {
            // The queue is full (a peer that stopped reading holds it up):
            // the close goes around it, and into it once there is room.
            self.closing.ask(op, matches!(command, Command::Abort));
            tokio::spawn(async move {
                let _ = commands.send(command).await;
            });
            return;
        }
        // A full queue: wait a little, as a blocking send() would, but never
        // long, so the session's other operations keep going.
        match tokio::time::timeout(STALL, commands.send(command)).await {
            Ok(Ok(())) => {
                self.stalled.remove(&op);
            }
            Ok(Err(_)) => self.reject(Some(op), ended()).await,
            Err(_) => {
                self.stalled.insert(op);
                self.reject(Some(op), not_reading(op)).await;
            }
        }
    }

    async fn reject(&self, op: Option<OpId>, error: RelayError) {
        if error.code == ErrorCode::LimitReached {
            telemetry::refused("limit");
        }
        tracing::debug!(?op, code = error.code.as_str(), "message rejected");
        let _ = self
            .out
            .send(Outgoing::msg(ServerMsg::Error { op, error }))
            .await;
    }
}
