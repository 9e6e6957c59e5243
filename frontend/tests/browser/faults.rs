//! "Faults (lab only)" in the TCP, UDP and HTTP panels: what is typed rides
//! along with the next request; what does not parse holds the request back
//! and says why.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::connect_panel::{self, ConnectPanel};
use roundtrip_frontend::components::http_panel::{self, HttpPanel};
use roundtrip_frontend::components::udp_panel::{self, UdpPanel};
use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::protocol::{ClientMsg, Faults, Service};
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlInputElement};
use yew::Callback;

use crate::{all, click, echo_service, fire, fresh_root, one, text};

async fn type_into(root: &Element, css: &str, value: &str) {
    let input: HtmlInputElement = one(root, css).dyn_into().unwrap();
    input.set_value(value);
    fire(&input, "input");
    yew::scheduler::flush().await;
}

fn service(name: &str, protocol: &str) -> Service {
    Service {
        name: name.into(),
        label: name.into(),
        protocol: protocol.into(),
        addr: "127.0.0.1:4000".into(),
    }
}

#[wasm_bindgen_test]
async fn the_tcp_panel_sends_its_faults_with_the_connect() {
    let root = fresh_root();
    let asked = Rc::new(RefCell::new(Vec::<Option<Faults>>::new()));
    let on_request = {
        let asked = asked.clone();
        Callback::from(move |msg| match msg {
            ClientMsg::TcpConnect { faults, .. } => asked.borrow_mut().push(faults),
            other => panic!("unexpected {other:?}"),
        })
    };
    yew::Renderer::<ConnectPanel>::with_root_and_props(
        root.clone(),
        connect_panel::Props {
            preset: None,
            services: vec![echo_service()],
            can_connect: true,
            can_close: false,
            can_shutdown: false,
            next_op: 1,
            on_request,
            connections: Vec::new(),
            current: None,
            on_select: Callback::noop(),
        },
    )
    .render();
    yew::scheduler::flush().await;

    assert_eq!(
        text(&one(&root, "#tcp-faults summary")),
        "Faults (lab only)"
    );
    // TCP takes no drops: only latency, reset and a slow reader.
    let ids: Vec<String> = all(&root, "#tcp-faults input")
        .iter()
        .map(Element::id)
        .collect();
    assert_eq!(
        ids,
        ["tcp-fault-latency", "tcp-fault-reset", "tcp-fault-rate"]
    );

    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    type_into(&root, "#tcp-fault-reset", "5").await;
    type_into(&root, "#tcp-fault-latency", "200").await;
    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    let faults: Vec<Option<Faults>> = asked.borrow().clone();
    assert_eq!(
        faults,
        [
            None,
            Some(Faults {
                latency_ms: Some(200),
                reset_after_bytes: Some(5),
                ..Faults::default()
            })
        ]
    );

    type_into(&root, "#tcp-fault-rate", "fast").await;
    assert!(one(&root, "button#connect").has_attribute("disabled"));
    assert!(text(&one(&root, "#tcp-faults-problem")).contains("fast"));
    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    assert_eq!(
        asked.borrow().len(),
        2,
        "nothing sent while a field is wrong"
    );
    type_into(&root, "#tcp-fault-rate", "").await;
    assert!(!one(&root, "button#connect").has_attribute("disabled"));
    root.remove();
}

#[wasm_bindgen_test]
async fn the_udp_panel_sends_drops_with_the_open() {
    let root = fresh_root();
    let opened = Rc::new(RefCell::new(Vec::<Option<Faults>>::new()));
    let on_request = {
        let opened = opened.clone();
        Callback::from(move |msg| match msg {
            ClientMsg::UdpOpen { faults, .. } => opened.borrow_mut().push(faults),
            other => panic!("unexpected {other:?}"),
        })
    };
    yew::Renderer::<UdpPanel>::with_root_and_props(
        root.clone(),
        udp_panel::Props {
            preset: None,
            services: vec![service("udp-echo", "udp")],
            can_open: true,
            can_close: false,
            can_send: false,
            can_send_to: false,
            state: SocketState::Idle,
            addresses: None,
            datagrams: vec![],
            next_op: 1,
            op: None,
            on_request,
        },
    )
    .render();
    yew::scheduler::flush().await;

    let ids: Vec<String> = all(&root, "#udp-faults input")
        .iter()
        .map(Element::id)
        .collect();
    assert_eq!(
        ids,
        ["udp-fault-latency", "udp-fault-drop", "udp-fault-seed"]
    );
    type_into(&root, "#udp-fault-drop", "150").await;
    assert!(one(&root, "#udp-open").has_attribute("disabled"));
    type_into(&root, "#udp-fault-drop", "30").await;
    type_into(&root, "#udp-fault-seed", "42").await;
    click(&one(&root, "#udp-open"));
    yew::scheduler::flush().await;
    assert_eq!(
        opened.borrow().last().copied().flatten(),
        Some(Faults {
            drop_percent: Some(30),
            drop_seed: Some(42),
            ..Faults::default()
        })
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn the_http_panel_sends_its_faults_with_the_request() {
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    yew::Renderer::<HttpPanel>::with_root_and_props(
        root.clone(),
        http_panel::Props {
            preset: None,
            services: vec![service("http-lab", "http")],
            trace: Rc::new(Trace::new()),
            next_op: 3,
            can_request: true,
            on_request,
        },
    )
    .render();
    yew::scheduler::flush().await;

    type_into(&root, "#http-fault-latency", "300").await;
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;
    let faults = match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => request.faults,
        other => panic!("expected one http_request, got {other:?}"),
    };
    assert_eq!(
        faults,
        Some(Faults {
            latency_ms: Some(300),
            ..Faults::default()
        })
    );
    // A wrong value is the panel's problem line, and nothing is sent.
    type_into(&root, "#http-fault-reset", "lots").await;
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;
    assert_eq!(sent.borrow().len(), 1);
    assert!(text(&one(&root, "#http-problem")).contains("lots"));
    root.remove();
}
