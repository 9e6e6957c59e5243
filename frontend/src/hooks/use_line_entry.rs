//! A one-line text field that sends on Enter or on its button and empties
//! itself once sent: the Message panel and each accepted connection's row.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The field's text and its handlers.
#[derive(Clone, Debug)]
pub struct LineEntry {
    pub text: String,
    pub on_input: Callback<InputEvent>,
    /// Sends on Enter.
    pub on_key: Callback<KeyboardEvent>,
    /// For the Send button.
    pub on_click: Callback<MouseEvent>,
}

/// `send` gets the text and says whether it went (then the field empties).
/// The field starts with `initial` (an experiment link's text).
#[hook]
pub fn use_line_entry(initial: String, send: Rc<dyn Fn(&str) -> bool>) -> LineEntry {
    let text = use_state(move || initial);
    let go = {
        let text = text.clone();
        Rc::new(move || {
            if send(&text) {
                text.set(String::new());
            }
        })
    };
    let on_click = {
        let go = go.clone();
        Callback::from(move |_: MouseEvent| go())
    };
    let on_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
            go();
        }
    });
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    LineEntry {
        text: (*text).clone(),
        on_input,
        on_key,
        on_click,
    }
}
