//! The Listen panel: a port to listen on, and a row per accepted connection
//! with its own line to send and its own Close.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::listen_panel::{ListenPanel, Props};
use roundtrip_frontend::state::Accepted;
use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::protocol::OpId;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlInputElement;
use yew::Callback;

use crate::{all, attr, click, fire, fresh_root, one, press, text};

#[wasm_bindgen_test]
async fn listens_and_talks_on_each_connection_separately() {
    let root = fresh_root();
    let listened = Rc::new(RefCell::new(Vec::<Option<u16>>::new()));
    let sent = Rc::new(RefCell::new(Vec::<(OpId, Vec<u8>)>::new()));
    let closed = Rc::new(RefCell::new(Vec::<OpId>::new()));
    let conn = |op: OpId, peer: &str, state| Accepted {
        op,
        peer: peer.into(),
        state,
        received: b"hello\n".to_vec(),
        can_send: state == SocketState::Connected,
        can_close: state == SocketState::Connected,
    };
    let props = Props {
        can_listen: true,
        can_stop: true,
        state: SocketState::Listening,
        listening_on: Some("127.0.0.1:5000".into()),
        connections: vec![
            conn(0x8000_0000, "127.0.0.1:40000", SocketState::Connected),
            conn(0x8000_0001, "127.0.0.1:40001", SocketState::Closed),
        ],
        on_listen: {
            let listened = listened.clone();
            Callback::from(move |port| listened.borrow_mut().push(port))
        },
        on_stop: Callback::noop(),
        on_conn_send: {
            let sent = sent.clone();
            Callback::from(move |sent_now| sent.borrow_mut().push(sent_now))
        },
        on_conn_close: {
            let closed = closed.clone();
            Callback::from(move |op| closed.borrow_mut().push(op))
        },
    };
    yew::Renderer::<ListenPanel>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert_eq!(text(&one(&root, "#listen-state")), "listening");
    assert_eq!(text(&one(&root, "#listen-addr")), "127.0.0.1:5000");
    let rows = all(&root, "#accepted li.conn");
    assert_eq!(rows.len(), 2);
    assert_eq!(attr(&rows[0], "data-op"), "2147483648");
    assert_eq!(text(&one(&rows[0], ".conn-peer")), "127.0.0.1:40000");
    assert_eq!(text(&one(&rows[0], ".conn-state")), "connected");
    assert_eq!(text(&one(&rows[0], ".conn-received")), "hello\n");
    assert!(one(&rows[1], ".conn-send").has_attribute("disabled"));
    assert!(one(&rows[1], ".conn-close").has_attribute("disabled"));

    let input: HtmlInputElement = one(&rows[0], ".conn-message").dyn_into().unwrap();
    input.set_value("hi client");
    fire(&input, "input");
    yew::scheduler::flush().await;
    press(&input, "Enter");
    yew::scheduler::flush().await;
    assert_eq!(input.value(), "");
    click(&one(&rows[0], ".conn-close"));

    let port: HtmlInputElement = one(&root, "#listen-port").dyn_into().unwrap();
    port.set_value("5000");
    fire(&port, "input");
    yew::scheduler::flush().await;
    click(&one(&root, "#listen"));
    yew::scheduler::flush().await;

    assert_eq!(*sent.borrow(), [(0x8000_0000, b"hi client\n".to_vec())]);
    assert_eq!(*closed.borrow(), [0x8000_0000]);
    assert_eq!(*listened.borrow(), [Some(5000)]);
    root.remove();
}
