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
//! Two thin adapters watch the bytes: [`WireTap`] sits on the TCP socket
//! (so over TLS it sees the records an eavesdropper would see) and reports
//! `wire` events when the browser asked for `raw`; [`HeadTap`] sits on the
//! plain-text side and captures the exact request head and the instant the
//! first response byte arrives. Both report through one channel that the
//! operation drains as it waits on hyper, so events keep their order.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{self, HeaderName, HeaderValue};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    CertInfo, Closer, ErrorCode, EventKind, HttpRequest, HttpTimings, RelayError, WireDir,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;
use url::Url;

use crate::AppState;
use crate::connectors::{http_retry, tcp};
use crate::lab::Lab;
use crate::op::Command;
use crate::policy::Protocol;
use crate::report::{Reporter, SessionGone};
use crate::target::{self, Target};

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
/// Most wire bytes reported per operation (`raw` requests); past this the
/// `wire` events stop (the exchange goes on).
const WIRE_BUDGET: usize = 256 * 1024;
/// Longest request head captured for `request_written`.
const MAX_HEAD: usize = 64 * 1024;

/// Why an exchange stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    Fail(RelayError),
    Gone,
}

impl From<SessionGone> for Stop {
    fn from(_: SessionGone) -> Self {
        Stop::Gone
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
            .await
            .map_err(Stop::from)
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
        gone = wait_for_close(&mut commands, &report) => {
            if gone {
                Err(Stop::Gone)
            } else {
                report.event(EventKind::Closed { by: Closer::Browser }).await.map_err(Stop::from)
            }
        }
    };
    let ending = match stopped {
        Ok(()) => "done".to_owned(),
        Err(Stop::Gone) => "session gone".to_owned(),
        Err(Stop::Fail(error)) => {
            let code = error.code.as_str();
            let _ = report.event(EventKind::Failed { error }).await;
            format!("failed: {code}")
        }
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

/// Reads commands until the browser closes (false) or the session goes
/// away (true). An HTTP operation takes no `send`.
async fn wait_for_close(commands: &mut mpsc::Receiver<Command>, report: &Reporter) -> bool {
    loop {
        match commands.recv().await {
            Some(Command::Send(_) | Command::SendTo { .. } | Command::Shutdown) => {
                let refusal = RelayError::new(
                    ErrorCode::NotSupported,
                    "an HTTP operation takes its body in http_request; send and shutdown are for sockets",
                );
                if report.reject(refusal).await.is_err() {
                    return true;
                }
            }
            Some(Command::Close) => return false,
            None => return true,
        }
    }
}

/// The request as it goes to one URL (it changes along redirects).
struct Hop {
    method: hyper::Method,
    url: Url,
    body: Bytes,
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
    let method = hyper::Method::from_bytes(request.method.trim().as_bytes()).or_else(|_| {
        fail(
            ErrorCode::Http,
            format!("\"{}\" is not an HTTP method", request.method),
        )
    })?;
    let mut headers = parse_headers(request)?;
    let mut url = parse_url(&request.url)?;
    if let Some(basic) = take_credentials(&mut url)
        && !headers
            .iter()
            .any(|(name, _)| name == header::AUTHORIZATION)
    {
        headers.push((header::AUTHORIZATION, basic));
    }
    let mut hop = Hop {
        method,
        url,
        body: Bytes::from(request.body.clone().map(|p| p.0).unwrap_or_default()),
    };
    let tls = tls_connector(lab)?;
    let wire_budget = Arc::new(AtomicUsize::new(if request.raw { WIRE_BUDGET } else { 0 }));
    let mut redirects_left = request.follow_redirects;
    loop {
        let next = one_hop(
            state,
            request,
            &hop,
            &headers,
            &tls,
            &wire_budget,
            started,
            report,
            summary,
            request.follow_redirects > 0,
        )
        .await?;
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
        let url = hop.url.join(&location).or_else(|e| {
            fail(
                ErrorCode::Http,
                format!("the redirect's Location \"{location}\" is not a URL: {e}"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return fail(
                ErrorCode::Http,
                format!("the redirect goes to {url}, which is not http:// or https://"),
            );
        }
        if url.port() == Some(0) {
            return fail(
                ErrorCode::Http,
                format!("the redirect goes to {url}: port 0 cannot be connected to"),
            );
        }
        report
            .event(EventKind::Redirect {
                status,
                location: url.to_string(),
            })
            .await?;
        // As browsers do: 303 always, and 301/302 after a POST, turn into a GET
        // without a body; 307 and 308 repeat the request as it was.
        if status == 303 && hop.method != hyper::Method::HEAD
            || matches!(status, 301 | 302) && hop.method == hyper::Method::POST
        {
            hop.method = hyper::Method::GET;
            hop.body = Bytes::new();
            // The body's headers went with it.
            headers.retain(|(name, _)| name != header::CONTENT_TYPE);
        }
        // Credentials are for the origin they were given to: a redirect to
        // another one does not carry them (as browsers and curl do).
        // A Host the learner gave named the old server.
        if url.origin() != hop.url.origin() {
            headers.retain(|(name, _)| !is_credential(name) && name != header::HOST);
        }
        hop.url = url;
    }
}

/// What a hop sends that the learner chose: the body, the URL and the
/// headers (the relay's own few header lines are not counted).
fn outgoing_bytes(hop: &Hop, headers: &[(HeaderName, HeaderValue)]) -> usize {
    let head: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    hop.body.len() + hop.url.as_str().len() + head
}

/// `user:pass@` in `url`, taken out of it as the Basic `Authorization`
/// they stand for (as curl sends them; the userinfo itself never goes on
/// the wire).
fn take_credentials(url: &mut Url) -> Option<HeaderValue> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |text: &str| percent_encoding::percent_decode_str(text).collect::<Vec<u8>>();
    let mut pair = decode(url.username());
    pair.push(b':');
    pair.extend(decode(url.password().unwrap_or_default()));
    let _ = url.set_username("");
    let _ = url.set_password(None);
    use base64::Engine as _;
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    );
    Some(HeaderValue::from_str(&value).expect("base64 is a valid header value"))
}

/// Headers that carry credentials.
fn is_credential(name: &HeaderName) -> bool {
    [
        header::AUTHORIZATION,
        header::COOKIE,
        header::PROXY_AUTHORIZATION,
    ]
    .contains(name)
}

fn parse_url(text: &str) -> Result<Url, Stop> {
    let url = Url::parse(text.trim()).or_else(|e| {
        fail(
            ErrorCode::InvalidUrl,
            format!(
                "\"{text}\" is not an absolute URL ({e}); write it like http://127.0.0.1:8080/json"
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return fail(
            ErrorCode::InvalidUrl,
            format!(
                "\"{}\" URLs are not HTTP: use http:// or https://",
                url.scheme()
            ),
        );
    }
    if url.host().is_none() {
        return fail(ErrorCode::InvalidUrl, format!("\"{text}\" has no host"));
    }
    if url.port() == Some(0) {
        return fail(
            ErrorCode::InvalidUrl,
            format!("\"{text}\": port 0 cannot be connected to (ports are 1-65535)"),
        );
    }
    Ok(url)
}

fn parse_headers(request: &HttpRequest) -> Result<Vec<(HeaderName, HeaderValue)>, Stop> {
    let mut headers = Vec::with_capacity(request.headers.len() + 1);
    let body_len = request.body.as_ref().map_or(0, |body| body.0.len());
    let mut lengths = 0;
    for (name, value) in &request.headers {
        // How the body is framed is the relay's to say, as in any client
        // library: a Content-Length that does not match would cut the body
        // short or leave the server waiting for bytes that never come. One
        // that matches is left to the relay, which sets it from the body
        // (and drops it when a redirect drops the body).
        if name.trim().eq_ignore_ascii_case("content-length") {
            lengths += 1;
            if lengths > 1 {
                return fail(
                    ErrorCode::Http,
                    "Content-Length is given more than once: leave it out and the relay sets it",
                );
            }
            if value.trim().parse::<usize>().ok() != Some(body_len) {
                return fail(
                    ErrorCode::Http,
                    format!(
                        "Content-Length: {} does not match the body ({body_len} bytes): leave the header out and the relay sets it",
                        value.trim()
                    ),
                );
            }
            continue;
        }
        if name.trim().eq_ignore_ascii_case("transfer-encoding") {
            return fail(
                ErrorCode::Http,
                "Transfer-Encoding is for the relay to choose: it sends the body whole, with a Content-Length; leave the header out",
            );
        }
        let name = HeaderName::from_bytes(name.trim().as_bytes()).or_else(|_| {
            fail(
                ErrorCode::Http,
                format!("\"{name}\" is not a valid header name"),
            )
        })?;
        let value = HeaderValue::from_str(value.trim()).or_else(|_| {
            fail(
                ErrorCode::Http,
                format!("the value of header \"{name}\" has characters HTTP does not allow"),
            )
        })?;
        headers.push((name, value));
    }
    if request.json && !headers.iter().any(|(n, _)| n == header::CONTENT_TYPE) {
        headers.push((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
    }
    Ok(headers)
}

/// The relay trusts the usual web roots (webpki-roots) plus its own lab CA.
fn tls_connector(lab: &Lab) -> Result<TlsConnector, Stop> {
    let internal = |e: rustls::Error| {
        Stop::Fail(RelayError::new(
            ErrorCode::Tls,
            format!("cannot set up TLS: {e}"),
        ))
    };
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    roots.add(lab.lab_ca().clone()).map_err(internal)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(internal)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// One request on a fresh connection. Returns the status and `Location` of
/// a redirect to follow (only when `may_follow`), or `None` once the
/// response has been reported in full.
#[allow(clippy::too_many_arguments)]
async fn one_hop(
    state: &AppState,
    request: &HttpRequest,
    hop: &Hop,
    headers: &[(HeaderName, HeaderValue)],
    tls: &TlsConnector,
    wire_budget: &Arc<AtomicUsize>,
    started: Instant,
    report: &Reporter,
    summary: &mut Summary,
    may_follow: bool,
) -> Result<Option<(u16, String)>, Stop> {
    let (lab, config) = (state.lab(), state.config());
    // What this hop sends counts against the session's byte budgets, on
    // every hop and every attempt (a 307/308 or a retry sends the body
    // again). Counted before dialling: what cannot fit is refused before a
    // connection opens, and a wait for the rate holds no connection.
    report.spend_out(outgoing_bytes(hop, headers)).await?;
    let timeouts = request.timeouts.unwrap_or_default();
    let url = &hop.url;
    let https = url.scheme() == "https";
    let port = url.port_or_known_default().unwrap_or(80);
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return fail(ErrorCode::InvalidUrl, format!("{url} has no host")),
    };
    // A lab service name reaches the lab directly; its certificate is made
    // out to `localhost`.
    let (target, tls_name) = match (url.host(), lab.lookup(&host)) {
        (Some(url::Host::Domain(_)), Some(addr)) => (
            Target::Lab {
                name: host.clone(),
                addr,
            },
            "localhost".to_owned(),
        ),
        // Names under lab.test go to the DNS lab (and `www.lab.test` on 80
        // or 443 to the HTTP labs, whose certificate covers *.lab.test).
        (Some(url::Host::Domain(_)), None) if crate::lab::dns::is_lab_name(&host) => (
            Target::LabHost {
                host: host.clone(),
                port,
                dns: lab.dns().stub,
            },
            host.trim_end_matches('.').to_owned(),
        ),
        (Some(url::Host::Ipv4(ip)), _) => (Target::Literal(SocketAddr::new(ip.into(), port)), host),
        (Some(url::Host::Ipv6(ip)), _) => (Target::Literal(SocketAddr::new(ip.into(), port)), host),
        _ => (
            Target::Host {
                host: host.clone(),
                port,
            },
            host,
        ),
    };
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

    let (tap_tx, mut taps) = mpsc::unbounded_channel();
    let wire = WireTap {
        inner: stream,
        events: tap_tx.clone(),
        budget: wire_budget.clone(),
    };
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
    let io = HeadTap {
        inner: io,
        events: tap_tx,
        head: Vec::new(),
        head_done: false,
        body_expected: hop.body.len() as u64,
        body_written: 0,
        written_reported: false,
        first_byte_seen: false,
    };
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake::<_, Full<Bytes>>(hyper_util::rt::TokioIo::new(io))
        .await
        .map_err(|e| http_error(&e))?;
    let connection = AbortOnDrop(tokio::spawn(connection));

    let mut builder = hyper::Request::builder()
        .method(hop.method.clone())
        .uri(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        });
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    if !headers.iter().any(|(n, _)| n == header::HOST) {
        builder = builder.header(header::HOST, authority);
    }
    if !headers.iter().any(|(n, _)| n == header::USER_AGENT) {
        builder = builder.header(
            header::USER_AGENT,
            concat!("roundtrip/", env!("CARGO_PKG_VERSION")),
        );
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    // hyper gives an empty body no length; a POST without one is refused
    // by some servers (411), so say 0, as curl and browsers do.
    if hop.body.is_empty()
        && !matches!(
            hop.method,
            hyper::Method::GET
                | hyper::Method::HEAD
                | hyper::Method::OPTIONS
                | hyper::Method::CONNECT
                | hyper::Method::TRACE
                | hyper::Method::DELETE
        )
    {
        builder = builder.header(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    let outgoing = builder
        .body(Full::new(hop.body.clone()))
        .or_else(|e| fail(ErrorCode::Http, format!("cannot build the request: {e}")))?;

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

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

fn handshake_event(connection: &rustls::ClientConnection) -> EventKind {
    let certs = connection
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|der| match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => CertInfo {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_before: cert.validity().not_before.to_string(),
                not_after: cert.validity().not_after.to_string(),
            },
            Err(error) => CertInfo {
                subject: format!("(unparsable certificate: {error})"),
                issuer: String::new(),
                not_before: String::new(),
                not_after: String::new(),
            },
        })
        .collect();
    EventKind::TlsHandshake {
        version: connection
            .protocol_version()
            .map(version_name)
            .unwrap_or_default(),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        alpn: connection
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        certs,
    }
}

fn tls_error(error: &io::Error, name: &str) -> RelayError {
    if let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        let hint = match tls {
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
                ": the certificate is not signed by a CA the relay trusts"
            }
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            | rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            ) => ": the certificate is made out to other names",
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired)
            | rustls::Error::InvalidCertificate(rustls::CertificateError::ExpiredContext {
                ..
            }) => ": the certificate has expired",
            // A plain-text answer ("HTTP/1.1 400 ...") read as a TLS record.
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
                ": the server answered in plain text, not TLS; is it http:// on that port?"
            }
            _ => "",
        };
        return RelayError::new(
            ErrorCode::Tls,
            format!("TLS handshake with {name} failed: {tls}{hint}"),
        );
    }
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return RelayError::new(
            ErrorCode::Tls,
            format!(
                "{name} closed the connection during the TLS handshake: is it speaking TLS on that port?"
            ),
        );
    }
    RelayError::new(
        ErrorCode::Io,
        format!("TLS handshake with {name} failed: {error}"),
    )
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

/// When the request went out and the answer began, on this hop.
#[derive(Debug, Default)]
struct Marks {
    written: Option<Instant>,
    first_byte: Option<Instant>,
}

/// Awaits `work` while reporting what the taps saw, in order.
async fn pump<F: std::future::Future>(
    work: F,
    taps: &mut mpsc::UnboundedReceiver<TapEvent>,
    report: &Reporter,
    marks: &mut Marks,
) -> Result<F::Output, SessionGone> {
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
async fn drain(
    taps: &mut mpsc::UnboundedReceiver<TapEvent>,
    report: &Reporter,
    marks: &mut Marks,
) -> Result<(), SessionGone> {
    while let Ok(event) = taps.try_recv() {
        tell(event, report, marks).await?;
    }
    Ok(())
}

async fn tell(event: TapEvent, report: &Reporter, marks: &mut Marks) -> Result<(), SessionGone> {
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
enum TapEvent {
    Wire(WireDir, Vec<u8>),
    RequestWritten {
        head: Vec<u8>,
        body_bytes: u64,
        at: Instant,
    },
    FirstByte(Instant),
}

/// A byte stream hyper can drive: the TCP socket or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Sits on the TCP socket and reports the bytes crossing it (while the
/// operation's wire budget lasts; 0 when the browser did not ask).
struct WireTap {
    inner: TcpStream,
    events: mpsc::UnboundedSender<TapEvent>,
    budget: Arc<AtomicUsize>,
}

impl WireTap {
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

impl AsyncRead for WireTap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.report(WireDir::In, &buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for WireTap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.report(WireDir::Out, &buf[..n]);
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

/// Sits on the plain-text side (above TLS): captures the request head as
/// hyper writes it, counts the body, and notes the first response byte.
struct HeadTap {
    inner: Box<dyn Io>,
    events: mpsc::UnboundedSender<TapEvent>,
    head: Vec<u8>,
    head_done: bool,
    body_expected: u64,
    body_written: u64,
    written_reported: bool,
    first_byte_seen: bool,
}

impl HeadTap {
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

impl AsyncRead for HeadTap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && buf.filled().len() > before
            && !this.first_byte_seen
        {
            this.first_byte_seen = true;
            let _ = this.events.send(TapEvent::FirstByte(Instant::now()));
        }
        polled
    }
}

impl AsyncWrite for HeadTap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.wrote(&buf[..n]);
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

/// hyper's connection task, stopped when the exchange is over.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roundtrip_shared::payload::Payload;

    fn post(headers: &[(&str, &str)], body: &str) -> HttpRequest {
        HttpRequest {
            faults: None,
            retry: None,
            op: 1,
            method: "POST".into(),
            url: "http://127.0.0.1:9/echo".into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Some(Payload(body.as_bytes().to_vec())),
            json: false,
            timeouts: None,
            follow_redirects: 0,
            max_body: None,
            raw: false,
        }
    }

    fn refusal(request: &HttpRequest) -> String {
        match parse_headers(request) {
            Err(Stop::Fail(error)) => {
                assert_eq!(error.code, ErrorCode::Http);
                error.message
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_body_is_framed_by_the_relay() {
        // A length that would cut the body short, or leave the server
        // waiting, is refused; a right one is left to the relay to set.
        assert!(
            refusal(&post(&[("Content-Length", "1")], "abc"))
                .starts_with("Content-Length: 1 does not match the body (3 bytes)")
        );
        assert!(refusal(&post(&[("content-length", "50")], "abc")).contains("(3 bytes)"));
        assert!(
            refusal(&post(
                &[("Content-Length", "3"), ("Content-Length", "3")],
                "abc"
            ))
            .contains("more than once")
        );
        assert!(
            refusal(&post(&[("Transfer-Encoding", "chunked")], "abc"))
                .starts_with("Transfer-Encoding")
        );
        let headers =
            parse_headers(&post(&[("Content-Length", "3"), ("X-Lesson", "1")], "abc")).unwrap();
        assert_eq!(
            headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["x-lesson"]
        );
    }
}
