//! "What does this mean?": an expandable explanation under an error or an
//! HTTP status line. The words come from `shared::explain`.

use roundtrip_shared::explain::Explanation;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub explanation: Explanation,
}

#[function_component(Explainer)]
pub fn explainer(props: &Props) -> Html {
    let e = props.explanation;
    html! {
        <details class="explain">
            <summary>{"What does this mean?"}</summary>
            <p class="explain-text">
                <strong class="explain-title">{e.title}</strong>{": "}{e.meaning}
                {" "}<em>{"Common causes: "}</em>{e.causes}
                {" "}<em>{"What to do: "}</em>{e.what_to_do}
            </p>
        </details>
    }
}
