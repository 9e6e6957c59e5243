//! The front door: on the playground, until the learner dismisses it, a
//! line that offers the course (from lesson 1, or where they stopped) with
//! the playground one click away.

use roundtrip_shared::learn::{self, LESSONS};
use yew::prelude::*;

use super::progress;
use crate::browser;

const DISMISSED: &str = "roundtrip.learn.front-door";

#[function_component(FrontDoor)]
pub fn front_door() -> Html {
    // A shared link (experiment or trace) is someone's work to look at:
    // the course does not stand in front of it.
    let shown = use_state(|| {
        browser::fragment().is_empty() && browser::preference(DISMISSED).as_deref() != Some("yes")
    });
    if !*shown {
        return Html::default();
    }
    let progress = progress::load();
    let (start_label, start) = match learn::lesson(progress.next_slug()) {
        Some((index, lesson)) if progress.count() > 0 => (
            format!("Go on: lesson {}, {}", index + 1, lesson.title),
            learn::href(lesson),
        ),
        _ => ("Start the course".to_owned(), learn::href(&LESSONS[0])),
    };
    let on_playground = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| {
            browser::remember(DISMISSED, "yes");
            shown.set(false);
        })
    };
    html! {
        <aside id="front-door" class="front-door" aria-label="Learn">
            <p>
                <strong>{"New to network programming?"}</strong>
                {" Learn it live, lesson by lesson."}
            </p>
            <p class="front-door-actions">
                <a id="front-door-start" class="button-link" href={start}>{start_label}</a>
                <a id="front-door-contents" href="/learn">{"Pick a lesson"}</a>
                <button type="button" id="front-door-playground" onclick={on_playground}>
                    {"Use the playground"}
                </button>
            </p>
        </aside>
    }
}
