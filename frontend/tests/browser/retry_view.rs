//! The retry view: sliders re-run the simulation at once, "Run for real"
//! sends the same policy against `/flaky`, and real runs from the trace are
//! drawn beside the simulated one.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_frontend::components::retry_view::{Knobs, Props, RetryView};
use roundtrip_shared::protocol::{
    AttemptReason, ClientMsg, Closer, EventKind, HttpTimings, ServerMsg, Service,
};
use roundtrip_shared::retry::simulate;
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlInputElement;
use yew::Callback;

use crate::{all, attr, click, event, fire, fresh_root, one, text};

fn http_lab() -> Service {
    Service {
        name: "http-lab".into(),
        label: "HTTP lab (built-in)".into(),
        protocol: "http".into(),
        addr: "127.0.0.1:4100".into(),
    }
}

fn props(trace: Trace, on_request: Callback<ClientMsg>) -> Props {
    Props {
        trace: Rc::new(trace),
        services: vec![http_lab()],
        next_op: 5,
        can_request: true,
        on_request,
    }
}

fn summaries(root: &web_sys::Element) -> Vec<String> {
    all(root, "#retry-runs .retry-summary")
        .iter()
        .map(text)
        .collect()
}

/// The view rendered with `props` in a fresh root, first render done.
async fn shown(props: Props) -> web_sys::Element {
    let root = fresh_root();
    yew::Renderer::<RetryView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    root
}

async fn set_value(root: &web_sys::Element, css: &str, value: &str) {
    let input: HtmlInputElement = one(root, css).dyn_into().unwrap();
    input.set_value(value);
    fire(&input, "input");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn sliders_rerun_the_simulation_at_once() {
    let root = shown(props(Trace::new(), Callback::noop())).await;
    // The default knobs: seed 9 fails twice, then succeeds.
    let first = summaries(&root);
    assert_eq!(first.len(), 1);
    assert!(first[0].starts_with("200 on attempt 3"), "{first:?}");
    let failed = all(&root, "#retry-timeline .retry-attempt.tone-error");
    assert_eq!(failed.len(), 2);
    assert_eq!(all(&root, "#retry-timeline .retry-wait").len(), 2);

    // A server that never fails: one attempt.
    set_value(&root, "#retry-failure", "0").await;
    assert_eq!(text(&one(&root, "#retry-failure + output")), "0 %");
    assert!(
        summaries(&root)[0].starts_with("200 on attempt 1"),
        "{:?}",
        summaries(&root)
    );

    // Always failing, two attempts at most: it gives up.
    set_value(&root, "#retry-failure", "100").await;
    set_value(&root, "#retry-attempts", "2").await;
    let gave_up = summaries(&root);
    assert!(
        gave_up[0].starts_with("gave up after 2 attempts"),
        "{gave_up:?}"
    );
    assert_eq!(attr(&one(&root, "#retry-runs li"), "data-state"), "gave-up");
    // Another seed draws other waits.
    let steps = text(&one(&root, ".retry-steps"));
    set_value(&root, "#retry-seed", "12345").await;
    assert_ne!(text(&one(&root, ".retry-steps")), steps);
}

#[wasm_bindgen_test]
async fn multiplier_and_cap_shape_the_waits_and_the_relays_bounds_show() {
    let root = shown(props(Trace::new(), Callback::noop())).await;
    // Every attempt fails and waits are not jittered: the waits are the
    // ceilings, base × multiplier^(n-1) up to the cap.
    set_value(&root, "#retry-failure", "100").await;
    let jitter: web_sys::HtmlSelectElement = one(&root, "#retry-jitter").dyn_into().unwrap();
    jitter.set_value("none");
    fire(&jitter, "change");
    yew::scheduler::flush().await;
    set_value(&root, "#retry-base", "100").await;
    let waits = |root: &web_sys::Element| -> Vec<String> {
        text(&one(root, ".retry-steps"))
            .lines()
            .filter_map(|line| line.split_once("backoff ").map(|(_, wait)| wait.to_owned()))
            .collect()
    };
    assert_eq!(waits(&root), ["100 ms", "200 ms", "400 ms"]);
    set_value(&root, "#retry-multiplier", "30").await;
    assert_eq!(text(&one(&root, "#retry-multiplier + output")), "× 3.0");
    assert_eq!(waits(&root), ["100 ms", "300 ms", "900 ms"]);
    set_value(&root, "#retry-cap", "500").await;
    assert_eq!(text(&one(&root, "#retry-cap + output")), "500 ms");
    assert_eq!(waits(&root), ["100 ms", "300 ms", "500 ms"]);
    assert!(all(&root, "#retry-refused").is_empty());
    assert!(!one(&root, "#retry-run").has_attribute("disabled"));

    // Ten attempts of 10 s waits is more waiting than the relay does for
    // one request: simulated still, but not run, and the page says why.
    set_value(&root, "#retry-cap", "10000").await;
    set_value(&root, "#retry-base", "1000").await;
    set_value(&root, "#retry-attempts", "10").await;
    assert_eq!(waits(&root).len(), 9);
    let why = text(&one(&root, "#retry-refused"));
    assert!(why.contains("at most 60000 ms"), "{why}");
    assert!(one(&root, "#retry-run").has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn run_for_real_sends_the_same_policy_against_flaky() {
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    let root = shown(props(Trace::new(), on_request)).await;
    click(&one(&root, "#retry-run"));
    yew::scheduler::flush().await;
    let request = match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => request.clone(),
        other => panic!("expected one http_request, got {other:?}"),
    };
    assert_eq!(request.op, 5);
    assert!(
        request
            .url
            .starts_with("http://127.0.0.1:4100/flaky?key=page-5-"),
        "{}",
        request.url
    );
    // The simulation failed twice, once by timing out: so must /flaky, the
    // timed-out attempt answering a second past the attempt timeout (400 ms).
    let knobs = Knobs::default();
    let slow =
        roundtrip_shared::retry::flaky::timed_out(&simulate(&knobs.policy(), &knobs.scenario()));
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert!(
        request.url.ends_with(&format!(
            "&fail=2&status=500&slow={}&delay_ms=1400",
            slow[0]
        )),
        "{}",
        request.url
    );
    // The same policy, attempt timeout included.
    assert_eq!(request.retry, Some(knobs.policy()));
    assert_eq!(request.retry.unwrap().attempt_timeout_ms, Some(400));
}

#[wasm_bindgen_test]
async fn a_run_without_timeouts_asks_flaky_for_statuses_only() {
    let sent = Rc::new(RefCell::new(Vec::<ClientMsg>::new()));
    let on_request = {
        let sent = sent.clone();
        Callback::from(move |msg| sent.borrow_mut().push(msg))
    };
    let root = shown(props(Trace::new(), on_request)).await;
    // The longest attempt timeout: no answer of the made-up server is
    // that slow for this seed, so every failure is a status.
    set_value(&root, "#retry-timeout", "2000").await;
    set_value(&root, "#retry-failure", "100").await;
    click(&one(&root, "#retry-run"));
    yew::scheduler::flush().await;
    let url = match sent.borrow().as_slice() {
        [ClientMsg::HttpRequest(request)] => request.url.clone(),
        other => panic!("expected one http_request, got {other:?}"),
    };
    assert!(url.ends_with("&fail=4&status=500"), "{url}");
}

#[wasm_bindgen_test]
async fn real_runs_from_the_trace_share_the_axis() {
    let mut trace = Trace::new();
    let request = ClientMsg::HttpRequest(roundtrip_shared::protocol::HttpRequest {
        retry: Some(Knobs::default().policy()),
        ..roundtrip_shared::protocol::HttpRequest::get(
            3,
            "http://127.0.0.1:4100/flaky?key=k&fail=1&status=500",
        )
    });
    trace.record_request(&request);
    let head = |t, status| {
        event(
            3,
            t,
            EventKind::ResponseHead {
                status,
                reason: String::new(),
                version: "HTTP/1.1".into(),
                headers: vec![],
            },
        )
    };
    let done = |t| {
        event(
            3,
            t,
            EventKind::ResponseDone {
                body_bytes: 0,
                json: false,
                timings: HttpTimings::default(),
            },
        )
    };
    let msgs: Vec<ServerMsg> = vec![
        event(3, 10, EventKind::Attempt { n: 1, of: 4 }),
        head(2_000, 500),
        done(2_100),
        event(
            3,
            2_200,
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 150,
                reason: AttemptReason::Status(500),
                retry_after_ms: None,
            },
        ),
        event(3, 153_000, EventKind::Attempt { n: 2, of: 4 }),
        head(155_000, 200),
        done(155_100),
        event(3, 155_200, EventKind::Closed { by: Closer::Relay }),
    ];
    for msg in &msgs {
        trace.record_server(msg);
    }
    let root = shown(props(trace, Callback::noop())).await;
    let rows = all(&root, "#retry-runs li");
    assert_eq!(rows.len(), 2);
    let real = text(&rows[1]);
    assert!(
        real.starts_with("real, op 3: GET /flaky?key=k&fail=1&status=500: 200 on attempt 2"),
        "{real}"
    );
    assert!(real.contains("attempt 1: 500 after 2 ms"), "{real}");
    assert!(real.contains("backoff 150 ms"), "{real}");
    assert_eq!(all(&root, "#retry-timeline .retry-row").len(), 2);
    // Both rows are drawn on one axis: the ticks are shared.
    assert!(!all(&root, "#retry-timeline .retry-axis text").is_empty());
}
