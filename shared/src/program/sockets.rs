//! A program's sockets: the calls a Python program running in the page
//! makes (`connect`, `send`, `recv`, ...) turned into the same relay
//! operations the panels start, and the relay's events turned back into
//! what each blocking call returns or raises.
//!
//! Pure: the page feeds it the program's [`Request`]s and the relay's
//! messages, and carries out the [`Effect`]s it gives back (a message to
//! the relay, a [`Reply`] to the program). Timers are the page's: a call
//! with a deadline is given back as [`Effect::Deadline`], and the page
//! calls [`Sockets::expire`] when it passes.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::python_error::{self, PyError, PyException};
use crate::payload::Payload;
use crate::protocol::{ClientMsg, EventKind, OpId, RelayError, ServerMsg};
use crate::protocol_de::{Fields, through_value};

/// Which call of the program a reply answers.
pub type CallId = u32;
/// The program's handle for one socket (its `fileno()`).
pub type SockId = u32;

/// Bytes received and not yet read by the program that one socket keeps.
/// A program that never calls `recv` cannot make the page grow: past this,
/// the socket fails with `ENOBUFS` (a real kernel would shrink the window
/// and the sender would wait; the relay reads on regardless).
pub const MAX_UNREAD: usize = 1 << 20;

/// One call of the program, as the worker sends it. Read by hand, as the
/// protocol's messages are (`protocol_de`): the derived reading of a
/// flattened, tagged call would buffer it and read it twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    pub id: CallId,
    #[serde(flatten)]
    pub call: Call,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// `sock.connect((host, port))` on a TCP socket.
    Connect {
        sock: SockId,
        host: String,
        port: u16,
        /// `settimeout`'s value for the handshake (None: the relay's own).
        #[serde(default)]
        timeout_ms: Option<u64>,
        /// `setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)` before connecting.
        #[serde(default)]
        nodelay: bool,
    },
    /// `sock.sendall(data)`: returns when the relay has written it all.
    Send { sock: SockId, data: Payload },
    /// `sock.recv(max)`: what has arrived (at most `max` bytes), `b""` at
    /// the end of the stream, or a wait until one of those.
    Recv {
        sock: SockId,
        max: u32,
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    /// `sock.shutdown(SHUT_WR)` (other `how`s are done in the shim).
    Shutdown { sock: SockId },
    /// `sock.close()`.
    Close { sock: SockId },
}

/// Every `call`, as serde spells them.
const CALLS: &[&str] = &["connect", "send", "recv", "shutdown", "close"];

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, |value| {
            // The call is flattened into the request: other fields are
            // ignored.
            let mut f = Fields::of(value, "struct Request")?;
            let id = f.req("id")?;
            let call: String = f.req("call")?;
            let call = match call.as_str() {
                "connect" => Call::Connect {
                    sock: f.req("sock")?,
                    host: f.req("host")?,
                    port: f.req("port")?,
                    timeout_ms: f.opt("timeout_ms")?,
                    nodelay: f.or_default("nodelay")?,
                },
                "send" => Call::Send {
                    sock: f.req("sock")?,
                    data: f.req("data")?,
                },
                "recv" => Call::Recv {
                    sock: f.req("sock")?,
                    max: f.req("max")?,
                    timeout_ms: f.opt("timeout_ms")?,
                },
                "shutdown" => Call::Shutdown {
                    sock: f.req("sock")?,
                },
                "close" => Call::Close {
                    sock: f.req("sock")?,
                },
                other => return Err(serde::de::Error::unknown_variant(other, CALLS)),
            };
            Ok(Request { id, call })
        })
    }
}

/// The answer to one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub id: CallId,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// The call returns `None`.
    Done,
    /// `connect` returned: both ends of the connection, for `getsockname`
    /// and `getpeername`.
    Connected { local: String, remote: String },
    /// `sendall` wrote this many bytes.
    Sent { bytes: u64 },
    /// `recv` returned these bytes (empty: the peer closed its side).
    Received { data: Payload },
    /// The call raised.
    Raised { error: PyError },
}

/// What the page must do after a step of the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this to the relay (and record it, as a panel's request is).
    Relay(Box<ClientMsg>),
    /// Post this to the program.
    Reply(Reply),
    /// Call [`Sockets::expire`] with `call` after `after_ms`.
    Deadline { call: CallId, after_ms: u64 },
}

#[derive(Debug, Default)]
struct Sock {
    op: Option<OpId>,
    state: State,
    unread: VecDeque<u8>,
    /// The peer sent its FIN: `recv` returns `b""` once `unread` is empty.
    eof: bool,
    /// What every later call on this socket raises (a reset, a failure).
    broken: Option<PyError>,
    connecting: Option<CallId>,
    reading: Option<(CallId, u32)>,
    /// `sendall`s waiting for the relay's `sent`: the call and the bytes
    /// still to be reported written.
    sending: VecDeque<(CallId, u64, u64)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Fresh,
    Connecting,
    Connected,
    Closed,
}

impl Effect {
    fn relay(msg: ClientMsg) -> Effect {
        Effect::Relay(Box::new(msg))
    }
}

/// Every socket of one run of a program.
#[derive(Debug, Default)]
pub struct Sockets {
    socks: BTreeMap<SockId, Sock>,
    by_op: BTreeMap<OpId, SockId>,
}

impl Sockets {
    /// The operations this program has open, to close when it stops.
    pub fn open_ops(&self) -> Vec<OpId> {
        self.socks
            .values()
            .filter(|sock| sock.state != State::Closed)
            .filter_map(|sock| sock.op)
            .collect()
    }

    /// Whether `op` is one of this program's operations.
    pub fn owns(&self, op: OpId) -> bool {
        self.by_op.contains_key(&op)
    }

    /// One call of the program. `next_op` is the page's next free
    /// operation id (the program's operations count with the panels').
    pub fn call(&mut self, request: Request, next_op: OpId) -> Vec<Effect> {
        let id = request.id;
        let reply = |outcome| vec![Effect::Reply(Reply { id, outcome })];
        let raise = |error: PyError| reply(Outcome::Raised { error });
        match request.call {
            Call::Connect {
                sock,
                host,
                port,
                timeout_ms,
                nodelay,
            } => {
                let entry = self.socks.entry(sock).or_default();
                if entry.state != State::Fresh {
                    return raise(PyError::new(
                        PyException::OsError,
                        Some(106),
                        "Transport endpoint is already connected",
                    ));
                }
                entry.state = State::Connecting;
                entry.op = Some(next_op);
                entry.connecting = Some(id);
                self.by_op.insert(next_op, sock);
                let target = if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                vec![Effect::relay(ClientMsg::TcpConnect {
                    op: next_op,
                    target,
                    connect_timeout_ms: timeout_ms,
                    nodelay,
                    faults: None,
                })]
            }
            Call::Send { sock, data } => {
                let Some(entry) = self.socks.get_mut(&sock) else {
                    return raise(not_connected());
                };
                if let Some(error) = &entry.broken {
                    return raise(error.clone());
                }
                let (State::Connected, Some(op)) = (entry.state, entry.op) else {
                    return raise(not_connected());
                };
                let bytes = data.0.len() as u64;
                if bytes == 0 {
                    return reply(Outcome::Sent { bytes: 0 });
                }
                entry.sending.push_back((id, bytes, bytes));
                vec![Effect::relay(ClientMsg::Send { op, data })]
            }
            Call::Recv {
                sock,
                max,
                timeout_ms,
            } => {
                let Some(entry) = self.socks.get_mut(&sock) else {
                    return raise(not_connected());
                };
                if entry.state == State::Fresh || entry.state == State::Connecting {
                    return raise(not_connected());
                }
                if let Some(outcome) = entry.ready(max) {
                    return reply(outcome);
                }
                entry.reading = Some((id, max));
                match timeout_ms {
                    Some(after_ms) => vec![Effect::Deadline { call: id, after_ms }],
                    None => Vec::new(),
                }
            }
            Call::Shutdown { sock } => {
                let Some(entry) = self.socks.get_mut(&sock) else {
                    return raise(not_connected());
                };
                match (entry.state, entry.op) {
                    (State::Connected, Some(op)) => {
                        let mut effects = vec![Effect::relay(ClientMsg::Shutdown { op })];
                        effects.extend(reply(Outcome::Done));
                        effects
                    }
                    _ => raise(not_connected()),
                }
            }
            Call::Close { sock } => {
                let mut effects = Vec::new();
                if let Some(mut entry) = self.socks.remove(&sock) {
                    if let Some(op) = entry.op {
                        self.by_op.remove(&op);
                        if matches!(entry.state, State::Connecting | State::Connected) {
                            effects.push(Effect::relay(ClientMsg::Close { op }));
                        }
                    }
                    entry.state = State::Closed;
                    // A call still waiting on this socket (from another
                    // thread of the program) fails as CPython's does.
                    effects.extend(entry.fail_waiting(&PyError::new(
                        PyException::OsError,
                        Some(python_error::EBADF),
                        "Bad file descriptor",
                    )));
                }
                effects.extend(reply(Outcome::Done));
                effects
            }
        }
    }

    /// A message from the relay; those about other operations are ignored.
    pub fn relay(&mut self, msg: &ServerMsg) -> Vec<Effect> {
        let (op, happened) = match msg {
            ServerMsg::Event(event) => (event.op, Happened::Event(&event.kind)),
            ServerMsg::Data { op, data, .. } => (*op, Happened::Data(&data.0)),
            ServerMsg::Error {
                op: Some(op),
                error,
            } => (*op, Happened::Refused(error)),
            _ => return Vec::new(),
        };
        let Some(entry) = self
            .by_op
            .get(&op)
            .and_then(|sock| self.socks.get_mut(sock))
        else {
            return Vec::new();
        };
        let effects = entry.happened(happened);
        if entry.state == State::Closed && entry.connecting.is_none() {
            self.by_op.remove(&op);
        }
        effects
    }

    /// A deadline the page set for `call` passed: a `recv` still waiting
    /// raises `TimeoutError`, as with `settimeout`.
    pub fn expire(&mut self, call: CallId) -> Vec<Effect> {
        for entry in self.socks.values_mut() {
            if entry.reading.is_some_and(|(id, _)| id == call) {
                entry.reading = None;
                return vec![Effect::Reply(Reply {
                    id: call,
                    outcome: Outcome::Raised {
                        error: PyError::timed_out(),
                    },
                })];
            }
        }
        Vec::new()
    }
}

enum Happened<'a> {
    Event(&'a EventKind),
    Data(&'a [u8]),
    Refused(&'a RelayError),
}

impl Sock {
    /// What a `recv(max)` returns now, if it need not wait.
    fn ready(&mut self, max: u32) -> Option<Outcome> {
        if !self.unread.is_empty() {
            let n = self.unread.len().min(max.max(1) as usize);
            let data: Vec<u8> = self.unread.drain(..n).collect();
            return Some(Outcome::Received {
                data: Payload(data),
            });
        }
        if let Some(error) = &self.broken {
            return Some(Outcome::Raised {
                error: error.clone(),
            });
        }
        (self.eof || self.state == State::Closed).then(|| Outcome::Received {
            data: Payload(Vec::new()),
        })
    }

    fn happened(&mut self, happened: Happened<'_>) -> Vec<Effect> {
        match happened {
            Happened::Data(bytes) => {
                if self.unread.len() + bytes.len() > MAX_UNREAD {
                    self.unread.clear();
                    self.broken = Some(PyError::new(
                        PyException::OsError,
                        Some(python_error::ENOBUFS),
                        format!(
                            "No buffer space available: more than {} KiB arrived that the program never read",
                            MAX_UNREAD / 1024
                        ),
                    ));
                } else {
                    self.unread.extend(bytes);
                }
                self.wake_reader()
            }
            Happened::Refused(error) => self.fail(python_error::from_relay(error)),
            Happened::Event(kind) => match kind {
                EventKind::Connected { local, remote } => {
                    self.state = State::Connected;
                    self.connecting
                        .take()
                        .map(|id| {
                            vec![Effect::Reply(Reply {
                                id,
                                outcome: Outcome::Connected {
                                    local: local.clone(),
                                    remote: remote.clone(),
                                },
                            })]
                        })
                        .unwrap_or_default()
                }
                EventKind::Sent { bytes } => self.written(*bytes),
                EventKind::PeerClosed => {
                    self.eof = true;
                    self.wake_reader()
                }
                EventKind::Reset => self.fail(PyError::new(
                    PyException::ConnectionResetError,
                    Some(python_error::ECONNRESET),
                    "Connection reset by peer",
                )),
                EventKind::Failed { error } => self.fail(python_error::from_relay(error)),
                EventKind::Closed { .. } => {
                    self.state = State::Closed;
                    let mut effects = self.wake_reader();
                    effects.extend(self.fail_waiting(&not_connected()));
                    effects
                }
                _ => Vec::new(),
            },
        }
    }

    /// The relay wrote `bytes` of what the program sent: every `sendall`
    /// now wholly written returns.
    fn written(&mut self, mut bytes: u64) -> Vec<Effect> {
        let mut effects = Vec::new();
        while bytes > 0 {
            let Some((id, total, left)) = self.sending.front_mut() else {
                break;
            };
            let taken = bytes.min(*left);
            *left -= taken;
            bytes -= taken;
            if *left == 0 {
                effects.push(Effect::Reply(Reply {
                    id: *id,
                    outcome: Outcome::Sent { bytes: *total },
                }));
                self.sending.pop_front();
            }
        }
        effects
    }

    fn wake_reader(&mut self) -> Vec<Effect> {
        let Some((id, max)) = self.reading else {
            return Vec::new();
        };
        match self.ready(max) {
            Some(outcome) => {
                self.reading = None;
                vec![Effect::Reply(Reply { id, outcome })]
            }
            None => Vec::new(),
        }
    }

    /// The connection failed: the waiting calls raise `error`, and so does
    /// every later one.
    fn fail(&mut self, error: PyError) -> Vec<Effect> {
        self.broken.get_or_insert(error.clone());
        let effects = self.fail_waiting(&error);
        if self.state == State::Connecting {
            self.state = State::Closed;
        }
        effects
    }

    fn fail_waiting(&mut self, error: &PyError) -> Vec<Effect> {
        let raised = |id| {
            Effect::Reply(Reply {
                id,
                outcome: Outcome::Raised {
                    error: error.clone(),
                },
            })
        };
        let mut effects: Vec<Effect> = self.connecting.take().into_iter().map(raised).collect();
        if let Some((id, _)) = self.reading.take() {
            effects.push(raised(id));
        }
        effects.extend(self.sending.drain(..).map(|(id, _, _)| raised(id)));
        effects
    }
}

fn not_connected() -> PyError {
    PyError::new(
        PyException::OsError,
        Some(python_error::ENOTCONN),
        "Transport endpoint is not connected",
    )
}
