//! The UDP panel: opening with the options, sending, and the datagram list.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::udp_panel::{Props, UdpPanel};
use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, Service};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::Callback;

use crate::{all, click, fire, fresh_root, one, text};

#[derive(Default)]
struct Heard {
    opened: Vec<ClientMsg>,
    sent: Vec<ClientMsg>,
}

/// The open socket is op 3; the next one would be op 4.
fn props(heard: &Rc<RefCell<Heard>>) -> Props {
    let heard = heard.clone();
    Props {
        preset: Default::default(),
        services: vec![Service {
            name: "udp-echo".into(),
            label: "UDP echo (built-in)".into(),
            protocol: "udp".into(),
            addr: "127.0.0.1:4001".into(),
        }],
        can_open: true,
        can_close: true,
        can_send: true,
        can_send_to: true,
        state: SocketState::Bound,
        addresses: Some(("127.0.0.1:5000".into(), Some("127.0.0.1:4001".into()))),
        datagrams: vec![
            ("127.0.0.1:4001".into(), b"one".to_vec()),
            ("127.0.0.1:9999".into(), vec![0xff, b'!']),
        ],
        next_op: 4,
        op: Some(3),
        on_request: Callback::from(move |msg| {
            let mut heard = heard.borrow_mut();
            match msg {
                ClientMsg::UdpOpen { .. } => heard.opened.push(msg),
                _ => heard.sent.push(msg),
            }
        }),
    }
}

async fn type_into(root: &web_sys::Element, css: &str, value: &str) {
    let input: HtmlInputElement = one(root, css).dyn_into().unwrap();
    input.set_value(value);
    fire(&input, "input");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn opens_with_its_options_sends_and_lists_datagrams_with_their_source() {
    let root = fresh_root();
    let heard = Rc::new(RefCell::new(Heard::default()));
    yew::Renderer::<UdpPanel>::with_root_and_props(root.clone(), props(&heard)).render();
    yew::scheduler::flush().await;

    let select: HtmlSelectElement = one(&root, "#udp-target-preset").dyn_into().unwrap();
    assert_eq!(select.value(), "udp-echo");
    assert_eq!(text(&one(&root, "#udp-state")), "bound");
    assert_eq!(
        text(&one(&root, "#udp-where")),
        "127.0.0.1:5000 → 127.0.0.1:4001"
    );
    let rows: Vec<(String, String)> = all(&root, "#udp-datagrams li.datagram")
        .iter()
        .map(|li| {
            (
                text(&one(li, ".datagram-from")),
                text(&one(li, ".datagram-data")),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("127.0.0.1:4001".to_owned(), "\"one\"".to_owned()),
            ("127.0.0.1:9999".to_owned(), "\"\\xff!\"".to_owned())
        ]
    );

    type_into(&root, "#udp-bind-port", "5000").await;
    type_into(&root, "#udp-timeout", "1500").await;
    click(&one(&root, "#udp-open"));
    yew::scheduler::flush().await;
    // A port that is no port disables Open.
    type_into(&root, "#udp-bind-port", "70000").await;
    assert!(one(&root, "#udp-open").has_attribute("disabled"));
    type_into(&root, "#udp-bind-port", "").await;
    select.set_value("none");
    fire(&select, "change");
    yew::scheduler::flush().await;
    click(&one(&root, "#udp-open"));
    yew::scheduler::flush().await;

    type_into(&root, "#udp-message", "ping").await;
    click(&one(&root, "#udp-send"));
    type_into(&root, "#udp-to", " 127.0.0.1:9 ").await;
    click(&one(&root, "#udp-send-to"));
    yew::scheduler::flush().await;

    let heard = heard.borrow();
    assert_eq!(
        heard.opened,
        [
            ClientMsg::UdpOpen {
                op: 4,
                faults: None,
                target: Some("udp-echo".into()),
                bind_port: Some(5000),
                recv_timeout_ms: Some(1500),
            },
            ClientMsg::UdpOpen {
                op: 4,
                faults: None,
                target: None,
                bind_port: None,
                recv_timeout_ms: Some(1500),
            }
        ]
    );
    assert_eq!(
        heard.sent,
        [
            ClientMsg::Send {
                op: 3,
                data: Payload(b"ping".to_vec())
            },
            ClientMsg::SendTo {
                op: 3,
                target: "127.0.0.1:9".into(),
                data: Payload(b"ping".to_vec())
            }
        ]
    );
    root.remove();
}
