//! The errors the learner should read, each in words, with an expandable
//! explanation when the error is one the page knows.

use yew::prelude::*;

use super::explainer::Explainer;
pub use crate::state::ShownError;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub errors: Vec<ShownError>,
}

#[function_component(ErrorList)]
pub fn error_list(props: &Props) -> Html {
    // The list stays in the page even when empty: a live region announces
    // only what is added to an element that already exists.
    html! {
        <ul class="errors" role="status" aria-live="polite">
            { for props.errors.iter().map(|error| html! {
                <li class="error-message tone-error">
                    {error.message.clone()}
                    if let Some(explanation) = error.explanation {
                        <Explainer {explanation} />
                    }
                </li>
            }) }
        </ul>
    }
}
