//! DNS answers for people: the labels the diagram uses for DNS steps, and
//! records laid out as dig prints them (name, TTL, class, type, data in
//! aligned columns).

use crate::protocol::{DnsMode, DnsRecord, DnsType};

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

    fn record(name: &str, ttl: u32, rtype: &str, data: &str) -> DnsRecord {
        DnsRecord {
            name: name.into(),
            ttl,
            class: "IN".into(),
            rtype: rtype.into(),
            data: data.into(),
        }
    }

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
}
