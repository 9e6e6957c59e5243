//! The HTTP panel: the form becomes an `http_request`, and the answer in
//! the trace becomes a status line, headers, a pretty body and timings.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::http_panel::{HttpPanel, Props};
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
    // The lab by name, not the port it got on this relay.
    assert_eq!(url.value(), "http://www.lab.test/json");

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
            url: "http://www.lab.test/json".into(),
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
async fn a_failed_request_explains_its_error() {
    use roundtrip_shared::protocol::{ErrorCode, RelayError};

    let root = fresh_root();
    let mut trace = Trace::new();
    // The page records its request before the relay answers.
    trace.record_request(&ClientMsg::HttpRequest(HttpRequest::get(
        3,
        "https://127.0.0.1:4100/json",
    )));
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

/// Sets an input's value as typing would.
fn type_into(root: &web_sys::Element, selector: &str, value: &str) {
    let input: HtmlInputElement = one(root, selector).dyn_into().unwrap();
    input.set_value(value);
    fire(&input, "input");
}

fn tick(root: &web_sys::Element, selector: &str, checked: bool) {
    let input: HtmlInputElement = one(root, selector).dyn_into().unwrap();
    input.set_checked(checked);
    fire(&input, "change");
}

#[wasm_bindgen_test]
async fn the_whole_retry_policy_is_set_from_the_form_and_bad_values_are_named() {
    use roundtrip_shared::retry::{Jitter, RetryOn, RetryPolicy};
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    let _app = yew::Renderer::<HttpPanel>::with_root_and_props(
        root.clone(),
        Props {
            services: vec![http_lab()],
            trace: Rc::new(Trace::new()),
            next_op: 7,
            can_request: true,
            on_request,
            preset: None,
        },
    )
    .render();
    yew::scheduler::flush().await;
    tick(&root, "#http-retry", true);
    yew::scheduler::flush().await;

    // Each bad value is named, and nothing is sent.
    let problem_after = |selector: &'static str, value: &'static str| {
        let root = root.clone();
        async move {
            let input: HtmlInputElement = one(&root, selector).dyn_into().unwrap();
            let before = input.value();
            type_into(&root, selector, value);
            yew::scheduler::flush().await;
            click(&one(&root, "#http-send"));
            yew::scheduler::flush().await;
            let problem = text(&one(&root, "#http-problem"));
            type_into(&root, selector, &before);
            yew::scheduler::flush().await;
            problem
        }
    };
    let problem = problem_after("#http-retry-multiplier", "fast").await;
    assert!(
        problem.contains("multiplier is a number from 1 to 10"),
        "{problem}"
    );
    let problem = problem_after("#http-retry-multiplier", "0.5").await;
    assert!(problem.contains("multiplier is 0.5"), "{problem}");
    let problem = problem_after("#http-retry-cap-ms", "-3").await;
    assert!(problem.contains("cap is a whole number"), "{problem}");
    let problem = problem_after("#http-retry-cap-ms", "40000").await;
    assert!(
        problem.contains("no wait may be longer than 30000 ms"),
        "{problem}"
    );
    let problem = problem_after("#http-retry-seed", "1.5").await;
    assert!(problem.contains("the seed is a whole number"), "{problem}");
    let problem = problem_after("#http-retry-attempts", "11").await;
    assert!(problem.contains("at most 10 attempts"), "{problem}");
    assert!(sent.borrow().is_empty());

    // Every field reaches the request.
    type_into(&root, "#http-retry-attempts", "5");
    type_into(&root, "#http-retry-timeout-ms", "250");
    type_into(&root, "#http-retry-base-ms", "40");
    type_into(&root, "#http-retry-multiplier", "1.5");
    type_into(&root, "#http-retry-cap-ms", "900");
    type_into(&root, "#http-retry-seed", "31");
    let jitter: web_sys::HtmlSelectElement = one(&root, "#http-retry-jitter").dyn_into().unwrap();
    jitter.set_value("equal");
    fire(&jitter, "change");
    tick(&root, "#http-retry-on-connect-errors", false);
    tick(&root, "#http-retry-on-429", false);
    tick(&root, "#http-retry-honor-retry-after", false);
    yew::scheduler::flush().await;
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;
    assert!(root.query_selector("#http-problem").unwrap().is_none());
    let request = match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => request.clone(),
        other => panic!("expected one http_request, got {other:?}"),
    };
    assert_eq!(
        request.retry,
        Some(RetryPolicy {
            max_attempts: 5,
            attempt_timeout_ms: Some(250),
            base_ms: 40,
            multiplier: 1.5,
            cap_ms: 900,
            jitter: Jitter::Equal,
            retry_on: RetryOn {
                timeouts: true,
                connect_errors: false,
                server_errors: true,
                too_many_requests: false,
            },
            honor_retry_after: false,
            seed: Some(31),
        })
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn an_experiment_link_fills_in_the_retry_policy() {
    use roundtrip_shared::retry::{Jitter, RetryOn, RetryPolicy};
    use roundtrip_shared::share::Experiment;
    let policy = RetryPolicy {
        max_attempts: 4,
        attempt_timeout_ms: None,
        base_ms: 120,
        multiplier: 3.0,
        cap_ms: 2_000,
        jitter: Jitter::None,
        retry_on: RetryOn {
            timeouts: false,
            ..RetryOn::default()
        },
        honor_retry_after: true,
        seed: Some(5),
    };
    let root = fresh_root();
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    let _app = yew::Renderer::<HttpPanel>::with_root_and_props(
        root.clone(),
        Props {
            services: vec![http_lab()],
            trace: Rc::new(Trace::new()),
            next_op: 2,
            can_request: true,
            on_request,
            preset: Some(Experiment::Http {
                method: "GET".into(),
                url: "http://127.0.0.1:4100/flaky?key=z".into(),
                headers: String::new(),
                body: String::new(),
                retry: Some(policy.clone()),
                json: false,
                raw: true,
                follow_redirects: 2,
                timeouts: Some(roundtrip_shared::protocol::HttpTimeouts {
                    total_ms: Some(3_000),
                    ..Default::default()
                }),
                faults: None,
            }),
        },
    )
    .render();
    yew::scheduler::flush().await;
    let value = |selector| {
        one(&root, selector)
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .value()
    };
    assert!(
        one(&root, "#http-retry")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .checked()
    );
    assert_eq!(value("#http-retry-multiplier"), "3");
    // Every setting the link carries is filled in.
    assert!(
        one(&root, "#http-raw")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .checked()
    );
    assert_eq!(value("#http-redirects"), "2");
    assert_eq!(value("#http-retry-cap-ms"), "2000");
    assert_eq!(value("#http-retry-seed"), "5");
    assert!(
        !one(&root, "#http-retry-on-timeouts")
            .dyn_into::<HtmlInputElement>()
            .unwrap()
            .checked()
    );
    // Sent untouched, the request carries the link's policy back.
    click(&one(&root, "#http-send"));
    yew::scheduler::flush().await;
    match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => {
            assert_eq!(request.retry, Some(policy));
            assert_eq!(
                (request.raw, request.follow_redirects),
                (true, 2),
                "the link's settings go out with the request"
            );
            assert_eq!(request.timeouts.and_then(|t| t.total_ms), Some(3_000));
        }
        other => panic!("expected one http_request, got {other:?}"),
    };
    root.remove();
}
