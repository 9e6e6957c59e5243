//! Payload bytes inside JSON messages, and previews of them for labels.
//!
//! JSON has no byte strings. A payload travels as `{"text": "..."}` when it is
//! valid UTF-8 (so a person reading a log or writing a script sees the words)
//! and as `{"base64": "..."}` otherwise. The hot path never uses this: payload
//! bytes normally travel in binary frames (see [`crate::frame`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Raw bytes with the JSON form described in the module docs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Payload(pub Vec<u8>);

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({})", preview(&self.0, 32))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum PayloadJson {
    Text(String),
    Base64(String),
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => PayloadJson::Text(text.to_owned()),
            Err(_) => PayloadJson::Base64(BASE64.encode(&self.0)),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match PayloadJson::deserialize(deserializer)? {
            PayloadJson::Text(text) => Ok(Payload(text.into_bytes())),
            PayloadJson::Base64(b64) => BASE64
                .decode(b64.as_bytes())
                .map(Payload)
                .map_err(|e| serde::de::Error::custom(format!("invalid base64 payload: {e}"))),
        }
    }
}

/// A short, printable rendering of `bytes` for a diagram label or a log:
/// text in quotes with control characters escaped, cut to `max_chars`
/// characters with an ellipsis. Bytes that are not UTF-8 show as `\xNN`.
pub fn preview(bytes: &[u8], max_chars: usize) -> String {
    let mut out = String::from("\"");
    let mut shown = 0;
    for chunk in bytes.utf8_chunks() {
        let pieces = chunk
            .valid()
            .chars()
            .map(|c| c.escape_debug().to_string())
            .chain(chunk.invalid().iter().map(|b| format!("\\x{b:02x}")));
        for piece in pieces {
            if shown == max_chars {
                out.push_str("…\"");
                return out;
            }
            out.push_str(&piece);
            shown += 1;
        }
    }
    out.push('"');
    out
}

/// A byte count as a person writes it: `5 B`, `1.5 KiB`, `1 MiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_payloads_stay_readable_in_json() {
        let json = serde_json::to_string(&Payload(b"hello\n".to_vec())).unwrap();
        assert_eq!(json, r#"{"text":"hello\n"}"#);
    }

    #[test]
    fn binary_payloads_use_base64() {
        let json = serde_json::to_string(&Payload(vec![0xff, 0x00, 0x41])).unwrap();
        assert_eq!(json, r#"{"base64":"/wBB"}"#);
        let back: Payload = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, vec![0xff, 0x00, 0x41]);
    }

    #[test]
    fn bad_base64_is_a_readable_error() {
        let err = serde_json::from_str::<Payload>(r#"{"base64":"!!"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid base64 payload"), "{err}");
    }

    #[test]
    fn previews_escape_and_truncate() {
        assert_eq!(preview(b"hello", 10), r#""hello""#);
        assert_eq!(preview(b"hi\r\n", 10), r#""hi\r\n""#);
        assert_eq!(preview(b"abcdefgh", 3), r#""abc…""#);
        assert_eq!(preview(&[b'a', 0xff, b'b'], 10), r#""a\xffb""#);
        assert_eq!(preview(b"", 10), r#""""#);
    }

    #[test]
    fn byte_counts_read_naturally() {
        assert_eq!(format_bytes(5), "5 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(1024 * 1024), "1 MiB");
    }
}
