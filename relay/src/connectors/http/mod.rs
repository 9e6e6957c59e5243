//! The HTTP connector: one HTTP/1.1 request (plain or over TLS), every
//! phase reported and timed at the relay.
//!
//! We dial ourselves and hand the socket to hyper at the connection level
//! (`hyper::client::conn::http1`), so each phase is ours to time: name
//! resolution ([`target::resolve`]), TCP connect ([`tcp::connect_any`]), the
//! TLS handshake (tokio-rustls), the request, the wait for the first byte,
//! and the body. Because we dial ourselves, proxy environment variables
//! (`HTTP_PROXY`, ...) play no part: the request goes where the URL says.
//!
//! The connector is a folder because it does four jobs:
//! - this file: the operation ([`run`]), one attempt with the redirects it
//!   follows ([`exchange`]), and each hop's phases on a fresh connection;
//! - [`request`]: the learner's URL and headers made into hyper requests,
//!   and the rules a redirect follows (pure, no I/O);
//! - [`tls`]: what the relay trusts, and the handshake's event and errors;
//! - [`taps`]: the adapters under hyper that see the bytes on the socket
//!   and the request head, and the channel that keeps their events in
//!   order with the exchange's own.

mod request;
mod taps;
mod tls;

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{self, HeaderName, HeaderValue};
use roundtrip_shared::protocol::{
    Closer, ErrorCode, EventKind, HttpRequest, HttpTimings, RelayError,
};
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;
use tokio_util::task::AbortOnDropHandle;
use url::Url;

use crate::AppState;
use crate::connectors::common::{self, Ended, refuse_until_close};
use crate::connectors::{http_retry, tcp};
use crate::op::Command;
use crate::policy::Protocol;
use crate::report::{Halt, Reporter};
use crate::target::{self, Target};
use request::{Hop, outgoing_bytes};
use taps::{HeadTap, Io, Marks, WIRE_BUDGET, WireTap, drain, pump};
pub(crate) use tls::ClientTls;
use tls::{handshake_event, server_name, tls_error};

/// Defaults for the phases the browser leaves open.
const DEFAULT_TLS: Duration = Duration::from_secs(10);
const DEFAULT_FIRST_BYTE: Duration = Duration::from_secs(30);
const DEFAULT_TOTAL: Duration = Duration::from_secs(60);
/// Largest response body when the request sets no `max_body`.
pub const DEFAULT_MAX_BODY: u64 = 4 * 1024 * 1024;
/// The largest `max_body` a request may ask for, as timeouts have theirs: a
/// body a lesson can use, not one that ties the relay up for hours.
pub const MAX_MAX_BODY: u64 = 64 * 1024 * 1024;
/// Largest piece of body (or of wire bytes) per message.
const CHUNK: usize = 16 * 1024;
/// Why an exchange stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    /// With this error, not yet reported.
    Fail(RelayError),
    /// At once: the session ended, or the byte budget is spent (reported).
    Halt(Halt),
}

impl From<Halt> for Stop {
    fn from(halt: Halt) -> Self {
        Stop::Halt(halt)
    }
}

impl From<RelayError> for Stop {
    fn from(error: RelayError) -> Self {
        Stop::Fail(error)
    }
}

pub(super) fn fail<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Fail(RelayError::new(code, message)))
}

/// What the log line says about a finished exchange (and what a retry
/// needs to know of its response).
#[derive(Debug, Default)]
pub(super) struct Summary {
    pub(super) status: u16,
    pub(super) body_bytes: u64,
    /// The last response's `Retry-After` header.
    pub(super) retry_after: Option<String>,
    /// Attempts made (retried requests).
    pub(super) attempts: u32,
}

/// Runs one `http_request` operation to its end.
pub async fn run(
    state: &AppState,
    request: HttpRequest,
    mut commands: mpsc::Receiver<Command>,
    report: Reporter,
) {
    let started = Instant::now();
    let total = request
        .timeouts
        .and_then(|t| t.total_ms)
        .map_or(DEFAULT_TOTAL, Duration::from_millis);
    let where_to = loggable(&request.url);
    let mut summary = Summary::default();
    let work = async {
        match &request.retry {
            None => exchange(state, &request, started, &report, &mut summary).await,
            Some(policy) => {
                http_retry::attempts(state, &request, policy, started, &report, &mut summary).await
            }
        }?;
        report
            .event(EventKind::Closed { by: Closer::Relay })
            .await?;
        Ok(Closer::Relay)
    };
    let exchange = tokio::time::timeout(total, work);
    let stopped = tokio::select! {
        result = exchange => match result {
            Ok(result) => result,
            Err(_elapsed) => Err(Stop::Fail(RelayError::new(
                ErrorCode::TimedOut,
                format!(
                    "total timeout: the whole request took longer than {} ms (timeouts.total_ms)",
                    total.as_millis()
                ),
            ))),
        },
        closed = refuse_until_close(&mut commands, &report, |_| RelayError::new(
            ErrorCode::NotSupported,
            "an HTTP operation takes its body in http_request; send and shutdown are for sockets",
        )) => async {
            closed?;
            report.event(EventKind::Closed { by: Closer::Browser }).await?;
            Ok(Closer::Browser)
        }.await,
    };
    let ending = match stopped {
        Ok(by) => Ended::Closed(by),
        Err(Stop::Halt(halt)) => Ended::halted(halt),
        Err(Stop::Fail(error)) => Ended::of(common::fail(&report, error).await),
    };
    tracing::info!(
        op = report.op(),
        method = %request.method,
        url = %where_to,
        %ending,
        status = summary.status,
        body_bytes = summary.body_bytes,
        attempts = summary.attempts,
        "http operation ended"
    );
}

/// The URL without query, fragment or credentials: logs never carry tokens.
fn loggable(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => {
            format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or(""),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ) + url.path()
        }
        Err(_) => "(invalid url)".to_owned(),
    }
}

/// One attempt: the request, and the redirects it follows. Reports every
/// phase, but not the operation's end.
pub(super) async fn exchange(
    state: &AppState,
    request: &HttpRequest,
    started: Instant,
    report: &Reporter,
    summary: &mut Summary,
) -> Result<(), Stop> {
    let lab = state.lab();
    if let Some(asked) = request.max_body
        && asked > MAX_MAX_BODY
    {
        return fail(
            ErrorCode::Malformed,
            format!(
                "max_body is {asked}; it can be at most {MAX_MAX_BODY} bytes (64 MiB) on this relay"
            ),
        );
    }
    let (mut hop, mut headers) = request::first_hop(request)?;
    let tls = state.http_tls().connector(lab)?;
    let wire_budget = Arc::new(AtomicUsize::new(if request.raw { WIRE_BUDGET } else { 0 }));
    let ctx = HopCtx {
        state,
        request,
        tls: &tls,
        wire_budget: &wire_budget,
        started,
        report,
    };
    let mut redirects_left = request.follow_redirects;
    loop {
        let next = one_hop(&ctx, &hop, &headers, summary).await?;
        let Some((status, location)) = next else {
            return Ok(());
        };
        if redirects_left == 0 {
            return fail(
                ErrorCode::Http,
                format!(
                    "too many redirects: stopped after following {} (follow_redirects); the last one was {status} to {location}",
                    request.follow_redirects
                ),
            );
        }
        redirects_left -= 1;
        let url = request::redirect_url(&hop.url, &location)?;
        report
            .event(EventKind::Redirect {
                status,
                location: url.to_string(),
            })
            .await?;
        request::follow(&mut hop, &mut headers, status, url);
    }
}

/// What every hop of one exchange shares.
struct HopCtx<'a> {
    state: &'a AppState,
    request: &'a HttpRequest,
    tls: &'a TlsConnector,
    /// Wire bytes left to report, across the exchange's hops.
    wire_budget: &'a Arc<AtomicUsize>,
    /// When the operation began (`timings.total_us` counts from here).
    started: Instant,
    report: &'a Reporter,
}

/// One request on a fresh connection. Returns the status and `Location` of
/// a redirect to follow (only when the request follows redirects), or
/// `None` once the response has been reported in full.
async fn one_hop(
    ctx: &HopCtx<'_>,
    hop: &Hop,
    headers: &[(HeaderName, HeaderValue)],
    summary: &mut Summary,
) -> Result<Option<(u16, String)>, Stop> {
    let HopCtx {
        state,
        request,
        tls,
        wire_budget,
        started,
        report,
    } = *ctx;
    let may_follow = request.follow_redirects > 0;
    let (lab, config) = (state.lab(), state.config());
    // What this hop sends counts against the session's byte budgets, on
    // every hop and every attempt (a 307/308 or a retry sends the body
    // again). Counted before dialling: what cannot fit is refused before a
    // connection opens, and a wait for the rate holds no connection.
    report.spend_out(outgoing_bytes(hop, headers)).await?;
    let timeouts = request.timeouts.unwrap_or_default();
    let url = &hop.url;
    let https = url.scheme() == "https";
    let target = target::from_url(url, lab)?;
    let tls_name = server_name(&target);
    let mut timings = HttpTimings::default();

    let t = Instant::now();
    let transport = if https { "https" } else { "http" };
    let addrs = target::resolve(state, &target, transport, report).await??;
    timings.dns_us = micros(t.elapsed());

    let t = Instant::now();
    let connect_timeout = timeouts
        .connect_ms
        .map_or(config.connect_timeout, Duration::from_millis);
    let dial = tcp::Dial {
        protocol: if https {
            Protocol::Https
        } else {
            Protocol::Http
        },
        host: match &target {
            Target::Host { host, .. } => Some(host.as_str()),
            _ => None,
        },
        timeout: connect_timeout,
        faults: request.faults,
    };
    // The guard keeps the lab's faults registered for this hop's connection.
    let (stream, _faults) = tcp::connect_any(state, &dial, &addrs, report).await??;
    // As curl and browsers do: send each write at once rather than wait for
    // ACKs (Nagle), which would add delayed-ACK pauses to the timings.
    let _ = stream.set_nodelay(true);
    report
        .event(EventKind::Connected {
            local: stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            remote: stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        })
        .await?;
    timings.connect_us = micros(t.elapsed());

    let (tap_tx, mut taps) = taps::channel();
    let wire = WireTap::new(stream, tap_tx.clone(), wire_budget.clone());
    let io: Box<dyn Io> = if https {
        let t = Instant::now();
        let name = rustls::pki_types::ServerName::try_from(tls_name.clone()).or_else(|_| {
            fail(
                ErrorCode::InvalidUrl,
                format!("\"{tls_name}\" cannot be checked against a certificate"),
            )
        })?;
        let limit = timeouts.tls_ms.map_or(DEFAULT_TLS, Duration::from_millis);
        let handshake = tokio::time::timeout(limit, tls.connect(name, wire));
        let stream = match pump(handshake, &mut taps, report, &mut Marks::default()).await? {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => return Err(Stop::Fail(tls_error(&error, &tls_name))),
            Err(_) => {
                return fail(
                    ErrorCode::TimedOut,
                    format!(
                        "TLS handshake timeout: no handshake within {} ms (timeouts.tls_ms)",
                        limit.as_millis()
                    ),
                );
            }
        };
        report.event(handshake_event(stream.get_ref().1)).await?;
        timings.tls_us = micros(t.elapsed());
        Box::new(stream)
    } else {
        Box::new(wire)
    };

    let request_start = Instant::now();
    let io = HeadTap::new(io, tap_tx, hop.body.len() as u64);
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake::<_, Full<Bytes>>(hyper_util::rt::TokioIo::new(io))
        .await
        .map_err(|e| http_error(&e))?;
    // hyper's connection task, stopped when the exchange is over.
    let connection = AbortOnDropHandle::new(tokio::spawn(connection));

    let outgoing = request::build(hop, headers)?;

    let mut marks = Marks::default();
    let first_byte = timeouts
        .first_byte_ms
        .map_or(DEFAULT_FIRST_BYTE, Duration::from_millis);
    let response = tokio::time::timeout(first_byte, sender.send_request(outgoing));
    let response = match pump(response, &mut taps, report, &mut marks).await? {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return Err(Stop::Fail(http_error(&error))),
        Err(_) => {
            return fail(
                ErrorCode::TimedOut,
                format!(
                    "first byte timeout: no response within {} ms of sending the request (timeouts.first_byte_ms)",
                    first_byte.as_millis()
                ),
            );
        }
    };
    let (parts, mut body) = response.into_parts();
    let status = parts.status.as_u16();
    summary.status = status;
    summary.retry_after = parts
        .headers
        .get(header::RETRY_AFTER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    report
        .event(EventKind::ResponseHead {
            status,
            reason: parts
                .status
                .canonical_reason()
                .unwrap_or_default()
                .to_owned(),
            version: format!("{:?}", parts.version),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        })
        .await?;

    if may_follow
        && matches!(status, 301 | 302 | 303 | 307 | 308)
        && let Some(location) = parts.headers.get(header::LOCATION)
    {
        let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
        return Ok(Some((status, location)));
    }

    let max_body = request.max_body.unwrap_or(DEFAULT_MAX_BODY);
    let too_large = || {
        fail(
            ErrorCode::BodyTooLarge,
            format!(
                "the response body is larger than the limit of {max_body} bytes (max_body): the relay stopped reading"
            ),
        )
    };
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > max_body) {
        return too_large();
    }
    let json_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
    // Checked as it streams past, never held whole.
    let mut json_check = json_type.then(super::json_check::JsonCheck::start);
    let mut received = 0u64;
    loop {
        let frame = match pump(body.frame(), &mut taps, report, &mut marks).await? {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Err(Stop::Fail(http_error(&error))),
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        received += data.len() as u64;
        if received > max_body {
            return too_large();
        }
        if let Some(check) = &mut json_check {
            check.feed(data.clone()).await;
        }
        for piece in data.chunks(CHUNK) {
            report.data(piece).await?;
        }
    }
    drain(&mut taps, report, &mut marks).await?;
    summary.body_bytes = received;
    let end = Instant::now();
    timings.request_us = marks
        .written
        .map_or(0, |at| micros(at.saturating_duration_since(request_start)));
    timings.wait_us = match (marks.written, marks.first_byte) {
        (Some(w), Some(f)) => micros(f.saturating_duration_since(w)),
        _ => 0,
    };
    timings.download_us = marks
        .first_byte
        .map_or(0, |f| micros(end.saturating_duration_since(f)));
    timings.total_us = micros(end.saturating_duration_since(started));
    let json = match json_check {
        Some(check) => check.finish().await,
        None => false,
    };
    report
        .event(EventKind::ResponseDone {
            body_bytes: received,
            json,
            timings,
        })
        .await?;
    drop(sender);
    drop(connection);
    Ok(None)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
fn http_error(error: &hyper::Error) -> RelayError {
    use std::error::Error as _;
    let mut message = error.to_string();
    let mut source = error.source();
    let mut reset = false;
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        // A reset after the server's FIN surfaces as EPIPE on the write.
        reset |= cause.downcast_ref::<io::Error>().is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            )
        });
        source = cause.source();
    }
    // A reset is TCP's doing, not HTTP's: named as such, it is retried
    // like one (`connect_errors`).
    if reset {
        RelayError::new(
            ErrorCode::Reset,
            format!("the server reset the connection (RST) during the HTTP exchange: {message}"),
        )
    } else if error.is_incomplete_message() {
        RelayError::new(
            ErrorCode::Http,
            format!("the server closed the connection before its whole answer: {message}"),
        )
    } else if error.is_parse() {
        RelayError::new(
            ErrorCode::Http,
            format!("the server did not answer in HTTP/1.1: {message}"),
        )
    } else {
        RelayError::new(ErrorCode::Http, format!("HTTP exchange failed: {message}"))
    }
}
