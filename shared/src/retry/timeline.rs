//! Runs of retried requests on a time axis: attempts as bars coloured by how
//! they ended, the waits between them, and where the run succeeded or gave
//! up. A run comes from the simulator or from the trace of a real one; both
//! share one axis so they can be compared.

use super::policy::AttemptEnd;
use crate::diagram::Tone;
use crate::model::http::{Ending, Exchange, exchanges};
use crate::protocol::Closer;
use crate::trace::Trace;
pub use crate::view::units::format_us;
use crate::view::units::nice_step;

/// One attempt, in microseconds since the run's first attempt began.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptSpan {
    /// 1-based.
    pub n: u32,
    pub start_us: u64,
    pub end_us: u64,
    /// `None` while the attempt runs.
    pub end: Option<AttemptEnd>,
}

/// A wait between attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitSpan {
    /// The attempt it follows.
    pub after: u32,
    pub start_us: u64,
    pub end_us: u64,
    /// The server's `Retry-After` set this wait (it was longer than the
    /// backoff).
    pub retry_after: bool,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    Running,
    /// An attempt got a response the run accepts (below 400).
    Succeeded {
        at_us: u64,
        attempts: u32,
        status: u16,
    },
    /// An attempt ended in a way the policy does not retry (a 404, a TLS
    /// error, ...).
    NotRetried {
        at_us: u64,
        attempts: u32,
        end: AttemptEnd,
    },
    /// Every attempt allowed failed.
    GaveUp {
        at_us: u64,
        attempts: u32,
        last: AttemptEnd,
    },
    /// The browser closed the operation.
    Cancelled {
        at_us: u64,
        attempts: u32,
    },
}

/// One run of a retried request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub label: String,
    pub attempts: Vec<AttemptSpan>,
    pub waits: Vec<WaitSpan>,
    pub end: RunEnd,
}

impl Run {
    /// When the last thing in the run ends.
    pub fn span_us(&self) -> u64 {
        let attempts = self.attempts.iter().map(|a| a.end_us);
        let waits = self.waits.iter().map(|w| w.end_us);
        attempts.chain(waits).max().unwrap_or(0)
    }

    /// `200 on attempt 3 after 1.46 s`, `gave up after 4 attempts (timed out)`.
    pub fn summary(&self) -> String {
        match &self.end {
            RunEnd::Running => format!(
                "running: attempt {}",
                self.attempts.last().map_or(1, |a| a.n)
            ),
            RunEnd::Succeeded {
                at_us,
                attempts,
                status,
            } => format!("{status} on attempt {attempts} after {}", format_us(*at_us)),
            RunEnd::NotRetried {
                at_us,
                attempts,
                end,
            } => format!(
                "{} on attempt {attempts} after {}: not retried",
                end.label(),
                format_us(*at_us)
            ),
            RunEnd::GaveUp {
                at_us,
                attempts,
                last,
            } => format!(
                "gave up after {attempts} attempts ({}) at {}",
                last.label(),
                format_us(*at_us)
            ),
            RunEnd::Cancelled { at_us, attempts } => format!(
                "cancelled during attempt {attempts} at {}",
                format_us(*at_us)
            ),
        }
    }
}

/// The real runs in the trace: every HTTP operation that retried (the relay
/// announced its attempts), in the order they started, from the HTTP
/// model's attempts.
pub fn runs_from_trace(trace: &Trace) -> Vec<Run> {
    exchanges(trace).iter().filter_map(run_of).collect()
}

/// One exchange's run, on an axis from its first event; `None` without
/// announced attempts (no retry policy).
fn run_of(exchange: &Exchange<'_>) -> Option<Run> {
    let zero = exchange.first_event_us.unwrap_or(0);
    let at = |t: u64| t.saturating_sub(zero);
    let announced = || {
        exchange
            .attempts
            .iter()
            .filter_map(|attempt| Some((attempt.announced?, attempt)))
    };
    let mut attempts: Vec<AttemptSpan> = announced()
        .map(|(announced, attempt)| {
            let start_us = at(attempt.start_us);
            AttemptSpan {
                n: announced.n,
                start_us,
                end_us: attempt.end.map_or(start_us, |end| at(end.at_us)),
                end: attempt.end.map(|end| end.end),
            }
        })
        .collect();
    if attempts.is_empty() {
        return None;
    }
    // A wait is drawn as long as the relay announced (and slept); the next
    // attempt starts when it reports, a little later.
    let waits = announced()
        .filter_map(|(_, attempt)| attempt.backoff)
        .map(|backoff| {
            let start_us = at(backoff.at_us);
            WaitSpan {
                after: backoff.after,
                start_us,
                end_us: start_us.saturating_add(backoff.wait_ms.saturating_mul(1000)),
                retry_after: backoff
                    .retry_after_ms
                    .is_some_and(|ra| ra >= backoff.wait_ms),
            }
        })
        .collect();
    let last = attempts.last_mut().expect("not empty");
    let tried = last.n;
    let end = match (exchange.gave_up, exchange.end) {
        (Some(gave_up), _) => RunEnd::GaveUp {
            at_us: at(gave_up.at_us),
            attempts: gave_up.attempts,
            last: gave_up.last.end(),
        },
        (None, None) => RunEnd::Running,
        (None, Some(end)) => {
            let at_us = at(end.at_us);
            match (end.how, last.end) {
                (Ending::Failed(error), _) => RunEnd::NotRetried {
                    at_us,
                    attempts: tried,
                    end: AttemptEnd::Error(error.code),
                },
                // Cancelled during an attempt: it lasted until then.
                (Ending::Closed(Closer::Browser), _) | (Ending::Closed(_), None) => {
                    if last.end.is_none() {
                        last.end_us = at_us;
                    }
                    RunEnd::Cancelled {
                        at_us,
                        attempts: tried,
                    }
                }
                (Ending::Closed(_), Some(AttemptEnd::Status(status))) if status < 400 => {
                    RunEnd::Succeeded {
                        at_us,
                        attempts: tried,
                        status,
                    }
                }
                (Ending::Closed(_), Some(end)) => RunEnd::NotRetried {
                    at_us,
                    attempts: tried,
                    end,
                },
            }
        }
    };
    Some(Run {
        label: format!(
            "op {}: {} {}",
            exchange.op,
            exchange.method,
            path_of(exchange.url)
        ),
        attempts,
        waits,
        end,
    })
}

/// `/flaky?key=a` from `http://127.0.0.1:8080/flaky?key=a`.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// Width of the drawing, in SVG user units.
pub const WIDTH: f64 = 760.0;
/// Room on the left for the run's label.
const LABEL_WIDTH: f64 = 0.0;
const ROW_HEIGHT: f64 = 56.0;
const BAR_HEIGHT: f64 = 22.0;
const TOP: f64 = 8.0;
const AXIS_HEIGHT: f64 = 26.0;
const RIGHT_PAD: f64 = 12.0;
/// Roughly how wide one character of a bar label is.
const CHAR_WIDTH: f64 = 6.6;
/// How wide one character of a row's heading (11 px, bold) may be: digits,
/// which a `/flaky?key=…` URL is full of, are the widest.
const HEADING_CHAR_WIDTH: f64 = 8.0;
/// The narrowest bar, so an instant attempt still shows.
const MIN_BAR: f64 = 3.0;

/// What a bar stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunBarKind {
    Attempt,
    Wait,
}

/// One attempt or wait, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct RunBar {
    pub kind: RunBarKind,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub tone: Tone,
    /// Short text inside the bar (`#2 503`, `wait 240 ms`), when it fits.
    pub label: Option<String>,
    /// The whole story, for a tooltip.
    pub title: String,
}

/// Where a run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub y1: f64,
    pub y2: f64,
    pub tone: Tone,
    /// `✓ 200`, `✗ gave up`.
    pub label: String,
}

/// One run, placed in its row.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub label: String,
    /// `label — summary` as drawn above the row: the label is cut (`…`) so
    /// that the summary, which says how the run ended, always shows.
    pub heading: String,
    pub label_y: f64,
    pub bars: Vec<RunBar>,
    pub end: Option<Marker>,
    pub summary: String,
    /// `succeeded`, `gave-up`, `not-retried`, `cancelled`, `running`: for
    /// CSS and tests.
    pub state: &'static str,
}

/// A tick on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct RunTick {
    pub x: f64,
    pub label: String,
}

/// Runs on one time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct RunChart {
    pub width: f64,
    pub height: f64,
    /// Where the axis line is drawn.
    pub axis_y: f64,
    pub x0: f64,
    pub x1: f64,
    pub ticks: Vec<RunTick>,
    pub rows: Vec<RunRow>,
}

/// Places `runs` one row each on a shared axis from 0 to the longest run.
pub fn layout(runs: &[Run]) -> RunChart {
    let span_us = runs.iter().map(Run::span_us).max().unwrap_or(0).max(1_000);
    let step_us = nice_step(span_us);
    // The axis ends on the tick after the longest run.
    let axis_us = span_us.div_ceil(step_us).saturating_mul(step_us);
    let x0 = LABEL_WIDTH + 4.0;
    let x1 = WIDTH - RIGHT_PAD;
    let x_of = |us: u64| x0 + (x1 - x0) * us as f64 / axis_us as f64;
    let rows: Vec<RunRow> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let top = TOP + i as f64 * ROW_HEIGHT;
            let bar_y = top + 18.0;
            let mut bars = Vec::new();
            for attempt in &run.attempts {
                let x = x_of(attempt.start_us);
                let width = (x_of(attempt.end_us) - x).max(MIN_BAR);
                let (tone, what) = match attempt.end {
                    None => (Tone::Request, "running".to_owned()),
                    Some(end) if end.is_success() => (Tone::Data, end.label()),
                    Some(end) => (Tone::Error, end.label()),
                };
                let label = format!("#{} {what}", attempt.n);
                bars.push(RunBar {
                    kind: RunBarKind::Attempt,
                    x,
                    y: bar_y,
                    width,
                    height: BAR_HEIGHT,
                    tone,
                    label: fits(&label, width),
                    title: format!(
                        "attempt {}: {what} after {}",
                        attempt.n,
                        format_us(attempt.end_us.saturating_sub(attempt.start_us))
                    ),
                });
            }
            for wait in &run.waits {
                let x = x_of(wait.start_us);
                let width = (x_of(wait.end_us) - x).max(MIN_BAR);
                let took = format_us(wait.end_us.saturating_sub(wait.start_us));
                let label = if wait.retry_after {
                    format!("Retry-After {took}")
                } else {
                    format!("wait {took}")
                };
                bars.push(RunBar {
                    kind: RunBarKind::Wait,
                    x,
                    y: bar_y + BAR_HEIGHT / 4.0,
                    width,
                    height: BAR_HEIGHT / 2.0,
                    tone: Tone::Note,
                    label: fits(&label, width),
                    title: format!(
                        "{} after attempt {}{}",
                        label,
                        wait.after,
                        if wait.retry_after {
                            " (the server's Retry-After, longer than the backoff)"
                        } else {
                            " (backoff)"
                        }
                    ),
                });
            }
            let marker = |at_us: u64, tone: Tone, label: String| Marker {
                x: x_of(at_us),
                y1: bar_y - 4.0,
                y2: bar_y + BAR_HEIGHT + 4.0,
                tone,
                label,
            };
            let (end, state) = match &run.end {
                RunEnd::Running => (None, "running"),
                RunEnd::Succeeded { at_us, status, .. } => (
                    Some(marker(*at_us, Tone::Data, format!("✓ {status}"))),
                    "succeeded",
                ),
                RunEnd::NotRetried { at_us, end, .. } => (
                    Some(marker(*at_us, Tone::Error, format!("✗ {}", end.label()))),
                    "not-retried",
                ),
                RunEnd::GaveUp { at_us, .. } => (
                    Some(marker(*at_us, Tone::Error, "✗ gave up".to_owned())),
                    "gave-up",
                ),
                RunEnd::Cancelled { at_us, .. } => (
                    Some(marker(*at_us, Tone::Note, "cancelled".to_owned())),
                    "cancelled",
                ),
            };
            let summary = run.summary();
            RunRow {
                heading: heading(&run.label, &summary, x1 - x0),
                label: run.label.clone(),
                label_y: top + 12.0,
                bars,
                end,
                summary,
                state,
            }
        })
        .collect();
    let axis_y = TOP + rows.len() as f64 * ROW_HEIGHT;
    let ticks = (0..=axis_us / step_us)
        .map(|k| RunTick {
            x: x_of(k * step_us),
            label: format_us(k * step_us),
        })
        .collect();
    RunChart {
        width: WIDTH,
        height: axis_y + AXIS_HEIGHT,
        axis_y,
        x0,
        x1,
        ticks,
        rows,
    }
}

/// `label — summary` in at most `width` units, cutting the label's end
/// (a long `/flaky?key=…` URL) rather than the summary.
fn heading(label: &str, summary: &str, width: f64) -> String {
    let room = (width / HEADING_CHAR_WIDTH) as usize;
    let tail = format!(" — {summary}");
    let tail_len = tail.chars().count();
    if label.chars().count() + tail_len <= room {
        return format!("{label}{tail}");
    }
    // At least a few characters of the label, even in a narrow drawing.
    let keep = room.saturating_sub(tail_len + 1).max(8);
    if label.chars().count() <= keep {
        return format!("{label}{tail}");
    }
    let cut: String = label.chars().take(keep).collect();
    format!("{}…{tail}", cut.trim_end())
}

fn fits(label: &str, width: f64) -> Option<String> {
    (label.chars().count() as f64 * CHAR_WIDTH + 8.0 <= width).then(|| label.to_owned())
}

/// A run as text, one line per attempt and wait: for tests and for people
/// reading without the picture.
pub fn describe(run: &Run) -> String {
    let mut events: Vec<(u64, String)> = Vec::new();
    for attempt in &run.attempts {
        events.push((
            attempt.start_us,
            format!(
                "attempt {}: {} after {}",
                attempt.n,
                attempt.end.map_or("running".to_owned(), |e| e.label()),
                format_us(attempt.end_us.saturating_sub(attempt.start_us))
            ),
        ));
    }
    for wait in &run.waits {
        events.push((
            wait.start_us,
            format!(
                "{} {}",
                if wait.retry_after {
                    "retry-after"
                } else {
                    "backoff"
                },
                format_us(wait.end_us.saturating_sub(wait.start_us))
            ),
        ));
    }
    events.sort_by_key(|(t, _)| *t);
    let mut text: Vec<String> = events
        .into_iter()
        .map(|(t, line)| format!("{:>9} {line}", format_us(t)))
        .collect();
    text.push(run.summary());
    text.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        AttemptReason, ClientMsg, ErrorCode, EventKind, HttpRequest, HttpTimings, OpId, RelayError,
    };

    use crate::testing::fixtures::record_event as event;

    fn request(trace: &mut Trace, op: OpId, url: &str) {
        trace.record_request(&ClientMsg::HttpRequest(HttpRequest {
            retry: Some(Default::default()),
            ..HttpRequest::get(op, url)
        }));
    }

    fn response(trace: &mut Trace, op: OpId, t_us: u64, status: u16) {
        event(
            trace,
            op,
            t_us,
            EventKind::ResponseHead {
                status,
                reason: String::new(),
                version: "HTTP/1.1".to_owned(),
                headers: Vec::new(),
            },
        );
        event(
            trace,
            op,
            t_us + 100,
            EventKind::ResponseDone {
                body_bytes: 0,
                json: false,
                timings: HttpTimings::default(),
            },
        );
    }

    /// `/flaky` failing twice with 503 + Retry-After: 1, then 200.
    fn flaky_trace() -> Trace {
        let mut trace = Trace::new();
        request(
            &mut trace,
            1,
            "http://127.0.0.1:4000/flaky?key=a&status=503",
        );
        event(&mut trace, 1, 50, EventKind::Attempt { n: 1, of: 3 });
        response(&mut trace, 1, 2_000, 503);
        event(
            &mut trace,
            1,
            2_200,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 1_000,
                reason: AttemptReason::Status(503),
                retry_after_ms: Some(1_000),
            },
        );
        event(&mut trace, 1, 1_003_000, EventKind::Attempt { n: 2, of: 3 });
        response(&mut trace, 1, 1_005_000, 503);
        event(
            &mut trace,
            1,
            1_005_200,
            EventKind::Backoff {
                attempt: 2,
                wait_ms: 1_000,
                reason: AttemptReason::Status(503),
                retry_after_ms: Some(1_000),
            },
        );
        event(&mut trace, 1, 2_006_000, EventKind::Attempt { n: 3, of: 3 });
        response(&mut trace, 1, 2_008_000, 200);
        event(
            &mut trace,
            1,
            2_008_200,
            EventKind::Closed { by: Closer::Relay },
        );
        trace
    }

    #[test]
    fn a_real_run_from_the_trace() {
        let runs = runs_from_trace(&flaky_trace());
        assert_eq!(runs.len(), 1);
        insta::assert_snapshot!(describe(&runs[0]));
    }

    #[test]
    fn a_long_url_is_cut_in_the_heading_but_the_outcome_shows() {
        let mut run = runs_from_trace(&flaky_trace()).remove(0);
        let short = layout(std::slice::from_ref(&run));
        assert_eq!(
            short.rows[0].heading,
            format!("{} — {}", run.label, run.summary())
        );
        run.label = format!(
            "real, op 1: GET /flaky?key=page-1-{}&fail=2",
            "9".repeat(200)
        );
        let long = layout(std::slice::from_ref(&run));
        let heading = &long.rows[0].heading;
        assert!(heading.starts_with("real, op 1: GET /flaky?key=page-1-999"));
        assert!(
            heading.ends_with(&format!("… — {}", run.summary())),
            "{heading}"
        );
        assert!(
            heading.chars().count() as f64 * HEADING_CHAR_WIDTH <= long.x1 - long.x0,
            "{heading}"
        );
        assert_eq!(long.rows[0].label, run.label, "the whole label is kept");
    }

    #[test]
    fn timeouts_then_gave_up_from_the_trace() {
        let mut trace = Trace::new();
        request(&mut trace, 2, "http://127.0.0.1:4000/delay/3");
        let timeout = RelayError::new(ErrorCode::TimedOut, "attempt timeout");
        event(&mut trace, 2, 0, EventKind::Attempt { n: 1, of: 2 });
        event(
            &mut trace,
            2,
            300_000,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 100,
                reason: AttemptReason::Error(timeout.clone()),
                retry_after_ms: None,
            },
        );
        event(&mut trace, 2, 400_000, EventKind::Attempt { n: 2, of: 2 });
        event(
            &mut trace,
            2,
            700_000,
            EventKind::GaveUp {
                attempts: 2,
                last_error: AttemptReason::Error(timeout.clone()),
            },
        );
        event(&mut trace, 2, 700_100, EventKind::Failed { error: timeout });
        let runs = runs_from_trace(&trace);
        assert_eq!(
            runs[0].end,
            RunEnd::GaveUp {
                at_us: 700_000,
                attempts: 2,
                last: AttemptEnd::Error(ErrorCode::TimedOut)
            }
        );
        assert_eq!(
            describe(&runs[0]),
            "     0 ms attempt 1: timed out after 300 ms\n   300 ms backoff 100 ms\n   400 ms attempt 2: timed out after 300 ms\ngave up after 2 attempts (timed out) at 700 ms"
        );
    }

    #[test]
    fn requests_without_retry_are_not_runs() {
        let mut trace = Trace::new();
        request(&mut trace, 3, "http://x/get");
        response(&mut trace, 3, 1_000, 200);
        event(
            &mut trace,
            3,
            1_200,
            EventKind::Closed { by: Closer::Relay },
        );
        event(
            &mut trace,
            4,
            0,
            EventKind::Received {
                bytes: Payload(Vec::new()).0.len() as u64,
            },
        );
        assert!(runs_from_trace(&trace).is_empty());
    }

    #[test]
    fn a_run_the_browser_closed_is_cancelled_during_its_attempt() {
        let mut trace = Trace::new();
        request(&mut trace, 6, "http://x/flaky?key=c");
        event(&mut trace, 6, 10, EventKind::Attempt { n: 1, of: 3 });
        response(&mut trace, 6, 1_000, 503);
        event(
            &mut trace,
            6,
            1_110,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 50,
                reason: AttemptReason::Status(503),
                retry_after_ms: None,
            },
        );
        event(&mut trace, 6, 51_110, EventKind::Attempt { n: 2, of: 3 });
        event(
            &mut trace,
            6,
            61_110,
            EventKind::Closed {
                by: Closer::Browser,
            },
        );
        let run = runs_from_trace(&trace).remove(0);
        let spans: Vec<_> = run
            .attempts
            .iter()
            .map(|a| (a.n, a.start_us, a.end_us, a.end))
            .collect();
        assert_eq!(
            spans,
            [
                (1, 0, 1_090, Some(AttemptEnd::Status(503))),
                (2, 51_100, 61_100, None)
            ]
        );
        assert_eq!(run.waits[0].end_us, 51_100);
        assert_eq!(run.summary(), "cancelled during attempt 2 at 61 ms");
    }

    #[test]
    fn a_404_is_not_retried() {
        let mut trace = Trace::new();
        request(&mut trace, 5, "http://x/status/404");
        event(&mut trace, 5, 10, EventKind::Attempt { n: 1, of: 3 });
        response(&mut trace, 5, 1_000, 404);
        event(
            &mut trace,
            5,
            1_200,
            EventKind::Closed { by: Closer::Relay },
        );
        let runs = runs_from_trace(&trace);
        assert_eq!(
            runs[0].summary(),
            "404 on attempt 1 after 1 ms: not retried"
        );
    }

    #[test]
    fn layout_snapshot() {
        let real = runs_from_trace(&flaky_trace());
        let timeline = layout(&real);
        let mut text = format!(
            "{}x{} axis at {}\nticks: {}\n",
            timeline.width,
            timeline.height,
            timeline.axis_y,
            timeline
                .ticks
                .iter()
                .map(|t| format!("{:.0}={}", t.x, t.label))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for row in &timeline.rows {
            text.push_str(&format!("{} [{}] {}\n", row.label, row.state, row.summary));
            for bar in &row.bars {
                text.push_str(&format!(
                    "  {:?} x={:.1} w={:.1} {} {:?}\n",
                    bar.kind,
                    bar.x,
                    bar.width,
                    bar.tone.class(),
                    bar.label
                ));
            }
            if let Some(end) = &row.end {
                text.push_str(&format!("  end x={:.1} {}\n", end.x, end.label));
            }
        }
        insta::assert_snapshot!(text);
    }

    #[test]
    fn every_bar_stays_inside_the_drawing() {
        let sim = crate::retry::simulate(
            &crate::retry::RetryPolicy::default(),
            &crate::retry::Scenario {
                failure_rate: 1.0,
                ..Default::default()
            },
        );
        let timeline = layout(&[sim, runs_from_trace(&flaky_trace()).remove(0)]);
        for bar in timeline.rows.iter().flat_map(|r| &r.bars) {
            assert!(bar.x >= timeline.x0 && bar.x + bar.width <= timeline.x1 + MIN_BAR);
        }
        assert_eq!(timeline.rows.len(), 2);
    }

    #[test]
    fn times_for_people() {
        assert_eq!(format_us(0), "0 ms");
        assert_eq!(format_us(250), "250 µs");
        assert_eq!(format_us(240_000), "240 ms");
        assert_eq!(format_us(1_500_000), "1.5 s");
        assert_eq!(format_us(2_000_000), "2 s");
        assert_eq!(nice_step(2_008_000), 500_000);
        assert_eq!(nice_step(1_000), 200);
    }
}
