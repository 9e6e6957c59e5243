//! What the HTTP panel shows of one request: the newest attempt's status
//! line, headers, body (re-indented when it is JSON) and phase timings, or
//! its failure. Read from the HTTP model ([`crate::model::http`]), so the
//! page only renders it.

use crate::json_check::json_view;
use crate::model::http::exchange;
use crate::protocol::{CertInfo, HttpTimings, OpId, RelayError};
use crate::trace::Trace;

/// What the trace says about one HTTP operation: its newest attempt's last
/// response (after any redirects).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpView {
    /// `HTTP/1.1 200 OK`, once the head arrived.
    pub status_line: Option<String>,
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub json: bool,
    pub timings: Option<HttpTimings>,
    /// The failure, with its code and refusal for its explanation.
    pub error: Option<RelayError>,
    pub finished: bool,
    /// `attempt 2 of 3` for a retried request.
    pub attempt: Option<String>,
    /// The certificate chain the server presented on the last connection,
    /// leaf first (empty for plain HTTP).
    pub certs: Vec<CertInfo>,
}

/// Said beside a certificate chain: what TLS leaves readable. The host
/// name travels in the ClientHello's SNI in clear (rustls sends none for
/// an IP address, and the relay does not use ECH); the certificates are
/// encrypted in TLS 1.3 but travel in clear in TLS 1.2.
pub const SNI_NOTE: &str = "The host name in the URL travels in clear in the ClientHello (its SNI \
     extension; an IP address is not sent there), so an eavesdropper learns it: this relay does \
     not use Encrypted Client Hello. The certificates are encrypted in TLS 1.3; in TLS 1.2 they \
     travel in clear too.";

/// One certificate as lines for people: subject, issuer, validity, and the
/// names it is valid for.
pub fn cert_lines(cert: &CertInfo) -> Vec<String> {
    let mut lines = vec![
        format!("subject: {}", cert.subject),
        format!("issuer: {}", cert.issuer),
        format!("valid from {} until {}", cert.not_before, cert.not_after),
    ];
    if !cert.sans.is_empty() {
        lines.push(format!("valid for: {}", cert.sans.join(", ")));
    }
    lines
}

impl HttpView {
    /// Operation `op` of `trace` (empty when the trace has no such HTTP
    /// request).
    pub fn of(trace: &Trace, op: OpId) -> HttpView {
        let Some(exchange) = exchange(trace, op) else {
            return HttpView::default();
        };
        let finished = exchange.end.is_some();
        let attempt = exchange.last_attempt();
        let head = attempt.response();
        let done = attempt.done();
        HttpView {
            status_line: head.map(|h| format!("{} {} {}", h.version, h.status, h.reason)),
            status: head.map(|h| h.status),
            headers: head.map(|h| h.headers.to_vec()).unwrap_or_default(),
            body: attempt.body(),
            json: done.is_some_and(|done| done.json),
            timings: done.map(|done| done.timings),
            error: exchange.failure().cloned(),
            finished,
            attempt: attempt
                .announced
                .map(|a| format!("attempt {} of {}", a.n, a.of)),
            certs: exchange
                .hops()
                .next_back()
                .map(|hop| hop.certs.to_vec())
                .unwrap_or_default(),
        }
    }

    /// The body as text: re-indented when the relay found it JSON.
    pub fn body_text(&self) -> String {
        if self.json
            && let Some(json) = json_view(&self.body)
        {
            return json.pretty;
        }
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        AttemptReason, ClientMsg, Closer, ErrorCode, Event, EventKind, HttpRequest, ServerMsg,
    };

    fn trace_of(events: Vec<EventKind>) -> Trace {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest::get(
            1,
            "http://127.0.0.1:8081/json",
        )));
        for (i, kind) in events.into_iter().enumerate() {
            trace.record_server(&ServerMsg::Event(Event {
                op: 1,
                t_us: 10 * i as u64,
                kind,
            }));
        }
        trace
    }

    fn head(status: u16) -> EventKind {
        EventKind::ResponseHead {
            status,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("content-type".into(), "application/json".into())],
        }
    }

    fn done(json: bool) -> EventKind {
        EventKind::ResponseDone {
            body_bytes: 7,
            json,
            timings: HttpTimings::default(),
        }
    }

    #[test]
    fn a_json_answer_shows_its_status_line_and_an_indented_body() {
        let mut trace = trace_of(vec![head(200)]);
        trace.record_server(&ServerMsg::Data {
            op: 1,
            t_us: 20,
            data: Payload(br#"{"a":1}"#.to_vec()),
        });
        for kind in [done(true), EventKind::Closed { by: Closer::Relay }] {
            trace.record_server(&ServerMsg::Event(Event {
                op: 1,
                t_us: 30,
                kind,
            }));
        }
        let view = HttpView::of(&trace, 1);
        assert_eq!(view.status_line.as_deref(), Some("HTTP/1.1 200 OK"));
        assert_eq!(view.headers.len(), 1);
        assert_eq!(view.body_text(), "{\n  \"a\": 1\n}");
        assert!(view.finished && view.error.is_none() && view.attempt.is_none());
        // Not JSON to the relay: shown as it came.
        let view = HttpView {
            json: false,
            ..view
        };
        assert_eq!(view.body_text(), r#"{"a":1}"#);
    }

    #[test]
    fn a_retried_request_shows_only_its_newest_attempt() {
        let error = RelayError::new(ErrorCode::TimedOut, "attempt timeout");
        let trace = trace_of(vec![
            EventKind::Attempt { n: 1, of: 2 },
            head(503),
            done(false),
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 10,
                reason: AttemptReason::Status(503),
                retry_after_ms: None,
            },
            EventKind::Attempt { n: 2, of: 2 },
        ]);
        let running = HttpView::of(&trace, 1);
        assert_eq!(
            running,
            HttpView {
                attempt: Some("attempt 2 of 2".into()),
                ..HttpView::default()
            }
        );
        let mut trace = trace;
        trace.record_server(&ServerMsg::Event(Event {
            op: 1,
            t_us: 99,
            kind: EventKind::Failed {
                error: error.clone(),
            },
        }));
        let failed = HttpView::of(&trace, 1);
        assert_eq!(failed.error, Some(error));
        assert!(failed.finished && failed.status.is_none());
        assert_eq!(HttpView::of(&trace, 2), HttpView::default());
    }

    #[test]
    fn an_https_answer_shows_the_certificate_chain() {
        let leaf = CertInfo {
            subject: "CN=www.lab.test".into(),
            issuer: "CN=Roundtrip lab CA".into(),
            not_before: "Dec  1 00:00:00 2026 +00:00".into(),
            not_after: "Dec  1 00:00:00 2027 +00:00".into(),
            sans: vec!["www.lab.test".into(), "127.0.0.1".into()],
        };
        let trace = trace_of(vec![
            EventKind::TlsHandshake {
                version: "TLS 1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
                alpn: None,
                certs: vec![leaf.clone()],
            },
            head(200),
        ]);
        let view = HttpView::of(&trace, 1);
        assert_eq!(view.certs, std::slice::from_ref(&leaf));
        assert_eq!(
            cert_lines(&leaf),
            [
                "subject: CN=www.lab.test",
                "issuer: CN=Roundtrip lab CA",
                "valid from Dec  1 00:00:00 2026 +00:00 until Dec  1 00:00:00 2027 +00:00",
                "valid for: www.lab.test, 127.0.0.1",
            ]
        );
        assert!(SNI_NOTE.contains("SNI") && SNI_NOTE.contains("in clear in the ClientHello"));
    }
}
