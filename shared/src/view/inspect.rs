//! The payloads a trace holds, for the payload inspector: every chunk of TCP
//! data and every datagram each way, and for HTTP the request head and body,
//! the response body, the exchange as raw text, and the bytes as they
//! crossed the socket (TLS records for HTTPS). HTTP payloads come from the
//! HTTP model ([`crate::model::http`]).

use std::collections::HashSet;

use crate::model::http::{Exchange, exchange, exchanges};
use crate::payload::{format_bytes, preview};
use crate::protocol::{EventKind, OpId, WireDir};
use crate::tls_record::{self, TlsRecord};
use crate::trace::{Request, StepKind, Trace};

/// Which way a payload went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the browser (through the relay) to the target.
    Out,
    /// From the target to the browser.
    In,
}

/// What a payload was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Tcp,
    /// A datagram, with the address it went to or came from.
    Datagram {
        peer: String,
    },
    HttpRequestHead,
    HttpRequestBody,
    HttpResponseBody,
    /// Every byte one way on the socket under HTTP (TLS records for HTTPS).
    Wire,
}

/// One payload the learner can pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadItem {
    pub op: OpId,
    pub dir: Direction,
    pub source: Source,
    /// For the picker: `op 1 · TCP received · "hello" (5 B)`.
    pub label: String,
    pub bytes: Vec<u8>,
}

/// One HTTP request of the trace, as the browser asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOp<'a> {
    pub op: OpId,
    pub method: &'a str,
    pub url: &'a str,
    pub body: Option<&'a [u8]>,
}

/// The HTTP requests of the trace, in the order they were made.
pub fn http_ops(trace: &Trace) -> Vec<HttpOp<'_>> {
    trace
        .steps()
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::Request(Request::Http { method, url, body }) => Some(HttpOp {
                op: step.op,
                method,
                url,
                body: body.as_deref(),
            }),
            _ => None,
        })
        .collect()
}

/// Every payload of the trace, in the order it moved. An HTTP response body
/// and the wire bytes are listed whole, once the operation has ended.
pub fn items(trace: &Trace) -> Vec<PayloadItem> {
    // Each payload with the trace step that moved it, to list them in order.
    let mut out: Vec<(usize, PayloadItem)> = Vec::new();
    let mut push = |at: usize, op: OpId, dir, source, what: &str, bytes: &[u8]| {
        out.push((
            at,
            PayloadItem {
                op,
                dir,
                source,
                label: format!(
                    "op {op} · {what} · {} ({})",
                    preview(bytes, 24),
                    format_bytes(bytes.len() as u64)
                ),
                bytes: bytes.to_vec(),
            },
        ))
    };
    // HTTP payloads from the model: each request as it was written, and
    // once the operation has ended its body and wire bytes whole.
    let exchanges = exchanges(trace);
    let mut http: HashSet<OpId> = HashSet::new();
    for exchange in &exchanges {
        http.insert(exchange.op);
        let op = exchange.op;
        for written in exchange.hops().filter_map(|hop| hop.request) {
            let at = written.step;
            let (out, head) = (Direction::Out, Source::HttpRequestHead);
            push(at, op, out, head, "HTTP request head", written.head);
            if let Some(body) = exchange.request_body {
                let source = Source::HttpRequestBody;
                push(at, op, out, source, "HTTP request body", body);
            }
        }
        let Some(end) = exchange.end else {
            continue;
        };
        let body = exchange.response_body();
        if !body.is_empty() {
            let source = Source::HttpResponseBody;
            push(
                end.step,
                op,
                Direction::In,
                source,
                "HTTP response body",
                &body,
            );
        }
        let wire = WireBytes::of(exchange);
        if !wire.out.is_empty() {
            push(
                end.step,
                op,
                Direction::Out,
                Source::Wire,
                "wire bytes out",
                &wire.out,
            );
        }
        if !wire.inbound.is_empty() {
            let inbound = &wire.inbound;
            push(
                end.step,
                op,
                Direction::In,
                Source::Wire,
                "wire bytes in",
                inbound,
            );
        }
    }
    for (at, step) in trace.steps().iter().enumerate() {
        let StepKind::Event { kind, payload } = &step.kind else {
            continue;
        };
        let op = step.op;
        match (kind, payload) {
            (EventKind::Sent { .. }, Some(bytes)) => {
                push(at, op, Direction::Out, Source::Tcp, "TCP sent", bytes)
            }
            (EventKind::Received { .. }, Some(bytes)) if !http.contains(&op) => {
                push(at, op, Direction::In, Source::Tcp, "TCP received", bytes)
            }
            (EventKind::DatagramSent { to, .. }, Some(bytes)) => push(
                at,
                op,
                Direction::Out,
                Source::Datagram { peer: to.clone() },
                &format!("datagram to {to}"),
                bytes,
            ),
            (EventKind::DatagramReceived { from, .. }, Some(bytes)) => push(
                at,
                op,
                Direction::In,
                Source::Datagram { peer: from.clone() },
                &format!("datagram from {from}"),
                bytes,
            ),
            _ => {}
        }
    }
    // Stable: the payloads of one step keep the order they were listed in.
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, item)| item).collect()
}

/// The bytes of one operation as they crossed its TCP socket (`wire`
/// events of a `raw` HTTP request), each direction concatenated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WireBytes {
    pub out: Vec<u8>,
    pub inbound: Vec<u8>,
    /// The socket carried TLS: these are records, not HTTP.
    pub tls: bool,
}

impl WireBytes {
    /// An exchange's wire bytes, every hop's, each direction joined.
    pub fn of(exchange: &Exchange<'_>) -> WireBytes {
        let mut wire = WireBytes {
            tls: exchange.tls(),
            ..WireBytes::default()
        };
        for piece in exchange.hops().flat_map(|hop| &hop.wire) {
            match piece.dir {
                WireDir::Out => wire.out.extend_from_slice(piece.bytes),
                WireDir::In => wire.inbound.extend_from_slice(piece.bytes),
            }
        }
        wire
    }
}

/// The wire bytes of HTTP operation `op` (none for any other operation).
pub fn wire_bytes(trace: &Trace, op: OpId) -> WireBytes {
    exchange(trace, op)
        .map(|exchange| WireBytes::of(&exchange))
        .unwrap_or_default()
}

/// One TLS record of an HTTP operation's wire bytes, and when it began to
/// cross.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireRecord {
    pub dir: WireDir,
    /// The relay's time (µs into the operation) of the `wire` event that
    /// carried the record's first byte.
    pub at_us: Option<u64>,
    pub record: TlsRecord,
}

/// The TLS records of an HTTP operation in the order they began to cross the
/// socket, both directions interleaved: ClientHello, ServerHello, ...,
/// the request, the response. Each direction is one byte stream split into
/// records (a record may span several reads, a read may hold several
/// records); a record takes the place of the `wire` event that carried its
/// first byte, and the relay reports those in the order its socket saw them.
pub fn tls_records(trace: &Trace, op: OpId) -> Vec<WireRecord> {
    /// Where each `wire` event's bytes start in its direction's stream.
    #[derive(Default)]
    struct Stream {
        bytes: Vec<u8>,
        /// (offset, position among the op's wire pieces, time).
        chunks: Vec<(usize, usize, Option<u64>)>,
    }
    let Some(exchange) = exchange(trace, op) else {
        return Vec::new();
    };
    let (mut out, mut inbound) = (Stream::default(), Stream::default());
    let pieces = exchange.hops().flat_map(|hop| &hop.wire);
    for (seq, piece) in pieces.enumerate() {
        let stream = match piece.dir {
            WireDir::Out => &mut out,
            WireDir::In => &mut inbound,
        };
        stream
            .chunks
            .push((stream.bytes.len(), seq, Some(piece.at_us)));
        stream.bytes.extend_from_slice(piece.bytes);
    }
    let mut all: Vec<(usize, WireRecord)> = Vec::new();
    for (dir, stream) in [(WireDir::Out, &out), (WireDir::In, &inbound)] {
        for record in tls_record::records(&stream.bytes) {
            // The last chunk that starts at or before the record.
            let chunk = stream
                .chunks
                .partition_point(|(offset, ..)| *offset <= record.offset)
                .saturating_sub(1);
            let (_, seq, at_us) = stream.chunks.get(chunk).copied().unwrap_or((0, 0, None));
            all.push((seq, WireRecord { dir, at_us, record }));
        }
    }
    // Stable: records that began in the same read keep their stream order.
    all.sort_by_key(|(seq, _)| *seq);
    all.into_iter().map(|(_, record)| record).collect()
}

/// An HTTP exchange as text, the way it would read on a plain socket: the
/// request head as written and its body, then the status line, headers and
/// body of the (last) response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpMessages {
    pub request: String,
    /// `None` until a response head arrived.
    pub response: Option<String>,
    pub status: Option<u16>,
    /// What stands in for a response that never came: still waiting, or
    /// that the request failed and why (a timeout must not read as
    /// "not yet" forever).
    pub no_response: String,
}

impl HttpMessages {
    /// The response as raw text, or why there is none.
    pub fn response_text(&self) -> String {
        self.response
            .clone()
            .unwrap_or_else(|| self.no_response.clone())
    }
}

/// The exchange of HTTP operation `op`, once its request head went out.
/// Bodies that are not UTF-8 show with replacement characters here; the
/// payload inspector has their bytes.
pub fn http_messages(trace: &Trace, op: OpId) -> Option<HttpMessages> {
    let exchange = exchange(trace, op)?;
    let written = exchange.hops().rev().find_map(|hop| hop.request)?;
    let mut request = crlf_to_lf(written.head);
    if let Some(body) = exchange.request_body {
        request.push_str(&String::from_utf8_lossy(body));
    }
    let head = exchange.hops().rev().find_map(|hop| hop.response);
    let response = head.map(|head| {
        let mut text = format!("{} {} {}\n", head.version, head.status, head.reason);
        for (name, value) in head.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&exchange.response_body()));
        text
    });
    let no_response = match (exchange.failure(), exchange.end) {
        (Some(error), _) => format!(
            "(no response: the request failed ({}): {})",
            crate::explain::relay_error(error).title,
            error.message
        ),
        (None, Some(_)) => "(no response: the operation ended before one arrived)".to_owned(),
        (None, None) => "(no response yet)".to_owned(),
    };
    Some(HttpMessages {
        request,
        response,
        status: head.map(|head| head.status),
        no_response,
    })
}

fn crlf_to_lf(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        ClientMsg, Closer, Event, EventKind, HttpRequest, HttpTimings, ServerMsg,
    };

    pub(crate) fn http_trace(op: OpId, url: &str, body: Option<&str>) -> Trace {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
            method: if body.is_some() { "POST" } else { "GET" }.into(),
            body: body.map(|b| Payload(b.into())),
            json: body.is_some(),
            raw: true,
            ..HttpRequest::get(op, url)
        }));
        let event = |t_us, kind| ServerMsg::Event(Event { op, t_us, kind });
        let head = format!(
            "{} /json HTTP/1.1\r\nhost: lab\r\n\r\n",
            if body.is_some() { "POST" } else { "GET" }
        );
        for msg in [
            event(
                10,
                EventKind::Wire {
                    dir: WireDir::Out,
                    bytes: Payload(head.clone().into_bytes()),
                },
            ),
            event(
                20,
                EventKind::RequestWritten {
                    head: Payload(head.into_bytes()),
                    body_bytes: body.map_or(0, |b| b.len() as u64),
                },
            ),
            event(
                30,
                EventKind::Wire {
                    dir: WireDir::In,
                    bytes: Payload(b"HTTP/1.1 200 OK\r\n\r\n{}".to_vec()),
                },
            ),
            event(
                40,
                EventKind::ResponseHead {
                    status: 200,
                    reason: "OK".into(),
                    version: "HTTP/1.1".into(),
                    headers: vec![("content-type".into(), "application/json".into())],
                },
            ),
            ServerMsg::Data {
                op,
                t_us: 50,
                data: Payload(b"{\"ok\":true}".to_vec()),
            },
            event(
                60,
                EventKind::ResponseDone {
                    body_bytes: 11,
                    json: true,
                    timings: HttpTimings::default(),
                },
            ),
            event(70, EventKind::Closed { by: Closer::Relay }),
        ] {
            trace.record_server(&msg);
        }
        trace
    }

    #[test]
    fn an_empty_trace_has_nothing_to_inspect() {
        assert_eq!(items(&Trace::new()), vec![]);
        assert_eq!(http_messages(&Trace::new(), 1), None);
    }

    #[test]
    fn tcp_chunks_and_datagrams_are_listed_each_way() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::Send {
            op: 1,
            data: Payload(b"hello".to_vec()),
        });
        trace.record_server(&ServerMsg::Event(Event {
            op: 1,
            t_us: 5,
            kind: EventKind::Sent { bytes: 5 },
        }));
        trace.record_server(&ServerMsg::Data {
            op: 1,
            t_us: 9,
            data: Payload(vec![b'h', b'i', 0xff]),
        });
        trace.record_server(&ServerMsg::Datagram {
            op: 2,
            t_us: 3,
            from: "127.0.0.1:7".into(),
            data: Payload(b"ping".to_vec()),
        });
        let labels: Vec<_> = items(&trace).into_iter().map(|i| i.label).collect();
        insta::assert_debug_snapshot!(labels);
    }

    #[test]
    fn tls_records_come_in_the_order_they_crossed() {
        fn record(kind: u8, body: &[u8]) -> Vec<u8> {
            let mut out = vec![kind, 3, 3];
            out.extend_from_slice(&(body.len() as u16).to_be_bytes());
            out.extend_from_slice(body);
            out
        }
        let mut trace = Trace::new();
        // Only a `raw` HTTP request has wire events.
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
            raw: true,
            ..HttpRequest::get(3, "https://127.0.0.1:8443/json")
        }));
        let wire = |trace: &mut Trace, t_us, dir, bytes: Vec<u8>| {
            trace.record_server(&ServerMsg::Event(Event {
                op: 3,
                t_us,
                kind: EventKind::Wire {
                    dir,
                    bytes: Payload(bytes),
                },
            }));
        };
        let client_hello = record(22, &[1, 0, 0, 1, 0]);
        let server_flight = [
            record(22, &[2, 0, 0, 1, 0]),
            record(20, &[1]),
            record(23, &[0xee; 9]),
        ]
        .concat();
        let request = record(23, &[0xaa; 12]);
        let response = record(23, &[0xbb; 30]);
        wire(&mut trace, 100, WireDir::Out, client_hello);
        // The server's flight in two reads, cut inside its second record.
        wire(&mut trace, 300, WireDir::In, server_flight[..14].to_vec());
        wire(&mut trace, 310, WireDir::In, server_flight[14..].to_vec());
        wire(&mut trace, 400, WireDir::Out, request);
        // The response's first read ends inside its header.
        wire(&mut trace, 900, WireDir::In, response[..3].to_vec());
        wire(&mut trace, 950, WireDir::In, response[3..].to_vec());
        let seen: Vec<(WireDir, Option<u64>, String, usize)> = tls_records(&trace, 3)
            .into_iter()
            .map(|r| (r.dir, r.at_us, r.record.content_type, r.record.length))
            .collect();
        let hs = "handshake".to_owned();
        let app = "application_data".to_owned();
        assert_eq!(
            seen,
            [
                (WireDir::Out, Some(100), hs.clone(), 5),
                (WireDir::In, Some(300), hs, 5),
                (WireDir::In, Some(300), "change_cipher_spec".to_owned(), 1),
                // Begins in the second read.
                (WireDir::In, Some(310), app.clone(), 9),
                (WireDir::Out, Some(400), app.clone(), 12),
                (WireDir::In, Some(900), app, 30),
            ]
        );
        assert!(tls_records(&trace, 4).is_empty());
    }

    #[test]
    fn http_lists_head_body_response_and_wire() {
        let trace = http_trace(4, "http://lab/json", Some("{\"a\":1}"));
        let listed: Vec<_> = items(&trace)
            .into_iter()
            .map(|i| (i.dir, i.source, i.label))
            .collect();
        insta::assert_debug_snapshot!(listed);
    }

    #[test]
    fn http_exchanges_read_as_raw_text() {
        let trace = http_trace(4, "http://lab/json", Some("{\"a\":1}"));
        let messages = http_messages(&trace, 4).unwrap();
        insta::assert_snapshot!(format!(
            "{}---\n{}",
            messages.request,
            messages.response.unwrap()
        ));
        assert_eq!(messages.status, Some(200));
        assert!(!wire_bytes(&trace, 4).tls);
        assert!(wire_bytes(&http_trace(1, "HTTPS://lab/", None), 1).tls);
    }

    #[test]
    fn a_request_that_timed_out_says_it_failed_and_why() {
        use crate::protocol::{ErrorCode, RelayError};
        use crate::testing::TraceBuilder;
        let head = "GET /slow HTTP/1.1\r\nhost: lab\r\n\r\n";
        let written = TraceBuilder::new()
            .request(ClientMsg::HttpRequest(HttpRequest::get(
                5,
                "http://www.lab.test/slow",
            )))
            .event(
                5,
                20,
                EventKind::RequestWritten {
                    head: Payload(head.into()),
                    body_bytes: 0,
                },
            );
        let waiting = written.build();
        assert_eq!(
            http_messages(&waiting, 5).unwrap().response_text(),
            "(no response yet)"
        );
        let trace = TraceBuilder::new()
            .request(ClientMsg::HttpRequest(HttpRequest::get(
                5,
                "http://www.lab.test/slow",
            )))
            .event(
                5,
                20,
                EventKind::RequestWritten {
                    head: Payload(head.into()),
                    body_bytes: 0,
                },
            )
            .event(
                5,
                10_000_020,
                EventKind::Failed {
                    error: RelayError::new(ErrorCode::TimedOut, "no response within 10 s"),
                },
            )
            .build();
        assert_eq!(
            http_messages(&trace, 5).unwrap().response_text(),
            "(no response: the request failed (timed out): no response within 10 s)"
        );
    }
}
