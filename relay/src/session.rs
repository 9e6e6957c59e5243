//! One WebSocket session.
//!
//! Two tasks: this one reads frames and dispatches them; a writer task owns
//! the sending half and is the only one that writes frames. Operations send
//! their events to the writer through one bounded channel, so a browser that
//! reads slowly slows the operations down instead of growing a buffer.
//!
//! A bad message never ends the session: it is answered with a typed
//! [`ServerMsg::Error`] and the session reads on.

use std::collections::HashMap;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, OpId, PROTOCOL_VERSION, RelayError, ServerMsg,
};
use roundtrip_shared::wire::{self, Frame};
use tokio::sync::{mpsc, watch};
use tracing::Instrument as _;

use crate::AppState;
use crate::connectors::{dns, tcp};
use crate::op::Command;
use crate::report::{Outgoing, Reporter};

/// Messages waiting for the writer. With reads of 16 KiB this bounds what a
/// session buffers for a slow browser to about half a mebibyte.
const OUTGOING_CAPACITY: usize = 32;
/// Commands waiting for one operation.
const COMMAND_CAPACITY: usize = 16;

/// WebSocket close code 1001: the relay is going away.
const CLOSE_GOING_AWAY: u16 = 1001;

pub async fn run(socket: WebSocket, state: AppState) {
    tracing::info!("session started");
    let (sink, mut stream) = socket.split();
    let (out, out_rx) = mpsc::channel(OUTGOING_CAPACITY);
    let (encoding_tx, encoding_rx) = watch::channel(DataEncoding::Binary);
    let writer = tokio::spawn(write_frames(sink, out_rx, encoding_rx));
    let mut shutting_down = state.shutting_down();
    let mut session = Session {
        state,
        out: out.clone(),
        encoding: encoding_tx,
        greeted: false,
        ops: HashMap::new(),
    };
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            () = async { let _ = shutting_down.wait_for(|down| *down).await; } => {
                let _ = out.send(Outgoing::Close(CLOSE_GOING_AWAY, "relay shutting down")).await;
                break;
            }
        };
        let frame = match message {
            Some(Ok(Message::Text(text))) => Frame::Text(text.to_string()),
            Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
            // axum answers pings itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(error)) => {
                tracing::info!(%error, "session read failed");
                break;
            }
        };
        session.handle(frame).await;
    }
    // Dropping the operations' command senders ends their tasks, which drop
    // their sockets; the writer ends when the last sender of `out` is gone.
    drop(session);
    drop(out);
    let _ = writer.await;
    tracing::info!("session ended");
}

async fn write_frames(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    encoding: watch::Receiver<DataEncoding>,
) {
    while let Some(item) = outgoing.recv().await {
        let message = match item {
            Outgoing::Msg(msg) => match wire::encode_server(&msg, *encoding.borrow()) {
                Frame::Text(text) => Message::Text(text.into()),
                Frame::Binary(bytes) => Message::Binary(bytes.into()),
            },
            Outgoing::Close(code, reason) => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: Utf8Bytes::from_static(reason),
                    })))
                    .await;
                return;
            }
        };
        if sink.send(message).await.is_err() {
            // The browser is gone; the read loop will notice too.
            return;
        }
    }
}

struct Session {
    state: AppState,
    out: mpsc::Sender<Outgoing>,
    encoding: watch::Sender<DataEncoding>,
    greeted: bool,
    /// Running operations. An operation whose task has ended has a closed
    /// sender; such entries are pruned when a new operation starts.
    ops: HashMap<OpId, mpsc::Sender<Command>>,
}

impl Session {
    async fn handle(&mut self, frame: Frame) {
        let msg = match wire::decode_client(&frame) {
            Ok(msg) => msg,
            Err(error) => return self.reject(None, error).await,
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
            } => {
                let timeout = connect_timeout_ms
                    .map(std::time::Duration::from_millis)
                    .unwrap_or(self.state.config().connect_timeout);
                let state = self.state.clone();
                self.start(
                    op,
                    tracing::info_span!("tcp", op),
                    |commands, report| async move {
                        tcp::run(state.lab(), target, timeout, commands, report).await
                    },
                )
                .await
            }
            ClientMsg::Send { op, data } => self.command(op, Command::Send(data.0)).await,
            ClientMsg::Close { op } => self.command(op, Command::Close).await,
            ClientMsg::DnsQuery {
                op,
                name,
                rtype,
                mode,
                server,
                timeout_ms,
            } => {
                let request = dns::Request {
                    name,
                    rtype,
                    mode,
                    server,
                    timeout: timeout_ms
                        .map(std::time::Duration::from_millis)
                        .unwrap_or(dns::DEFAULT_TIMEOUT),
                };
                let state = self.state.clone();
                self.start(
                    op,
                    tracing::info_span!("dns", op),
                    |commands, report| async move {
                        dns::run(state.lab(), request, commands, report).await
                    },
                )
                .await
            }
        }
    }

    async fn hello(&mut self, version: u32, data: DataEncoding) {
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
        };
        let _ = self.out.send(Outgoing::Msg(welcome)).await;
    }

    /// Starts operation `op` as a task of its own, unless the id is taken.
    async fn start<F, Fut>(&mut self, op: OpId, span: tracing::Span, operation: F)
    where
        F: FnOnce(mpsc::Receiver<Command>, Reporter) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.ops.retain(|_, commands| !commands.is_closed());
        if self.ops.contains_key(&op) {
            let error = RelayError::new(
                ErrorCode::OpInUse,
                format!("operation {op} is still running: pick a new id"),
            );
            return self.reject(Some(op), error).await;
        }
        let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        self.ops.insert(op, commands);
        let report = Reporter::new(op, self.out.clone());
        tokio::spawn(operation(command_rx, report).instrument(span));
    }

    async fn command(&mut self, op: OpId, command: Command) {
        let error = match self.ops.get(&op) {
            Some(commands) => match commands.send(command).await {
                Ok(()) => return,
                Err(_) => RelayError::new(
                    ErrorCode::UnknownOp,
                    format!("operation {op} has already ended"),
                ),
            },
            None => RelayError::new(
                ErrorCode::UnknownOp,
                format!("there is no operation {op} in this session"),
            ),
        };
        self.reject(Some(op), error).await;
    }

    async fn reject(&self, op: Option<OpId>, error: RelayError) {
        tracing::debug!(?op, code = error.code.as_str(), "message rejected");
        let _ = self
            .out
            .send(Outgoing::Msg(ServerMsg::Error { op, error }))
            .await;
    }
}
