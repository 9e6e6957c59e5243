//! The checks of "Do this" steps and the answers of "Predict first": pure
//! functions of the trace in the page model, so a check turns green only
//! when the relay reported that the thing really happened.
//!
//! A check looks at every operation of the page to its target (the same
//! target string the setup dials), so it also turns green when the learner
//! does the step by hand in the same page.

use crate::json_check::{self, Fit};
use crate::model::http::exchange;
use crate::page::State;
use crate::protocol::{
    AttemptReason, Closer, DnsMode, DnsType, ErrorCode, EventKind, OpId, ResolveSource, TlsFailure,
    WireDir,
};
use crate::trace::{Request, StepKind, Trace};

use super::lesson::Target;

/// What a step asks the trace for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// A TCP connection to the target completed its handshake.
    Connected(Target),
    /// A name was resolved to addresses, then a connection to one of them
    /// completed its handshake.
    ResolvedThenConnected(Target),
    /// Bytes were sent on a TCP connection to the target and the same
    /// bytes came back.
    Echoed(Target),
    /// Exactly `text` was sent on a TCP connection to the target and came
    /// back: a step that sends something particular after others.
    EchoedText(Target, &'static str),
    /// Bytes sent on a TCP connection to the target came back whole, in
    /// more than one piece: what one `recv` returns is not a message.
    InPieces(Target),
    /// Bytes sent on a TCP connection to the target came back whole, and
    /// the first of them at least this many milliseconds after the relay
    /// wrote them (relay times): an answer over a slow link.
    EchoedAfter(Target, u64),
    /// At least this many connections to the target were waiting at once:
    /// each had sent its request before any of them got its answer, and
    /// each got one.
    WaitedAtOnce(Target, u8),
    /// A connection to the target sent a request and its first answer came
    /// at least this many milliseconds after the relay wrote the request
    /// (relay times): a client kept waiting.
    AnsweredAfter(Target, u64),
    /// The target answered the connection attempt with an RST (refused).
    Refused(Target),
    /// No answer within the connect timeout.
    TimedOut(Target),
    /// The page closed a connection to the target (its FIN went).
    ClosedByPage(Target),
    /// Two connections to the target were open at once, from two local
    /// ports: two different pairs of endpoints.
    TwoConnections(Target),
    /// The page shut down its sending side and a FIN came back from the
    /// server.
    FinFromServer(Target),
    /// The connection was reset (an RST) while in use.
    Reset(Target),
    /// An HTTP request to `<scheme>://<target><path>` got a response with this
    /// status code.
    HttpStatus(Target, &'static str, u16),
    /// A datagram of exactly `text` came back from the target, whole.
    DatagramText(Target, &'static str),
    /// A datagram went to the target and one came back.
    DatagramEchoed(Target),
    /// A datagram went to the target and nothing came back before the
    /// receive timeout.
    DatagramLost(Target),
    /// Every one of the paths was asked of the target over HTTP and got a
    /// response (of any status): a health check went round.
    EveryPathAnswered(Target, &'static [&'static str]),
    /// An HTTP request to `<scheme>://<target><path>` got no response within
    /// its timeout: the relay gave up and said so.
    HttpTimedOut(Target, &'static str),
    /// The whole response to `http://<target><path>` arrived and, checked
    /// against expected keys written as the payload inspector takes them
    /// (`city:string temp:number`), is [`Fit`]: it fits, or the first
    /// problem a program meets (not JSON, another shape, a key missing, a
    /// key of another type).
    JsonFit(Target, &'static str, &'static str, Fit),
    /// An HTTP request to `http://<target><path>` was refused because the
    /// response body was larger than its limit (`max_body`).
    HttpTooLarge(Target, &'static str),
    /// A DNS question for the `rtype` records of a name, asked in `mode`,
    /// got a `NOERROR` answer holding a record of type `record` (`A`,
    /// `CNAME`, `MX`, ...). In trace mode a referral came first: the walk
    /// started above the name's own server.
    DnsAnswered(&'static str, DnsType, DnsMode, &'static str),
    /// An HTTP request to `<scheme>://<target><path>`: its host name was
    /// resolved, then the connection made, then a response came back.
    HttpResolvedFirst(Target, &'static str),
    /// An HTTP request with retries to `<scheme>://<target><path>` (any
    /// query): at least one attempt failed and was waited out, and a later
    /// one got `200`.
    RetriedToSuccess(Target, &'static str),
    /// As [`Check::RetriedToSuccess`], and a wait honoured the server's
    /// `Retry-After` (it was at least as long).
    HonouredRetryAfter(Target, &'static str),
    /// As [`Check::RetriedToSuccess`], and an attempt failed by timing out.
    RetriedAfterTimeout(Target, &'static str),
    /// A request with retries used up its attempts and gave up.
    GaveUp(Target, &'static str),
    /// An HTTPS request to `https://<target><path>` completed its TLS
    /// handshake (the relay reported the version and the server's
    /// certificates) and then got a response.
    HttpsAnswered(Target, &'static str),
    /// A request to `<scheme>://<target><path>` got a response, and `text`
    /// (a token, a header) is readable in the bytes that went out on the
    /// wire: what an eavesdropper reads of plain HTTP.
    WireShows(Target, &'static str, &'static str),
    /// A request to `https://<target><path>` got a response after a TLS
    /// handshake, the request the relay wrote (the decrypted side) holds
    /// `text`, and the bytes that went out on the wire do not: only TLS
    /// records crossed.
    WireHides(Target, &'static str, &'static str),
    /// An HTTPS request to `https://<target><path>` failed in its TLS
    /// handshake for this reason, before any request was written.
    CertRefused(Target, &'static str, TlsFailure),
    /// The page listened: the relay reported the listener's address.
    Listening,
    /// The page's listener accepted a connection from the page's own
    /// client, the request arrived on the accepted connection, and the
    /// client got the answer the server sent (the request in capitals).
    Served,
    /// One listener accepted two connections, from two client ports: one
    /// server, two clients, each on a socket of its own.
    TwoClients,
}

impl Check {
    /// Whether the page's trace shows it.
    pub fn passed(&self, state: &State) -> bool {
        let trace = &state.trace;
        let ops = |target: &Target| -> Vec<OpId> {
            match target.dial(&state.services) {
                Some(dial) => ops_to(trace, &dial),
                None => Vec::new(),
            }
        };
        let any = |target: &Target, test: &dyn Fn(OpId) -> bool| ops(target).into_iter().any(test);
        match self {
            Check::Connected(t) => any(t, &|op| connected(trace, op).is_some()),
            Check::ResolvedThenConnected(t) => any(t, &|op| {
                let mut events = trace.events_of(op);
                events.any(|e| matches!(e, EventKind::Resolved { addrs, .. } if !addrs.is_empty()))
                    && events.any(|e| matches!(e, EventKind::Connected { .. }))
            }),
            Check::Echoed(t) => any(t, &|op| {
                let sent = sent_bytes(trace, op);
                !sent.is_empty() && trace.received_bytes(op).starts_with(&sent)
            }),
            Check::EchoedText(t, text) => any(t, &|op| {
                sent_bytes(trace, op) == text.as_bytes()
                    && trace.received_bytes(op).starts_with(text.as_bytes())
            }),
            Check::InPieces(t) => any(t, &|op| {
                let sent = sent_bytes(trace, op);
                let pieces = trace
                    .events_of(op)
                    .filter(|e| matches!(e, EventKind::Received { .. }))
                    .count();
                !sent.is_empty() && pieces >= 2 && trace.received_bytes(op).starts_with(&sent)
            }),
            Check::EchoedAfter(t, ms) => any(t, &|op| {
                let sent = sent_bytes(trace, op);
                !sent.is_empty()
                    && trace.received_bytes(op).starts_with(&sent)
                    && answered_after(trace, op, *ms)
            }),
            Check::AnsweredAfter(t, ms) => any(t, &|op| answered_after(trace, op, *ms)),
            Check::WaitedAtOnce(t, n) => {
                let at = |op: OpId, test: &dyn Fn(&StepKind) -> bool| {
                    trace
                        .steps()
                        .iter()
                        .position(|step| step.op == op && test(&step.kind))
                };
                // Each connection's wait: from its request to its answer.
                let waits: Vec<(usize, usize)> = ops(t)
                    .into_iter()
                    .filter_map(|op| {
                        let asked = at(op, &|k| {
                            matches!(k, StepKind::Request(Request::Send { .. }))
                        })?;
                        let answered = at(op, &|k| {
                            matches!(k, StepKind::Event { kind: EventKind::Received { .. }, .. })
                        })?;
                        Some((asked, answered))
                    })
                    .collect();
                // When one answer came, how many were waiting for theirs.
                waits.iter().any(|(_, first)| {
                    waits
                        .iter()
                        .filter(|(asked, answered)| asked < first && answered >= first)
                        .count()
                        >= usize::from(*n)
                })
            }
            Check::Refused(t) => any(t, &|op| failed_with(trace, op, ErrorCode::Refused)),
            Check::TimedOut(t) => any(t, &|op| failed_with(trace, op, ErrorCode::TimedOut)),
            Check::ClosedByPage(t) => any(t, &|op| {
                trace.events_of(op).any(|e| {
                    matches!(
                        e,
                        EventKind::Closed {
                            by: Closer::Browser
                        }
                    )
                })
            }),
            Check::TwoConnections(t) => {
                let mut pairs: Vec<(String, String)> = ops(t)
                    .into_iter()
                    .filter_map(|op| connected(trace, op))
                    .collect();
                pairs.sort();
                pairs.dedup();
                pairs
                    .iter()
                    .any(|(_, remote)| pairs.iter().filter(|(_, r)| r == remote).count() >= 2)
            }
            Check::FinFromServer(t) => any(t, &|op| {
                let mut events = trace.events_of(op);
                events.any(|e| matches!(e, EventKind::ShutdownSent))
                    && events.any(|e| matches!(e, EventKind::PeerClosed))
            }),
            Check::Reset(t) => any(t, &|op| {
                trace.events_of(op).any(|e| {
                    matches!(e, EventKind::Reset)
                        || matches!(e, EventKind::Failed { error } if error.code == ErrorCode::Reset)
                })
            }),
            Check::HttpStatus(t, path, status) => http_ops(state, t, path).into_iter().any(|op| {
                trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::ResponseHead { status: s, .. } if s == status))
            }),
            Check::EveryPathAnswered(t, paths) => !paths.is_empty() && paths.iter().all(|path| {
                http_ops(state, t, path).into_iter().any(|op| {
                    trace
                        .events_of(op)
                        .any(|e| matches!(e, EventKind::ResponseHead { .. }))
                })
            }),
            Check::HttpTimedOut(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                let mut events = trace.events_of(op);
                events.any(|e| matches!(e, EventKind::Failed { error } if error.code == ErrorCode::TimedOut))
            }),
            Check::JsonFit(t, path, expect, want) => http_ops(state, t, path).into_iter().any(|op| {
                exchange(trace, op).is_some_and(|exchange| {
                    let done = exchange.last_attempt().hops.iter().any(|hop| hop.done.is_some());
                    done && json_check::fit(&exchange.response_body(), expect) == *want
                })
            }),
            Check::HttpTooLarge(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                let mut events = trace.events_of(op);
                events.any(|e| matches!(e, EventKind::Failed { error } if error.code == ErrorCode::BodyTooLarge))
            }),
            Check::DatagramText(t, text) => any(t, &|op| {
                trace
                    .datagrams(op)
                    .iter()
                    .any(|(_, bytes)| *bytes == text.as_bytes())
            }),
            Check::DatagramEchoed(t) => any(t, &|op| {
                trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::DatagramReceived { .. }))
            }),
            Check::DatagramLost(t) => any(t, &|op| {
                let sent = trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::DatagramSent { .. }));
                let timed_out = trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::RecvTimeout { .. }));
                let answered = trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::DatagramReceived { .. }));
                sent && timed_out && !answered
            }),
            Check::DnsAnswered(name, rtype, mode, record) => trace
                .steps()
                .iter()
                .filter(|step| {
                    matches!(&step.kind, StepKind::Request(Request::DnsQuery { name: n, rtype: r, mode: m })
                        if n.trim_end_matches('.') == *name && r == rtype && m == mode)
                })
                .any(|step| {
                    let referred = trace
                        .events_of(step.op)
                        .any(|e| matches!(e, EventKind::DnsReferral { .. }));
                    let answered = trace.events_of(step.op).any(|e| {
                        matches!(e, EventKind::DnsResponse { rcode, answers, .. }
                            if rcode == "NOERROR" && answers.iter().any(|a| a.rtype == *record))
                    });
                    answered && (referred || *mode == DnsMode::Stub)
                }),
            Check::HttpResolvedFirst(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                let mut events = trace.events_of(op);
                let looked_up = |e: &EventKind| {
                    matches!(e, EventKind::Resolved { addrs, source }
                        if !addrs.is_empty() && *source != ResolveSource::Literal)
                };
                events.any(looked_up)
                    && events.any(|e| matches!(e, EventKind::Connected { .. }))
                    && events.any(|e| matches!(e, EventKind::ResponseHead { .. }))
            }),
            Check::RetriedToSuccess(t, path) => http_ops(state, t, path)
                .into_iter()
                .any(|op| retried(trace, op, &|_| true) && ok_in_the_end(trace, op)),
            Check::HonouredRetryAfter(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                retried(trace, op, &|e| {
                    matches!(e, EventKind::Backoff { wait_ms, retry_after_ms: Some(after), .. }
                        if wait_ms >= after)
                }) && ok_in_the_end(trace, op)
            }),
            Check::RetriedAfterTimeout(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                retried(trace, op, &|e| {
                    matches!(e, EventKind::Backoff { reason: AttemptReason::Error(error), .. }
                        if error.code == ErrorCode::TimedOut)
                }) && ok_in_the_end(trace, op)
            }),
            Check::GaveUp(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::GaveUp { .. }))
            }),
            Check::HttpsAnswered(t, path) => http_ops(state, t, path).into_iter().any(|op| {
                let mut events = trace.events_of(op);
                events.any(|e| matches!(e, EventKind::TlsHandshake { .. }))
                    && events.any(|e| matches!(e, EventKind::ResponseHead { .. }))
            }),
            Check::WireShows(t, path, text) => http_ops(state, t, path).into_iter().any(|op| {
                answered(trace, op) && contains(&wire_out(trace, op), text.as_bytes())
            }),
            Check::WireHides(t, path, text) => http_ops(state, t, path).into_iter().any(|op| {
                let written = trace.events_of(op).any(|e| {
                    matches!(e, EventKind::RequestWritten { head, .. }
                        if contains(&head.0, text.as_bytes()))
                });
                let wire = wire_out(trace, op);
                trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::TlsHandshake { .. }))
                    && written
                    && answered(trace, op)
                    && !wire.is_empty()
                    && !contains(&wire, text.as_bytes())
            }),
            Check::CertRefused(t, path, failure) => {
                http_ops(state, t, path).into_iter().any(|op| {
                    let refused = trace.events_of(op).any(|e| {
                        matches!(e, EventKind::Failed { error }
                            if error.code == ErrorCode::Tls && error.tls_failure == Some(*failure))
                    });
                    let wrote = trace
                        .events_of(op)
                        .any(|e| matches!(e, EventKind::RequestWritten { .. }));
                    refused && !wrote
                })
            }
            Check::Listening => listener_ops(trace).into_iter().any(|op| {
                trace
                    .events_of(op)
                    .any(|e| matches!(e, EventKind::Listening { .. }))
            }),
            Check::Served => served(trace).next().is_some(),
            Check::TwoClients => listener_ops(trace).into_iter().any(|listener| {
                let mut peers: Vec<String> = served(trace)
                    .filter(|s| s.listener == listener)
                    .map(|s| s.peer)
                    .collect();
                peers.sort();
                peers.dedup();
                peers.len() >= 2
            }),
        }
    }
}

/// The page's HTTP requests to `http://<target><path>` (`https://` for an
/// HTTPS lab service, see [`Target::scheme`]).
fn http_ops(state: &State, target: &Target, path: &str) -> Vec<OpId> {
    let Some(url) = target.url(&state.services, path) else {
        return Vec::new();
    };
    // A path without a query matches the same path with any query.
    let with_query = format!("{url}?");
    let matches = |u: &str| u == url || (!path.contains('?') && u.starts_with(&with_query));
    state
        .trace
        .steps()
        .iter()
        .filter(|step| {
            matches!(&step.kind, StepKind::Request(Request::Http { url: u, .. }) if matches(u))
        })
        .map(|step| step.op)
        .collect()
}

/// Whether a response head came back on `op`.
fn answered(trace: &Trace, op: OpId) -> bool {
    trace
        .events_of(op)
        .any(|e| matches!(e, EventKind::ResponseHead { .. }))
}

/// The bytes `op` sent on the wire, as the relay reported them (`wire`
/// events: what an eavesdropper on the path would capture).
fn wire_out(trace: &Trace, op: OpId) -> Vec<u8> {
    trace
        .events_of(op)
        .filter_map(|e| match e {
            EventKind::Wire {
                dir: WireDir::Out,
                bytes,
            } => Some(bytes.0.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// Whether `needle` occurs in `haystack` (an empty needle never does).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether an attempt of `op` failed, was waited out, and `backoff` holds
/// for one of its waits.
fn retried(trace: &Trace, op: OpId, backoff: &dyn Fn(&EventKind) -> bool) -> bool {
    trace
        .events_of(op)
        .any(|e| matches!(e, EventKind::Backoff { .. }) && backoff(e))
}

/// Whether the last response head of `op` says 200.
fn ok_in_the_end(trace: &Trace, op: OpId) -> bool {
    trace
        .events_of(op)
        .filter_map(|e| match e {
            EventKind::ResponseHead { status, .. } => Some(*status),
            _ => None,
        })
        .last()
        == Some(200)
}

/// The page's listeners (`tcp_listen` operations), oldest first.
pub fn listener_ops(trace: &Trace) -> Vec<OpId> {
    trace
        .steps()
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Request(Request::Listen { .. })))
        .map(|step| step.op)
        .collect()
}

/// The connections a listener accepted: (accepted operation, peer).
pub fn accepted(trace: &Trace, listener: OpId) -> Vec<(OpId, String)> {
    trace
        .events_of(listener)
        .filter_map(|e| match e {
            EventKind::Accepted { conn, peer } => Some((*conn, peer.clone())),
            _ => None,
        })
        .collect()
}

/// The page's listener that listens now, and its address.
pub fn open_listener(trace: &Trace) -> Option<(OpId, String)> {
    listener_ops(trace)
        .into_iter()
        .filter(|op| !trace.events_of(*op).any(EventKind::is_terminal))
        .filter_map(|op| {
            trace.events_of(op).find_map(|e| match e {
                EventKind::Listening { addr } => Some((op, addr.clone())),
                _ => None,
            })
        })
        .next_back()
}

/// The page's client connection whose local endpoint is `peer`: the
/// other end of a connection the page's listener accepted.
pub fn client_from(trace: &Trace, peer: &str) -> Option<OpId> {
    trace
        .steps()
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Request(Request::Connect { .. })))
        .map(|step| step.op)
        .find(|op| connected(trace, *op).is_some_and(|(local, _)| local == peer))
}

/// What a server that answers in capitals sends for `request`.
pub fn answer_to(request: &[u8]) -> Vec<u8> {
    request.to_ascii_uppercase()
}

/// One exchange between the page's client and the page's listener.
struct Served {
    listener: OpId,
    peer: String,
}

/// Every exchange in which the accepted side received a request and the
/// page's client received its answer.
fn served(trace: &Trace) -> impl Iterator<Item = Served> + '_ {
    listener_ops(trace).into_iter().flat_map(move |listener| {
        accepted(trace, listener)
            .into_iter()
            .filter(move |(conn, peer)| {
                let request = trace.received_bytes(*conn);
                !request.is_empty()
                    && client_from(trace, peer)
                        .is_some_and(|client| trace.received_bytes(client) == answer_to(&request))
            })
            .map(move |(_, peer)| Served { listener, peer })
    })
}

/// The operations the page started to `dial` (a TCP connection, or a UDP
/// socket connected to it), oldest first.
pub fn ops_to(trace: &Trace, dial: &str) -> Vec<OpId> {
    trace
        .steps()
        .iter()
        .filter(|step| match &step.kind {
            StepKind::Request(Request::Connect { target, .. }) => target == dial,
            StepKind::Request(Request::UdpOpen {
                target: Some(target),
                ..
            }) => target == dial,
            _ => false,
        })
        .map(|step| step.op)
        .collect()
}

/// The two endpoints of `op` once connected: (local, remote).
pub fn connected(trace: &Trace, op: OpId) -> Option<(String, String)> {
    trace.events_of(op).find_map(|e| match e {
        EventKind::Connected { local, remote } => Some((local.clone(), remote.clone())),
        _ => None,
    })
}

/// Whether the first answer on `op` came at least `ms` after the relay
/// wrote the first of its request (relay times).
fn answered_after(trace: &Trace, op: OpId, ms: u64) -> bool {
    let wrote = first_at(trace, op, &|e| matches!(e, EventKind::Sent { .. }));
    let answered = first_at(trace, op, &|e| matches!(e, EventKind::Received { .. }));
    matches!((wrote, answered), (Some(w), Some(a)) if a.saturating_sub(w) >= ms * 1000)
}

/// The relay time (µs into the operation) of the first event of `op` that
/// `test` picks.
fn first_at(trace: &Trace, op: OpId, test: &dyn Fn(&EventKind) -> bool) -> Option<u64> {
    trace.steps().iter().find_map(|step| match &step.kind {
        StepKind::Event { kind, .. } if step.op == op && test(kind) => step.t_us,
        _ => None,
    })
}

fn sent_bytes(trace: &Trace, op: OpId) -> Vec<u8> {
    trace
        .steps()
        .iter()
        .filter(|step| step.op == op)
        .filter_map(|step| match &step.kind {
            StepKind::Request(Request::Send { data }) => Some(data.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

fn failed_with(trace: &Trace, op: OpId, code: ErrorCode) -> bool {
    trace.events_of(op).any(|e| match e {
        EventKind::Failed { error } | EventKind::AttemptFailed { error, .. } => error.code == code,
        EventKind::Refused { error, .. } => error.code == code,
        _ => false,
    })
}
