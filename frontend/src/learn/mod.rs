//! The Learn course's pages. The lessons, their checks, the runner behind
//! each button and the generated code are `roundtrip_shared::learn` (pure,
//! tested natively); these components only draw them and send what the
//! runner asks for.
//!
//! - [`Root`]: chooses the page by address: the playground (with the
//!   [`front_door::FrontDoor`] on a first visit), the contents, a lesson.
//! - [`contents`]: `/learn`, the table of contents with progress.
//! - [`lesson_page`]: a lesson, at `/learn/<slug>`.
//! - [`text`]: lesson markup as HTML; [`code_box`]: the code with Copy.
//! - [`progress`]: lessons done, kept in `localStorage`.

pub mod code_box;
pub mod contents;
pub mod front_door;
pub mod lesson_page;
pub mod progress;
pub mod text;

use roundtrip_shared::learn::{self, Route};
use yew::prelude::*;

use crate::app::App;

/// The page's path, as the address bar has it.
fn pathname() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default()
}

#[function_component(Root)]
pub fn root() -> Html {
    match learn::route(&pathname()) {
        Route::Playground => html! {
            <>
                // The first Tab stop, before the front door: past the page
                // tools and the panels, straight to what the experiments
                // draw.
                <a class="skip-link" href="#views">{"Skip to the views"}</a>
                <front_door::FrontDoor />
                <App />
            </>
        },
        Route::Contents => html! { <contents::Contents /> },
        Route::Lesson(index) => html! { <lesson_page::LessonPage {index} /> },
        Route::NoSuchLesson => html! {
            <div class="page learn-page">
                <main class="learn-contents">
                    <h1>{"No such lesson"}</h1>
                    <p>{"This address names no lesson of the course. "}
                        <a id="to-contents" href="/learn">{"All lessons"}</a></p>
                </main>
            </div>
        },
    }
}
