//! The UDP panel: opening with the options, sending, and the datagram list.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::udp_panel::{Props, UdpOpenRequest, UdpPanel};
use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::protocol::Service;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::Callback;

use crate::{all, click, fire, fresh_root, one, text};

#[derive(Default)]
struct Heard {
    opened: Vec<UdpOpenRequest>,
    sent: Vec<Vec<u8>>,
    sent_to: Vec<(String, Vec<u8>)>,
}

fn props(heard: &Rc<RefCell<Heard>>) -> Props {
    let (a, b, c) = (heard.clone(), heard.clone(), heard.clone());
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
        on_open: Callback::from(move |r| a.borrow_mut().opened.push(r)),
        on_send: Callback::from(move |d| b.borrow_mut().sent.push(d)),
        on_send_to: Callback::from(move |d| c.borrow_mut().sent_to.push(d)),
        on_close: Callback::noop(),
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
            UdpOpenRequest {
                faults: None,
                target: Some("udp-echo".into()),
                bind_port: Some(5000),
                recv_timeout_ms: Some(1500),
            },
            UdpOpenRequest {
                faults: None,
                target: None,
                bind_port: None,
                recv_timeout_ms: Some(1500),
            }
        ]
    );
    assert_eq!(heard.sent, [b"ping".to_vec()]);
    assert_eq!(
        heard.sent_to,
        [("127.0.0.1:9".to_owned(), b"ping".to_vec())]
    );
    root.remove();
}
