//! The session clock with the page's times: idle time between operations,
//! breaks on the real-time scale, and waits that stay to scale.

use super::super::*;
use crate::payload::Payload;
use crate::protocol::{ClientMsg, Closer, Event, EventKind, HttpRequest, ServerMsg};
use crate::trace::Trace;

/// Records `msg` as sent by the page `at_ms` into the session.
fn request(trace: &mut Trace, at_ms: f64, msg: ClientMsg) {
    trace.seen_at(at_ms);
    trace.record_request(&msg);
}

/// Records an event of `op` at relay time `t_us`, seen by the page `at_ms`.
fn event(trace: &mut Trace, at_ms: f64, op: u32, t_us: u64, kind: EventKind) {
    trace.seen_at(at_ms);
    trace.record_server(&ServerMsg::Event(Event { op, t_us, kind }));
}

fn connect_msg(op: u32) -> ClientMsg {
    ClientMsg::TcpConnect {
        faults: None,
        op,
        target: "tcp-echo".into(),
        connect_timeout_ms: None,
        nodelay: false,
    }
}

fn connect_to(op: u32, target: &str) -> ClientMsg {
    ClientMsg::TcpConnect {
        faults: None,
        op,
        target: target.into(),
        connect_timeout_ms: None,
        nodelay: false,
    }
}

fn connected(local: &str) -> EventKind {
    EventKind::Connected {
        local: local.into(),
        remote: "127.0.0.1:4000".into(),
    }
}

/// Connect, then send 5 s later (the learner typing), then close 10 s
/// after that.
fn echo_with_pauses() -> Trace {
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_msg(1));
    event(
        &mut trace,
        0.3,
        1,
        10,
        EventKind::Connecting {
            addr: "127.0.0.1:4000".into(),
        },
    );
    event(&mut trace, 0.4, 1, 150, connected("127.0.0.1:51000"));
    request(
        &mut trace,
        5_000.0,
        ClientMsg::Send {
            op: 1,
            data: Payload(b"hello".to_vec()),
        },
    );
    event(
        &mut trace,
        5_000.3,
        1,
        5_000_100,
        EventKind::Sent { bytes: 5 },
    );
    trace.seen_at(5_000.5);
    trace.record_server(&ServerMsg::Data {
        op: 1,
        t_us: 5_000_200,
        data: Payload(b"hello".to_vec()),
    });
    request(&mut trace, 15_000.0, ClientMsg::Close { op: 1 });
    event(
        &mut trace,
        15_000.4,
        1,
        15_000_100,
        EventKind::Closed {
            by: Closer::Browser,
        },
    );
    trace
}

#[test]
fn time_between_operations_counts_and_becomes_breaks() {
    let tl = timeline(&echo_with_pauses());
    let send = tl
        .items
        .iter()
        .find(|i| i.label.starts_with("send"))
        .unwrap();
    assert_eq!(
        send.at_us, 5_000_000,
        "the send is placed when the page sent it"
    );
    let echo = &tl.items[send.step + 2];
    assert_eq!(echo.at_us, 5_000_200, "events keep the relay's time");
    // The echo reaches the page when the page saw it.
    let delivered = &tl.items[send.step + 3];
    assert_eq!((delivered.from, delivered.to), (1, 0));
    assert_eq!(delivered.at_us, 5_000_500);
    assert_eq!(
        tl.breaks,
        vec![
            timeline::Break {
                before_item: 3,
                idle_us: 5_000_000 - 150,
            },
            timeline::Break {
                before_item: 7,
                idle_us: 15_000_000 - 5_000_500,
            },
        ]
    );
    // Drawn time leaves the idle stretches out; steps in between keep
    // their spacing.
    assert_eq!(tl.items[3].draw_us, 150);
    assert_eq!(tl.items[5].draw_us - tl.items[3].draw_us, 200);
    assert_eq!(tl.items[7].breaks, 2);
    assert!(
        tl.describe()
            .contains(&format!("  ({})\n", tl.breaks[0].label()))
    );
}

#[test]
fn idle_breaks_on_the_real_time_scale() {
    let tl = timeline(&echo_with_pauses());
    let geometry = Geometry::default();
    let view = Viewport {
        scale: Scale::RealTime,
        zoom: 256.0,
        top: 0.0,
        height: 1200.0,
        cull: true,
    };
    let f = frame(&tl, &geometry, &view);
    insta::assert_snapshot!(f.describe());
    let labels: Vec<&str> = f.breaks.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["4.999 s idle", "9.999 s idle"]);
    // Each break is one band, whatever the idle time or the zoom.
    let y = |item: usize| f.rows.iter().find(|r| r.item == item).unwrap().y;
    assert!((y(3) - y(2) - geometry.break_height).abs() < 1e-9);
    // No time label falls inside a break, and labels only grow.
    for (above, below) in [(2, 3), (6, 7)] {
        let inside = |t: f64| t > y(above) + 1e-6 && t < y(below) - 1e-6;
        assert!(f.ticks.iter().all(|t| !inside(t.y)), "{f:#?}");
        assert!(f.breaks.iter().any(|b| inside(b.y)), "{f:#?}");
    }
    let times: Vec<&str> = f.ticks.iter().map(|t| t.label.as_str()).collect();
    assert!(times.contains(&"5.0000 s"), "{times:?}");
    assert!(f.ticks.windows(2).all(|w| w[0].y < w[1].y));
    // The steps scale has no breaks.
    let steps = frame(
        &tl,
        &geometry,
        &Viewport {
            scale: Scale::Steps,
            ..view
        },
    );
    assert!(steps.breaks.is_empty());
}

#[test]
fn waits_inside_an_operation_stay_to_scale() {
    // An HTTP request whose answer takes 3 s (a retry's backoff, a slow
    // server): the request is under way, so the wait is drawn as time.
    let mut trace = Trace::new();
    request(
        &mut trace,
        0.0,
        ClientMsg::HttpRequest(HttpRequest::get(1, "http://127.0.0.1:8080/delay/3")),
    );
    event(
        &mut trace,
        0.5,
        1,
        100,
        EventKind::Connecting {
            addr: "127.0.0.1:8080".into(),
        },
    );
    event(&mut trace, 3_000.0, 1, 3_000_000, EventKind::FirstByte);
    event(
        &mut trace,
        3_000.1,
        1,
        3_000_100,
        EventKind::Closed { by: Closer::Relay },
    );
    let tl = timeline(&trace);
    assert!(tl.breaks.is_empty());
    assert_eq!(tl.items.last().unwrap().draw_us, 3_000_100);
}

#[test]
fn without_page_times_the_relay_clock_is_used() {
    // A trace built without times: a request is placed right after the
    // step before it, events at their operation's relay time.
    let mut trace = Trace::new();
    trace.record_request(&connect_msg(1));
    trace.record_server(&ServerMsg::Event(Event {
        op: 1,
        t_us: 150,
        kind: connected("127.0.0.1:51000"),
    }));
    trace.record_request(&ClientMsg::Send {
        op: 1,
        data: Payload(b"hello".to_vec()),
    });
    trace.record_server(&ServerMsg::Event(Event {
        op: 1,
        t_us: 5_000_100,
        kind: EventKind::Sent { bytes: 5 },
    }));
    let tl = timeline(&trace);
    let at: Vec<u64> = tl.items.iter().map(|i| i.at_us).collect();
    assert_eq!(at, [0, 150, 150, 5_000_100]);
}

#[test]
fn quiet_peers_make_breaks_too() {
    // A chat connection: a message from another member 20 s later is idle
    // time for this page, not a wait it asked for.
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_msg(1));
    event(&mut trace, 0.2, 1, 150, connected("127.0.0.1:51000"));
    trace.seen_at(20_000.0);
    trace.record_server(&ServerMsg::Data {
        op: 1,
        t_us: 20_000_000,
        data: Payload(b"hi all\n".to_vec()),
    });
    let tl = timeline(&trace);
    assert_eq!(tl.breaks.len(), 1);
    assert_eq!(tl.breaks[0].idle_us, 20_000_000 - 150);
}

#[test]
fn exports_show_the_breaks() {
    let tl = timeline(&echo_with_pauses());
    let whole = Viewport {
        scale: Scale::RealTime,
        ..Viewport::default()
    };
    let svg = export::svg(&tl, &Geometry::default(), &whole);
    assert!(svg.contains("⋯ 4.999 s idle ⋯"), "{svg}");
    assert!(svg.contains("⋯ 9.999 s idle ⋯"));
    let mermaid = export::mermaid(&tl);
    let lines: Vec<&str> = mermaid.lines().collect();
    let note = lines
        .iter()
        .position(|l| *l == "    Note over L0,L2: 4.999 s idle")
        .expect(&mermaid);
    assert!(
        lines[note + 1].contains("send"),
        "the note comes right before the send"
    );
}

#[test]
fn the_session_starts_at_its_first_step() {
    // The page opened 7 s before the learner pressed Connect.
    let mut trace = Trace::new();
    request(&mut trace, 7_000.0, connect_msg(1));
    event(&mut trace, 7_000.2, 1, 150, connected("127.0.0.1:51000"));
    let tl = timeline(&trace);
    let at: Vec<u64> = tl.items.iter().map(|i| i.at_us).collect();
    assert_eq!(at, [0, 150]);
    assert!(tl.breaks.is_empty());
}

#[test]
fn zoom_keeps_the_row_under_the_pointer_and_fit_is_stable_with_breaks() {
    let tl = timeline(&echo_with_pauses());
    let geometry = Geometry::default();
    // Zoomed in and scrolled down (the content is taller than the window,
    // so nothing is clamped).
    let view = Viewport {
        scale: Scale::RealTime,
        zoom: 1024.0,
        top: 1_300.0,
        height: 600.0,
        cull: false,
    };
    // The close, after both breaks, under the pointer.
    let y_of = |v: &Viewport, item: usize| {
        frame(&tl, &geometry, v)
            .rows
            .iter()
            .find(|r| r.item == item)
            .map(|r| r.y)
    };
    let before = y_of(&view, 6).expect("the close is on screen");
    for factor in [1.1, 0.9, 3.0] {
        let zoomed = view.zoomed(factor, before, &tl, &geometry);
        let after = y_of(&zoomed, 6).expect("still on screen");
        assert!(
            (after - before).abs() < 1e-6,
            "{factor}: {before} → {after}"
        );
    }
    // Fit: everything in the window, and fitting again changes nothing.
    let fit = view.fitted(&tl, &geometry);
    let again = fit.fitted(&tl, &geometry);
    assert!(
        (fit.zoom - again.zoom).abs() < 1e-9 * fit.zoom,
        "{} {}",
        fit.zoom,
        again.zoom
    );
    let height = view::content_height(&tl, &geometry, &fit);
    assert!(
        (height - fit.body(&geometry)).abs() < 1e-6,
        "{height} vs {}",
        fit.body(&geometry)
    );
}

#[test]
fn sockets_one_after_another_keep_the_relay_lane() {
    // Connect, close, connect again to the same echo: never two at once.
    let mut trace = Trace::new();
    for (op, at_ms) in [(1, 0.0), (2, 100.0)] {
        request(&mut trace, at_ms, connect_msg(op));
        event(
            &mut trace,
            at_ms + 0.2,
            op,
            150,
            connected("127.0.0.1:51000"),
        );
        request(&mut trace, at_ms + 10.0, ClientMsg::Close { op });
        event(
            &mut trace,
            at_ms + 10.2,
            op,
            10_150,
            EventKind::Closed {
                by: Closer::Browser,
            },
        );
    }
    let tl = timeline(&trace);
    assert!(
        tl.lanes
            .iter()
            .all(|l| l.kind != timeline::LaneKind::Client),
        "{}",
        tl.describe_lanes()
    );
    // Opened while the first is still open: both get a lane.
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_msg(1));
    event(&mut trace, 0.2, 1, 150, connected("127.0.0.1:51001"));
    request(&mut trace, 5.0, connect_msg(2));
    event(&mut trace, 5.2, 2, 150, connected("127.0.0.1:51002"));
    let lanes = timeline(&trace).describe_lanes();
    assert!(lanes.contains("Client 127.0.0.1:51001 (#1)"), "{lanes}");
    assert!(lanes.contains("Client 127.0.0.1:51002 (#2)"), "{lanes}");
}

#[test]
fn an_operation_whose_end_never_came_stops_holding_breaks_back() {
    // A connect that never hears back (the relay link dropped), then the
    // learner comes back five minutes later.
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_msg(1));
    request(&mut trace, 300_000.0, connect_msg(2));
    let tl = timeline(&trace);
    assert_eq!(tl.breaks.len(), 1, "{}", tl.describe());
}

#[test]
fn a_refused_send_while_connecting_keeps_the_connect_under_way() {
    // The learner sends before the connection is up; the relay refuses the
    // send, the connect goes on and times out 3 s later: drawn to scale.
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_msg(1));
    event(
        &mut trace,
        0.2,
        1,
        100,
        EventKind::Connecting {
            addr: "10.0.0.1:7".into(),
        },
    );
    request(
        &mut trace,
        10.0,
        ClientMsg::Send {
            op: 1,
            data: Payload(b"early".to_vec()),
        },
    );
    trace.seen_at(10.5);
    trace.record_server(&ServerMsg::Error {
        op: Some(1),
        error: crate::protocol::RelayError::new(
            crate::protocol::ErrorCode::NotConnected,
            "not connected yet",
        ),
    });
    event(
        &mut trace,
        3_000.0,
        1,
        3_000_000,
        EventKind::Failed {
            error: crate::protocol::RelayError::new(
                crate::protocol::ErrorCode::TimedOut,
                "connect timed out",
            ),
        },
    );
    let tl = timeline(&trace);
    assert!(tl.breaks.is_empty(), "{}", tl.describe());
}

#[test]
fn a_client_waiting_for_its_answer_is_not_idle() {
    // The concurrency lab: the server serves one client at a time, so this
    // client's request waits 8.7 s for its answer.
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_to(1, "tcp-slow-serial"));
    event(&mut trace, 0.4, 1, 150, connected("127.0.0.1:51000"));
    request(
        &mut trace,
        100.0,
        ClientMsg::Send {
            op: 1,
            data: Payload(b"work\n".to_vec()),
        },
    );
    event(&mut trace, 100.3, 1, 100_100, EventKind::Sent { bytes: 5 });
    trace.seen_at(8_785.0);
    trace.record_server(&ServerMsg::Data {
        op: 1,
        t_us: 8_784_900,
        data: Payload(b"done\n".to_vec()),
    });
    let tl = timeline(&trace);
    assert_eq!(
        tl.breaks,
        vec![],
        "the 8.7 s wait for the answer is drawn to scale"
    );
    // Once answered, the client's silence is idle again.
    request(&mut trace, 20_000.0, ClientMsg::Close { op: 1 });
    let tl = timeline(&trace);
    assert_eq!(tl.breaks.len(), 1, "{:?}", tl.breaks);
}

/// A chat line is a message, not a request: nobody owes an answer, so the
/// silence after it is idle, however long (the same trace to a service
/// that answers each message is drawn to scale, above).
#[test]
fn a_chat_client_that_spoke_is_idle_while_nobody_answers() {
    let spoke = |target: &str| {
        let mut trace = Trace::new();
        request(&mut trace, 0.0, connect_to(1, target));
        event(&mut trace, 0.4, 1, 150, connected("127.0.0.1:51000"));
        request(
            &mut trace,
            100.0,
            ClientMsg::Send {
                op: 1,
                data: Payload(b"hello all\n".to_vec()),
            },
        );
        event(&mut trace, 100.3, 1, 100_100, EventKind::Sent { bytes: 10 });
        request(&mut trace, 9_000.0, ClientMsg::Close { op: 1 });
        timeline(&trace).breaks.len()
    };
    assert_eq!(spoke("tcp-chat"), 1, "the chat client's silence is idle");
    assert_eq!(
        spoke("example.com:7"),
        1,
        "a server the page knows nothing of"
    );
    assert_eq!(
        spoke("tcp-slow-serial"),
        0,
        "a request waits for its answer"
    );
}

/// A lab name with a well-known port says which service it reaches.
#[test]
fn a_lab_name_tells_which_service_answers() {
    let mut trace = Trace::new();
    request(&mut trace, 0.0, connect_to(1, "echo.lab.test:7"));
    event(
        &mut trace,
        0.2,
        1,
        100,
        EventKind::LabPort {
            from: "echo.lab.test:7".into(),
            to: "127.0.0.1:40007".into(),
            service: "tcp-echo".into(),
        },
    );
    event(&mut trace, 0.4, 1, 150, connected("127.0.0.1:51000"));
    request(
        &mut trace,
        100.0,
        ClientMsg::Send {
            op: 1,
            data: Payload(b"ping\n".to_vec()),
        },
    );
    event(&mut trace, 100.3, 1, 100_100, EventKind::Sent { bytes: 5 });
    trace.seen_at(5_100.0);
    trace.record_server(&ServerMsg::Data {
        op: 1,
        t_us: 5_100_000,
        data: Payload(b"ping\n".to_vec()),
    });
    let tl = timeline(&trace);
    assert!(tl.breaks.is_empty(), "{}", tl.describe());
}
