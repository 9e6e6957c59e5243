//! HAR 1.2 export: the HTTP requests of a trace as an HTTP Archive, the
//! format browsers' network panels save and open
//! (<http://www.softwareishard.com/blog/har-12-spec/>).
//!
//! One entry per request on the wire, as browsers' devtools save them: each
//! hop of a redirect, and each attempt of a retried request, is an entry of
//! its own (the hops of [`crate::model::http`]'s exchanges; this module only
//! renders them). The request's headers come from the exact head the relay wrote;
//! the timings are the relay's (`connect` includes `ssl`, as HAR asks): a
//! finished hop's from the relay's `response_done`, any other hop's from
//! the times of its events.
//!
//! `startedDateTime` needs a wall clock, which the relay does not have: it
//! times each operation from its own start. A recording that kept the
//! page's wall clock at its start ([`PageClock`]) dates each hop at the
//! moment the page sent its request, plus the relay's time into the
//! operation at which the hop began. Without one (files saved before the
//! page kept it), every entry is dated at the export, and the log's comment
//! says so.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::har_fields::{self, iso_date};
use crate::model::http::{Exchange, Hop, ResponseHead, exchanges};
use crate::protocol::{OpId, WireDir};
use crate::trace::Trace;

/// The tool named as the HAR's creator.
pub const CREATOR: &str = "Roundtrip";

/// Most response bytes searched per hop for the end of its head in the wire
/// bytes (a head is rarely more than a few KiB).
const MAX_HEAD_SEARCH: usize = 64 * 1024;

/// The page's clock, to date requests: the wall-clock time at which the
/// recording started, and when the page sent each operation's request.
#[derive(Clone, Copy, Debug)]
pub struct PageClock<'a> {
    /// Milliseconds since the Unix epoch at the recording's start
    /// (`Recording::started_at_ms`).
    pub started_at_ms: f64,
    /// Each operation's first message, in ms since the recording started
    /// (`Recording::op_starts`).
    pub op_starts: &'a BTreeMap<OpId, f64>,
}

impl<'a> PageClock<'a> {
    /// The clock of a recording's times, when it kept its wall clock.
    pub fn of(times: &'a crate::recording::PageTimes) -> Option<PageClock<'a>> {
        Some(PageClock {
            started_at_ms: times.started_at_ms?,
            op_starts: &times.op_starts,
        })
    }
}

/// The trace's HTTP exchanges as a HAR 1.2 document. `version` is this
/// build's version, `exported_at` an ISO 8601 date-time
/// (`2026-11-25T22:00:00.000Z`), the date of every entry when there is no
/// `clock` (or it does not know an operation).
pub fn export(
    trace: &Trace,
    version: &str,
    exported_at: &str,
    clock: Option<PageClock<'_>>,
) -> Value {
    let entries: Vec<Value> = exchanges(trace)
        .iter()
        .flat_map(|exchange| {
            let sent_at = clock.and_then(|c| {
                c.op_starts
                    .get(&exchange.op)
                    .map(|ms| c.started_at_ms + ms)
                    .filter(|ms| ms.is_finite())
            });
            exchange
                .hops()
                .map(move |hop| entry(exchange, hop, sent_at, exported_at))
        })
        .collect();
    let comment = if clock.is_some() {
        "Times are the relay's, per request; startedDateTime is when the page sent the request (its wall clock at the recording's start, plus the page's time to the request, plus the relay's time to the hop)."
    } else {
        "Times are the relay's, per request; startedDateTime is the time of the export (this recording did not keep the page's wall clock)."
    };
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": CREATOR, "version": version },
            "pages": [],
            "entries": entries,
            "comment": comment,
        }
    })
}

/// [`export`] as indented JSON text, for a file.
pub fn export_text(
    trace: &Trace,
    version: &str,
    exported_at: &str,
    clock: Option<PageClock<'_>>,
) -> String {
    serde_json::to_string_pretty(&export(trace, version, exported_at, clock)).unwrap_or_default()
}

/// The response head's size in bytes, from the bytes on the wire: known
/// only for plain HTTP with "wire bytes" on (the relay reports the head
/// parsed, not as bytes; over TLS the wire holds records).
fn response_head_size(hop: &Hop<'_>) -> Option<usize> {
    if hop.tls {
        return None;
    }
    // The first response bytes; a head is rarely more than a few KiB.
    let mut first = Vec::new();
    for piece in hop.wire.iter().filter(|piece| piece.dir == WireDir::In) {
        if first.len() >= MAX_HEAD_SEARCH {
            break;
        }
        let room = MAX_HEAD_SEARCH - first.len();
        first.extend_from_slice(&piece.bytes[..piece.bytes.len().min(room)]);
    }
    if !first.starts_with(b"HTTP/") {
        return None;
    }
    first
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

fn entry(
    exchange: &Exchange<'_>,
    hop: &Hop<'_>,
    sent_at_ms: Option<f64>,
    exported_at: &str,
) -> Value {
    let head = hop.request.map(|request| request.head);
    let body_bytes = hop.request.map(|request| request.body_bytes);
    let request_line = head.and_then(request_method);
    let request_headers = head.map(request_headers).unwrap_or_default();
    let mut request = json!({
        // The method the relay wrote (a 303 turns a POST into a GET).
        "method": request_line.as_deref().unwrap_or(exchange.method),
        "url": hop.url,
        "httpVersion": "HTTP/1.1",
        "cookies": request_cookies(&request_headers),
        "headers": name_values(&request_headers),
        "queryString": query_string(hop.url),
        "headersSize": head.map_or(-1, |h| h.len() as i64),
        "bodySize": body_bytes.map_or(-1, |n| n as i64),
    });
    if let Some(body) = exchange.request_body
        && body_bytes != Some(0)
    {
        request["postData"] = json!({
            "mimeType": header(&request_headers, "content-type").unwrap_or_default(),
            "params": [],
            "text": String::from_utf8_lossy(body),
        });
    }

    let response_bytes = hop.done.map(|done| done.body_bytes);
    let response = match hop.response {
        Some(ResponseHead {
            status,
            reason,
            version,
            headers,
        }) => {
            let mime = header(headers, "content-type").unwrap_or_default();
            let body = hop.body_bytes();
            let mut content = json!({
                "size": body.len(),
                "mimeType": mime,
            });
            match std::str::from_utf8(&body) {
                // A redirect's body is never read: no text at all.
                Ok(_) if body.is_empty() && response_bytes.is_none() => {}
                Ok(text) => content["text"] = json!(text),
                Err(_) => {
                    content["text"] = json!(BASE64.encode(&body));
                    content["encoding"] = json!("base64");
                }
            }
            json!({
                "status": status,
                "statusText": reason,
                "httpVersion": version,
                "cookies": response_cookies(headers),
                "headers": name_values(headers),
                "content": content,
                "redirectURL": header(headers, "location").unwrap_or_default(),
                "headersSize": response_head_size(hop).map_or(-1, |n| n as i64),
                "bodySize": response_bytes.map_or(-1, |n| n as i64),
            })
        }
        // No response: the way browsers save a request that failed.
        None => json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": { "size": 0, "mimeType": "x-unknown" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }),
    };

    let (time, timings) = timings(hop);
    let started = sent_at_ms
        .map(|ms| iso_date(ms + hop.start_us as f64 / 1000.0))
        .unwrap_or_else(|| exported_at.to_owned());
    let mut entry = json!({
        "startedDateTime": started,
        "time": time,
        "request": request,
        "response": response,
        "cache": {},
        "timings": timings,
    });
    if let Some(remote) = hop.remote {
        let ip = remote
            .rsplit_once(':')
            .map_or(remote, |(ip, _)| ip)
            .trim_matches(['[', ']']);
        entry["serverIPAddress"] = json!(ip);
    }
    if let Some(local) = hop.local {
        entry["connection"] = json!(local.rsplit_once(':').map_or(local, |(_, port)| port));
    }
    if let Some(error) = hop.error {
        entry["comment"] = json!(error.message);
    }
    entry
}

/// The hop's whole time and its HAR timings.
fn timings(hop: &Hop<'_>) -> (f64, Value) {
    let span = hop.end_us.saturating_sub(hop.start_us);
    if let Some(done) = hop.done {
        let t = done.timings;
        let known = t.phases_us();
        // The relay's total runs from the operation's start: for a later hop
        // (or attempt), only the hop's own span is its time.
        let total = if hop.start_us == 0 { t.total_us } else { span };
        return (
            ms(total.max(known)),
            json!({
                "blocked": ms(done.blocked_us(total)),
                "dns": ms(t.dns_us),
                "connect": ms(t.connect_us.saturating_add(t.tls_us)),
                "ssl": if t.tls_us > 0 { ms(t.tls_us) } else { -1.0 },
                "send": ms(t.request_us),
                "wait": ms(t.wait_us),
                "receive": ms(t.download_us),
            }),
        );
    }
    let m = hop.marks;
    let Some(connected) = m.connected else {
        // Nothing measured (refused, unresolved, still running): only the
        // whole time is known.
        return (
            ms(span),
            json!({
                "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
                "send": 0, "wait": ms(span), "receive": 0,
            }),
        );
    };
    // A redirect's hop (or a failed one): its phases from its events.
    let dns = m
        .resolved
        .map(|r| r.saturating_sub(m.resolving.unwrap_or(hop.start_us)));
    let connect_from = m.connecting.or(m.resolved).unwrap_or(hop.start_us);
    let secured = m.tls.unwrap_or(connected);
    let connect = secured.saturating_sub(connect_from);
    let ssl = m.tls.map(|t| t.saturating_sub(connected));
    let send = m.written.map_or(0, |w| w.saturating_sub(secured));
    let wait = match (m.written, m.first_byte) {
        (Some(w), Some(f)) => f.saturating_sub(w),
        (Some(w), None) => hop.end_us.saturating_sub(w),
        _ => 0,
    };
    let receive = m.first_byte.map_or(0, |f| hop.end_us.saturating_sub(f));
    let known = [dns.unwrap_or(0), connect, send, wait, receive]
        .into_iter()
        .fold(0, u64::saturating_add);
    (
        ms(span.max(known)),
        json!({
            "blocked": ms(span.saturating_sub(known)),
            "dns": dns.map_or(-1.0, ms),
            "connect": ms(connect),
            "ssl": ssl.map_or(-1.0, ms),
            "send": ms(send),
            "wait": ms(wait),
            "receive": ms(receive),
        }),
    )
}

fn request_method(head: &[u8]) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(head).ok()?;
    request.method.map(str::to_owned)
}

/// Milliseconds with microsecond precision.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn request_headers(head: &[u8]) -> Vec<(String, String)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    // A head the relay wrote always parses; should it not, it has no headers.
    if request.parse(head).is_err() {
        return Vec::new();
    }
    request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn name_values(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

fn query_string(url: &str) -> Vec<Value> {
    let without_fragment = url.split('#').next().unwrap_or_default();
    let Some((_, query)) = without_fragment.split_once('?') else {
        return Vec::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

fn request_cookies(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, value)| har_fields::request_cookies(value))
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

fn response_cookies(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| har_fields::set_cookie(value))
        .map(|c| {
            let mut out = json!({ "name": c.name, "value": c.value });
            if let Some(path) = c.path {
                out["path"] = json!(path);
            }
            if let Some(domain) = c.domain {
                out["domain"] = json!(domain);
            }
            if c.http_only {
                out["httpOnly"] = json!(true);
            }
            if c.secure {
                out["secure"] = json!(true);
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        AttemptReason, ClientMsg, Closer, ErrorCode, EventKind, HttpRequest, HttpTimings,
        RelayError, ServerMsg,
    };

    fn request(trace: &mut Trace, op: u32, method: &str, url: &str, body: Option<&str>) {
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
            method: method.into(),
            body: body.map(|b| Payload(b.into())),
            json: body.is_some(),
            follow_redirects: 1,
            ..HttpRequest::get(op, url)
        }));
    }

    use crate::testing::fixtures::record_event as event;

    /// Attempt 1 of 2 of `op` starts and connects.
    fn first_of_two_attempts_connects(trace: &mut Trace, op: u32) {
        event(trace, op, 1, EventKind::Attempt { n: 1, of: 2 });
        event(
            trace,
            op,
            100,
            EventKind::Connected {
                local: "127.0.0.1:40000".into(),
                remote: "127.0.0.1:80".into(),
            },
        );
    }

    fn tls_done() -> EventKind {
        EventKind::TlsHandshake {
            version: "TLS 1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("http/1.1".into()),
            certs: vec![],
        }
    }

    /// A POST that is redirected once (307) and answered with JSON and a
    /// cookie, and a GET that is refused.
    fn sample() -> Trace {
        let mut trace = Trace::new();
        request(
            &mut trace,
            1,
            "POST",
            "https://127.0.0.1:8443/post?x=1&y=a%20b",
            Some("{\"a\":1}"),
        );
        // The first hop: its own connection, a 307 and no body read.
        event(
            &mut trace,
            1,
            100,
            EventKind::Connected {
                local: "127.0.0.1:49999".into(),
                remote: "127.0.0.1:8443".into(),
            },
        );
        event(&mut trace, 1, 250, tls_done());
        event(
            &mut trace,
            1,
            300,
            EventKind::RequestWritten {
                head: Payload(
                    b"POST /post?x=1&y=a%20b HTTP/1.1\r\nhost: 127.0.0.1:8443\r\ncontent-type: application/json\r\n\r\n"
                        .to_vec(),
                ),
                body_bytes: 7,
            },
        );
        event(&mut trace, 1, 700, EventKind::FirstByte);
        event(
            &mut trace,
            1,
            800,
            EventKind::ResponseHead {
                status: 307,
                reason: "Temporary Redirect".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("location".into(), "/anything?z=2".into())],
            },
        );
        event(
            &mut trace,
            1,
            1_000,
            // The relay resolves the response's relative `Location` against
            // the hop's URL: the event's location is absolute.
            EventKind::Redirect {
                status: 307,
                location: "https://127.0.0.1:8443/anything?z=2".into(),
            },
        );
        event(
            &mut trace,
            1,
            1_100,
            EventKind::Connected {
                local: "127.0.0.1:50000".into(),
                remote: "127.0.0.1:8443".into(),
            },
        );
        event(
            &mut trace,
            1,
            2_000,
            EventKind::RequestWritten {
                head: Payload(
                    b"POST /anything?z=2 HTTP/1.1\r\nhost: 127.0.0.1:8443\r\ncontent-type: application/json\r\ncookie: session=abc; theme=dark\r\n\r\n"
                        .to_vec(),
                ),
                body_bytes: 7,
            },
        );
        event(
            &mut trace,
            1,
            3_000,
            EventKind::ResponseHead {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("set-cookie".into(), "id=7; Path=/; HttpOnly; Secure".into()),
                ],
            },
        );
        trace.record_server(&ServerMsg::Data {
            op: 1,
            t_us: 3_100,
            data: Payload(b"{\"ok\":true}".to_vec()),
        });
        event(
            &mut trace,
            1,
            3_200,
            EventKind::ResponseDone {
                body_bytes: 11,
                json: true,
                timings: HttpTimings {
                    dns_us: 10,
                    connect_us: 200,
                    tls_us: 900,
                    request_us: 50,
                    wait_us: 900,
                    download_us: 40,
                    total_us: 3_200,
                },
            },
        );
        event(
            &mut trace,
            1,
            3_200,
            EventKind::Closed { by: Closer::Relay },
        );

        request(&mut trace, 2, "GET", "http://127.0.0.1:9/", None);
        event(
            &mut trace,
            2,
            400,
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "connection refused"),
            },
        );
        trace
    }

    const AT: &str = "2026-11-25T22:00:00.000Z";

    /// The page's clock for [`sample`]: the recording started at
    /// 2026-11-25T22:00:00.000Z; op 1 was sent 10 ms in, op 2 20.5 ms in.
    fn sample_clock(starts: &mut BTreeMap<OpId, f64>) -> PageClock<'_> {
        starts.insert(1, 10.0);
        starts.insert(2, 20.5);
        PageClock {
            started_at_ms: 1_795_644_000_000.0,
            op_starts: starts,
        }
    }

    #[test]
    fn a_trace_exports_as_har() {
        let mut starts = BTreeMap::new();
        insta::assert_snapshot!(export_text(
            &sample(),
            "0.1.0",
            AT,
            Some(sample_clock(&mut starts))
        ));
    }

    #[test]
    fn an_empty_trace_exports_an_empty_log() {
        let har = export(&Trace::new(), "0.1.0", AT, None);
        assert_eq!(har["log"]["entries"], json!([]));
        check_har(&har);
    }

    #[test]
    fn entries_are_dated_when_the_page_sent_them() {
        let mut starts = BTreeMap::new();
        let har = export(&sample(), "0.1.0", AT, Some(sample_clock(&mut starts)));
        let dates: Vec<&str> = har["log"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["startedDateTime"].as_str().unwrap())
            .collect();
        assert_eq!(
            dates,
            [
                "2026-11-25T22:00:00.010Z",
                // The second hop began 1 ms into the operation.
                "2026-11-25T22:00:00.011Z",
                // 20.5 ms, to the millisecond.
                "2026-11-25T22:00:00.021Z",
            ]
        );
        assert!(
            har["log"]["comment"]
                .as_str()
                .unwrap()
                .contains("when the page sent the request")
        );
        // Without the page's clock: the export's time, and the log says so.
        let har = export(&sample(), "0.1.0", AT, None);
        for entry in har["log"]["entries"].as_array().unwrap() {
            assert_eq!(entry["startedDateTime"], AT);
        }
        assert!(
            har["log"]["comment"]
                .as_str()
                .unwrap()
                .contains("startedDateTime is the time of the export")
        );
    }

    #[test]
    fn each_redirect_hop_is_an_entry() {
        let har = export(&sample(), "0.1.0", AT, None);
        let entries = har["log"]["entries"].as_array().unwrap();
        let hop1 = &entries[0];
        assert_eq!(hop1["request"]["method"], "POST");
        assert_eq!(
            hop1["request"]["url"],
            "https://127.0.0.1:8443/post?x=1&y=a%20b"
        );
        assert_eq!(hop1["response"]["status"], 307);
        assert_eq!(hop1["response"]["redirectURL"], "/anything?z=2");
        assert_eq!(hop1["response"]["content"]["size"], 0);
        assert_eq!(hop1["connection"], "49999");
        // Its phases from its events: connect to 100 µs, TLS to 250, the
        // head written at 300, the first byte at 700, the redirect at 1000.
        assert_eq!(hop1["time"], 1.0);
        assert_eq!(hop1["timings"]["connect"], 0.25);
        assert_eq!(hop1["timings"]["ssl"], 0.15);
        assert_eq!(hop1["timings"]["send"], 0.05);
        assert_eq!(hop1["timings"]["wait"], 0.4);
        assert_eq!(hop1["timings"]["receive"], 0.3);
        let hop2 = &entries[1];
        assert_eq!(
            hop2["request"]["url"],
            "https://127.0.0.1:8443/anything?z=2"
        );
        assert_eq!(hop2["response"]["status"], 200);
        assert_eq!(hop2["response"]["content"]["text"], "{\"ok\":true}");
        assert_eq!(hop2["connection"], "50000");
        // Its own span (1000 to 3200 µs), not the operation's: the phases
        // the relay timed and 0.1 ms it did not.
        assert_eq!(hop2["time"], 2.2);
        assert_eq!(hop2["timings"]["blocked"], 0.1);
        assert_eq!(entries[2]["response"]["status"], 0);
    }

    #[test]
    fn each_attempt_of_a_retried_request_is_an_entry() {
        let mut trace = Trace::new();
        request(
            &mut trace,
            5,
            "GET",
            "http://127.0.0.1:80/flaky?key=a",
            None,
        );
        let head = |status, reason: &str| EventKind::ResponseHead {
            status,
            reason: reason.into(),
            version: "HTTP/1.1".into(),
            headers: vec![],
        };
        first_of_two_attempts_connects(&mut trace, 5);
        event(&mut trace, 5, 400, head(503, "Service Unavailable"));
        event(
            &mut trace,
            5,
            500,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 100,
                reason: crate::protocol::AttemptReason::Status(503),
                retry_after_ms: None,
            },
        );
        event(&mut trace, 5, 100_600, EventKind::Attempt { n: 2, of: 2 });
        event(
            &mut trace,
            5,
            100_700,
            EventKind::Connected {
                local: "127.0.0.1:40001".into(),
                remote: "127.0.0.1:80".into(),
            },
        );
        event(&mut trace, 5, 101_000, head(200, "OK"));
        event(
            &mut trace,
            5,
            101_100,
            EventKind::Closed { by: Closer::Relay },
        );
        let har = export(&trace, "0.1.0", AT, None);
        let entries = har["log"]["entries"].as_array().unwrap();
        let statuses: Vec<&Value> = entries.iter().map(|e| &e["response"]["status"]).collect();
        assert_eq!(statuses, [&json!(503), &json!(200)]);
        assert_eq!(entries[1]["connection"], "40001");
        // An attempt lasts until it ended; the backoff is in neither.
        assert_eq!(entries[0]["time"], 0.5);
        assert_eq!(entries[1]["time"], 0.5);
        check_har(&har);
    }

    #[test]
    fn a_timed_out_attempt_lasts_until_its_timeout_and_says_why() {
        let mut trace = Trace::new();
        request(
            &mut trace,
            7,
            "GET",
            "http://127.0.0.1:80/flaky?mode=timeout",
            None,
        );
        first_of_two_attempts_connects(&mut trace, 7);
        let timeout = crate::protocol::RelayError::new(
            crate::protocol::ErrorCode::TimedOut,
            "no first byte within 400 ms",
        );
        event(
            &mut trace,
            7,
            400_100,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 100,
                reason: AttemptReason::Error(timeout.clone()),
                retry_after_ms: None,
            },
        );
        event(&mut trace, 7, 500_200, EventKind::Attempt { n: 2, of: 2 });
        event(
            &mut trace,
            7,
            900_300,
            EventKind::GaveUp {
                attempts: 2,
                last_error: AttemptReason::Error(timeout.clone()),
            },
        );
        event(&mut trace, 7, 900_300, EventKind::Failed { error: timeout });
        let har = export(&trace, "0.1.0", AT, None);
        let entries = har["log"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["time"], 400.1);
        assert_eq!(entries[1]["time"], 400.1);
        for entry in entries {
            assert_eq!(entry["response"]["status"], 0);
            assert!(
                entry["comment"]
                    .as_str()
                    .is_some_and(|c| c.contains("no first byte within 400 ms")),
                "{entry}"
            );
        }
        check_har(&har);
    }

    #[test]
    fn response_head_size_comes_from_plain_wire_bytes() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n";
        let mut trace = Trace::new();
        request(&mut trace, 6, "GET", "http://127.0.0.1:80/", None);
        event(
            &mut trace,
            6,
            100,
            EventKind::Connected {
                local: "127.0.0.1:40000".into(),
                remote: "127.0.0.1:80".into(),
            },
        );
        // The head split over two reads, the body after it.
        let (a, b) = head.split_at(10);
        for part in [a.to_vec(), [b, b"ok"].concat()] {
            event(
                &mut trace,
                6,
                200,
                EventKind::Wire {
                    dir: WireDir::In,
                    bytes: Payload(part),
                },
            );
        }
        event(
            &mut trace,
            6,
            300,
            EventKind::ResponseHead {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("content-length".into(), "2".into())],
            },
        );
        let har = export(&trace, "0.1.0", AT, None);
        assert_eq!(
            har["log"]["entries"][0]["response"]["headersSize"],
            head.len()
        );
        // Over TLS the wire holds records, and without "wire bytes" there is
        // nothing to measure: unknown.
        let har = export(&sample(), "0.1.0", AT, None);
        assert_eq!(har["log"]["entries"][1]["response"]["headersSize"], -1);
    }

    #[test]
    fn every_required_har_12_field_is_there_with_its_type() {
        let har = export(&sample(), "0.1.0", AT, None);
        assert_eq!(har["log"]["entries"].as_array().unwrap().len(), 3);
        check_har(&har);
        let mut starts = BTreeMap::new();
        check_har(&export(
            &sample(),
            "0.1.0",
            AT,
            Some(sample_clock(&mut starts)),
        ));
        // And the check itself catches a missing or mistyped field.
        let mut broken = har.clone();
        broken["log"]["entries"][0]["timings"]
            .as_object_mut()
            .unwrap()
            .remove("wait");
        assert!(std::panic::catch_unwind(|| check_har(&broken)).is_err());
        let mut broken = har;
        broken["log"]["entries"][2]["response"]["status"] = json!("0");
        assert!(std::panic::catch_unwind(|| check_har(&broken)).is_err());
    }

    #[test]
    fn a_request_the_relay_has_not_answered_yet_is_an_entry_without_response() {
        let mut trace = Trace::new();
        request(&mut trace, 7, "GET", "http://127.0.0.1:8081/slow", None);
        let har = export(&trace, "0.1.0", AT, None);
        let entries = har["log"]["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["request"]["url"], "http://127.0.0.1:8081/slow");
        assert_eq!(entries[0]["response"]["status"], 0);
    }

    #[test]
    fn a_redirects_hop_is_at_the_location_the_relay_resolved() {
        let har = export(&sample(), "0.1.0", AT, None);
        let entries = har["log"]["entries"].as_array().unwrap();
        // The head said `/anything?z=2`; the hop went where the relay's
        // `redirect` event says, which PROTOCOL.md promises is absolute.
        assert_eq!(entries[0]["response"]["redirectURL"], "/anything?z=2");
        assert_eq!(
            entries[1]["request"]["url"],
            "https://127.0.0.1:8443/anything?z=2"
        );
    }

    #[derive(Clone, Copy)]
    enum T {
        Str,
        Num,
        Int,
        Obj,
        Arr,
    }

    fn has(value: &Value, path: &str, fields: &[(&str, T)]) {
        for (name, kind) in fields {
            let field = value
                .get(name)
                .unwrap_or_else(|| panic!("{path}.{name} is missing"));
            let ok = match kind {
                T::Str => field.is_string(),
                T::Num => field.is_number(),
                T::Int => field.is_i64() || field.is_u64(),
                T::Obj => field.is_object(),
                T::Arr => field.is_array(),
            };
            assert!(ok, "{path}.{name} has the wrong type: {field}");
        }
    }

    fn name_value_list(list: &Value, path: &str) {
        for (i, item) in list.as_array().unwrap().iter().enumerate() {
            has(
                item,
                &format!("{path}[{i}]"),
                &[("name", T::Str), ("value", T::Str)],
            );
        }
    }

    /// The fields HAR 1.2 requires, with their types.
    fn check_har(har: &Value) {
        use T::*;
        has(har, "", &[("log", Obj)]);
        let log = &har["log"];
        has(
            log,
            "log",
            &[("version", Str), ("creator", Obj), ("entries", Arr)],
        );
        assert_eq!(log["version"], "1.2");
        has(
            &log["creator"],
            "log.creator",
            &[("name", Str), ("version", Str)],
        );
        for (i, entry) in log["entries"].as_array().unwrap().iter().enumerate() {
            let at = format!("log.entries[{i}]");
            has(
                entry,
                &at,
                &[
                    ("startedDateTime", Str),
                    ("time", Num),
                    ("request", Obj),
                    ("response", Obj),
                    ("cache", Obj),
                    ("timings", Obj),
                ],
            );
            // ISO 8601 with a time zone, as HAR 1.2 asks.
            let date = entry["startedDateTime"].as_str().unwrap();
            assert!(
                date.len() >= 20
                    && date.as_bytes()[10] == b'T'
                    && (date.ends_with('Z') || date[19..].contains(['+', '-'])),
                "{at}.startedDateTime is not an ISO 8601 date-time: {date}"
            );
            let request = &entry["request"];
            has(
                request,
                &format!("{at}.request"),
                &[
                    ("method", Str),
                    ("url", Str),
                    ("httpVersion", Str),
                    ("cookies", Arr),
                    ("headers", Arr),
                    ("queryString", Arr),
                    ("headersSize", Int),
                    ("bodySize", Int),
                ],
            );
            for list in ["cookies", "headers", "queryString"] {
                name_value_list(&request[list], &format!("{at}.request.{list}"));
            }
            if let Some(post) = request.get("postData") {
                has(
                    post,
                    &format!("{at}.request.postData"),
                    &[("mimeType", Str)],
                );
            }
            let response = &entry["response"];
            has(
                response,
                &format!("{at}.response"),
                &[
                    ("status", Int),
                    ("statusText", Str),
                    ("httpVersion", Str),
                    ("cookies", Arr),
                    ("headers", Arr),
                    ("content", Obj),
                    ("redirectURL", Str),
                    ("headersSize", Int),
                    ("bodySize", Int),
                ],
            );
            for list in ["cookies", "headers"] {
                name_value_list(&response[list], &format!("{at}.response.{list}"));
            }
            has(
                &response["content"],
                &format!("{at}.response.content"),
                &[("size", Int), ("mimeType", Str)],
            );
            let timings = &entry["timings"];
            has(
                timings,
                &format!("{at}.timings"),
                &[("send", Num), ("wait", Num), ("receive", Num)],
            );
            for name in ["send", "wait", "receive"] {
                assert!(
                    timings[name].as_f64().unwrap() >= 0.0,
                    "{at}.timings.{name}"
                );
            }
            for name in ["blocked", "dns", "connect", "ssl"] {
                if let Some(value) = timings.get(name) {
                    assert!(
                        value.as_f64().is_some_and(|v| v >= 0.0 || v == -1.0),
                        "{at}.timings.{name}"
                    );
                }
            }
        }
    }
}
