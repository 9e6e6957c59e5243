//! Syntax highlighting for the Python editor: the source cut into pieces,
//! each with what it is (a keyword, a string, a comment, ...), so the page
//! can colour them. A lexer, not a parser: it reads what a course's
//! programs hold (keywords, builtins, strings with prefixes and triple
//! quotes, comments, numbers, decorators) and never fails; whatever it does
//! not know is plain text. The pieces, joined, are the source exactly.

/// What a piece of source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Keyword,
    /// A name Python defines for every program (`print`, `len`, the
    /// exceptions a course catches, ...).
    Builtin,
    String,
    Comment,
    Number,
    /// `@name` before a function.
    Decorator,
    /// The name after `def` or `class`.
    Definition,
}

impl Kind {
    /// The class the page styles it with (`None`: plain text).
    pub fn class(self) -> Option<&'static str> {
        match self {
            Kind::Plain => None,
            Kind::Keyword => Some("tok-keyword"),
            Kind::Builtin => Some("tok-builtin"),
            Kind::String => Some("tok-string"),
            Kind::Comment => Some("tok-comment"),
            Kind::Number => Some("tok-number"),
            Kind::Decorator => Some("tok-decorator"),
            Kind::Definition => Some("tok-definition"),
        }
    }
}

/// One piece of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece<'a> {
    pub kind: Kind,
    pub text: &'a str,
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "bool",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "dict",
    "dir",
    "enumerate",
    "filter",
    "float",
    "format",
    "getattr",
    "hasattr",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "object",
    "open",
    "ord",
    "print",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "sorted",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "zip",
    "self",
    "Exception",
    "BaseException",
    "OSError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "BrokenPipeError",
    "TimeoutError",
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "RuntimeError",
    "KeyboardInterrupt",
    "UnicodeDecodeError",
    "PermissionError",
];

/// `source` in pieces; joined, they are `source`. Neighbours of one kind
/// are merged, so the page draws few elements.
pub fn python(source: &str) -> Vec<Piece<'_>> {
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    let bytes = source.as_bytes();
    let mut at = 0;
    // After `def`/`class`, the next name is what they define.
    let mut defining = false;
    while at < bytes.len() {
        let start = at;
        let c = bytes[at];
        let kind = if c == b'#' {
            at = line_end(source, at);
            Kind::Comment
        } else if let Some(end) = string_at(source, at) {
            at = end;
            Kind::String
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(at + 1).is_some_and(u8::is_ascii_digit))
        {
            at = number_end(bytes, at);
            Kind::Number
        } else if c == b'@' && bytes.get(at + 1).is_some_and(|&b| is_name_start(b)) {
            at = name_end(source, at + 1);
            Kind::Decorator
        } else if source[at..]
            .chars()
            .next()
            .is_some_and(|ch| ch.is_alphabetic() || ch == '_')
        {
            at = name_end(source, at);
            let word = &source[start..at];
            if defining {
                defining = false;
                Kind::Definition
            } else if KEYWORDS.contains(&word) {
                defining = matches!(word, "def" | "class");
                Kind::Keyword
            } else if BUILTINS.contains(&word) && !after_dot(bytes, start) {
                Kind::Builtin
            } else {
                Kind::Plain
            }
        } else {
            // One character (all of it, if it is not ASCII).
            at += source[at..].chars().next().map_or(1, char::len_utf8);
            if !c.is_ascii_whitespace() {
                defining = false;
            }
            Kind::Plain
        };
        let text = &source[start..at];
        match pieces.last_mut() {
            Some(last) if last.kind == kind => {
                // Neighbours in the source: one piece.
                let from = last.text.as_ptr() as usize - source.as_ptr() as usize;
                last.text = &source[from..at];
            }
            _ => pieces.push(Piece { kind, text }),
        }
    }
    pieces
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// The end of the name starting at `at` (letters, digits, `_`, and any
/// non-ASCII letter Python allows in names).
fn name_end(source: &str, at: usize) -> usize {
    source[at..]
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(source.len(), |(i, _)| at + i)
}

fn after_dot(bytes: &[u8], at: usize) -> bool {
    bytes[..at]
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'.')
}

fn line_end(source: &str, at: usize) -> usize {
    source[at..].find('\n').map_or(source.len(), |i| at + i)
}

fn number_end(bytes: &[u8], start: usize) -> usize {
    let hex = bytes[start..].starts_with(b"0x") || bytes[start..].starts_with(b"0X");
    let mut at = start;
    while at < bytes.len() {
        let b = bytes[at];
        // 1e-5's sign (in 0xE-1 the E is a digit and the - a minus).
        let exponent_sign =
            (b == b'+' || b == b'-') && at > start && matches!(bytes[at - 1], b'e' | b'E') && !hex;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
            at += 1;
        } else {
            break;
        }
    }
    at
}

/// If a string literal starts at `at` (with its prefix: `b"`, `rb'`,
/// `f"""`, ...), where it ends: after its closing quote, or at the end of
/// the line (the source) when it is not closed.
fn string_at(source: &str, at: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut quote_at = at;
    while quote_at < bytes.len()
        && quote_at - at < 2
        && matches!(
            bytes[quote_at].to_ascii_lowercase(),
            b'r' | b'b' | b'f' | b'u'
        )
    {
        quote_at += 1;
    }
    let quote = *bytes.get(quote_at)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    // A prefix is part of a name unless the name is only the prefix.
    if quote_at > at && at > 0 && is_name_start(bytes[at - 1]) {
        return None;
    }
    let triple = bytes[quote_at..].starts_with(&[quote; 3]);
    let mut i = quote_at + if triple { 3 } else { 1 };
    while i < bytes.len() {
        let b = bytes[i];
        // A backslash keeps the quote after it from closing the string,
        // in a raw string too.
        if b == b'\\' {
            i += 2;
            continue;
        }
        if triple {
            if bytes[i..].starts_with(&[quote; 3]) {
                return Some(i + 3);
            }
        } else if b == quote {
            return Some(i + 1);
        } else if b == b'\n' {
            return Some(i);
        }
        i += 1;
    }
    Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(Kind, &str)> {
        python(source)
            .into_iter()
            .filter(|p| p.kind != Kind::Plain)
            .map(|p| (p.kind, p.text))
            .collect()
    }

    #[test]
    fn the_pieces_joined_are_the_source() {
        let sources = [
            "",
            "import socket\n",
            "x = b'\\x00' + rb\"\\d\" # é\n",
            "s = '''one\ntwo''' \"unclosed\nnext = 1\n",
            "naïve = 'ü' * 3 # ✓\n\t@decorator\ndef f(): pass",
            "'\\",
            "r'\\'",
            "x = ✓ + ∑ → 1\n",
            "1e-5 + 0x1F + 1_000 + .5",
        ];
        for source in sources {
            let joined: String = python(source).iter().map(|p| p.text).collect();
            assert_eq!(joined, source);
        }
    }

    #[test]
    fn a_course_program_is_coloured_as_an_editor_colours_it() {
        let source = r#"import socket

HOST = "echo.lab.test"  # the lab's echo
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.sendall(b"Hi\n")
    print(len(sock.recv(1024)))
"#;
        assert_eq!(
            kinds(source),
            [
                (Kind::Keyword, "import"),
                (Kind::String, "\"echo.lab.test\""),
                (Kind::Comment, "# the lab's echo"),
                (Kind::Keyword, "with"),
                (Kind::Keyword, "as"),
                (Kind::String, "b\"Hi\\n\""),
                (Kind::Builtin, "print"),
                (Kind::Builtin, "len"),
                (Kind::Number, "1024"),
            ]
        );
    }

    #[test]
    fn definitions_decorators_and_strings_in_all_their_forms() {
        assert_eq!(
            kinds("@app.route\ndef handle(conn):\n    '''Doc.'''\n"),
            [
                (Kind::Decorator, "@app"),
                (Kind::Keyword, "def"),
                (Kind::Definition, "handle"),
                (Kind::String, "'''Doc.'''"),
            ]
        );
        assert_eq!(
            kinds("class Server:\n"),
            [(Kind::Keyword, "class"), (Kind::Definition, "Server")]
        );
        // A quote escaped inside, a raw string's backslash, an f-string.
        assert_eq!(
            kinds(r#"a = "say \"hi\"" ; b = r'\d+' ; c = f"{x}!""#),
            [
                (Kind::String, r#""say \"hi\"""#),
                (Kind::String, r"r'\d+'"),
                (Kind::String, r#"f"{x}!""#),
            ]
        );
        // A name ending in a prefix letter is a name, then a string.
        assert_eq!(kinds("buf'x'"), [(Kind::String, "'x'")]);
        // An unclosed string ends at its line; the next line is code.
        assert_eq!(
            kinds("s = 'open\nimport x"),
            [(Kind::String, "'open"), (Kind::Keyword, "import")]
        );
        // `.print` is an attribute, not the builtin.
        assert_eq!(kinds("log.print(1)"), [(Kind::Number, "1")]);
    }

    #[test]
    fn numbers_in_their_forms() {
        assert_eq!(
            kinds("a = 3.14 + 1e-5 + 0xFF + 1_000 + .5 + 0xE-1"),
            [
                (Kind::Number, "3.14"),
                (Kind::Number, "1e-5"),
                (Kind::Number, "0xFF"),
                (Kind::Number, "1_000"),
                (Kind::Number, ".5"),
                (Kind::Number, "0xE"),
                (Kind::Number, "1"),
            ]
        );
    }
}
