//! One operation's events folded into meaning, once, for every view and
//! export to read: a socket's [`lifecycle`] state, an operation's
//! [`phase_marks`], an HTTP [`http::Exchange`] (attempts → hops) and a DNS
//! [`dns::Ladder`] (rungs, with the dig-style outcome derived from it).
//!
//! The model knows no geometry: relay times stay microseconds, bytes stay
//! bytes, and nothing has a position, a width or a scale. Views (waterfall,
//! retry timeline, HAR, payload inspector, HTTP answer, DNS ladder and
//! outcome) lay it out; they do not read the events that give an HTTP or
//! DNS operation its structure themselves (checked by the `tidy` tests
//! below).

pub mod dns;
pub mod http;
pub mod lifecycle;
pub mod phase_marks;

/// The layering, checked on the source as rust-analyzer's `tidy` tests do:
/// a rule nothing else would notice breaking.
#[cfg(test)]
mod tidy {
    use std::path::Path;

    /// The part of a source file before its unit tests.
    fn code(source: &str) -> &str {
        source
            .find("#[cfg(test)]\nmod tests")
            .map_or(source, |at| &source[..at])
    }

    /// The events that give an HTTP or DNS operation its structure (hops,
    /// attempts, phases, rungs): only the model reads them.
    const STRUCTURE: [&str; 15] = [
        "Redirect",
        "Attempt",
        "Backoff",
        "GaveUp",
        "RequestWritten",
        "FirstByte",
        "ResponseHead",
        "ResponseDone",
        "TlsHandshake",
        "Wire",
        "DnsQuerySent",
        "DnsResponse",
        "DnsReferral",
        "DnsGlueless",
        "DnsNsFound",
    ];

    fn reads_structure(source: &str) -> Vec<String> {
        let code = code(source);
        STRUCTURE
            .iter()
            .map(|variant| format!("EventKind::{variant}"))
            .filter(|path| {
                code.match_indices(path.as_str()).any(|(at, _)| {
                    !code[at + path.len()..].starts_with(|c: char| c.is_alphanumeric())
                })
            })
            .collect()
    }

    #[test]
    fn the_model_knows_no_geometry_and_no_view() {
        let views = [
            "crate::diagram",
            "crate::waterfall",
            "crate::retry::timeline",
            "crate::har",
            "crate::inspect",
            "crate::dns_ladder",
            "crate::http_view",
            "crate::lifecycle_graph",
        ];
        for (file, source) in [
            ("http.rs", include_str!("http.rs")),
            ("dns.rs", include_str!("dns.rs")),
        ] {
            let code = code(source);
            assert!(!code.contains("f64"), "model/{file} holds a coordinate");
            for view in views {
                assert!(!code.contains(view), "model/{file} uses {view}");
            }
        }
    }

    #[test]
    fn views_read_the_model_not_http_or_dns_events() {
        let mut views = vec![
            (
                "har.rs".to_owned(),
                include_str!("../export/har.rs").to_owned(),
            ),
            (
                "waterfall.rs".into(),
                include_str!("../view/waterfall.rs").into(),
            ),
            (
                "inspect.rs".into(),
                include_str!("../view/inspect.rs").into(),
            ),
            (
                "http_view.rs".into(),
                include_str!("../view/http_view.rs").into(),
            ),
            (
                "dns_ladder.rs".into(),
                include_str!("../view/dns_ladder.rs").into(),
            ),
            ("dns.rs".into(), include_str!("../view/dns.rs").into()),
            (
                "retry/timeline.rs".into(),
                include_str!("../retry/timeline.rs").into(),
            ),
        ];
        // The page's components render what these views return.
        let components = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src/components");
        let entries = std::fs::read_dir(&components).expect("the frontend's components");
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("a readable source");
                views.push((path.display().to_string(), source));
            }
        }
        assert!(views.len() > 10, "found the frontend's components");
        for (file, source) in &views {
            assert_eq!(reads_structure(source), Vec::<String>::new(), "{file}");
        }
        // And the check does see such a read.
        assert_eq!(
            reads_structure("match e { EventKind::Redirect { .. } => 1 }"),
            ["EventKind::Redirect"]
        );
        assert!(reads_structure("EventKind::Wirex").is_empty());
    }
}
