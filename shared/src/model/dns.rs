//! One DNS operation's events, folded once into its [`Ladder`]: one rung
//! per query (in trace mode root → TLD → authoritative, and the lookups of
//! name servers whose referral came without glue, nested), what each server
//! said, the final answer and how the operation ended. The dig-style
//! [`Outcome`] the DNS panel shows is derived from the ladder
//! ([`Ladder::outcome`]), so the two never disagree about which response
//! was the question's.

use crate::protocol::{DnsMode, DnsRecord, EventKind, RelayError};

/// What a server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Said {
    /// No response yet (or none ever: the operation failed).
    Nothing,
    /// "Not me: ask the servers of `zone`."
    Referral {
        zone: String,
        servers: Vec<String>,
        addrs: Vec<String>,
    },
    /// The answer records (CNAMEs included).
    Answer(Vec<DnsRecord>),
    /// A response without answers: NXDOMAIN, or NOERROR with no records of
    /// that type (the authority section has the zone's SOA).
    Empty { authority: Vec<DnsRecord> },
}

/// One query to one server and its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rung {
    /// `127.0.0.2:53`.
    pub server: String,
    /// Whom the server speaks for: `.` (the root), a referral's zone, or
    /// `resolver` for a stub query.
    pub zone: String,
    /// `echo.lab.test. A`.
    pub asked: String,
    /// Asked while looking up this name server's address (its referral
    /// came without glue), not for the question itself.
    pub lookup_of: Option<String>,
    /// Relay time the query went out.
    pub sent_us: u64,
    /// The address the response came from (the server asked).
    pub responder: Option<String>,
    pub rcode: Option<String>,
    pub elapsed_us: Option<u64>,
    pub said: Said,
}

/// A DNS operation, rung by rung.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    pub rungs: Vec<Rung>,
    /// The final answer's records (empty until there is one).
    pub answers: Vec<DnsRecord>,
    /// Relay time the final answer arrived.
    pub answered_us: Option<u64>,
    /// The failure, with its code and refusal for its explanation.
    pub error: Option<RelayError>,
    pub done: bool,
}

/// What one DNS operation has come to so far: the last response to the
/// question itself (not to a name server's lookup), how many queries went
/// out, and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Queries sent (more than one in trace mode).
    pub queries: usize,
    /// The server of the last response.
    pub server: Option<String>,
    pub rcode: Option<String>,
    pub answers: Vec<DnsRecord>,
    /// How long the last response took, in microseconds.
    pub elapsed_us: Option<u64>,
    /// Zones the trace was referred to, in order.
    pub referrals: Vec<String>,
    /// The failure's message, when the operation failed.
    pub error: Option<String>,
    /// Whether the operation has ended.
    pub done: bool,
}

impl Ladder {
    /// Folds a DNS operation's events, each with its relay time, asked in
    /// `mode` (which names the first server's zone).
    pub fn of_events<'a>(
        mode: DnsMode,
        events: impl IntoIterator<Item = (u64, &'a EventKind)>,
    ) -> Ladder {
        let mut out = Ladder {
            rungs: Vec::new(),
            answers: Vec::new(),
            answered_us: None,
            error: None,
            done: false,
        };
        let mut zone = match mode {
            DnsMode::Stub => "resolver".to_owned(),
            DnsMode::Trace => ".".to_owned(),
        };
        // Lookups of name servers' addresses under way (a referral without
        // glue), innermost last, with the zone to go back to: their answers
        // are not the question's.
        let mut lookups: Vec<(String, String)> = Vec::new();
        for (t, kind) in events {
            match kind {
                EventKind::DnsQuerySent {
                    server,
                    name,
                    rtype,
                } => out.rungs.push(Rung {
                    server: server.clone(),
                    zone: zone.clone(),
                    asked: format!("{name} {}", rtype.as_str()),
                    lookup_of: lookups.last().map(|(ns, _)| ns.clone()),
                    sent_us: t,
                    responder: None,
                    rcode: None,
                    elapsed_us: None,
                    said: Said::Nothing,
                }),
                EventKind::DnsResponse {
                    server,
                    rcode,
                    answers,
                    authority,
                    elapsed_us,
                    ..
                } => {
                    if let Some(rung) = out.rungs.last_mut() {
                        rung.responder = Some(server.clone());
                        rung.rcode = Some(rcode.clone());
                        rung.elapsed_us = Some(*elapsed_us);
                        rung.said = if answers.is_empty() {
                            Said::Empty {
                                authority: authority.clone(),
                            }
                        } else {
                            Said::Answer(answers.clone())
                        };
                    }
                    if !answers.is_empty() && lookups.is_empty() {
                        out.answers = answers.clone();
                        out.answered_us = Some(t);
                    }
                }
                EventKind::DnsReferral {
                    zone: next,
                    servers,
                    addrs,
                } => {
                    if let Some(rung) = out.rungs.last_mut() {
                        rung.said = Said::Referral {
                            zone: next.clone(),
                            servers: servers.clone(),
                            addrs: addrs.clone(),
                        };
                    }
                    zone = next.clone();
                }
                EventKind::DnsGlueless { ns, .. } => {
                    lookups.push((ns.clone(), std::mem::replace(&mut zone, ".".to_owned())));
                }
                EventKind::DnsNsFound { .. } => {
                    if let Some((_, back)) = lookups.pop() {
                        zone = back;
                    }
                }
                EventKind::Failed { error } => {
                    out.error = Some(error.clone());
                    out.done = true;
                }
                EventKind::Closed { .. } => out.done = true,
                _ => {}
            }
        }
        out
    }

    /// The dig-style summary: the last response to the question (a name
    /// server's lookup does not count), the referrals it followed.
    pub fn outcome(&self) -> Outcome {
        let own = || self.rungs.iter().filter(|rung| rung.lookup_of.is_none());
        let last = own().rev().find(|rung| rung.rcode.is_some());
        Outcome {
            queries: self.rungs.len(),
            server: last.and_then(|rung| rung.responder.clone()),
            rcode: last.and_then(|rung| rung.rcode.clone()),
            answers: match last.map(|rung| &rung.said) {
                Some(Said::Answer(records)) => records.clone(),
                _ => Vec::new(),
            },
            elapsed_us: last.and_then(|rung| rung.elapsed_us),
            referrals: own()
                .filter_map(|rung| match &rung.said {
                    Said::Referral { zone, .. } => Some(zone.clone()),
                    _ => None,
                })
                .collect(),
            error: self.error.as_ref().map(|error| error.message.clone()),
            done: self.done,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::{Closer, DnsType};

    /// A record as dig prints it, for the DNS tests.
    pub(crate) fn record(name: &str, ttl: u32, rtype: &str, data: &str) -> DnsRecord {
        DnsRecord {
            name: name.into(),
            ttl,
            class: "IN".into(),
            rtype: rtype.into(),
            data: data.into(),
        }
    }

    fn sent(server: &str, name: &str) -> EventKind {
        EventKind::DnsQuerySent {
            server: server.into(),
            name: name.into(),
            rtype: DnsType::A,
        }
    }

    fn response(server: &str, answers: Vec<DnsRecord>) -> EventKind {
        EventKind::DnsResponse {
            server: server.into(),
            rcode: "NOERROR".into(),
            answers,
            authority: vec![],
            additional: vec![],
            elapsed_us: 300,
        }
    }

    /// A trace-mode lookup whose referral names its server without glue:
    /// the server's own lookup nests inside it.
    #[test]
    fn a_name_servers_lookup_is_nested_and_the_outcome_is_the_questions() {
        let events = [
            sent("127.0.0.2:53", "www.away.test."),
            response("127.0.0.2:53", vec![]),
            EventKind::DnsReferral {
                zone: "away.test.".into(),
                servers: vec!["ns.away-ns.test.".into()],
                addrs: vec![],
            },
            EventKind::DnsGlueless {
                zone: "away.test.".into(),
                ns: "ns.away-ns.test.".into(),
            },
            sent("127.0.0.2:53", "ns.away-ns.test."),
            response(
                "127.0.0.2:53",
                vec![record("ns.away-ns.test.", 60, "A", "127.0.0.5")],
            ),
            EventKind::DnsNsFound {
                ns: "ns.away-ns.test.".into(),
                addrs: vec!["127.0.0.5:53".into()],
            },
            sent("127.0.0.5:53", "www.away.test."),
            EventKind::Closed { by: Closer::Relay },
        ];
        let ladder = Ladder::of_events(DnsMode::Trace, events.iter().map(|e| (0, e)));
        let rungs: Vec<_> = ladder
            .rungs
            .iter()
            .map(|r| (r.zone.as_str(), r.lookup_of.as_deref()))
            .collect();
        assert_eq!(
            rungs,
            [
                (".", None),
                (".", Some("ns.away-ns.test.")),
                ("away.test.", None)
            ]
        );
        // The name server's address is not the question's answer, and the
        // question's last response is still the root's referral.
        assert!(ladder.answers.is_empty());
        let outcome = ladder.outcome();
        assert_eq!(outcome.queries, 3);
        assert_eq!(outcome.answers, vec![]);
        assert_eq!(outcome.server.as_deref(), Some("127.0.0.2:53"));
        assert_eq!(outcome.referrals, ["away.test."]);
        assert!(outcome.done);
    }
}
