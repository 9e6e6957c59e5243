//! Payload bytes for a person to read: as text, with its encoding named and
//! bytes that are not UTF-8 marked, and as a hex dump in the layout of
//! `xxd` (offset, sixteen bytes in pairs, the printable ASCII beside them).

use std::fmt::Write as _;

/// How a payload reads as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextView {
    /// `empty`, `ASCII`, `UTF-8`, or `not UTF-8 (3 invalid bytes)`.
    pub encoding: String,
    /// The bytes in order: runs of text and runs of bytes that are not UTF-8.
    pub pieces: Vec<TextPiece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextPiece {
    Text(String),
    /// Bytes that do not decode, shown as `\xNN` each so that a learner
    /// sees where the text breaks rather than a replacement character.
    Invalid(String),
}

/// Splits `bytes` into text and marked invalid bytes, and names the encoding.
pub fn text_view(bytes: &[u8]) -> TextView {
    let mut pieces = Vec::new();
    let mut invalid = 0;
    for chunk in bytes.utf8_chunks() {
        if !chunk.valid().is_empty() {
            pieces.push(TextPiece::Text(chunk.valid().to_owned()));
        }
        if !chunk.invalid().is_empty() {
            invalid += chunk.invalid().len();
            pieces.push(TextPiece::Invalid(
                chunk
                    .invalid()
                    .iter()
                    .map(|b| format!("\\x{b:02x}"))
                    .collect(),
            ));
        }
    }
    let encoding = if bytes.is_empty() {
        "empty".to_owned()
    } else if bytes.is_ascii() {
        "ASCII".to_owned()
    } else if invalid == 0 {
        "UTF-8".to_owned()
    } else {
        let noun = if invalid == 1 { "byte" } else { "bytes" };
        format!("not UTF-8 ({invalid} invalid {noun})")
    };
    TextView { encoding, pieces }
}

/// Bytes per line of a hex dump, as `xxd` prints them.
pub const BYTES_PER_LINE: usize = 16;

/// One line of a hex dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexLine {
    /// `00000010`: where the line starts, in hex.
    pub offset: String,
    /// `4745 5420 2f6a`: the bytes in hex, two per group, padded so that the
    /// ASCII column lines up on a short last line.
    pub hex: String,
    /// The printable ASCII of the same bytes, `.` for the rest.
    pub ascii: String,
}

/// `bytes` as `xxd` lays them out.
pub fn hex_lines(bytes: &[u8]) -> Vec<HexLine> {
    bytes
        .chunks(BYTES_PER_LINE)
        .enumerate()
        .map(|(index, chunk)| {
            let mut hex = String::new();
            for (i, byte) in chunk.iter().enumerate() {
                if i > 0 && i % 2 == 0 {
                    hex.push(' ');
                }
                let _ = write!(hex, "{byte:02x}");
            }
            // A full line is 16 * 2 digits + 7 spaces.
            let full = BYTES_PER_LINE * 2 + BYTES_PER_LINE / 2 - 1;
            while hex.len() < full {
                hex.push(' ');
            }
            let ascii = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            HexLine {
                offset: format!("{:08x}", index * BYTES_PER_LINE),
                hex,
                ascii,
            }
        })
        .collect()
}

/// The whole dump as text, one `offset: hex  ascii` line each, like `xxd`.
pub fn hex_dump(bytes: &[u8]) -> String {
    hex_lines(bytes)
        .iter()
        .map(|line| format!("{}: {}  {}\n", line.offset, line.hex, line.ascii))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_dumps_look_like_xxd() {
        insta::assert_snapshot!(hex_dump(
            b"GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n\x00\xff"
        ));
    }

    #[test]
    fn an_empty_payload_has_no_lines() {
        assert_eq!(hex_dump(b""), "");
        assert_eq!(hex_lines(b""), vec![]);
    }

    #[test]
    fn a_full_line_has_no_padding() {
        let lines = hex_lines(&(0u8..16).collect::<Vec<_>>());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].hex, "0001 0203 0405 0607 0809 0a0b 0c0d 0e0f");
        assert_eq!(lines[0].ascii, "................");
    }

    #[test]
    fn text_views_name_the_encoding_and_mark_bad_bytes() {
        insta::assert_debug_snapshot!([
            text_view(b""),
            text_view(b"hello\n"),
            text_view("grüße".as_bytes()),
            text_view(b"ok\xff\xfeok\xc3"),
        ]);
    }
}
