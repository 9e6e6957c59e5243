//! Which lessons the learner finished, as the browser keeps it (one
//! `localStorage` string): slugs separated by spaces. Unknown slugs (a
//! lesson renamed or removed) are dropped on reading, and the string stays
//! as small as the course.

use super::LESSONS;

/// The `localStorage` key.
pub const KEY: &str = "roundtrip.learn.done";

/// Lessons done, in course order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    done: Vec<&'static str>,
}

impl Progress {
    /// Reads the stored string; anything unknown is ignored.
    pub fn parse(stored: &str) -> Progress {
        let words: Vec<&str> = stored.split_whitespace().collect();
        Progress {
            done: LESSONS
                .iter()
                .map(|l| l.slug)
                .filter(|slug| words.contains(slug))
                .collect(),
        }
    }

    /// The string to store.
    pub fn to_stored(&self) -> String {
        self.done.join(" ")
    }

    pub fn is_done(&self, slug: &str) -> bool {
        self.done.contains(&slug)
    }

    /// Marks `slug` done; false when it was already (or is no lesson).
    pub fn mark_done(&mut self, slug: &str) -> bool {
        if self.is_done(slug) || !LESSONS.iter().any(|l| l.slug == slug) {
            return false;
        }
        let stored = format!("{} {slug}", self.to_stored());
        *self = Progress::parse(&stored);
        true
    }

    pub fn count(&self) -> usize {
        self.done.len()
    }

    /// Where a returning learner goes on: the first lesson not done.
    pub fn next_slug(&self) -> &'static str {
        LESSONS
            .iter()
            .find(|l| !self.is_done(l.slug))
            .unwrap_or(&LESSONS[0])
            .slug
    }
}
