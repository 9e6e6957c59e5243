//! The browser<->relay protocol, version 1, as Rust types.
//!
//! The browser opens operations (TCP connections, TCP listeners, UDP sockets,
//! DNS queries, HTTP requests), each under an id it chooses. The relay reports every step of an operation as an [`Event`]
//! stamped with microseconds since that operation started, and ends each
//! operation with exactly one terminal event: [`EventKind::Closed`] or
//! [`EventKind::Failed`]. Problems with a message itself (not with an
//! operation) come back as [`ServerMsg::Error`]; the session stays open.
//!
//! `PROTOCOL.md` at the repository root documents the same thing for people
//! who write their own clients. The JSON shown there is what `serde_json`
//! makes of these types.

use serde::{Deserialize, Serialize};

use crate::payload::Payload;

/// The protocol version this build speaks. Sent in [`ClientMsg::Hello`] and
/// echoed in [`ServerMsg::Welcome`].
pub const PROTOCOL_VERSION: u32 = 1;

/// An operation id, unique within its session. The browser chooses the ids
/// of the operations it starts, below [`FIRST_RELAY_OP`]; the relay chooses
/// those of the connections it accepts for a listening browser, from
/// [`FIRST_RELAY_OP`] up.
pub type OpId = u32;

/// The first operation id the relay hands out (to accepted connections).
pub const FIRST_RELAY_OP: OpId = 0x8000_0000;

/// How a learner reads an operation id: `op 5` for the browser's, and
/// `conn #1` for the relay's accepted connections (numbered from 1 rather
/// than shown as 2147483648).
pub fn op_name(op: OpId) -> String {
    match op.checked_sub(FIRST_RELAY_OP) {
        Some(n) => format!("conn #{}", u64::from(n) + 1),
        None => format!("op {op}"),
    }
}

/// Messages from the browser (or any client) to the relay.
///
/// `ClientMsgType` lists their `type`s (the same `snake_case` rule as
/// serde's; a test holds the two together), so a decoder tells an unknown
/// type from a bad field without reading serde's error text.
///
/// Read by hand (`protocol_de`), as [`ServerMsg`] is.
#[derive(Clone, Debug, PartialEq, Serialize, strum::EnumDiscriminants)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[strum_discriminants(
    name(ClientMsgType),
    derive(
        strum::EnumString,
        strum::EnumIter,
        strum::IntoStaticStr,
        strum::VariantNames
    ),
    strum(serialize_all = "snake_case")
)]
pub enum ClientMsg {
    /// The first message of every session.
    Hello {
        version: u32,
        /// How the relay should send received bytes back. Defaults to binary
        /// frames; scripts that only speak JSON ask for `json`.
        #[serde(default)]
        data: DataEncoding,
    },
    /// Open a TCP connection. `target` is `host:port` (`[v6]:port` for IPv6
    /// literals) or the name of a lab service such as `tcp-echo`.
    TcpConnect {
        op: OpId,
        target: String,
        /// How long to wait for the handshake of each address; the relay's
        /// default applies when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connect_timeout_ms: Option<u64>,
        /// Set `TCP_NODELAY` (turn Nagle's algorithm off) once connected.
        #[serde(default, skip_serializing_if = "is_false")]
        nodelay: bool,
        /// Faults the lab service injects on this connection (lab services
        /// only; see [`Faults`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faults: Option<Faults>,
    },
    /// Open a UDP socket on `127.0.0.1` (`[::1]` for an IPv6 target),
    /// bound to `bind_port` (0 or absent: any free port). With a `target`
    /// (`host:port` or a lab service such as `udp-echo`) the socket is
    /// connected to it: `send` goes there, only its datagrams arrive, and an
    /// ICMP port unreachable shows as a `refused` event.
    UdpOpen {
        op: OpId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bind_port: Option<u16>,
        /// Report `recv_timeout` when no datagram arrives for this long after
        /// the socket opens, a datagram is sent, or one arrives.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recv_timeout_ms: Option<u64>,
        /// Faults the lab service injects on this socket's datagrams (a
        /// target that is a lab service only; see [`Faults`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faults: Option<Faults>,
    },
    /// Listen for TCP connections on `127.0.0.1:port` (0 or absent: any free
    /// port). Each connection accepted becomes an operation of its own, with
    /// an id the relay chooses, announced by an `accepted` event; it then
    /// reports and takes requests like a connection the browser opened.
    /// `close` stops listening; accepted connections stay open.
    TcpListen {
        op: OpId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
    },
    /// Write bytes on an open connection; on a UDP socket, send one datagram
    /// to its target.
    Send { op: OpId, data: Payload },
    /// Send one datagram to `target` from a UDP socket (JSON only).
    SendTo {
        op: OpId,
        target: String,
        data: Payload,
    },
    /// Half-close a TCP connection: write what waits, then shut down the
    /// sending side (`shutdown(SHUT_WR)`, a FIN). The connection still
    /// receives until the peer's FIN; `close` ends the operation.
    Shutdown { op: OpId },
    /// Close the connection (both directions) and end the operation.
    Close { op: OpId },
    /// Abort a TCP connection, as `close()` does after `SO_LINGER` is set to
    /// zero: bytes still waiting to be written are dropped and an RST goes
    /// to the peer instead of a FIN, so the peer's next read or write fails
    /// with "connection reset". On any other operation it is `close`.
    Abort { op: OpId },
    /// Ask DNS for the `rtype` records of `name` (for `PTR`, `name` may be an
    /// IP address). `stub` asks one server (the DNS lab's unless `server` is
    /// given); `trace` starts at the root (the lab's unless `server` is
    /// given) and follows referrals, like `dig +trace`.
    DnsQuery {
        op: OpId,
        name: String,
        rtype: DnsType,
        #[serde(default)]
        mode: DnsMode,
        /// `ip:port` (or an IP, port 53) of the server to ask first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server: Option<String>,
        /// How long to wait for each answer; the relay's default applies
        /// when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
    },
    /// Make one HTTP/1.1 request (`http://` or `https://` URL) and report
    /// every phase. See [`HttpRequest`].
    HttpRequest(HttpRequest),
}

/// An HTTP request as the browser describes it (`http_request`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    pub op: OpId,
    /// `GET`, `POST`, ... (any token).
    pub method: String,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    /// Extra header lines, in order, as `[name, value]` pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Payload>,
    /// The body is JSON: adds `content-type: application/json` unless a
    /// header sets one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<HttpTimeouts>,
    /// How many redirects to follow; 0 (the default) follows none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub follow_redirects: u8,
    /// The largest response body accepted; the relay's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<u64>,
    /// Also report the bytes as they cross the TCP socket (`wire` events):
    /// plain text for `http://`, TLS records for `https://`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
    /// Retry the request under this policy: the relay runs the attempts and
    /// waits itself (`attempt`, `backoff`, `gave_up` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<crate::retry::RetryPolicy>,
    /// Faults the HTTP lab injects on the connection (lab URLs only; see
    /// [`Faults`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<Faults>,
}

impl HttpRequest {
    /// A plain `GET` of `url` with every option at its default; set the
    /// fields that matter with struct update syntax.
    pub fn get(op: OpId, url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            op,
            method: "GET".to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            json: false,
            timeouts: None,
            follow_redirects: 0,
            max_body: None,
            raw: false,
            retry: None,
            faults: None,
        }
    }
}

/// Faults a lab service injects on one connection or UDP socket, chosen by
/// the browser when it opens it. They are real: the lab service itself
/// delays, drops, resets or reads slowly on its socket, so what the relay
/// (and the learner) sees is what a real network or server would show.
/// Only the lab's echo and HTTP services take faults; each field left out is
/// no fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// The service sees each piece of data (TCP) or datagram (UDP) this many
    /// milliseconds after it arrived, so every answer comes that much later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u32>,
    /// UDP only: the service drops this percentage (0-100) of the datagrams
    /// it receives, unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_percent: Option<u8>,
    /// UDP only: seeds the drop decisions, so the same seed drops the same
    /// datagrams. Without it each socket draws its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_seed: Option<u64>,
    /// TCP only: once the service has read this many bytes (and answered
    /// them), it aborts the connection with an RST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_after_bytes: Option<u64>,
    /// TCP only: the service reads at most this many bytes per second (with
    /// a small receive buffer), so its window fills and the sender waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_bytes_per_s: Option<u32>,
}

impl Faults {
    /// Whether no fault is set.
    pub fn is_empty(&self) -> bool {
        *self == Faults::default()
    }

    /// Whether these faults make sense for a lab service that speaks
    /// `transport`; says why not. The relay refuses what fails this (as
    /// `not_supported`) and the page's form checks the same before sending,
    /// so the two cannot disagree about a bound.
    pub fn check(&self, transport: FaultTransport) -> Result<(), RelayError> {
        let bad = |why: &str| Err(RelayError::new(ErrorCode::NotSupported, why.to_owned()));
        if self.drop_percent.is_some_and(|p| p > 100) {
            return bad("faults.drop_percent is a percentage: 0 to 100");
        }
        if self.read_bytes_per_s == Some(0) {
            return bad(
                "faults.read_bytes_per_s must be at least 1: a reader that never reads is a \
                 closed window for good",
            );
        }
        match transport {
            FaultTransport::Tcp if self.drop_percent.is_some() || self.drop_seed.is_some() => bad(
                "faults.drop_percent is for UDP: TCP retransmits what the network loses, so the \
                 application never sees a gap (try reset_after_bytes or latency_ms)",
            ),
            FaultTransport::Udp if self.reset_after_bytes.is_some() => {
                bad("faults.reset_after_bytes is for TCP: UDP has no connection to reset")
            }
            FaultTransport::Udp if self.read_bytes_per_s.is_some() => bad(
                "faults.read_bytes_per_s is for TCP: UDP has no window to fill (try drop_percent)",
            ),
            _ => Ok(()),
        }
    }
}

/// What kind of lab service faults are for: they take different faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultTransport {
    /// The TCP echo and the HTTP and HTTPS labs: latency, reset, slow reader.
    Tcp,
    /// The UDP echo: latency, drops (seeded).
    Udp,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// Per-phase limits of an HTTP request, in milliseconds; absent ones take
/// the relay's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTimeouts {
    /// Per address tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<u64>,
    /// From the request written to the first byte of the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_byte_ms: Option<u64>,
    /// The whole operation, redirects included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u64>,
}

impl HttpTimeouts {
    /// Waits of `ms` for the connection and for the response's first byte,
    /// as Python's `requests.get(url, timeout=s)` waits.
    pub fn waiting(ms: u64) -> HttpTimeouts {
        HttpTimeouts {
            connect_ms: Some(ms),
            first_byte_ms: Some(ms),
            ..HttpTimeouts::default()
        }
    }
}

/// One certificate of the chain a TLS server presented.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// The names the certificate is valid for (its subject alternative
    /// names: DNS names and IP addresses), as the relay read them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
}

/// How long each phase of an HTTP exchange took, in microseconds, measured
/// at the relay (the last hop when redirects were followed; `total_us` is
/// the whole operation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpTimings {
    pub dns_us: u64,
    pub connect_us: u64,
    pub tls_us: u64,
    /// Writing the request (head and body).
    pub request_us: u64,
    /// Request written to first byte of the response (server time).
    pub wait_us: u64,
    /// First byte to the end of the body.
    pub download_us: u64,
    pub total_us: u64,
}

impl HttpTimings {
    /// The phases added up (DNS to download; the total may hold more, such
    /// as time before the first phase). Saturating: a recording from a file
    /// may carry any numbers.
    pub fn phases_us(&self) -> u64 {
        [
            self.dns_us,
            self.connect_us,
            self.tls_us,
            self.request_us,
            self.wait_us,
            self.download_us,
        ]
        .into_iter()
        .fold(0, u64::saturating_add)
    }
}

/// Which way bytes crossed the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireDir {
    /// Relay to target.
    Out,
    /// Target to relay.
    In,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl ClientMsg {
    /// The operation this message is about, if any.
    pub fn op(&self) -> Option<OpId> {
        match self {
            ClientMsg::Hello { .. } => None,
            ClientMsg::TcpConnect { op, .. }
            | ClientMsg::UdpOpen { op, .. }
            | ClientMsg::TcpListen { op, .. }
            | ClientMsg::Send { op, .. }
            | ClientMsg::SendTo { op, .. }
            | ClientMsg::Shutdown { op }
            | ClientMsg::Close { op }
            | ClientMsg::Abort { op }
            | ClientMsg::DnsQuery { op, .. } => Some(*op),
            ClientMsg::HttpRequest(request) => Some(request.op),
        }
    }
}

/// How the relay delivers bytes it received from a target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataEncoding {
    /// Binary frames (see [`crate::frame`]): no base64, no copies to speak of.
    #[default]
    Binary,
    /// [`ServerMsg::Data`] as JSON text frames with a [`Payload`].
    Json,
}

/// Messages from the relay to the browser (`ServerMsgType`: their `type`s,
/// as for [`ClientMsg`]).
///
/// Read by hand (`protocol_de`): serde's derived reading of a tagged enum
/// buffers each message and reads it twice, which costs the page more code
/// than anything else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, strum::EnumDiscriminants)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[strum_discriminants(
    name(ServerMsgType),
    derive(
        strum::EnumString,
        strum::EnumIter,
        strum::IntoStaticStr,
        strum::VariantNames
    ),
    strum(serialize_all = "snake_case")
)]
pub enum ServerMsg {
    /// The answer to a good [`ClientMsg::Hello`].
    Welcome {
        version: u32,
        /// The relay's name and version, for display.
        relay: String,
        /// Lab services this relay runs, which targets may name directly.
        services: Vec<Service>,
        /// What this session may use, so that the page can show it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limits: Option<SessionLimits>,
    },
    /// One step of an operation.
    Event(Event),
    /// Bytes received from the target of `op`, `t_us` after the operation
    /// started. Counts as the `received` event of that operation.
    Data { op: OpId, t_us: u64, data: Payload },
    /// One datagram received by the UDP socket of `op` from `from`, `t_us`
    /// after the operation started. Counts as its `datagram_received` event.
    Datagram {
        op: OpId,
        t_us: u64,
        from: String,
        data: Payload,
    },
    /// A message could not be accepted. `op` names the operation when the
    /// message named one. The session stays open.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        op: Option<OpId>,
        error: RelayError,
    },
}

/// The limits a session runs under (absent fields: no limit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLimits {
    /// Operations open at once.
    pub max_ops: u32,
    /// New operations per second.
    pub ops_per_second: u32,
    /// Bytes per minute from the browser to targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_out_per_minute: Option<u64>,
    /// Bytes per minute from targets to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_in_per_minute: Option<u64>,
    /// Seconds without a message before the session is closed.
    pub session_idle_s: u64,
    /// Seconds a session may last.
    pub session_lifetime_s: u64,
    /// Bytes the session may move in all, both ways together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_bytes: Option<u64>,
}

/// A built-in lab service that the relay runs on loopback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable name a target may use, e.g. `tcp-echo`.
    pub name: String,
    /// What the page shows, e.g. `TCP echo (built-in)`.
    pub label: String,
    /// `tcp` or `udp`: which requests can reach it.
    pub protocol: String,
    /// The address it listens on, e.g. `127.0.0.1:41234`.
    pub addr: String,
}

/// One step of an operation, as the relay saw it (read by hand, as
/// [`ServerMsg`] is).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub op: OpId,
    /// Microseconds since the relay started this operation (monotonic clock).
    pub t_us: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// How an attempt of a retried request ended, when it is retried (or was
/// the last): `{"status": 503}` or `{"error": {"code": ..., "message": ...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptReason {
    Status(u16),
    Error(RelayError),
}

impl AttemptReason {
    /// The ending the retry policy judges.
    pub fn end(&self) -> crate::retry::AttemptEnd {
        match self {
            AttemptReason::Status(status) => crate::retry::AttemptEnd::Status(*status),
            AttemptReason::Error(error) => crate::retry::AttemptEnd::Error(error.code),
        }
    }
}

/// What happened. The variants of one TCP operation come in this order:
/// `resolving`/`resolved` (names only), then per address tried `connecting`
/// and either `connected` or `attempt_failed`, then any number of `sent` and
/// received data, `peer_closed` when the target sent FIN, `reset` when it sent
/// RST, and finally exactly one of `closed` or `failed`.
///
/// Read by hand, as [`ServerMsg`] is; `EventKindType` lists the `kind`s
/// (the same `snake_case` rule as serde's; the round-trip tests hold the
/// two together).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[strum_discriminants(
    name(EventKindType),
    derive(
        strum::EnumString,
        strum::EnumIter,
        strum::IntoStaticStr,
        strum::VariantNames
    ),
    strum(serialize_all = "snake_case")
)]
pub enum EventKind {
    /// Looking up the addresses of `host`.
    Resolving { host: String },
    /// `host` resolved to these socket addresses, tried in order. `source` is
    /// `system` (the relay's resolver), `literal` (an IP address, no lookup)
    /// or `lab` (a lab service name).
    Resolved {
        addrs: Vec<String>,
        source: ResolveSource,
    },
    /// `from` (a `lab.test` name with a service's well-known port, such as
    /// `echo.lab.test:7`) is the lab service `service`, which listens on
    /// `to` (an ephemeral loopback port): the relay dials `to`. Comes right
    /// after `resolved`.
    LabPort {
        from: String,
        to: String,
        service: String,
    },
    /// TCP handshake started (SYN sent) towards `addr`.
    Connecting { addr: String },
    /// Handshake finished; the socket is bound to `local` and talks to `remote`.
    Connected { local: String, remote: String },
    /// One address failed; the next one will be tried.
    AttemptFailed { addr: String, error: RelayError },
    /// `bytes` were written to the socket.
    Sent { bytes: u64 },
    /// The socket's send buffer is full (the peer's receive window is
    /// closed): `waiting` bytes wait in the relay until the peer reads.
    /// Reported once each time writing stalls; `sent` events resume after.
    SendBlocked { waiting: u64 },
    /// The relay's copy of a [`ServerMsg::Data`]: `bytes` arrived. Traces
    /// record it this way; on the wire it travels as the data message.
    Received { bytes: u64 },
    /// A socket is bound to `local` (a UDP socket, a listener). A UDP
    /// socket with a target is also connected to `remote`.
    Bound {
        local: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remote: Option<String>,
    },
    /// The socket listens on `addr`: connections can come in.
    Listening { addr: String },
    /// A connection from `peer` was accepted; it is operation `conn` from now
    /// on, whose own events start with `connected`.
    Accepted { conn: OpId, peer: String },
    /// One datagram of `bytes` went to `to`.
    DatagramSent { to: String, bytes: u64 },
    /// The relay's copy of a [`ServerMsg::Datagram`]: a datagram of `bytes`
    /// arrived from `from`. Traces record it this way.
    DatagramReceived { from: String, bytes: u64 },
    /// No datagram arrived within the receive timeout. The socket stays open.
    RecvTimeout { after_ms: u64 },
    /// `addr` answered a datagram with ICMP port unreachable (error code
    /// `refused`): nothing listens there. The socket stays open.
    Refused { addr: String, error: RelayError },
    /// The relay shut down its sending side (FIN sent) after writing every
    /// byte the browser sent before its `shutdown`. It still receives.
    ShutdownSent,
    /// The target closed its side (FIN): it will send nothing more. The
    /// relay may still send until the operation closes.
    PeerClosed,
    /// The target aborted the connection (RST).
    Reset,
    /// The relay aborted the connection at the browser's `abort`: an RST
    /// went to the peer, and bytes still waiting to be written were
    /// dropped. `closed` (by the browser) follows.
    ResetSent,
    /// The operation is over and its socket is closed. Terminal.
    Closed {
        /// Who closed: `browser`, `peer` or `relay`.
        by: Closer,
    },
    /// The operation failed. Terminal.
    Failed { error: RelayError },
    /// TLS handshake done: the negotiated `version` (`TLS 1.3`), `cipher`
    /// suite, ALPN protocol, and the chain the server presented.
    TlsHandshake {
        version: String,
        cipher: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alpn: Option<String>,
        certs: Vec<CertInfo>,
    },
    /// The request head went out: its exact bytes, and the body length.
    RequestWritten { head: Payload, body_bytes: u64 },
    /// The first byte of the response arrived.
    FirstByte,
    /// The status line and headers of a response.
    ResponseHead {
        status: u16,
        reason: String,
        version: String,
        headers: Vec<(String, String)>,
    },
    /// A redirect is being followed to `location`.
    Redirect { status: u16, location: String },
    /// HTTP with `retry`: attempt `n` (of at most `of`) begins; its phase
    /// events follow.
    Attempt { n: u32, of: u32 },
    /// HTTP with `retry`: attempt `attempt` ended with `reason`, which the
    /// policy retries; the relay waits `wait_ms` before the next attempt.
    /// `retry_after_ms`: the server's `Retry-After` as honoured (capped).
    Backoff {
        attempt: u32,
        wait_ms: u64,
        reason: AttemptReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// HTTP with `retry`: the last attempt allowed ended with `last_error`,
    /// which the policy would have retried. The operation then ends as that
    /// attempt did: `closed` after a response, `failed` after an error.
    GaveUp {
        attempts: u32,
        last_error: AttemptReason,
    },
    /// The whole response body arrived (it came as data messages). `json`
    /// when the content type says JSON and the body parses.
    ResponseDone {
        body_bytes: u64,
        json: bool,
        timings: HttpTimings,
    },
    /// Bytes as they crossed the TCP socket (`raw` requests only): the
    /// plain HTTP bytes, or TLS records for HTTPS.
    Wire { dir: WireDir, bytes: Payload },
    /// A DNS query for `name`/`rtype` went to `server` (`ip:port`).
    DnsQuerySent {
        server: String,
        name: String,
        rtype: DnsType,
    },
    /// `server` answered after `elapsed_us`. `rcode` is `NOERROR`,
    /// `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ... as dig prints it.
    DnsResponse {
        server: String,
        rcode: String,
        answers: Vec<DnsRecord>,
        authority: Vec<DnsRecord>,
        additional: Vec<DnsRecord>,
        elapsed_us: u64,
    },
    /// Trace mode: the server does not know the answer but delegates `zone`
    /// to `servers` (their names); the next query goes to `addrs` (from glue).
    DnsReferral {
        zone: String,
        servers: Vec<String>,
        addrs: Vec<String>,
    },
    /// Trace mode: the referral to `zone` named its name servers without
    /// their addresses (no glue), so the walk first looks up the address of
    /// `ns` from the root. The queries up to `dns_ns_found` are that lookup.
    DnsGlueless { zone: String, ns: String },
    /// The lookup of name server `ns` ended: the walk goes on at `addrs`
    /// (`ip:port`; empty when `ns` has no address, and the next name server
    /// is tried).
    DnsNsFound { ns: String, addrs: Vec<String> },
}

impl EventKind {
    /// Whether this event ends its operation.
    pub fn is_terminal(&self) -> bool {
        matches!(self, EventKind::Closed { .. } | EventKind::Failed { .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolveSource {
    System,
    Literal,
    Lab,
    /// A name under `lab.test`, looked up in the DNS lab.
    DnsLab,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closer {
    Browser,
    Peer,
    Relay,
}

/// A typed error: a stable code for programs and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct RelayError {
    pub code: ErrorCode,
    pub message: String,
    /// With `blocked`: which rule of the relay's policy refused, so that the
    /// page can explain it without reading the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// With `tls`: what was wrong with the handshake, when the relay can
    /// tell (a certificate from an unknown CA, for other names, expired),
    /// so that the page can explain it without reading the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_failure: Option<TlsFailure>,
}

impl RelayError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RelayError {
            code,
            message: message.into(),
            refusal: None,
            tls_failure: None,
        }
    }

    /// A `blocked` error for `refusal`; the message says the particulars
    /// (which address, which range) in words.
    pub fn refused(refusal: Refusal, message: impl Into<String>) -> Self {
        RelayError {
            code: ErrorCode::Blocked,
            message: message.into(),
            refusal: Some(refusal),
            tls_failure: None,
        }
    }

    /// A `tls` error for `failure`; the message says the particulars (which
    /// name, which names the certificate has) in words.
    pub fn tls(failure: TlsFailure, message: impl Into<String>) -> Self {
        RelayError {
            code: ErrorCode::Tls,
            message: message.into(),
            refusal: None,
            tls_failure: Some(failure),
        }
    }
}

/// Why a TLS handshake failed, as a value: decided where the relay reads
/// the TLS library's error, carried in [`RelayError::tls_failure`], and
/// explained by `explain::tls_failure`. The HTTPS lab has a service for
/// each certificate problem (PROTOCOL.md lists them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
pub enum TlsFailure {
    /// The chain does not lead to a certificate authority the client
    /// trusts (a self-signed certificate, or a private CA).
    UnknownIssuer,
    /// The certificate is valid, but for other names than the one asked.
    WrongName,
    /// The certificate's validity period has ended.
    Expired,
    /// The server answered in plain text, or hung up, instead of TLS.
    NotTls,
}

/// Why the relay's policy refused: the rule, as a value. It is decided where
/// the policy decides and travels in [`RelayError::refusal`]; the page's
/// explanations (`explain::refusal`) match on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// A private, loopback, link-local or other special-purpose address, in
    /// any spelling (IPv4 forms inside IPv6 included).
    SpecialAddress,
    /// An allowed name that resolved to a special-purpose address.
    ResolvedToSpecial,
    /// Neither the host nor the address is on the public relay's allow-list.
    NotAllowListed,
    /// Port 25 (SMTP) on a public relay.
    SmtpPort,
    /// A public relay picks the ports it listens on itself.
    ListenPortChosen,
    /// A public relay picks the local port of a UDP socket itself.
    UdpPortChosen,
    /// A relay started for loopback only was asked for another machine.
    NotOnThisMachine,
}

/// The WebSocket close codes the relay ends a session with (RFC 6455 §7.4;
/// 4000-4999 are for applications). One list for the relay, which sends
/// them, and the page, which explains them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum SessionClose {
    /// 1001: the relay is shutting down.
    GoingAway,
    /// 1009: a message larger than the relay accepts.
    MessageTooBig,
    /// 1013: no room for another session (the relay, or this address).
    TryAgainLater,
    /// 4000: the session was idle too long.
    Idle,
    /// 4001: the session reached its lifetime.
    Lifetime,
}

impl SessionClose {
    pub const fn code(self) -> u16 {
        match self {
            SessionClose::GoingAway => 1001,
            SessionClose::MessageTooBig => 1009,
            SessionClose::TryAgainLater => 1013,
            SessionClose::Idle => 4000,
            SessionClose::Lifetime => 4001,
        }
    }

    /// The close a code stands for, when it is one the relay sends.
    pub fn from_code(code: u16) -> Option<SessionClose> {
        use strum::IntoEnumIterator as _;
        SessionClose::iter().find(|close| close.code() == code)
    }
}

/// Stable error codes. New codes may be added; clients should show the
/// message of a code they do not know.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    // Operation errors.
    /// The target answered the SYN with RST: nothing listens on that port.
    Refused,
    /// No answer within the connect timeout.
    TimedOut,
    /// No route to the host or network.
    Unreachable,
    /// The name has no addresses (or the lookup failed).
    ResolveFailed,
    /// The target is not `host:port` or a lab service name.
    InvalidTarget,
    /// The connection was reset while in use.
    Reset,
    /// Any other socket error; the message has the details.
    Io,
    // Message errors.
    /// The frame could not be decoded at all.
    Malformed,
    /// JSON with a `type` this relay does not know.
    UnknownType,
    /// The hello asked for a protocol version this relay does not speak.
    UnsupportedVersion,
    /// A message other than hello came before the hello.
    ExpectedHello,
    /// The message names an operation that does not exist or has ended.
    UnknownOp,
    /// The browser reused the id of an operation that is still running.
    OpInUse,
    /// Bytes were sent on an operation that is not connected (yet).
    NotConnected,
    /// Bytes were sent after `shutdown`: the sending side is closed.
    ShutDown,
    /// The operation does not take this request (e.g. `shutdown` on UDP).
    NotSupported,
    /// A datagram larger than UDP can carry.
    TooLarge,
    /// The local address (port) is taken by another socket.
    AddrInUse,
    /// The relay's policy does not allow this destination.
    Blocked,
    /// A limit of the relay (operations per session, ...) was reached.
    LimitReached,
    /// The TLS handshake failed (e.g. a certificate from an unknown issuer).
    Tls,
    /// The response body is larger than the request's limit.
    BodyTooLarge,
    /// The URL is not an absolute `http://` or `https://` URL.
    InvalidUrl,
    /// The peer broke HTTP/1.1 (or a redirect could not be followed).
    Http,
    /// The retry policy is malformed or asks for more than the relay does.
    InvalidRetry,
    // DNS.
    /// No DNS answer within the timeout.
    DnsTimeout,
    /// The name is not a valid domain name (or, for PTR, IP address).
    InvalidName,
    /// Every server asked failed (SERVFAIL, a broken answer, a dead end).
    DnsFailed,
}

impl ErrorCode {
    /// A few words for a diagram label, e.g. `connection refused`.
    pub fn summary(self) -> &'static str {
        match self {
            ErrorCode::Refused => "connection refused",
            ErrorCode::TimedOut => "timed out",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::ResolveFailed => "name not resolved",
            ErrorCode::InvalidTarget => "invalid target",
            ErrorCode::Reset => "connection reset",
            ErrorCode::Io => "socket error",
            ErrorCode::Malformed => "malformed message",
            ErrorCode::UnknownType => "unknown message type",
            ErrorCode::UnsupportedVersion => "unsupported protocol version",
            ErrorCode::ExpectedHello => "hello expected first",
            ErrorCode::UnknownOp => "unknown operation",
            ErrorCode::OpInUse => "operation id in use",
            ErrorCode::NotConnected => "not connected",
            ErrorCode::ShutDown => "sending side shut down",
            ErrorCode::NotSupported => "not supported here",
            ErrorCode::TooLarge => "too large",
            ErrorCode::AddrInUse => "address in use",
            ErrorCode::Blocked => "blocked by the relay's policy",
            ErrorCode::LimitReached => "limit reached",
            ErrorCode::Tls => "TLS error",
            ErrorCode::BodyTooLarge => "body too large",
            ErrorCode::InvalidUrl => "invalid URL",
            ErrorCode::Http => "HTTP error",
            ErrorCode::InvalidRetry => "invalid retry policy",
            ErrorCode::DnsTimeout => "DNS timeout",
            ErrorCode::InvalidName => "invalid name",
            ErrorCode::DnsFailed => "DNS failed",
        }
    }

    /// The code's JSON spelling, e.g. `refused` (the same table as serde's,
    /// from the same `snake_case` rule; a test holds them together).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// DNS record types a query may ask for.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE")]
pub enum DnsType {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Ns,
    Soa,
    Srv,
    Ptr,
}

impl DnsType {
    /// Every type, in declaration order (the DNS panel's choices).
    pub fn all() -> impl Iterator<Item = DnsType> {
        <DnsType as strum::IntoEnumIterator>::iter()
    }

    /// The mnemonic, e.g. `AAAA`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a mnemonic, ignoring case.
    pub fn parse(text: &str) -> Option<DnsType> {
        DnsType::all().find(|t| t.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// How a DNS query is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsMode {
    /// Ask one server and take its answer, as `getaddrinfo` does.
    #[default]
    Stub,
    /// Start at the root and follow referrals, like `dig +trace`.
    Trace,
}

/// One resource record, each field as dig prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsRecord {
    /// Fully qualified, with the final dot: `echo.lab.test.`.
    pub name: String,
    pub ttl: u32,
    /// `IN` almost always.
    pub class: String,
    /// `A`, `CNAME`, ... (any type, not only those a query may ask for).
    pub rtype: String,
    /// The record data: `127.0.0.1`, `10 mail.lab.test.`, `"some text"`.
    pub data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spellings PROTOCOL.md documents.
    #[test]
    fn refusals_travel_beside_the_message_and_plain_errors_are_unchanged() {
        let blocked = RelayError::refused(
            Refusal::SpecialAddress,
            "blocked: 10.0.0.1 is in a private range",
        );
        assert_eq!(
            serde_json::to_string(&blocked).unwrap(),
            r#"{"code":"blocked","message":"blocked: 10.0.0.1 is in a private range","refusal":"special_address"}"#
        );
        let names: Vec<String> = <Refusal as strum::IntoEnumIterator>::iter()
            .map(|r| serde_json::to_string(&r).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "\"special_address\"",
                "\"resolved_to_special\"",
                "\"not_allow_listed\"",
                "\"smtp_port\"",
                "\"listen_port_chosen\"",
                "\"udp_port_chosen\"",
                "\"not_on_this_machine\""
            ]
        );
        let plain = RelayError::new(ErrorCode::Refused, "connection refused");
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"code":"refused","message":"connection refused"}"#
        );
        // A page from before refusals existed reads the same error.
        let old: RelayError = serde_json::from_str(r#"{"code":"blocked","message":"m"}"#).unwrap();
        assert_eq!(old.refusal, None);
    }

    #[test]
    fn faults_must_fit_the_service() {
        let tcp_only = Faults {
            reset_after_bytes: Some(10),
            ..Faults::default()
        };
        let udp = |drop_percent| Faults {
            drop_percent: Some(drop_percent),
            drop_seed: Some(1),
            ..Faults::default()
        };
        assert!(tcp_only.check(FaultTransport::Tcp).is_ok());
        assert!(tcp_only.check(FaultTransport::Udp).is_err());
        assert!(udp(10).check(FaultTransport::Udp).is_ok());
        assert!(udp(100).check(FaultTransport::Udp).is_ok());
        let err = udp(10).check(FaultTransport::Tcp).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotSupported);
        assert!(err.message.contains("UDP"), "{}", err.message);
        assert!(udp(101).check(FaultTransport::Udp).is_err());
        let stalled = Faults {
            read_bytes_per_s: Some(0),
            ..Faults::default()
        };
        assert!(stalled.check(FaultTransport::Tcp).is_err());
    }

    #[test]
    fn ops_read_as_the_browsers_or_as_accepted_connections() {
        assert_eq!(op_name(5), "op 5");
        assert_eq!(op_name(FIRST_RELAY_OP - 1), "op 2147483647");
        assert_eq!(op_name(FIRST_RELAY_OP), "conn #1");
        assert_eq!(op_name(u32::MAX), "conn #2147483648");
    }

    #[test]
    fn events_flatten_into_one_json_object() {
        let msg = ServerMsg::Event(Event {
            op: 7,
            t_us: 1234,
            kind: EventKind::Connected {
                local: "127.0.0.1:5000".into(),
                remote: "127.0.0.1:7".into(),
            },
        });
        assert_eq!(
            serde_json::to_string(&msg).unwrap(),
            r#"{"type":"event","op":7,"t_us":1234,"kind":"connected","local":"127.0.0.1:5000","remote":"127.0.0.1:7"}"#
        );
    }

    #[test]
    fn hello_defaults_to_binary_data() {
        let msg: ClientMsg = serde_json::from_str(r#"{"type":"hello","version":1}"#).unwrap();
        assert_eq!(
            msg,
            ClientMsg::Hello {
                version: 1,
                data: DataEncoding::Binary
            }
        );
    }

    #[test]
    fn error_codes_serialize_as_their_names() {
        for code in <ErrorCode as strum::IntoEnumIterator>::iter() {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn dns_queries_read_as_the_protocol_shows_them() {
        let msg: ClientMsg = serde_json::from_str(
            r#"{"type":"dns_query","op":3,"name":"127.0.0.1","rtype":"PTR","mode":"trace"}"#,
        )
        .unwrap();
        assert_eq!(
            msg,
            ClientMsg::DnsQuery {
                op: 3,
                name: "127.0.0.1".into(),
                rtype: DnsType::Ptr,
                mode: DnsMode::Trace,
                server: None,
                timeout_ms: None,
            }
        );
        for rtype in DnsType::all() {
            let json = serde_json::to_string(&rtype).unwrap();
            assert_eq!(json, format!("\"{}\"", rtype.as_str()));
            assert_eq!(DnsType::parse(&rtype.as_str().to_lowercase()), Some(rtype));
        }
    }
}
