//! The small markup lesson text is written in, parsed into blocks a view
//! renders. Deliberately tiny, so a teacher can write it without a manual:
//!
//! - paragraphs are separated by a blank line;
//! - a line starting with `- ` is an item of a list;
//! - `` `code` `` is code (socket calls, addresses, bytes);
//! - `**words**` is emphasis, which may hold `` `code` `` (its text is
//!   parsed again as running text).
//!
//! A marker left open (an odd number of backticks) stays plain text: a typo
//! shows as written instead of swallowing the rest of the paragraph.

/// A piece of running text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Code(String),
    Strong(String),
}

/// A block of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Span>),
    List(Vec<Vec<Span>>),
}

/// `text` as blocks.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    for chunk in text.split("\n\n") {
        let lines: Vec<&str> = chunk
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        if lines.iter().all(|l| l.starts_with("- ")) {
            blocks.push(Block::List(lines.iter().map(|l| spans(&l[2..])).collect()));
        } else {
            blocks.push(Block::Paragraph(spans(&lines.join(" "))));
        }
    }
    blocks
}

/// Inline markup of one paragraph or item.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (marker, make): (&str, fn(String) -> Span) = if rest.starts_with('`') {
            ("`", Span::Code)
        } else if rest.starts_with("**") {
            ("**", Span::Strong)
        } else {
            let c = rest.chars().next().expect("not empty");
            plain.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let inner = &rest[marker.len()..];
        match inner.find(marker) {
            Some(end) if end > 0 => {
                if !plain.is_empty() {
                    out.push(Span::Text(std::mem::take(&mut plain)));
                }
                out.push(make(inner[..end].to_owned()));
                rest = &inner[end + marker.len()..];
            }
            _ => {
                plain.push_str(marker);
                rest = inner;
            }
        }
    }
    if !plain.is_empty() {
        out.push(Span::Text(plain));
    }
    out
}

/// The words of `text` (markup removed), for the length rule of lessons.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Span {
        Span::Text(s.into())
    }

    #[test]
    fn paragraphs_lists_code_and_emphasis() {
        let blocks = parse("One `connect()` call\nwraps.\n\n- first **item**\n- second\n\nEnd.");
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph(vec![
                    text("One "),
                    Span::Code("connect()".into()),
                    text(" call wraps.")
                ]),
                Block::List(vec![
                    vec![text("first "), Span::Strong("item".into())],
                    vec![text("second")]
                ]),
                Block::Paragraph(vec![text("End.")]),
            ]
        );
    }

    #[test]
    fn an_open_marker_stays_plain_text() {
        assert_eq!(spans("a ` b ** c"), vec![text("a ` b ** c")]);
        assert_eq!(spans("``"), vec![text("``")]);
    }

    #[test]
    fn emphasis_may_hold_code() {
        let outer = spans("**Honour `Retry-After`.** Then");
        assert_eq!(
            outer,
            vec![Span::Strong("Honour `Retry-After`.".into()), text(" Then")]
        );
        let Span::Strong(inner) = &outer[0] else {
            panic!("{outer:?}")
        };
        assert_eq!(
            spans(inner),
            vec![text("Honour "), Span::Code("Retry-After".into()), text(".")]
        );
    }

    #[test]
    fn words_are_counted_without_markup() {
        assert_eq!(word_count("Two `words` - and **more**"), 4);
    }
}
