//! Sequence-diagram layout: a [`Trace`] in, lanes and arrows with positions
//! out. The frontend only draws what this returns, so the whole diagram is
//! tested here, natively, without a browser.
//!
//! Three lanes, left to right: the Browser, the Relay, and the Target the
//! relay talks to. Every step of the trace becomes one row: an arrow between
//! two lanes, or a mark on one lane for things that happen inside it (a name
//! lookup). Rows are evenly spaced in arrival order.

use crate::payload::{Payload, format_bytes, preview};
use crate::protocol::{Closer, EventKind, OpId, ResolveSource, WireDir};
use crate::trace::{Request, SocketKind, Step, StepKind, Trace};

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
            let (from, to, label, tone) = describe_step(step, trace.kind_of(step.op));
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
            }
            | StepKind::Event {
                kind: EventKind::Accepted { peer: addr, .. },
                ..
            }
            | StepKind::Event {
                kind: EventKind::DatagramSent { to: addr, .. },
                ..
            }
            | StepKind::Event {
                kind:
                    EventKind::Bound {
                        remote: Some(addr), ..
                    },
                ..
            } => Some(addr.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn describe_step(step: &Step, socket: SocketKind) -> (Lane, Lane, String, Tone) {
    use Lane::*;
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
                Request::Http { method, url } => format!("{method} {url}"),
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
                EventKind::LabPort { from, to, .. } => (
                    Relay,
                    Relay,
                    format!("{from} → {to} (lab service)"),
                    Tone::Note,
                ),
                EventKind::Connecting { addr } => {
                    (Relay, Target, format!("SYN → {addr}"), Tone::Control)
                }
                // A server answers the SYN it accepted.
                EventKind::Connected { .. } if socket == SocketKind::AcceptedConnection => (
                    Relay,
                    Target,
                    "SYN-ACK (connected)".to_owned(),
                    Tone::Control,
                ),
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
                EventKind::SendBlocked { waiting } => (
                    Relay,
                    Relay,
                    format!(
                        "send buffer full: {} wait (peer's window closed)",
                        format_bytes(*waiting)
                    ),
                    Tone::Note,
                ),
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
                    format!("SYN: accepted as op {conn}"),
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
                    if *status >= 400 {
                        Tone::Error
                    } else {
                        Tone::Data
                    },
                ),
                EventKind::Redirect { status, location } => (
                    Relay,
                    Relay,
                    format!("follow {status} → {location}"),
                    Tone::Note,
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
                EventKind::Wire { dir, bytes } => {
                    let (from, to) = match dir {
                        WireDir::Out => (Relay, Target),
                        WireDir::In => (Target, Relay),
                    };
                    (
                        from,
                        to,
                        format!("wire {}", data_label(&bytes.0)),
                        Tone::Data,
                    )
                }
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

/// Relay microseconds as milliseconds with three decimals: `1.204 ms`.
pub fn format_micros(t_us: u64) -> String {
    format!("{}.{:03} ms", t_us / 1000, t_us % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{
        CertInfo, ClientMsg, ErrorCode, Event, HttpRequest, HttpTimings, RelayError, ServerMsg,
    };

    fn event(trace: &mut Trace, t_us: u64, kind: EventKind) {
        trace.record_server(&ServerMsg::Event(Event { op: 1, t_us, kind }));
    }

    fn echo_trace() -> Trace {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
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
    fn lab_ports_and_stalled_sends_are_notes_on_the_relay() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpConnect {
            op: 1,
            target: "echo.lab.test:7".into(),
            connect_timeout_ms: None,
            nodelay: false,
            faults: None,
        });
        event(
            &mut trace,
            5,
            EventKind::LabPort {
                from: "echo.lab.test:7".into(),
                to: "127.0.0.1:41234".into(),
                service: "tcp-echo".into(),
            },
        );
        event(&mut trace, 9, EventKind::SendBlocked { waiting: 2048 });
        let diagram = layout(&trace, Options::default());
        let notes: Vec<(&str, Tone)> = diagram
            .rows
            .iter()
            .filter(|row| row.from == Lane::Relay && row.to == Lane::Relay)
            .map(|row| (row.label.as_str(), row.tone))
            .collect();
        assert_eq!(
            notes,
            [
                (
                    "echo.lab.test:7 → 127.0.0.1:41234 (lab service)",
                    Tone::Note
                ),
                (
                    "send buffer full: 2 KiB wait (peer's window closed)",
                    Tone::Note
                ),
            ]
        );
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
            faults: None,
            op: 1,
            target: "127.0.0.1:9".into(),
            connect_timeout_ms: None,
            nodelay: false,
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
    fn udp_exchange_snapshot() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::UdpOpen {
            faults: None,
            op: 1,
            target: Some("udp-echo".into()),
            bind_port: Some(5000),
            recv_timeout_ms: None,
        });
        event(
            &mut trace,
            5,
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: Some("127.0.0.1:4001".into()),
            },
        );
        trace.record_request(&ClientMsg::Send {
            op: 1,
            data: Payload(b"ping".to_vec()),
        });
        event(
            &mut trace,
            40,
            EventKind::DatagramSent {
                to: "127.0.0.1:4001".into(),
                bytes: 4,
            },
        );
        trace.record_server(&ServerMsg::Datagram {
            op: 1,
            t_us: 90,
            from: "127.0.0.1:4001".into(),
            data: Payload(b"ping".to_vec()),
        });
        event(
            &mut trace,
            1_000_090,
            EventKind::RecvTimeout { after_ms: 1000 },
        );
        trace.record_request(&ClientMsg::Close { op: 1 });
        event(
            &mut trace,
            1_000_100,
            EventKind::Closed {
                by: Closer::Browser,
            },
        );
        let diagram = layout(&trace, Options::default());
        assert_eq!(
            diagram.describe(),
            "\
Browser -> Relay  open UDP to udp-echo on port 5000
Relay  bound 127.0.0.1:5000 (connected)  @0.005 ms
Browser -> Relay  send \"ping\" (4 B)
Relay -> Target  \"ping\" (4 B) → 127.0.0.1:4001  @0.040 ms
Target -> Relay  \"ping\" (4 B) from 127.0.0.1:4001  @0.090 ms
Relay  recv timed out (1000 ms)  @1000.090 ms
Browser -> Relay  close
Relay  closed (UDP: no FIN)  @1000.100 ms
"
        );
        assert_eq!(diagram.lanes[2].subtitle, "127.0.0.1:4001");
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
    fn listener_and_accepted_connection_snapshot() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpListen { op: 1, port: None });
        for (t_us, kind) in [
            (
                2,
                EventKind::Bound {
                    local: "127.0.0.1:5000".into(),
                    remote: None,
                },
            ),
            (
                3,
                EventKind::Listening {
                    addr: "127.0.0.1:5000".into(),
                },
            ),
            (
                90,
                EventKind::Accepted {
                    conn: 0x8000_0000,
                    peer: "127.0.0.1:40000".into(),
                },
            ),
        ] {
            event(&mut trace, t_us, kind);
        }
        trace.record_server(&ServerMsg::Event(Event {
            op: 0x8000_0000,
            t_us: 1,
            kind: EventKind::Connected {
                local: "127.0.0.1:5000".into(),
                remote: "127.0.0.1:40000".into(),
            },
        }));
        trace.record_request(&ClientMsg::Close { op: 1 });
        event(
            &mut trace,
            500,
            EventKind::Closed {
                by: Closer::Browser,
            },
        );
        let diagram = layout(&trace, Options::default());
        assert_eq!(
            diagram.describe(),
            "\
Browser -> Relay  listen (any free port)
Relay  bound 127.0.0.1:5000  @0.002 ms
Relay  listening on 127.0.0.1:5000  @0.003 ms
Target -> Relay  SYN: accepted as op 2147483648  @0.090 ms
Relay -> Target  SYN-ACK (connected)  @0.001 ms
Browser -> Relay  close
Relay  stopped listening  @0.500 ms
"
        );
        assert_eq!(diagram.lanes[2].subtitle, "127.0.0.1:40000");
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

    #[test]
    fn https_request_snapshot() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
            faults: None,
            op: 1,
            method: "GET".into(),
            url: "https://localhost:4443/json".into(),
            headers: vec![],
            body: None,
            json: false,
            timeouts: None,
            follow_redirects: 1,
            max_body: None,
            raw: true,
        }));
        let steps = [
            EventKind::Resolving {
                host: "localhost".into(),
            },
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:4443".into()],
                source: ResolveSource::System,
            },
            EventKind::Connecting {
                addr: "127.0.0.1:4443".into(),
            },
            EventKind::Connected {
                local: "127.0.0.1:50000".into(),
                remote: "127.0.0.1:4443".into(),
            },
            EventKind::Wire {
                dir: WireDir::Out,
                bytes: Payload(vec![0x16, 0x03, 0x01]),
            },
            EventKind::TlsHandshake {
                version: "TLS 1.3".into(),
                cipher: "TLS13_AES_128_GCM_SHA256".into(),
                alpn: Some("http/1.1".into()),
                certs: vec![CertInfo {
                    subject: "CN=localhost".into(),
                    issuer: "CN=Roundtrip Lab CA".into(),
                    not_before: "".into(),
                    not_after: "".into(),
                }],
            },
            EventKind::RequestWritten {
                head: Payload(b"GET /redirect/1 HTTP/1.1\r\nhost: localhost\r\n\r\n".to_vec()),
                body_bytes: 0,
            },
            EventKind::FirstByte,
            EventKind::ResponseHead {
                status: 302,
                reason: "Found".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("location".into(), "/get".into())],
            },
            EventKind::Redirect {
                status: 302,
                location: "https://localhost:4443/get".into(),
            },
            EventKind::RequestWritten {
                head: Payload(b"POST /post HTTP/1.1\r\n\r\n".to_vec()),
                body_bytes: 13,
            },
            EventKind::ResponseHead {
                status: 404,
                reason: "Not Found".into(),
                version: "HTTP/1.1".into(),
                headers: vec![],
            },
            EventKind::ResponseDone {
                body_bytes: 2048,
                json: true,
                timings: HttpTimings {
                    total_us: 5_250,
                    ..HttpTimings::default()
                },
            },
            EventKind::Closed { by: Closer::Relay },
        ];
        for (t_us, kind) in steps.into_iter().enumerate() {
            event(&mut trace, t_us as u64, kind);
        }
        assert_eq!(
            layout(&trace, Options::default()).describe(),
            "\
Browser -> Relay  GET https://localhost:4443/json
Relay  resolve localhost  @0.000 ms
Relay  = 127.0.0.1:4443  @0.001 ms
Relay -> Target  SYN → 127.0.0.1:4443  @0.002 ms
Target -> Relay  SYN-ACK (connected)  @0.003 ms
Relay -> Target  wire \"\\u{16}\\u{3}\\u{1}\" (3 B)  @0.004 ms
Target -> Relay  TLS 1.3 TLS13_AES_128_GCM_SHA256  @0.005 ms
Relay -> Target  GET /redirect/1  @0.006 ms
Target -> Relay  first byte  @0.007 ms
Target -> Relay  302 Found  @0.008 ms
Relay  follow 302 → https://localhost:4443/get  @0.009 ms
Relay -> Target  POST /post + 13 B  @0.010 ms
Target -> Relay  404 Not Found  @0.011 ms
Relay -> Browser  response done: 2 KiB JSON in 5.250 ms  @0.012 ms
Relay  closed by relay  @0.013 ms
"
        );
    }
}
