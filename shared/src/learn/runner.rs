//! What a "Do this" button does, step by step: a pure state machine that
//! is handed the trace after every change and answers with the requests to
//! send next (connect; once connected, send; once the answer is in, close).
//! The page only sends what it returns, so the whole sequence is tested
//! here without a browser.

use crate::payload::Payload;
use crate::protocol::{ClientMsg, EventKind, HttpRequest, OpId, Service};
use crate::trace::Trace;

use super::lesson::{After, Setup};

/// How long a UDP socket of a lesson waits for its answer at most.
pub const MAX_RECV_TIMEOUT_MS: u64 = 10_000;

/// A setup being run on one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub setup: Setup,
    pub op: OpId,
    message: Vec<u8>,
    stage: Stage,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for `connected` (TCP) or `bound` (UDP).
    Opening,
    /// The message went; waiting for its answer.
    Sent,
    Done,
}

/// Why a setup cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the relay has not named its lab services yet: wait until it is connected")]
    NoServices,
}

impl Run {
    /// Starts `setup` as operation `op` sending `message`: the run and the
    /// first request.
    pub fn start(
        setup: Setup,
        services: &[Service],
        op: OpId,
        message: &str,
    ) -> Result<(Run, ClientMsg), RunError> {
        let target = setup.target().dial(services).ok_or(RunError::NoServices)?;
        let first = match setup {
            Setup::Tcp { faults, .. } => ClientMsg::TcpConnect {
                op,
                target,
                connect_timeout_ms: None,
                nodelay: false,
                faults,
            },
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
                ..HttpRequest::get(op, format!("http://{target}{path}"))
            }),
        };
        let run = Run {
            setup,
            op,
            message: message.as_bytes().to_vec(),
            stage: Stage::Opening,
        };
        Ok((run, first))
    }

    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The requests to send now that the trace is `trace`; each is sent
    /// once (the run moves on as it returns them).
    pub fn advance(&mut self, trace: &Trace) -> Vec<ClientMsg> {
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
            Setup::Http { .. } => return Vec::new(),
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
        }
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
            Setup::Http { .. } => false,
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
            Setup::Http { .. } => Vec::new(),
        }
    }
}
