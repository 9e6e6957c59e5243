//! JSON payloads for a lesson: the document re-indented, and the keys a
//! lesson expects marked present or missing.

use serde_json::Value;

/// A payload that parsed as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonView {
    /// Two-space indented, keys sorted (serde_json's map keeps them so).
    pub pretty: String,
    /// The top-level keys of an object, sorted (empty for other documents).
    pub top_keys: Vec<String>,
}

/// The payload as JSON, or `None` when it is not a JSON document.
pub fn json_view(bytes: &[u8]) -> Option<JsonView> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let pretty = serde_json::to_string_pretty(&value).ok()?;
    let top_keys = match &value {
        Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    Some(JsonView { pretty, top_keys })
}

/// Whether one expected key is in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCheck {
    /// As the lesson wrote it: `url`, `headers.Host`, `items.0.id`.
    pub path: String,
    pub present: bool,
}

/// Checks each expected key path against the payload. A path is keys
/// separated by dots, with numbers indexing arrays; an empty entry is
/// skipped. A payload that is not JSON has every key missing.
pub fn check_keys(bytes: &[u8], expected: &[String]) -> Vec<KeyCheck> {
    let value: Option<Value> = serde_json::from_slice(bytes).ok();
    expected
        .iter()
        .map(|path| path.trim())
        .filter(|path| !path.is_empty())
        .map(|path| KeyCheck {
            path: path.to_owned(),
            present: value.as_ref().is_some_and(|v| lookup(v, path).is_some()),
        })
        .collect()
}

/// The keys a learner typed, separated by commas or spaces.
pub fn parse_key_list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect()
}

fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |here, key| match here {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"url":"http://lab/json","headers":{"Host":"lab"},"items":[{"id":1}],"n":null}"#;

    #[test]
    fn json_is_reindented_with_sorted_keys() {
        insta::assert_snapshot!(json_view(BODY).unwrap().pretty);
        assert_eq!(
            json_view(BODY).unwrap().top_keys,
            ["headers", "items", "n", "url"]
        );
        assert_eq!(json_view(b"[1,2]").unwrap().top_keys, Vec::<String>::new());
    }

    #[test]
    fn what_is_not_json_has_no_json_view() {
        assert_eq!(json_view(b""), None);
        assert_eq!(json_view(b"hello"), None);
        assert_eq!(json_view(b"{\"a\":"), None);
    }

    #[test]
    fn expected_keys_are_marked_present_or_missing() {
        let expected = parse_key_list("url, headers.Host items.0.id\nitems.1.id, n, origin,,");
        insta::assert_debug_snapshot!(check_keys(BODY, &expected));
        let missing = check_keys(b"not json", &expected);
        assert!(missing.iter().all(|check| !check.present));
        assert_eq!(check_keys(BODY, &[]), vec![]);
    }
}
