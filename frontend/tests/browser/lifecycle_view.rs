use std::rc::Rc;

use roundtrip_frontend::components::lifecycle_view::{LifecycleView, Props};
use roundtrip_shared::protocol::{ClientMsg, ErrorCode, EventKind, RelayError};
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::{all, attr, echo_trace, event, fire, fresh_root, one, text};

/// The echo connection (op 1, closed) and a refused one (op 2).
fn two_sockets() -> Trace {
    let mut trace = echo_trace();
    trace.record_request(&ClientMsg::TcpConnect {
        faults: None,
        op: 2,
        target: "127.0.0.1:9".into(),
        connect_timeout_ms: None,
        nodelay: false,
    });
    trace.record_server(&event(
        2,
        2,
        EventKind::Connecting {
            addr: "127.0.0.1:9".into(),
        },
    ));
    trace.record_server(&event(
        2,
        90,
        EventKind::Failed {
            error: RelayError::new(ErrorCode::Refused, "connection refused"),
        },
    ));
    trace
}

#[wasm_bindgen_test]
async fn the_graph_lights_the_path_and_the_calls_made() {
    let root = fresh_root();
    yew::Renderer::<LifecycleView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(two_sockets()),
            current: Some(1),
            cut_off: false,
        },
    )
    .render();
    yew::scheduler::flush().await;

    assert_eq!(text(&one(&root, "#socket-state")), "closed");
    assert_eq!(text(&one(&root, "#socket-call")), "close()");
    let visited: Vec<String> = all(&root, "#lifecycle-graph g.state.is-visited")
        .iter()
        .map(|g| attr(g, "data-state"))
        .collect();
    assert_eq!(visited, ["created", "connecting", "connected", "closed"]);
    let current = one(&root, "#lifecycle-graph g.state.is-current");
    assert_eq!(attr(&current, "data-state"), "closed");
    let taken: Vec<(String, String)> = all(&root, "#lifecycle-graph path.edge.is-taken")
        .iter()
        .map(|p| (attr(p, "data-from"), attr(p, "data-to")))
        .collect();
    assert_eq!(
        taken,
        [
            ("idle".to_owned(), "connecting".to_owned()),
            ("connecting".to_owned(), "connected".to_owned()),
            ("connected".to_owned(), "closed".to_owned()),
        ]
    );
    let made: Vec<String> = all(&root, "#socket-calls li.is-made")
        .iter()
        .map(|li| attr(li, "data-call"))
        .collect();
    assert_eq!(
        made,
        ["socket()", "connect()", "send()", "recv()", "close()"]
    );

    // Another operation, chosen: the refused one, its error state lit.
    let select = one(&root, "select#lifecycle-op");
    select
        .dyn_ref::<web_sys::HtmlSelectElement>()
        .unwrap()
        .set_value("2");
    fire(&select, "change");
    yew::scheduler::flush().await;
    assert_eq!(text(&one(&root, "#socket-state")), "refused");
    let current = one(&root, "#lifecycle-graph g.state.is-current");
    assert_eq!(attr(&current, "data-state"), "refused");
    assert!(current.class_list().contains("tone-error"));
    assert!(text(&one(&root, "#lifecycle-heading")).contains("(op 2)"));
    root.remove();
}

#[wasm_bindgen_test]
async fn a_udp_socket_and_a_listener_draw_their_own_machines() {
    let root = fresh_root();
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::UdpOpen {
        faults: None,
        op: 3,
        target: Some("udp-echo".into()),
        bind_port: None,
        recv_timeout_ms: None,
    });
    trace.record_server(&event(
        3,
        4,
        EventKind::Bound {
            local: "127.0.0.1:5000".into(),
            remote: Some("127.0.0.1:4001".into()),
        },
    ));
    trace.record_server(&event(
        3,
        9,
        EventKind::DatagramSent {
            to: "127.0.0.1:4001".into(),
            bytes: 4,
        },
    ));
    yew::Renderer::<LifecycleView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
            current: None,
            cut_off: false,
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert!(text(&one(&root, "#lifecycle-heading")).contains("UDP socket"));
    let states: Vec<String> = all(&root, "#lifecycle-graph g.state")
        .iter()
        .map(|g| attr(g, "data-state"))
        .collect();
    assert_eq!(states, ["created", "bound", "failed", "closed"]);
    let bound = one(&root, "#lifecycle-graph g.state.is-current");
    assert!(
        text(&bound).contains("1 sent, 0 received"),
        "{}",
        text(&bound)
    );
    root.remove();
}
