//! A program's HTTP requests: `requests.get(url, timeout=5)` in the page
//! becomes one relay `http_request` operation, so it is drawn with its
//! phases in the waterfall like the HTTP panel's, and the operation's events
//! become what `requests` returns (status, headers, body, final URL,
//! redirect history, elapsed time) or raises.
//!
//! Pure, as [`super::sockets`] is: [`Exchanges::start`] gives the relay
//! message for a call, [`Exchanges::relay`] folds the operation's messages
//! and gives the reply once the response is whole or the operation failed.
//! Which `requests` exception a failure is, the model decides
//! ([`RequestsError`]); the Python module only words it as `requests` does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::python_error::{self, PyError, PyException};
use super::sockets::{CallId, Effect, Outcome, Reply};
use crate::payload::Payload;
use crate::protocol::{
    ClientMsg, ErrorCode, EventKind, HttpRequest, HttpTimeouts, OpId, RelayError, ServerMsg,
};

/// The largest response body a program receives (the relay's `max_body`,
/// asked for explicitly): past it the request raises, as the relay stops
/// reading (`body_too_large`). The page holds at most this much per
/// request while it waits for the end.
pub const MAX_BODY: u64 = 4 * 1024 * 1024;

/// The relay's own bounds on a timeout; the relay refuses 0.
const MIN_TIMEOUT_MS: u64 = 1;

/// `requests.request(method, url, ...)` as the module prepared it: the URL
/// with its `params`, the headers in order (auth, content type and the
/// defaults already in), the body as bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpCall {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Payload>,
    /// `timeout=(connect, read)`: the wait for the connection (and its TLS
    /// handshake) and for the response; `None` leaves the relay's (10 s
    /// and 30 s; 60 s for the whole request).
    pub connect_timeout_ms: Option<u64>,
    pub read_timeout_ms: Option<u64>,
    /// Redirects to follow (`Session.max_redirects`, 30, when
    /// `allow_redirects`; 0 returns a redirect as it is).
    pub max_redirects: u8,
}

/// One response: the last of a request, or one it was redirected from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub reason: String,
    /// In order, repeated names kept (`requests` joins them with `, `).
    pub headers: Vec<(String, String)>,
    /// The URL this response answered.
    pub url: String,
    /// From the start of this hop (the request, or the redirect that led
    /// here) to the response's head, as `Response.elapsed` measures.
    pub elapsed_us: u64,
}

/// The `requests` exceptions a failed request raises. Serialized as the
/// class name in `requests.exceptions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestsError {
    /// No connection (refused, no route, a name that does not resolve, the
    /// relay's policy), or one that broke during the exchange.
    ConnectionError,
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// Connected, but the response did not come within the read timeout,
    /// the TLS handshake not within the connect timeout (urllib3 2 reports
    /// that as a read timeout too), or the whole request took longer than
    /// the relay allows.
    ReadTimeout,
    /// The TLS handshake failed (an untrusted or mismatched certificate).
    #[serde(rename = "SSLError")]
    SslError,
    /// More redirects than `max_redirects`.
    TooManyRedirects,
    /// The relay cannot use the URL.
    #[serde(rename = "InvalidURL")]
    InvalidUrl,
    /// Anything else (a body past [`MAX_BODY`]).
    RequestException,
}

/// Why a request failed: the `requests` exception, the socket-level error
/// under it when there is one (`ConnectionRefusedError`, `gaierror`,
/// `PermissionError` with the relay's explanation), and the relay's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpFailure {
    pub exception: RequestsError,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<PyError>,
    pub message: String,
    /// For a timeout, which of the program's `timeout=(connect, read)` ran
    /// out: the message names its value, as `requests` does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<TimeoutLimit>,
}

/// One of the two waits `requests` bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutLimit {
    /// The connection and its TLS handshake (urllib3 2 waits for the
    /// handshake under the connect timeout, and reports it as a read
    /// timeout: `Read timed out. (read timeout=<connect>)`).
    Connect,
    /// The response.
    Read,
}

/// One request under way.
#[derive(Debug)]
struct Exchange {
    call: CallId,
    max_redirects: u8,
    /// The URL of the current hop.
    url: String,
    /// When the current hop began (relay microseconds into the operation).
    hop_start_us: u64,
    /// The current hop's connection is open (a timeout now is a read
    /// timeout).
    connected: bool,
    /// The current hop's TLS handshake is done (or it has none): a timeout
    /// now is the response's, not the handshake's.
    handshaken: bool,
    head: Option<HttpResponse>,
    history: Vec<HttpResponse>,
    body: Vec<u8>,
    /// The reply went: what follows until the operation ends is ignored.
    answered: bool,
}

/// Every request of one run of a program, by operation.
#[derive(Debug, Default)]
pub struct Exchanges {
    by_op: BTreeMap<OpId, Exchange>,
}

impl Exchanges {
    /// Call `call` of the program starts as operation `op`.
    pub fn start(&mut self, call: CallId, http: HttpCall, op: OpId) -> Vec<Effect> {
        let ms = |t: Option<u64>| t.map(|ms| ms.max(MIN_TIMEOUT_MS));
        let (connect, read) = (ms(http.connect_timeout_ms), ms(http.read_timeout_ms));
        let timeouts = (connect.is_some() || read.is_some()).then_some(HttpTimeouts {
            connect_ms: connect,
            // `requests` waits for the handshake under the connection's
            // timeout.
            tls_ms: connect,
            first_byte_ms: read,
            total_ms: None,
        });
        self.by_op.insert(
            op,
            Exchange {
                call,
                max_redirects: http.max_redirects,
                url: http.url.clone(),
                hop_start_us: 0,
                connected: false,
                handshaken: false,
                head: None,
                history: Vec::new(),
                body: Vec::new(),
                answered: false,
            },
        );
        vec![Effect::Relay(Box::new(ClientMsg::HttpRequest(
            HttpRequest {
                method: http.method,
                headers: http.headers,
                body: http.body,
                timeouts,
                follow_redirects: http.max_redirects,
                max_body: Some(MAX_BODY),
                ..HttpRequest::get(op, http.url)
            },
        )))]
    }

    /// Whether `op` is one of these requests.
    pub fn owns(&self, op: OpId) -> bool {
        self.by_op.contains_key(&op)
    }

    /// The requests still under way, to close when the program stops.
    pub fn open_ops(&self) -> impl Iterator<Item = OpId> + '_ {
        self.by_op.keys().copied()
    }

    pub fn clear(&mut self) {
        self.by_op.clear();
    }

    /// A relay message about one of these requests (others give nothing).
    pub fn relay(&mut self, msg: &ServerMsg) -> Vec<Effect> {
        let (op, t_us) = match msg {
            ServerMsg::Event(event) => (event.op, event.t_us),
            ServerMsg::Data { op, t_us, .. } => (*op, *t_us),
            ServerMsg::Error { op: Some(op), .. } => (*op, 0),
            _ => return Vec::new(),
        };
        let Some(exchange) = self.by_op.get_mut(&op) else {
            return Vec::new();
        };
        let outcome = match msg {
            ServerMsg::Data { data, .. } => {
                // The relay stops at `max_body`; the page holds no more
                // whatever a relay sends.
                let room = (MAX_BODY as usize).saturating_sub(exchange.body.len());
                exchange
                    .body
                    .extend_from_slice(&data.0[..data.0.len().min(room)]);
                None
            }
            ServerMsg::Error { error, .. } => {
                // Refused before it started (a limit, a bad field): the
                // operation does not exist.
                let failure = exchange.failure(error);
                let outcome =
                    (!exchange.answered).then_some(Outcome::HttpFailed { error: failure });
                let call = exchange.call;
                self.by_op.remove(&op);
                return reply(call, outcome);
            }
            ServerMsg::Event(event) => match &event.kind {
                EventKind::Connected { .. } => {
                    exchange.connected = true;
                    exchange.handshaken = !is_https(&exchange.url);
                    None
                }
                EventKind::TlsHandshake { .. } => {
                    exchange.handshaken = true;
                    None
                }
                EventKind::ResponseHead {
                    status,
                    reason,
                    headers,
                    ..
                } => {
                    exchange.head = Some(HttpResponse {
                        status: *status,
                        reason: reason.clone(),
                        headers: headers.clone(),
                        url: exchange.url.clone(),
                        elapsed_us: t_us.saturating_sub(exchange.hop_start_us),
                    });
                    None
                }
                EventKind::Redirect { location, .. } => {
                    if let Some(head) = exchange.head.take() {
                        exchange.history.push(head);
                    }
                    exchange.url = location.clone();
                    exchange.hop_start_us = t_us;
                    exchange.connected = false;
                    exchange.handshaken = false;
                    exchange.body.clear();
                    None
                }
                // The response is whole: the program goes on while the
                // relay closes the operation.
                EventKind::ResponseDone { .. } => exchange.response(),
                EventKind::Failed { error } => {
                    let failure = exchange.failure(error);
                    let outcome =
                        (!exchange.answered).then_some(Outcome::HttpFailed { error: failure });
                    let call = exchange.call;
                    self.by_op.remove(&op);
                    return reply(call, outcome);
                }
                EventKind::Closed { .. } => {
                    // Closed without a whole response (the program's own
                    // close): nothing more will come.
                    let outcome = if exchange.answered {
                        None
                    } else {
                        Some(Outcome::HttpFailed {
                            error: HttpFailure {
                                exception: RequestsError::ConnectionError,
                                cause: None,
                                message: "the request was closed before its response arrived"
                                    .into(),
                                limit: None,
                            },
                        })
                    };
                    let call = exchange.call;
                    self.by_op.remove(&op);
                    return reply(call, outcome);
                }
                _ => None,
            },
            _ => None,
        };
        outcome.map_or_else(Vec::new, |outcome| {
            exchange.answered = true;
            vec![Effect::Reply(Reply {
                id: exchange.call,
                outcome,
            })]
        })
    }
}

/// Whether the hop to `url` is made over TLS.
fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

fn reply(call: CallId, outcome: Option<Outcome>) -> Vec<Effect> {
    outcome
        .map(|outcome| Effect::Reply(Reply { id: call, outcome }))
        .into_iter()
        .collect()
}

impl Exchange {
    fn response(&mut self) -> Option<Outcome> {
        if self.answered {
            return None;
        }
        let head = self.head.take()?;
        Some(Outcome::Response {
            response: head,
            body: Payload(std::mem::take(&mut self.body)),
            history: std::mem::take(&mut self.history),
        })
    }

    /// The `requests` exception for the relay's `error`, at the point the
    /// request had reached.
    fn failure(&self, error: &RelayError) -> HttpFailure {
        use RequestsError as R;
        let socket = python_error::from_relay(error);
        let with_cause = |exception, cause: PyError| HttpFailure {
            exception,
            message: cause.traceback_line(),
            cause: Some(cause),
            limit: None,
        };
        let plain = |exception| HttpFailure {
            exception,
            cause: None,
            message: error.message.clone(),
            limit: None,
        };
        let timed_out = |exception, limit| HttpFailure {
            limit: Some(limit),
            ..plain(exception)
        };
        match error.code {
            // A handshake that stalls: a read timeout under the connect
            // timeout, as urllib3 2 raises it.
            ErrorCode::TimedOut if self.connected && !self.handshaken => {
                timed_out(R::ReadTimeout, TimeoutLimit::Connect)
            }
            ErrorCode::TimedOut if self.connected && self.head.is_none() => {
                timed_out(R::ReadTimeout, TimeoutLimit::Read)
            }
            // The body stalled past the relay's limit on the whole request:
            // none of the program's timeouts.
            ErrorCode::TimedOut if self.connected => plain(R::ReadTimeout),
            ErrorCode::TimedOut => timed_out(R::ConnectTimeout, TimeoutLimit::Connect),
            ErrorCode::ResolveFailed | ErrorCode::InvalidName | ErrorCode::DnsFailed => with_cause(
                R::ConnectionError,
                PyError::new(
                    PyException::Gaierror,
                    Some(python_error::EAI_NONAME),
                    "Name or service not known",
                ),
            ),
            ErrorCode::DnsTimeout => with_cause(
                R::ConnectionError,
                PyError::new(
                    PyException::Gaierror,
                    Some(python_error::EAI_AGAIN),
                    "Temporary failure in name resolution",
                ),
            ),
            ErrorCode::Tls => plain(R::SslError),
            ErrorCode::InvalidUrl => plain(R::InvalidUrl),
            ErrorCode::BodyTooLarge => HttpFailure {
                exception: R::RequestException,
                cause: None,
                limit: None,
                message: format!(
                    "the response body is larger than {} MiB, the most a program in the page receives: the relay stopped reading",
                    MAX_BODY / (1024 * 1024)
                ),
            },
            ErrorCode::Http if self.redirected_past_limit() => HttpFailure {
                exception: R::TooManyRedirects,
                cause: None,
                limit: None,
                message: format!("Exceeded {} redirects.", self.max_redirects),
            },
            ErrorCode::Http => plain(R::ConnectionError),
            _ => with_cause(R::ConnectionError, socket),
        }
    }

    /// The last response was a redirect the relay did not follow because
    /// the request's redirects were spent.
    fn redirected_past_limit(&self) -> bool {
        self.max_redirects > 0
            && self.history.len() >= usize::from(self.max_redirects)
            && self
                .head
                .as_ref()
                .is_some_and(|head| matches!(head.status, 301 | 302 | 303 | 307 | 308))
    }
}
