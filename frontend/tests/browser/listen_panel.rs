//! The Listen panel: a port to listen on, and a row per accepted connection
//! with its own line to send and its own Close.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::listen_panel::{ListenPanel, Props};
use roundtrip_frontend::state::Accepted;
use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, OpId};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlInputElement;
use yew::Callback;

use crate::{all, attr, click, fire, fresh_root, one, press, text};

#[wasm_bindgen_test]
async fn listens_and_talks_on_each_connection_separately() {
    let root = fresh_root();
    let asked = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
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
        next_op: 9,
        listener: Some(8),
        on_request: {
            let asked = asked.clone();
            Callback::from(move |msg| asked.borrow_mut().push(msg))
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

    click(&one(&root, "#listen-stop"));
    yew::scheduler::flush().await;

    assert_eq!(
        *asked.borrow(),
        [
            ClientMsg::Send {
                op: 0x8000_0000,
                data: Payload(b"hi client\n".to_vec())
            },
            ClientMsg::Close { op: 0x8000_0000 },
            ClientMsg::TcpListen {
                op: 9,
                port: Some(5000)
            },
            ClientMsg::Close { op: 8 },
        ]
    );
    root.remove();
}
