//! Sequence-diagram layout: a [`Trace`] in, lanes and arrows with positions
//! out. The frontend only draws what this returns, so the whole diagram is
//! tested here, natively, without a browser.
//!
//! Three lanes, left to right: the Browser, the Relay, and the Target the
//! relay talks to. Every step of the trace becomes one row: an arrow between
//! two lanes, or a mark on one lane for things that happen inside it (a name
//! lookup). Rows are evenly spaced in arrival order.

use crate::payload::{format_bytes, preview};
use crate::protocol::{Closer, EventKind, OpId, ResolveSource};
use crate::trace::{Request, Step, StepKind, Trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    Browser,
    Relay,
    Target,
}

impl Lane {
    pub const ALL: [Lane; 3] = [Lane::Browser, Lane::Relay, Lane::Target];

    pub fn name(self) -> &'static str {
        match self {
            Lane::Browser => "Browser",
            Lane::Relay => "Relay",
            Lane::Target => "Target",
        }
    }
}

/// What a row means, so that colours carry the same meaning everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Something the browser asked for.
    Request,
    /// TCP control traffic: SYN, SYN-ACK, FIN.
    Control,
    /// Payload bytes.
    Data,
    /// A lookup or other work inside one lane.
    Note,
    /// A failure, refusal or reset.
    Error,
}

impl Tone {
    /// CSS class suffix, e.g. `tone-error`.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Request => "tone-request",
            Tone::Control => "tone-control",
            Tone::Data => "tone-data",
            Tone::Note => "tone-note",
            Tone::Error => "tone-error",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LaneGeom {
    pub lane: Lane,
    pub title: &'static str,
    /// Second line under the title, e.g. the target's address.
    pub subtitle: String,
    pub x: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Index of the trace step this row draws.
    pub step: usize,
    pub op: OpId,
    pub from: Lane,
    /// Equal to `from` for a mark.
    pub to: Lane,
    pub x1: f64,
    pub x2: f64,
    pub y: f64,
    pub label: String,
    /// Relay time, e.g. `1.204 ms`; empty for browser-side steps.
    pub time: String,
    pub tone: Tone,
}

impl Row {
    pub fn is_mark(&self) -> bool {
        self.from == self.to
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    pub width: f64,
    /// Space above the first row (lane titles go there).
    pub header: f64,
    pub row_height: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 720.0,
            header: 64.0,
            row_height: 36.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub lanes: Vec<LaneGeom>,
    pub rows: Vec<Row>,
    pub width: f64,
    pub height: f64,
}

impl Diagram {
    /// One line per row, e.g. `Relay -> Target  SYN (connect)  0.110 ms`.
    /// Used as the diagram's text alternative and in snapshot tests.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let arrow = if row.is_mark() {
                row.from.name().to_owned()
            } else {
                format!("{} -> {}", row.from.name(), row.to.name())
            };
            out.push_str(&format!("{arrow}  {}", row.label));
            if !row.time.is_empty() {
                out.push_str(&format!("  @{}", row.time));
            }
            out.push('\n');
        }
        out
    }
}

/// Lays out every step of `trace`.
pub fn layout(trace: &Trace, options: Options) -> Diagram {
    let margin = options.width / 6.0;
    let spacing = (options.width - 2.0 * margin) / 2.0;
    let x_of = |lane: Lane| match lane {
        Lane::Browser => margin,
        Lane::Relay => margin + spacing,
        Lane::Target => margin + 2.0 * spacing,
    };
    let rows: Vec<Row> = trace
        .steps()
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let (from, to, label, tone) = describe_step(step);
            Row {
                step: index,
                op: step.op,
                from,
                to,
                x1: x_of(from),
                x2: x_of(to),
                y: options.header + options.row_height * (index as f64 + 0.5),
                label,
                time: step.t_us.map(format_micros).unwrap_or_default(),
                tone,
            }
        })
        .collect();
    let lanes = Lane::ALL
        .iter()
        .map(|&lane| LaneGeom {
            lane,
            title: lane.name(),
            subtitle: match lane {
                Lane::Browser => "you".to_owned(),
                Lane::Relay => "roundtrip".to_owned(),
                Lane::Target => target_subtitle(trace),
            },
            x: x_of(lane),
        })
        .collect();
    Diagram {
        lanes,
        height: options.header + options.row_height * (rows.len() as f64 + 1.0),
        rows,
        width: options.width,
    }
}

/// The target lane's subtitle: the address last connected to (or tried).
fn target_subtitle(trace: &Trace) -> String {
    trace
        .steps()
        .iter()
        .rev()
        .find_map(|step| match &step.kind {
            StepKind::Event {
                kind: EventKind::Connected { remote, .. },
                ..
            } => Some(remote.clone()),
            StepKind::Event {
                kind: EventKind::Connecting { addr },
                ..
            } => Some(addr.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn describe_step(step: &Step) -> (Lane, Lane, String, Tone) {
    use Lane::*;
    match &step.kind {
        StepKind::Request(request) => {
            let label = match request {
                Request::Connect { target } => format!("connect {target}"),
                Request::Send { data } => format!("send {}", data_label(data)),
                Request::Close => "close".to_owned(),
                Request::DnsQuery { name, rtype, mode } => {
                    crate::dns::request_label(name, *rtype, *mode)
                }
            };
            (Browser, Relay, label, Tone::Request)
        }
        StepKind::Rejected(error) => (
            Relay,
            Browser,
            format!("rejected: {}", error.code.summary()),
            Tone::Error,
        ),
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
                EventKind::Connected { .. } => (
                    Target,
                    Relay,
                    "SYN-ACK (connected)".to_owned(),
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
                EventKind::PeerClosed => (Target, Relay, "FIN".to_owned(), Tone::Control),
                EventKind::Reset => (Target, Relay, "RST".to_owned(), Tone::Error),
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
                EventKind::Failed { error } => (
                    Relay,
                    Browser,
                    format!("failed: {}", error.code.summary()),
                    Tone::Error,
                ),
                EventKind::DnsQuerySent {
                    server,
                    name,
                    rtype,
                } => (
                    Relay,
                    Target,
                    format!("query {} {name} @{server}", rtype.as_str()),
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
            }
        }
    }
}

fn data_label(bytes: &[u8]) -> String {
    format!(
        "{} ({})",
        preview(bytes, 24),
        format_bytes(bytes.len() as u64)
    )
}

/// Relay microseconds as milliseconds with three decimals: `1.204 ms`.
pub fn format_micros(t_us: u64) -> String {
    format!("{}.{:03} ms", t_us / 1000, t_us % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{ClientMsg, ErrorCode, Event, RelayError, ServerMsg};

    fn event(trace: &mut Trace, t_us: u64, kind: EventKind) {
        trace.record_server(&ServerMsg::Event(Event { op: 1, t_us, kind }));
    }

    fn echo_trace() -> Trace {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpConnect {
            op: 1,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
        });
        event(
            &mut trace,
            3,
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:4000".into()],
                source: ResolveSource::Lab,
            },
        );
        event(
            &mut trace,
            10,
            EventKind::Connecting {
                addr: "127.0.0.1:4000".into(),
            },
        );
        event(
            &mut trace,
            150,
            EventKind::Connected {
                local: "127.0.0.1:51000".into(),
                remote: "127.0.0.1:4000".into(),
            },
        );
        trace.record_request(&ClientMsg::Send {
            op: 1,
            data: Payload(b"hello".to_vec()),
        });
        event(&mut trace, 2_000, EventKind::Sent { bytes: 5 });
        trace.record_server(&ServerMsg::Data {
            op: 1,
            t_us: 2_105,
            data: Payload(b"hello".to_vec()),
        });
        trace.record_request(&ClientMsg::Close { op: 1 });
        event(
            &mut trace,
            1_500_000,
            EventKind::Closed {
                by: Closer::Browser,
            },
        );
        trace
    }

    #[test]
    fn empty_trace_has_lanes_and_no_rows() {
        let diagram = layout(&Trace::new(), Options::default());
        assert_eq!(diagram.rows.len(), 0);
        assert_eq!(
            diagram.lanes.iter().map(|l| l.title).collect::<Vec<_>>(),
            ["Browser", "Relay", "Target"]
        );
        assert_eq!(diagram.height, 64.0 + 36.0);
    }

    #[test]
    fn echo_round_trip_snapshot() {
        let diagram = layout(&echo_trace(), Options::default());
        assert_eq!(
            diagram.describe(),
            "\
Browser -> Relay  connect tcp-echo
Relay  = 127.0.0.1:4000 (lab service)  @0.003 ms
Relay -> Target  SYN → 127.0.0.1:4000  @0.010 ms
Target -> Relay  SYN-ACK (connected)  @0.150 ms
Browser -> Relay  send \"hello\" (5 B)
Relay -> Target  \"hello\" (5 B)  @2.000 ms
Target -> Relay  \"hello\" (5 B)  @2.105 ms
Browser -> Relay  close
Relay -> Target  FIN (close)  @1500.000 ms
"
        );
        assert_eq!(diagram.lanes[2].subtitle, "127.0.0.1:4000");
    }

    #[test]
    fn geometry_places_lanes_and_rows() {
        let diagram = layout(&echo_trace(), Options::default());
        let xs: Vec<f64> = diagram.lanes.iter().map(|l| l.x).collect();
        assert_eq!(xs, [120.0, 360.0, 600.0]);
        let first = &diagram.rows[0];
        assert_eq!((first.x1, first.x2, first.y), (120.0, 360.0, 82.0));
        let reply = &diagram.rows[3];
        assert_eq!((reply.x1, reply.x2), (600.0, 360.0), "target -> relay");
        assert!(diagram.rows[1].is_mark());
        assert!(diagram.rows.windows(2).all(|w| w[1].y - w[0].y == 36.0));
        assert_eq!(diagram.height, 64.0 + 36.0 * 10.0);
    }

    #[test]
    fn refused_connection_snapshot() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpConnect {
            op: 1,
            target: "127.0.0.1:9".into(),
            connect_timeout_ms: None,
        });
        event(
            &mut trace,
            2,
            EventKind::Connecting {
                addr: "127.0.0.1:9".into(),
            },
        );
        event(
            &mut trace,
            90,
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "connection refused by 127.0.0.1:9"),
            },
        );
        let diagram = layout(&trace, Options::default());
        assert_eq!(
            diagram.describe(),
            "\
Browser -> Relay  connect 127.0.0.1:9
Relay -> Target  SYN → 127.0.0.1:9  @0.002 ms
Relay -> Browser  failed: connection refused  @0.090 ms
"
        );
        assert_eq!(diagram.rows[2].tone, Tone::Error);
    }

    #[test]
    fn binary_and_long_payloads_are_escaped_and_cut() {
        let mut trace = Trace::new();
        trace.record_server(&ServerMsg::Data {
            op: 2,
            t_us: 1,
            data: Payload(vec![0xff, 0xfe, b'\n']),
        });
        trace.record_server(&ServerMsg::Data {
            op: 2,
            t_us: 2,
            data: Payload(vec![b'x'; 2048]),
        });
        let described = layout(&trace, Options::default()).describe();
        assert_eq!(
            described,
            "\
Target -> Relay  \"\\xff\\xfe\\n\" (3 B)  @0.001 ms
Target -> Relay  \"xxxxxxxxxxxxxxxxxxxxxxxx…\" (2 KiB)  @0.002 ms
"
        );
    }

    #[test]
    fn dns_trace_snapshot() {
        use crate::protocol::{DnsMode, DnsRecord, DnsType};
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::DnsQuery {
            op: 1,
            name: "echo.lab.test".into(),
            rtype: DnsType::A,
            mode: DnsMode::Trace,
            server: None,
            timeout_ms: None,
        });
        let query = |server: &str| EventKind::DnsQuerySent {
            server: server.into(),
            name: "echo.lab.test.".into(),
            rtype: DnsType::A,
        };
        let response = |server: &str, rcode: &str, answers: usize| EventKind::DnsResponse {
            server: server.into(),
            rcode: rcode.into(),
            answers: vec![
                DnsRecord {
                    name: "echo.lab.test.".into(),
                    ttl: 300,
                    class: "IN".into(),
                    rtype: "A".into(),
                    data: "127.0.0.1".into(),
                };
                answers
            ],
            authority: vec![],
            additional: vec![],
            elapsed_us: 400,
        };
        event(&mut trace, 10, query("127.0.0.2:5353"));
        event(&mut trace, 500, response("127.0.0.2:5353", "NOERROR", 0));
        event(
            &mut trace,
            510,
            EventKind::DnsReferral {
                zone: "lab.test.".into(),
                servers: vec!["ns1.lab.test.".into()],
                addrs: vec!["127.0.0.4:5353".into()],
            },
        );
        event(&mut trace, 520, query("127.0.0.4:5353"));
        event(&mut trace, 900, response("127.0.0.4:5353", "NOERROR", 1));
        event(&mut trace, 910, query("127.0.0.4:5353"));
        event(&mut trace, 990, response("127.0.0.4:5353", "NXDOMAIN", 0));
        event(&mut trace, 995, response("127.0.0.4:5353", "SERVFAIL", 0));
        event(&mut trace, 999, EventKind::Closed { by: Closer::Relay });
        let diagram = layout(&trace, Options::default());
        assert_eq!(
            diagram.describe(),
            "\
Browser -> Relay  dns A echo.lab.test (trace)
Relay -> Target  query A echo.lab.test. @127.0.0.2:5353  @0.010 ms
Target -> Relay  NOERROR 0 answers  @0.500 ms
Relay  referral to lab.test.  @0.510 ms
Relay -> Target  query A echo.lab.test. @127.0.0.4:5353  @0.520 ms
Target -> Relay  NOERROR 1 answer  @0.900 ms
Relay -> Target  query A echo.lab.test. @127.0.0.4:5353  @0.910 ms
Target -> Relay  NXDOMAIN  @0.990 ms
Target -> Relay  SERVFAIL  @0.995 ms
Relay  closed by relay  @0.999 ms
"
        );
        assert_eq!(diagram.rows[8].tone, Tone::Error);
        assert_eq!(diagram.rows[3].tone, Tone::Note);
    }

    #[test]
    fn rejected_messages_point_back_to_the_browser() {
        let mut trace = Trace::new();
        trace.record_server(&ServerMsg::Error {
            op: Some(4),
            error: RelayError::new(ErrorCode::UnknownOp, "no operation 4"),
        });
        let diagram = layout(&trace, Options::default());
        assert_eq!(
            diagram.describe(),
            "Relay -> Browser  rejected: unknown operation\n"
        );
    }
}
