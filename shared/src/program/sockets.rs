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

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use super::http::{Exchanges, HttpCall, HttpFailure, HttpResponse};
use super::ports::{self, Ports, Proto};
use super::python_error::{self, PyError, PyException};
use crate::payload::Payload;
use crate::protocol::{ClientMsg, DnsMode, DnsType, EventKind, OpId, RelayError, ServerMsg};
use crate::protocol_de::{Fields, through_value};
use crate::session::sources::CallName;

/// Which call of the program a reply answers.
pub type CallId = u32;
/// The program's handle for one socket (its `fileno()`).
pub type SockId = u32;

/// Bytes received and not yet read by the program that one socket keeps.
/// A program that never calls `recv` cannot make the page grow: past this,
/// the socket fails with `ENOBUFS` (a real kernel would shrink the window
/// and the sender would wait; the relay reads on regardless).
pub const MAX_UNREAD: usize = 1 << 20;

/// Connections a listener holds that the program has not accepted yet;
/// past this, a new one is closed at once (a kernel's backlog is full).
pub const MAX_BACKLOG: usize = 128;

/// Datagrams a UDP socket holds that the program has not read; past this,
/// a new one is dropped, as a kernel drops what its buffer cannot hold.
pub const MAX_DATAGRAMS: usize = 256;

/// One call of the program, as the worker sends it. Read by hand, as the
/// protocol's messages are (`protocol_de`): the derived reading of a
/// flattened, tagged call would buffer it and read it twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    pub id: CallId,
    /// The line of the program's file that made the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// With a socket's first call: the line that created the socket
    /// (`socket.socket(...)`), which the page is told of only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub made: Option<u32>,
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
    /// `sock.close()`. With `abort` (the program set `SO_LINGER` on with a
    /// zero timeout), a TCP connection closes with an RST, not a FIN.
    Close {
        sock: SockId,
        #[serde(default)]
        abort: bool,
    },
    /// `sock.bind((host, port))` then `sock.listen()` on a TCP socket: the
    /// relay listens on a port of its own, and `port` leads there for the
    /// programs in the page.
    Listen {
        sock: SockId,
        host: String,
        port: u16,
    },
    /// `sock.accept()`: the next connection, as the new socket `conn`.
    Accept {
        sock: SockId,
        conn: SockId,
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    /// `sock.bind((host, port))` on a UDP socket.
    Bind {
        sock: SockId,
        host: String,
        port: u16,
    },
    /// `sock.sendto(data, (host, port))` on a UDP socket (which is bound
    /// first if it is not yet, as the kernel does).
    SendTo {
        sock: SockId,
        host: String,
        port: u16,
        data: Payload,
    },
    /// `sock.recvfrom(max)` on a UDP socket: the next datagram, cut to
    /// `max` bytes.
    RecvFrom {
        sock: SockId,
        max: u32,
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    /// `socket.gethostbyname(name)` / `getaddrinfo`: the IPv4 addresses of
    /// `name`, asked of the relay's DNS.
    Resolve { name: String },
    /// `requests.get(url, ...)` and its kin: one HTTP request, made by the
    /// relay (see [`super::http`]).
    Http(HttpCall),
}

/// Every `call`, as serde spells them.
const CALLS: &[&str] = &[
    "connect",
    "send",
    "recv",
    "shutdown",
    "close",
    "listen",
    "accept",
    "bind",
    "send_to",
    "recv_from",
    "resolve",
    "http",
];

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
                    abort: f.or_default("abort")?,
                },
                "listen" => Call::Listen {
                    sock: f.req("sock")?,
                    host: f.req("host")?,
                    port: f.req("port")?,
                },
                "accept" => Call::Accept {
                    sock: f.req("sock")?,
                    conn: f.req("conn")?,
                    timeout_ms: f.opt("timeout_ms")?,
                },
                "bind" => Call::Bind {
                    sock: f.req("sock")?,
                    host: f.req("host")?,
                    port: f.req("port")?,
                },
                "send_to" => Call::SendTo {
                    sock: f.req("sock")?,
                    host: f.req("host")?,
                    port: f.req("port")?,
                    data: f.req("data")?,
                },
                "recv_from" => Call::RecvFrom {
                    sock: f.req("sock")?,
                    max: f.req("max")?,
                    timeout_ms: f.opt("timeout_ms")?,
                },
                "resolve" => Call::Resolve {
                    name: f.req("name")?,
                },
                "http" => Call::Http(HttpCall {
                    method: f.req("method")?,
                    url: f.req("url")?,
                    headers: f.or_default("headers")?,
                    body: f.opt("body")?,
                    connect_timeout_ms: f.opt("connect_timeout_ms")?,
                    read_timeout_ms: f.opt("read_timeout_ms")?,
                    max_redirects: f.or_default("max_redirects")?,
                }),
                other => return Err(serde::de::Error::unknown_variant(other, CALLS)),
            };
            Ok(Request {
                id,
                line: f.opt("line")?,
                made: f.opt("made")?,
                call,
            })
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
    /// `listen` returned: the program's address, and the relay's for it.
    Listening { local: String, relay: String },
    /// `accept` returned a connection from `peer`.
    Accepted { peer: String },
    /// `bind` on a UDP socket returned: the program's address.
    Bound { local: String },
    /// `recvfrom` returned a datagram from `from`.
    Datagram { data: Payload, from: String },
    /// `gethostbyname` returned these addresses.
    Addresses { addrs: Vec<String> },
    /// An HTTP request's response: the last one, its body (whole, at most
    /// [`super::http::MAX_BODY`]), and the redirects that led to it, first
    /// first.
    Response {
        response: HttpResponse,
        body: Payload,
        history: Vec<HttpResponse>,
    },
    /// An HTTP request failed: the `requests` exception it raises.
    HttpFailed { error: HttpFailure },
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
    /// A line for the program's console about where its traffic really
    /// goes ("your 127.0.0.1:8080 is the relay's 127.0.0.1:41234").
    Note(String),
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
    /// A listener or UDP socket: the port the program bound (0 until the
    /// relay opens it, when the program asked for any port).
    port: Option<(Proto, u16)>,
    /// `listen` or `bind` waiting for the relay to open the socket.
    opening: Option<CallId>,
    /// A listener's connections not yet accepted (their sockets).
    backlog: VecDeque<SockId>,
    accepting: Option<(CallId, SockId)>,
    /// A UDP socket's datagrams not yet read, with their senders.
    datagrams: VecDeque<(String, Vec<u8>)>,
    /// `sendto`s waiting for the socket to open: call, target, bytes.
    to_send: VecDeque<(CallId, String, Payload)>,
    receiving: Option<(CallId, u32)>,
    /// An accepted connection's peer, until `accept` takes it.
    peer: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Fresh,
    Connecting,
    Connected,
    /// A listener or UDP socket the relay is opening.
    Opening,
    /// A listener listening.
    Listening,
    /// A UDP socket open on the relay.
    Bound,
    Closed,
}

/// Whether `msg` starts an operation, taking the id it names.
pub fn starts_op(msg: &ClientMsg) -> bool {
    matches!(
        msg,
        ClientMsg::TcpConnect { .. }
            | ClientMsg::TcpListen { .. }
            | ClientMsg::UdpOpen { .. }
            | ClientMsg::DnsQuery { .. }
            | ClientMsg::HttpRequest(_)
    )
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
    /// Name lookups waiting for their DNS answer.
    lookups: BTreeMap<OpId, Lookup>,
    /// HTTP requests under way.
    http: Exchanges,
    /// The page's map of program ports (shared by every program in it).
    ports: Rc<RefCell<Ports>>,
    /// Handles for accepted connections until `accept` gives them the
    /// program's: counted down from the top, far from the program's.
    next_pending: Option<SockId>,
}

#[derive(Debug)]
struct Lookup {
    call: CallId,
    addrs: Option<Vec<String>>,
}

impl Sockets {
    /// A program's sockets in a page whose programs share `ports`.
    pub fn sharing(ports: Rc<RefCell<Ports>>) -> Sockets {
        Sockets {
            ports,
            ..Sockets::default()
        }
    }

    /// The operations this program has open, to close when it stops
    /// (listeners and the connections they hold too). The ports it bound
    /// are given back.
    pub fn open_ops(&self) -> Vec<OpId> {
        self.socks
            .values()
            .filter(|sock| sock.state != State::Closed)
            .filter_map(|sock| sock.op)
            .chain(self.lookups.keys().copied())
            .chain(self.http.open_ops())
            .collect()
    }

    /// The program ended: the operations to close, and its ports are free
    /// for the next program. Nothing is left open after.
    pub fn end(&mut self) -> Vec<OpId> {
        let open = self.open_ops();
        self.release_ports();
        self.socks.clear();
        self.by_op.clear();
        self.lookups.clear();
        self.http.clear();
        open
    }

    /// The ports this program bound are free again.
    pub fn release_ports(&mut self) {
        let mut ports = self.ports.borrow_mut();
        for sock in self.socks.values_mut() {
            if let Some((proto, port)) = sock.port.take() {
                ports.release(proto, port);
            }
        }
    }

    /// Whether `op` is one of this program's operations (an accepted
    /// connection from the moment the relay announces it).
    pub fn owns(&self, op: OpId) -> bool {
        self.by_op.contains_key(&op) || self.lookups.contains_key(&op) || self.http.owns(op)
    }

    /// Which operations a call the program just made acted on, as the
    /// trace tells them apart ([`crate::session::sources`]): its socket's
    /// (once the socket has one), and the DNS query or HTTP request it
    /// started. With `made`, the socket's creation on the operation the
    /// call opened. Read after [`Sockets::call`], before its effects are
    /// carried out.
    pub fn sources_of(&self, request: &Request, effects: &[Effect]) -> Vec<(OpId, CallName, u32)> {
        let Some(line) = request.line else {
            return Vec::new();
        };
        let started = effects.iter().find_map(|effect| match effect {
            Effect::Relay(msg) if starts_op(msg) => msg.op(),
            _ => None,
        });
        let (sock, name) = match &request.call {
            Call::Connect { sock, .. } => (Some(sock), CallName::Connect),
            Call::Send { sock, .. } => (Some(sock), CallName::Send),
            Call::Recv { sock, .. } => (Some(sock), CallName::Recv),
            Call::Shutdown { sock } => (Some(sock), CallName::Shutdown),
            Call::Close { sock, .. } => (Some(sock), CallName::Close),
            Call::Listen { sock, .. } => (Some(sock), CallName::Listen),
            Call::Accept { sock, .. } => (Some(sock), CallName::Accept),
            Call::Bind { sock, .. } => (Some(sock), CallName::Bind),
            Call::SendTo { sock, .. } => (Some(sock), CallName::SendTo),
            Call::RecvFrom { sock, .. } => (Some(sock), CallName::RecvFrom),
            Call::Resolve { .. } => (None, CallName::Lookup),
            Call::Http(_) => (None, CallName::Request),
        };
        let op = match sock {
            Some(sock) => self.socks.get(sock).and_then(|sock| sock.op),
            None => started,
        };
        let Some(op) = op else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(2);
        if let Some(made) = request.made.filter(|_| started == Some(op)) {
            out.push((op, CallName::Socket, made));
        }
        out.push((op, name, line));
        out
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
                let mut effects = Vec::new();
                let asked = join(&host, port);
                let target = match self.ports.borrow().lookup(Proto::Tcp, &host, port) {
                    Some(relay) => {
                        effects.push(Effect::Note(format!(
                            "{asked} is where a program in this page listens: the relay's {relay}"
                        )));
                        entry.peer = Some(format!("127.0.0.1:{port}"));
                        relay.to_owned()
                    }
                    None => asked,
                };
                effects.push(Effect::relay(ClientMsg::TcpConnect {
                    op: next_op,
                    target,
                    connect_timeout_ms: timeout_ms,
                    nodelay,
                    faults: None,
                }));
                effects
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
            Call::Listen { sock, host, port } => {
                if let Err(error) = check_local(&host) {
                    return raise(error);
                }
                let entry = self.socks.entry(sock).or_default();
                if entry.state != State::Fresh {
                    return raise(invalid());
                }
                if let Err(error) = self.ports.borrow_mut().claim(Proto::Tcp, port) {
                    return raise(error);
                }
                entry.port = Some((Proto::Tcp, port));
                entry.state = State::Opening;
                entry.op = Some(next_op);
                entry.opening = Some(id);
                self.by_op.insert(next_op, sock);
                vec![Effect::relay(ClientMsg::TcpListen {
                    op: next_op,
                    port: None,
                })]
            }
            Call::Accept {
                sock,
                conn,
                timeout_ms,
            } => {
                let Some(entry) = self.socks.get_mut(&sock) else {
                    return raise(invalid());
                };
                if entry.state != State::Listening {
                    return raise(match entry.broken.clone() {
                        Some(error) => error,
                        None => invalid(),
                    });
                }
                if let Some(pending) = entry.backlog.pop_front() {
                    return reply(self.take_accepted(pending, conn));
                }
                entry.accepting = Some((id, conn));
                deadline(id, timeout_ms)
            }
            Call::Bind { sock, host, port } => {
                if let Err(error) = check_local(&host) {
                    return raise(error);
                }
                let entry = self.socks.entry(sock).or_default();
                if entry.state != State::Fresh {
                    return raise(invalid());
                }
                if let Err(error) = self.ports.borrow_mut().claim(Proto::Udp, port) {
                    return raise(error);
                }
                entry.port = Some((Proto::Udp, port));
                entry.opening = Some(id);
                self.open_udp(sock, next_op)
            }
            Call::SendTo {
                sock,
                host,
                port,
                data,
            } => {
                let asked = join(&host, port);
                let target = self
                    .ports
                    .borrow()
                    .lookup(Proto::Udp, &host, port)
                    .map_or(asked, str::to_owned);
                let entry = self.socks.entry(sock).or_default();
                match entry.state {
                    State::Fresh => {
                        // An unbound socket gets any port, as the kernel
                        // gives it one on the first `sendto`.
                        entry.port = Some((Proto::Udp, 0));
                        entry.to_send.push_back((id, target, data));
                        self.open_udp(sock, next_op)
                    }
                    State::Opening => {
                        entry.to_send.push_back((id, target, data));
                        Vec::new()
                    }
                    State::Bound => {
                        let Some(op) = entry.op else {
                            return raise(invalid());
                        };
                        let bytes = data.0.len() as u64;
                        entry.sending.push_back((id, bytes, bytes));
                        vec![Effect::relay(ClientMsg::SendTo { op, target, data })]
                    }
                    _ => raise(bad_fd()),
                }
            }
            Call::RecvFrom {
                sock,
                max,
                timeout_ms,
            } => {
                let entry = self.socks.entry(sock).or_default();
                let mut effects = Vec::new();
                match entry.state {
                    State::Bound | State::Opening => {}
                    State::Fresh => {
                        // Reading from a socket never bound waits on any
                        // port, as on a real machine (nothing will come).
                        entry.port = Some((Proto::Udp, 0));
                        effects = self.open_udp(sock, next_op);
                    }
                    _ => return raise(bad_fd()),
                }
                let entry = self.socks.get_mut(&sock).expect("opened above");
                if let Some((from, mut bytes)) = entry.datagrams.pop_front() {
                    bytes.truncate(max as usize);
                    effects.extend(reply(Outcome::Datagram {
                        data: Payload(bytes),
                        from,
                    }));
                    return effects;
                }
                entry.receiving = Some((id, max));
                effects.extend(deadline(id, timeout_ms));
                effects
            }
            Call::Resolve { name } => {
                self.lookups.insert(
                    next_op,
                    Lookup {
                        call: id,
                        addrs: None,
                    },
                );
                vec![Effect::relay(ClientMsg::DnsQuery {
                    op: next_op,
                    name,
                    rtype: DnsType::A,
                    mode: DnsMode::Stub,
                    server: None,
                    timeout_ms: None,
                })]
            }
            Call::Http(http) => self.http.start(id, http, next_op),
            Call::Close { sock, abort } => {
                let mut effects = Vec::new();
                if let Some(mut entry) = self.socks.remove(&sock) {
                    if let Some(op) = entry.op {
                        self.by_op.remove(&op);
                        if entry.state != State::Closed {
                            effects.push(Effect::relay(if abort {
                                ClientMsg::Abort { op }
                            } else {
                                ClientMsg::Close { op }
                            }));
                        }
                    }
                    if let Some((proto, port)) = entry.port.take() {
                        self.ports.borrow_mut().release(proto, port);
                    }
                    // Connections the program never accepted close with
                    // their listener.
                    for pending in std::mem::take(&mut entry.backlog) {
                        if let Some(op) = self.socks.remove(&pending).and_then(|p| p.op) {
                            self.by_op.remove(&op);
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
        let op = match msg {
            ServerMsg::Event(event) => Some(event.op),
            ServerMsg::Data { op, .. } | ServerMsg::Error { op: Some(op), .. } => Some(*op),
            _ => None,
        };
        if op.is_some_and(|op| self.http.owns(op)) {
            return self.http.relay(msg);
        }
        let (op, happened) = match msg {
            ServerMsg::Event(event) => (event.op, Happened::Event(&event.kind)),
            ServerMsg::Data { op, data, .. } => (*op, Happened::Data(&data.0)),
            ServerMsg::Datagram { op, from, data, .. } => {
                return self.datagram(*op, from, &data.0);
            }
            ServerMsg::Error {
                op: Some(op),
                error,
            } => (*op, Happened::Refused(error)),
            _ => return Vec::new(),
        };
        if self.lookups.contains_key(&op) {
            return self.looked_up(op, happened);
        }
        let Some(&sock) = self.by_op.get(&op) else {
            return Vec::new();
        };
        let Some(entry) = self.socks.get_mut(&sock) else {
            return Vec::new();
        };
        let effects = match (entry.state, entry.port) {
            (State::Opening | State::Listening | State::Bound, Some((proto, _))) => {
                self.opened_socket(sock, proto, happened)
            }
            _ => entry.happened(happened),
        };
        if let Some(entry) = self.socks.get(&sock)
            && entry.state == State::Closed
            && entry.connecting.is_none()
        {
            self.by_op.remove(&op);
        }
        effects
    }

    /// An event of a listener or a UDP socket.
    fn opened_socket(&mut self, sock: SockId, proto: Proto, happened: Happened<'_>) -> Vec<Effect> {
        let Some(entry) = self.socks.get_mut(&sock) else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        match happened {
            Happened::Event(EventKind::Listening { addr }) if proto == Proto::Tcp => {
                let asked = entry.port.map_or(0, |(_, port)| port);
                let port = self.ports.borrow_mut().opened(Proto::Tcp, asked, addr);
                entry.port = Some((Proto::Tcp, port));
                entry.state = State::Listening;
                let local = format!("127.0.0.1:{port}");
                effects.push(Effect::Note(if local == *addr {
                    format!("your server listens on the relay's {addr}")
                } else {
                    format!("your {local} is the relay's {addr}")
                }));
                if let Some(id) = entry.opening.take() {
                    effects.push(Effect::Reply(Reply {
                        id,
                        outcome: Outcome::Listening {
                            local,
                            relay: addr.clone(),
                        },
                    }));
                }
            }
            Happened::Event(EventKind::Bound { local: addr, .. }) if proto == Proto::Udp => {
                let asked = entry.port.map_or(0, |(_, port)| port);
                let port = self.ports.borrow_mut().opened(Proto::Udp, asked, addr);
                entry.port = Some((Proto::Udp, port));
                entry.state = State::Bound;
                let local = format!("127.0.0.1:{port}");
                if local != *addr {
                    effects.push(Effect::Note(format!(
                        "your UDP {local} is the relay's {addr}"
                    )));
                }
                if let Some(id) = entry.opening.take() {
                    effects.push(Effect::Reply(Reply {
                        id,
                        outcome: Outcome::Bound { local },
                    }));
                }
                if let Some(op) = entry.op {
                    for (id, target, data) in std::mem::take(&mut entry.to_send) {
                        let bytes = data.0.len() as u64;
                        entry.sending.push_back((id, bytes, bytes));
                        effects.push(Effect::relay(ClientMsg::SendTo { op, target, data }));
                    }
                }
            }
            Happened::Event(EventKind::Accepted { conn, peer }) => {
                if entry.backlog.len() >= MAX_BACKLOG {
                    effects.push(Effect::relay(ClientMsg::Close { op: *conn }));
                    return effects;
                }
                let pending = self.next_pending.unwrap_or(SockId::MAX);
                self.next_pending = Some(pending.wrapping_sub(1));
                entry.backlog.push_back(pending);
                let waiting = entry.accepting.take();
                self.by_op.insert(*conn, pending);
                self.socks.insert(
                    pending,
                    Sock {
                        op: Some(*conn),
                        // Accepted means the handshake is done; the
                        // connection's own `connected` follows.
                        state: State::Connected,
                        peer: Some(peer.clone()),
                        ..Sock::default()
                    },
                );
                if let Some((id, conn)) = waiting {
                    let outcome = self.take_first_accepted(sock, conn);
                    effects.push(Effect::Reply(Reply { id, outcome }));
                }
            }
            Happened::Event(EventKind::DatagramSent { bytes, .. }) => {
                if let Some((id, _, _)) = entry.sending.pop_front() {
                    effects.push(Effect::Reply(Reply {
                        id,
                        outcome: Outcome::Sent { bytes: *bytes },
                    }));
                }
            }
            // A datagram refused by its target, or a connection the
            // listener had to close at once (the session's limit): the
            // socket goes on; a `sendto` waiting fails.
            Happened::Refused(error) if entry.state != State::Opening => {
                if proto == Proto::Udp
                    && let Some((id, _, _)) = entry.sending.pop_front()
                {
                    effects.push(Effect::Reply(Reply {
                        id,
                        outcome: Outcome::Raised {
                            error: python_error::from_relay(error),
                        },
                    }));
                }
            }
            Happened::Event(EventKind::Failed { error }) | Happened::Refused(error) => {
                let error = python_error::from_relay(error);
                effects.extend(self.end_opened(sock, &error));
            }
            Happened::Event(EventKind::Closed { .. }) => {
                effects.extend(self.end_opened(sock, &bad_fd()));
            }
            _ => {}
        }
        effects
    }

    /// A listener or UDP socket ended: what waits on it raises `error`.
    fn end_opened(&mut self, sock: SockId, error: &PyError) -> Vec<Effect> {
        let Some(entry) = self.socks.get_mut(&sock) else {
            return Vec::new();
        };
        entry.state = State::Closed;
        entry.broken.get_or_insert(error.clone());
        if let Some((proto, port)) = entry.port.take() {
            self.ports.borrow_mut().release(proto, port);
        }
        let raised = |id| {
            Effect::Reply(Reply {
                id,
                outcome: Outcome::Raised {
                    error: error.clone(),
                },
            })
        };
        let mut effects: Vec<Effect> = entry.opening.take().into_iter().map(raised).collect();
        effects.extend(entry.accepting.take().map(|(id, _)| raised(id)));
        effects.extend(entry.receiving.take().map(|(id, _)| raised(id)));
        effects.extend(entry.to_send.drain(..).map(|(id, _, _)| raised(id)));
        effects.extend(entry.sending.drain(..).map(|(id, _, _)| raised(id)));
        effects
    }

    /// A datagram arrived on a UDP socket.
    fn datagram(&mut self, op: OpId, from: &str, data: &[u8]) -> Vec<Effect> {
        let Some(entry) = self
            .by_op
            .get(&op)
            .and_then(|sock| self.socks.get_mut(sock))
        else {
            return Vec::new();
        };
        // A datagram from another program of the page shows that
        // program's port, as the relay's port is not the one it chose.
        let from = match self.ports.borrow().program_port(Proto::Udp, from) {
            Some(port) => format!("127.0.0.1:{port}"),
            None => from.to_owned(),
        };
        if let Some((id, max)) = entry.receiving.take() {
            let mut bytes = data.to_vec();
            bytes.truncate(max as usize);
            return vec![Effect::Reply(Reply {
                id,
                outcome: Outcome::Datagram {
                    data: Payload(bytes),
                    from,
                },
            })];
        }
        if entry.datagrams.len() < MAX_DATAGRAMS {
            entry.datagrams.push_back((from, data.to_vec()));
        }
        Vec::new()
    }

    /// A step of a name lookup.
    fn looked_up(&mut self, op: OpId, happened: Happened<'_>) -> Vec<Effect> {
        let Some(lookup) = self.lookups.get_mut(&op) else {
            return Vec::new();
        };
        let outcome = match happened {
            Happened::Event(EventKind::DnsResponse { rcode, answers, .. }) => {
                if rcode == "NOERROR" {
                    let found = lookup.addrs.get_or_insert_with(Vec::new);
                    found.extend(
                        answers
                            .iter()
                            .filter(|record| record.rtype == "A")
                            .map(|record| record.data.clone()),
                    );
                }
                return Vec::new();
            }
            Happened::Event(EventKind::Closed { .. }) => match lookup.addrs.take() {
                Some(addrs) if !addrs.is_empty() => Outcome::Addresses { addrs },
                _ => Outcome::Raised {
                    error: python_error::from_relay(&RelayError {
                        code: crate::protocol::ErrorCode::ResolveFailed,
                        message: String::new(),
                        refusal: None,
                        tls_failure: None,
                    }),
                },
            },
            Happened::Event(EventKind::Failed { error }) | Happened::Refused(error) => {
                Outcome::Raised {
                    error: lookup_error(error),
                }
            }
            _ => return Vec::new(),
        };
        let call = lookup.call;
        self.lookups.remove(&op);
        vec![Effect::Reply(Reply { id: call, outcome })]
    }

    /// Opens the UDP socket `sock` as operation `op`.
    fn open_udp(&mut self, sock: SockId, op: OpId) -> Vec<Effect> {
        let entry = self.socks.entry(sock).or_default();
        entry.state = State::Opening;
        entry.op = Some(op);
        self.by_op.insert(op, sock);
        vec![Effect::relay(ClientMsg::UdpOpen {
            op,
            target: None,
            bind_port: None,
            recv_timeout_ms: None,
            faults: None,
        })]
    }

    /// The first connection waiting on listener `sock` becomes the
    /// program's socket `conn`.
    fn take_first_accepted(&mut self, sock: SockId, conn: SockId) -> Outcome {
        match self
            .socks
            .get_mut(&sock)
            .and_then(|entry| entry.backlog.pop_front())
        {
            Some(pending) => self.take_accepted(pending, conn),
            None => Outcome::Raised { error: invalid() },
        }
    }

    /// The waiting connection `pending` becomes the program's socket `conn`.
    fn take_accepted(&mut self, pending: SockId, conn: SockId) -> Outcome {
        let Some(mut entry) = self.socks.remove(&pending) else {
            return Outcome::Raised { error: invalid() };
        };
        let peer = entry.peer.take().unwrap_or_default();
        if let Some(op) = entry.op {
            self.by_op.insert(op, conn);
        }
        self.socks.insert(conn, entry);
        Outcome::Accepted { peer }
    }

    /// A deadline the page set for `call` passed: a `recv` still waiting
    /// raises `TimeoutError`, as with `settimeout`.
    pub fn expire(&mut self, call: CallId) -> Vec<Effect> {
        for entry in self.socks.values_mut() {
            let waits = |slot: Option<(CallId, u32)>| slot.is_some_and(|(id, _)| id == call);
            if waits(entry.reading) || waits(entry.receiving) || waits(entry.accepting) {
                entry.reading = None;
                entry.receiving = None;
                entry.accepting = None;
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
        // Past the peer's FIN, Linux's recv returns b"" whatever came
        // after it (a reset included).
        if self.eof {
            return Some(Outcome::Received {
                data: Payload(Vec::new()),
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
                    // A program of the page is seen at the port it chose.
                    let remote = self.peer.as_ref().unwrap_or(remote);
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
                // A reset after the peer's FIN (our bytes reached a socket
                // it had closed) is EPIPE on Linux, as the kernel words a
                // reset in CLOSE_WAIT: send raises BrokenPipeError, recv
                // goes on returning b"".
                EventKind::Reset if self.eof => self.fail(PyError::new(
                    PyException::BrokenPipeError,
                    Some(python_error::EPIPE),
                    "Broken pipe",
                )),
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

/// A wait for `call`, when the socket has a timeout.
fn deadline(call: CallId, timeout_ms: Option<u64>) -> Vec<Effect> {
    timeout_ms
        .map(|after_ms| Effect::Deadline { call, after_ms })
        .into_iter()
        .collect()
}

/// `host:port`, bracketing an IPv6 address.
fn join(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A program binds to an address of this machine (the relay's loopback),
/// never to another: that one is not the relay's to give.
fn check_local(host: &str) -> Result<(), PyError> {
    if ports::is_this_machine(host) {
        Ok(())
    } else {
        Err(PyError::new(
            PyException::OsError,
            Some(python_error::EADDRNOTAVAIL),
            "Cannot assign requested address",
        ))
    }
}

/// What a name lookup that failed raises: `socket.gaierror`, as
/// `gethostbyname` raises it, unless the relay refused to ask at all.
fn lookup_error(error: &RelayError) -> PyError {
    let raised = python_error::from_relay(error);
    match raised.exception {
        PyException::PermissionError | PyException::Gaierror => raised,
        PyException::TimeoutError => PyError::new(
            PyException::Gaierror,
            Some(python_error::EAI_AGAIN),
            "Temporary failure in name resolution",
        ),
        _ => PyError::new(
            PyException::Gaierror,
            Some(python_error::EAI_NONAME),
            "Name or service not known",
        ),
    }
}

fn invalid() -> PyError {
    PyError::new(
        PyException::OsError,
        Some(python_error::EINVAL),
        "Invalid argument",
    )
}

fn bad_fd() -> PyError {
    PyError::new(
        PyException::OsError,
        Some(python_error::EBADF),
        "Bad file descriptor",
    )
}

fn not_connected() -> PyError {
    PyError::new(
        PyException::OsError,
        Some(python_error::ENOTCONN),
        "Transport endpoint is not connected",
    )
}
