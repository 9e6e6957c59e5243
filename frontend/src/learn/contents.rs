//! `/learn`: the course's table of contents, with the lessons this browser
//! has finished.

use roundtrip_shared::learn::{LESSONS, href};
use yew::prelude::*;

use super::progress;
use crate::hooks::use_preferences;

#[function_component(Contents)]
pub fn contents() -> Html {
    let _preferences = use_preferences();
    let progress = progress::load();
    let next = progress.next_slug();
    html! {
        <div class="page learn-page">
            <main class="learn-contents">
                <p class="learn-crumbs"><a href="/" id="to-playground">{"Playground"}</a></p>
                <h1>{"Learn network programming"}</h1>
                <p>{"A course in short lessons. Each one runs real connections through this relay, \
                    shows you what happened, and gives you the code to do the same from your own program."}</p>
                <p id="learn-progress">{format!("{} of {} lessons done.", progress.count(), LESSONS.len())}</p>
                <ol class="lesson-list">
                    {for LESSONS.iter().map(|lesson| {
                        let done = progress.is_done(lesson.slug);
                        html! {
                            <li class={classes!("lesson-item", done.then_some("done"), (lesson.slug == next).then_some("next"))}>
                                <a href={href(lesson)} data-slug={lesson.slug}>{lesson.title}</a>
                                if done { <span class="done-mark">{" ✓ done"}</span> }
                                <span class="lesson-summary">{lesson.summary}</span>
                            </li>
                        }
                    })}
                </ol>
            </main>
        </div>
    }
}
