//! What a "Do this" button does, step by step: a pure state machine that
//! is handed the trace after every change and answers with the requests to
//! send next (connect; once connected, send; once the answer is in, close).
//! The page only sends what it returns, so the whole sequence is tested
//! here without a browser.

use crate::payload::Payload;
use crate::protocol::{
    ClientMsg, EventKind, FIRST_RELAY_OP, HttpRequest, HttpTimeouts, OpId, Service,
};
use crate::trace::{Request, StepKind, Trace};

use super::checks::{accepted, answer_to, connected, open_listener};
use super::lesson::{After, JSON_TIMEOUT_MS, Setup, keyed_path};

/// How long a UDP socket of a lesson waits for its answer at most.
pub const MAX_RECV_TIMEOUT_MS: u64 = 10_000;

/// A setup being run on one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub setup: Setup,
    pub op: OpId,
    message: Vec<u8>,
    stage: Stage,
    /// The operations of a listening setup.
    serve: Serving,
    /// The connections of a setup of many at once: each one's operation,
    /// and whether its request went and its close.
    many: Vec<Conn>,
    /// A health check: what its requests dial, the next path to ask and
    /// the request under way.
    checking: Option<Checking>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Checking {
    dial: String,
    next: usize,
    current: OpId,
}

/// One of many connections at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Conn {
    op: OpId,
    sent: bool,
    closed: bool,
}

/// The page as server and client: its listener, its client connection,
/// and the connection the listener accepted from that client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Serving {
    listener: Option<OpId>,
    client: Option<OpId>,
    conn: Option<OpId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for `connected` (TCP) or `bound` (UDP).
    Opening,
    /// The message went; waiting for its answer.
    Sent,
    /// A listening setup: waiting for the listener's address.
    Listening,
    /// The client connects to the listener.
    Connecting,
    /// The request went; the accepted side reads to the client's FIN.
    Asking,
    /// The answer went; the client reads to the server's FIN.
    Answered,
    Done,
}

/// Why a setup cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the relay has not named its lab services yet: wait until it is connected")]
    NoServices,
}

impl Run {
    /// Starts `setup` as operation `op` sending `message` on a page whose
    /// trace is `trace`: the run and the first request. `nonce` (the
    /// page's clock will do) makes the `{key}` of a path this run's own.
    pub fn start(
        setup: Setup,
        services: &[Service],
        trace: &Trace,
        op: OpId,
        message: &str,
        nonce: u64,
    ) -> Result<(Run, ClientMsg), RunError> {
        let mut serve = Serving::default();
        let mut stage = Stage::Opening;
        let listen = ClientMsg::TcpListen { op, port: None };
        let first = match setup {
            Setup::Listen => {
                serve.listener = Some(op);
                stage = Stage::Listening;
                listen
            }
            // A listener that listens already takes the next client.
            Setup::Serve { .. } => match open_listener(trace) {
                Some((listener, addr)) => {
                    serve.listener = Some(listener);
                    serve.client = Some(op);
                    stage = Stage::Connecting;
                    connect(op, addr)
                }
                None => {
                    serve.listener = Some(op);
                    stage = Stage::Listening;
                    listen
                }
            },
            _ => Self::first(setup, services, op, message, nonce)?,
        };
        let many = match setup {
            Setup::Many { .. } => vec![Conn {
                op,
                sent: false,
                closed: false,
            }],
            _ => Vec::new(),
        };
        let checking = match setup {
            Setup::Checks { target, .. } => Some(Checking {
                dial: target.dial(services).ok_or(RunError::NoServices)?,
                next: 1,
                current: op,
            }),
            _ => None,
        };
        let run = Run {
            setup,
            op,
            message: message.as_bytes().to_vec(),
            stage,
            serve,
            many,
            checking,
        };
        Ok((run, first))
    }

    /// The first request of a setup that connects to its target.
    fn first(
        setup: Setup,
        services: &[Service],
        op: OpId,
        message: &str,
        nonce: u64,
    ) -> Result<ClientMsg, RunError> {
        let target = setup.target().dial(services).ok_or(RunError::NoServices)?;
        Ok(match setup {
            Setup::Tcp { faults, .. } => ClientMsg::TcpConnect {
                op,
                target,
                connect_timeout_ms: None,
                nodelay: false,
                faults,
            },
            Setup::Many { .. } => connect(op, target),
            Setup::Checks {
                paths, timeout_ms, ..
            } => health_check(
                op,
                &target,
                paths.first().copied().unwrap_or("/"),
                timeout_ms,
            ),
            Setup::Udp {
                recv_timeout_ms,
                faults,
                ..
            } => ClientMsg::UdpOpen {
                op,
                target: Some(target),
                bind_port: None,
                recv_timeout_ms: Some(recv_timeout_ms.min(MAX_RECV_TIMEOUT_MS)),
                faults,
            },
            Setup::Http {
                method,
                path,
                headers,
                timeout_ms,
                retry,
                ..
            } => ClientMsg::HttpRequest(HttpRequest {
                method: method.to_owned(),
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                body: (!message.is_empty()).then(|| Payload(message.as_bytes().to_vec())),
                json: serde_json::from_str::<serde_json::Value>(message).is_ok(),
                raw: true,
                timeouts: timeout_ms.map(HttpTimeouts::waiting),
                retry: retry.map(|r| r.policy()),
                ..HttpRequest::get(
                    op,
                    format!(
                        "{}://{target}{}",
                        setup.target().scheme(services),
                        keyed_path(path, nonce)
                    ),
                )
            }),
            // No wire bytes: the inspector's newest payload is the body.
            Setup::Json {
                path, max_bytes, ..
            } => ClientMsg::HttpRequest(HttpRequest {
                timeouts: Some(HttpTimeouts::waiting(JSON_TIMEOUT_MS)),
                max_body: max_bytes,
                ..HttpRequest::get(op, format!("http://{target}{path}"))
            }),
            Setup::Listen | Setup::Serve { .. } => ClientMsg::TcpListen { op, port: None },
            Setup::Dns { name, rtype, mode } => ClientMsg::DnsQuery {
                op,
                name: name.to_owned(),
                rtype,
                mode,
                server: None,
                timeout_ms: None,
            },
        })
    }

    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The requests to send now that the trace is `trace`; each is sent
    /// once (the run moves on as it returns them).
    pub fn advance(&mut self, trace: &Trace) -> Vec<ClientMsg> {
        if matches!(self.setup, Setup::Listen | Setup::Serve { .. }) {
            return self.advance_serving(trace);
        }
        if let Setup::Many { count, .. } = self.setup {
            return self.advance_many(trace, count);
        }
        if let Setup::Checks {
            paths, timeout_ms, ..
        } = self.setup
        {
            return self.advance_checks(trace, paths, timeout_ms);
        }
        let op = self.op;
        let mut events = trace.events_of(op);
        let ended = trace.events_of(op).any(|e| {
            matches!(
                e,
                EventKind::Failed { .. } | EventKind::Closed { .. } | EventKind::Reset
            )
        });
        if ended {
            self.stage = Stage::Done;
            return Vec::new();
        }
        let then = match self.setup {
            Setup::Tcp { then, .. } => Some(then),
            Setup::Udp { .. } => None,
            // The relay runs the whole exchange and ends the operation.
            Setup::Http { .. }
            | Setup::Json { .. }
            | Setup::Listen
            | Setup::Serve { .. }
            | Setup::Many { .. }
            | Setup::Checks { .. }
            | Setup::Dns { .. } => {
                return Vec::new();
            }
        };
        match self.stage {
            Stage::Done => Vec::new(),
            Stage::Opening => {
                let open = events.any(|e| match then {
                    Some(_) => matches!(e, EventKind::Connected { .. }),
                    None => matches!(e, EventKind::Bound { .. }),
                });
                if !open {
                    return Vec::new();
                }
                if self.message.is_empty() {
                    self.stage = Stage::Sent;
                    return self.finish(trace);
                }
                self.stage = Stage::Sent;
                vec![ClientMsg::Send {
                    op,
                    data: Payload(self.message.clone()),
                }]
            }
            Stage::Sent => self.finish(trace),
            _ => Vec::new(),
        }
    }

    /// A listening setup, one stage at a time: listen; connect to the
    /// listener; send the request and a FIN; once the accepted side has
    /// read to that FIN, answer in capitals and shut down; once the client
    /// has read to the server's FIN, close both.
    fn advance_serving(&mut self, trace: &Trace) -> Vec<ClientMsg> {
        let ended =
            |op: Option<OpId>| op.is_some_and(|op| trace.events_of(op).any(EventKind::is_terminal));
        let has = |op: Option<OpId>, test: &dyn Fn(&EventKind) -> bool| {
            op.is_some_and(|op| trace.events_of(op).any(test))
        };
        let Serving {
            listener,
            client,
            conn,
        } = self.serve;
        let peer_closed = |e: &EventKind| matches!(e, EventKind::PeerClosed);
        match self.stage {
            Stage::Listening => {
                if ended(listener) {
                    self.stage = Stage::Done;
                    return Vec::new();
                }
                let addr = listener.and_then(|op| {
                    trace.events_of(op).find_map(|e| match e {
                        EventKind::Listening { addr } => Some(addr.clone()),
                        _ => None,
                    })
                });
                let Some(addr) = addr else {
                    return Vec::new();
                };
                if self.setup == Setup::Listen {
                    self.stage = Stage::Done;
                    return Vec::new();
                }
                let op = fresh_op(trace);
                self.serve.client = Some(op);
                self.stage = Stage::Connecting;
                vec![connect(op, addr)]
            }
            Stage::Connecting => {
                if ended(client) {
                    self.stage = Stage::Done;
                    return Vec::new();
                }
                let Some(op) = client.filter(|op| connected(trace, *op).is_some()) else {
                    return Vec::new();
                };
                self.stage = Stage::Asking;
                let mut out = Vec::new();
                if !self.message.is_empty() {
                    out.push(ClientMsg::Send {
                        op,
                        data: Payload(self.message.clone()),
                    });
                }
                out.push(ClientMsg::Shutdown { op });
                out
            }
            Stage::Asking => {
                let conn = conn.or_else(|| {
                    let (local, _) = connected(trace, client?)?;
                    accepted(trace, listener?)
                        .into_iter()
                        .find(|(_, peer)| *peer == local)
                        .map(|(conn, _)| conn)
                });
                self.serve.conn = conn;
                if ended(client) || ended(conn) {
                    self.stage = Stage::Done;
                    return Vec::new();
                }
                let Some(op) = conn.filter(|_| has(conn, &peer_closed)) else {
                    return Vec::new();
                };
                self.stage = Stage::Answered;
                let answer = answer_to(&trace.received_bytes(op));
                let mut out = Vec::new();
                if !answer.is_empty() {
                    out.push(ClientMsg::Send {
                        op,
                        data: Payload(answer),
                    });
                }
                out.push(ClientMsg::Shutdown { op });
                out
            }
            Stage::Answered => {
                if !ended(client) && !has(client, &peer_closed) {
                    return Vec::new();
                }
                self.stage = Stage::Done;
                [client, conn]
                    .into_iter()
                    .flatten()
                    .filter(|op| !ended(Some(*op)))
                    .map(|op| ClientMsg::Close { op })
                    .collect()
            }
            Stage::Opening | Stage::Sent | Stage::Done => Vec::new(),
        }
    }

    /// Many connections at once: once the first asked for is in the trace,
    /// the others to the same target; each sends its request once it is
    /// connected and closes once the server has closed its side; done when
    /// every one has ended or been closed.
    fn advance_many(&mut self, trace: &Trace, count: u8) -> Vec<ClientMsg> {
        let mut out = Vec::new();
        if self.many.len() < usize::from(count) {
            let Some(dial) = trace.steps().iter().find_map(|step| match &step.kind {
                StepKind::Request(Request::Connect { target, .. }) if step.op == self.op => {
                    Some(target.clone())
                }
                _ => None,
            }) else {
                return out;
            };
            let mut op = fresh_op(trace);
            while self.many.len() < usize::from(count) {
                out.push(connect(op, dial.clone()));
                self.many.push(Conn {
                    op,
                    sent: false,
                    closed: false,
                });
                op += 1;
            }
        }
        for conn in &mut self.many {
            if conn.closed || trace.events_of(conn.op).any(EventKind::is_terminal) {
                conn.closed = true;
                continue;
            }
            if !conn.sent {
                if connected(trace, conn.op).is_some() {
                    conn.sent = true;
                    if !self.message.is_empty() {
                        out.push(ClientMsg::Send {
                            op: conn.op,
                            data: Payload(self.message.clone()),
                        });
                    }
                }
            } else if trace
                .events_of(conn.op)
                .any(|e| matches!(e, EventKind::PeerClosed))
            {
                conn.closed = true;
                out.push(ClientMsg::Close { op: conn.op });
            }
        }
        if self.many.iter().all(|c| c.closed) {
            self.stage = Stage::Done;
        }
        out
    }

    /// A health check: once a request has ended (answered, failed or timed
    /// out), the next path; done after the last.
    fn advance_checks(&mut self, trace: &Trace, paths: &[&str], timeout_ms: u64) -> Vec<ClientMsg> {
        let Some(checking) = &mut self.checking else {
            self.stage = Stage::Done;
            return Vec::new();
        };
        if !trace
            .events_of(checking.current)
            .any(EventKind::is_terminal)
        {
            return Vec::new();
        }
        let Some(path) = paths.get(checking.next) else {
            self.stage = Stage::Done;
            return Vec::new();
        };
        let op = fresh_op(trace);
        checking.next += 1;
        checking.current = op;
        vec![health_check(op, &checking.dial, path, timeout_ms)]
    }

    /// Once the answer is in (or cannot come), what `then` says.
    fn finish(&mut self, trace: &Trace) -> Vec<ClientMsg> {
        let op = self.op;
        let answered = match self.setup {
            Setup::Tcp { .. } => {
                trace.received_bytes(op).len() >= self.message.len()
                    || trace
                        .events_of(op)
                        .any(|e| matches!(e, EventKind::PeerClosed))
            }
            Setup::Http { .. }
            | Setup::Json { .. }
            | Setup::Listen
            | Setup::Serve { .. }
            | Setup::Many { .. }
            | Setup::Checks { .. }
            | Setup::Dns { .. } => false,
            Setup::Udp { .. } => trace.events_of(op).any(|e| {
                matches!(
                    e,
                    EventKind::DatagramReceived { .. }
                        | EventKind::RecvTimeout { .. }
                        | EventKind::Refused { .. }
                )
            }),
        };
        if !answered {
            return Vec::new();
        }
        self.stage = Stage::Done;
        match self.setup {
            Setup::Tcp { then, .. } => match then {
                After::Keep => Vec::new(),
                After::Close => vec![ClientMsg::Close { op }],
                After::Shutdown => vec![ClientMsg::Shutdown { op }],
            },
            Setup::Udp { .. } => vec![ClientMsg::Close { op }],
            Setup::Http { .. }
            | Setup::Json { .. }
            | Setup::Listen
            | Setup::Serve { .. }
            | Setup::Many { .. }
            | Setup::Checks { .. }
            | Setup::Dns { .. } => Vec::new(),
        }
    }
}

/// One `GET` of a health check, its wire bytes reported (for the
/// waterfall and the inspector).
fn health_check(op: OpId, dial: &str, path: &str, timeout_ms: u64) -> ClientMsg {
    ClientMsg::HttpRequest(HttpRequest {
        raw: true,
        timeouts: Some(HttpTimeouts::waiting(timeout_ms)),
        ..HttpRequest::get(op, format!("http://{dial}{path}"))
    })
}

/// A connection to the page's own listener at `addr`.
fn connect(op: OpId, addr: String) -> ClientMsg {
    ClientMsg::TcpConnect {
        op,
        target: addr,
        connect_timeout_ms: None,
        nodelay: false,
        faults: None,
    }
}

/// An operation id no request of the page has used yet: the page counts
/// its ids up from the largest it used.
fn fresh_op(trace: &Trace) -> OpId {
    trace
        .steps()
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Request(_)))
        .map(|step| step.op)
        .filter(|op| *op < FIRST_RELAY_OP)
        .max()
        .map_or(1, |op| op + 1)
}
