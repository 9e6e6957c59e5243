//! The few browser services the page uses besides its WebSocket: files in
//! and out, the address bar's fragment, the clipboard and remembered
//! preferences. Each returns a readable error instead of throwing.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, File, HtmlAnchorElement, Url};

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no browser window".to_owned())
}

fn describe(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{error:?}"))
}

/// Offers `text` as a file download named `filename`: a Blob, an object
/// URL and a click on a temporary link, the one way a page can hand a file
/// to the browser's downloads without a server.
pub fn download(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("cannot make the file: {}", describe(e)))?;
    let url = Url::create_object_url_with_blob(&blob)
        .map_err(|e| format!("cannot make a link to the file: {}", describe(e)))?;
    let window = window()?;
    let document = window.document().ok_or("no document")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(describe)?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    // The download reads the URL after this task ends; free it a while later.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    Ok(())
}

/// The most bytes of a file the page reads (a trace file).
pub const MAX_FILE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Reads a file the learner chose or dropped, as text.
pub async fn read_text(file: File) -> Result<String, String> {
    if file.size() > MAX_FILE_BYTES {
        return Err(format!(
            "{} is too large to open ({} MiB at most)",
            file.name(),
            MAX_FILE_BYTES / 1024.0 / 1024.0
        ));
    }
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| format!("cannot read {}: {}", file.name(), describe(e)))?;
    text.as_string()
        .ok_or_else(|| format!("{} is not text", file.name()))
}

/// The page address's fragment, with its `#` (empty when none).
pub fn fragment() -> String {
    window()
        .ok()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The page's address with `fragment` (without `#`) in place of its own.
pub fn link_with_fragment(fragment: &str) -> Result<String, String> {
    let href = window()?.location().href().map_err(describe)?;
    let base = href.split_once('#').map_or(href.as_str(), |(base, _)| base);
    Ok(format!("{base}#{fragment}"))
}

/// Copies `text` to the clipboard. Browsers allow it only on secure pages
/// (https or localhost); elsewhere the learner copies the shown link by hand.
pub async fn copy(text: &str) -> Result<(), String> {
    let clipboard = window()?.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text))
        .await
        .map(drop)
        .map_err(|e| format!("the browser did not allow copying: {}", describe(e)))
}

/// A remembered preference (theme, presenter mode), if the browser keeps any.
pub fn preference(key: &str) -> Option<String> {
    window().ok()?.local_storage().ok()??.get_item(key).ok()?
}

pub fn remember(key: &str, value: &str) {
    if let Some(storage) = window().ok().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}

/// Forgets what [`remember`] kept under `key`.
pub fn forget(key: &str) {
    if let Some(storage) = window().ok().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(key);
    }
}

/// Sets an attribute on `<html>`, where the style sheet's theme and
/// presenter rules look.
pub fn set_root_attribute(name: &str, value: &str) {
    if let Some(root) = window()
        .ok()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute(name, value);
    }
}

/// Calls `on_change` with the new fragment whenever the address's fragment
/// changes (a pasted link that differs from the page only after `#` does not
/// reload it). Listening stops when the returned value is dropped.
pub fn watch_fragment(on_change: impl Fn(String) + 'static) -> Option<FragmentWatch> {
    let window = window().ok()?;
    let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || on_change(fragment()));
    window
        .add_event_listener_with_callback("hashchange", closure.as_ref().unchecked_ref())
        .ok()?;
    Some(FragmentWatch { window, closure })
}

#[derive(Debug)]
pub struct FragmentWatch {
    window: web_sys::Window,
    closure: wasm_bindgen::closure::Closure<dyn Fn()>,
}

impl Drop for FragmentWatch {
    fn drop(&mut self) {
        let _ = self.window.remove_event_listener_with_callback(
            "hashchange",
            self.closure.as_ref().unchecked_ref(),
        );
    }
}

/// Calls `on_resize` with `element`'s width (CSS pixels, inside its
/// border) when it is first laid out and whenever it changes: a window
/// resized, a side panel moved below on a narrow screen, presenter mode, a
/// hidden tab shown. Watching stops when the returned value is dropped.
pub fn watch_width(
    element: &web_sys::Element,
    on_resize: impl Fn(f64) + 'static,
) -> Option<WidthWatch> {
    let watched = element.clone();
    let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        on_resize(f64::from(watched.client_width()))
    });
    let observer = web_sys::ResizeObserver::new(closure.as_ref().unchecked_ref()).ok()?;
    observer.observe(element);
    Some(WidthWatch {
        observer,
        _closure: closure,
    })
}

#[derive(Debug)]
pub struct WidthWatch {
    observer: web_sys::ResizeObserver,
    // Called by the observer until it is disconnected.
    _closure: wasm_bindgen::closure::Closure<dyn Fn()>,
}

impl Drop for WidthWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// CSS pixels from `element`'s top to the bottom of the browser window,
/// as they are with the page scrolled to its top (a small margin kept);
/// `None` without a window.
pub fn room_below(element: &web_sys::Element) -> Option<f64> {
    let window = web_sys::window()?;
    let height = window.inner_height().ok()?.as_f64()?;
    let scrolled = window.scroll_y().unwrap_or(0.0);
    let top = element.get_bounding_client_rect().top() + scrolled;
    Some(height - top - 12.0)
}

/// Loads the page again from its address.
pub fn reload() {
    if let Ok(window) = window() {
        let _ = window.location().reload();
    }
}
