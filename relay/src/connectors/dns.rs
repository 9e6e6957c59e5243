//! The DNS operation: one query (`stub`) or a walk down the hierarchy from
//! the root (`trace`, like `dig +trace`), with one event per query sent, per
//! response and per referral. A referral without glue (name servers named
//! in another zone, common on the Internet) is followed by first walking to
//! the name server's own address, as a resolver does.
//!
//! Messages are built and parsed with hickory-proto; the relay sends them
//! itself, one UDP datagram per query (TCP when the answer comes back
//! truncated), so that every query the learner sees is exactly one query on
//! the wire and nothing is retried or cached behind their back.
//!
//! [`lookup_lab`] is the same machinery for connectors that start from a
//! name under `lab.test` (see [`crate::target::resolve`]).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use roundtrip_shared::protocol::{
    Closer, DnsMode, DnsRecord, DnsType, ErrorCode, EventKind, RelayError,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::AppState;
use crate::connectors::common::{self, Ended, refuse_until_close};
use crate::op::Command;
use crate::policy::{Destination, Protocol};
use crate::report::{Halt, Reporter};

/// How long to wait for each answer when the browser does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Trace mode gives up after this many referrals (real chains need 3 or 4).
const MAX_REFERRALS: usize = 8;
/// How deep lookups of name servers' addresses may nest (the name server of
/// a name server without glue, and so on): real delegations need 1.
const MAX_NS_LOOKUPS: usize = 2;
/// How many of a glueless referral's name servers are looked up before the
/// walk gives up.
const NS_TRIED: usize = 3;
/// The most queries one trace sends, lookups of name servers included: a
/// real walk needs under a dozen, and a hostile hierarchy (referrals that
/// never end, name servers that never resolve) must not turn one request
/// into thousands of queries.
const MAX_TRACE_QUERIES: usize = 30;
/// The largest UDP answer the relay reads (EDNS is not used: 512 is enough
/// without it, but a broken server may send more).
const MAX_UDP_ANSWER: usize = 4096;

/// A DNS query as the browser asked for it.
#[derive(Clone, Debug)]
pub struct Request {
    pub name: String,
    pub rtype: DnsType,
    pub mode: DnsMode,
    pub server: Option<String>,
    pub timeout: Duration,
}

/// Runs one DNS operation to its terminal event.
pub async fn run(
    state: &AppState,
    request: Request,
    mut commands: mpsc::Receiver<Command>,
    report: Reporter,
) {
    let started = Instant::now();
    let work = query(state, &request, &report);
    tokio::pin!(work);
    // The rcode, when a server answered.
    let mut rcode = None;
    let ended = async {
        let by = tokio::select! {
            answer = &mut work => match answer? {
                Ok(answered) => {
                    rcode = Some(answered);
                    Closer::Relay
                }
                Err(error) => return common::fail(&report, error).await,
            },
            closed = refuse_until_close(&mut commands, &report, |_| RelayError::new(
                ErrorCode::NotSupported,
                "a DNS query takes no data: send a new dns_query instead",
            )) => {
                closed?;
                Closer::Browser
            }
        };
        report.event(EventKind::Closed { by }).await?;
        Ok(Ended::Closed(by))
    }
    .await;
    tracing::info!(
        name = %request.name,
        rtype = request.rtype.as_str(),
        mode = ?request.mode,
        rcode = rcode.unwrap_or("-"),
        ending = %Ended::of(ended),
        elapsed_ms = started.elapsed().as_millis(),
        "dns query ended"
    );
}

/// The final rcode or a typed error (the outer error: the session ended).
type Outcome = Result<Result<&'static str, RelayError>, Halt>;

async fn query(state: &AppState, request: &Request, report: &Reporter) -> Outcome {
    let lab = state.lab();
    let name = match parse_name(&request.name, request.rtype) {
        Ok(name) => name,
        Err(error) => return Ok(Err(error)),
    };
    let first = match &request.server {
        None => match request.mode {
            DnsMode::Stub => lab.dns().stub,
            DnsMode::Trace => lab.dns().root,
        },
        Some(text) => match parse_server(text) {
            Ok(addr) => addr,
            Err(error) => return Ok(Err(error)),
        },
    };
    let rtype = request.rtype;
    match request.mode {
        DnsMode::Stub => {
            if let Err(refusal) = permit(state, first) {
                return Ok(Err(refusal));
            }
            let response = match ask(first, &name, rtype, true, request.timeout, report).await? {
                Ok(response) => response,
                Err(error) => return Ok(Err(error)),
            };
            let rcode = rcode_text(response.metadata.response_code);
            if response.metadata.response_code == ResponseCode::ServFail {
                return Ok(Err(servfail(&[first])));
            }
            Ok(Ok(rcode))
        }
        DnsMode::Trace => trace(state, first, &name, rtype, request.timeout, report).await,
    }
}

/// Whether the policy lets a query go to `server`.
fn permit(state: &AppState, server: SocketAddr) -> Result<(), RelayError> {
    state.permit_dial(Destination {
        protocol: Protocol::Dns,
        host: None,
        addr: server,
    })
}

/// Iterative resolution from `root`: ask, follow referrals (by their glue,
/// on `root`'s port, or by looking up the name servers' addresses), stop
/// at an answer or an error code.
async fn trace(
    state: &AppState,
    root: SocketAddr,
    name: &Name,
    rtype: DnsType,
    timeout: Duration,
    report: &Reporter,
) -> Outcome {
    let walk = Walk {
        state,
        root,
        timeout,
        report,
        queries: AtomicUsize::new(0),
    };
    Ok(walk
        .resolve(name, rtype, 0)
        .await?
        .map(|response| rcode_text(response.metadata.response_code)))
}

/// The final response of a walk or a typed error (the outer error: the
/// session ended).
type WalkEnd = Result<Result<Message, RelayError>, Halt>;

/// One trace-mode walk: where it starts and how it reports.
struct Walk<'a> {
    state: &'a AppState,
    root: SocketAddr,
    timeout: Duration,
    report: &'a Reporter,
    /// Queries sent so far (see [`MAX_TRACE_QUERIES`]).
    queries: AtomicUsize,
}

impl Walk<'_> {
    /// Walks from the root to the answer for `name`. `depth` counts the
    /// name server lookups this walk is part of. Boxed: a lookup of a name
    /// server's address is a walk of its own.
    fn resolve<'b>(
        &'b self,
        name: &'b Name,
        rtype: DnsType,
        depth: usize,
    ) -> Pin<Box<dyn Future<Output = WalkEnd> + Send + 'b>> {
        Box::pin(async move {
            let mut zone = Name::root();
            let mut servers = vec![self.root];
            for _ in 0..=MAX_REFERRALS {
                let mut last_error = None;
                let mut response = None;
                for &server in &servers {
                    // Each server of a referral is checked before it is asked.
                    if let Err(refusal) = permit(self.state, server) {
                        last_error = Some(refusal);
                        continue;
                    }
                    if self.queries.fetch_add(1, Ordering::Relaxed) >= MAX_TRACE_QUERIES {
                        return Ok(Err(RelayError::new(
                            ErrorCode::DnsFailed,
                            format!(
                                "gave up after {MAX_TRACE_QUERIES} queries: the walk does not \
                                 come to an answer"
                            ),
                        )));
                    }
                    match ask(server, name, rtype, false, self.timeout, self.report).await? {
                        Ok(answer)
                            if matches!(
                                answer.metadata.response_code,
                                ResponseCode::ServFail | ResponseCode::Refused
                            ) =>
                        {
                            last_error = Some(servfail(&servers));
                        }
                        Ok(answer) => {
                            response = Some(answer);
                            break;
                        }
                        Err(error) => last_error = Some(error),
                    }
                }
                let Some(response) = response else {
                    // Every server was refused or failed (a referral always
                    // names at least one).
                    return Ok(Err(last_error.unwrap_or_else(|| servfail(&servers))));
                };
                if response.metadata.response_code != ResponseCode::NoError
                    || !response.answers.is_empty()
                {
                    return Ok(Ok(response));
                }
                let Some((child, ns_names)) = referral(&response, &zone, name) else {
                    // NOERROR without answers and without a referral: the
                    // name exists but has no records of this type.
                    return Ok(Ok(response));
                };
                let port = self.root.port();
                let glue: Vec<SocketAddr> = response
                    .additionals
                    .iter()
                    .filter(|r| ns_names.contains(&r.name))
                    .filter_map(|r| r.data.ip_addr())
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect();
                self.report
                    .event(EventKind::DnsReferral {
                        zone: child.to_ascii(),
                        servers: ns_names.iter().map(|ns| ns.to_ascii()).collect(),
                        addrs: glue.iter().map(ToString::to_string).collect(),
                    })
                    .await?;
                servers = if glue.is_empty() {
                    match self.find_servers(&child, &ns_names, depth).await? {
                        Ok(found) => found,
                        Err(error) => return Ok(Err(error)),
                    }
                } else {
                    glue
                };
                zone = child;
            }
            Ok(Err(RelayError::new(
                ErrorCode::DnsFailed,
                format!("gave up after {MAX_REFERRALS} referrals: the delegations may form a loop"),
            )))
        })
    }

    /// The addresses of a glueless referral's name servers: each name
    /// looked up from the root in turn (A records, on the root's port)
    /// until one has an address.
    async fn find_servers(
        &self,
        child: &Name,
        ns_names: &[Name],
        depth: usize,
    ) -> Result<Result<Vec<SocketAddr>, RelayError>, Halt> {
        if depth >= MAX_NS_LOOKUPS {
            return Ok(Err(RelayError::new(
                ErrorCode::DnsFailed,
                format!(
                    "the referral to {} came without glue, and looking up its name \
                     servers' addresses needs more than {MAX_NS_LOOKUPS} nested lookups",
                    child.to_ascii()
                ),
            )));
        }
        // Why the last lookup failed, for the final error.
        let mut last_error: Option<RelayError> = None;
        for ns in ns_names.iter().take(NS_TRIED) {
            self.report
                .event(EventKind::DnsGlueless {
                    zone: child.to_ascii(),
                    ns: ns.to_ascii(),
                })
                .await?;
            let found: Vec<SocketAddr> = match self.resolve(ns, DnsType::A, depth + 1).await? {
                Ok(response) => response
                    .answers
                    .iter()
                    .filter(|r| r.record_type() == RecordType::A)
                    .filter_map(|r| r.data.ip_addr())
                    .map(|ip| SocketAddr::new(ip, self.root.port()))
                    .collect(),
                Err(error) => {
                    // Out of queries: no other name server can be tried.
                    if self.queries.load(Ordering::Relaxed) >= MAX_TRACE_QUERIES {
                        return Ok(Err(error));
                    }
                    // Otherwise the next name server may do.
                    last_error = Some(error);
                    Vec::new()
                }
            };
            self.report
                .event(EventKind::DnsNsFound {
                    ns: ns.to_ascii(),
                    addrs: found.iter().map(ToString::to_string).collect(),
                })
                .await?;
            if !found.is_empty() {
                return Ok(Ok(found));
            }
        }
        let names: Vec<String> = ns_names.iter().map(|ns| ns.to_ascii()).collect();
        let why = last_error.map_or_else(
            || "their names have no address".to_owned(),
            |error| format!("the last lookup failed: {}", error.message),
        );
        Ok(Err(RelayError::new(
            ErrorCode::DnsFailed,
            format!(
                "the referral to {} came without glue, and none of its name servers ({}) \
                 could be found: {why}",
                child.to_ascii(),
                names.join(", ")
            ),
        )))
    }
}

/// A referral: NS records in the authority section for a zone below `zone`
/// that contains `name`. Returns the zone and its name servers.
fn referral(response: &Message, zone: &Name, name: &Name) -> Option<(Name, Vec<Name>)> {
    let ns: Vec<&Record> = response
        .authorities
        .iter()
        .filter(|r| r.record_type() == RecordType::NS)
        .collect();
    let child = ns.first()?.name.clone();
    let closer = zone.zone_of(&child) && child.num_labels() > zone.num_labels();
    if !closer || !child.zone_of(name) {
        return None;
    }
    let servers = ns
        .iter()
        .filter(|r| r.name == child)
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(ns.0.clone()),
            _ => None,
        })
        .collect();
    Some((child, servers))
}

fn servfail(servers: &[SocketAddr]) -> RelayError {
    let list: Vec<String> = servers.iter().map(ToString::to_string).collect();
    RelayError::new(
        ErrorCode::DnsFailed,
        format!(
            "no usable answer: {} answered SERVFAIL or REFUSED (it could not or would not answer \
             for this name)",
            list.join(", ")
        ),
    )
}

/// Sends one query to `server` and waits for its answer, reporting
/// `dns_query_sent` and (when an answer came) `dns_response`.
async fn ask(
    server: SocketAddr,
    name: &Name,
    rtype: DnsType,
    recursion_desired: bool,
    timeout: Duration,
    report: &Reporter,
) -> Result<Result<Message, RelayError>, Halt> {
    let mut message = Message::query();
    message.metadata.recursion_desired = recursion_desired;
    message.add_query(Query::query(name.clone(), record_type(rtype)));
    let bytes = match message.to_vec() {
        Ok(bytes) => bytes,
        Err(error) => {
            return Ok(Err(RelayError::new(
                ErrorCode::InvalidName,
                format!("cannot build a query for \"{name}\": {error}"),
            )));
        }
    };
    report
        .event(EventKind::DnsQuerySent {
            server: server.to_string(),
            name: name.to_ascii(),
            rtype,
        })
        .await?;
    let sent = Instant::now();
    let id = message.metadata.id;
    let mut stray = None;
    let exchanged = tokio::time::timeout(timeout, exchange(server, &bytes, id, &mut stray)).await;
    let elapsed_us = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
    let response = match exchanged {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return Ok(Err(error)),
        Err(_) => {
            let why = match stray {
                // Something answered, just not this query.
                Some(other) => format!(
                    "{server} answered, but with ID {other}, not this query's {id}, so the answer is not ours (a server or proxy that rewrites IDs?)"
                ),
                None => "is a DNS server listening there?".to_owned(),
            };
            return Ok(Err(RelayError::new(
                ErrorCode::DnsTimeout,
                format!(
                    "no answer from {server} within {} ms: {why}",
                    timeout.as_millis()
                ),
            )));
        }
    };
    report
        .event(EventKind::DnsResponse {
            server: server.to_string(),
            rcode: rcode_text(response.metadata.response_code).to_owned(),
            answers: response.answers.iter().map(record).collect(),
            authority: response.authorities.iter().map(record).collect(),
            additional: response.additionals.iter().map(record).collect(),
            elapsed_us,
        })
        .await?;
    Ok(Ok(response))
}

/// One query over UDP; again over TCP if the answer was truncated.
/// An answer with another ID is skipped (a late answer to an earlier
/// query), and its ID kept in `stray` to explain a timeout.
async fn exchange(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    stray: &mut Option<u16>,
) -> Result<Message, RelayError> {
    let io = |error: std::io::Error| {
        let code = match error.kind() {
            std::io::ErrorKind::ConnectionRefused => ErrorCode::Refused,
            _ => ErrorCode::Io,
        };
        let why = if code == ErrorCode::Refused {
            "nothing is listening on that UDP port (ICMP port unreachable)".to_owned()
        } else {
            error.to_string()
        };
        RelayError::new(code, format!("DNS query to {server} failed: {why}"))
    };
    let local: SocketAddr = match server.ip() {
        IpAddr::V4(_) => "0.0.0.0:0".parse().expect("address"),
        IpAddr::V6(_) => "[::]:0".parse().expect("address"),
    };
    let socket = UdpSocket::bind(local).await.map_err(io)?;
    // A connected socket only hears from `server` and learns of ICMP errors.
    socket.connect(server).await.map_err(io)?;
    socket.send(query).await.map_err(io)?;
    let mut buf = vec![0; MAX_UDP_ANSWER];
    let response = loop {
        let n = socket.recv(&mut buf).await.map_err(io)?;
        match Message::from_vec(&buf[..n]) {
            // Another query's late answer: keep waiting for ours.
            Ok(response) if response.metadata.id != id => {
                *stray = Some(response.metadata.id);
                continue;
            }
            Ok(response) => break response,
            Err(error) => return Err(malformed(server, error)),
        }
    };
    if !response.metadata.truncation {
        return Ok(response);
    }
    // The same question over TCP, which carries any size of answer.
    let tcp = |error: std::io::Error| {
        let code = match error.kind() {
            std::io::ErrorKind::ConnectionRefused => ErrorCode::Refused,
            _ => ErrorCode::Io,
        };
        let why = if code == ErrorCode::Refused {
            "nothing is listening on that TCP port".to_owned()
        } else {
            error.to_string()
        };
        RelayError::new(
            code,
            format!(
                "the answer over UDP was truncated, and asking {server} again over TCP failed: {why}"
            ),
        )
    };
    let mut stream = TcpStream::connect(server).await.map_err(tcp)?;
    let len = u16::try_from(query.len()).expect("queries are small");
    stream.write_all(&len.to_be_bytes()).await.map_err(tcp)?;
    stream.write_all(query).await.map_err(tcp)?;
    let len = stream.read_u16().await.map_err(tcp)?;
    let mut buf = vec![0; usize::from(len)];
    stream.read_exact(&mut buf).await.map_err(tcp)?;
    Message::from_vec(&buf).map_err(|error| malformed(server, error))
}

fn malformed(server: SocketAddr, error: impl std::fmt::Display) -> RelayError {
    RelayError::new(
        ErrorCode::DnsFailed,
        format!("{server} sent something that is not a DNS message: {error}"),
    )
}

/// Looks up the IPv4 addresses of `host` (a name under `lab.test`) at the
/// DNS lab's stub `server`, reporting the query and the response. The DNS lab serves
/// loopback IPv4 addresses only, so only `A` is asked for.
pub async fn lookup_lab(
    server: SocketAddr,
    host: &str,
    timeout: Duration,
    report: &Reporter,
) -> Result<Result<Vec<IpAddr>, RelayError>, Halt> {
    let name = match parse_name(host, DnsType::A) {
        Ok(name) => name,
        Err(error) => return Ok(Err(error)),
    };
    let response = match ask(server, &name, DnsType::A, true, timeout, report).await? {
        Ok(response) => response,
        Err(error) => return Ok(Err(error)),
    };
    let code = response.metadata.response_code;
    if code != ResponseCode::NoError {
        return Ok(Err(RelayError::new(
            ErrorCode::ResolveFailed,
            format!(
                "the DNS lab answered {} for \"{host}\"{}",
                rcode_text(code),
                if code == ResponseCode::NXDomain {
                    ": no such name"
                } else {
                    ""
                }
            ),
        )));
    }
    let addrs: Vec<IpAddr> = response
        .answers
        .iter()
        .filter_map(|r| r.data.ip_addr())
        .collect();
    if addrs.is_empty() {
        return Ok(Err(RelayError::new(
            ErrorCode::ResolveFailed,
            format!("\"{host}\" has no A records in the DNS lab"),
        )));
    }
    Ok(Ok(addrs))
}

/// A name to ask about. For `PTR`, an IP address becomes its reverse name
/// (`127.0.0.1` → `1.0.0.127.in-addr.arpa.`).
pub fn parse_name(text: &str, rtype: DnsType) -> Result<Name, RelayError> {
    let text = text.trim();
    if rtype == DnsType::Ptr
        && let Ok(ip) = text.parse::<IpAddr>()
    {
        return Ok(Name::from(ip));
    }
    let invalid = |why: &str| {
        RelayError::new(
            ErrorCode::InvalidName,
            format!("\"{text}\" is not a domain name: {why}"),
        )
    };
    if text == "." {
        return Ok(Name::root());
    }
    let bare = text.strip_suffix('.').unwrap_or(text);
    if bare.is_empty() {
        return Err(invalid("it is empty"));
    }
    if bare.len() > 253 {
        return Err(invalid("names are at most 253 characters"));
    }
    for label in bare.split('.') {
        if label.is_empty() {
            return Err(invalid("it has an empty label (two dots in a row?)"));
        }
        if label.len() > 63 {
            return Err(invalid(
                "each label (between dots) is at most 63 characters",
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "use letters, digits, '-' and '_' in labels separated by dots",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(invalid(&format!(
                "the label \"{label}\" begins or ends with '-', which host names do not"
            )));
        }
    }
    let mut name = Name::from_ascii(bare).map_err(|e| invalid(&e.to_string()))?;
    name.set_fqdn(true);
    Ok(name)
}

/// `ip:port`, or an IP address alone for port 53.
fn parse_server(text: &str) -> Result<SocketAddr, RelayError> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(RelayError::new(
        ErrorCode::InvalidTarget,
        format!("\"{text}\" is not a DNS server address: write ip:port, like 127.0.0.1:53"),
    ))
}

fn record_type(rtype: DnsType) -> RecordType {
    match rtype {
        DnsType::A => RecordType::A,
        DnsType::Aaaa => RecordType::AAAA,
        DnsType::Cname => RecordType::CNAME,
        DnsType::Mx => RecordType::MX,
        DnsType::Txt => RecordType::TXT,
        DnsType::Ns => RecordType::NS,
        DnsType::Soa => RecordType::SOA,
        DnsType::Srv => RecordType::SRV,
        DnsType::Ptr => RecordType::PTR,
    }
}

/// The rcode as dig prints it.
fn rcode_text(code: ResponseCode) -> &'static str {
    match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        ResponseCode::YXDomain => "YXDOMAIN",
        ResponseCode::YXRRSet => "YXRRSET",
        ResponseCode::NXRRSet => "NXRRSET",
        ResponseCode::NotAuth => "NOTAUTH",
        ResponseCode::NotZone => "NOTZONE",
        _ => "UNKNOWN",
    }
}

/// A record with its data as dig prints it (TXT strings quoted).
fn record(record: &Record) -> DnsRecord {
    let data = match &record.data {
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|s| format!("{:?}", String::from_utf8_lossy(s)))
            .collect::<Vec<_>>()
            .join(" "),
        // Names as on the wire (xn--…), as for the owner name.
        RData::CNAME(name) => name.0.to_ascii(),
        RData::NS(name) => name.0.to_ascii(),
        RData::PTR(name) => name.0.to_ascii(),
        RData::MX(mx) => format!("{} {}", mx.preference, mx.exchange.to_ascii()),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority,
            srv.weight,
            srv.port,
            srv.target.to_ascii()
        ),
        other => other.to_string(),
    };
    DnsRecord {
        name: record.name.to_ascii(),
        ttl: record.ttl,
        class: record.dns_class.to_string(),
        rtype: record.record_type().to_string(),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_ptr_takes_addresses() {
        assert_eq!(
            parse_name("echo.lab.test", DnsType::A).unwrap().to_string(),
            "echo.lab.test."
        );
        assert_eq!(
            parse_name("127.0.0.1", DnsType::Ptr).unwrap().to_string(),
            "1.0.0.127.in-addr.arpa."
        );
        assert_eq!(parse_name(".", DnsType::Ns).unwrap(), Name::root());
        for bad in [
            "",
            "a..b",
            "bad name.test",
            &"x".repeat(64),
            "-bad.test",
            "bad-.test",
        ] {
            let error = parse_name(bad, DnsType::A).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidName, "{bad:?}");
        }
        assert!(
            parse_name("-bad.test", DnsType::A)
                .unwrap_err()
                .message
                .contains("begins or ends with '-'")
        );
        // An internationalised name is shown as it goes on the wire, as dig
        // shows it.
        assert_eq!(
            parse_name("xn--nxasmq6b.test", DnsType::A)
                .unwrap()
                .to_ascii(),
            "xn--nxasmq6b.test."
        );
    }

    #[test]
    fn names_inside_records_are_shown_as_on_the_wire_too() {
        use hickory_proto::rr::rdata::{CNAME, MX};
        let idn = Name::from_ascii("xn--nxasmq6b.test.").unwrap();
        let owner = Name::from_ascii("alias.test.").unwrap();
        let cname = record(&Record::from_rdata(
            owner.clone(),
            60,
            RData::CNAME(CNAME(idn.clone())),
        ));
        assert_eq!(cname.data, "xn--nxasmq6b.test.");
        let mx = record(&Record::from_rdata(owner, 60, RData::MX(MX::new(10, idn))));
        assert_eq!(mx.data, "10 xn--nxasmq6b.test.");
    }

    #[test]
    fn servers_default_to_port_53() {
        assert_eq!(parse_server("1.1.1.1").unwrap().port(), 53);
        assert_eq!(parse_server("127.0.0.1:5300").unwrap().port(), 5300);
        assert_eq!(
            parse_server("dns.example").unwrap_err().code,
            ErrorCode::InvalidTarget
        );
    }
}
