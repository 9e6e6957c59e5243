//! Every view and export of a recording, as the page would draw them.

use crate::diagram::{self, Geometry, Scale, Viewport};
use crate::dns;
use crate::dns_ladder;
use crate::har::{self, PageClock};
use crate::http_view::HttpView;
use crate::inspect;
use crate::lifecycle_graph;
use crate::protocol::DnsMode;
use crate::recording::Recording;
use crate::retry;
use crate::waterfall::{self, Axis};

/// Draws `recording` every way the page can: the sequence diagram (both
/// scales, SVG and Mermaid), the waterfall (both axes, as text too), the
/// retry timeline, the DNS ladders and outcomes, the payload inspector, the
/// HTTP panel's answer, each socket's lifecycle, and the HAR export. A recording is untrusted input (a file,
/// a `#trace=` link): none of this may panic, whatever it holds.
pub fn render_everything(recording: &Recording) {
    let upto = recording.len();
    let trace = recording.trace(upto);
    let times = recording.page_times(upto);

    let timeline = diagram::timeline(&trace);
    for scale in [Scale::Steps, Scale::RealTime] {
        let view = Viewport {
            scale,
            ..Viewport::default()
        };
        let geometry = Geometry::default();
        let _ = diagram::frame(&timeline, &geometry, &view);
        let _ = diagram::export::svg(&timeline, &geometry, &view);
        for i in 0..timeline.items.len().min(64) {
            let _ = diagram::view::row_title(&timeline, i);
        }
    }
    let _ = diagram::export::mermaid(&timeline);

    for axis in [Axis::Compare, Axis::Session] {
        let fall = waterfall::layout_on(&trace, axis, &times.op_starts);
        let _ = waterfall::text(&fall, 80);
    }

    let runs = retry::runs_from_trace(&trace);
    let _ = retry::layout(&runs);
    for run in &runs {
        let _ = run.summary();
        let _ = retry::timeline::describe(run);
    }

    for question in dns_ladder::questions(&trace) {
        for mode in [DnsMode::Stub, DnsMode::Trace] {
            let _ = dns_ladder::text(&dns_ladder::ladder(&trace, question.op, mode));
        }
        let _ = dns::outcome(trace.events_of(question.op));
    }

    let _ = inspect::items(&trace);
    for op in inspect::http_ops(&trace).iter().map(|h| h.op) {
        let _ = inspect::wire_bytes(&trace, op);
        let _ = inspect::tls_records(&trace, op);
        let _ = inspect::http_messages(&trace, op);
        let _ = HttpView::of(&trace, op).body_text();
    }

    let mut ops: Vec<_> = trace.steps().iter().map(|s| s.op).collect();
    ops.sort_unstable();
    ops.dedup();
    for &op in ops.iter().take(256) {
        let events: Vec<_> = trace.events_of(op).collect();
        let _ = lifecycle_graph::of_events(trace.kind_of(op), events.iter().copied());
    }

    let clock = times.started_at_ms.map(|started_at_ms| PageClock {
        started_at_ms,
        op_starts: &times.op_starts,
    });
    let _ = har::export(&trace, "test", "2026-12-04T00:00:00.000Z", clock);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;
    use crate::protocol::{
        AttemptReason, ClientMsg, DnsType, ErrorCode, Event, EventKind, HttpRequest, HttpTimings,
        RelayError, ServerMsg,
    };
    use crate::recording::Message;
    use crate::retry::RetryPolicy;
    use proptest::prelude::*;

    fn request(op: u32) -> impl Strategy<Value = ClientMsg> {
        prop_oneof![
            Just(ClientMsg::HttpRequest(HttpRequest {
                retry: Some(RetryPolicy::default()),
                raw: true,
                ..HttpRequest::get(op, "https://www.lab.test/flaky?key=k")
            })),
            Just(ClientMsg::TcpConnect {
                op,
                target: "tcp-echo".into(),
                connect_timeout_ms: None,
                nodelay: false,
                faults: None,
            }),
            Just(ClientMsg::DnsQuery {
                op,
                name: "www.lab.test".into(),
                rtype: DnsType::A,
                mode: crate::protocol::DnsMode::Trace,
                server: None,
                timeout_ms: None,
            }),
        ]
    }

    /// Events whose numbers a hostile file may set to anything.
    fn event_kind() -> impl Strategy<Value = EventKind> {
        let error = || Just(RelayError::new(ErrorCode::TimedOut, "x"));
        prop_oneof![
            (any::<u32>(), any::<u32>()).prop_map(|(n, of)| EventKind::Attempt { n, of }),
            (any::<u32>(), any::<u64>(), any::<Option<u64>>()).prop_map(
                |(attempt, wait_ms, retry_after_ms)| EventKind::Backoff {
                    attempt,
                    wait_ms,
                    reason: AttemptReason::Status(503),
                    retry_after_ms,
                }
            ),
            (any::<u32>(), error()).prop_map(|(attempts, e)| EventKind::GaveUp {
                attempts,
                last_error: AttemptReason::Error(e),
            }),
            any::<[u64; 7]>().prop_map(|t| EventKind::ResponseDone {
                body_bytes: t[0],
                json: false,
                timings: HttpTimings {
                    dns_us: t[0],
                    connect_us: t[1],
                    tls_us: t[2],
                    request_us: t[3],
                    wait_us: t[4],
                    download_us: t[5],
                    total_us: t[6],
                },
            }),
            Just(EventKind::FirstByte),
            any::<u64>().prop_map(|bytes| EventKind::Sent { bytes }),
            any::<u64>().prop_map(|bytes| EventKind::Received { bytes }),
            any::<u64>().prop_map(|after_ms| EventKind::RecvTimeout { after_ms }),
            Just(EventKind::Connecting {
                addr: "127.0.0.1:7".into()
            }),
            Just(EventKind::Connected {
                local: "127.0.0.1:5".into(),
                remote: "127.0.0.1:7".into()
            }),
            Just(EventKind::PeerClosed),
            Just(EventKind::Reset),
            error().prop_map(|error| EventKind::Failed { error }),
        ]
    }

    fn server_msg(op: u32) -> impl Strategy<Value = ServerMsg> {
        prop_oneof![
            4 => (any::<u64>(), event_kind())
                .prop_map(move |(t_us, kind)| ServerMsg::Event(Event { op, t_us, kind })),
            1 => (any::<u64>(), prop::collection::vec(any::<u8>(), 0..32)).prop_map(
                move |(t_us, bytes)| ServerMsg::Data {
                    op,
                    t_us,
                    data: Payload(bytes)
                }
            ),
        ]
    }

    fn hostile_recording() -> impl Strategy<Value = Recording> {
        let entries = (1u32..4)
            .prop_flat_map(|op| (request(op), prop::collection::vec(server_msg(op), 0..24)));
        (
            prop::collection::vec(entries, 1..4),
            prop::option::of(-1e15f64..1e15),
        )
            .prop_map(|(ops, started_at_ms)| {
                let mut recording = Recording {
                    started_at_ms,
                    ..Recording::default()
                };
                let mut at_ms = 0.0;
                for (request, events) in ops {
                    recording.push(at_ms, Message::Out(request));
                    for msg in events {
                        at_ms += 1.0;
                        recording.push(at_ms, Message::In(msg));
                    }
                }
                recording
            })
    }

    /// The fuzz target's seed is a recording the page opens.
    #[test]
    fn the_fuzz_seed_opens_and_draws() {
        let seed = include_str!("../../../fuzz/seeds/open_recording/http_retry.json");
        let recording = Recording::from_json(seed).unwrap();
        assert_eq!(recording.len(), 7);
        render_everything(&recording);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Times out of order, waits of `u64::MAX` microseconds, attempt
        /// numbers past their count: every view and export still draws.
        #[test]
        fn hostile_recordings_draw_without_panicking(recording in hostile_recording()) {
            render_everything(&recording);
            // And they survive a save and an open.
            if let Ok(reopened) = Recording::from_json(&recording.to_json()) {
                render_everything(&reopened);
            }
        }
    }
}
