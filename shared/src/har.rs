//! HAR 1.2 export: the HTTP requests of a trace as an HTTP Archive, the
//! format browsers' network panels save and open
//! (<http://www.softwareishard.com/blog/har-12-spec/>).
//!
//! One entry per HTTP operation, describing its last hop (after redirects).
//! The request's headers come from the exact head the relay wrote; the
//! timings are the relay's (`connect` includes `ssl`, as HAR asks). The
//! relay times each operation from its own start and has no wall clock, so
//! every entry's `startedDateTime` is the moment of the export, which the
//! caller passes in; the log's comment says so.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::inspect::{HttpOp, http_ops};
use crate::protocol::{EventKind, HttpTimings};
use crate::trace::{StepKind, Trace};

/// The tool named as the HAR's creator.
pub const CREATOR: &str = "Roundtrip";

/// The trace's HTTP exchanges as a HAR 1.2 document. `version` is this
/// build's version, `exported_at` an ISO 8601 date-time
/// (`2026-11-25T22:00:00.000Z`).
pub fn export(trace: &Trace, version: &str, exported_at: &str) -> Value {
    let entries: Vec<Value> = http_ops(trace)
        .iter()
        .map(|op| entry(trace, op, exported_at))
        .collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": CREATOR, "version": version },
            "pages": [],
            "entries": entries,
            "comment": "Times are the relay's, per request; startedDateTime is the time of the export.",
        }
    })
}

/// [`export`] as indented JSON text, for a file.
pub fn export_text(trace: &Trace, version: &str, exported_at: &str) -> String {
    serde_json::to_string_pretty(&export(trace, version, exported_at)).unwrap_or_default()
}

/// A response head: status, reason, version, headers.
type Head<'a> = (u16, &'a str, &'a str, &'a [(String, String)]);

/// What one operation's events say about its last hop.
#[derive(Default)]
struct Hop<'a> {
    url: Option<String>,
    head: Option<&'a [u8]>,
    body_bytes: Option<u64>,
    response: Option<Head<'a>>,
    response_bytes: Option<u64>,
    timings: Option<HttpTimings>,
    remote: Option<&'a str>,
    local: Option<&'a str>,
    error: Option<&'a str>,
    last_us: u64,
}

fn entry(trace: &Trace, op: &HttpOp<'_>, exported_at: &str) -> Value {
    let mut hop = Hop::default();
    for step in trace.steps().iter().filter(|s| s.op == op.op) {
        let StepKind::Event { kind, .. } = &step.kind else {
            continue;
        };
        hop.last_us = hop.last_us.max(step.t_us.unwrap_or(0));
        match kind {
            EventKind::Redirect { location, .. } => {
                let base = hop.url.clone().unwrap_or_else(|| op.url.to_owned());
                hop = Hop {
                    url: Some(join_url(&base, location)),
                    last_us: hop.last_us,
                    ..Hop::default()
                };
            }
            EventKind::Connected { local, remote } => {
                hop.local = Some(local);
                hop.remote = Some(remote);
            }
            EventKind::RequestWritten { head, body_bytes } => {
                hop.head = Some(&head.0);
                hop.body_bytes = Some(*body_bytes);
            }
            EventKind::ResponseHead {
                status,
                reason,
                version,
                headers,
            } => hop.response = Some((*status, reason, version, headers)),
            EventKind::ResponseDone {
                body_bytes,
                timings,
                ..
            } => {
                hop.response_bytes = Some(*body_bytes);
                hop.timings = Some(*timings);
            }
            EventKind::Failed { error } => hop.error = Some(&error.message),
            _ => {}
        }
    }
    let url = hop.url.clone().unwrap_or_else(|| op.url.to_owned());
    let request_headers = hop.head.map(request_headers).unwrap_or_default();
    let mut request = json!({
        "method": op.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": request_cookies(&request_headers),
        "headers": name_values(&request_headers),
        "queryString": query_string(&url),
        "headersSize": hop.head.map_or(-1, |h| h.len() as i64),
        "bodySize": hop.body_bytes.map_or(-1, |n| n as i64),
    });
    if let Some(body) = op.body {
        request["postData"] = json!({
            "mimeType": header(&request_headers, "content-type").unwrap_or_default(),
            "params": [],
            "text": String::from_utf8_lossy(body),
        });
    }

    let body = trace.received_bytes(op.op);
    let response = match hop.response {
        Some((status, reason, version, headers)) => {
            let mime = header(headers, "content-type").unwrap_or_default();
            let mut content = json!({
                "size": body.len(),
                "mimeType": mime,
            });
            match std::str::from_utf8(&body) {
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
                "headersSize": -1,
                "bodySize": hop.response_bytes.map_or(-1, |n| n as i64),
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

    let (time, timings) = match hop.timings {
        Some(t) => {
            let known =
                t.dns_us + t.connect_us + t.tls_us + t.request_us + t.wait_us + t.download_us;
            (
                ms(t.total_us),
                json!({
                    "blocked": ms(t.total_us.saturating_sub(known)),
                    "dns": ms(t.dns_us),
                    "connect": ms(t.connect_us + t.tls_us),
                    "ssl": if t.tls_us > 0 { ms(t.tls_us) } else { -1.0 },
                    "send": ms(t.request_us),
                    "wait": ms(t.wait_us),
                    "receive": ms(t.download_us),
                }),
            )
        }
        // Unfinished or failed: only the whole time is known.
        None => (
            ms(hop.last_us),
            json!({
                "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
                "send": 0, "wait": ms(hop.last_us), "receive": 0,
            }),
        ),
    };

    let mut entry = json!({
        "startedDateTime": exported_at,
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
        entry["comment"] = json!(error);
    }
    entry
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
        .flat_map(|(_, value)| cookie::Cookie::split_parse(value.as_str()))
        .filter_map(Result::ok)
        .map(|c| json!({ "name": c.name(), "value": c.value() }))
        .collect()
}

fn response_cookies(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| cookie::Cookie::parse(value.as_str()).ok())
        .map(|c| {
            let mut out = json!({ "name": c.name(), "value": c.value() });
            if let Some(path) = c.path() {
                out["path"] = json!(path);
            }
            if let Some(domain) = c.domain() {
                out["domain"] = json!(domain);
            }
            if let Some(http_only) = c.http_only() {
                out["httpOnly"] = json!(http_only);
            }
            if let Some(secure) = c.secure() {
                out["secure"] = json!(secure);
            }
            out
        })
        .collect()
}

/// `location` from a response to `base`, as an absolute URL.
fn join_url(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_owned();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let dir = rest
            .split(['?', '#'])
            .next()
            .and_then(|path| path.rsplit_once('/'))
            .map_or(authority, |(dir, _)| dir);
        format!("{scheme}://{dir}/{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        ClientMsg, Closer, ErrorCode, Event, HttpRequest, RelayError, ServerMsg,
    };

    fn request(trace: &mut Trace, op: u32, method: &str, url: &str, body: Option<&str>) {
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
            faults: None,
            retry: None,
            op,
            method: method.into(),
            url: url.into(),
            headers: vec![],
            body: body.map(|b| Payload(b.into())),
            json: body.is_some(),
            timeouts: None,
            follow_redirects: 1,
            max_body: None,
            raw: false,
        }));
    }

    fn event(trace: &mut Trace, op: u32, t_us: u64, kind: EventKind) {
        trace.record_server(&ServerMsg::Event(Event { op, t_us, kind }));
    }

    /// A POST that is redirected once and answered with JSON and a cookie,
    /// and a GET that is refused.
    fn sample() -> Trace {
        let mut trace = Trace::new();
        request(
            &mut trace,
            1,
            "POST",
            "https://127.0.0.1:8443/post?x=1&y=a%20b",
            Some("{\"a\":1}"),
        );
        event(
            &mut trace,
            1,
            900,
            EventKind::Redirect {
                status: 307,
                location: "/anything?z=2".into(),
            },
        );
        event(
            &mut trace,
            1,
            1_000,
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
                    tls_us: 1_500,
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

    #[test]
    fn a_trace_exports_as_har() {
        insta::assert_snapshot!(export_text(&sample(), "0.1.0", AT));
    }

    #[test]
    fn an_empty_trace_exports_an_empty_log() {
        let har = export(&Trace::new(), "0.1.0", AT);
        assert_eq!(har["log"]["entries"], json!([]));
        check_har(&har);
    }

    #[test]
    fn every_required_har_12_field_is_there_with_its_type() {
        let har = export(&sample(), "0.1.0", AT);
        assert_eq!(har["log"]["entries"].as_array().unwrap().len(), 2);
        check_har(&har);
        // And the check itself catches a missing or mistyped field.
        let mut broken = har.clone();
        broken["log"]["entries"][0]["timings"]
            .as_object_mut()
            .unwrap()
            .remove("wait");
        assert!(std::panic::catch_unwind(|| check_har(&broken)).is_err());
        let mut broken = har;
        broken["log"]["entries"][1]["response"]["status"] = json!("0");
        assert!(std::panic::catch_unwind(|| check_har(&broken)).is_err());
    }

    #[test]
    fn relative_redirects_join_their_base() {
        assert_eq!(join_url("http://h:1/a/b?q", "/c"), "http://h:1/c");
        assert_eq!(join_url("http://h:1/a/b?q", "c"), "http://h:1/a/c");
        assert_eq!(join_url("http://h:1", "c"), "http://h:1/c");
        assert_eq!(join_url("http://h/a", "https://x/y"), "https://x/y");
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
