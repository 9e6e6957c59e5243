//! What each step of a trace says: which side sends it, which side receives
//! it, its label and its tone. Positions are not decided here (see
//! [`super::timeline`] and [`super::view`]).

use super::{Tone, format_micros};
use crate::payload::{Payload, format_bytes, preview};
use crate::protocol::{Closer, EventKind, ResolveSource, WireDir};
use crate::trace::{Request, SocketKind, Step, StepKind};
use crate::view::tls_record::WireReader;

/// The side of an arrow, before the peer is known: `Target` stands for
/// whatever the operation talks to (a server, a DNS server, a client that
/// connected), which [`super::timeline`] turns into a lane of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Browser,
    Relay,
    Target,
}

/// What the timeline knows of a step's operation from its earlier steps.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Before {
    /// The socket already sent its FIN (a `shutdown`): closing it sends
    /// no second one.
    pub fin_sent: bool,
    /// This end aborted the connection: an RST went instead of a FIN.
    pub rst_sent: bool,
    /// The TLS records of the wire bytes out and in, read so far.
    pub wire_out: WireReader,
    pub wire_in: WireReader,
}

pub(crate) fn describe_step(
    step: &Step,
    socket: SocketKind,
    before: &mut Before,
) -> (Role, Role, String, Tone) {
    use Role::*;
    // A new connection (an HTTP redirect's or retry's) starts new streams.
    if let StepKind::Event {
        kind: EventKind::Connected { .. },
        ..
    } = &step.kind
    {
        before.wire_out = WireReader::default();
        before.wire_in = WireReader::default();
    }
    match &step.kind {
        StepKind::Request(request) => {
            let label = match request {
                Request::Connect {
                    target,
                    nodelay: false,
                } => format!("connect {target}"),
                Request::Connect {
                    target,
                    nodelay: true,
                } => format!("connect {target} (TCP_NODELAY)"),
                Request::UdpOpen { target, bind_port } => {
                    let mut label = "open UDP".to_owned();
                    if let Some(target) = target {
                        label.push_str(&format!(" to {target}"));
                    }
                    if *bind_port != 0 {
                        label.push_str(&format!(" on port {bind_port}"));
                    }
                    label
                }
                Request::Listen { port: 0 } => "listen (any free port)".to_owned(),
                Request::Listen { port } => format!("listen on port {port}"),
                Request::Send { data } => format!("send {}", data_label(data)),
                Request::SendTo { target, data } => {
                    format!("send_to {target} {}", data_label(data))
                }
                Request::Shutdown => "shutdown (write side)".to_owned(),
                Request::Close => "close".to_owned(),
                Request::Abort => "close (SO_LINGER 0: abort)".to_owned(),
                Request::Http { method, url, .. } => format!("{method} {url}"),
                Request::DnsQuery { name, rtype, mode } => {
                    crate::dns::request_label(name, *rtype, *mode)
                }
            };
            (Browser, Relay, label, Tone::Request)
        }
        StepKind::Rejected(error) => (Relay, Browser, refusal("rejected", error), Tone::Error),
        StepKind::Event { kind, payload } => {
            let data = |bytes: &u64| match payload {
                Some(payload) => data_label(payload),
                None => format_bytes(*bytes),
            };
            match kind {
                EventKind::Resolving { host } => {
                    (Relay, Relay, format!("resolve {host}"), Tone::Note)
                }
                EventKind::Resolved { addrs, source } => {
                    let how = match source {
                        ResolveSource::System => "",
                        ResolveSource::Literal => " (literal)",
                        ResolveSource::Lab => " (lab service)",
                        ResolveSource::DnsLab => " (DNS lab)",
                    };
                    let label = format!("= {}{how}", addrs.join(", "));
                    (Relay, Relay, label, Tone::Note)
                }
                EventKind::Connecting { addr } => {
                    (Relay, Target, format!("SYN → {addr}"), Tone::Control)
                }
                // A server answers the SYN it accepted; `accept()` returns
                // once the client's ACK came back. Both ends of the
                // connection: its 4-tuple, this socket's side first.
                EventKind::Connected { local, remote }
                    if socket == SocketKind::AcceptedConnection =>
                {
                    (
                        Relay,
                        Target,
                        format!("SYN-ACK; accept() returns: {local} ↔ {remote}"),
                        Tone::Control,
                    )
                }
                // `connect()` returns when the SYN-ACK arrives (the kernel
                // sends the last ACK of the handshake, not drawn).
                EventKind::Connected { local, remote } => (
                    Target,
                    Relay,
                    format!("SYN-ACK; connect() returns: {local} ↔ {remote}"),
                    Tone::Control,
                ),
                EventKind::AttemptFailed { addr, error } => (
                    Target,
                    Relay,
                    format!("{}: {addr}", error.code.summary()),
                    Tone::Error,
                ),
                EventKind::Sent { bytes } => (Relay, Target, data(bytes), Tone::Data),
                EventKind::Received { bytes } => (Target, Relay, data(bytes), Tone::Data),
                EventKind::Bound {
                    local,
                    remote: None,
                } => (Relay, Relay, format!("bound {local}"), Tone::Note),
                // (The target's address heads the Target lane.)
                EventKind::Bound {
                    local,
                    remote: Some(_),
                } => (
                    Relay,
                    Relay,
                    format!("bound {local} (connected)"),
                    Tone::Note,
                ),
                EventKind::Listening { addr } => {
                    (Relay, Relay, format!("listening on {addr}"), Tone::Note)
                }
                // (The peer's address heads the Target lane.)
                EventKind::Accepted { conn, .. } => (
                    Target,
                    Relay,
                    format!("SYN: accepted as {}", crate::protocol::op_name(*conn)),
                    Tone::Control,
                ),
                EventKind::DatagramSent { to, bytes } => {
                    (Relay, Target, format!("{} → {to}", data(bytes)), Tone::Data)
                }
                EventKind::DatagramReceived { from, bytes } => (
                    Target,
                    Relay,
                    format!("{} from {from}", data(bytes)),
                    Tone::Data,
                ),
                EventKind::RecvTimeout { after_ms } => (
                    Relay,
                    Relay,
                    format!("recv timed out ({after_ms} ms)"),
                    Tone::Note,
                ),
                EventKind::Refused { addr, .. } => (
                    Target,
                    Relay,
                    format!("ICMP port unreachable: {addr}"),
                    Tone::Error,
                ),
                EventKind::ShutdownSent => {
                    (Relay, Target, "FIN (shutdown)".to_owned(), Tone::Control)
                }
                EventKind::PeerClosed => (Target, Relay, "FIN".to_owned(), Tone::Control),
                EventKind::Reset => (Target, Relay, "RST".to_owned(), Tone::Error),
                EventKind::ResetSent => (Relay, Target, "RST (abort)".to_owned(), Tone::Error),
                // Closing a UDP socket or a listener sends nothing.
                EventKind::Closed {
                    by: Closer::Browser,
                } if socket == SocketKind::UdpSocket => {
                    (Relay, Relay, "closed (UDP: no FIN)".to_owned(), Tone::Note)
                }
                EventKind::Closed {
                    by: Closer::Browser,
                } if socket == SocketKind::TcpListener => {
                    (Relay, Relay, "stopped listening".to_owned(), Tone::Note)
                }
                // TCP sends one FIN per direction: after a shutdown,
                // closing only releases the socket.
                EventKind::Closed {
                    by: Closer::Browser,
                } if before.rst_sent => (
                    Relay,
                    Relay,
                    "closed: RST sent, no FIN".to_owned(),
                    Tone::Note,
                ),
                EventKind::Closed {
                    by: Closer::Browser,
                } if before.fin_sent => (
                    Relay,
                    Relay,
                    "close(): FIN already sent".to_owned(),
                    Tone::Note,
                ),
                EventKind::Closed {
                    by: Closer::Browser,
                } => (Relay, Target, "FIN (close)".to_owned(), Tone::Control),
                EventKind::Closed { by } => {
                    let by = match by {
                        Closer::Peer => "peer",
                        _ => "relay",
                    };
                    (Relay, Relay, format!("closed by {by}"), Tone::Note)
                }
                EventKind::Failed { error } => {
                    (Relay, Browser, refusal("failed", error), Tone::Error)
                }
                EventKind::TlsHandshake {
                    version, cipher, ..
                } => (Target, Relay, format!("{version} {cipher}"), Tone::Control),
                EventKind::RequestWritten { head, body_bytes } => (
                    Relay,
                    Target,
                    request_line_label(head, *body_bytes),
                    Tone::Data,
                ),
                EventKind::FirstByte => (Target, Relay, "first byte".to_owned(), Tone::Note),
                EventKind::ResponseHead { status, reason, .. } => (
                    Target,
                    Relay,
                    format!("{status} {reason}"),
                    Tone::of_status(*status),
                ),
                EventKind::Redirect { status, location } => (
                    Relay,
                    Relay,
                    format!("follow {status} → {location}"),
                    Tone::Note,
                ),
                EventKind::LabPort { from, to, .. } => (
                    Relay,
                    Relay,
                    format!("{from} → {to} (lab service)"),
                    Tone::Note,
                ),
                EventKind::SendBlocked { waiting } => (
                    Relay,
                    Relay,
                    format!(
                        "send buffer full: {} wait (peer's window closed)",
                        format_bytes(*waiting)
                    ),
                    Tone::Note,
                ),
                EventKind::Attempt { n, of } => {
                    (Relay, Relay, format!("attempt {n} of {of}"), Tone::Note)
                }
                EventKind::Backoff {
                    wait_ms, reason, ..
                } => (
                    Relay,
                    Relay,
                    format!(
                        "{}: wait {}",
                        reason.end().label(),
                        crate::view::units::format_us(wait_ms.saturating_mul(1000))
                    ),
                    Tone::Note,
                ),
                EventKind::GaveUp {
                    attempts,
                    last_error,
                } => (
                    Relay,
                    Browser,
                    format!(
                        "gave up after {attempts} attempts ({})",
                        last_error.end().label()
                    ),
                    Tone::Error,
                ),
                EventKind::ResponseDone {
                    body_bytes,
                    json,
                    timings,
                } => (
                    Relay,
                    Browser,
                    format!(
                        "response done: {}{} in {}",
                        format_bytes(*body_bytes),
                        if *json { " JSON" } else { "" },
                        format_micros(timings.total_us)
                    ),
                    Tone::Note,
                ),
                // HTTPS bytes are named by their TLS records (their bytes
                // as text say nothing); plain HTTP shows a short preview.
                EventKind::Wire { dir, bytes } => {
                    let (from, to, reader) = match dir {
                        WireDir::Out => (Relay, Target, &mut before.wire_out),
                        WireDir::In => (Target, Relay, &mut before.wire_in),
                    };
                    let label = reader
                        .read(&bytes.0)
                        .unwrap_or_else(|| format!("wire {}", data_label(&bytes.0)));
                    (from, to, label, Tone::Data)
                }
                EventKind::DnsQuerySent { name, rtype, .. } => (
                    Relay,
                    Target,
                    // The server is the lane the arrow goes to.
                    format!("query {} {name}", rtype.as_str()),
                    Tone::Request,
                ),
                EventKind::DnsResponse { rcode, answers, .. } => {
                    let tone = match rcode.as_str() {
                        "NOERROR" | "NXDOMAIN" => Tone::Data,
                        _ => Tone::Error,
                    };
                    (
                        Target,
                        Relay,
                        crate::dns::response_label(rcode, answers.len()),
                        tone,
                    )
                }
                EventKind::DnsReferral { zone, .. } => {
                    (Relay, Relay, format!("referral to {zone}"), Tone::Note)
                }
                EventKind::DnsGlueless { ns, .. } => {
                    (Relay, Relay, format!("no glue: look up {ns}"), Tone::Note)
                }
                EventKind::DnsNsFound { ns, addrs } => match addrs.first() {
                    Some(addr) => (Relay, Relay, format!("{ns} is at {addr}"), Tone::Note),
                    None => (Relay, Relay, format!("{ns} has no address"), Tone::Error),
                },
            }
        }
    }
}

/// `GET /json` from a request head, plus the body size when there is one.
fn request_line_label(head: &Payload, body_bytes: u64) -> String {
    let line = head
        .0
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let label = match (words.next(), words.next()) {
        (Some(method), Some(path)) => format!("{method} {path}"),
        _ => line.into_owned(),
    };
    if body_bytes > 0 {
        format!("{label} + {}", format_bytes(body_bytes))
    } else {
        label
    }
}

fn data_label(bytes: &[u8]) -> String {
    format!(
        "{} ({})",
        preview(bytes, 24),
        format_bytes(bytes.len() as u64)
    )
}

/// `failed: connection refused`, `failed: certificate expired`; a policy
/// refusal says why, as the relay
/// put it: `blocked: 10.0.0.1 is a private address`.
fn refusal(what: &str, error: &crate::protocol::RelayError) -> String {
    match error.code {
        crate::protocol::ErrorCode::Blocked => {
            let reason = error
                .message
                .strip_prefix("blocked: ")
                .unwrap_or(&error.message);
            let mut short: String = reason.chars().take(60).collect();
            if reason.chars().count() > 60 {
                short.push('…');
            }
            format!("blocked: {short}")
        }
        // A failed handshake says which rule the certificate broke.
        _ => match error.tls_failure {
            Some(failure) => format!("{what}: {}", crate::explain::tls_failure(failure).title),
            None => format!("{what}: {}", error.code.summary()),
        },
    }
}
