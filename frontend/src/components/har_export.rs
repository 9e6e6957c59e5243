//! "Download HAR": the trace's HTTP exchanges as a HAR 1.2 file
//! (`shared::har`), for a browser's network panel or any HAR viewer.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::har;
use roundtrip_shared::inspect;
use roundtrip_shared::recording::PageTimes;
use roundtrip_shared::trace::Trace;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
    /// The page's times of the same messages: they date each request.
    #[prop_or_default]
    pub times: Rc<PageTimes>,
}

/// The file's name.
pub const FILE_NAME: &str = "roundtrip.har";

#[function_component(HarExport)]
pub fn har_export(props: &Props) -> Html {
    // The object URL of the last download, released at the next one.
    let last_url: Rc<RefCell<Option<String>>> = use_mut_ref(|| None);
    let count = inspect::http_ops(&props.trace).len();
    let on_click = {
        let (trace, times) = (props.trace.clone(), props.times.clone());
        Callback::from(move |_: MouseEvent| {
            let exported_at: String = js_sys::Date::new_0().to_iso_string().into();
            let text = har::export_text(
                &trace,
                env!("CARGO_PKG_VERSION"),
                &exported_at,
                har::PageClock::of(&times),
            );
            if let Some(old) = last_url.borrow_mut().take() {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            if let Some(url) = download(&text) {
                *last_url.borrow_mut() = Some(url);
            }
        })
    };
    html! {
        <button id="har-download" type="button" class="har-download" disabled={count == 0}
            title="The HTTP requests as a HAR 1.2 file" onclick={on_click}>
            {format!("Download HAR ({count})")}
        </button>
    }
}

/// Saves `text` as a file through a temporary link; returns the object URL
/// so that it can be released later (the download may still be reading it).
fn download(text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let document = web_sys::window()?.document()?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    link.set_href(&url);
    link.set_download(FILE_NAME);
    link.set_id("har-link");
    link.click();
    Some(url)
}
