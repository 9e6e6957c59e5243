//! What the sequence diagram's colours mean, one list wherever the
//! diagram is drawn (the playground's views, a lesson's).

use yew::prelude::*;

#[function_component(ToneLegend)]
pub fn tone_legend() -> Html {
    html! {
        <ul class="legend" aria-label="Colours">
            <li class="tone-request">{"request"}</li>
            <li class="tone-control">{"TCP control"}</li>
            <li class="tone-data">{"data"}</li>
            <li class="tone-note">{"inside the relay"}</li>
            <li class="tone-error">{"error"}</li>
        </ul>
    }
}
