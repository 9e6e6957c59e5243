//! The whole page, with no relay behind it: the test runner's server has no
//! `/ws`, so the page must say so in words, offer to reconnect, and
//! reconnect by itself.

use gloo_timers::future::TimeoutFuture;
use roundtrip_frontend::app::App;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::{all, attr, fresh_root, one, text};

#[wasm_bindgen_test]
async fn without_a_relay_the_page_says_disconnected_and_why() {
    let root = fresh_root();
    yew::Renderer::<App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;

    // Before the socket settles: nothing can start yet.
    assert!(one(&root, "button#connect").has_attribute("disabled"));
    assert!(one(&root, "button#send").has_attribute("disabled"));
    assert_eq!(text(&one(&root, "#socket-state")), "idle");
    assert_eq!(text(&one(&root, "#socket-call")), "socket()");
    assert_eq!(text(&one(&root, "#received")), "");
    assert_eq!(all(&root, "svg#sequence g.row").len(), 0);
    assert_eq!(all(&root, "svg#sequence g.lane").len(), 3);

    let mut status = String::new();
    for _ in 0..150 {
        yew::scheduler::flush().await;
        status = text(&one(&root, "#relay-status"));
        if status == "disconnected" {
            break;
        }
        assert_eq!(status, "connecting…");
        TimeoutFuture::new(100).await;
    }
    assert_eq!(status, "disconnected");
    let errors: Vec<String> = all(&root, ".error-message").iter().map(text).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("could not reach the relay at ws://"),
        "{errors:?}"
    );
    assert!(errors[0].ends_with("/ws"), "{errors:?}");
    assert!(one(&root, "button#connect").has_attribute("disabled"));
    // Without a welcome there are no services: only the custom choice.
    let options: Vec<String> = all(&root, "#target-preset option")
        .iter()
        .map(|option| attr(option, "value"))
        .collect();
    assert_eq!(options, ["custom"]);
    assert!(root.query_selector("button#reconnect").unwrap().is_some());
    // It also tries again by itself, and says when and why it waits.
    yew::scheduler::flush().await;
    let retry = text(&one(&root, "#relay-retry"));
    assert!(
        retry.contains("Reconnecting by itself") || retry.starts_with("Reconnecting to the relay"),
        "{retry}"
    );
    root.remove();
}
