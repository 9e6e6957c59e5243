//! The learner's edits to an example, as the browser keeps them between
//! visits: the example's programs, each with the text the learner left.
//! Kept per example (the page's storage key names it); only edits are kept
//! (an example as it ships is not stored), and a stored copy that no longer
//! fits the example (its programs renamed in a newer page) is ignored.

/// The most a stored example may hold: a browser's storage for the page is
/// a few megabytes, shared with everything else the page keeps.
pub const MAX_SAVED_BYTES: usize = 256 * 1024;

/// What to do with the browser's copy after an edit.
#[derive(Debug, PartialEq, Eq)]
pub enum Save {
    /// The programs are the example's own again: drop the copy.
    Forget,
    /// Keep this text.
    Keep(String),
    /// Too long to keep: the edits live until the page is closed.
    TooLong,
}

/// What to keep for `files`, the example's programs as edited; `example`
/// is the same programs as the example ships them.
pub fn save(files: &[(String, String)], example: &[(&str, &str)]) -> Save {
    if !is_edited(files, example) {
        return Save::Forget;
    }
    let Ok(text) = serde_json::to_string(files) else {
        return Save::TooLong;
    };
    if text.len() > MAX_SAVED_BYTES {
        Save::TooLong
    } else {
        Save::Keep(text)
    }
}

/// Whether `files` differ from `example` as it ships.
pub fn is_edited(files: &[(String, String)], example: &[(&str, &str)]) -> bool {
    files.len() != example.len()
        || files
            .iter()
            .zip(example)
            .any(|((name, code), (n, c))| name != n || code != c)
}

/// The programs kept in `stored`, if it is a copy of `example` (the same
/// program names, in order) and within the size kept; otherwise `None`,
/// and the page shows the example as it ships.
pub fn restore(stored: &str, example: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    if stored.len() > MAX_SAVED_BYTES {
        return None;
    }
    let files: Vec<(String, String)> = serde_json::from_str(stored).ok()?;
    let fits = files.len() == example.len()
        && files
            .iter()
            .zip(example)
            .all(|((name, _), (n, _))| name == n);
    fits.then_some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &[(&str, &str)] = &[("server.py", "print(1)\n"), ("client.py", "print(2)\n")];

    fn owned(files: &[(&str, &str)]) -> Vec<(String, String)> {
        files
            .iter()
            .map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn an_edit_is_kept_and_comes_back() {
        let mut files = owned(EXAMPLE);
        files[1].1 = "print(\"édité\")\n".to_owned();
        let Save::Keep(text) = save(&files, EXAMPLE) else {
            panic!("not kept")
        };
        assert_eq!(restore(&text, EXAMPLE), Some(files));
    }

    #[test]
    fn the_example_as_it_ships_is_not_kept() {
        assert_eq!(save(&owned(EXAMPLE), EXAMPLE), Save::Forget);
    }

    #[test]
    fn a_copy_that_does_not_fit_the_example_is_ignored() {
        // Renamed programs (a newer page), another count, broken text.
        let renamed = serde_json::to_string(&owned(&[("a.py", "x"), ("client.py", "y")])).unwrap();
        assert_eq!(restore(&renamed, EXAMPLE), None);
        let fewer = serde_json::to_string(&owned(&[("server.py", "x")])).unwrap();
        assert_eq!(restore(&fewer, EXAMPLE), None);
        for broken in ["", "{", "[1,2]", "null", "{\"server.py\":\"x\"}"] {
            assert_eq!(restore(broken, EXAMPLE), None, "{broken}");
        }
    }

    #[test]
    fn nothing_past_the_limit_is_kept_or_read() {
        let mut files = owned(EXAMPLE);
        files[0].1 = "#".repeat(MAX_SAVED_BYTES);
        assert_eq!(save(&files, EXAMPLE), Save::TooLong);
        let too_long = serde_json::to_string(&files).unwrap();
        assert_eq!(restore(&too_long, EXAMPLE), None);
    }
}
