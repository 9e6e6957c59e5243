//! The Learn course: lessons as data and everything about them that is not
//! drawing. The page (`frontend/src/learn/`) renders what is here.
//!
//! - [`lesson`]: what a lesson is made of ([`Lesson`], [`Step`],
//!   [`Setup`], [`Target`], ...).
//! - [`lessons`]: the course itself, [`LESSONS`], in order.
//! - [`markup`]: the small markup lesson text is written in.
//! - [`checks`]: "Do this" checks and "Predict first" answers as pure
//!   functions of the page model's trace.
//! - [`runner`]: what a button does, step by step, as a pure state machine.
//! - [`codegen`]: the code beside a lesson, from its current settings.
//! - [`progress`]: which lessons are done, as the browser keeps it.

pub mod checks;
pub mod codegen;
pub mod lesson;
pub mod lessons;
pub mod markup;
pub mod progress;
pub mod runner;
#[cfg(test)]
mod tests;

pub use checks::Check;
pub use lesson::{After, Choice, Lesson, Mistake, Predict, Retry, Setup, Step, Target, Try, View};
pub use lessons::LESSONS;
pub use runner::Run;

use crate::page::State;

/// The lesson at `/learn/<slug>`.
pub fn lesson(slug: &str) -> Option<(usize, &'static Lesson)> {
    LESSONS.iter().enumerate().find(|(_, l)| l.slug == slug)
}

/// The lesson before and after the one at `index`.
pub fn neighbours(index: usize) -> (Option<&'static Lesson>, Option<&'static Lesson>) {
    let previous = index.checked_sub(1).and_then(|i| LESSONS.get(i));
    (previous, LESSONS.get(index + 1))
}

/// The page address of a lesson.
pub fn href(lesson: &Lesson) -> String {
    format!("/learn/{}", lesson.slug)
}

/// Which of the lesson's checks pass on the page's trace, in step order.
pub fn passed(lesson: &Lesson, state: &State) -> Vec<bool> {
    lesson.steps.iter().map(|s| s.check.passed(state)).collect()
}

/// Which choice of a prediction the trace shows, once it shows one.
pub fn shown_choice(predict: &Predict, state: &State) -> Option<usize> {
    predict
        .choices
        .iter()
        .position(|c| c.shows.is_some_and(|check| check.passed(state)))
}

/// Every connection of the page that got as far as `connected`: its
/// operation and its two endpoints (local, remote), oldest first.
pub fn endpoints(state: &State) -> Vec<(crate::protocol::OpId, String, String)> {
    let trace = &state.trace;
    let mut ops: Vec<_> = trace.steps().iter().map(|s| s.op).collect();
    ops.dedup();
    let mut seen = std::collections::BTreeSet::new();
    ops.into_iter()
        .filter(|op| seen.insert(*op))
        .filter_map(|op| checks::connected(trace, op).map(|(l, r)| (op, l, r)))
        .collect()
}

/// What a page address shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: the playground (with the course's front door on a first visit).
    Playground,
    /// `/learn`: the table of contents.
    Contents,
    /// `/learn/<slug>`: a lesson, by its index in [`LESSONS`].
    Lesson(usize),
    /// `/learn/<something else>`: no such lesson.
    NoSuchLesson,
}

/// The route of a page path (`location.pathname`).
pub fn route(path: &str) -> Route {
    let path = path.trim_end_matches('/');
    match path.strip_prefix("/learn") {
        Some("") => Route::Contents,
        Some(rest) => match rest.strip_prefix('/').and_then(lesson) {
            Some((index, _)) => Route::Lesson(index),
            None if rest.starts_with('/') => Route::NoSuchLesson,
            None => Route::Playground,
        },
        None => Route::Playground,
    }
}
