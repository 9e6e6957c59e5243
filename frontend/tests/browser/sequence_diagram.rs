use std::rc::Rc;

use roundtrip_frontend::components::sequence_diagram::{Props, SequenceDiagram};
use roundtrip_shared::diagram::timeline;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, ErrorCode, EventKind, RelayError, ServerMsg};
use roundtrip_shared::trace::Trace;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::Element;

use crate::{all, attr, click, echo_trace, event, fresh_root, one, press, text};

fn render(root: &Element, trace: Trace) -> yew::AppHandle<SequenceDiagram> {
    yew::Renderer::<SequenceDiagram>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
            cull: true,
            height: 560.0,
            recording: false,
            fit_window: false,
        },
    )
    .render()
}

/// `n` steps: an echo connection, then sends and echoes.
/// An echo session that the diagram draws as `n` rows (each line that
/// comes back is two: into the relay, on to the page).
pub fn long_trace(n: usize) -> Trace {
    let mut trace = echo_trace();
    // The echo trace's one received line is drawn twice.
    let mut rows = trace.steps().len() + 1;
    let mut i = 0_u64;
    while rows < n {
        i += 1;
        // The last row must be a single one.
        if i.is_multiple_of(2) || rows + 1 == n {
            rows += 1;
            trace.record_request(&ClientMsg::Send {
                op: 1,
                data: Payload(format!("line {i}").into_bytes()),
            });
        } else {
            rows += 2;
            trace.record_server(&ServerMsg::Data {
                op: 1,
                t_us: 2_000_000 + i * 150,
                data: Payload(format!("line {i}").into_bytes()),
            });
        }
    }
    trace
}

fn wheel(element: &Element, delta_y: f64, ctrl: bool) {
    let init = web_sys::WheelEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_delta_y(delta_y);
    init.set_ctrl_key(ctrl);
    init.set_client_y(300);
    let event = web_sys::WheelEvent::new_with_event_init_dict("wheel", &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn echo_exchange_draws_one_labelled_row_per_step() {
    let root = fresh_root();
    let trace = echo_trace();
    let _handle = render(&root, trace.clone());
    yew::scheduler::flush().await;

    let rows = all(&root, "svg#sequence g.row");
    let described: Vec<(String, String, String)> = rows
        .iter()
        .map(|row| {
            (
                attr(row, "data-from"),
                attr(row, "data-to"),
                attr(row, "data-label"),
            )
        })
        .collect();
    let expected = [
        ("Browser", "Relay", "connect tcp-echo"),
        ("Relay", "Relay", "= 127.0.0.1:4000 (lab service)"),
        ("Relay", "Target", "SYN → 127.0.0.1:4000"),
        (
            "Target",
            "Relay",
            "SYN-ACK; connect() returns: 127.0.0.1:51000 ↔ 127.0.0.1:4000",
        ),
        ("Browser", "Relay", "send \"hello\" (5 B)"),
        ("Relay", "Target", "\"hello\" (5 B)"),
        ("Target", "Relay", "\"hello\" (5 B)"),
        ("Relay", "Browser", "\"hello\" (5 B)"),
        ("Browser", "Relay", "close"),
        ("Relay", "Target", "FIN (close)"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(from, to, label)| (from.to_string(), to.to_string(), label.to_string()))
        .collect();
    assert_eq!(described, expected);

    // Tones become classes; arrows carry the arrowhead of their tone.
    assert!(rows[6].class_list().contains("tone-data"));
    assert!(rows[0].class_list().contains("tone-request"));
    assert_eq!(
        attr(&one(&rows[6], "line"), "marker-end"),
        "url(#arrow-tone-data)"
    );
    assert!(root.query_selector("#arrow-tone-data").unwrap().is_some());
    // A mark (the lookup) is a circle on its lane, not an arrow.
    assert!(rows[1].query_selector("line").unwrap().is_none());
    assert_eq!(text(&one(&rows[2], ".time")), "0.010 ms");
    // The column is session time: the browser's own steps have one too.
    assert_eq!(text(&one(&rows[0], ".time")), "0.000 ms");
    // Hover and keyboard focus both tell the timing.
    assert_eq!(attr(&rows[3], "tabindex"), "0");
    let title = text(&one(&rows[3], "title"));
    assert!(
        title.contains("0.140 ms after the operation's previous step"),
        "{title}"
    );
    assert_eq!(attr(&rows[3], "aria-label"), title);

    let lanes: Vec<String> = all(&root, "svg#sequence g.lane")
        .iter()
        .map(|lane| attr(lane, "data-lane-name"))
        .collect();
    assert_eq!(
        lanes,
        ["Browser you", "Relay roundtrip", "Target 127.0.0.1:4000"]
    );

    // The text alternative is the timeline's own description.
    let svg = one(&root, "svg#sequence");
    assert_eq!(attr(&svg, "role"), "img");
    // Nine steps of the trace, ten rows: the echo also reaches the page.
    assert!(attr(&svg, "aria-label").contains("10 steps"));
    assert_eq!(
        text(&one(&root, "#sequence-text")),
        timeline(&trace).describe()
    );
    assert!(text(&one(&root, "#sequence-desc")).contains("Target 127.0.0.1:4000"));
    // The table is there on demand, one row per step.
    assert!(root.query_selector("#sequence-table").unwrap().is_none());
    click(&one(&root, "button#sequence-table-toggle"));
    yew::scheduler::flush().await;
    assert_eq!(all(&root, "#sequence-table tbody tr").len(), 10);
    assert_eq!(
        attr(&one(&root, "button#sequence-table-toggle"), "aria-pressed"),
        "true"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn a_refused_connection_ends_in_an_error_row_and_the_diagram_grows_live() {
    let root = fresh_root();
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::TcpConnect {
        faults: None,
        op: 1,
        target: "127.0.0.1:9".into(),
        connect_timeout_ms: None,
        nodelay: false,
    });
    let mut handle = render(&root, trace.clone());
    yew::scheduler::flush().await;
    assert_eq!(all(&root, "g.row").len(), 1);

    trace.record_server(&event(
        1,
        2,
        EventKind::Connecting {
            addr: "127.0.0.1:9".into(),
        },
    ));
    trace.record_server(&event(
        1,
        90,
        EventKind::Failed {
            error: RelayError::new(ErrorCode::Refused, "connection refused"),
        },
    ));
    handle.update(Props {
        trace: Rc::new(trace),
        cull: true,
        height: 560.0,
        recording: false,
        fit_window: false,
    });
    yew::scheduler::flush().await;

    let rows = all(&root, "g.row");
    assert_eq!(rows.len(), 3);
    let failed = &rows[2];
    assert_eq!(attr(failed, "data-label"), "failed: connection refused");
    assert_eq!(
        (attr(failed, "data-from"), attr(failed, "data-to")),
        ("Relay".to_owned(), "Browser".to_owned())
    );
    assert!(failed.class_list().contains("tone-error"));
    // The target lane names the address the relay tried.
    assert!(text(&one(&root, "g.lane[data-lane=Target]")).contains("127.0.0.1:9"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn ten_thousand_steps_draw_a_window_that_keys_wheel_and_buttons_move() {
    let root = fresh_root();
    let trace = long_trace(10_000);
    let last_step = (trace.steps().len() - 1).to_string();
    let _handle = render(&root, trace);
    yew::scheduler::flush().await;
    let svg = one(&root, "svg#sequence");
    let window = one(&root, ".sequence-window");
    let top = || {
        attr(&one(&root, "svg#sequence"), "data-top")
            .parse::<f64>()
            .unwrap()
    };
    let zoom = || {
        attr(&one(&root, "svg#sequence"), "data-zoom")
            .parse::<f64>()
            .unwrap()
    };
    let follow = || attr(&one(&root, "button#follow-live"), "aria-pressed");

    // Following live: the newest step is drawn, and only a window's worth.
    let rows = all(&root, "svg#sequence g.row");
    assert!(rows.len() < 30, "{} rows drawn", rows.len());
    assert_eq!(
        attr(rows.last().unwrap(), "data-step"),
        last_step,
        "the newest step is in view"
    );
    assert_eq!(follow(), "true");
    assert!(text(&one(&root, "#sequence-status")).ends_with("of 10000"));
    let end = top();

    // Keys: up pans (and stops following), Home and End jump.
    press(&window, "ArrowUp");
    yew::scheduler::flush().await;
    assert!(top() < end);
    assert_eq!(follow(), "false");
    press(&window, "Home");
    yew::scheduler::flush().await;
    assert_eq!(top(), 0.0);
    assert_eq!(attr(&all(&root, "g.row")[0], "data-step"), "0");
    press(&window, "End");
    yew::scheduler::flush().await;
    assert_eq!((top(), follow().as_str()), (end, "true"));

    // The wheel pans; with Ctrl it zooms; + and - zoom too.
    wheel(&svg, -200.0, false);
    yew::scheduler::flush().await;
    assert!(top() < end);
    wheel(&svg, 300.0, true);
    yew::scheduler::flush().await;
    assert!(zoom() < 1.0, "zoomed out to {}", zoom());
    let zoomed = zoom();
    press(&window, "+");
    yew::scheduler::flush().await;
    assert!(zoom() > zoomed);

    // Zoomed all the way out, crowds become "N more" marks, and the
    // number of elements stays small.
    click(&one(&root, "button#zoom-whole"));
    yew::scheduler::flush().await;
    assert_eq!(top(), 0.0);
    let more = all(&root, "svg#sequence g.more");
    assert!(!more.is_empty());
    let merged: usize = more
        .iter()
        .map(|m| attr(m, "data-count").parse::<usize>().unwrap())
        .sum();
    assert_eq!(merged + all(&root, "svg#sequence g.row").len(), 10_000);
    assert!(more.len() + all(&root, "svg#sequence g.row").len() < 80);
    // Clicking one zooms in around it.
    let before = zoom();
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    more[0].dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
    assert!(zoom() > before);
    // So does Enter on a focused one.
    let before = zoom();
    press(&all(&root, "svg#sequence g.more")[0], "Enter");
    yew::scheduler::flush().await;
    assert!(zoom() > before);
    root.remove();
}

#[wasm_bindgen_test]
async fn real_time_scale_has_a_time_axis_and_rows_keep_their_data() {
    let root = fresh_root();
    let _handle = render(&root, echo_trace());
    yew::scheduler::flush().await;
    assert!(all(&root, "svg#sequence .tick").is_empty());
    click(&one(&root, "button#scale-time"));
    yew::scheduler::flush().await;
    let svg = one(&root, "svg#sequence");
    assert!(svg.class_list().contains("is-real-time"));
    assert_eq!(
        attr(&one(&root, "button#scale-time"), "aria-pressed"),
        "true"
    );
    assert!(!all(&root, "svg#sequence .tick").is_empty());
    // The connect and the close are 1.5 s apart: far apart in real time.
    let y_of = |label: &str| {
        all(&root, "svg#sequence g.row")
            .into_iter()
            .find(|r| attr(r, "data-label") == label)
            .map(|r| attr(&one(&r, "line"), "y1").parse::<f64>().unwrap())
    };
    // Follow live shows the end: the FIN is in view.
    assert!(y_of("FIN (close)").is_some());
    click(&one(&root, "button#sequence-start"));
    yew::scheduler::flush().await;
    let connect = y_of("connect tcp-echo").expect("the first step at the start");
    assert!(connect < 120.0);
    root.remove();
}

#[wasm_bindgen_test]
async fn export_buttons_make_files_without_errors() {
    let root = fresh_root();
    let _handle = render(&root, echo_trace());
    yew::scheduler::flush().await;
    // A download cannot be read back from a page; the buttons must at least
    // not report a problem (the Blob, the URL and the link all worked).
    for id in ["button#export-svg", "button#export-mermaid"] {
        click(&one(&root, id));
        yew::scheduler::flush().await;
        assert!(
            root.query_selector(".sequence .error-message")
                .unwrap()
                .is_none(),
            "{id}"
        );
    }
    root.remove();
}

#[wasm_bindgen_test]
async fn a_long_table_opens_a_page_at_a_time() {
    let root = fresh_root();
    let _app = render(&root, long_trace(1_200));
    yew::scheduler::flush().await;
    click(&one(&root, "button#sequence-table-toggle"));
    yew::scheduler::flush().await;
    // The last page first: the newest steps.
    assert_eq!(all(&root, "#sequence-table tbody tr").len(), 200);
    assert_eq!(text(&one(&root, "#table-range")), "steps 1001–1200 of 1200");
    assert!(one(&root, "button#table-next").has_attribute("disabled"));
    click(&one(&root, "button#table-first"));
    yew::scheduler::flush().await;
    assert_eq!(all(&root, "#sequence-table tbody tr").len(), 500);
    assert_eq!(text(&one(&root, "#table-range")), "steps 1–500 of 1200");
    let first = one(&root, "#sequence-table tbody tr td");
    assert_eq!(text(&first), "1");
    click(&one(&root, "button#table-next"));
    yew::scheduler::flush().await;
    assert_eq!(text(&one(&root, "#table-range")), "steps 501–1000 of 1200");
    root.remove();
}

#[wasm_bindgen_test]
async fn idle_time_is_a_labelled_break_on_the_real_time_scale() {
    let root = fresh_root();
    let mut trace = Trace::new();
    let mut at_ms = 0.0;
    for msg in crate::echo_exchange(1) {
        trace.seen_at(at_ms);
        match msg {
            Ok(request) => {
                // The learner waits 3 s before each thing they do.
                at_ms += 3_000.0;
                trace.seen_at(at_ms);
                trace.record_request(&request)
            }
            Err(reply) => trace.record_server(&reply),
        }
    }
    let breaks = timeline(&trace).breaks.len();
    assert!(breaks >= 2, "{breaks}");
    let _app = render(&root, trace);
    yew::scheduler::flush().await;
    assert!(root.query_selector("g.idle-break").unwrap().is_none());
    click(&one(&root, "button#scale-time"));
    yew::scheduler::flush().await;
    let marks = all(&root, "g.idle-break");
    assert!(!marks.is_empty());
    assert!(text(&marks[0]).contains("s idle"), "{}", text(&marks[0]));
    click(&one(&root, "button#sequence-table-toggle"));
    yew::scheduler::flush().await;
    assert_eq!(all(&root, "#sequence-table tr.idle-row").len(), breaks);
    root.remove();
}
