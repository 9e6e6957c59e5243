//! Browser tests: the components rendered by yew in headless Chromium.
//!
//! Run with `wasm-bindgen-test-runner` as the wasm32 runner (see
//! TOOLCHAIN.md). Every test renders into its own element and queries only
//! inside it, so tests do not see each other's DOM.

#![cfg(target_arch = "wasm32")]

use roundtrip_shared::protocol::{ClientMsg, ServerMsg};
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

mod app;
mod bench;
mod connect_panel;
mod dns_panel;
mod dns_view;
mod error_list;
mod faults;
mod http_panel;
mod inspect_fixtures;
mod lifecycle_view;
mod listen_panel;
mod message_panel;
mod payload_inspector;
mod relay_socket;
mod replay;
mod retry_view;
mod sequence_diagram;
mod udp_panel;
mod waterfall_view;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A new, empty element at the end of the body to render one test into.
pub fn fresh_root() -> Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    root
}

pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into::<Element>().unwrap())
        .collect()
}

pub fn one(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

pub fn attr(element: &Element, name: &str) -> String {
    element
        .get_attribute(name)
        .unwrap_or_else(|| panic!("no attribute {name} on <{}>", element.tag_name()))
}

pub fn text(element: &Element) -> String {
    element.text_content().unwrap_or_default()
}

pub fn click(element: &Element) {
    element.dyn_ref::<HtmlElement>().unwrap().click();
}

/// Fires `kind` the way a browser does for a person: bubbling, because yew
/// listens at the root of the app, not on each element.
pub fn fire(element: &Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

/// Presses `key` in `element`, as `keydown`.
pub fn press(element: &Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_key(key);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

pub use roundtrip_shared::testing::fixtures::{echo_service, event};

/// The messages of one echo exchange on `op`, in the order the page sees
/// them: `Ok` went to the relay, `Err` came from it.
pub fn echo_exchange(op: u32) -> Vec<Result<ClientMsg, ServerMsg>> {
    roundtrip_shared::testing::fixtures::echo_exchange(op)
        .into_iter()
        .map(|msg| match msg {
            roundtrip_shared::recording::Message::Out(request) => Ok(request),
            roundtrip_shared::recording::Message::In(reply) => Err(reply),
        })
        .collect()
}

pub fn echo_trace() -> Trace {
    roundtrip_shared::testing::fixtures::TraceBuilder::new()
        .messages(roundtrip_shared::testing::fixtures::echo_exchange(1))
        .build()
}
