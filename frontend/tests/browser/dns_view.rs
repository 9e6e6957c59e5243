//! The DNS view: a trace-mode walk drawn as a ladder, the CNAME chain, and
//! TTLs counting down.

use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use roundtrip_frontend::components::dns_view::{DnsView, Props};
use roundtrip_shared::protocol::DnsMode;
use roundtrip_shared::trace::Trace;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::inspect_fixtures::{dns_query, dns_walk};
use crate::{all, attr, fresh_root, one, text};

#[wasm_bindgen_test]
async fn a_trace_walk_is_a_ladder_with_a_chain_and_ttls_tick_down() {
    let root = fresh_root();
    let mut trace = Trace::new();
    dns_walk(&mut trace, 4);
    yew::Renderer::<DnsView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
        },
    )
    .render();
    yew::scheduler::flush().await;

    assert_eq!(
        text(&one(&root, "#dns-view-question")),
        "Question: www.lab.test A · trace"
    );
    let zones: Vec<String> = all(&root, "#dns-ladder .rung-zone")
        .iter()
        .map(text)
        .collect();
    assert_eq!(zones, ["root (.)", "test.", "lab.test."]);
    let said: Vec<String> = all(&root, "#dns-ladder .rung-said")
        .iter()
        .map(text)
        .collect();
    assert_eq!(
        said,
        [
            "referral: ask ns1.test. for test. (127.0.0.3:5353)",
            "referral: ask ns1.lab.test. for lab.test. (127.0.0.4:5353)",
            "answer: 3 records",
        ]
    );
    let chain: Vec<String> = all(
        &root,
        "#dns-view-chains .chain-name, #dns-view-chains .chain-end",
    )
    .iter()
    .map(text)
    .collect();
    assert_eq!(
        chain,
        [
            "www.lab.test.",
            "web.lab.test.",
            "host.lab.test.",
            "A 127.0.0.1"
        ]
    );

    let left = || -> Vec<String> {
        all(&root, "#dns-view-answers .ttl-left")
            .iter()
            .map(|cell| attr(cell, "data-left"))
            .collect()
    };
    assert_eq!(left(), ["300", "300", "3"]);
    // The countdown runs on the page's one-second tick: wait (with a
    // generous deadline) until the short TTL has gone down.
    for _ in 0..100 {
        if left()[2] != "3" {
            break;
        }
        TimeoutFuture::new(100).await;
        yew::scheduler::flush().await;
    }
    assert_ne!(left()[2], "3", "the TTL never ticked down");
    root.remove();
}

#[wasm_bindgen_test]
async fn no_lookup_and_an_unanswered_stub_lookup() {
    let root = fresh_root();
    yew::Renderer::<DnsView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(Trace::new()),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert!(text(&one(&root, "#dns-view-empty")).contains("No DNS lookups"));
    root.remove();

    let root = fresh_root();
    let mut trace = Trace::new();
    dns_query(&mut trace, 5, "nope.lab.test", DnsMode::Stub);
    trace.record_server(&crate::event(
        5,
        10,
        roundtrip_shared::protocol::EventKind::DnsQuerySent {
            server: "127.0.0.1:5353".into(),
            name: "nope.lab.test.".into(),
            rtype: roundtrip_shared::protocol::DnsType::A,
        },
    ));
    yew::Renderer::<DnsView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(text(&one(&root, ".rung-zone")), "resolver");
    assert_eq!(text(&one(&root, ".rung-said")), "no response");
    assert!(root.query_selector("#dns-view-answers").unwrap().is_none());
    assert!(root.query_selector("#dns-view-error").unwrap().is_none());
    root.remove();

    // The lookup times out: the error says so and explains itself.
    let root = fresh_root();
    let mut trace = Trace::new();
    dns_query(&mut trace, 6, "slow.example", DnsMode::Stub);
    trace.record_server(&crate::event(
        6,
        2_000_000,
        roundtrip_shared::protocol::EventKind::Failed {
            error: roundtrip_shared::protocol::RelayError::new(
                roundtrip_shared::protocol::ErrorCode::DnsTimeout,
                "no answer from 127.0.0.1:5353 within 2000 ms",
            ),
        },
    ));
    yew::Renderer::<DnsView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert!(text(&one(&root, "#dns-view-error")).starts_with("no answer from 127.0.0.1:5353"));
    assert_eq!(
        text(&one(&root, "#dns-view-error .explain-title")),
        "DNS timeout"
    );
    root.remove();
}
