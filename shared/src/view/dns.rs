//! DNS answers for people: the labels the diagram uses for DNS steps, and
//! records laid out as dig prints them (name, TTL, class, type, data in
//! aligned columns).

use crate::protocol::{DnsMode, DnsRecord, DnsType, EventKind};

pub use crate::model::dns::Outcome;

/// What DNS operation's events come to so far: derived from its
/// [`Ladder`](crate::model::dns::Ladder), the one DNS fold.
pub fn outcome<'a>(events: impl IntoIterator<Item = &'a EventKind>) -> Outcome {
    // The outcome needs neither times nor zones.
    crate::model::dns::Ladder::of_events(DnsMode::Stub, events.into_iter().map(|e| (0, e)))
        .outcome()
}

/// The browser's request, e.g. `dns A echo.lab.test (trace)`.
pub fn request_label(name: &str, rtype: DnsType, mode: DnsMode) -> String {
    let mode = match mode {
        DnsMode::Stub => "",
        DnsMode::Trace => " (trace)",
    };
    format!("dns {} {name}{mode}", rtype.as_str())
}

/// A response, e.g. `NOERROR 1 answer`, `NOERROR 3 answers`, `NXDOMAIN`.
/// A NOERROR response without answers is a referral or an empty answer:
/// `NOERROR 0 answers`.
pub fn response_label(rcode: &str, answers: usize) -> String {
    match (rcode, answers) {
        ("NOERROR", 1) => "NOERROR 1 answer".to_owned(),
        ("NOERROR", n) => format!("NOERROR {n} answers"),
        (rcode, 0) => rcode.to_owned(),
        (rcode, 1) => format!("{rcode} 1 answer"),
        (rcode, n) => format!("{rcode} {n} answers"),
    }
}

/// What a response without answers means. NXDOMAIN: the name does not
/// exist, for any type. NOERROR with no answer (called NODATA): the name
/// exists, but has no records of the type asked.
pub fn empty_meaning(rcode: &str) -> Option<&'static str> {
    match rcode {
        "NXDOMAIN" => Some("NXDOMAIN: no such name (it has no records of any type)"),
        "NOERROR" => Some("NODATA: the name exists, but has no records of that type"),
        _ => None,
    }
}

/// The outcome in words when it holds no answer, e.g. for a name that does
/// not exist; `None` while asking, with answers, or on a failure.
pub fn outcome_meaning(outcome: &Outcome) -> Option<&'static str> {
    if !outcome.done || !outcome.answers.is_empty() || outcome.error.is_some() {
        return None;
    }
    empty_meaning(outcome.rcode.as_deref()?)
}

/// Said when the DNS lab (no server given) is asked about a name it does
/// not serve: it knows only `lab.test` and its own addresses' reverse
/// names.
pub fn lab_scope_note(name: &str, server: Option<&str>) -> Option<&'static str> {
    if server.is_some_and(|s| !s.trim().is_empty()) {
        return None;
    }
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let served = name == "lab.test"
        || name.ends_with(".lab.test")
        || name.ends_with(".0.0.127.in-addr.arpa")
        || name.starts_with("127.0.0.")
        || name.is_empty();
    (!served).then_some(
        "The DNS lab answers only for names under lab.test (and the reverse \
         names of its 127.0.0.x addresses). To ask a real resolver, give its \
         address as Server (for example 9.9.9.9:53); the relay's policy \
         decides whether it may.",
    )
}

/// The five columns of a record, as dig prints them.
pub fn columns(record: &DnsRecord) -> [String; 5] {
    [
        record.name.clone(),
        record.ttl.to_string(),
        record.class.clone(),
        record.rtype.clone(),
        record.data.clone(),
    ]
}

/// Records as a dig-style table: one line per record, columns separated by
/// at least one space and padded to line up (the data column is not padded).
pub fn table(records: &[DnsRecord]) -> String {
    let rows: Vec<[String; 5]> = records.iter().map(columns).collect();
    let mut widths = [0usize; 4];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        for (cell, width) in row.iter().zip(widths) {
            out.push_str(cell);
            let pad = width - cell.chars().count() + 1;
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(&row[4]);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::dns::tests::record;

    #[test]
    fn tables_line_up_like_dig() {
        let records = [
            record("www.lab.test.", 300, "CNAME", "web.lab.test."),
            record("web.lab.test.", 300, "CNAME", "host.lab.test."),
            record("host.lab.test.", 5, "A", "127.0.0.1"),
        ];
        assert_eq!(
            table(&records),
            "\
www.lab.test.  300 IN CNAME web.lab.test.
web.lab.test.  300 IN CNAME host.lab.test.
host.lab.test. 5   IN A     127.0.0.1
"
        );
        assert_eq!(table(&[]), "");
    }

    #[test]
    fn outcomes_keep_the_last_response_and_the_ending() {
        use crate::protocol::{Closer, ErrorCode, RelayError};
        let response = |rcode: &str, answers: Vec<DnsRecord>| EventKind::DnsResponse {
            server: "127.0.0.4:53".into(),
            rcode: rcode.into(),
            answers,
            authority: vec![],
            additional: vec![],
            elapsed_us: 250,
        };
        let sent = EventKind::DnsQuerySent {
            server: "127.0.0.2:53".into(),
            name: "echo.lab.test.".into(),
            rtype: DnsType::A,
        };
        let answer = record("echo.lab.test.", 300, "A", "127.0.0.1");
        let events = [
            sent.clone(),
            response("NOERROR", vec![]),
            EventKind::DnsReferral {
                zone: "lab.test.".into(),
                servers: vec![],
                addrs: vec![],
            },
            sent.clone(),
            response("NOERROR", vec![answer.clone()]),
            EventKind::Closed { by: Closer::Relay },
        ];
        assert_eq!(
            outcome(&events),
            Outcome {
                queries: 2,
                server: Some("127.0.0.4:53".into()),
                rcode: Some("NOERROR".into()),
                answers: vec![answer],
                elapsed_us: Some(250),
                referrals: vec!["lab.test.".into()],
                error: None,
                done: true,
            }
        );
        let failed = [
            sent,
            EventKind::Failed {
                error: RelayError::new(ErrorCode::DnsTimeout, "no answer"),
            },
        ];
        let outcome = outcome(&failed);
        assert_eq!(outcome.error.as_deref(), Some("no answer"));
        assert!(outcome.done && outcome.rcode.is_none());
        assert_eq!(super::outcome(&[]), Outcome::default());
    }

    #[test]
    fn labels_say_what_happened() {
        assert_eq!(response_label("NOERROR", 1), "NOERROR 1 answer");
        assert_eq!(response_label("NOERROR", 3), "NOERROR 3 answers");
        assert_eq!(response_label("NOERROR", 0), "NOERROR 0 answers");
        assert_eq!(response_label("NXDOMAIN", 0), "NXDOMAIN");
        assert_eq!(
            request_label("echo.lab.test", DnsType::A, DnsMode::Trace),
            "dns A echo.lab.test (trace)"
        );
        assert_eq!(
            request_label("127.0.0.1", DnsType::Ptr, DnsMode::Stub),
            "dns PTR 127.0.0.1"
        );
    }

    #[test]
    fn nxdomain_and_nodata_are_told_apart() {
        let empty = |rcode: &str| Outcome {
            rcode: Some(rcode.into()),
            done: true,
            ..Outcome::default()
        };
        let nx = outcome_meaning(&empty("NXDOMAIN")).unwrap();
        let nodata = outcome_meaning(&empty("NOERROR")).unwrap();
        assert!(nx.starts_with("NXDOMAIN: no such name"), "{nx}");
        assert!(nodata.starts_with("NODATA: the name exists"), "{nodata}");
        assert_eq!(outcome_meaning(&Outcome::default()), None, "still asking");
    }

    #[test]
    fn the_lab_says_it_answers_only_for_lab_test() {
        assert_eq!(lab_scope_note("www.lab.test", None), None);
        assert_eq!(lab_scope_note("LAB.test.", None), None);
        assert_eq!(lab_scope_note("127.0.0.1", None), None);
        let note = lab_scope_note("example.com", None).unwrap();
        assert!(note.contains("only for names under lab.test"), "{note}");
        assert!(note.contains("Server"), "{note}");
        // A name that only ends like the lab's is not the lab's.
        assert!(lab_scope_note("evillab.test", None).is_some());
        // Asking a real resolver: no note.
        assert_eq!(lab_scope_note("example.com", Some("9.9.9.9:53")), None);
    }
}
