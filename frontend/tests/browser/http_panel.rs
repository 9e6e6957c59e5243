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
        preset: None,
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
            retry: None,
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
    // The status line links to what 200 means.
    assert_eq!(
        text(&one(&root, "#http-response details.explain .explain-title")),
        "200 OK"
    );
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

#[wasm_bindgen_test]
async fn a_failed_request_explains_its_error() {
    use roundtrip_shared::protocol::{ErrorCode, RelayError};

    let root = fresh_root();
    let mut trace = Trace::new();
    trace.record_server(&event(
        3,
        50,
        EventKind::Failed {
            error: RelayError::new(ErrorCode::Tls, "invalid peer certificate: UnknownIssuer"),
        },
    ));
    yew::Renderer::<HttpPanel>::with_root_and_props(
        root.clone(),
        Props {
            services: vec![http_lab()],
            trace: Rc::new(trace),
            next_op: 3,
            can_request: true,
            on_request: Callback::noop(),
            preset: None,
        },
    )
    .render();
    yew::scheduler::flush().await;
    click(&one(&root, "button#http-send"));
    yew::scheduler::flush().await;
    assert_eq!(
        text(&one(&root, "#http-error")),
        "invalid peer certificate: UnknownIssuer"
    );
    assert_eq!(
        text(&one(&root, "#http-response details.explain .explain-title")),
        "TLS error"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn retry_controls_add_a_policy_and_the_last_attempt_is_shown() {
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    let props = |trace: Trace, on_request: Callback<ClientMsg>| Props {
        services: vec![http_lab()],
        trace: Rc::new(trace),
        next_op: 4,
        can_request: true,
        on_request,
        preset: None,
    };
    let mut app = yew::Renderer::<HttpPanel>::with_root_and_props(
        root.clone(),
        props(Trace::new(), on_request.clone()),
    )
    .render();
    yew::scheduler::flush().await;
    assert!(
        root.query_selector("#http-retry-attempts")
            .unwrap()
            .is_none()
    );
    let retry: HtmlInputElement = one(&root, "#http-retry").dyn_into().unwrap();
    retry.set_checked(true);
    fire(&retry, "change");
    yew::scheduler::flush().await;

    // Not a number: a readable problem, nothing sent.
    let attempts: HtmlInputElement = one(&root, "#http-retry-attempts").dyn_into().unwrap();
    attempts.set_value("many");
    fire(&attempts, "input");
    yew::scheduler::flush().await;
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;
    assert!(text(&one(&root, "#http-problem")).contains("retry attempts"));
    assert!(sent.borrow().is_empty());

    attempts.set_value("2");
    fire(&attempts, "input");
    let timeout: HtmlInputElement = one(&root, "#http-retry-timeout-ms").dyn_into().unwrap();
    timeout.set_value("300");
    fire(&timeout, "input");
    yew::scheduler::flush().await;
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;
    let request = match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => request.clone(),
        other => panic!("expected one http_request, got {other:?}"),
    };
    assert_eq!(
        request.retry,
        Some(roundtrip_shared::retry::RetryPolicy {
            max_attempts: 2,
            attempt_timeout_ms: Some(300),
            base_ms: 200,
            ..Default::default()
        })
    );

    // Two attempts in the trace: the panel shows the second's answer only.
    let mut trace = Trace::new();
    trace.record_request(&ClientMsg::HttpRequest(request));
    let head = |t, status| {
        event(
            4,
            t,
            EventKind::ResponseHead {
                status,
                reason: if status == 200 {
                    "OK"
                } else {
                    "Service Unavailable"
                }
                .into(),
                version: "HTTP/1.1".into(),
                headers: vec![],
            },
        )
    };
    for msg in [
        event(4, 1, EventKind::Attempt { n: 1, of: 2 }),
        head(100, 503),
        ServerMsg::Data {
            op: 4,
            t_us: 120,
            data: Payload(b"first".to_vec()),
        },
        event(
            4,
            200,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 100,
                reason: roundtrip_shared::protocol::AttemptReason::Status(503),
                retry_after_ms: None,
            },
        ),
        event(4, 100_300, EventKind::Attempt { n: 2, of: 2 }),
        head(100_400, 200),
        ServerMsg::Data {
            op: 4,
            t_us: 100_420,
            data: Payload(b"second".to_vec()),
        },
        event(4, 100_500, EventKind::Closed { by: Closer::Relay }),
    ] {
        trace.record_server(&msg);
    }
    app.update(props(trace, on_request));
    yew::scheduler::flush().await;
    assert_eq!(text(&one(&root, "#http-attempt")), "attempt 2 of 2");
    assert_eq!(text(&one(&root, "#http-status")), "HTTP/1.1 200 OK");
    assert_eq!(text(&one(&root, "#http-response-body")), "second");
}
