//! The timing waterfall: a cold and a warm HTTPS request and a refused one,
//! each a row of phase bars on one scale, with the HAR download button.

use std::rc::Rc;

use roundtrip_frontend::components::waterfall_view::{Props, WaterfallView};
use roundtrip_shared::trace::Trace;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::inspect_fixtures::{https_exchange, refused_http};
use crate::{all, attr, fresh_root, one, text};

#[wasm_bindgen_test]
async fn rows_stack_on_one_scale_with_their_milliseconds() {
    let root = fresh_root();
    let mut trace = Trace::new();
    https_exchange(&mut trace, 1, 2);
    https_exchange(&mut trace, 2, 1);
    refused_http(&mut trace, 3);
    yew::Renderer::<WaterfallView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
            times: Rc::default(),
        },
    )
    .render();
    yew::scheduler::flush().await;

    let rows = all(&root, ".wf-row[data-op]");
    assert_eq!(rows.len(), 3);
    assert_eq!(text(&one(&rows[0], ".wf-status")), "200 OK");
    assert_eq!(text(&one(&rows[0], ".wf-total")), "5.600 ms");
    assert_eq!(text(&one(&rows[1], ".wf-total")), "2.800 ms");
    let phases: Vec<String> = all(&rows[1], ".wf-bar")
        .iter()
        .map(|bar| attr(bar, "data-phase"))
        .collect();
    assert_eq!(
        phases,
        [
            "blocked", "DNS", "connect", "TLS", "send", "wait", "download"
        ]
    );
    // The cold request's TLS bar is twice as wide as the warm one's.
    let width = |row: &web_sys::Element| attr(&one(row, ".wf-bar.phase-tls"), "style");
    assert!(
        width(&rows[0]).contains("width:43.33%"),
        "{}",
        width(&rows[0])
    );
    assert!(
        width(&rows[1]).contains("width:21.67%"),
        "{}",
        width(&rows[1])
    );
    assert!(text(&rows[1]).contains("TLS 1.300 ms"));
    assert_eq!(text(&one(&rows[2], ".wf-error")), "connection refused");
    assert_eq!(all(&rows[2], ".wf-bar.is-failed").len(), 1);
    assert_eq!(text(&one(&root, "#har-download")), "Download HAR (3)");
    assert!(!one(&root, "#har-download").has_attribute("disabled"));
    root.remove();
}

#[wasm_bindgen_test]
async fn an_empty_trace_says_what_will_appear() {
    let root = fresh_root();
    yew::Renderer::<WaterfallView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(Trace::new()),
            times: Rc::default(),
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert!(text(&one(&root, "#waterfall-empty")).contains("No HTTP requests"));
    assert!(one(&root, "#har-download").has_attribute("disabled"));
    root.remove();
}

#[wasm_bindgen_test]
async fn the_session_axis_lays_rows_where_the_page_saw_them_start() {
    use roundtrip_shared::recording::PageTimes;
    use wasm_bindgen::JsCast;
    use web_sys::HtmlInputElement;

    let root = fresh_root();
    let mut trace = Trace::new();
    https_exchange(&mut trace, 1, 2);
    https_exchange(&mut trace, 2, 1);
    // The page sent the second request 1.4 ms after the first.
    let times = PageTimes {
        started_at_ms: Some(1_795_644_000_000.0),
        op_starts: [(1, 5.0), (2, 6.4)].into_iter().collect(),
    };
    yew::Renderer::<WaterfallView>::with_root_and_props(
        root.clone(),
        Props {
            trace: Rc::new(trace),
            times: Rc::new(times),
        },
    )
    .render();
    yew::scheduler::flush().await;
    let first_left = |row: usize| {
        let rows = all(&root, ".wf-row[data-op]");
        attr(&one(&rows[row], ".wf-bar"), "style")
    };
    // Compare mode by default: both rows from zero, no start shown.
    let compare: HtmlInputElement = one(&root, "#waterfall-axis-compare").dyn_into().unwrap();
    assert!(compare.checked());
    assert!(first_left(1).starts_with("left:0%"), "{}", first_left(1));
    assert!(root.query_selector(".wf-start").unwrap().is_none());

    let session: HtmlInputElement = one(&root, "#waterfall-axis-session").dyn_into().unwrap();
    session.set_checked(true);
    crate::fire(&session, "change");
    yew::scheduler::flush().await;
    // The second row now starts 1.4 ms along (of a 6 ms scale).
    assert!(first_left(0).starts_with("left:0%"), "{}", first_left(0));
    assert!(
        first_left(1).starts_with("left:23.33%"),
        "{}",
        first_left(1)
    );
    let starts: Vec<String> = all(&root, ".wf-start").iter().map(text).collect();
    assert_eq!(starts, ["+0.000 ms", "+1.400 ms"]);
    assert!(text(&one(&root, "#waterfall-session-hint")).contains("page sent its request"));
    root.remove();
}
