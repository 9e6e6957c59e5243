//! The target picker as the end-to-end test and a person use it.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::connect_panel::{ConnectPanel, Props};
use roundtrip_shared::protocol::ClientMsg;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::Callback;

use crate::{all, attr, click, echo_service, fire, fresh_root, one, text};

#[wasm_bindgen_test]
async fn picks_the_first_service_by_default_and_switches_to_custom_when_typing() {
    let root = fresh_root();
    let connected_to = Rc::new(RefCell::new(Vec::<String>::new()));
    let shutdowns = Rc::new(RefCell::new(Vec::new()));
    let on_request = {
        let connected_to = connected_to.clone();
        let shutdowns = shutdowns.clone();
        Callback::from(move |msg: ClientMsg| match msg {
            ClientMsg::TcpConnect {
                op: 7,
                target,
                nodelay,
                ..
            } => connected_to.borrow_mut().push(if nodelay {
                format!("{target} (nodelay)")
            } else {
                target
            }),
            ClientMsg::Shutdown { op } => shutdowns.borrow_mut().push(op),
            other => panic!("unexpected {other:?}"),
        })
    };
    yew::Renderer::<ConnectPanel>::with_root_and_props(
        root.clone(),
        Props {
            preset: Default::default(),
            services: vec![echo_service()],
            can_connect: true,
            can_close: false,
            can_shutdown: true,
            next_op: 7,
            on_request,
            connections: Vec::new(),
            current: Some(1),
            on_select: Callback::noop(),
        },
    )
    .render();
    yew::scheduler::flush().await;

    let options: Vec<(String, String)> = all(&root, "select#target-preset option")
        .iter()
        .map(|option| (attr(option, "value"), text(option)))
        .collect();
    assert_eq!(
        options,
        [
            ("tcp-echo".to_owned(), "TCP echo (built-in)".to_owned()),
            ("custom".to_owned(), "Custom host:port".to_owned())
        ]
    );
    let select: HtmlSelectElement = one(&root, "#target-preset").dyn_into().unwrap();
    assert_eq!(select.value(), "tcp-echo");
    assert!(one(&root, "button#close").has_attribute("disabled"));

    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    assert_eq!(*connected_to.borrow(), ["tcp-echo"]);

    // Choosing custom and typing sends the typed address.
    select.set_value("custom");
    fire(&select, "change");
    let target: HtmlInputElement = one(&root, "input#target").dyn_into().unwrap();
    target.set_value(" 127.0.0.1:9 ");
    fire(&target, "input");
    yew::scheduler::flush().await;
    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    assert_eq!(*connected_to.borrow(), ["tcp-echo", "127.0.0.1:9"]);

    // Back to the service, then typing again switches the list by itself.
    select.set_value("tcp-echo");
    fire(&select, "change");
    yew::scheduler::flush().await;
    target.set_value("localhost:7");
    fire(&target, "input");
    yew::scheduler::flush().await;
    assert_eq!(select.value(), "custom");
    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    assert_eq!(
        *connected_to.borrow(),
        ["tcp-echo", "127.0.0.1:9", "localhost:7"]
    );

    // TCP_NODELAY rides along with the connect; Shutdown has its button.
    let nodelay: HtmlInputElement = one(&root, "input#nodelay").dyn_into().unwrap();
    assert!(!nodelay.checked());
    nodelay.set_checked(true);
    fire(&nodelay, "change");
    yew::scheduler::flush().await;
    click(&one(&root, "button#connect"));
    yew::scheduler::flush().await;
    assert_eq!(
        connected_to.borrow().last().map(String::as_str),
        Some("localhost:7 (nodelay)")
    );
    click(&one(&root, "button#shutdown"));
    yew::scheduler::flush().await;
    assert_eq!(
        *shutdowns.borrow(),
        [1],
        "Shutdown acts on the current connection"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn with_two_connections_open_the_learner_picks_which_one_to_act_on() {
    use roundtrip_frontend::state::Connection;
    let root = fresh_root();
    let picked = Rc::new(RefCell::new(Vec::new()));
    let connection = |op: u32| Connection {
        op,
        label: format!("#{op} tcp-chat · connected"),
    };
    yew::Renderer::<ConnectPanel>::with_root_and_props(
        root.clone(),
        Props {
            preset: None,
            services: vec![echo_service()],
            can_connect: true,
            can_close: true,
            can_shutdown: true,
            next_op: 3,
            on_request: Callback::noop(),
            connections: vec![connection(1), connection(2)],
            current: Some(2),
            on_select: {
                let picked = picked.clone();
                Callback::from(move |op| picked.borrow_mut().push(op))
            },
        },
    )
    .render();
    yew::scheduler::flush().await;
    // A connection is open: Connect opens another beside it.
    assert_eq!(text(&one(&root, "button#connect")), "Connect another");
    let pick: HtmlSelectElement = one(&root, "select#connection-pick").unchecked_into();
    let options: Vec<String> = all(&root, "#connection-pick option")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        options,
        ["#1 tcp-chat · connected", "#2 tcp-chat · connected"]
    );
    assert_eq!(pick.value(), "2", "the current connection is shown");
    pick.set_value("1");
    fire(&pick, "change");
    assert_eq!(*picked.borrow(), [1]);
    root.remove();
}
