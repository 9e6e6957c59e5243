//! The timing waterfall: one row per HTTP request or TCP connection, its
//! phases (DNS, connect, TLS, send, wait, download) as bars on one time
//! scale, like a browser's network panel, so that a cold and a warm request
//! can be compared at a glance.
//!
//! Two axes ([`Axis`]). In **compare** mode (the default) every row begins
//! at zero on its own operation's clock, the relay's: a cold and a warm
//! request line up phase by phase. On the **session** axis each row starts
//! where the page saw its operation start (the recording's times,
//! [`OpStarts`]), so requests that overlapped are seen overlapping; inside a
//! row the bars keep the relay's times. The two clocks are never compared
//! beyond that: the page's says when a row starts, the relay's how long each
//! phase took.
//!
//! A finished HTTP request takes its phases from the relay's
//! `response_done` timings; anything else (TCP, a request that failed or is
//! still running) from the times of its events. HTTP rows read the HTTP
//! model ([`crate::model::http`]); TCP rows read their connection's events.

use std::collections::{HashMap, HashSet};

use crate::model::http::{Exchange, exchanges};
use crate::phase_marks::PhaseMarks;
use crate::protocol::{EventKind, OpId};
use crate::recording::OpStarts;
use crate::trace::{Request, StepKind, Trace};
use crate::view::diagram::Tone;
use crate::view::units::{format_micros, round_scale, tick_label};

/// Where the rows start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Axis {
    /// Each row at zero on its own operation's clock: compare phases.
    #[default]
    Compare,
    /// One session axis: each row where the page saw its operation start.
    Session,
}

impl Axis {
    /// A stable token for the page (`compare`, `session`).
    pub fn as_str(self) -> &'static str {
        match self {
            Axis::Compare => "compare",
            Axis::Session => "session",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase", prefix = "phase-")]
pub enum Phase {
    /// Time before the last hop of an HTTP request: earlier hops of a
    /// redirect, and the relay's own work.
    Blocked,
    Dns,
    Connect,
    Tls,
    /// Writing the request.
    Send,
    /// Waiting for the first byte of the answer (time to first byte).
    Wait,
    /// From the first byte of the answer to the last.
    Download,
}

impl Phase {
    /// Every phase, in the order a request goes through them.
    pub fn all() -> impl Iterator<Item = Phase> {
        <Phase as strum::IntoEnumIterator>::iter()
    }

    /// The word in labels and the legend.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Blocked => "blocked",
            Phase::Dns => "DNS",
            Phase::Connect => "connect",
            Phase::Tls => "TLS",
            Phase::Send => "send",
            Phase::Wait => "wait",
            Phase::Download => "download",
        }
    }

    /// A stable token for a CSS class, `phase-dns`.
    pub fn class(self) -> &'static str {
        self.into()
    }
}

/// One phase of one row.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseBar {
    pub phase: Phase,
    /// From the operation's start (the row's own clock).
    pub start_us: u64,
    pub duration_us: u64,
    /// Where the bar starts and how wide it is, in percent of the scale.
    pub left: f64,
    pub width: f64,
    /// `DNS 0.120 ms`.
    pub label: String,
    /// The operation failed during this phase.
    pub failed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Http,
    Tcp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WaterfallRow {
    pub op: OpId,
    pub kind: RowKind,
    /// `GET http://127.0.0.1:8081/json`, `TCP tcp-echo`.
    pub label: String,
    /// `200 OK` once an HTTP response head arrived.
    pub status: Option<String>,
    /// Its colour, by status class ([`Tone::of_status`]): a 404 is not
    /// drawn like a 200.
    pub status_tone: Option<Tone>,
    pub bars: Vec<PhaseBar>,
    /// Where the row starts on the axis: 0 in compare mode; on the session
    /// axis, how long after the first row's operation this one started
    /// (`None` when the page's times do not know it: drawn at 0).
    pub offset_us: Option<u64>,
    /// When the last bar ends, on the row's own clock.
    pub end_us: u64,
    /// `12.345 ms`.
    pub total_label: String,
    pub error: Option<String>,
}

/// A time mark on the axis.
#[derive(Clone, Debug, PartialEq)]
pub struct AxisTick {
    pub left: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Waterfall {
    pub axis: Axis,
    pub rows: Vec<WaterfallRow>,
    /// The time the full width stands for: the longest row, rounded up to a
    /// tick.
    pub scale_us: u64,
    pub ticks: Vec<AxisTick>,
}

/// Lays out every HTTP request and TCP connection of the trace, each row
/// from zero ([`Axis::Compare`]).
pub fn layout(trace: &Trace) -> Waterfall {
    layout_on(trace, Axis::Compare, &OpStarts::new())
}

/// Lays out the trace on `axis`; `starts` (when the page saw each operation
/// start) places the rows on the session axis.
pub fn layout_on(trace: &Trace, axis: Axis, starts: &OpStarts) -> Waterfall {
    let exchanges = exchanges(trace);
    let mut http: HashMap<OpId, &Exchange<'_>> = HashMap::new();
    for exchange in &exchanges {
        http.entry(exchange.op).or_insert(exchange);
    }
    let tcp = tcp_marks(trace);
    let mut rows: Vec<WaterfallRow> = Vec::new();
    let mut seen = HashSet::new();
    for step in trace.steps() {
        let StepKind::Request(request) = &step.kind else {
            continue;
        };
        if !matches!(request, Request::Http { .. } | Request::Connect { .. })
            || !seen.insert(step.op)
        {
            continue;
        }
        rows.push(match request {
            Request::Http { method, url, .. } => http_row(
                http.get(&step.op).copied(),
                step.op,
                format!("{method} {url}"),
            ),
            Request::Connect { target, .. } => {
                tcp_row(tcp.get(&step.op), step.op, format!("TCP {target}"))
            }
            _ => continue,
        });
    }
    if axis == Axis::Session {
        let start_ms = |op: OpId| starts.get(&op).copied().filter(|ms| ms.is_finite());
        let origin = rows
            .iter()
            .filter_map(|row| start_ms(row.op))
            .fold(f64::INFINITY, f64::min);
        for row in &mut rows {
            row.offset_us = start_ms(row.op).map(|ms| ((ms - origin) * 1000.0).round() as u64);
        }
    }
    let longest = rows
        .iter()
        .map(|row| row.offset_us.unwrap_or(0).saturating_add(row.end_us))
        .max()
        .unwrap_or(0);
    let (scale_us, step_us) = round_scale(longest);
    for row in &mut rows {
        let offset = row.offset_us.unwrap_or(0);
        for bar in &mut row.bars {
            bar.left = percent(offset.saturating_add(bar.start_us), scale_us);
            bar.width = percent(bar.duration_us, scale_us);
        }
    }
    let ticks = (0..=scale_us / step_us)
        .map(|i| AxisTick {
            left: percent(i * step_us, scale_us),
            label: tick_label(i * step_us),
        })
        .collect();
    Waterfall {
        axis,
        rows,
        scale_us,
        ticks,
    }
}

fn percent(us: u64, scale_us: u64) -> f64 {
    (us as f64 * 100.0 / scale_us as f64 * 100.0).round() / 100.0
}

/// The times a TCP connection's events mark, as far as they got.
#[derive(Default)]
struct TcpMarks {
    /// DNS and connect.
    phases: PhaseMarks,
    first_sent: Option<u64>,
    first_received: Option<u64>,
    last_received: Option<u64>,
    end: Option<u64>,
    last: u64,
    /// The failure's message.
    error: Option<String>,
}

/// An HTTP request's row: its status and failure, and the phases of its
/// last hop, from the relay's timings once the answer is complete.
fn http_row(exchange: Option<&Exchange<'_>>, op: OpId, label: String) -> WaterfallRow {
    let hops = || exchange.into_iter().flat_map(|exchange| exchange.hops());
    let head = hops().rev().find_map(|hop| hop.response);
    let status = head.map(|head| (format!("{} {}", head.status, head.reason), head.status));
    let error = exchange
        .and_then(Exchange::failure)
        .map(|error| error.message.clone());
    let bars = match hops().rev().find_map(|hop| hop.done) {
        Some(done) => {
            let t = done.timings;
            let phases = [
                (Phase::Dns, t.dns_us),
                (Phase::Connect, t.connect_us),
                (Phase::Tls, t.tls_us),
                (Phase::Send, t.request_us),
                (Phase::Wait, t.wait_us),
                (Phase::Download, t.download_us),
            ];
            let mut at = 0u64;
            let mut bars = Vec::new();
            for (phase, us) in
                std::iter::once((Phase::Blocked, done.blocked_us(t.total_us))).chain(phases)
            {
                let end = at.saturating_add(us);
                bars.push(bar(phase, at, end));
                at = end;
            }
            bars
        }
        // A redirect or a retry starts over: the last hop's phases show.
        None => match hops().next_back() {
            Some(hop) => {
                let end = exchange
                    .and_then(|exchange| exchange.end)
                    .map_or(hop.end_us, |end| end.at_us);
                http_from_marks(&hop.marks, end)
            }
            None => Vec::new(),
        },
    };
    finish_row(op, RowKind::Http, label, status, bars, error)
}

impl TcpMarks {
    /// Notes one event of the connection, seen at relay time `t`.
    fn note(&mut self, event: &EventKind, t: u64) {
        self.last = self.last.max(t);
        let first = |slot: &mut Option<u64>| {
            slot.get_or_insert(t);
        };
        self.phases.note(event, t);
        match event {
            EventKind::Sent { .. } => first(&mut self.first_sent),
            EventKind::Received { .. } => {
                first(&mut self.first_received);
                self.last_received = Some(t);
            }
            EventKind::Failed { error } => {
                self.error = Some(error.message.clone());
                self.end = Some(t);
            }
            EventKind::Closed { .. } => self.end = Some(t),
            _ => {}
        }
    }
}

/// The marks of every TCP connection the browser asked for, in one pass
/// over the trace.
fn tcp_marks(trace: &Trace) -> HashMap<OpId, TcpMarks> {
    let mut marks: HashMap<OpId, TcpMarks> = trace
        .steps()
        .iter()
        .filter(|step| matches!(step.kind, StepKind::Request(Request::Connect { .. })))
        .map(|step| (step.op, TcpMarks::default()))
        .collect();
    for step in trace.steps() {
        if let (StepKind::Event { kind, .. }, Some(t)) = (&step.kind, step.t_us)
            && let Some(connection) = marks.get_mut(&step.op)
        {
            connection.note(kind, t);
        }
    }
    marks
}

fn tcp_row(marks: Option<&TcpMarks>, op: OpId, label: String) -> WaterfallRow {
    let none = TcpMarks::default();
    let marks = marks.unwrap_or(&none);
    let bars = tcp_from_events(marks);
    finish_row(op, RowKind::Tcp, label, None, bars, marks.error.clone())
}

fn finish_row(
    op: OpId,
    kind: RowKind,
    label: String,
    status: Option<(String, u16)>,
    mut bars: Vec<PhaseBar>,
    error: Option<String>,
) -> WaterfallRow {
    bars.retain(|bar| bar.duration_us > 0);
    if error.is_some()
        && let Some(last) = bars.last_mut()
    {
        last.failed = true;
    }
    let end_us = bars
        .iter()
        .map(|b| b.start_us.saturating_add(b.duration_us))
        .max()
        .unwrap_or(0);
    WaterfallRow {
        op,
        kind,
        label,
        status_tone: status.as_ref().map(|(_, code)| Tone::of_status(*code)),
        status: status.map(|(text, _)| text),
        bars,
        offset_us: Some(0),
        end_us,
        total_label: format_micros(end_us),
        error,
    }
}

fn bar(phase: Phase, from: u64, to: u64) -> PhaseBar {
    let duration_us = to.saturating_sub(from);
    PhaseBar {
        phase,
        start_us: from,
        duration_us,
        left: 0.0,
        width: 0.0,
        label: format!("{} {}", phase.name(), format_micros(duration_us)),
        failed: false,
    }
}

/// DNS and connect, as far as the marks go; a phase that never finished
/// runs to `end` (the failure, or while running the last event).
fn opening(phases: &PhaseMarks, end: u64) -> (Vec<PhaseBar>, Option<u64>) {
    let mut bars = Vec::new();
    if let Some(resolved) = phases.resolved {
        bars.push(bar(Phase::Dns, phases.resolving.unwrap_or(0), resolved));
    } else if let Some(resolving) = phases.resolving {
        bars.push(bar(Phase::Dns, resolving, end));
        return (bars, None);
    }
    match (phases.connecting, phases.connected) {
        (Some(from), Some(to)) => bars.push(bar(Phase::Connect, from, to)),
        (Some(from), None) => {
            bars.push(bar(Phase::Connect, from, end));
            return (bars, None);
        }
        _ => {}
    }
    (bars, phases.connected)
}

fn http_from_marks(phases: &PhaseMarks, end: u64) -> Vec<PhaseBar> {
    let (mut bars, connected) = opening(phases, end);
    let Some(connected) = connected else {
        return bars;
    };
    let mut at = connected;
    for (phase, mark) in [
        (Phase::Tls, phases.tls),
        (Phase::Send, phases.written),
        (Phase::Wait, phases.first_byte),
    ] {
        match mark {
            Some(t) => {
                bars.push(bar(phase, at, t));
                at = t;
            }
            // TLS is only there for https; a missing mark after it means the
            // operation stopped in this phase.
            None if phase == Phase::Tls => {}
            None => {
                bars.push(bar(phase, at, end));
                return bars;
            }
        }
    }
    bars.push(bar(Phase::Download, at, end));
    bars
}

fn tcp_from_events(marks: &TcpMarks) -> Vec<PhaseBar> {
    let (mut bars, _) = opening(&marks.phases, marks.end.unwrap_or(marks.last));
    if let (Some(sent), Some(received)) = (marks.first_sent, marks.first_received)
        && received >= sent
    {
        bars.push(bar(Phase::Wait, sent, received));
        if let Some(last) = marks.last_received {
            bars.push(bar(Phase::Download, received, last));
        }
    }
    bars
}

/// The waterfall as text, `width` characters for the time axis: one line per
/// row with its bars drawn in letters (`d` DNS, `c` connect, `t` TLS, `s`
/// send, `w` wait, `r` download, `b` blocked), then the phase timings.
pub fn text(waterfall: &Waterfall, width: usize) -> String {
    if waterfall.rows.is_empty() {
        return "no HTTP requests or TCP connections yet\n".to_owned();
    }
    let axis = match waterfall.axis {
        Axis::Compare => "",
        Axis::Session => "session axis, ",
    };
    let mut out = format!("{axis}scale {}\n", tick_label(waterfall.scale_us));
    for row in &waterfall.rows {
        let mut line = vec![' '; width];
        for bar in &row.bars {
            let from = ((bar.left / 100.0) * width as f64).floor() as usize;
            let to = (((bar.left + bar.width) / 100.0) * width as f64).ceil() as usize;
            let letter = match bar.phase {
                Phase::Blocked => 'b',
                Phase::Dns => 'd',
                Phase::Connect => 'c',
                Phase::Tls => 't',
                Phase::Send => 's',
                Phase::Wait => 'w',
                Phase::Download => 'r',
            };
            for cell in line.iter_mut().take(to.min(width)).skip(from.min(width)) {
                *cell = letter;
            }
        }
        let status = row.status.as_deref().unwrap_or("");
        let starts = match (waterfall.axis, row.offset_us) {
            (Axis::Compare, _) => String::new(),
            (Axis::Session, Some(offset)) => format!(" (starts at {})", format_micros(offset)),
            (Axis::Session, None) => " (start unknown: drawn at 0)".to_owned(),
        };
        out.push_str(&format!(
            "{} {} {}\n  |{}| {}{}\n",
            row.label,
            status,
            row.error.as_deref().unwrap_or(""),
            line.into_iter().collect::<String>(),
            row.total_label,
            starts
        ));
        for bar in &row.bars {
            out.push_str(&format!(
                "  {} at {}{}\n",
                bar.label,
                format_micros(bar.start_us),
                if bar.failed { " (failed)" } else { "" }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CSS classes the page's stylesheet colours, in the legend's order.
    #[test]
    fn phases_have_their_css_classes_in_order() {
        let classes: Vec<&str> = Phase::all().map(Phase::class).collect();
        assert_eq!(
            classes,
            [
                "phase-blocked",
                "phase-dns",
                "phase-connect",
                "phase-tls",
                "phase-send",
                "phase-wait",
                "phase-download"
            ]
        );
        let css = include_str!("../../../frontend/style.css");
        for class in classes {
            assert!(
                css.contains(&format!(".{class}")),
                "style.css has no .{class}"
            );
        }
    }
    use crate::payload::Payload;
    use crate::protocol::{
        ClientMsg, Closer, ErrorCode, HttpRequest, HttpTimings, RelayError, ResolveSource,
        ServerMsg,
    };

    use crate::testing::fixtures::record_event as event;

    fn http(trace: &mut Trace, op: OpId, url: &str) {
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest::get(op, url)));
    }

    fn done(trace: &mut Trace, op: OpId, timings: HttpTimings) {
        event(
            trace,
            op,
            1,
            EventKind::ResponseHead {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![],
            },
        );
        event(
            trace,
            op,
            timings.total_us,
            EventKind::ResponseDone {
                body_bytes: 10,
                json: false,
                timings,
            },
        );
        event(
            trace,
            op,
            timings.total_us,
            EventKind::Closed { by: Closer::Relay },
        );
    }

    #[test]
    fn statuses_are_coloured_by_their_class() {
        let mut trace = Trace::new();
        for (op, status) in [(1, 200), (2, 301), (3, 404), (4, 500)] {
            http(&mut trace, op, "http://www.lab.test/status");
            event(
                &mut trace,
                op,
                1,
                EventKind::ResponseHead {
                    status,
                    reason: "Reason".into(),
                    version: "HTTP/1.1".into(),
                    headers: vec![],
                },
            );
        }
        let tones: Vec<Option<Tone>> = layout(&trace).rows.iter().map(|r| r.status_tone).collect();
        assert_eq!(
            tones,
            [
                Some(Tone::Data),
                Some(Tone::Data),
                Some(Tone::Error),
                Some(Tone::Error)
            ]
        );
    }

    #[test]
    fn an_empty_trace_has_no_rows() {
        let waterfall = layout(&Trace::new());
        assert!(waterfall.rows.is_empty());
        insta::assert_snapshot!(text(&waterfall, 40));
    }

    #[test]
    fn a_cold_and_a_warm_https_request_share_one_scale() {
        let mut trace = Trace::new();
        http(&mut trace, 1, "https://127.0.0.1:8443/json");
        done(
            &mut trace,
            1,
            HttpTimings {
                dns_us: 2_000,
                connect_us: 1_000,
                tls_us: 6_000,
                request_us: 200,
                wait_us: 3_000,
                download_us: 800,
                total_us: 13_500,
            },
        );
        http(&mut trace, 2, "https://127.0.0.1:8443/json");
        done(
            &mut trace,
            2,
            HttpTimings {
                dns_us: 20,
                connect_us: 300,
                tls_us: 2_500,
                request_us: 100,
                wait_us: 1_000,
                download_us: 80,
                total_us: 4_000,
            },
        );
        let waterfall = layout(&trace);
        assert_eq!(waterfall.scale_us, 15_000);
        assert_eq!(waterfall.rows[0].bars[0].phase, Phase::Blocked);
        assert_eq!(waterfall.rows[0].bars[0].duration_us, 500);
        insta::assert_snapshot!(text(&waterfall, 60));
    }

    #[test]
    fn tcp_rows_come_from_events_and_failures_are_marked() {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::TcpConnect {
            faults: None,
            op: 3,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        });
        event(
            &mut trace,
            3,
            5,
            EventKind::Resolving {
                host: "tcp-echo".into(),
            },
        );
        event(
            &mut trace,
            3,
            40,
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:7".into()],
                source: ResolveSource::Lab,
            },
        );
        event(
            &mut trace,
            3,
            50,
            EventKind::Connecting {
                addr: "127.0.0.1:7".into(),
            },
        );
        event(
            &mut trace,
            3,
            250,
            EventKind::Connected {
                local: "127.0.0.1:5000".into(),
                remote: "127.0.0.1:7".into(),
            },
        );
        trace.record_request(&ClientMsg::Send {
            op: 3,
            data: Payload(b"hello".to_vec()),
        });
        event(&mut trace, 3, 1_000, EventKind::Sent { bytes: 5 });
        trace.record_server(&ServerMsg::Data {
            op: 3,
            t_us: 1_300,
            data: Payload(b"hel".to_vec()),
        });
        trace.record_server(&ServerMsg::Data {
            op: 3,
            t_us: 1_400,
            data: Payload(b"lo".to_vec()),
        });
        http(&mut trace, 4, "http://127.0.0.1:9/");
        event(
            &mut trace,
            4,
            10,
            EventKind::Connecting {
                addr: "127.0.0.1:9".into(),
            },
        );
        event(
            &mut trace,
            4,
            90,
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "connection refused"),
            },
        );
        let waterfall = layout(&trace);
        assert!(waterfall.rows[1].bars.last().unwrap().failed);
        insta::assert_snapshot!(text(&waterfall, 50));
    }

    #[test]
    fn a_retried_request_shows_its_last_attempt() {
        let mut trace = Trace::new();
        http(&mut trace, 5, "http://127.0.0.1:9/flaky");
        let written = || EventKind::RequestWritten {
            head: Payload(b"GET /flaky HTTP/1.1\r\n\r\n".to_vec()),
            body_bytes: 0,
        };
        let connecting = || EventKind::Connecting {
            addr: "127.0.0.1:9".into(),
        };
        let connected = || EventKind::Connected {
            local: "127.0.0.1:5000".into(),
            remote: "127.0.0.1:9".into(),
        };
        for (n, at) in [(1, 0), (2, 500_000)] {
            event(&mut trace, 5, at, EventKind::Attempt { n, of: 2 });
            event(&mut trace, 5, at + 10, connecting());
            event(&mut trace, 5, at + 50, connected());
            event(&mut trace, 5, at + 60, written());
        }
        event(&mut trace, 5, 500_560, EventKind::FirstByte);
        let timeout = RelayError::new(ErrorCode::TimedOut, "total");
        event(&mut trace, 5, 900_000, EventKind::Failed { error: timeout });
        let row = &layout(&trace).rows[0];
        let bars: Vec<(Phase, u64, u64)> = row
            .bars
            .iter()
            .map(|b| (b.phase, b.start_us, b.duration_us))
            .collect();
        assert_eq!(
            bars,
            [
                (Phase::Connect, 500_010, 40),
                (Phase::Send, 500_050, 10),
                (Phase::Wait, 500_060, 500),
                (Phase::Download, 500_560, 399_440),
            ]
        );
        assert!(row.bars[3].failed);
    }

    /// Two requests the page sent 2 ms apart, the first 12 ms long, the
    /// second 3 ms: the second ran inside the first.
    fn overlapping() -> (Trace, OpStarts) {
        let mut trace = Trace::new();
        http(&mut trace, 1, "https://127.0.0.1:8443/json");
        http(&mut trace, 2, "https://127.0.0.1:8443/get");
        let timings = |scale: u64| HttpTimings {
            dns_us: 100 * scale,
            connect_us: 250 * scale,
            tls_us: 1_500 * scale,
            request_us: 50 * scale,
            wait_us: 1_000 * scale,
            download_us: 100 * scale,
            total_us: 3_000 * scale,
        };
        done(&mut trace, 1, timings(4));
        done(&mut trace, 2, timings(1));
        let starts = OpStarts::from([(1, 10.0), (2, 12.0)]);
        (trace, starts)
    }

    #[test]
    fn compare_mode_starts_every_row_at_zero() {
        let (trace, starts) = overlapping();
        let compare = layout_on(&trace, Axis::Compare, &starts);
        assert_eq!(compare, layout(&trace));
        assert_eq!(compare.scale_us, 12_000);
        assert!(compare.rows.iter().all(|row| row.offset_us == Some(0)));
        assert!(compare.rows.iter().all(|row| row.bars[0].left == 0.0));
    }

    #[test]
    fn the_session_axis_shows_requests_that_overlapped() {
        let (trace, starts) = overlapping();
        let session = layout_on(&trace, Axis::Session, &starts);
        assert_eq!(session.axis, Axis::Session);
        assert_eq!(session.rows[0].offset_us, Some(0));
        assert_eq!(session.rows[1].offset_us, Some(2_000));
        // The second row starts before the first ends, 2 ms along the 12 ms
        // scale; its bars keep their own durations.
        assert_eq!(session.scale_us, 12_000);
        assert_eq!(session.rows[1].bars[0].left, 16.67);
        let compare = layout(&trace);
        for (bar, alone) in session.rows[1].bars.iter().zip(&compare.rows[1].bars) {
            assert_eq!(bar.width, alone.width);
            assert_eq!(bar.start_us, alone.start_us);
        }
        insta::assert_snapshot!(text(&session, 60));
    }

    #[test]
    fn a_row_the_page_times_do_not_know_is_drawn_at_zero_and_says_so() {
        let (trace, _) = overlapping();
        let starts = OpStarts::from([(2, 12.0)]);
        let session = layout_on(&trace, Axis::Session, &starts);
        assert_eq!(session.rows[0].offset_us, None);
        assert_eq!(session.rows[1].offset_us, Some(0));
        insta::assert_snapshot!(text(&session, 40));
    }
}
