//! One HTTP operation's events, folded once: the [`Exchange`] (what the
//! browser asked) holds its [`Attempt`]s (the tries of a retry policy; one
//! without `retry`), and each attempt its [`Hop`]s (one request on the
//! wire; a followed redirect starts the next at its `location`).
//!
//! Every view and export of HTTP (the HAR export, the waterfall, the
//! payload inspector, the retry timeline, the HTTP panel) reads this fold,
//! so that they agree on what a hop, an attempt and a phase are. It borrows
//! from the trace and copies nothing: bodies and wire bytes stay the
//! trace's pieces until a view joins them. It knows no geometry and no
//! display strings: times are the relay's microseconds into the operation.

use std::collections::HashMap;

use crate::phase_marks::PhaseMarks;
use crate::protocol::{AttemptReason, Closer, EventKind, HttpTimings, OpId, RelayError, WireDir};
use crate::retry::AttemptEnd;
use crate::trace::{Request, Step, StepKind, Trace};

/// One HTTP operation: the request the browser made, and what came of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange<'t> {
    pub op: OpId,
    /// As the browser asked (a hop may have written another: a 303 turns a
    /// POST into a GET; see [`RequestHead::head`]).
    pub method: &'t str,
    pub url: &'t str,
    /// The request body the browser gave.
    pub request_body: Option<&'t [u8]>,
    /// Relay time of the operation's first event: where a run's axis starts.
    pub first_event_us: Option<u64>,
    /// In order; never empty: a request is under way from the moment the
    /// browser makes it.
    pub attempts: Vec<Attempt<'t>>,
    /// The retry policy's last allowed attempt failed (`gave_up`).
    pub gave_up: Option<GaveUp<'t>>,
    /// How the operation ended; `None` while it runs.
    pub end: Option<ExchangeEnd<'t>>,
}

/// One try of the request: every hop from the operation's URL to the
/// response it ended with (or its failure).
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt<'t> {
    /// `n` of at most `of`, from the relay's `attempt` event; `None` for the
    /// one attempt of a request without `retry`.
    pub announced: Option<Announced>,
    /// Relay time it began: the operation's start (0) for the first attempt,
    /// its `attempt` event for a later one.
    pub start_us: u64,
    /// Never empty.
    pub hops: Vec<Hop<'t>>,
    /// How it ended, as the retry policy judges it; `None` while it runs, or
    /// when the operation was cancelled during it.
    pub end: Option<AttemptOutcome>,
    /// The wait the relay announced after it (the policy retries it).
    pub backoff: Option<RetryWait>,
}

/// An `attempt` event: attempt `n` of at most `of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Announced {
    pub n: u32,
    pub of: u32,
}

/// When and how an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptOutcome {
    pub at_us: u64,
    pub end: AttemptEnd,
}

/// A `backoff` event: the relay waits `wait_ms` after attempt `after`
/// (named apart from `retry::Backoff`, the policy's delays).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryWait {
    pub at_us: u64,
    pub after: u32,
    pub wait_ms: u64,
    /// The server's `Retry-After`, as the relay honoured it.
    pub retry_after_ms: Option<u64>,
}

/// A `gave_up` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GaveUp<'t> {
    pub at_us: u64,
    pub attempts: u32,
    pub last: &'t AttemptReason,
}

/// The operation's terminal event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeEnd<'t> {
    pub at_us: u64,
    pub how: Ending<'t>,
    /// Index of its trace step.
    pub step: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending<'t> {
    Closed(Closer),
    Failed(&'t RelayError),
}

/// One request on the wire and its response.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop<'t> {
    /// The operation's URL, or the absolute `location` of the redirect that
    /// led here (the relay resolves it).
    pub url: &'t str,
    /// Relay time the hop began: its attempt's start, or its redirect.
    pub start_us: u64,
    /// Relay time of its last event (the redirect that ended it, its
    /// attempt's end, the operation's end, or the newest so far).
    pub end_us: u64,
    /// When each connection phase began.
    pub marks: PhaseMarks,
    /// The connection's addresses, once connected.
    pub local: Option<&'t str>,
    pub remote: Option<&'t str>,
    /// The connection was secured: its wire bytes are TLS records.
    pub tls: bool,
    /// The certificate chain the server presented, leaf first.
    pub certs: &'t [crate::protocol::CertInfo],
    pub request: Option<RequestHead<'t>>,
    pub response: Option<ResponseHead<'t>>,
    /// The response body as it arrived, piece by piece (pieces the trace let
    /// go are missing).
    pub body: Vec<&'t [u8]>,
    /// The relay's `response_done`: the whole body arrived.
    pub done: Option<BodyDone>,
    /// The bytes on the socket (`raw` requests), both ways, in order.
    pub wire: Vec<WirePiece<'t>>,
    /// Why the hop failed: the operation's failure, or the error that ended
    /// its attempt.
    pub error: Option<&'t RelayError>,
}

/// The request as the relay wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestHead<'t> {
    /// The exact bytes of the request line and headers.
    pub head: &'t [u8],
    pub body_bytes: u64,
    /// Index of the trace step that reported it: where it falls among the
    /// other operations' steps.
    pub step: usize,
}

/// A response's status line and headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead<'t> {
    pub status: u16,
    pub reason: &'t str,
    /// `HTTP/1.1`.
    pub version: &'t str,
    pub headers: &'t [(String, String)],
}

/// A `response_done` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyDone {
    pub body_bytes: u64,
    /// The content type says JSON and the body parses.
    pub json: bool,
    pub timings: HttpTimings,
}

/// One `wire` event's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WirePiece<'t> {
    pub dir: WireDir,
    pub at_us: u64,
    pub bytes: &'t [u8],
}

impl BodyDone {
    /// The part of `total_us` the measured phases do not cover (time before
    /// the first, the earlier hops of a redirect): what HAR calls blocked.
    pub fn blocked_us(&self, total_us: u64) -> u64 {
        total_us.saturating_sub(self.timings.phases_us())
    }
}

impl<'t> Hop<'t> {
    fn new(url: &'t str, start_us: u64) -> Hop<'t> {
        Hop {
            url,
            start_us,
            end_us: start_us,
            marks: PhaseMarks::default(),
            local: None,
            remote: None,
            tls: false,
            certs: &[],
            request: None,
            response: None,
            body: Vec::new(),
            done: None,
            wire: Vec::new(),
            error: None,
        }
    }

    /// The response body's pieces joined.
    pub fn body_bytes(&self) -> Vec<u8> {
        self.body.concat()
    }
}

impl<'t> Attempt<'t> {
    fn new(announced: Option<Announced>, start_us: u64, url: &'t str) -> Attempt<'t> {
        Attempt {
            announced,
            start_us,
            hops: vec![Hop::new(url, start_us)],
            end: None,
            backoff: None,
        }
    }

    /// The hop now under way (or the last one).
    fn hop(&mut self) -> &mut Hop<'t> {
        self.hops.last_mut().expect("an attempt has a hop")
    }

    /// The response this attempt ended with so far: the last head it got
    /// (a redirect's, until the next hop answers).
    pub fn response(&self) -> Option<&ResponseHead<'t>> {
        self.hops.iter().rev().find_map(|hop| hop.response.as_ref())
    }

    /// The attempt's `response_done`.
    pub fn done(&self) -> Option<&BodyDone> {
        self.hops.iter().rev().find_map(|hop| hop.done.as_ref())
    }

    /// The response body this attempt received, joined.
    pub fn body(&self) -> Vec<u8> {
        self.hops
            .iter()
            .flat_map(|hop| hop.body.iter().copied())
            .collect::<Vec<_>>()
            .concat()
    }
}

impl<'t> Exchange<'t> {
    fn new(op: OpId, method: &'t str, url: &'t str, body: Option<&'t [u8]>) -> Exchange<'t> {
        Exchange {
            op,
            method,
            url,
            request_body: body,
            first_event_us: None,
            attempts: vec![Attempt::new(None, 0, url)],
            gave_up: None,
            end: None,
        }
    }

    /// Every hop of every attempt, in order.
    pub fn hops(&self) -> impl DoubleEndedIterator<Item = &Hop<'t>> {
        self.attempts.iter().flat_map(|attempt| attempt.hops.iter())
    }

    /// The attempt shown as the answer: the newest.
    pub fn last_attempt(&self) -> &Attempt<'t> {
        self.attempts.last().expect("an exchange has an attempt")
    }

    /// The operation's failure, if it failed.
    pub fn failure(&self) -> Option<&'t RelayError> {
        match self.end?.how {
            Ending::Failed(error) => Some(error),
            Ending::Closed(_) => None,
        }
    }

    /// The body of the last attempt (each attempt brings its own).
    pub fn response_body(&self) -> Vec<u8> {
        self.last_attempt().body()
    }

    /// The socket carried TLS: a handshake finished, or the URL is
    /// `https://` (a handshake that failed still sent records).
    pub fn tls(&self) -> bool {
        self.hops().any(|hop| hop.tls)
            || self
                .url
                .get(..8)
                .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }

    /// Notes trace step `at`, one of the operation's events.
    fn note_step(&mut self, at: usize, step: &'t Step) {
        let StepKind::Event { kind, payload } = &step.kind else {
            return;
        };
        // Every event the relay reports has its time; a step without one
        // stays where the hop is.
        let t = step.t_us.unwrap_or_else(|| {
            self.attempts
                .last()
                .and_then(|a| a.hops.last())
                .map_or(0, |hop| hop.end_us)
        });
        self.note(at, kind, payload.as_deref(), t);
    }

    /// Notes one event of the operation, seen at relay time `t`.
    fn note(&mut self, step: usize, kind: &'t EventKind, payload: Option<&'t [u8]>, t: u64) {
        let first_event = self.first_event_us.is_none();
        self.first_event_us.get_or_insert(t);
        // An `attempt` event starts an attempt; events before one belong to
        // the single attempt of a request without retry.
        if let EventKind::Attempt { n, of } = kind {
            let announced = Some(Announced { n: *n, of: *of });
            if first_event {
                // The first attempt starts with the operation; HAR dates and
                // times its first hop from there.
                self.attempts = vec![Attempt::new(announced, 0, self.url)];
            } else {
                self.attempts.push(Attempt::new(announced, t, self.url));
            }
            return;
        }
        let attempt = self
            .attempts
            .last_mut()
            .expect("an exchange has an attempt");
        attempt.hop().marks.note(kind, t);
        match kind {
            EventKind::Redirect { location, .. } => {
                let hop = attempt.hop();
                hop.end_us = hop.end_us.max(t);
                attempt.hops.push(Hop::new(location, t));
                return;
            }
            EventKind::Backoff {
                attempt: after,
                wait_ms,
                reason,
                retry_after_ms,
            } => {
                attempt.backoff = Some(RetryWait {
                    at_us: t,
                    after: *after,
                    wait_ms: *wait_ms,
                    retry_after_ms: *retry_after_ms,
                });
                attempt.end.get_or_insert(AttemptOutcome {
                    at_us: t,
                    end: reason.end(),
                });
                if let AttemptReason::Error(error) = reason {
                    attempt.hop().error = Some(error);
                }
            }
            EventKind::GaveUp {
                attempts,
                last_error,
            } => {
                self.gave_up = Some(GaveUp {
                    at_us: t,
                    attempts: *attempts,
                    last: last_error,
                });
                attempt.end.get_or_insert(AttemptOutcome {
                    at_us: t,
                    end: last_error.end(),
                });
                if let AttemptReason::Error(error) = last_error {
                    attempt.hop().error = Some(error);
                }
            }
            EventKind::Connected { local, remote } => {
                let hop = attempt.hop();
                hop.local = Some(local);
                hop.remote = Some(remote);
            }
            EventKind::TlsHandshake { certs, .. } => {
                let hop = attempt.hop();
                hop.tls = true;
                hop.certs = certs;
            }
            EventKind::RequestWritten { head, body_bytes } => {
                attempt.hop().request = Some(RequestHead {
                    head: &head.0,
                    body_bytes: *body_bytes,
                    step,
                })
            }
            EventKind::ResponseHead {
                status,
                reason,
                version,
                headers,
            } => {
                attempt.hop().response = Some(ResponseHead {
                    status: *status,
                    reason,
                    version,
                    headers,
                })
            }
            EventKind::Received { .. } => {
                if let Some(bytes) = payload {
                    attempt.hop().body.push(bytes);
                }
            }
            EventKind::Wire { dir, bytes } => attempt.hop().wire.push(WirePiece {
                dir: *dir,
                at_us: t,
                bytes: &bytes.0,
            }),
            EventKind::ResponseDone {
                body_bytes,
                json,
                timings,
            } => {
                // The whole answer arrived: the attempt ended with its status.
                if let Some(head) = attempt.response() {
                    attempt.end = Some(AttemptOutcome {
                        at_us: t,
                        end: AttemptEnd::Status(head.status),
                    });
                }
                attempt.hop().done = Some(BodyDone {
                    body_bytes: *body_bytes,
                    json: *json,
                    timings: *timings,
                });
            }
            EventKind::Failed { error } => {
                attempt.end.get_or_insert(AttemptOutcome {
                    at_us: t,
                    end: AttemptEnd::Error(error.code),
                });
                attempt.hop().error = Some(error);
                self.end = Some(ExchangeEnd {
                    at_us: t,
                    how: Ending::Failed(error),
                    step,
                });
            }
            EventKind::Closed { by } => {
                self.end = Some(ExchangeEnd {
                    at_us: t,
                    how: Ending::Closed(*by),
                    step,
                })
            }
            _ => {}
        }
        let hop = attempt.hop();
        hop.end_us = hop.end_us.max(t);
    }
}

/// The HTTP operations of the trace, in the order the browser made them,
/// each folded from its events in one pass over the trace. (A second
/// request under an operation's id, which only a hand-made file holds,
/// starts a new exchange that takes the events after it.)
pub fn exchanges(trace: &Trace) -> Vec<Exchange<'_>> {
    let mut out: Vec<Exchange<'_>> = Vec::new();
    let mut index: HashMap<OpId, usize> = HashMap::new();
    for (at, step) in trace.steps().iter().enumerate() {
        match &step.kind {
            StepKind::Request(Request::Http { method, url, body }) => {
                index.insert(step.op, out.len());
                out.push(Exchange::new(step.op, method, url, body.as_deref()));
            }
            StepKind::Event { .. } => {
                if let Some(&i) = index.get(&step.op) {
                    out[i].note_step(at, step);
                }
            }
            _ => {}
        }
    }
    out
}

/// HTTP operation `op`, if the trace has it: the same as its entry in
/// [`exchanges`], folding only its own steps.
pub fn exchange(trace: &Trace, op: OpId) -> Option<Exchange<'_>> {
    let mut found: Option<Exchange<'_>> = None;
    for (at, step) in trace.steps().iter().enumerate() {
        if step.op != op {
            continue;
        }
        match (&step.kind, &mut found) {
            (StepKind::Request(Request::Http { method, url, body }), None) => {
                found = Some(Exchange::new(op, method, url, body.as_deref()));
            }
            // A second request under its id starts another exchange.
            (StepKind::Request(Request::Http { .. }), Some(_)) => break,
            (StepKind::Event { .. }, Some(exchange)) => exchange.note_step(at, step),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{ClientMsg, ErrorCode, Event, HttpRequest, ServerMsg};

    const URL: &str = "http://127.0.0.1:8081/redirect/1";

    fn trace_of(events: &[(u64, EventKind)]) -> Trace {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest::get(1, URL)));
        for (t_us, kind) in events {
            event(&mut trace, *t_us, kind.clone());
        }
        trace
    }

    fn event(trace: &mut Trace, t_us: u64, kind: EventKind) {
        trace.record_server(&ServerMsg::Event(Event { op: 1, t_us, kind }));
    }

    fn head(status: u16) -> EventKind {
        EventKind::ResponseHead {
            status,
            reason: "R".into(),
            version: "HTTP/1.1".into(),
            headers: vec![],
        }
    }

    fn written() -> EventKind {
        EventKind::RequestWritten {
            head: Payload(b"GET / HTTP/1.1\r\n\r\n".to_vec()),
            body_bytes: 0,
        }
    }

    fn done() -> EventKind {
        EventKind::ResponseDone {
            body_bytes: 2,
            json: false,
            timings: HttpTimings::default(),
        }
    }

    #[test]
    fn a_redirect_ends_a_hop_and_the_next_starts_at_its_location() {
        let mut trace = trace_of(&[
            (10, written()),
            (20, head(302)),
            (
                30,
                EventKind::Redirect {
                    status: 302,
                    location: "http://127.0.0.1:8081/get".into(),
                },
            ),
            (40, written()),
            (50, head(200)),
        ]);
        trace.record_server(&ServerMsg::Data {
            op: 1,
            t_us: 60,
            data: Payload(b"ok".to_vec()),
        });
        event(&mut trace, 70, done());
        event(&mut trace, 80, EventKind::Closed { by: Closer::Relay });
        let exchange = exchange(&trace, 1).unwrap();
        assert_eq!(exchanges(&trace).first(), Some(&exchange));
        assert_eq!(exchange.attempts.len(), 1);
        let attempt = &exchange.attempts[0];
        assert_eq!(attempt.announced, None);
        let hops: Vec<_> = attempt
            .hops
            .iter()
            .map(|h| (h.url, h.start_us, h.end_us, h.response.map(|r| r.status)))
            .collect();
        assert_eq!(
            hops,
            [
                (URL, 0, 30, Some(302)),
                ("http://127.0.0.1:8081/get", 30, 80, Some(200)),
            ]
        );
        assert_eq!(attempt.hops[1].marks.written, Some(40));
        assert_eq!(exchange.response_body(), b"ok");
        assert!(attempt.hops[0].body.is_empty());
        assert_eq!(
            attempt.end,
            Some(AttemptOutcome {
                at_us: 70,
                end: AttemptEnd::Status(200)
            })
        );
        assert_eq!(
            exchange.end,
            Some(ExchangeEnd {
                at_us: 80,
                how: Ending::Closed(Closer::Relay),
                step: 8,
            })
        );
    }

    #[test]
    fn each_attempt_starts_over_at_the_url_and_keeps_its_own_ending() {
        let timeout = RelayError::new(ErrorCode::TimedOut, "attempt timeout");
        let trace = trace_of(&[
            (1, EventKind::Attempt { n: 1, of: 3 }),
            (10, written()),
            (20, head(503)),
            (30, done()),
            (
                31,
                EventKind::Backoff {
                    attempt: 1,
                    wait_ms: 100,
                    reason: AttemptReason::Status(503),
                    retry_after_ms: None,
                },
            ),
            (100_040, EventKind::Attempt { n: 2, of: 3 }),
            (100_050, written()),
            (
                200_000,
                EventKind::GaveUp {
                    attempts: 2,
                    last_error: AttemptReason::Error(timeout.clone()),
                },
            ),
            (
                200_001,
                EventKind::Failed {
                    error: timeout.clone(),
                },
            ),
        ]);
        let exchange = exchange(&trace, 1).unwrap();
        let ends: Vec<_> = exchange
            .attempts
            .iter()
            .map(|a| (a.announced.map(|n| n.n), a.start_us, a.end.map(|e| e.end)))
            .collect();
        assert_eq!(
            ends,
            [
                (Some(1), 0, Some(AttemptEnd::Status(503))),
                (
                    Some(2),
                    100_040,
                    Some(AttemptEnd::Error(ErrorCode::TimedOut))
                ),
            ]
        );
        assert_eq!(exchange.attempts[0].backoff.map(|b| b.wait_ms), Some(100));
        let second = &exchange.attempts[1].hops[0];
        assert_eq!(
            (second.url, second.start_us, second.end_us),
            (URL, 100_040, 200_001)
        );
        assert_eq!(second.error, Some(&timeout));
        assert_eq!(exchange.gave_up.map(|g| g.attempts), Some(2));
        assert_eq!(exchange.failure(), Some(&timeout));
        // The answer shown is the last attempt's: it has none.
        assert_eq!(exchange.last_attempt().response(), None);
    }

    #[test]
    fn a_retried_requests_body_is_its_last_attempts() {
        let mut trace = trace_of(&[]);
        let data = |trace: &mut Trace, body: &str| {
            trace.record_server(&ServerMsg::Data {
                op: 1,
                t_us: 1,
                data: Payload(body.into()),
            })
        };
        data(&mut trace, "no attempts yet ");
        assert_eq!(
            exchange(&trace, 1).unwrap().response_body(),
            b"no attempts yet "
        );
        event(&mut trace, 1, EventKind::Attempt { n: 1, of: 3 });
        data(&mut trace, "{\"attempt\":1}");
        event(&mut trace, 1, EventKind::Attempt { n: 2, of: 3 });
        data(&mut trace, "{\"attempt\":");
        data(&mut trace, "2}");
        let exchange = exchange(&trace, 1).unwrap();
        assert_eq!(exchange.response_body(), b"{\"attempt\":2}");
        assert_eq!(exchange.attempts[1].body(), b"{\"attempt\":1}");
        assert!(trace.received_bytes(1).starts_with(b"no attempts yet {"));
    }

    #[test]
    fn wire_bytes_and_tls_stay_with_their_hop() {
        let trace = trace_of(&[
            (
                5,
                EventKind::Wire {
                    dir: WireDir::Out,
                    bytes: Payload(b"GET".to_vec()),
                },
            ),
            (
                6,
                EventKind::Wire {
                    dir: WireDir::In,
                    bytes: Payload(b"HTTP".to_vec()),
                },
            ),
        ]);
        let exchange = exchange(&trace, 1).unwrap();
        let wire: Vec<_> = exchange.hops().flat_map(|h| &h.wire).collect();
        assert_eq!(wire.len(), 2);
        assert_eq!(
            (wire[1].dir, wire[1].at_us, wire[1].bytes),
            (WireDir::In, 6, &b"HTTP"[..])
        );
        assert!(!exchange.tls());
        assert_eq!(exchange.end, None);
    }

    #[test]
    fn a_request_without_events_is_one_attempt_at_its_url_and_other_ops_are_not_http() {
        let mut trace = trace_of(&[]);
        trace.record_request(&ClientMsg::TcpConnect {
            op: 2,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
            faults: None,
        });
        let all = exchanges(&trace);
        assert_eq!(all.len(), 1);
        assert_eq!(exchange(&trace, 1).as_ref(), all.first());
        let hops: Vec<_> = all[0].hops().map(|hop| (hop.url, hop.start_us)).collect();
        assert_eq!(hops, [(URL, 0)]);
        assert_eq!(all[0].attempts[0].announced, None);
        assert_eq!(all[0].response_body(), b"");
        assert!(exchange(&trace, 2).is_none());
    }
}
