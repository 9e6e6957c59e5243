//! The error list: each error the page knows links to its explanation.

use roundtrip_frontend::components::error_list::{ErrorList, Props, ShownError};
use roundtrip_shared::explain;
use roundtrip_shared::protocol::ErrorCode;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::{all, click, fresh_root, one, text};

#[wasm_bindgen_test]
async fn known_errors_expand_into_an_explanation() {
    let root = fresh_root();
    yew::Renderer::<ErrorList>::with_root_and_props(
        root.clone(),
        Props {
            errors: vec![
                ShownError {
                    message: "connection refused".into(),
                    explanation: Some(explain::error(ErrorCode::Refused)),
                },
                ShownError {
                    message: "something odd".into(),
                    explanation: None,
                },
            ],
        },
    )
    .render();
    yew::scheduler::flush().await;
    let items = all(&root, "li.error-message");
    assert_eq!(items.len(), 2);
    assert_eq!(all(&items[0], "details.explain").len(), 1);
    assert_eq!(all(&items[1], "details.explain").len(), 0);
    let details = one(&items[0], "details");
    assert!(!details.has_attribute("open"));
    click(&one(&details, "summary"));
    yew::scheduler::flush().await;
    assert!(details.has_attribute("open"));
    assert!(text(&one(&details, ".explain-text")).contains("nothing listens on that port"));
    root.remove();
}
