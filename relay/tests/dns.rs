//! The DNS operation against the DNS lab, through the real relay over a real
//! WebSocket. Every query goes to loopback: the lab's servers, or a UDP
//! socket of the test's own. No test asks a real DNS server or the system
//! resolver about a name that is not local.

mod support;

use std::net::SocketAddr;

use roundtrip_relay::lab::{Lab, dns::DnsLab};
use roundtrip_relay::{AppState, Config};
use roundtrip_shared::protocol::{
    ClientMsg, Closer, DataEncoding, DnsMode, DnsRecord, DnsType, ErrorCode, Event, EventKind,
    OpId, RelayError, ResolveSource, ServerMsg,
};
use support::{Client, WAIT};
use tokio::net::{TcpListener, UdpSocket};
use tokio_tungstenite::tungstenite::Message;

/// The relay, and the addresses of its DNS lab's servers.
async fn start_relay() -> (SocketAddr, DnsLab) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let lab = Lab::start().await.unwrap();
    let dns = lab.dns();
    let state = AppState::new(Config::default(), lab);
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));
    (addr, dns)
}

/// DNS queries and their events, over the shared client.
trait DnsClient {
    /// The next event of `op`, whatever it is.
    async fn next_event(&mut self, op: OpId) -> (u64, EventKind);
    /// Every event of `op` up to and including its terminal one, with
    /// `elapsed_us` zeroed so that sequences can be compared exactly.
    async fn events(&mut self, op: OpId) -> Vec<EventKind>;
    /// A query to the default server, with the default timeout.
    async fn query(
        &mut self,
        op: OpId,
        name: &str,
        rtype: DnsType,
        mode: DnsMode,
    ) -> Vec<EventKind>;
    /// A query with the server and timeout given; returns its events.
    async fn query_at(
        &mut self,
        op: OpId,
        name: &str,
        rtype: DnsType,
        mode: DnsMode,
        server: Option<String>,
        timeout_ms: Option<u64>,
    ) -> Vec<EventKind>;
}

impl DnsClient for Client {
    async fn next_event(&mut self, op: OpId) -> (u64, EventKind) {
        match self.recv().await {
            ServerMsg::Event(Event {
                op: got,
                t_us,
                kind,
            }) if got == op => (t_us, normalized(kind)),
            other => panic!("expected an event of op {op}, got {other:?}"),
        }
    }

    async fn events(&mut self, op: OpId) -> Vec<EventKind> {
        let mut events = vec![];
        loop {
            match self.recv().await {
                ServerMsg::Event(Event { op: got, kind, .. }) if got == op => {
                    let terminal = kind.is_terminal();
                    events.push(normalized(kind));
                    if terminal {
                        return events;
                    }
                }
                other => panic!("expected an event of op {op}, got {other:?}"),
            }
        }
    }

    async fn query(
        &mut self,
        op: OpId,
        name: &str,
        rtype: DnsType,
        mode: DnsMode,
    ) -> Vec<EventKind> {
        self.query_at(op, name, rtype, mode, None, None).await
    }

    async fn query_at(
        &mut self,
        op: OpId,
        name: &str,
        rtype: DnsType,
        mode: DnsMode,
        server: Option<String>,
        timeout_ms: Option<u64>,
    ) -> Vec<EventKind> {
        self.send(ClientMsg::DnsQuery {
            op,
            name: name.into(),
            rtype,
            mode,
            server,
            timeout_ms,
        })
        .await;
        self.events(op).await
    }
}

/// `elapsed_us` zeroed (after a sanity check), so that sequences compare.
fn normalized(kind: EventKind) -> EventKind {
    match kind {
        EventKind::DnsResponse {
            server,
            rcode,
            answers,
            authority,
            additional,
            elapsed_us,
        } => {
            assert!(elapsed_us < WAIT.as_micros() as u64, "{elapsed_us}");
            EventKind::DnsResponse {
                server,
                rcode,
                answers,
                authority,
                additional,
                elapsed_us: 0,
            }
        }
        other => other,
    }
}

type Case<'a> = (
    &'a str,
    DnsType,
    &'a str,
    Vec<DnsRecord>,
    Vec<DnsRecord>,
    Vec<DnsRecord>,
);

fn rec(name: &str, ttl: u32, rtype: &str, data: &str) -> DnsRecord {
    DnsRecord {
        name: name.into(),
        ttl,
        class: "IN".into(),
        rtype: rtype.into(),
        data: data.into(),
    }
}

fn sent(server: SocketAddr, name: &str, rtype: DnsType) -> EventKind {
    EventKind::DnsQuerySent {
        server: server.to_string(),
        name: name.into(),
        rtype,
    }
}

fn response(
    server: SocketAddr,
    rcode: &str,
    answers: Vec<DnsRecord>,
    authority: Vec<DnsRecord>,
    additional: Vec<DnsRecord>,
) -> EventKind {
    EventKind::DnsResponse {
        server: server.to_string(),
        rcode: rcode.into(),
        answers,
        authority,
        additional,
        elapsed_us: 0,
    }
}

const CLOSED: EventKind = EventKind::Closed { by: Closer::Relay };

fn lab_soa() -> DnsRecord {
    rec(
        "lab.test.",
        300,
        "SOA",
        "ns1.lab.test. hostmaster.lab.test. 1 3600 600 86400 60",
    )
}

#[tokio::test]
async fn every_record_type_comes_back_from_the_lab() {
    let (relay, dns) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    assert_eq!(client.service_addr("dns-lab"), dns.stub);
    let echo_port = client.service_addr("tcp-echo").port();
    let ns1 = rec("ns1.lab.test.", 300, "A", "127.0.0.4");
    let echo_a = rec("echo.lab.test.", 300, "A", "127.0.0.1");
    let echo_aaaa = rec("echo.lab.test.", 300, "AAAA", "::1");
    // name asked, type, name in the query, answers, authority, additional
    let cases: Vec<Case<'_>> = vec![
        (
            "echo.lab.test",
            DnsType::A,
            "echo.lab.test.",
            vec![echo_a.clone()],
            vec![],
            vec![],
        ),
        (
            "echo.lab.test.",
            DnsType::Aaaa,
            "echo.lab.test.",
            vec![echo_aaaa.clone()],
            vec![],
            vec![],
        ),
        (
            "www.lab.test",
            DnsType::A,
            "www.lab.test.",
            vec![
                rec("www.lab.test.", 300, "CNAME", "web.lab.test."),
                rec("web.lab.test.", 300, "CNAME", "host.lab.test."),
                rec("host.lab.test.", 300, "A", "127.0.0.1"),
            ],
            vec![],
            vec![],
        ),
        (
            "www.lab.test",
            DnsType::Cname,
            "www.lab.test.",
            vec![rec("www.lab.test.", 300, "CNAME", "web.lab.test.")],
            vec![],
            vec![],
        ),
        (
            "many.lab.test",
            DnsType::A,
            "many.lab.test.",
            vec![
                rec("many.lab.test.", 300, "A", "127.0.0.1"),
                rec("many.lab.test.", 300, "A", "127.0.0.2"),
                rec("many.lab.test.", 300, "A", "127.0.0.3"),
            ],
            vec![],
            vec![],
        ),
        (
            "lab.test",
            DnsType::Mx,
            "lab.test.",
            vec![rec("lab.test.", 300, "MX", "10 mail.lab.test.")],
            vec![],
            vec![rec("mail.lab.test.", 300, "A", "127.0.0.1")],
        ),
        (
            "lab.test",
            DnsType::Txt,
            "lab.test.",
            vec![rec(
                "lab.test.",
                300,
                "TXT",
                "\"roundtrip dns lab\" \"every name here is on loopback\"",
            )],
            vec![],
            vec![],
        ),
        (
            "lab.test",
            DnsType::Ns,
            "lab.test.",
            vec![rec("lab.test.", 300, "NS", "ns1.lab.test.")],
            vec![],
            vec![ns1],
        ),
        (
            "lab.test",
            DnsType::Soa,
            "lab.test.",
            vec![lab_soa()],
            vec![rec("lab.test.", 300, "NS", "ns1.lab.test.")],
            vec![],
        ),
        (
            "_echo._tcp.lab.test",
            DnsType::Srv,
            "_echo._tcp.lab.test.",
            vec![rec(
                "_echo._tcp.lab.test.",
                300,
                "SRV",
                &format!("0 0 {echo_port} echo.lab.test."),
            )],
            vec![],
            vec![echo_a, echo_aaaa],
        ),
        (
            "127.0.0.1",
            DnsType::Ptr,
            "1.0.0.127.in-addr.arpa.",
            vec![rec("1.0.0.127.in-addr.arpa.", 300, "PTR", "echo.lab.test.")],
            vec![],
            vec![],
        ),
        (
            "1.0.0.127.in-addr.arpa",
            DnsType::Ptr,
            "1.0.0.127.in-addr.arpa.",
            vec![rec("1.0.0.127.in-addr.arpa.", 300, "PTR", "echo.lab.test.")],
            vec![],
            vec![],
        ),
    ];
    for (op, (name, rtype, qname, answers, authority, additional)) in cases.into_iter().enumerate()
    {
        let events = client.query(op as OpId, name, rtype, DnsMode::Stub).await;
        assert_eq!(
            events,
            [
                sent(dns.stub, qname, rtype),
                response(dns.stub, "NOERROR", answers, authority, additional),
                CLOSED,
            ],
            "{name} {rtype:?}"
        );
    }
}

#[tokio::test]
async fn a_missing_name_is_nxdomain_and_still_a_success() {
    let (relay, dns) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let events = client
        .query(1, "nope.lab.test", DnsType::A, DnsMode::Stub)
        .await;
    assert_eq!(
        events,
        [
            sent(dns.stub, "nope.lab.test.", DnsType::A),
            response(dns.stub, "NXDOMAIN", vec![], vec![lab_soa()], vec![]),
            CLOSED,
        ]
    );
    // A name that exists without records of the type: NOERROR, no answers.
    let events = client
        .query(2, "many.lab.test", DnsType::Mx, DnsMode::Stub)
        .await;
    assert_eq!(
        events,
        [
            sent(dns.stub, "many.lab.test.", DnsType::Mx),
            response(dns.stub, "NOERROR", vec![], vec![lab_soa()], vec![]),
            CLOSED,
        ]
    );
}

#[tokio::test]
async fn the_short_ttl_is_five_seconds() {
    let (relay, dns) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let events = client
        .query(1, "short.lab.test", DnsType::A, DnsMode::Stub)
        .await;
    assert_eq!(
        events[1],
        response(
            dns.stub,
            "NOERROR",
            vec![rec("short.lab.test.", 5, "A", "127.0.0.1")],
            vec![],
            vec![],
        )
    );
}

#[tokio::test]
async fn trace_walks_from_the_root_through_each_referral() {
    let (relay, dns) = start_relay().await;
    assert_eq!(
        [dns.root.ip(), dns.tld.ip(), dns.lab.ip()].map(|ip| ip.to_string()),
        ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    );
    assert!(dns.root.port() == dns.tld.port() && dns.tld.port() == dns.lab.port());
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let events = client
        .query(1, "echo.lab.test", DnsType::A, DnsMode::Trace)
        .await;
    let q = "echo.lab.test.";
    assert_eq!(
        events,
        [
            sent(dns.root, q, DnsType::A),
            response(
                dns.root,
                "NOERROR",
                vec![],
                vec![rec("test.", 86400, "NS", "ns1.test.")],
                vec![rec("ns1.test.", 86400, "A", "127.0.0.3")],
            ),
            EventKind::DnsReferral {
                zone: "test.".into(),
                servers: vec!["ns1.test.".into()],
                addrs: vec![dns.tld.to_string()],
            },
            sent(dns.tld, q, DnsType::A),
            response(
                dns.tld,
                "NOERROR",
                vec![],
                vec![rec("lab.test.", 86400, "NS", "ns1.lab.test.")],
                vec![rec("ns1.lab.test.", 86400, "A", "127.0.0.4")],
            ),
            EventKind::DnsReferral {
                zone: "lab.test.".into(),
                servers: vec!["ns1.lab.test.".into()],
                addrs: vec![dns.lab.to_string()],
            },
            sent(dns.lab, q, DnsType::A),
            response(
                dns.lab,
                "NOERROR",
                vec![rec(q, 300, "A", "127.0.0.1")],
                vec![],
                vec![],
            ),
            CLOSED,
        ]
    );
    // NXDOMAIN comes from the server that knows: the lab.test. server.
    let events = client
        .query(2, "nope.lab.test", DnsType::A, DnsMode::Trace)
        .await;
    assert_eq!(events.len(), 9, "{events:#?}");
    assert_eq!(
        events[7],
        response(dns.lab, "NXDOMAIN", vec![], vec![lab_soa()], vec![])
    );
    assert_eq!(events[8], CLOSED);
}

/// A trace's events in short: which server was asked what, what came back.
fn walk_summary(events: &[EventKind]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            EventKind::DnsQuerySent { server, name, .. } => format!("ask {server} {name}"),
            EventKind::DnsResponse {
                rcode,
                answers,
                additional,
                ..
            } => {
                let data: Vec<&str> = answers.iter().map(|r| r.data.as_str()).collect();
                format!("{rcode} {data:?} glue {}", additional.len())
            }
            EventKind::DnsReferral { zone, addrs, .. } => format!("referral {zone} {addrs:?}"),
            EventKind::DnsGlueless { zone, ns } => format!("glueless {zone} {ns}"),
            EventKind::DnsNsFound { ns, addrs } => format!("found {ns} {addrs:?}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_referral_without_glue_is_followed_by_looking_up_the_name_server() {
    let (relay, dns) = start_relay().await;
    assert_eq!(dns.away.ip().to_string(), "127.0.0.5");
    assert_eq!(dns.away.port(), dns.root.port());
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let events = client
        .query(1, "host.away.lab.test", DnsType::A, DnsMode::Trace)
        .await;
    let (root, tld, lab, away) = (dns.root, dns.tld, dns.lab, dns.away);
    let q = "host.away.lab.test.";
    let ns = "ns.away-ns.test.";
    assert_eq!(
        walk_summary(&events),
        [
            format!("ask {root} {q}"),
            "NOERROR [] glue 1".to_owned(),
            format!("referral test. [\"{tld}\"]"),
            format!("ask {tld} {q}"),
            "NOERROR [] glue 1".to_owned(),
            format!("referral lab.test. [\"{lab}\"]"),
            format!("ask {lab} {q}"),
            // The lab.test. server names the server of away.lab.test. but
            // cannot give its address: it lives in test.
            "NOERROR [] glue 0".to_owned(),
            "referral away.lab.test. []".to_owned(),
            format!("glueless away.lab.test. {ns}"),
            format!("ask {root} {ns}"),
            "NOERROR [] glue 1".to_owned(),
            format!("referral test. [\"{tld}\"]"),
            format!("ask {tld} {ns}"),
            "NOERROR [\"127.0.0.5\"] glue 0".to_owned(),
            format!("found {ns} [\"{away}\"]"),
            format!("ask {away} {q}"),
            "NOERROR [\"127.0.0.1\"] glue 0".to_owned(),
            "Closed { by: Relay }".to_owned(),
        ]
    );
    // The browser's views read the same events: the final answer is the
    // question's, not the name server's.
    let outcome = roundtrip_shared::dns::outcome(&events);
    assert_eq!(outcome.answers.len(), 1);
    assert_eq!(outcome.answers[0].name, q);
    assert_eq!(outcome.referrals, ["test.", "lab.test.", "away.lab.test."]);
    assert_eq!(outcome.queries, 6);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    // Bound and never read: the query arrives and nothing answers.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = silent.local_addr().unwrap();
    for (op, mode) in [(1, DnsMode::Stub), (2, DnsMode::Trace)] {
        let events = client
            .query_at(
                op,
                "echo.lab.test",
                DnsType::A,
                mode,
                Some(server.to_string()),
                Some(200),
            )
            .await;
        let [query, EventKind::Failed { error }] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(query, &sent(server, "echo.lab.test.", DnsType::A));
        assert_eq!(error.code, ErrorCode::DnsTimeout, "{}", error.message);
        assert!(error.message.contains("200 ms"), "{}", error.message);
    }
    drop(silent);
}

/// The events of a stub query for `echo.lab.test` A to `server`.
async fn ask_echo_at(client: &mut Client, server: SocketAddr, timeout_ms: u64) -> Vec<EventKind> {
    client
        .query_at(
            1,
            "echo.lab.test",
            DnsType::A,
            DnsMode::Stub,
            Some(server.to_string()),
            Some(timeout_ms),
        )
        .await
}

/// How the query ended: its last event must be `failed`.
fn failure(events: &[EventKind]) -> &RelayError {
    match events.last() {
        Some(EventKind::Failed { error }) => error,
        _ => panic!("{events:?}"),
    }
}

/// A one-shot DNS "server" on loopback UDP: it sends the question back as
/// a response, after `edit` changes what the test is about.
async fn answering_with(edit: fn(&mut [u8])) -> SocketAddr {
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = udp.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        let (n, from) = udp.recv_from(&mut buf).await.unwrap();
        buf[2] |= 0x80; // QR: a response
        edit(&mut buf[..n]);
        udp.send_to(&buf[..n], from).await.unwrap();
    });
    server
}

#[tokio::test]
async fn a_closed_udp_port_is_refused() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    // Bound (nobody else takes the port) and connected elsewhere: the
    // kernel answers the query with ICMP "port unreachable".
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    closed.connect("127.0.0.1:9").unwrap();
    let server = closed.local_addr().unwrap();
    let events = ask_echo_at(&mut client, server, 2000).await;
    let [_, EventKind::Failed { error }] = &events[..] else {
        panic!("{events:?}");
    };
    assert_eq!(error.code, ErrorCode::Refused, "{}", error.message);
}

/// A server that answers with another ID (a proxy that rewrites them, or a
/// late answer to an old query) is not a silent one: the timeout says so.
#[tokio::test]
async fn an_answer_to_another_query_is_named_in_the_timeout() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let server = answering_with(|answer| answer[0] ^= 0xff).await;
    let events = ask_echo_at(&mut client, server, 500).await;
    let error = failure(&events);
    assert_eq!(error.code, ErrorCode::DnsTimeout, "{}", error.message);
    assert!(
        error.message.contains("answered, but with ID"),
        "{}",
        error.message
    );
}

/// An answer too large for UDP comes back truncated, and the relay asks
/// again over TCP; when nothing listens there, the error says so.
#[tokio::test]
async fn a_truncated_answer_is_asked_again_over_tcp() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let server = answering_with(|answer| answer[2] |= 0x02).await; // TC
    // The same port over TCP: bound, not listening, so a connect is refused.
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.bind(server).unwrap();
    let events = ask_echo_at(&mut client, server, 2000).await;
    let error = failure(&events);
    assert_eq!(error.code, ErrorCode::Refused, "{}", error.message);
    assert!(
        error.message.contains("truncated") && error.message.contains("over TCP"),
        "{}",
        error.message
    );
    drop(tcp);
}

#[tokio::test]
async fn bad_names_and_servers_fail_without_a_query() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    for (op, name, code) in [
        (1, "bad name.lab.test", ErrorCode::InvalidName),
        (2, "two..dots", ErrorCode::InvalidName),
        (3, "", ErrorCode::InvalidName),
    ] {
        let events = client.query(op, name, DnsType::A, DnsMode::Stub).await;
        let [EventKind::Failed { error }] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(error.code, code, "{name:?}: {}", error.message);
    }
    let events = client
        .query_at(
            4,
            "echo.lab.test",
            DnsType::A,
            DnsMode::Stub,
            Some("not a server".into()),
            None,
        )
        .await;
    assert!(
        matches!(&events[..], [EventKind::Failed { error }] if error.code == ErrorCode::InvalidTarget),
        "{events:?}"
    );
    // The session goes on.
    let events = client
        .query(5, "echo.lab.test", DnsType::A, DnsMode::Stub)
        .await;
    assert_eq!(events.last(), Some(&CLOSED));
}

#[tokio::test]
async fn json_clients_query_with_text_frames() {
    let (relay, dns) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Json).await;
    let send_text = |text: &str| Message::Text(text.to_owned().into());
    client
        .send_raw(send_text(
            r#"{"type":"dns_query","op":9,"name":"echo.lab.test","rtype":"A"}"#,
        ))
        .await;
    let query = client.recv_text().await;
    assert_eq!(
        query,
        format!(
            r#"{{"type":"event","op":9,"t_us":{},"kind":"dns_query_sent","server":"{}","name":"echo.lab.test.","rtype":"A"}}"#,
            t_us(&query),
            dns.stub
        )
    );
    let answer = client.recv_text().await;
    let elapsed: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer,
        format!(
            r#"{{"type":"event","op":9,"t_us":{},"kind":"dns_response","server":"{}","rcode":"NOERROR","answers":[{{"name":"echo.lab.test.","ttl":300,"class":"IN","rtype":"A","data":"127.0.0.1"}}],"authority":[],"additional":[],"elapsed_us":{}}}"#,
            t_us(&answer),
            dns.stub,
            elapsed["elapsed_us"]
        )
    );
    let closed = client.recv_text().await;
    assert!(
        closed.ends_with(r#""kind":"closed","by":"relay"}"#),
        "{closed}"
    );
    // An unknown record type is a bad field, not an unknown message type.
    client
        .send_raw(send_text(
            r#"{"type":"dns_query","op":10,"name":"x.lab.test","rtype":"ZZ"}"#,
        ))
        .await;
    match client.recv().await {
        ServerMsg::Error { error, .. } => {
            assert_eq!(error.code, ErrorCode::Malformed, "{}", error.message);
            assert!(error.message.contains("ZZ"), "{}", error.message);
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

fn t_us(json: &str) -> u64 {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["t_us"].as_u64().unwrap()
}

#[tokio::test]
async fn tcp_connects_to_lab_names_through_the_dns_lab() {
    let (relay, dns) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let echo = client.service_addr("tcp-echo");
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 1,
            target: format!("echo.lab.test:{}", echo.port()),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    let mut events = vec![];
    while !matches!(events.last(), Some(EventKind::Connected { .. })) {
        let (_, kind) = client.next_event(1).await;
        events.push(kind);
    }
    assert_eq!(
        events[..5],
        [
            EventKind::Resolving {
                host: "echo.lab.test".into()
            },
            sent(dns.stub, "echo.lab.test.", DnsType::A),
            response(
                dns.stub,
                "NOERROR",
                vec![rec("echo.lab.test.", 300, "A", "127.0.0.1")],
                vec![],
                vec![],
            ),
            EventKind::Resolved {
                addrs: vec![echo.to_string()],
                source: ResolveSource::DnsLab,
            },
            EventKind::Connecting {
                addr: echo.to_string()
            },
        ]
    );
    client.send(ClientMsg::Close { op: 1 }).await;
    let (_, closed) = client.next_event(1).await;
    assert_eq!(
        closed,
        EventKind::Closed {
            by: Closer::Browser
        }
    );

    // A lab name that does not exist fails to resolve, after its query.
    client
        .send(ClientMsg::TcpConnect {
            faults: None,
            op: 2,
            target: "nope.lab.test:7".into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
    let mut events = vec![];
    while !matches!(events.last(), Some(kind) if EventKind::is_terminal(kind)) {
        let (_, kind) = client.next_event(2).await;
        events.push(kind);
    }
    assert_eq!(events.len(), 4, "{events:?}");
    let EventKind::Failed { error } = &events[3] else {
        panic!("{events:?}");
    };
    assert_eq!(error.code, ErrorCode::ResolveFailed);
    assert!(error.message.contains("NXDOMAIN"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_labs_start_side_by_side() {
    // Relays (and tests) run side by side: each lab finds ports of its own.
    let starts: Vec<_> = (0..12).map(|_| tokio::spawn(Lab::start())).collect();
    let mut stubs = vec![];
    for start in starts {
        let lab = start.await.unwrap().unwrap();
        let dns = lab.dns();
        assert_eq!(dns.root.port(), dns.lab.port());
        stubs.push(dns.stub);
        stubs.push(dns.root);
    }
    let count = stubs.len();
    stubs.sort();
    stubs.dedup();
    assert_eq!(stubs.len(), count);
}

/// A UDP "server" on loopback that answers every query with SERVFAIL: the
/// query itself sent back with the response bit and rcode 2.
async fn servfail_server() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            buf[2] |= 0x80; // QR: a response
            buf[3] = (buf[3] & 0xf0) | 2; // RCODE: SERVFAIL
            let _ = socket.send_to(&buf[..n], from).await;
        }
    });
    addr
}

#[tokio::test]
async fn servfail_from_every_server_fails_the_query() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let server = servfail_server().await;
    for (op, mode) in [(1, DnsMode::Stub), (2, DnsMode::Trace)] {
        let events = client
            .query_at(
                op,
                "echo.lab.test",
                DnsType::A,
                mode,
                Some(server.to_string()),
                None,
            )
            .await;
        let [query, answer, EventKind::Failed { error }] = &events[..] else {
            panic!("{events:?}");
        };
        assert_eq!(query, &sent(server, "echo.lab.test.", DnsType::A));
        assert_eq!(
            answer,
            &response(server, "SERVFAIL", vec![], vec![], vec![])
        );
        assert_eq!(error.code, ErrorCode::DnsFailed, "{}", error.message);
        assert!(error.message.contains("SERVFAIL"), "{}", error.message);
    }
}

#[tokio::test]
async fn close_cancels_a_query_that_waits() {
    let (relay, _) = start_relay().await;
    let mut client = Client::greeted(relay, DataEncoding::Binary).await;
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = silent.local_addr().unwrap();
    client
        .send(ClientMsg::DnsQuery {
            op: 1,
            name: "echo.lab.test".into(),
            rtype: DnsType::A,
            mode: DnsMode::Stub,
            server: Some(server.to_string()),
            timeout_ms: Some(60_000),
        })
        .await;
    let (_, query) = client.next_event(1).await;
    assert_eq!(query, sent(server, "echo.lab.test.", DnsType::A));
    client.send(ClientMsg::Close { op: 1 }).await;
    let (_, closed) = client.next_event(1).await;
    assert_eq!(
        closed,
        EventKind::Closed {
            by: Closer::Browser
        }
    );
    drop(silent);
}
