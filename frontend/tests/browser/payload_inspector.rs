//! The payload inspector: the newest payload first, text / hex / JSON,
//! expected keys, and for HTTPS with wire bytes the TLS records beside the
//! decrypted exchange.

use std::rc::Rc;

use roundtrip_frontend::components::payload_inspector::{PayloadInspector, Props};
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlSelectElement};

use crate::inspect_fixtures::https_exchange;
use crate::{all, click, echo_exchange, fire, fresh_root, one, text};

#[wasm_bindgen_test]
async fn an_https_body_shows_as_json_with_keys_and_the_records_beside_it() {
    let root = fresh_root();
    let mut trace = Trace::new();
    https_exchange(&mut trace, 1, 1);
    yew::Renderer::<PayloadInspector>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
            keys: Default::default(),
        },
    )
    .render();
    yew::scheduler::flush().await;

    // The newest payload is picked: the wire bytes in. Pick the body.
    let labels: Vec<String> = all(&root, "#inspector-pick option")
        .iter()
        .map(text)
        .collect();
    assert_eq!(labels.len(), 4, "{labels:?}");
    assert!(labels[0].contains("HTTP request head"));
    assert!(labels[1].contains("HTTP response body"));
    let pick: HtmlSelectElement = one(&root, "#inspector-pick").dyn_into().unwrap();
    pick.set_value("1");
    fire(&pick, "change");
    yew::scheduler::flush().await;

    assert!(text(&one(&root, "#inspector-json")).contains("\"slideshow\": {"));
    assert_eq!(text(&one(&root, "#inspector-encoding")), "encoding: ASCII");
    assert!(text(&one(&root, ".dir-badge")).contains("target → browser"));
    let keys: HtmlInputElement = one(&root, "#inspector-keys").dyn_into().unwrap();
    keys.set_value("url, slideshow.title, origin");
    fire(&keys, "input");
    yew::scheduler::flush().await;
    let checks: Vec<String> = all(&root, "#inspector-key-checks li")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        checks,
        [
            "✓ url present",
            "✓ slideshow.title present",
            "✗ origin missing"
        ]
    );
    assert_eq!(all(&root, "#inspector-key-checks .key-missing").len(), 1);
    // With a type after a key: the type, and the shape on the way.
    keys.set_value("slideshow.title:number slideshow:object slideshow.title.x");
    fire(&keys, "input");
    yew::scheduler::flush().await;
    let checks: Vec<String> = all(&root, "#inspector-key-checks li")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        checks,
        [
            "✗ slideshow.title should be a number, got a string",
            "✓ slideshow is an object",
            "✗ slideshow.title.x cannot be read: slideshow.title should be an object, got a string"
        ]
    );

    click(&one(&root, "#inspector-tab-hex"));
    yew::scheduler::flush().await;
    let first = text(&one(&root, "#inspector-hex .hex-line"));
    assert!(first.starts_with("00000000: 7b22 7572 6c22"), "{first}");

    let records: Vec<String> = all(&root, "#inspector-tls-records .record-type")
        .iter()
        .map(text)
        .collect();
    // In the order they crossed: hello out, hello back, request, response.
    assert_eq!(
        records,
        [
            "handshake",
            "handshake",
            "application_data",
            "application_data"
        ]
    );
    let arrows: Vec<String> = all(&root, "#inspector-tls-records .arrow")
        .iter()
        .map(text)
        .collect();
    assert_eq!(arrows, ["→", "←", "→", "←"]);
    assert!(text(&one(&root, "#inspector-tls-records")).contains("ClientHello"));
    assert!(text(&one(&root, "#inspector-http-request")).starts_with("GET /json HTTP/1.1\nhost:"));
    assert!(
        text(&one(&root, "#inspector-http-response"))
            .starts_with("HTTP/1.1 200 OK\ncontent-type: application/json")
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn tcp_bytes_that_are_not_utf8_are_marked() {
    let root = fresh_root();
    let mut trace = Trace::new();
    for msg in echo_exchange(1) {
        match msg {
            Ok(request) => trace.record_request(&request),
            Err(reply) => trace.record_server(&reply),
        }
    }
    trace.record_server(&roundtrip_shared::protocol::ServerMsg::Data {
        op: 1,
        t_us: 3_000,
        data: roundtrip_shared::payload::Payload(vec![b'o', b'k', 0xff]),
    });
    yew::Renderer::<PayloadInspector>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
            keys: Default::default(),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(all(&root, "#inspector-pick option").len(), 3);
    assert_eq!(text(&one(&root, "#inspector-text")), "ok\\xff");
    assert_eq!(
        text(&one(&root, "#inspector-text mark.invalid-bytes")),
        "\\xff"
    );
    assert_eq!(
        text(&one(&root, "#inspector-encoding")),
        "encoding: not UTF-8 (1 invalid byte)"
    );
    assert!(one(&root, "#inspector-tab-json").has_attribute("disabled"));
    assert!(root.query_selector("#inspector-http").unwrap().is_none());
    root.remove();

    let root = fresh_root();
    yew::Renderer::<PayloadInspector>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(Trace::new()),
            keys: Default::default(),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert!(text(&one(&root, "#inspector-empty")).contains("No payloads"));
    root.remove();
}
