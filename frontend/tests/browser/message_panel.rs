//! Typing and sending a message; what came back.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::message_panel::{MessagePanel, Props};
use roundtrip_frontend::state::Held;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::Callback;

use crate::{click, fire, fresh_root, one, press, text};

fn props(can_send: bool, sent: &Rc<RefCell<Vec<Vec<u8>>>>) -> Props {
    let sent = sent.clone();
    Props {
        preset: Default::default(),
        can_send,
        received: "hello\u{fffd}".into(),
        received_bytes: 6,
        received_earlier: false,
        on_send: Callback::from(move |bytes| sent.borrow_mut().push(bytes)),
        waiting: Held::default(),
    }
}

#[wasm_bindgen_test]
async fn bytes_waiting_to_be_sent_are_shown_while_there_are_any() {
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::new()));
    let mut waiting = props(true, &sent);
    waiting.waiting = Held {
        bytes: 300 * 1024,
        shutdown: true,
    };
    yew::Renderer::<MessagePanel>::with_root_and_props(root.clone(), waiting).render();
    yew::scheduler::flush().await;
    let note = text(&one(&root, "#send-waiting"));
    assert!(note.starts_with("300 KiB waiting to be sent"), "{note}");
    assert!(
        note.ends_with("The shutdown (FIN) goes after them."),
        "{note}"
    );

    let root = fresh_root();
    yew::Renderer::<MessagePanel>::with_root_and_props(root.clone(), props(true, &sent)).render();
    yew::scheduler::flush().await;
    assert!(root.query_selector("#send-waiting").unwrap().is_none());
}

async fn type_text(input: &HtmlInputElement, value: &str) {
    input.set_value(value);
    fire(input, "input");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn send_writes_the_text_with_the_chosen_line_ending_and_clears_the_box() {
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::new()));
    yew::Renderer::<MessagePanel>::with_root_and_props(root.clone(), props(true, &sent)).render();
    yew::scheduler::flush().await;

    assert_eq!(text(&one(&root, "pre#received")), "hello\u{fffd}");
    assert!(text(&root).contains("(6 bytes)"));
    let ending: HtmlSelectElement = one(&root, "#line-ending").dyn_into().unwrap();
    assert_eq!(ending.value(), "none", "nothing is appended unless asked");

    let input: HtmlInputElement = one(&root, "input#message").dyn_into().unwrap();
    type_text(&input, "hello").await;
    click(&one(&root, "button#send"));
    yew::scheduler::flush().await;
    assert_eq!(*sent.borrow(), [b"hello".to_vec()]);
    assert_eq!(input.value(), "", "the box is ready for the next message");

    ending.set_value("crlf");
    fire(&ending, "change");
    type_text(&input, "PING").await;
    press(&input, "Enter");
    yew::scheduler::flush().await;
    assert_eq!(sent.borrow()[1], b"PING\r\n");

    // An empty box sends nothing: TCP has no zero-byte message.
    ending.set_value("none");
    fire(&ending, "change");
    yew::scheduler::flush().await;
    press(&input, "Enter");
    yew::scheduler::flush().await;
    assert_eq!(sent.borrow().len(), 2);
    root.remove();
}

#[wasm_bindgen_test]
async fn nothing_is_sent_while_the_socket_is_not_open() {
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::new()));
    yew::Renderer::<MessagePanel>::with_root_and_props(root.clone(), props(false, &sent)).render();
    yew::scheduler::flush().await;
    assert!(one(&root, "button#send").has_attribute("disabled"));
    let input: HtmlInputElement = one(&root, "input#message").dyn_into().unwrap();
    type_text(&input, "early").await;
    press(&input, "Enter");
    yew::scheduler::flush().await;
    assert!(sent.borrow().is_empty());
    assert_eq!(input.value(), "early", "the text waits for the connection");
    root.remove();
}
