//! Lessons done, as this browser remembers them (`localStorage`).

use roundtrip_shared::learn::progress::{KEY, Progress};

use crate::browser;

pub fn load() -> Progress {
    Progress::parse(&browser::preference(KEY).unwrap_or_default())
}

/// Marks `slug` done and remembers it.
pub fn mark_done(slug: &str) {
    let mut progress = load();
    if progress.mark_done(slug) {
        browser::remember(KEY, &progress.to_stored());
    }
}
