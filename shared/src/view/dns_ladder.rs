//! A DNS lookup drawn step by step: the question, then one rung per server
//! asked (in trace mode: root → TLD → authoritative, each referral named),
//! the final answer, CNAME chains as chains, and how much of each answer's
//! TTL is left.

use std::collections::HashSet;

use crate::protocol::{DnsMode, DnsRecord, DnsType, OpId};
use crate::trace::{Request, StepKind, Trace};

/// One DNS query of the trace, as the browser asked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub op: OpId,
    pub name: String,
    pub rtype: DnsType,
    pub mode: DnsMode,
}

/// The DNS queries of the trace, in the order they were made.
pub fn questions(trace: &Trace) -> Vec<Question> {
    trace
        .steps()
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::Request(Request::DnsQuery { name, rtype, mode }) => Some(Question {
                op: step.op,
                name: name.clone(),
                rtype: *rtype,
                mode: *mode,
            }),
            _ => None,
        })
        .collect()
}

pub use crate::model::dns::{Ladder, Rung, Said};

/// The ladder of DNS operation `op`, in `mode`: the one DNS fold
/// ([`Ladder::of_events`]) over its events.
pub fn ladder(trace: &Trace, op: OpId, mode: DnsMode) -> Ladder {
    let events = trace.steps().iter().filter(|step| step.op == op);
    Ladder::of_events(
        mode,
        events.filter_map(|step| match &step.kind {
            StepKind::Event { kind, .. } => Some((step.t_us.unwrap_or(0), kind)),
            _ => None,
        }),
    )
}

/// Names that alias one another, in the order DNS followed them, and the
/// records at the end of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// `www.lab.test.`, `web.lab.test.`, `host.lab.test.`.
    pub names: Vec<String>,
    /// The TTL of each CNAME link (one fewer than `names`).
    pub ttls: Vec<u32>,
    /// The records of the last name (`A 127.0.0.1`); empty if the chain
    /// ends without them.
    pub ends: Vec<DnsRecord>,
}

/// The CNAME chains among `records`: one per name that is an alias and not
/// itself the target of another alias. None when there is no CNAME.
pub fn chains(records: &[DnsRecord]) -> Vec<Chain> {
    let is_cname = |r: &&DnsRecord| r.rtype.eq_ignore_ascii_case("CNAME");
    let targets: HashSet<String> = records
        .iter()
        .filter(is_cname)
        .map(|r| r.data.to_ascii_lowercase())
        .collect();
    let mut out = Vec::new();
    for start in records.iter().filter(is_cname) {
        if targets.contains(&start.name.to_ascii_lowercase())
            || out
                .iter()
                .any(|c: &Chain| c.names[0].eq_ignore_ascii_case(&start.name))
        {
            continue;
        }
        let mut names = vec![start.name.clone()];
        let mut ttls = Vec::new();
        let mut seen = HashSet::from([start.name.to_ascii_lowercase()]);
        let mut here = start.name.clone();
        // A loop of aliases ends where it would repeat a name.
        while let Some(link) = records
            .iter()
            .filter(is_cname)
            .find(|r| r.name.eq_ignore_ascii_case(&here))
        {
            if !seen.insert(link.data.to_ascii_lowercase()) {
                break;
            }
            names.push(link.data.clone());
            ttls.push(link.ttl);
            here = link.data.clone();
        }
        let ends = records
            .iter()
            .filter(|r| r.name.eq_ignore_ascii_case(&here) && !is_cname(r))
            .cloned()
            .collect();
        out.push(Chain { names, ttls, ends });
    }
    out
}

/// Seconds of a TTL left `elapsed_ms` after the answer arrived.
pub fn ttl_left(ttl: u32, elapsed_ms: u64) -> u32 {
    let elapsed_s = u32::try_from(elapsed_ms / 1000).unwrap_or(u32::MAX);
    ttl.saturating_sub(elapsed_s)
}

/// A TTL for people: `expired`, `45 s`, `4 min 59 s`, `2 h 5 min`, `1 d 2 h`.
pub fn ttl_label(seconds: u32) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        _ if seconds == 0 => "expired".to_owned(),
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// The ladder as text, one line per rung and the chains after it.
pub fn text(ladder: &Ladder) -> String {
    let mut out = String::new();
    for rung in &ladder.rungs {
        let said = match &rung.said {
            Said::Nothing => "(no response)".to_owned(),
            Said::Referral { zone, servers, .. } => {
                format!("referral to {zone} ({})", servers.join(", "))
            }
            Said::Answer(records) => format!("{} answer(s)", records.len()),
            Said::Empty { .. } => rung
                .rcode
                .as_deref()
                .and_then(crate::dns::empty_meaning)
                .unwrap_or("no records")
                .to_owned(),
        };
        if let Some(ns) = &rung.lookup_of {
            out.push_str(&format!("(address of {ns}) "));
        }
        out.push_str(&format!(
            "[{}] {} asked {} -> {} {}\n",
            rung.zone,
            rung.server,
            rung.asked,
            rung.rcode.as_deref().unwrap_or("-"),
            said
        ));
    }
    for chain in chains(&ladder.answers) {
        let ends: Vec<String> = chain
            .ends
            .iter()
            .map(|r| format!("{} {}", r.rtype, r.data))
            .collect();
        out.push_str(&format!(
            "chain {} => {}\n",
            chain.names.join(" -> "),
            ends.join(", ")
        ));
    }
    if let Some(error) = &ladder.error {
        out.push_str(&format!("error: {}\n", error.message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ClientMsg, Closer, ErrorCode, Event, EventKind, RelayError, ServerMsg};

    use crate::model::dns::tests::record;

    fn query(op: OpId, mode: DnsMode, events: Vec<EventKind>) -> Trace {
        let mut trace = Trace::new();
        trace.record_request(&ClientMsg::DnsQuery {
            op,
            name: "www.lab.test".into(),
            rtype: DnsType::A,
            mode,
            server: None,
            timeout_ms: None,
        });
        for (i, kind) in events.into_iter().enumerate() {
            trace.record_server(&ServerMsg::Event(Event {
                op,
                t_us: 100 * i as u64,
                kind,
            }));
        }
        trace
    }

    fn sent(server: &str) -> EventKind {
        EventKind::DnsQuerySent {
            server: server.into(),
            name: "www.lab.test.".into(),
            rtype: DnsType::A,
        }
    }

    fn response(server: &str, rcode: &str, answers: Vec<DnsRecord>) -> EventKind {
        EventKind::DnsResponse {
            server: server.into(),
            rcode: rcode.into(),
            answers,
            authority: vec![],
            additional: vec![],
            elapsed_us: 700,
        }
    }

    fn cname_answer() -> Vec<DnsRecord> {
        vec![
            record("www.lab.test.", 300, "CNAME", "web.lab.test."),
            record("web.lab.test.", 300, "CNAME", "host.lab.test."),
            record("host.lab.test.", 60, "A", "127.0.0.1"),
        ]
    }

    #[test]
    fn a_stub_lookup_is_one_rung_with_its_chain() {
        let trace = query(
            1,
            DnsMode::Stub,
            vec![
                sent("127.0.0.1:53"),
                response("127.0.0.1:53", "NOERROR", cname_answer()),
                EventKind::Closed { by: Closer::Relay },
            ],
        );
        assert_eq!(questions(&trace)[0].name, "www.lab.test");
        let ladder = ladder(&trace, 1, DnsMode::Stub);
        assert!(ladder.done);
        assert_eq!(ladder.answered_us, Some(100));
        insta::assert_snapshot!(text(&ladder));
    }

    #[test]
    fn a_trace_walks_from_the_root_through_each_referral() {
        let referral = |zone: &str, ns: &str, addr: &str| EventKind::DnsReferral {
            zone: zone.into(),
            servers: vec![ns.into()],
            addrs: vec![addr.into()],
        };
        let trace = query(
            2,
            DnsMode::Trace,
            vec![
                sent("127.0.0.2:53"),
                response("127.0.0.2:53", "NOERROR", vec![]),
                referral("test.", "ns1.test.", "127.0.0.3:53"),
                sent("127.0.0.3:53"),
                response("127.0.0.3:53", "NOERROR", vec![]),
                referral("lab.test.", "ns1.lab.test.", "127.0.0.4:53"),
                sent("127.0.0.4:53"),
                response("127.0.0.4:53", "NOERROR", cname_answer()),
                EventKind::Closed { by: Closer::Relay },
            ],
        );
        insta::assert_snapshot!(text(&ladder(&trace, 2, DnsMode::Trace)));
    }

    #[test]
    fn a_referral_without_glue_shows_the_lookup_of_its_name_server() {
        let ns_sent = |server: &str| EventKind::DnsQuerySent {
            server: server.into(),
            name: "ns.away-ns.test.".into(),
            rtype: DnsType::A,
        };
        let referral = |zone: &str, addrs: Vec<String>| EventKind::DnsReferral {
            zone: zone.into(),
            servers: vec!["ns.away-ns.test.".into()],
            addrs,
        };
        let ns_answer = vec![record("ns.away-ns.test.", 86400, "A", "127.0.0.5")];
        let trace = query(
            4,
            DnsMode::Trace,
            vec![
                sent("127.0.0.4:53"),
                response("127.0.0.4:53", "NOERROR", vec![]),
                referral("away.lab.test.", vec![]),
                EventKind::DnsGlueless {
                    zone: "away.lab.test.".into(),
                    ns: "ns.away-ns.test.".into(),
                },
                ns_sent("127.0.0.2:53"),
                response("127.0.0.2:53", "NOERROR", vec![]),
                referral("test.", vec!["127.0.0.3:53".into()]),
                ns_sent("127.0.0.3:53"),
                response("127.0.0.3:53", "NOERROR", ns_answer),
                EventKind::DnsNsFound {
                    ns: "ns.away-ns.test.".into(),
                    addrs: vec!["127.0.0.5:53".into()],
                },
                sent("127.0.0.5:53"),
                response("127.0.0.5:53", "NOERROR", cname_answer()),
                EventKind::Closed { by: Closer::Relay },
            ],
        );
        let ladder = ladder(&trace, 4, DnsMode::Trace);
        let lookups: Vec<Option<&str>> = ladder
            .rungs
            .iter()
            .map(|r| r.lookup_of.as_deref())
            .collect();
        assert_eq!(
            lookups,
            [
                None,
                Some("ns.away-ns.test."),
                Some("ns.away-ns.test."),
                None
            ]
        );
        let zones: Vec<&str> = ladder.rungs.iter().map(|r| r.zone.as_str()).collect();
        assert_eq!(zones, [".", ".", "test.", "away.lab.test."]);
        // The final answer is the question's, not the name server's.
        assert_eq!(ladder.answers, cname_answer());
        insta::assert_snapshot!(text(&ladder));
    }

    #[test]
    fn failures_and_empty_answers_say_so() {
        let trace = query(
            3,
            DnsMode::Stub,
            vec![
                sent("127.0.0.1:53"),
                EventKind::Failed {
                    error: RelayError::new(ErrorCode::DnsTimeout, "no answer within 2000 ms"),
                },
            ],
        );
        let failed = ladder(&trace, 3, DnsMode::Stub);
        assert_eq!(failed.error.as_ref().unwrap().code, ErrorCode::DnsTimeout);
        insta::assert_snapshot!(text(&failed));
        let trace = query(
            4,
            DnsMode::Stub,
            vec![
                sent("127.0.0.1:53"),
                response("127.0.0.1:53", "NXDOMAIN", vec![]),
            ],
        );
        let ladder = ladder(&trace, 4, DnsMode::Stub);
        assert!(!ladder.done);
        assert!(matches!(ladder.rungs[0].said, Said::Empty { .. }));
        assert_eq!(text(&super::ladder(&Trace::new(), 9, DnsMode::Trace)), "");
    }

    #[test]
    fn alias_loops_end_and_plain_answers_have_no_chain() {
        assert_eq!(chains(&[record("a.", 1, "A", "127.0.0.1")]), vec![]);
        let looped = [
            record("a.", 1, "CNAME", "b."),
            record("b.", 1, "CNAME", "a."),
        ];
        // Every name is a target, so no chain has a start.
        assert_eq!(chains(&looped), vec![]);
        let tail_loop = [
            record("x.", 1, "CNAME", "a."),
            record("a.", 1, "CNAME", "b."),
            record("b.", 1, "CNAME", "a."),
        ];
        assert_eq!(chains(&tail_loop)[0].names, ["x.", "a.", "b."]);
    }

    #[test]
    fn ttls_count_down_to_expired() {
        assert_eq!(ttl_left(300, 0), 300);
        assert_eq!(ttl_left(300, 1_999), 299);
        assert_eq!(ttl_left(5, 60_000), 0);
        let labels: Vec<String> = [0, 45, 299, 7_500, 93_600].map(ttl_label).into();
        assert_eq!(
            labels,
            ["expired", "45 s", "4 min 59 s", "2 h 5 min", "1 d 2 h"]
        );
    }
}
