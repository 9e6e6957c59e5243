//! JSON payloads for a lesson: the document re-indented, and the keys a
//! lesson expects checked as a program would check them: present or
//! missing, of the type it needs, in a document of the shape it needs
//! (an object, not a list), and said in plain words.

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

/// The six types a JSON value can have, as JSON names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonType {
    String,
    /// An integer or a fraction: JSON has one number type.
    Number,
    /// `true` or `false`.
    Boolean,
    Null,
    /// A list of values (`[...]`; a Python `list`).
    Array,
    /// Keys and values (`{...}`; a Python `dict`).
    Object,
}

impl JsonType {
    pub fn of(value: &Value) -> JsonType {
        match value {
            Value::String(_) => JsonType::String,
            Value::Number(_) => JsonType::Number,
            Value::Bool(_) => JsonType::Boolean,
            Value::Null => JsonType::Null,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    /// The type a learner wrote after a key: JSON's names, and Python's.
    pub fn parse(name: &str) -> Option<JsonType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" | "str" => JsonType::String,
            "number" | "int" | "float" => JsonType::Number,
            "boolean" | "bool" => JsonType::Boolean,
            "null" | "none" => JsonType::Null,
            "array" | "list" => JsonType::Array,
            "object" | "dict" => JsonType::Object,
            _ => return None,
        })
    }

    /// With its article, for a sentence: "a number", "an array".
    pub fn words(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Number => "a number",
            JsonType::Boolean => "true or false",
            JsonType::Null => "null",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
        }
    }
}

/// What one expected key turned out to be in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// There, and of the type asked for (any type when none was asked).
    Present(JsonType),
    Missing,
    /// There, of another type than the one asked for.
    WrongType {
        want: JsonType,
        got: JsonType,
    },
    /// The path cannot be followed: `at` (the key path so far; empty for
    /// the document itself) is `got` where the path needs `want`, a
    /// container it can look into. A list where one object was expected.
    OtherShape {
        at: String,
        want: JsonType,
        got: JsonType,
    },
    /// The payload is not JSON: nothing in it can be looked up.
    NotJson,
    /// The type after the key is not one of JSON's (or Python's) names.
    UnknownType(String),
}

/// One expected key, as the lesson or the learner wrote it, and what it
/// turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCheck {
    /// As written, without the type: `url`, `headers.Host`, `items.0.id`.
    pub path: String,
    /// The type written after a colon (`temp:number`), if any.
    pub want: Option<JsonType>,
    pub state: KeyState,
}

impl KeyCheck {
    /// The key is there with the type asked for.
    pub fn ok(&self) -> bool {
        matches!(self.state, KeyState::Present(_))
    }

    /// In plain words, code in backticks: "`temp` should be a number, got
    /// a string".
    pub fn words(&self) -> String {
        let path = &self.path;
        match &self.state {
            KeyState::Present(got) => match self.want {
                Some(_) => format!("`{path}` is {}", got.words()),
                None => format!("`{path}` present"),
            },
            KeyState::Missing => format!("`{path}` missing"),
            KeyState::WrongType { want, got } => {
                format!("`{path}` should be {}, got {}", want.words(), got.words())
            }
            KeyState::OtherShape { at, want, got } => {
                let what = if at.is_empty() {
                    "the document".to_owned()
                } else {
                    format!("`{at}`")
                };
                format!(
                    "`{path}` cannot be read: {what} should be {}, got {}",
                    want.words(),
                    got.words()
                )
            }
            KeyState::NotJson => format!("`{path}` cannot be read: the payload is not JSON"),
            KeyState::UnknownType(name) => format!(
                "`{name}` is not a JSON type: write string, number, boolean, null, array or object"
            ),
        }
    }
}

/// Checks each expected key against the payload: there or missing, of the
/// type written after it (`temp:number`), and reachable (each key on the
/// way in a container of the shape the path needs). A path is keys
/// separated by dots, with numbers indexing arrays; an empty entry is
/// skipped.
pub fn check_keys(bytes: &[u8], expected: &[String]) -> Vec<KeyCheck> {
    let value: Option<Value> = serde_json::from_slice(bytes).ok();
    expected
        .iter()
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (path, typed) = match entry.rsplit_once(':') {
                Some((path, name)) => (path.trim(), Some(name.trim())),
                None => (entry, None),
            };
            let want = typed.and_then(JsonType::parse);
            let state = match (typed, want, &value) {
                (Some(name), None, _) => KeyState::UnknownType(name.to_owned()),
                (_, _, None) => KeyState::NotJson,
                (_, _, Some(value)) => state_of(value, path, want),
            };
            KeyCheck {
                path: path.to_owned(),
                want,
                state,
            }
        })
        .collect()
}

/// How a whole response fits what a program expects of it: the first
/// problem of [`check_keys`] in the order a program meets them (parse,
/// then shape, then keys, then types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Every expected key is there, of its type.
    Fits,
    NotJson,
    OtherShape,
    Missing,
    WrongType,
}

/// [`Fit`] of a payload against expected keys written as the inspector
/// takes them (`city:string temp:number`).
pub fn fit(bytes: &[u8], expected: &str) -> Fit {
    let checks = check_keys(bytes, &parse_key_list(expected));
    let any = |test: &dyn Fn(&KeyState) -> bool| checks.iter().any(|c| test(&c.state));
    if serde_json::from_slice::<Value>(bytes).is_err() {
        Fit::NotJson
    } else if any(&|s| matches!(s, KeyState::OtherShape { .. })) {
        Fit::OtherShape
    } else if any(&|s| matches!(s, KeyState::Missing)) {
        Fit::Missing
    } else if any(&|s| !matches!(s, KeyState::Present(_))) {
        Fit::WrongType
    } else {
        Fit::Fits
    }
}

/// Why a payload is not JSON, as serde_json says it ("expected value at
/// line 1 column 1"); `None` when it is.
pub fn parse_error(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(bytes)
        .err()
        .map(|e| e.to_string())
}

/// The keys a learner typed, separated by commas or spaces.
pub fn parse_key_list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What `path` is in `value`: followed key by key, each container on the
/// way of a shape the next key can look into.
fn state_of(value: &Value, path: &str, want: Option<JsonType>) -> KeyState {
    let mut here = value;
    let mut walked = String::new();
    for key in path.split('.') {
        let index = key.parse::<usize>().ok();
        let next = match (here, index) {
            (Value::Object(map), _) => map.get(key),
            (Value::Array(items), Some(i)) => items.get(i),
            (other, _) => {
                return KeyState::OtherShape {
                    at: walked,
                    // A number can index a list; any other key needs keys.
                    want: if index.is_some() {
                        JsonType::Array
                    } else {
                        JsonType::Object
                    },
                    got: JsonType::of(other),
                };
            }
        };
        let Some(next) = next else {
            return KeyState::Missing;
        };
        here = next;
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(key);
    }
    let got = JsonType::of(here);
    match want {
        Some(want) if want != got => KeyState::WrongType { want, got },
        _ => KeyState::Present(got),
    }
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

    fn words(bytes: &[u8], expected: &str) -> Vec<String> {
        check_keys(bytes, &parse_key_list(expected))
            .iter()
            .map(KeyCheck::words)
            .collect()
    }

    #[test]
    fn expected_keys_are_marked_present_or_missing() {
        let expected = parse_key_list("url, headers.Host items.0.id\nitems.1.id, n, origin,,");
        let checks = check_keys(BODY, &expected);
        assert_eq!(
            checks
                .iter()
                .map(|c| (c.path.as_str(), c.ok()))
                .collect::<Vec<_>>(),
            [
                ("url", true),
                ("headers.Host", true),
                ("items.0.id", true),
                ("items.1.id", false),
                ("n", true),
                ("origin", false),
            ]
        );
        assert_eq!(
            words(BODY, "url origin"),
            ["`url` present", "`origin` missing"]
        );
        assert_eq!(
            words(b"not json", "url"),
            ["`url` cannot be read: the payload is not JSON"]
        );
        assert_eq!(check_keys(BODY, &[]), vec![]);
    }

    const REPORT: &[u8] = br#"{"city":"Lisbon","temp":18.5,"ok":true,"tags":["a"],"at":null}"#;

    #[test]
    fn a_type_after_the_key_is_checked_too() {
        assert_eq!(
            words(
                REPORT,
                "city:string temp:number ok:bool tags:list at:null, city:object"
            ),
            [
                "`city` is a string",
                "`temp` is a number",
                "`ok` is true or false",
                "`tags` is an array",
                "`at` is null",
                "`city` should be an object, got a string",
            ]
        );
        let wrong = br#"{"city":"Lisbon","temp":"18.5"}"#;
        assert_eq!(
            words(wrong, "temp:number"),
            ["`temp` should be a number, got a string"]
        );
        assert_eq!(
            check_keys(wrong, &["temp:number".into()])[0].state,
            KeyState::WrongType {
                want: JsonType::Number,
                got: JsonType::String
            }
        );
        // A key that is missing is missing, whatever type was asked.
        assert_eq!(words(wrong, "wind:number"), ["`wind` missing"]);
        assert_eq!(
            words(REPORT, "temp:decimal"),
            ["`decimal` is not a JSON type: write string, number, boolean, null, array or object"]
        );
    }

    #[test]
    fn a_document_of_another_shape_is_named() {
        let list = br#"[{"city":"Lisbon","temp":18.5}]"#;
        assert_eq!(
            words(list, "temp:number, 0.temp:number"),
            [
                "`temp` cannot be read: the document should be an object, got an array",
                "`0.temp` is a number",
            ]
        );
        assert_eq!(
            words(REPORT, "city.name, temp.0, tags.first"),
            [
                "`city.name` cannot be read: `city` should be an object, got a string",
                "`temp.0` cannot be read: `temp` should be an array, got a number",
                "`tags.first` cannot be read: `tags` should be an object, got an array",
            ]
        );
    }

    #[test]
    fn a_response_fits_or_fails_first_as_a_program_meets_it() {
        let expect = "city:string temp:number";
        assert_eq!(fit(REPORT, expect), Fit::Fits);
        assert_eq!(fit(br#"{"city":"Lisbon"}"#, expect), Fit::Missing);
        assert_eq!(
            fit(br#"{"city":"Lisbon","temp":"18.5"}"#, expect),
            Fit::WrongType
        );
        // Missing comes before a wrong type: `data["temp"]` fails first.
        assert_eq!(fit(br#"{"city":1}"#, expect), Fit::Missing);
        assert_eq!(
            fit(br#"[{"city":"Lisbon","temp":18.5}]"#, expect),
            Fit::OtherShape
        );
        assert_eq!(fit(b"<html><body>busy</body></html>", expect), Fit::NotJson);
        assert_eq!(fit(b"", expect), Fit::NotJson);
        assert_eq!(
            parse_error(b"<html>").as_deref(),
            Some("expected value at line 1 column 1")
        );
        assert_eq!(parse_error(REPORT), None);
    }
}
