use std::rc::Rc;

use roundtrip_frontend::components::sequence_diagram::{Props, SequenceDiagram};
use roundtrip_shared::diagram::{Options, layout};
use roundtrip_shared::protocol::{ClientMsg, ErrorCode, EventKind, RelayError};
use roundtrip_shared::trace::Trace;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::{all, attr, echo_trace, event, fresh_root, one, text};

#[wasm_bindgen_test]
async fn echo_exchange_draws_one_labelled_row_per_step() {
    let root = fresh_root();
    let trace = Rc::new(echo_trace());
    yew::Renderer::<SequenceDiagram>::with_root_and_props(
        root.clone(),
        Props {
            trace: trace.clone(),
        },
    )
    .render();
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
        ("Target", "Relay", "SYN-ACK (connected)"),
        ("Browser", "Relay", "send \"hello\" (5 B)"),
        ("Relay", "Target", "\"hello\" (5 B)"),
        ("Target", "Relay", "\"hello\" (5 B)"),
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
    assert_eq!(text(&one(&rows[0], ".time")), "");

    let lanes: Vec<String> = all(&root, "svg#sequence g.lane")
        .iter()
        .map(|lane| attr(lane, "data-lane"))
        .collect();
    assert_eq!(lanes, ["Browser", "Relay", "Target"]);

    // The text alternative is the layout's own description.
    let svg = one(&root, "svg#sequence");
    assert_eq!(attr(&svg, "role"), "img");
    assert!(attr(&svg, "aria-label").contains("9 steps"));
    assert_eq!(
        text(&one(&root, "#sequence-text")),
        layout(&trace, Options::default()).describe()
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
    let mut handle = yew::Renderer::<SequenceDiagram>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace.clone()),
        },
    )
    .render();
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
