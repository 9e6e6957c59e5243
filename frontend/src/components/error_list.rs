//! The errors the learner should read, each in words.

use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub errors: Vec<String>,
}

#[function_component(ErrorList)]
pub fn error_list(props: &Props) -> Html {
    // The list stays in the page even when empty: a live region announces
    // only what is added to an element that already exists.
    html! {
        <ul class="errors" role="status" aria-live="polite">
            { for props.errors.iter().map(|message| html! {
                <li class="error-message tone-error">{message.clone()}</li>
            }) }
        </ul>
    }
}
