//! The HTTP panel: the form becomes an `http_request`, and the answer in
//! the trace becomes a status line, headers, a pretty body and timings.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::http_panel::{HttpPanel, Props, parse_headers};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, Closer, EventKind, HttpRequest, HttpTimings, ServerMsg, Service,
};
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::Callback;

use crate::{click, event, fire, fresh_root, one, text};

fn http_lab() -> Service {
    Service {
        name: "http-lab".into(),
        label: "HTTP lab (built-in)".into(),
        protocol: "http".into(),
        addr: "127.0.0.1:4100".into(),
    }
}

#[wasm_bindgen_test]
async fn the_form_sends_a_request_and_the_answer_shows_with_timings() {
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    let props = |trace: Trace, on_request: Callback<ClientMsg>| Props {
        services: vec![http_lab()],
        trace: Rc::new(trace),
        next_op: 7,
        can_request: true,
        on_request,
    };
    let mut app = yew::Renderer::<HttpPanel>::with_root_and_props(
        root.clone(),
        props(Trace::new(), on_request.clone()),
    )
    .render();
    yew::scheduler::flush().await;

    let url: HtmlInputElement = one(&root, "#http-url").dyn_into().unwrap();
    assert_eq!(url.value(), "http://127.0.0.1:4100/json");

    let headers: HtmlTextAreaElement = one(&root, "#http-headers").dyn_into().unwrap();
    headers.set_value("X-Lesson: 1\n\nAccept: application/json");
    fire(&headers, "input");
    let body: HtmlTextAreaElement = one(&root, "#http-body").dyn_into().unwrap();
    body.set_value("{\"a\":1}");
    fire(&body, "input");
    let json: HtmlInputElement = one(&root, "#http-json").dyn_into().unwrap();
    json.set_checked(true);
    fire(&json, "change");
    let redirects: HtmlInputElement = one(&root, "#http-redirects").dyn_into().unwrap();
    redirects.set_value("3");
    fire(&redirects, "input");
    let total: HtmlInputElement = one(&root, "#http-total-ms").dyn_into().unwrap();
    total.set_value("5000");
    fire(&total, "input");
    yew::scheduler::flush().await;
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;

    let request = match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => request.clone(),
        other => panic!("expected one http_request, got {other:?}"),
    };
    assert_eq!(
        request,
        HttpRequest {
            faults: None,
            op: 7,
            method: "GET".into(),
            url: "http://127.0.0.1:4100/json".into(),
            headers: vec![
                ("X-Lesson".into(), "1".into()),
                ("Accept".into(), "application/json".into())
            ],
            body: Some(Payload(b"{\"a\":1}".to_vec())),
            json: true,
            timeouts: Some(roundtrip_shared::protocol::HttpTimeouts {
                total_ms: Some(5000),
                ..Default::default()
            }),
            follow_redirects: 3,
            max_body: None,
            raw: false,
        }
    );

    // The relay's answer arrives in the trace.
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::HttpRequest(request));
    for msg in [
        event(
            7,
            900,
            EventKind::ResponseHead {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: vec![("content-type".into(), "application/json".into())],
            },
        ),
        ServerMsg::Data {
            op: 7,
            t_us: 950,
            data: Payload(b"{\"b\":[1,2]}".to_vec()),
        },
        event(
            7,
            1_000,
            EventKind::ResponseDone {
                body_bytes: 11,
                json: true,
                timings: HttpTimings {
                    wait_us: 1_234,
                    total_us: 2_500,
                    ..HttpTimings::default()
                },
            },
        ),
        event(7, 1_010, EventKind::Closed { by: Closer::Relay }),
    ] {
        trace.record_server(&msg);
    }
    app.update(props(trace, on_request));
    yew::scheduler::flush().await;
    assert_eq!(text(&one(&root, "#http-status")), "HTTP/1.1 200 OK");
    assert_eq!(
        text(&one(&root, "#http-response-headers")),
        "content-type: application/json\n"
    );
    assert_eq!(
        text(&one(&root, "#http-response-body")),
        "{\n  \"b\": [\n    1,\n    2\n  ]\n}"
    );
    assert_eq!(
        text(&one(&root, "#http-timings dd[data-phase=wait]")),
        "1.234 ms"
    );
    assert_eq!(
        text(&one(&root, "#http-timings dd[data-phase=total]")),
        "2.500 ms"
    );
    root.remove();
}

#[wasm_bindgen_test]
fn header_lines_must_have_a_colon() {
    assert_eq!(
        parse_headers("A: b\n  \nC:d"),
        Ok(vec![("A".into(), "b".into()), ("C".into(), "d".into())])
    );
    assert!(parse_headers("nonsense").unwrap_err().contains("line 1"));
}
