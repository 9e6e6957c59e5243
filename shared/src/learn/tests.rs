//! The course tested natively: every check on recorded traces (and on one
//! where its step did not happen: the check stays open), the runner's
//! requests, the generated code, and the rules every lesson keeps.

use super::codegen::{self, Lang, Role};
use super::*;
use crate::page::{Action, Notice, State};
use crate::payload::Payload;
use crate::protocol::{
    ClientMsg, Closer, ErrorCode, EventKind, HttpRequest, PROTOCOL_VERSION, RelayError,
    ResolveSource, ServerMsg, Service,
};
use crate::recording::Message;
use crate::testing::fixtures::{echo_exchange, event};

const NOW: f64 = 1_795_644_000_000.0;

fn services() -> Vec<Service> {
    let service = |name: &str, protocol: &str, addr: &str| Service {
        name: name.into(),
        label: name.into(),
        protocol: protocol.into(),
        addr: addr.into(),
    };
    vec![
        service("tcp-echo", "tcp", "127.0.0.1:4000"),
        service("udp-echo", "udp", "127.0.0.1:4001"),
        service("http-lab", "http", "127.0.0.1:4002"),
    ]
}

/// A page welcomed by a relay with the lab services above, then fed
/// `messages` as the page feeds its model.
fn page(messages: impl IntoIterator<Item = Message>) -> State {
    let mut state = State::default();
    state.apply(NOW, Action::Relay(Notice::Opened));
    state.apply(
        NOW,
        Action::Relay(Notice::Message(ServerMsg::Welcome {
            version: PROTOCOL_VERSION,
            relay: "roundtrip test".into(),
            services: services(),
            limits: None,
        })),
    );
    for message in messages {
        state.apply(
            NOW,
            match message {
                Message::Out(request) => Action::Requested(request),
                Message::In(reply) => Action::Relay(Notice::Message(reply)),
            },
        );
    }
    state
}

fn connect(op: u32, target: &str) -> Message {
    Message::Out(ClientMsg::TcpConnect {
        op,
        target: target.into(),
        connect_timeout_ms: None,
        nodelay: false,
        faults: None,
    })
}

fn ev(op: u32, kind: EventKind) -> Message {
    Message::In(event(op, 10, kind))
}

fn connected(op: u32, local_port: u16) -> Message {
    ev(
        op,
        EventKind::Connected {
            local: format!("127.0.0.1:{local_port}"),
            remote: "127.0.0.1:4000".into(),
        },
    )
}

fn failed(op: u32, code: ErrorCode) -> Message {
    ev(
        op,
        EventKind::Failed {
            error: RelayError::new(code, "it failed"),
        },
    )
}

fn send(op: u32, text: &str) -> Message {
    Message::Out(ClientMsg::Send {
        op,
        data: Payload(text.as_bytes().to_vec()),
    })
}

fn data(op: u32, text: &str) -> Message {
    Message::In(ServerMsg::Data {
        op,
        t_us: 20,
        data: Payload(text.as_bytes().to_vec()),
    })
}

fn udp_open(op: u32) -> Message {
    Message::Out(ClientMsg::UdpOpen {
        op,
        target: Some("udp-echo".into()),
        bind_port: None,
        recv_timeout_ms: Some(2_000),
        faults: None,
    })
}

const ECHO: Target = Target::Service("tcp-echo");
/// The HTTP lab by its lab name, as the HTTP lessons ask it.
const WWW: Target = Target::LabName {
    name: "www.lab.test:80",
    service: "http-lab",
};
const UDP: Target = Target::Service("udp-echo");
const V6: Target = Target::ServiceOn {
    host: "[::1]",
    service: "tcp-echo",
};

#[test]
fn an_echo_round_trip_passes_echoed_connected_and_closed() {
    let state = page(echo_exchange(1));
    for check in [
        Check::Connected(ECHO),
        Check::Echoed(ECHO),
        Check::ClosedByPage(ECHO),
    ] {
        assert!(check.passed(&state), "{check:?}");
    }
    for check in [
        Check::Refused(ECHO),
        Check::Reset(ECHO),
        Check::FinFromServer(ECHO),
        Check::TwoConnections(ECHO),
    ] {
        assert!(!check.passed(&state), "{check:?} did not happen");
    }
}

#[test]
fn checks_stay_open_while_the_step_has_not_happened() {
    // Connected, sent, no answer yet: not echoed, not closed.
    let state = page([
        connect(1, "tcp-echo"),
        connected(1, 51000),
        send(1, "hello"),
    ]);
    assert!(Check::Connected(ECHO).passed(&state));
    assert!(!Check::Echoed(ECHO).passed(&state));
    assert!(!Check::ClosedByPage(ECHO).passed(&state));
    // Half the echo is not the echo.
    let state = page([
        connect(1, "tcp-echo"),
        connected(1, 51000),
        send(1, "hello"),
        data(1, "hel"),
    ]);
    assert!(!Check::Echoed(ECHO).passed(&state));
    // Nothing at all: every check is open.
    let state = page([]);
    for step in LESSONS.iter().flat_map(|l| l.steps) {
        assert!(
            !step.check.passed(&state),
            "{:?} on an empty trace",
            step.check
        );
    }
}

#[test]
fn a_check_only_counts_operations_to_its_own_target() {
    let state = page(echo_exchange(1));
    let other = Target::ServiceOn {
        host: "127.0.0.1",
        service: "tcp-echo",
    };
    assert!(!Check::Echoed(other).passed(&state));
}

#[test]
fn refused_and_timed_out_are_told_apart() {
    let refused = page([connect(1, "[::1]:4000"), failed(1, ErrorCode::Refused)]);
    assert!(Check::Refused(V6).passed(&refused));
    assert!(!Check::TimedOut(V6).passed(&refused));
    assert!(!Check::Connected(V6).passed(&refused));
    let timed_out = page([connect(1, "[::1]:4000"), failed(1, ErrorCode::TimedOut)]);
    assert!(Check::TimedOut(V6).passed(&timed_out));
    assert!(!Check::Refused(V6).passed(&timed_out));
    // A prediction is answered by the check that passed.
    let ip = lesson("ip-addresses").unwrap().1;
    let predict = ip.steps[2].predict.unwrap();
    assert_eq!(shown_choice(&predict, &refused), Some(1));
    assert_eq!(shown_choice(&predict, &timed_out), Some(2));
    assert_eq!(shown_choice(&predict, &page([])), None);
}

#[test]
fn a_name_resolved_then_connected() {
    let localhost = Target::ServiceOn {
        host: "localhost",
        service: "tcp-echo",
    };
    let resolved = ev(
        1,
        EventKind::Resolved {
            addrs: vec!["[::1]:4000".into(), "127.0.0.1:4000".into()],
            source: ResolveSource::System,
        },
    );
    let state = page([connect(1, "localhost:4000"), resolved.clone()]);
    assert!(!Check::ResolvedThenConnected(localhost).passed(&state));
    let state = page([connect(1, "localhost:4000"), resolved, connected(1, 51000)]);
    assert!(Check::ResolvedThenConnected(localhost).passed(&state));
}

#[test]
fn two_connections_need_two_local_ports() {
    let one = page([connect(1, "tcp-echo"), connected(1, 51000)]);
    assert!(!Check::TwoConnections(ECHO).passed(&one));
    let two = page([
        connect(1, "tcp-echo"),
        connected(1, 51000),
        connect(2, "tcp-echo"),
        connected(2, 51002),
    ]);
    assert!(Check::TwoConnections(ECHO).passed(&two));
    assert_eq!(
        endpoints(&two),
        vec![
            (1, "127.0.0.1:51000".into(), "127.0.0.1:4000".into()),
            (2, "127.0.0.1:51002".into(), "127.0.0.1:4000".into()),
        ]
    );
}

#[test]
fn fin_from_the_server_only_after_our_shutdown() {
    let base = [connect(1, "tcp-echo"), connected(1, 51000)];
    let fin_only = page(
        base.clone()
            .into_iter()
            .chain([ev(1, EventKind::PeerClosed)]),
    );
    assert!(!Check::FinFromServer(ECHO).passed(&fin_only));
    let shutdown = page(base.clone().into_iter().chain([
        Message::Out(ClientMsg::Shutdown { op: 1 }),
        ev(1, EventKind::ShutdownSent),
    ]));
    assert!(
        !Check::FinFromServer(ECHO).passed(&shutdown),
        "no FIN back yet"
    );
    let both = page(base.into_iter().chain([
        Message::Out(ClientMsg::Shutdown { op: 1 }),
        ev(1, EventKind::ShutdownSent),
        ev(1, EventKind::PeerClosed),
    ]));
    assert!(Check::FinFromServer(ECHO).passed(&both));
}

#[test]
fn a_reset_is_seen_as_an_event_or_a_failure() {
    let base = [
        connect(1, "tcp-echo"),
        connected(1, 51000),
        send(1, "abcdefgh"),
    ];
    assert!(!Check::Reset(ECHO).passed(&page(base.clone())));
    let rst = page(base.clone().into_iter().chain([ev(1, EventKind::Reset)]));
    assert!(Check::Reset(ECHO).passed(&rst));
    let failed = page(base.into_iter().chain([failed(1, ErrorCode::Reset)]));
    assert!(Check::Reset(ECHO).passed(&failed));
}

#[test]
fn a_datagram_echoed_or_lost() {
    let sent = [
        udp_open(1),
        ev(
            1,
            EventKind::Bound {
                local: "127.0.0.1:52000".into(),
                remote: Some("127.0.0.1:4001".into()),
            },
        ),
        Message::Out(ClientMsg::Send {
            op: 1,
            data: Payload(b"ping".to_vec()),
        }),
        ev(
            1,
            EventKind::DatagramSent {
                to: "127.0.0.1:4001".into(),
                bytes: 4,
            },
        ),
    ];
    let waiting = page(sent.clone());
    assert!(!Check::DatagramEchoed(UDP).passed(&waiting));
    assert!(!Check::DatagramLost(UDP).passed(&waiting), "no timeout yet");
    let echoed = page(
        sent.clone()
            .into_iter()
            .chain([Message::In(ServerMsg::Datagram {
                op: 1,
                t_us: 30,
                from: "127.0.0.1:4001".into(),
                data: Payload(b"ping".to_vec()),
            })]),
    );
    assert!(Check::DatagramEchoed(UDP).passed(&echoed));
    assert!(!Check::DatagramLost(UDP).passed(&echoed));
    assert!(Check::DatagramText(UDP, "ping").passed(&echoed));
    assert!(
        !Check::DatagramText(UDP, "pong").passed(&echoed),
        "another datagram"
    );
    assert!(!Check::DatagramText(UDP, "ping").passed(&waiting));
    let lost = page(
        sent.into_iter()
            .chain([ev(1, EventKind::RecvTimeout { after_ms: 2_000 })]),
    );
    assert!(Check::DatagramLost(UDP).passed(&lost));
    assert!(!Check::DatagramEchoed(UDP).passed(&lost));
}

/// Runs `setup` against replies the test plays as the relay: every request
/// the run returns is recorded, then the relay's answer to it.
fn drive(setup: Setup, reply: impl Fn(&ClientMsg) -> Vec<Message>) -> Vec<ClientMsg> {
    let mut state = page([]);
    drive_on(&mut state, setup, reply)
}

/// [`drive`] on a page that has done things already.
fn drive_on(
    state: &mut State,
    setup: Setup,
    reply: impl Fn(&ClientMsg) -> Vec<Message>,
) -> Vec<ClientMsg> {
    let (mut run, first) = Run::start(
        setup,
        &state.services,
        &state.trace,
        state.next_op,
        setup.send(),
        0,
    )
    .unwrap();
    let mut pending = vec![first];
    let mut sent = Vec::new();
    for _ in 0..10 {
        for msg in std::mem::take(&mut pending) {
            state.apply(NOW, Action::Requested(msg.clone()));
            for answer in reply(&msg) {
                let Message::In(answer) = answer else {
                    continue;
                };
                state.apply(NOW, Action::Relay(Notice::Message(answer)));
            }
            sent.push(msg);
        }
        pending = run.advance(&state.trace);
        if pending.is_empty() && run.is_done() {
            break;
        }
    }
    assert!(run.is_done(), "the run ended; it sent {sent:?}");
    sent
}

fn echo_relay(msg: &ClientMsg) -> Vec<Message> {
    match msg {
        ClientMsg::TcpConnect { op, .. } => vec![connected(*op, 51000)],
        ClientMsg::Send { op, data: d } => {
            vec![data(*op, &String::from_utf8_lossy(&d.0))]
        }
        ClientMsg::Shutdown { op } => vec![
            ev(*op, EventKind::ShutdownSent),
            ev(*op, EventKind::PeerClosed),
        ],
        ClientMsg::Close { op } => vec![ev(
            *op,
            EventKind::Closed {
                by: Closer::Browser,
            },
        )],
        _ => Vec::new(),
    }
}

#[test]
fn the_runner_connects_sends_once_connected_and_closes_after_the_answer() {
    let setup = Setup::Tcp {
        target: ECHO,
        send: "hello",
        then: After::Close,
        faults: None,
    };
    let sent = drive(setup, echo_relay);
    assert!(matches!(&sent[0], ClientMsg::TcpConnect { target, .. } if target == "tcp-echo"));
    assert_eq!(
        sent[1..],
        [
            ClientMsg::Send {
                op: 1,
                data: Payload(b"hello".to_vec())
            },
            ClientMsg::Close { op: 1 }
        ]
    );
    let shutdown = drive(
        Setup::Tcp {
            target: ECHO,
            send: "bye",
            then: After::Shutdown,
            faults: None,
        },
        echo_relay,
    );
    assert_eq!(shutdown.last(), Some(&ClientMsg::Shutdown { op: 1 }));
}

#[test]
fn the_runner_waits_and_stops_when_the_connection_fails() {
    let setup = Setup::Tcp {
        target: V6,
        send: "x",
        then: After::Close,
        faults: None,
    };
    let state = page([]);
    let (mut run, first) = Run::start(setup, &state.services, &state.trace, 1, "x", 0).unwrap();
    assert!(matches!(&first, ClientMsg::TcpConnect { target, .. } if target == "[::1]:4000"));
    let waiting = page([Message::Out(first.clone())]);
    assert_eq!(
        run.advance(&waiting.trace),
        vec![],
        "nothing before connected"
    );
    let failed = page([Message::Out(first), failed(1, ErrorCode::Refused)]);
    assert_eq!(run.advance(&failed.trace), vec![]);
    assert!(run.is_done());
    // Without the welcome the service's port is unknown.
    assert_eq!(
        Run::start(setup, &[], &Default::default(), 1, "x", 0).map(|_| ()),
        Err(runner::RunError::NoServices)
    );
}

#[test]
fn the_udp_runner_sends_once_bound_and_closes_after_an_answer_or_a_timeout() {
    let setup = Setup::Udp {
        target: UDP,
        send: "ping",
        recv_timeout_ms: 60_000,
        faults: None,
    };
    let timeout_relay = |msg: &ClientMsg| match msg {
        ClientMsg::UdpOpen {
            op,
            recv_timeout_ms,
            ..
        } => {
            assert_eq!(
                *recv_timeout_ms,
                Some(runner::MAX_RECV_TIMEOUT_MS),
                "bounded"
            );
            vec![ev(
                *op,
                EventKind::Bound {
                    local: "127.0.0.1:52000".into(),
                    remote: Some("127.0.0.1:4001".into()),
                },
            )]
        }
        ClientMsg::Send { op, .. } => vec![ev(*op, EventKind::RecvTimeout { after_ms: 10_000 })],
        _ => Vec::new(),
    };
    let sent = drive(setup, timeout_relay);
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[2], ClientMsg::Close { op: 1 });
}

#[test]
fn every_lesson_keeps_the_rules_of_the_course() {
    let mut slugs = std::collections::HashSet::new();
    for lesson in LESSONS {
        assert!(slugs.insert(lesson.slug), "{} twice", lesson.slug);
        assert!(
            lesson
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}: a slug is lowercase words and dashes",
            lesson.slug
        );
        let words = markup::word_count(lesson.text);
        assert!(
            (150..=400).contains(&words),
            "{}: {words} words (150–400)",
            lesson.slug
        );
        assert!(
            (2..=5).contains(&lesson.steps.len()),
            "{}: 2–5 steps",
            lesson.slug
        );
        assert!(lesson.tries.len() <= 4, "{}: at most 4 tries", lesson.slug);
        assert!(!lesson.views.is_empty());
        for step in lesson.steps {
            if let Some(predict) = step.predict {
                assert!(
                    predict.choices.iter().any(|c| c.shows == Some(step.check)),
                    "{}: the choice the step's check confirms is offered",
                    lesson.slug
                );
            }
            // Every setup runs against the lab's services.
            assert!(
                Run::start(
                    step.setup,
                    &services_all(),
                    &Default::default(),
                    1,
                    step.setup.send(),
                    0
                )
                .is_ok()
            );
        }
        // The text parses into blocks with no marker left open.
        for block in markup::parse(lesson.text) {
            let spans = match block {
                markup::Block::Paragraph(spans) => spans,
                markup::Block::List(items) => items.concat(),
            };
            // Emphasis is parsed again for its code.
            let inner = spans.iter().flat_map(|span| match span {
                markup::Span::Strong(text) => markup::spans(text),
                _ => Vec::new(),
            });
            for span in spans.iter().cloned().chain(inner) {
                if let markup::Span::Text(text) = span {
                    assert!(!text.contains('`'), "{}: open ` in {text:?}", lesson.slug);
                }
            }
        }
    }
}

fn services_all() -> Vec<Service> {
    let mut all = services();
    for (name, port) in [
        ("https-lab", 4003),
        ("https-wrong-name", 4004),
        ("https-unknown-ca", 4005),
        ("https-expired", 4006),
    ] {
        all.push(Service {
            name: name.into(),
            label: name.into(),
            protocol: "https".into(),
            addr: format!("127.0.0.1:{port}"),
        });
    }
    all
}

#[test]
fn every_link_and_next_resolves() {
    for (index, lesson) in LESSONS.iter().enumerate() {
        let slug = href(lesson).strip_prefix("/learn/").unwrap().to_owned();
        assert_eq!(super::lesson(&slug).map(|(i, _)| i), Some(index));
        let (previous, next) = neighbours(index);
        assert_eq!(previous.is_none(), index == 0);
        assert_eq!(next.is_none(), index + 1 == LESSONS.len());
        for neighbour in previous.into_iter().chain(next) {
            assert!(super::lesson(neighbour.slug).is_some());
        }
    }
    assert!(super::lesson("no-such-lesson").is_none());
}

#[test]
fn progress_is_kept_as_known_slugs_in_course_order() {
    let mut progress = progress::Progress::parse("ports junk what-is-networking");
    assert_eq!(progress.to_stored(), "what-is-networking ports");
    assert_eq!(progress.next_slug(), "ip-addresses");
    assert!(progress.mark_done("ip-addresses"));
    assert!(!progress.mark_done("ip-addresses"));
    assert!(!progress.mark_done("unknown"));
    assert_eq!(progress.count(), 3);
    assert_eq!(progress::Progress::parse("").next_slug(), LESSONS[0].slug);
}

#[test]
fn the_tcp_client_in_python_and_rust() {
    let setup = LESSONS[0].steps[0].setup;
    let programs = codegen::for_setup(&setup, &services(), "hello", true, 5007).unwrap();
    let files: Vec<_> = programs.iter().map(|p| (p.file, p.lang, p.role)).collect();
    assert_eq!(
        files,
        [
            ("client.py", Lang::Python, Role::Client),
            ("client.rs", Lang::Rust, Role::Client),
            ("server.py", Lang::Python, Role::Server),
            ("server.rs", Lang::Rust, Role::Server),
        ]
    );
    let py = &programs[0].code;
    for needle in [
        "HOST = \"127.0.0.1\"",
        "PORT = 4000",
        "MESSAGE = \"hello\"",
        "socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
        "sock.settimeout(5)",
        "MESSAGE.encode(\"utf-8\")",
        "received.decode(\"utf-8\")",
    ] {
        assert!(py.contains(needle), "{needle} in\n{py}");
    }
    assert!(
        programs[1]
            .code
            .contains("TcpStream::connect(\"127.0.0.1:4000\")")
    );
    assert!(
        programs[2].code.contains("PORT = 5007") && programs[2].code.contains("server.listen()")
    );
    assert!(
        programs[3]
            .code
            .contains("TcpListener::bind(\"127.0.0.1:5007\")")
    );
}

#[test]
fn the_code_follows_the_settings() {
    let v6 = Setup::Tcp {
        target: V6,
        send: "x",
        then: After::Shutdown,
        faults: None,
    };
    let programs = codegen::for_setup(&v6, &services(), "say \"hi\"\n", false, 5007).unwrap();
    assert_eq!(programs.len(), 2, "no server unless the lesson has one");
    let py = &programs[0].code;
    assert!(py.contains("socket.AF_INET6"));
    assert!(py.contains("HOST = \"::1\""));
    assert!(py.contains(r#"MESSAGE = "say \"hi\"\n""#), "{py}");
    assert!(py.contains("sock.shutdown(socket.SHUT_WR)"));
    let rs = &programs[1].code;
    assert!(rs.contains("TcpStream::connect(\"[::1]:4000\")"));
    assert!(rs.contains("stream.shutdown(Shutdown::Write)?"));
    // Before the welcome there is no port to write.
    assert!(codegen::for_setup(&v6, &[], "x", false, 5007).is_none());
    // A lab name becomes the service's real address.
    let lab = Setup::Tcp {
        target: Target::LabName {
            name: "echo.lab.test:7",
            service: "tcp-echo",
        },
        send: "x",
        then: After::Close,
        faults: None,
    };
    let programs = codegen::for_setup(&lab, &services(), "x", false, 5007).unwrap();
    assert!(programs[0].code.contains("PORT = 4000"));
}

#[test]
fn the_udp_client_sets_a_timeout_and_catches_it() {
    let setup = Setup::Udp {
        target: UDP,
        send: "ping",
        recv_timeout_ms: 2_500,
        faults: None,
    };
    let programs = codegen::for_setup(&setup, &services(), "ping", true, 5007).unwrap();
    let py = &programs[0].code;
    assert!(!py.contains("inject faults"), "no faults, no note");
    assert!(py.contains("socket.SOCK_DGRAM") && py.contains("sock.settimeout(2.5)"));
    assert!(py.contains("except TimeoutError:") && py.contains("sock.sendto("));
    assert!(programs[1].code.contains("Duration::from_millis(2500)"));
    assert!(programs[2].code.contains("server.recvfrom(2048)"));
}

#[test]
fn code_for_a_setup_with_faults_says_the_lab_injects_them_for_the_page_only() {
    let lossy = LESSONS
        .iter()
        .flat_map(|l| l.steps)
        .find(|s| matches!(s.check, Check::DatagramLost(_)))
        .unwrap();
    let programs = codegen::for_setup(&lossy.setup, &services(), "x", true, 5007).unwrap();
    for program in &programs {
        let noted = program.code.contains("inject faults on its own connection");
        assert_eq!(noted, program.role == Role::Client, "{}", program.file);
    }
}

#[test]
fn http_as_requests_and_curl() {
    let programs = codegen::http(
        "POST",
        "http://127.0.0.1:4002/post",
        &[("Authorization".into(), "Bearer it's-me".into())],
        "{\"n\": 1}",
        10,
    );
    let py = &programs[0].code;
    for needle in [
        "import json",
        "import requests",
        "headers = {\"Authorization\": \"Bearer it's-me\"}",
        "requests.post(\"http://127.0.0.1:4002/post\", headers=headers, json=payload, timeout=10)",
        "response.raise_for_status()",
        "except requests.exceptions.Timeout:",
    ] {
        assert!(py.contains(needle), "{needle} in\n{py}");
    }
    assert_eq!(
        programs[1].code,
        "curl -sS -i --max-time 10 -X 'POST' -H 'Authorization: Bearer it'\\''s-me' \
         -H 'Content-Type: application/json' --data '{\"n\": 1}' 'http://127.0.0.1:4002/post'\n"
    );
    let get = codegen::http("GET", "http://127.0.0.1:4002/get", &[], "", 5);
    assert!(
        get[0]
            .code
            .contains("requests.get(\"http://127.0.0.1:4002/get\", timeout=5)")
    );
    assert_eq!(
        get[1].code,
        "curl -sS -i --max-time 5 'http://127.0.0.1:4002/get'\n"
    );
}

#[test]
fn dns_as_dig() {
    use crate::protocol::DnsType;
    assert_eq!(
        codegen::dig("www.lab.test", DnsType::A, "127.0.0.1:5353").code,
        "dig @127.0.0.1 -p 5353 'www.lab.test' A\n"
    );
    assert_eq!(
        codegen::dig("example.com", DnsType::Mx, "9.9.9.9").code,
        "dig @9.9.9.9 'example.com' MX\n"
    );
}

#[test]
fn page_paths_route_to_the_playground_the_contents_or_a_lesson() {
    assert_eq!(route("/"), Route::Playground);
    assert_eq!(route(""), Route::Playground);
    assert_eq!(route("/learn"), Route::Contents);
    assert_eq!(route("/learn/"), Route::Contents);
    assert_eq!(route("/learn/ports"), Route::Lesson(2));
    assert_eq!(route("/learn/ports/"), Route::Lesson(2));
    assert_eq!(route("/learn/nope"), Route::NoSuchLesson);
    assert_eq!(route("/learning"), Route::Playground);
    for lesson in LESSONS {
        assert!(matches!(route(&href(lesson)), Route::Lesson(_)));
    }
}

#[test]
fn the_learner_s_own_server_is_where_the_generated_server_listens() {
    assert_eq!(
        lessons::OWN_SERVER.address(&[]),
        Some(("127.0.0.1".to_owned(), codegen::SERVER_PORT))
    );
}

#[test]
fn an_echo_in_pieces_passes_and_one_piece_or_half_does_not() {
    let base = [
        connect(1, "tcp-echo"),
        connected(1, 51000),
        send(1, "abcdef"),
    ];
    let one = page(base.clone().into_iter().chain([data(1, "abcdef")]));
    assert!(Check::Echoed(ECHO).passed(&one));
    assert!(!Check::InPieces(ECHO).passed(&one), "one piece");
    let half = page(base.clone().into_iter().chain([data(1, "abc")]));
    assert!(!Check::InPieces(ECHO).passed(&half), "not all of it yet");
    let pieces = page(base.into_iter().chain([data(1, "abc"), data(1, "def")]));
    assert!(Check::InPieces(ECHO).passed(&pieces));
    assert!(Check::EchoedText(ECHO, "abcdef").passed(&pieces));
    assert!(
        !Check::EchoedText(ECHO, "first\nsecond\n").passed(&pieces),
        "other text"
    );
}

#[test]
fn a_long_repeated_message_is_written_as_a_repetition() {
    assert_eq!(lessons::BIG.len(), 48 * 1024);
    assert_eq!(codegen::repetition("abab"), None, "fewer than 4 repeats");
    assert_eq!(codegen::repetition("abababab"), Some(("ab", 4)));
    assert_eq!(codegen::repetition("hello"), None);
    let setup = Setup::Tcp {
        target: ECHO,
        send: lessons::BIG,
        then: After::Close,
        faults: None,
    };
    let programs = codegen::for_setup(&setup, &services(), lessons::BIG, false, 5007).unwrap();
    assert!(
        programs[0].code.contains("-_\" * 768"),
        "{}",
        programs[0].code
    );
    assert!(
        programs[1].code.contains("-_\".repeat(768)"),
        "{}",
        programs[1].code
    );
    assert!(programs.iter().all(|p| p.code.len() < 4_000));
    // A short message stays as written.
    let short = codegen::for_setup(&setup, &services(), "aaaaaaaa", false, 5007).unwrap();
    assert!(short[0].code.contains("MESSAGE = \"aaaaaaaa\""));
}

#[test]
fn an_http_status_is_read_from_the_response_head_of_the_request_to_that_url() {
    let www = WWW;
    let setup = LESSONS
        .iter()
        .flat_map(|l| l.steps)
        .find(|s| s.check == Check::HttpStatus(www, "/status/404", 404))
        .expect("a step asks for a 404")
        .setup;
    let state = page([]);
    let (mut run, first) = Run::start(setup, &state.services, &state.trace, 1, "", 0).unwrap();
    let ClientMsg::HttpRequest(request) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(request.url, "http://www.lab.test:80/status/404");
    assert!(request.raw && request.body.is_none());
    let head = |status: u16| {
        ev(
            1,
            EventKind::ResponseHead {
                status,
                reason: "x".into(),
                version: "HTTP/1.1".into(),
                headers: Vec::new(),
            },
        )
    };
    let waiting = page([Message::Out(first.clone())]);
    assert!(!Check::HttpStatus(www, "/status/404", 404).passed(&waiting));
    assert_eq!(
        run.advance(&waiting.trace),
        vec![],
        "the relay runs the exchange"
    );
    let answered = page([Message::Out(first.clone()), head(404)]);
    assert!(Check::HttpStatus(www, "/status/404", 404).passed(&answered));
    assert!(!Check::HttpStatus(www, "/status/404", 200).passed(&answered));
    assert!(
        !Check::HttpStatus(www, "/get", 404).passed(&answered),
        "another path"
    );
    let ended = page([
        Message::Out(first),
        head(404),
        ev(1, EventKind::Closed { by: Closer::Relay }),
    ]);
    run.advance(&ended.trace);
    assert!(run.is_done());
    // The code asks the lab's real address, with requests and curl.
    let programs = codegen::for_setup(&setup, &services(), "", false, 5007).unwrap();
    assert!(
        programs[0]
            .code
            .contains("requests.get(\"http://127.0.0.1:4002/status/404\", timeout=10)")
    );
    assert_eq!(
        programs[1].code,
        "curl -sS -i --max-time 10 'http://127.0.0.1:4002/status/404'\n"
    );
}

/// The relay as it treats a listening page: the listener listens on
/// `127.0.0.1:40000`; each client connection is accepted as the next
/// `conn` (from its own local port); bytes and FINs cross from each end to
/// the other.
struct LoopbackRelay {
    /// (client op, accepted op) of each connection so far.
    pairs: std::cell::RefCell<Vec<(u32, u32)>>,
}

const LISTEN_ADDR: &str = "127.0.0.1:40000";

impl LoopbackRelay {
    fn new() -> Self {
        LoopbackRelay {
            pairs: Default::default(),
        }
    }

    fn other_end(&self, op: u32) -> Option<u32> {
        self.pairs
            .borrow()
            .iter()
            .find_map(|&(client, conn)| match op {
                _ if op == client => Some(conn),
                _ if op == conn => Some(client),
                _ => None,
            })
    }

    fn reply(&self, msg: &ClientMsg) -> Vec<Message> {
        match msg {
            ClientMsg::TcpListen { op, port: None } => vec![
                ev(
                    *op,
                    EventKind::Bound {
                        local: LISTEN_ADDR.into(),
                        remote: None,
                    },
                ),
                ev(
                    *op,
                    EventKind::Listening {
                        addr: LISTEN_ADDR.into(),
                    },
                ),
            ],
            ClientMsg::TcpConnect { op, target, .. } => {
                assert_eq!(target, LISTEN_ADDR, "the client dials the listener");
                let n = self.pairs.borrow().len() as u32;
                let conn = crate::protocol::FIRST_RELAY_OP + n;
                self.pairs.borrow_mut().push((*op, conn));
                let local = format!("127.0.0.1:{}", 50_000 + n);
                vec![
                    ev(
                        *op,
                        EventKind::Connected {
                            local: local.clone(),
                            remote: LISTEN_ADDR.into(),
                        },
                    ),
                    ev(
                        1,
                        EventKind::Accepted {
                            conn,
                            peer: local.clone(),
                        },
                    ),
                    ev(
                        conn,
                        EventKind::Connected {
                            local: LISTEN_ADDR.into(),
                            remote: local,
                        },
                    ),
                ]
            }
            ClientMsg::Send { op, data: d } => match self.other_end(*op) {
                Some(other) => vec![data(other, &String::from_utf8_lossy(&d.0))],
                None => Vec::new(),
            },
            ClientMsg::Shutdown { op } => {
                let mut out = vec![ev(*op, EventKind::ShutdownSent)];
                out.extend(self.other_end(*op).map(|o| ev(o, EventKind::PeerClosed)));
                out
            }
            ClientMsg::Close { op } => vec![ev(
                *op,
                EventKind::Closed {
                    by: Closer::Browser,
                },
            )],
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn the_page_listens_then_serves_its_own_clients_in_capitals() {
    let relay = LoopbackRelay::new();
    let mut state = page([]);
    let lesson = lesson("client-server").unwrap().1;
    assert!(passed(lesson, &state).iter().all(|p| !p));

    // Listen: one request, then the run waits for nothing more.
    let sent = drive_on(&mut state, Setup::Listen, |m| relay.reply(m));
    assert_eq!(sent, [ClientMsg::TcpListen { op: 1, port: None }]);
    assert_eq!(passed(lesson, &state), [true, false, false]);
    assert_eq!(
        checks::open_listener(&state.trace),
        Some((1, LISTEN_ADDR.to_owned()))
    );

    // A client: the open listener takes it; the request and its FIN go,
    // the accepted side answers in capitals and shuts down, both close.
    let sent = drive_on(&mut state, Setup::Serve { send: "hello" }, |m| {
        relay.reply(m)
    });
    let conn = crate::protocol::FIRST_RELAY_OP;
    assert!(
        matches!(&sent[0], ClientMsg::TcpConnect { op: 2, target, .. } if target == LISTEN_ADDR),
        "{sent:?}"
    );
    assert_eq!(
        sent[1..],
        [
            ClientMsg::Send {
                op: 2,
                data: Payload(b"hello".to_vec())
            },
            ClientMsg::Shutdown { op: 2 },
            ClientMsg::Send {
                op: conn,
                data: Payload(b"HELLO".to_vec())
            },
            ClientMsg::Shutdown { op: conn },
            ClientMsg::Close { op: 2 },
            ClientMsg::Close { op: conn },
        ]
    );
    assert_eq!(passed(lesson, &state), [true, true, false]);
    let predict = lesson.steps[1].predict.unwrap();
    assert_eq!(shown_choice(&predict, &state), Some(0));

    // A second client: same listener, another port, another conn.
    drive_on(&mut state, Setup::Serve { send: "me too" }, |m| {
        relay.reply(m)
    });
    assert_eq!(passed(lesson, &state), [true, true, true]);
    assert_eq!(state.trace.received_bytes(conn + 1), b"me too");
    assert_eq!(state.trace.received_bytes(3), b"ME TOO");
    // The diagram says what the lesson's text points at.
    let said = crate::diagram::timeline(&state.trace).describe();
    for label in [
        "bound 127.0.0.1:40000",
        "listening on 127.0.0.1:40000",
        "Relay  accepted as conn #1",
        "Relay  accepted as conn #2",
        // Each client and its accepted connection: one connection, two ends.
        "accept() returns: two ends of one TCP connection",
        "Client -> Target  \"hello\" (5 B)",
        "Target -> Client  \"HELLO\" (5 B)",
    ] {
        assert!(said.contains(label), "{label:?} in\n{said}");
    }
}

#[test]
fn serving_from_scratch_listens_first_and_dials_the_address_it_got() {
    let relay = LoopbackRelay::new();
    let sent = drive(Setup::Serve { send: "hi" }, |m| relay.reply(m));
    assert_eq!(sent[0], ClientMsg::TcpListen { op: 1, port: None });
    assert!(
        matches!(&sent[1], ClientMsg::TcpConnect { op: 2, target, .. } if target == LISTEN_ADDR),
        "the client takes the next id and the listener's address: {sent:?}"
    );
}

#[test]
fn served_stays_open_without_the_answer_or_with_an_echo() {
    let conn = crate::protocol::FIRST_RELAY_OP;
    let listen = [
        Message::Out(ClientMsg::TcpListen { op: 1, port: None }),
        ev(
            1,
            EventKind::Listening {
                addr: LISTEN_ADDR.into(),
            },
        ),
        connect(2, LISTEN_ADDR),
        ev(
            2,
            EventKind::Connected {
                local: "127.0.0.1:50000".into(),
                remote: LISTEN_ADDR.into(),
            },
        ),
        ev(
            1,
            EventKind::Accepted {
                conn,
                peer: "127.0.0.1:50000".into(),
            },
        ),
        send(2, "hello"),
        data(conn, "hello"),
    ];
    // The request arrived; no answer yet.
    let waiting = page(listen.clone());
    assert!(Check::Listening.passed(&waiting));
    assert!(!Check::Served.passed(&waiting));
    // An echo is not the answer this server gives.
    let mut echoed = listen.to_vec();
    echoed.push(data(2, "hello"));
    assert!(!Check::Served.passed(&page(echoed.clone())));
    // The answer from a connection the listener did not accept (another
    // peer) does not count either.
    let mut elsewhere = listen.to_vec();
    elsewhere[4] = ev(
        1,
        EventKind::Accepted {
            conn,
            peer: "127.0.0.1:50999".into(),
        },
    );
    elsewhere.push(data(2, "HELLO"));
    assert!(!Check::Served.passed(&page(elsewhere)));
    let mut answered = listen.to_vec();
    answered.push(data(2, "HELLO"));
    let answered = page(answered);
    assert!(Check::Served.passed(&answered));
    assert!(
        !Check::TwoClients.passed(&answered),
        "one client is not two"
    );
    // A listener that failed never listened.
    let failed = page([
        Message::Out(ClientMsg::TcpListen { op: 1, port: None }),
        failed(1, ErrorCode::AddrInUse),
    ]);
    assert!(!Check::Listening.passed(&failed));
    assert_eq!(checks::open_listener(&failed.trace), None);
}

#[test]
fn the_code_for_clients_and_servers_is_a_pair_that_meets_on_the_server_port() {
    let programs = codegen::for_setup(
        &Setup::Serve {
            send: "hello, server",
        },
        &services(),
        "hello, server",
        true,
        codegen::SERVER_PORT,
    )
    .unwrap();
    let files: Vec<_> = programs.iter().map(|p| (p.file, p.role)).collect();
    assert_eq!(
        files,
        [
            ("server.py", Role::Server),
            ("client.py", Role::Client),
            ("server.rs", Role::Server),
            ("client.rs", Role::Client),
        ]
    );
    let server = &programs[0].code;
    for call in [
        "server.bind((HOST, PORT))",
        "server.listen()",
        "server.accept()",
        "request.upper()",
        "PORT = 5007",
    ] {
        assert!(server.contains(call), "{call} in\n{server}");
    }
    let client = &programs[1].code;
    for call in [
        "sock.connect((HOST, PORT))",
        "REQUEST = \"hello, server\"",
        "sock.shutdown(socket.SHUT_WR)",
        "PORT = 5007",
    ] {
        assert!(client.contains(call), "{call} in\n{client}");
    }
    assert!(programs[2].code.contains("to_ascii_uppercase()"));
    assert!(programs[3].code.contains("Shutdown::Write"));
    // The code follows the message; Listen alone shows the pair too.
    let mine = codegen::for_setup(&Setup::Serve { send: "x" }, &[], "mine", true, 6000).unwrap();
    assert!(mine[1].code.contains("REQUEST = \"mine\"") && mine[1].code.contains("PORT = 6000"));
    let listen = codegen::for_setup(&Setup::Listen, &[], "", true, 6000).unwrap();
    assert!(listen[1].code.contains("REQUEST = \"hello, server\""));
    // No playground link: its TCP server tab starts from a click.
    assert_eq!(Setup::Listen.experiment(&services(), ""), None);
}

#[test]
fn an_http_timeout_is_a_failure_with_no_response_head() {
    let www = WWW;
    let lesson = lesson("http-client-library").unwrap().1;
    let step = lesson.steps[4];
    assert_eq!(step.check, Check::HttpTimedOut(www, "/delay/5"));
    let state = page([]);
    let (_, first) = Run::start(step.setup, &state.services, &state.trace, 1, "", 0).unwrap();
    let ClientMsg::HttpRequest(request) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(request.url, "http://www.lab.test:80/delay/5");
    let timeouts = request.timeouts.expect("the lesson's timeout is asked for");
    assert_eq!(
        (timeouts.connect_ms, timeouts.first_byte_ms),
        (Some(2_000), Some(2_000))
    );
    let timed_out = page([Message::Out(first.clone()), failed(1, ErrorCode::TimedOut)]);
    assert!(Check::HttpTimedOut(www, "/delay/5").passed(&timed_out));
    let predict = step.predict.unwrap();
    assert_eq!(shown_choice(&predict, &timed_out), Some(0));
    // Still waiting, answered in time, or failed otherwise: not a timeout.
    let waiting = page([Message::Out(first.clone())]);
    let answered = page([
        Message::Out(first.clone()),
        ev(
            1,
            EventKind::ResponseHead {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1".into(),
                headers: Vec::new(),
            },
        ),
    ]);
    let refused = page([Message::Out(first), failed(1, ErrorCode::Refused)]);
    let said = crate::diagram::timeline(&timed_out.trace).describe();
    assert!(said.contains("failed: timed out"), "{said}");
    for state in [&waiting, &answered, &refused] {
        assert!(!Check::HttpTimedOut(www, "/delay/5").passed(state));
    }
    assert_eq!(shown_choice(&predict, &answered), Some(1));
    assert!(
        !Check::HttpTimedOut(www, "/get").passed(&timed_out),
        "another path"
    );
}

#[test]
fn the_http_client_code_carries_the_timeout_json_and_token() {
    let lesson = lesson("http-client-library").unwrap().1;
    let code = |i: usize| {
        let setup = lesson.steps[i].setup;
        codegen::for_setup(&setup, &services(), setup.send(), false, 5007).unwrap()
    };
    let get = code(0);
    assert!(
        get[0]
            .code
            .contains("requests.get(\"http://127.0.0.1:4002/get\", timeout=10)")
    );
    let post = code(1);
    assert!(
        post[0].code.contains("json=payload, timeout=10"),
        "{}",
        post[0].code
    );
    assert!(post[1].code.contains("-H 'Content-Type: application/json'"));
    let bearer = code(2);
    assert!(
        bearer[0]
            .code
            .contains("headers = {\"Authorization\": \"Bearer learner-token\"}")
    );
    assert!(
        bearer[1]
            .code
            .contains("-H 'Authorization: Bearer learner-token'")
    );
    assert!(code(3)[0].code.contains("response.raise_for_status()"));
    let delay = code(4);
    assert!(
        delay[0]
            .code
            .contains("requests.get(\"http://127.0.0.1:4002/delay/5\", timeout=2)")
    );
    assert!(
        delay[0]
            .code
            .contains("except requests.exceptions.Timeout:")
    );
    assert_eq!(
        delay[1].code,
        "curl -sS -i --max-time 2 'http://127.0.0.1:4002/delay/5'\n"
    );
    // A wait under a second is still a wait of at least one in the code.
    let short = Setup::Http {
        target: ECHO,
        method: "GET",
        path: "/",
        headers: &[],
        send: "",
        timeout_ms: Some(1_200),
        retry: None,
    };
    assert!(
        codegen::for_setup(&short, &services(), "", false, 0).unwrap()[0]
            .code
            .contains("timeout=2)")
    );
    // The playground link keeps the timeout.
    let link = lesson.steps[4].setup.experiment(&services(), "").unwrap();
    assert!(matches!(
        link,
        crate::share::Experiment::Http { timeouts: Some(t), .. } if t.first_byte_ms == Some(2_000)
    ));
}

fn dns_query(
    op: u32,
    name: &str,
    rtype: crate::protocol::DnsType,
    mode: crate::protocol::DnsMode,
) -> Message {
    Message::Out(ClientMsg::DnsQuery {
        op,
        name: name.into(),
        rtype,
        mode,
        server: None,
        timeout_ms: None,
    })
}

fn record(name: &str, rtype: &str, data: &str) -> crate::protocol::DnsRecord {
    crate::protocol::DnsRecord {
        name: name.into(),
        ttl: 300,
        class: "IN".into(),
        rtype: rtype.into(),
        data: data.into(),
    }
}

fn dns_answer(op: u32, rcode: &str, answers: Vec<crate::protocol::DnsRecord>) -> Message {
    ev(
        op,
        EventKind::DnsResponse {
            server: "127.0.0.1:4005".into(),
            rcode: rcode.into(),
            answers,
            authority: Vec::new(),
            additional: Vec::new(),
            elapsed_us: 300,
        },
    )
}

#[test]
fn dns_answers_are_read_by_name_type_mode_and_record() {
    use crate::protocol::{DnsMode, DnsType};
    let lesson = lesson("dns").unwrap().1;
    let chain = vec![
        record("www.lab.test.", "CNAME", "web.lab.test."),
        record("web.lab.test.", "CNAME", "host.lab.test."),
        record("host.lab.test.", "A", "127.0.0.1"),
    ];
    let stub = page([
        dns_query(1, "www.lab.test", DnsType::A, DnsMode::Stub),
        dns_answer(1, "NOERROR", chain.clone()),
    ]);
    assert_eq!(passed(lesson, &stub), [true, false, false, false]);
    assert_eq!(
        shown_choice(&lesson.steps[0].predict.unwrap(), &stub),
        Some(0)
    );
    // Asked, not answered yet; or answered NXDOMAIN: open.
    let asked = page([dns_query(1, "www.lab.test", DnsType::A, DnsMode::Stub)]);
    let nx = page([
        dns_query(1, "www.lab.test", DnsType::A, DnsMode::Stub),
        dns_answer(1, "NXDOMAIN", Vec::new()),
    ]);
    for state in [&asked, &nx] {
        assert!(!lesson.steps[0].check.passed(state));
    }
    // The walk counts only with a referral: a trace-mode answer straight
    // from one server is not a walk from the root.
    let echo = vec![record("echo.lab.test.", "A", "127.0.0.1")];
    let no_walk = page([
        dns_query(1, "echo.lab.test", DnsType::A, DnsMode::Trace),
        dns_answer(1, "NOERROR", echo.clone()),
    ]);
    assert!(!lesson.steps[1].check.passed(&no_walk));
    let walked = page([
        dns_query(1, "echo.lab.test", DnsType::A, DnsMode::Trace),
        ev(
            1,
            EventKind::DnsReferral {
                zone: "test.".into(),
                servers: vec!["ns1.test.".into()],
                addrs: vec!["127.0.0.3".into()],
            },
        ),
        dns_answer(1, "NOERROR", echo),
    ]);
    assert!(lesson.steps[1].check.passed(&walked));
    assert!(!lesson.steps[0].check.passed(&walked), "another name");
    let mx = page([
        dns_query(1, "lab.test", DnsType::Mx, DnsMode::Stub),
        dns_answer(
            1,
            "NOERROR",
            vec![record("lab.test.", "MX", "10 mail.lab.test.")],
        ),
    ]);
    assert!(lesson.steps[2].check.passed(&mx));
    let said = crate::diagram::timeline(&walked.trace).describe();
    assert!(said.contains("referral to test."), "{said}");
}

#[test]
fn an_http_request_by_name_is_resolved_before_it_connects() {
    use crate::protocol::ResolveSource;
    let www = WWW;
    let check = Check::HttpResolvedFirst(www, "/get");
    let state = page([]);
    let setup = lesson("dns").unwrap().1.steps[3].setup;
    let (_, first) = Run::start(setup, &state.services, &state.trace, 1, "", 0).unwrap();
    let resolved = |source| {
        ev(
            1,
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:80".into()],
                source,
            },
        )
    };
    let head = ev(
        1,
        EventKind::ResponseHead {
            status: 200,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
        },
    );
    let by_name = page([
        Message::Out(first.clone()),
        resolved(ResolveSource::DnsLab),
        connected(1, 51000),
        head.clone(),
    ]);
    assert!(check.passed(&by_name));
    let said = crate::diagram::timeline(&by_name.trace).describe();
    assert!(said.contains("(DNS lab)"), "{said}");
    // Not connected yet; or an address written as a literal: open.
    let not_yet = page([Message::Out(first.clone()), resolved(ResolveSource::DnsLab)]);
    let literal = page([
        Message::Out(first),
        resolved(ResolveSource::Literal),
        connected(1, 51000),
        head,
    ]);
    assert!(!check.passed(&not_yet) && !check.passed(&literal));
}

#[test]
fn dns_code_is_dig_against_the_lab_stub_server() {
    use crate::protocol::{DnsMode, DnsType};
    let mut services = services();
    services.push(Service {
        name: "dns-lab".into(),
        label: "dns".into(),
        protocol: "dns".into(),
        addr: "127.0.0.1:4005".into(),
    });
    let dig = |setup: Setup| codegen::for_setup(&setup, &services, "", false, 0).unwrap();
    let stub = dig(Setup::Dns {
        name: "www.lab.test",
        rtype: DnsType::A,
        mode: DnsMode::Stub,
    });
    assert_eq!(stub.len(), 1);
    assert_eq!(stub[0].code, "dig @127.0.0.1 -p 4005 'www.lab.test' A\n");
    let walk = dig(Setup::Dns {
        name: "echo.lab.test",
        rtype: DnsType::Mx,
        mode: DnsMode::Trace,
    });
    assert!(
        walk[0]
            .code
            .starts_with("# The page walked from the lab's root")
    );
    assert!(
        walk[0]
            .code
            .ends_with("dig @127.0.0.1 -p 4005 'echo.lab.test' MX\n")
    );
    // Before the relay named the DNS lab, there is no code.
    assert!(
        codegen::for_setup(
            &Setup::Dns {
                name: "x",
                rtype: DnsType::A,
                mode: DnsMode::Stub
            },
            &[],
            "",
            false,
            0
        )
        .is_none()
    );
    // The playground link asks the same question.
    assert_eq!(
        Setup::Dns {
            name: "lab.test",
            rtype: DnsType::Txt,
            mode: DnsMode::Stub
        }
        .experiment(&services, ""),
        Some(crate::share::Experiment::Dns {
            name: "lab.test".into(),
            rtype: DnsType::Txt,
            mode: DnsMode::Stub
        })
    );
}

fn http_event(kind: EventKind) -> Message {
    ev(1, kind)
}

fn head(status: u16) -> Message {
    http_event(EventKind::ResponseHead {
        status,
        reason: "x".into(),
        version: "HTTP/1.1".into(),
        headers: Vec::new(),
    })
}

fn backoff(status: Option<u16>, wait_ms: u64, retry_after_ms: Option<u64>) -> Message {
    use crate::protocol::AttemptReason;
    http_event(EventKind::Backoff {
        attempt: 1,
        wait_ms,
        reason: match status {
            Some(status) => AttemptReason::Status(status),
            None => AttemptReason::Error(RelayError::new(ErrorCode::TimedOut, "first byte")),
        },
        retry_after_ms,
    })
}

#[test]
fn retries_are_read_from_the_attempts_waits_and_last_response() {
    let www = WWW;
    let lesson = lesson("designing-for-failure").unwrap().1;
    let state = page([]);
    let (_, first) = Run::start(
        lesson.steps[0].setup,
        &state.services,
        &state.trace,
        1,
        "",
        77,
    )
    .unwrap();
    let ClientMsg::HttpRequest(request) = &first else {
        panic!("{first:?}")
    };
    // Each run asks with a key of its own, under the lesson's policy.
    assert_eq!(
        request.url,
        "http://www.lab.test:80/flaky?fail=2&status=500&key=learn-77"
    );
    let policy = request.retry.clone().expect("a retry policy");
    assert_eq!((policy.max_attempts, policy.base_ms), (4, 200));
    assert!(policy.honor_retry_after);
    assert!(policy.check(&crate::retry::policy::RELAY_LIMITS).is_ok());
    for step in lesson.steps {
        let Setup::Http {
            retry: Some(retry), ..
        } = step.setup
        else {
            panic!("every step retries")
        };
        assert!(
            retry
                .policy()
                .check(&crate::retry::policy::RELAY_LIMITS)
                .is_ok()
        );
    }

    let out = Message::Out(first);
    let retried = page([
        out.clone(),
        head(500),
        backoff(Some(500), 150, None),
        head(200),
    ]);
    assert_eq!(passed(lesson, &retried), [true, false, false, false]);
    assert_eq!(
        shown_choice(&lesson.steps[0].predict.unwrap(), &retried),
        Some(0)
    );
    // Still waiting after a failure; or a 200 at once: not a retry.
    let waiting = page([out.clone(), head(500), backoff(Some(500), 150, None)]);
    let at_once = page([out.clone(), head(200)]);
    for state in [&waiting, &at_once, &page([])] {
        assert!(!Check::RetriedToSuccess(www, "/flaky").passed(state));
    }
    // Retry-After: the wait must be at least what the server asked.
    let honoured = page([
        out.clone(),
        head(503),
        backoff(Some(503), 2_000, Some(2_000)),
        head(200),
    ]);
    let short = page([
        out.clone(),
        head(503),
        backoff(Some(503), 900, Some(2_000)),
        head(200),
    ]);
    assert!(Check::HonouredRetryAfter(www, "/flaky").passed(&honoured));
    assert!(!Check::HonouredRetryAfter(www, "/flaky").passed(&short));
    assert!(!Check::HonouredRetryAfter(www, "/flaky").passed(&retried));
    let timed_out = page([out.clone(), backoff(None, 150, None), head(200)]);
    assert!(Check::RetriedAfterTimeout(www, "/flaky").passed(&timed_out));
    assert!(!Check::RetriedAfterTimeout(www, "/flaky").passed(&retried));
    let gave_up = page([
        out.clone(),
        head(500),
        http_event(EventKind::GaveUp {
            attempts: 3,
            last_error: crate::protocol::AttemptReason::Status(500),
        }),
    ]);
    assert!(Check::GaveUp(www, "/flaky").passed(&gave_up));
    assert!(!Check::GaveUp(www, "/flaky").passed(&retried));
    assert!(!Check::RetriedToSuccess(www, "/flaky").passed(&gave_up));
    // The path matches with any query, and only that path.
    assert!(!Check::RetriedToSuccess(www, "/get").passed(&retried));
    let said = crate::diagram::timeline(&retried.trace).describe();
    assert!(said.contains("500: wait"), "{said}");
}

#[test]
fn the_retry_code_backs_off_with_jitter_and_a_fresh_key() {
    let lesson = lesson("designing-for-failure").unwrap().1;
    let code = |setup: Setup| codegen::for_setup(&setup, &services(), "", false, 0).unwrap();
    let first = code(lesson.steps[0].setup);
    let py = &first[0].code;
    for needle in [
        "URL = \"http://127.0.0.1:4002/flaky?fail=2&status=500&key=py-\" + uuid.uuid4().hex\n",
        "ATTEMPTS = 4",
        "BASE = 0.2",
        "CAP = 5",
        "TIMEOUT = 10",
        "requests.get(URL, timeout=TIMEOUT)",
        "random.uniform(0, wait)",
        "Retry-After",
        "time.sleep(wait)",
        "gave up after",
    ] {
        assert!(py.contains(needle), "{needle:?} in\n{py}");
    }
    assert_eq!(
        first[1].code,
        "curl -sS -i --max-time 10 --retry 3 'http://127.0.0.1:4002/flaky?fail=2&status=500&key='\"sh-$$-$(date +%s)\"\n"
    );
    // Without jitter there is no random wait; the timeout follows the step.
    let Setup::Http { retry, .. } = lesson.tries[0].setup else {
        panic!()
    };
    assert!(!retry.unwrap().jitter);
    assert!(
        !code(lesson.tries[0].setup)[0]
            .code
            .contains("random.uniform")
    );
    assert!(
        code(lesson.steps[3].setup)[0]
            .code
            .contains("TIMEOUT = 1  #")
    );
}

/// An event of `op` at `t_us` relay microseconds into it.
fn ev_at(op: u32, t_us: u64, kind: EventKind) -> Message {
    Message::In(event(op, t_us, kind))
}

fn data_at(op: u32, t_us: u64, text: &str) -> Message {
    Message::In(ServerMsg::Data {
        op,
        t_us,
        data: Payload(text.as_bytes().to_vec()),
    })
}

#[test]
fn an_echo_over_a_long_link_is_told_from_a_quick_one_by_relay_times() {
    let late = Check::EchoedAfter(ECHO, 300);
    let base = || {
        [
            connect(1, "tcp-echo"),
            connected(1, 51000),
            send(1, "hello"),
            ev_at(1, 1_000, EventKind::Sent { bytes: 5 }),
        ]
    };
    // 300 ms after the relay wrote it: the long link.
    let slow = page(base().into_iter().chain([data_at(1, 301_000, "hello")]));
    assert!(late.passed(&slow));
    assert!(Check::Echoed(ECHO).passed(&slow));
    // Loopback: the echo within a millisecond.
    let quick = page(base().into_iter().chain([data_at(1, 1_400, "hello")]));
    assert!(Check::Echoed(ECHO).passed(&quick));
    assert!(!late.passed(&quick), "a quick echo is not a long link");
    // Late, but only part of it; or no answer yet; or the first piece
    // quick and the rest late.
    let part = page(base().into_iter().chain([data_at(1, 400_000, "hel")]));
    let waiting = page(base());
    let split = page(
        base()
            .into_iter()
            .chain([data_at(1, 1_200, "he"), data_at(1, 400_000, "llo")]),
    );
    for state in [&part, &waiting, &split] {
        assert!(!late.passed(state));
    }
    // Another target's slow echo does not count.
    assert!(!Check::EchoedAfter(V6, 300).passed(&slow));
}

#[test]
fn common_mistakes_asks_for_the_faults_timeouts_and_ending_its_text_describes() {
    let (_, lesson) = lesson("common-mistakes").unwrap();
    assert_eq!(
        lesson.slug,
        LESSONS.last().unwrap().slug,
        "after designing for failure"
    );
    let state = page([]);
    let first = |i: usize| {
        let setup = lesson.steps[i].setup;
        Run::start(setup, &state.services, &state.trace, 1, setup.send(), 0)
            .unwrap()
            .1
    };
    // 1: 1,200 bytes to an echo that reads 200 bytes a quarter second.
    assert_eq!(lesson.steps[0].setup.send().len(), 1_200);
    let ClientMsg::TcpConnect {
        faults: Some(faults),
        ..
    } = first(0)
    else {
        panic!("the slow reader is asked for")
    };
    assert_eq!(faults.read_bytes_per_s, Some(800));
    assert_eq!(lesson.steps[0].check, Check::InPieces(ECHO));
    // 2 and 3: /delay/3 with the relay's defaults, then with 1 s.
    let timeouts = |i: usize| match first(i) {
        ClientMsg::HttpRequest(request) => {
            assert_eq!(request.url, "http://www.lab.test:80/delay/3");
            request.timeouts
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(timeouts(1), None, "no timeout of the lesson's own");
    let one = timeouts(2).expect("a timeout");
    assert_eq!(
        (one.connect_ms, one.first_byte_ms),
        (Some(1_000), Some(1_000))
    );
    // 4: shut down and read to the server's FIN.
    assert!(matches!(
        lesson.steps[3].setup,
        Setup::Tcp {
            then: After::Shutdown,
            ..
        }
    ));
    assert_eq!(lesson.steps[3].check, Check::FinFromServer(ECHO));
    // 5: 300 ms of latency, and a check that waits at least that long.
    let ClientMsg::TcpConnect {
        faults: Some(faults),
        ..
    } = first(4)
    else {
        panic!("the latency is asked for")
    };
    assert_eq!(faults.latency_ms, Some(300));
    assert_eq!(lesson.steps[4].check, Check::EchoedAfter(ECHO, 300));
}

#[test]
fn common_mistakes_checks_and_predictions_on_recorded_traces() {
    let (_, lesson) = lesson("common-mistakes").unwrap();
    let www = WWW;
    let state = page([]);
    let request = |i: usize| {
        let setup = lesson.steps[i].setup;
        Message::Out(
            Run::start(setup, &state.services, &state.trace, 1, setup.send(), 0)
                .unwrap()
                .1,
        )
    };
    // Step 2: a 200 for /delay/3 shows the second choice; still waiting
    // shows none, and the check stays open.
    let answered = page([request(1), head_of(1, 200)]);
    let waiting = page([request(1)]);
    let check = lesson.steps[1].check;
    assert_eq!(check, Check::HttpStatus(www, "/delay/3", 200));
    assert!(check.passed(&answered));
    assert!(!check.passed(&waiting));
    let predict = lesson.steps[1].predict.unwrap();
    assert_eq!(shown_choice(&predict, &answered), Some(1));
    assert_eq!(shown_choice(&predict, &waiting), None);
    // Step 3: the timeout; an answer is not one.
    let timed_out = page([request(2), failed(1, ErrorCode::TimedOut)]);
    let check = lesson.steps[2].check;
    assert!(check.passed(&timed_out));
    assert!(!check.passed(&answered));
    assert!(!check.passed(&page([request(2)])));
    // Step 1: the echo in pieces shows the second choice; in one piece,
    // neither the check nor a choice.
    let predict = lesson.steps[0].predict.unwrap();
    let base = [connect(1, "tcp-echo"), connected(1, 51000), send(1, "abcd")];
    let pieces = page(
        base.clone()
            .into_iter()
            .chain([data(1, "ab"), data(1, "cd")]),
    );
    let whole = page(base.into_iter().chain([data(1, "abcd")]));
    assert_eq!(shown_choice(&predict, &pieces), Some(1));
    assert_eq!(shown_choice(&predict, &whole), None);
    assert!(!lesson.steps[0].check.passed(&whole));
}

fn head_of(op: u32, status: u16) -> Message {
    ev(
        op,
        EventKind::ResponseHead {
            status,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
        },
    )
}

#[test]
fn common_mistakes_code_encodes_loops_shuts_down_and_passes_timeouts() {
    let (_, lesson) = lesson("common-mistakes").unwrap();
    let code = |i: usize| {
        let setup = lesson.steps[i].setup;
        codegen::for_setup(&setup, &services(), setup.send(), false, 5007).unwrap()
    };
    // Every TCP step: text encoded to bytes and decoded back, and a loop
    // of reads, not one.
    for i in [0, 3, 4] {
        let programs = code(i);
        let py = &programs[0].code;
        for needle in [
            "data = MESSAGE.encode(\"utf-8\")",
            "received.decode(\"utf-8\")",
            "while len(received) < len(data):",
        ] {
            assert!(py.contains(needle), "step {i}: {needle} in\n{py}");
        }
        assert!(programs[1].code.contains("write_all(message.as_bytes())"));
    }
    // The faults are the page's own: the code says so.
    for i in [0, 4] {
        assert!(
            code(i)[0]
                .code
                .contains("inject faults on its own connection")
        );
    }
    assert!(!code(3)[0].code.contains("inject faults"));
    assert!(code(3)[0].code.contains("sock.shutdown(socket.SHUT_WR)"));
    // The HTTP steps: the code always passes a timeout, one second when
    // the step asks for one, and catches it.
    let no_timeout = code(1);
    assert!(
        no_timeout[0]
            .code
            .contains("requests.get(\"http://127.0.0.1:4002/delay/3\", timeout=10)")
    );
    let timeout = code(2);
    assert!(
        timeout[0]
            .code
            .contains("requests.get(\"http://127.0.0.1:4002/delay/3\", timeout=1)")
    );
    assert!(
        timeout[0]
            .code
            .contains("except requests.exceptions.Timeout:")
    );
    assert_eq!(
        timeout[1].code,
        "curl -sS -i --max-time 1 'http://127.0.0.1:4002/delay/3'\n"
    );
    // The mistake box quotes CPython's own words (run by learn_code.rs).
    let mistake = lesson.mistake.unwrap();
    assert!(
        mistake
            .text
            .contains("TypeError: a bytes-like object is required, not 'str'")
    );
}

fn slow(name: &'static str) -> Target {
    Target::Service(name)
}

/// A page welcomed with the lab services plus the concurrency lab.
fn page_with_slow(messages: impl IntoIterator<Item = Message>) -> State {
    let mut state = page([]);
    for (i, name) in ["tcp-slow-serial", "tcp-slow-threads", "tcp-slow-async"]
        .into_iter()
        .enumerate()
    {
        state.services.push(Service {
            name: name.into(),
            label: name.into(),
            protocol: "tcp".into(),
            addr: format!("127.0.0.1:{}", 4010 + i),
        });
    }
    for message in messages {
        state.apply(
            NOW,
            match message {
                Message::Out(request) => Action::Requested(request),
                Message::In(reply) => Action::Relay(Notice::Message(reply)),
            },
        );
    }
    state
}

#[test]
fn many_at_once_connects_them_all_sends_each_once_connected_and_closes_each_after_the_server() {
    let (_, lesson) = lesson("async-io").unwrap();
    let setup = lesson.steps[1].setup;
    assert!(matches!(setup, Setup::Many { count: 4, .. }));
    let mut state = page_with_slow([]);
    let (mut run, first) =
        Run::start(setup, &state.services, &state.trace, 1, setup.send(), 0).unwrap();
    assert!(
        matches!(&first, ClientMsg::TcpConnect { op: 1, target, .. } if target == "tcp-slow-async")
    );
    let apply = |state: &mut State, message: Message| {
        state.apply(
            NOW,
            match message {
                Message::Out(request) => Action::Requested(request),
                Message::In(reply) => Action::Relay(Notice::Message(reply)),
            },
        );
    };
    apply(&mut state, Message::Out(first));
    // The other three connect at once, to the same target, with ops of
    // their own; nothing is sent before a connection is up.
    let next = run.advance(&state.trace);
    let ops: Vec<u32> = next
        .iter()
        .map(|m| match m {
            ClientMsg::TcpConnect { op, target, .. } if target == "tcp-slow-async" => *op,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ops, [2, 3, 4]);
    for msg in next {
        apply(&mut state, Message::Out(msg));
    }
    assert!(
        run.advance(&state.trace).is_empty(),
        "all waiting to connect"
    );
    // Each sends its line once it is connected, and only once.
    for op in 1..=4 {
        apply(&mut state, connected(op, 51000 + op as u16));
    }
    let sends = run.advance(&state.trace);
    assert_eq!(sends.len(), 4);
    for (i, msg) in sends.iter().enumerate() {
        assert!(
            matches!(msg, ClientMsg::Send { op, data } if *op == i as u32 + 1 && data.0 == b"hello\n")
        );
        apply(&mut state, Message::Out(msg.clone()));
    }
    assert!(run.advance(&state.trace).is_empty());
    // Four waits at once: the check passes once the answers are in.
    assert!(!Check::WaitedAtOnce(slow("tcp-slow-async"), 4).passed(&state));
    for op in 1..=4 {
        apply(&mut state, data(op, "tcp-slow-async: answered 201 ms\n"));
        apply(&mut state, ev(op, EventKind::PeerClosed));
    }
    assert!(Check::WaitedAtOnce(slow("tcp-slow-async"), 4).passed(&state));
    let closes = run.advance(&state.trace);
    assert_eq!(
        closes,
        (1..=4)
            .map(|op| ClientMsg::Close { op })
            .collect::<Vec<_>>()
    );
    assert!(run.is_done());
    // No playground panel opens many at once.
    assert_eq!(setup.experiment(&state.services, "hello\n"), None);
    assert!(!setup.has_faults());
}

#[test]
fn waits_at_once_are_told_from_waits_one_after_another() {
    let async_ = slow("tcp-slow-async");
    let at_once = Check::WaitedAtOnce(async_, 4);
    let conn = |op: u32| {
        [
            Message::Out(ClientMsg::TcpConnect {
                op,
                target: "tcp-slow-async".into(),
                connect_timeout_ms: None,
                nodelay: false,
                faults: None,
            }),
            connected(op, 52000 + op as u16),
        ]
    };
    let opened: Vec<Message> = (1..=4).flat_map(conn).collect();
    // All four asked, then all four answered.
    let together = page_with_slow(
        opened
            .clone()
            .into_iter()
            .chain((1..=4).map(|op| send(op, "hello\n")))
            .chain((1..=4).map(|op| data(op, "answer\n"))),
    );
    assert!(at_once.passed(&together));
    // One after another: each asked after the one before had its answer.
    let in_turn = page_with_slow(
        opened
            .clone()
            .into_iter()
            .chain((1..=4).flat_map(|op| [send(op, "hello\n"), data(op, "answer\n")])),
    );
    assert!(!at_once.passed(&in_turn));
    assert!(Check::WaitedAtOnce(async_, 1).passed(&in_turn));
    // Three answered, one still waiting; or only three connections.
    let unanswered = page_with_slow(
        opened
            .clone()
            .into_iter()
            .chain((1..=4).map(|op| send(op, "hello\n")))
            .chain((1..=3).map(|op| data(op, "answer\n"))),
    );
    assert!(!at_once.passed(&unanswered));
    assert!(Check::WaitedAtOnce(async_, 3).passed(&unanswered));
    // Another server's waits do not count.
    assert!(!Check::WaitedAtOnce(slow("tcp-slow-serial"), 4).passed(&together));
    assert!(!at_once.passed(&page_with_slow([])));
}

#[test]
fn a_client_kept_waiting_is_read_from_relay_times() {
    let serial = slow("tcp-slow-serial");
    let base = || {
        [
            connect(1, "tcp-slow-serial"),
            connected(1, 51000),
            send(1, "hello\n"),
            ev_at(1, 2_000, EventKind::Sent { bytes: 6 }),
        ]
    };
    let queued = page_with_slow(base().into_iter().chain([data_at(1, 802_000, "answer\n")]));
    assert!(Check::AnsweredAfter(serial, 600).passed(&queued));
    let first_in_line = page_with_slow(base().into_iter().chain([data_at(1, 202_000, "answer\n")]));
    assert!(!Check::AnsweredAfter(serial, 600).passed(&first_in_line));
    assert!(!Check::AnsweredAfter(serial, 600).passed(&page_with_slow(base())));
    let (_, lesson) = lesson("async-io").unwrap();
    assert_eq!(lesson.steps[2].check, Check::AnsweredAfter(serial, 600));
    let predict = lesson.steps[2].predict.unwrap();
    assert_eq!(shown_choice(&predict, &queued), Some(1));
    assert_eq!(shown_choice(&predict, &first_in_line), None);
}

#[test]
fn many_clients_are_asyncio_gather_and_tokio_on_one_thread() {
    let (_, lesson) = lesson("async-io").unwrap();
    let state = page_with_slow([]);
    let setup = lesson.steps[1].setup;
    let programs = codegen::for_setup(&setup, &state.services, setup.send(), false, 5007).unwrap();
    let files: Vec<_> = programs.iter().map(|p| (p.file, p.lang, p.role)).collect();
    assert_eq!(
        files,
        [
            ("client.py", Lang::Python, Role::Client),
            (codegen::TOKIO_MAIN, Lang::Rust, Role::Client),
        ]
    );
    let py = &programs[0].code;
    for needle in [
        "import asyncio",
        "HOST = \"127.0.0.1\"",
        "PORT = 4012",
        "MESSAGE = \"hello\\n\"",
        "CLIENTS = 4",
        "await asyncio.open_connection(HOST, PORT)",
        "MESSAGE.encode(\"utf-8\")",
        "await asyncio.wait_for(reader.read(), timeout=10)",
        "await asyncio.gather(*(ask(n) for n in range(1, CLIENTS + 1)))",
        "print(f\"client {n} received:\"",
        "time.perf_counter()",
        "asyncio.run(main())",
    ] {
        assert!(py.contains(needle), "{needle} in\n{py}");
    }
    let rs = &programs[1].code;
    for needle in [
        "#[tokio::main(flavor = \"current_thread\")]",
        "TcpStream::connect(\"127.0.0.1:4012\").await?",
        "const CLIENTS: usize = 4;",
        "tokio::spawn(ask(n))",
        "tokio::time::timeout(Duration::from_secs(10)",
        "println!(\"client {n} received: {}\"",
    ] {
        assert!(rs.contains(needle), "{needle} in\n{rs}");
    }
    assert_eq!(programs[1].run, codegen::TOKIO_RUN);
    assert!(codegen::TOKIO_RUN.contains("cargo add tokio --features rt,net,io-util,macros,time"));
    // The count follows the step.
    let one = lesson.steps[0].setup;
    let programs = codegen::for_setup(&one, &state.services, one.send(), false, 5007).unwrap();
    assert!(programs[0].code.contains("CLIENTS = 1"));
    assert!(programs[1].code.contains("const CLIENTS: usize = 1;"));
}

#[test]
fn a_health_check_asks_each_path_in_turn_with_its_timeout() {
    let (_, lesson) = lesson("health-checker").unwrap();
    let setup = lesson.steps[0].setup;
    let mut state = page([]);
    let (mut run, first) =
        Run::start(setup, &state.services, &state.trace, 1, setup.send(), 0).unwrap();
    let mut asked = Vec::new();
    let mut pending = vec![first];
    for _ in 0..10 {
        for msg in std::mem::take(&mut pending) {
            let ClientMsg::HttpRequest(request) = &msg else {
                panic!("{msg:?}")
            };
            let timeouts = request.timeouts.expect("each request has the timeout");
            assert_eq!(
                (timeouts.connect_ms, timeouts.first_byte_ms),
                (Some(5_000), Some(5_000))
            );
            assert!(request.raw, "the wire bytes are reported");
            asked.push((request.op, request.url.clone()));
            let op = request.op;
            state.apply(NOW, Action::Requested(msg));
            // Not the next one while this one is under way.
            assert!(run.advance(&state.trace).is_empty());
            for event in [
                EventKind::ResponseHead {
                    status: 200,
                    reason: "OK".into(),
                    version: "HTTP/1.1".into(),
                    headers: Vec::new(),
                },
                EventKind::Closed { by: Closer::Relay },
            ] {
                state.apply(NOW, Action::Relay(Notice::Message(event_msg(op, event))));
            }
        }
        pending = run.advance(&state.trace);
        if pending.is_empty() && run.is_done() {
            break;
        }
    }
    assert!(run.is_done());
    assert_eq!(
        asked,
        [
            (1, "http://www.lab.test:80/get".to_owned()),
            (2, "http://www.lab.test:80/json".to_owned()),
            (3, "http://www.lab.test:80/delay/1".to_owned()),
        ]
    );
    let www = WWW;
    assert!(Check::EveryPathAnswered(www, &["/get", "/json", "/delay/1"]).passed(&state));
    assert_eq!(setup.experiment(&state.services, ""), None);
}

fn event_msg(op: u32, kind: EventKind) -> ServerMsg {
    event(op, 10, kind)
}

#[test]
fn every_path_answered_needs_an_answer_for_each_path() {
    let www = WWW;
    let get = |op: u32, path: &str| {
        Message::Out(ClientMsg::HttpRequest(HttpRequest::get(
            op,
            format!("http://www.lab.test:80{path}"),
        )))
    };
    let paths: &'static [&'static str] = &["/get", "/delay/1"];
    let all = page([
        get(1, "/get"),
        head_of(1, 200),
        get(2, "/delay/1"),
        head_of(2, 503),
    ]);
    assert!(
        Check::EveryPathAnswered(www, paths).passed(&all),
        "any status counts"
    );
    let one_missing = page([get(1, "/get"), head_of(1, 200), get(2, "/delay/1")]);
    assert!(!Check::EveryPathAnswered(www, paths).passed(&one_missing));
    let timed_out = page([
        get(1, "/get"),
        head_of(1, 200),
        get(2, "/delay/1"),
        failed(2, ErrorCode::TimedOut),
    ]);
    assert!(!Check::EveryPathAnswered(www, paths).passed(&timed_out));
    assert!(
        !Check::EveryPathAnswered(www, &[]).passed(&all),
        "no paths, no check"
    );
    assert!(
        !Check::EveryPathAnswered(ECHO, paths).passed(&all),
        "another target"
    );
}

#[test]
fn the_health_checker_code_times_each_call_bounds_each_wait_and_reads_the_status() {
    let (_, lesson) = lesson("health-checker").unwrap();
    let code = |i: usize| {
        let setup = lesson.steps[i].setup;
        codegen::for_setup(&setup, &services(), setup.send(), false, 5007).unwrap()
    };
    let first = code(0);
    assert_eq!(
        first.iter().map(|p| (p.file, p.lang)).collect::<Vec<_>>(),
        [("client.py", Lang::Python), ("shell", Lang::Shell)]
    );
    let py = &first[0].code;
    for needle in [
        "URLS = [\n    \"http://127.0.0.1:4002/get\",\n    \"http://127.0.0.1:4002/json\",\n    \"http://127.0.0.1:4002/delay/1\",\n]",
        "TIMEOUT = 5",
        "started = time.perf_counter()",
        "requests.get(url, timeout=TIMEOUT)",
        "except requests.exceptions.Timeout:",
        "except requests.exceptions.ConnectionError as error:",
        "response.elapsed.total_seconds()",
        "\"UP  \" if response.ok else \"DOWN\"",
    ] {
        assert!(py.contains(needle), "{needle} in\n{py}");
    }
    let sh = &first[1].code;
    for needle in [
        "for url in 'http://127.0.0.1:4002/get' 'http://127.0.0.1:4002/json' 'http://127.0.0.1:4002/delay/1'; do",
        "--max-time 5",
        "%{time_namelookup}",
        "%{time_connect}",
        "%{time_starttransfer}",
        "%{time_total}",
        "HTTP/%{http_version} %{http_code}",
        "|| echo \"DOWN $url\"",
    ] {
        assert!(sh.contains(needle), "{needle} in\n{sh}");
    }
    // The slow step's timeout, in whole seconds.
    let slow = code(2);
    assert!(slow[0].code.contains("TIMEOUT = 2"));
    assert!(slow[1].code.contains("--max-time 2"));
    assert!(
        slow[0]
            .code
            .contains("\"http://127.0.0.1:4002/delay/4\",\n    \"http://127.0.0.1:4002/get\",")
    );
}

/// A response to op 1 as the relay reports it: head, the body in two
/// pieces, `response_done` (when `done`), closed.
fn json_response(body: &str, done: bool) -> Vec<Message> {
    let (first, rest) = body.split_at(body.len() / 2);
    let mut messages = vec![head_of(1, 200), data(1, first), data(1, rest)];
    if done {
        messages.push(http_event(EventKind::ResponseDone {
            body_bytes: body.len() as u64,
            json: serde_json::from_str::<serde_json::Value>(body).is_ok(),
            timings: Default::default(),
        }));
        messages.push(http_event(EventKind::Closed { by: Closer::Peer }));
    }
    messages
}

#[test]
fn json_checks_read_the_whole_body_against_the_expected_keys() {
    use crate::json_check::Fit;
    let www = WWW;
    let lesson = lesson("json-responses").unwrap().1;
    let expect = "city:string temp:number";
    // What each of the lab's bodies is, as the relay tests serve them.
    let cases = [
        (
            0,
            r#"{"city": "Lisbon", "temp": 18.5, "unit": "C", "wind_kmh": 12}"#,
            Fit::Fits,
        ),
        (
            1,
            r#"{"city": "Lisbon", "unit": "C", "wind_kmh": 12}"#,
            Fit::Missing,
        ),
        (2, r#"[{"city": "Lisbon", "temp": 18.5}]"#, Fit::OtherShape),
        (
            3,
            "<html><body><h1>Service busy</h1></body></html>\n",
            Fit::NotJson,
        ),
    ];
    for (i, body, fit) in cases {
        let step = lesson.steps[i];
        let Setup::Json { path, .. } = step.setup else {
            panic!("step {i} is a JSON setup")
        };
        assert_eq!(step.check, Check::JsonFit(www, path, expect, fit));
        let state = page([]);
        let (_, first) = Run::start(step.setup, &state.services, &state.trace, 1, "", 0).unwrap();
        let ClientMsg::HttpRequest(request) = &first else {
            panic!("{first:?}")
        };
        assert_eq!(request.url, format!("http://www.lab.test:80{path}"));
        assert_eq!(request.method, "GET");
        // No wire bytes: the inspector's newest payload is the body.
        assert!(!request.raw);
        assert_eq!(request.max_body, None);
        let timeouts = request.timeouts.expect("a timeout, as the program's");
        assert_eq!(timeouts.first_byte_ms, Some(10_000));

        let answered =
            page(std::iter::once(Message::Out(first.clone())).chain(json_response(body, true)));
        assert!(step.check.passed(&answered), "step {i}");
        if let Some(predict) = step.predict {
            let right = predict
                .choices
                .iter()
                .position(|c| c.shows == Some(step.check));
            assert_eq!(shown_choice(&predict, &answered), right);
        }
        // Every other verdict stays open on this body.
        for other in [
            Fit::Fits,
            Fit::Missing,
            Fit::OtherShape,
            Fit::NotJson,
            Fit::WrongType,
        ] {
            if other != fit {
                assert!(!Check::JsonFit(www, path, expect, other).passed(&answered));
            }
        }
        // Not yet whole, or not asked at all: the check stays open.
        let halfway =
            page(std::iter::once(Message::Out(first.clone())).chain(json_response(body, false)));
        assert!(!step.check.passed(&halfway), "step {i}: half a body");
        assert!(!step.check.passed(&page([])), "step {i}: nothing asked");
        assert!(
            !Check::JsonFit(www, "/json", expect, fit).passed(&answered),
            "another path"
        );
    }
    // The mistake box shows a wrong type.
    let wrong = lesson.mistake.unwrap().show.unwrap();
    let state = page([]);
    let (_, first) = Run::start(wrong, &state.services, &state.trace, 1, "", 0).unwrap();
    let answered = page(
        std::iter::once(Message::Out(first))
            .chain(json_response(r#"{"city": "Lisbon", "temp": "18.5"}"#, true)),
    );
    assert!(Check::JsonFit(www, "/json/wrong-type", expect, Fit::WrongType).passed(&answered));
}

#[test]
fn a_body_past_the_limit_is_refused_by_the_relay() {
    let www = WWW;
    let lesson = lesson("json-responses").unwrap().1;
    let step = lesson.steps[4];
    assert_eq!(step.check, Check::HttpTooLarge(www, "/json/oversized"));
    let state = page([]);
    let (_, first) = Run::start(step.setup, &state.services, &state.trace, 1, "", 0).unwrap();
    let ClientMsg::HttpRequest(request) = &first else {
        panic!("{first:?}")
    };
    assert_eq!(request.max_body, Some(64 * 1024));
    let refused = page([
        Message::Out(first.clone()),
        head_of(1, 200),
        failed(1, ErrorCode::BodyTooLarge),
    ]);
    assert!(step.check.passed(&refused));
    // Waiting, answered whole, or failed otherwise: not refused for size.
    let waiting = page([Message::Out(first.clone()), head_of(1, 200)]);
    let timed_out = page([Message::Out(first.clone()), failed(1, ErrorCode::TimedOut)]);
    let whole = page(std::iter::once(Message::Out(first)).chain(json_response("[1]", true)));
    for state in [&waiting, &timed_out, &whole] {
        assert!(!step.check.passed(state));
    }
    assert!(
        !Check::HttpTooLarge(www, "/json").passed(&refused),
        "another path"
    );
}

#[test]
fn the_json_client_checks_type_shape_keys_and_size_before_it_uses_them() {
    let lesson = lesson("json-responses").unwrap().1;
    let code = |setup: Setup| codegen::for_setup(&setup, &services(), "", false, 0).unwrap();
    let plain = code(lesson.steps[0].setup);
    let files: Vec<_> = plain.iter().map(|p| (p.file, p.lang, p.role)).collect();
    assert_eq!(
        files,
        [
            ("client.py", Lang::Python, Role::Client),
            ("shell", Lang::Shell, Role::Client)
        ]
    );
    let py = &plain[0].code;
    for needle in [
        "URL = \"http://127.0.0.1:4002/json/weather\"",
        "    \"city\": str,\n    \"temp\": (int, float),\n",
        "requests.get(URL, timeout=10)",
        "response.raise_for_status()",
        "if \"json\" not in content_type:",
        "data = response.json()",
        "except requests.exceptions.JSONDecodeError as error:",
        "if not isinstance(data, dict):",
        "if key not in data:",
        "if isinstance(value, bool):\n        return kind is bool",
    ] {
        assert!(py.contains(needle), "{needle:?} in\n{py}");
    }
    assert!(!py.contains("stream=True"), "no limit, no streaming");
    assert_eq!(
        plain[1].code,
        "curl -sS -i --max-time 10 -H 'Accept: application/json' 'http://127.0.0.1:4002/json/weather'\n"
    );
    let limited = code(lesson.steps[4].setup);
    let py = &limited[0].code;
    for needle in [
        "MAX_BYTES = 65536",
        "requests.get(URL, timeout=10, stream=True)",
        "int(declared) > MAX_BYTES",
        "for chunk in response.iter_content(8192):",
        "data = json.loads(body)",
        "except ValueError as error:",
    ] {
        assert!(py.contains(needle), "{needle:?} in\n{py}");
    }
    assert!(limited[1].code.contains(" --max-filesize 65536 "));
    // A try's own keys become the program's.
    let readings = code(lesson.tries[1].setup);
    assert!(readings[0].code.contains("    \"readings\": list,\n"));
    // The playground link asks the same URL, its wire bytes shown.
    let link = lesson.steps[3].setup.experiment(&services(), "").unwrap();
    assert!(matches!(
        link,
        crate::share::Experiment::Http { ref url, ref method, .. }
            if url == "http://www.lab.test:80/json/not-json" && method == "GET"
    ));
}

/// A page welcomed with every lab service, the HTTPS ones included.
fn page_with_https(messages: impl IntoIterator<Item = Message>) -> State {
    let mut state = page([]);
    state.services = services_all();
    for message in messages {
        state.apply(
            NOW,
            match message {
                Message::Out(request) => Action::Requested(request),
                Message::In(reply) => Action::Relay(Notice::Message(reply)),
            },
        );
    }
    state
}

/// The first request a step of the HTTPS lesson sends.
fn tls_step_request(i: usize) -> ClientMsg {
    let lesson = lesson("https-tls").unwrap().1;
    let (_, first) = Run::start(
        lesson.steps[i].setup,
        &services_all(),
        &Default::default(),
        1,
        "",
        0,
    )
    .unwrap();
    first
}

fn wire_out(op: u32, bytes: &[u8]) -> Message {
    ev(
        op,
        EventKind::Wire {
            dir: crate::protocol::WireDir::Out,
            bytes: Payload(bytes.to_vec()),
        },
    )
}

fn head_200(op: u32) -> Message {
    ev(
        op,
        EventKind::ResponseHead {
            status: 200,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
        },
    )
}

fn handshake(op: u32) -> Message {
    ev(
        op,
        EventKind::TlsHandshake {
            version: "TLS 1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            alpn: Some("http/1.1".into()),
            certs: Vec::new(),
        },
    )
}

const BEARER_HEAD: &[u8] =
    b"GET /bearer HTTP/1.1\r\nHost: www.lab.test\r\nAuthorization: Bearer learner-token\r\n\r\n";

fn written(op: u32) -> Message {
    ev(
        op,
        EventKind::RequestWritten {
            head: Payload(BEARER_HEAD.to_vec()),
            body_bytes: 0,
        },
    )
}

#[test]
fn the_https_lesson_asks_https_of_https_services_and_http_of_the_others() {
    let ClientMsg::HttpRequest(plain) = tls_step_request(0) else {
        panic!()
    };
    assert_eq!(plain.url, "http://www.lab.test:80/bearer");
    assert!(plain.raw, "the wire bytes are asked for, for the inspector");
    let ClientMsg::HttpRequest(secure) = tls_step_request(1) else {
        panic!()
    };
    assert_eq!(secure.url, "https://www.lab.test:443/bearer");
    for (i, service) in [
        (2, "https-wrong-name"),
        (3, "https-unknown-ca"),
        (4, "https-expired"),
    ] {
        let ClientMsg::HttpRequest(request) = tls_step_request(i) else {
            panic!()
        };
        assert_eq!(request.url, format!("https://{service}/get"));
    }
    // A literal target is plain HTTP; so is a service the relay has not
    // named (yet).
    assert_eq!(
        Target::Literal("127.0.0.1:8080").scheme(&services_all()),
        "http"
    );
    assert_eq!(Target::Service("https-lab").scheme(&services()), "http");
}

#[test]
fn the_token_shows_on_the_plain_wire_only() {
    let lesson = lesson("https-tls").unwrap().1;
    let (plain_check, secure_check) = (lesson.steps[0].check, lesson.steps[1].check);
    let plain = |messages: Vec<Message>| {
        page_with_https(std::iter::once(Message::Out(tls_step_request(0))).chain(messages))
    };
    let secure = |messages: Vec<Message>| {
        page_with_https(std::iter::once(Message::Out(tls_step_request(1))).chain(messages))
    };
    // Plain HTTP: the request as written crossed the wire, and came back
    // answered.
    let read = plain(vec![written(1), wire_out(1, BEARER_HEAD), head_200(1)]);
    assert!(plain_check.passed(&read));
    assert_eq!(
        shown_choice(&lesson.steps[0].predict.unwrap(), &read),
        Some(0)
    );
    // Not yet answered, no wire bytes, or bytes without the token: open.
    for open in [
        plain(vec![written(1), wire_out(1, BEARER_HEAD)]),
        plain(vec![written(1), head_200(1)]),
        plain(vec![
            wire_out(1, b"GET /bearer HTTP/1.1\r\n\r\n"),
            head_200(1),
        ]),
    ] {
        assert!(!plain_check.passed(&open));
    }
    // HTTPS: a handshake, the token in the decrypted request, records on
    // the wire.
    let records = [0x17, 0x03, 0x03, 0x00, 0x40, 0x9a, 0x11, 0x5e, 0x02];
    let hidden = secure(vec![
        handshake(1),
        wire_out(1, &records),
        written(1),
        head_200(1),
    ]);
    assert!(secure_check.passed(&hidden));
    assert!(
        Check::HttpsAnswered(
            Target::LabName {
                name: "www.lab.test:443",
                service: "https-lab"
            },
            "/bearer"
        )
        .passed(&hidden)
    );
    // The plain check never passes on the encrypted exchange, nor the
    // encrypted one on the plain exchange.
    assert!(!plain_check.passed(&hidden));
    assert!(!secure_check.passed(&read));
    for open in [
        // No handshake reported.
        secure(vec![wire_out(1, &records), written(1), head_200(1)]),
        // The token readable on the wire after all.
        secure(vec![
            handshake(1),
            wire_out(1, BEARER_HEAD),
            written(1),
            head_200(1),
        ]),
        // No wire bytes to look at.
        secure(vec![handshake(1), written(1), head_200(1)]),
        // No response.
        secure(vec![handshake(1), wire_out(1, &records), written(1)]),
    ] {
        assert!(!secure_check.passed(&open));
    }
}

#[test]
fn each_bad_certificate_is_its_own_check() {
    use crate::protocol::TlsFailure;
    let lesson = lesson("https-tls").unwrap().1;
    let refusal = |failure: TlsFailure| {
        ev(
            1,
            EventKind::Failed {
                error: RelayError::tls(failure, "TLS handshake with localhost failed"),
            },
        )
    };
    let reasons = [
        (2, TlsFailure::WrongName),
        (3, TlsFailure::UnknownIssuer),
        (4, TlsFailure::Expired),
    ];
    for (i, failure) in reasons {
        let step = lesson.steps[i];
        let request = Message::Out(tls_step_request(i));
        let refused = page_with_https([request.clone(), refusal(failure)]);
        assert!(step.check.passed(&refused), "step {i}");
        // Another reason, a TLS error with no reason, a request that was
        // written, or no answer yet: the check stays open.
        for (_, other) in reasons.iter().filter(|(_, f)| *f != failure) {
            assert!(
                !step
                    .check
                    .passed(&page_with_https([request.clone(), refusal(*other)]))
            );
        }
        for open in [
            page_with_https([request.clone(), failed(1, ErrorCode::Tls)]),
            page_with_https([request.clone(), written(1), refusal(failure)]),
            page_with_https([request.clone()]),
        ] {
            assert!(!step.check.passed(&open), "step {i}");
        }
        // The diagram says which rule the certificate broke.
        let said = crate::diagram::timeline(&refused.trace).describe();
        let title = crate::explain::tls_failure(failure).title;
        assert!(said.contains(&format!("failed: {title}")), "{said}");
    }
    // The prediction of the wrong name: the refusal, not an answer.
    let predict = lesson.steps[2].predict.unwrap();
    let request = Message::Out(tls_step_request(2));
    let refused = page_with_https([request.clone(), refusal(TlsFailure::WrongName)]);
    assert_eq!(shown_choice(&predict, &refused), Some(0));
    let answered = page_with_https([request, handshake(1), head_200(1)]);
    assert_eq!(shown_choice(&predict, &answered), Some(1));
}

#[test]
fn https_code_trusts_the_lab_ca_and_says_a_refused_certificate() {
    let lesson = lesson("https-tls").unwrap().1;
    let code = |setup: Setup| codegen::for_setup(&setup, &services_all(), "", false, 5007).unwrap();
    let secure = code(lesson.steps[1].setup);
    let py = &secure[0].code;
    assert_eq!(secure[0].lang, Lang::Python);
    assert!(py.contains("LAB_CA = \"lab-ca.pem\""), "{py}");
    assert!(
        py.contains("requests.get(\"https://127.0.0.1:4003/bearer\""),
        "{py}"
    );
    assert!(py.contains("verify=LAB_CA"), "{py}");
    assert!(py.contains("except requests.exceptions.SSLError"), "{py}");
    let curl = &secure[1].code;
    assert!(curl.contains("--cacert lab-ca.pem"), "{curl}");
    assert!(curl.contains("'https://127.0.0.1:4003/bearer'"), "{curl}");
    let expired = code(lesson.steps[4].setup);
    assert!(expired[0].code.contains("https://127.0.0.1:4006/get"));
    // Plain HTTP code has nothing of TLS.
    let plain = code(lesson.steps[0].setup);
    assert!(plain[0].code.contains("http://127.0.0.1:4002/bearer"));
    for program in &plain {
        assert!(!program.code.contains("LAB_CA") && !program.code.contains("cacert"));
    }
    // verify=False is named in the mistake, never written in the code.
    for program in secure.iter().chain(&expired) {
        assert!(!program.code.contains("verify=False"));
        assert!(!program.code.contains(" -k "));
    }
}

/// Security practice: each step's check passes only on the response its
/// own request got; the token in the URL is a different request from the
/// token in a header; the code keeps the token where the step put it.
#[test]
fn security_practice_tells_the_token_s_place_bad_input_and_a_rate_limit_apart() {
    let www = WWW;
    let lesson = lesson("security-practice").unwrap().1;
    let state = page([]);
    let request = |i: usize| {
        let (_, msg) = Run::start(
            lesson.steps[i].setup,
            &state.services,
            &state.trace,
            1,
            "",
            78,
        )
        .unwrap();
        let ClientMsg::HttpRequest(request) = &msg else {
            panic!("{msg:?}")
        };
        (request.clone(), Message::Out(msg))
    };
    let (header, header_out) = request(0);
    assert_eq!(header.url, "http://www.lab.test:80/bearer");
    assert!(
        header
            .headers
            .iter()
            .any(|(n, v)| n == "Authorization" && v == "Bearer learner-token")
    );
    let (in_url, in_url_out) = request(1);
    assert_eq!(in_url.url, "http://www.lab.test:80/get?token=learner-token");
    assert!(
        !in_url
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    );
    let (bad, bad_out) = request(2);
    assert_eq!(bad.url, "http://www.lab.test:80/status/abc");
    let (limited, limited_out) = request(3);
    assert_eq!(
        limited.url,
        "http://www.lab.test:80/flaky?fail=1&status=429&retry_after=1&key=learn-78"
    );
    assert!(limited.retry.expect("a retry policy").honor_retry_after);

    // Nothing happened yet: every check stays open.
    assert_eq!(passed(lesson, &page([])), [false; 4]);
    // A request sent but not answered: still open.
    assert_eq!(passed(lesson, &page([header_out.clone()])), [false; 4]);
    assert_eq!(
        passed(lesson, &page([header_out.clone(), head(200)])),
        [true, false, false, false]
    );
    // A 401 is not the header step done.
    assert_eq!(passed(lesson, &page([header_out, head(401)])), [false; 4]);
    let token_in_url = page([in_url_out, head(200)]);
    assert_eq!(passed(lesson, &token_in_url), [false, true, false, false]);
    assert_eq!(
        shown_choice(&lesson.steps[1].predict.unwrap(), &token_in_url),
        Some(0)
    );
    let refused = page([bad_out.clone(), head(400)]);
    assert_eq!(passed(lesson, &refused), [false, false, true, false]);
    assert_eq!(
        shown_choice(&lesson.steps[2].predict.unwrap(), &refused),
        Some(0)
    );
    // Had the server crashed on the input, the trace says so.
    let crashed = page([bad_out, head(500)]);
    assert_eq!(passed(lesson, &crashed), [false; 4]);
    assert_eq!(
        shown_choice(&lesson.steps[2].predict.unwrap(), &crashed),
        Some(1)
    );
    // The rate limit: a 429, a wait as long as Retry-After asked, a 200.
    let waited = page([
        limited_out.clone(),
        head(429),
        backoff(Some(429), 1_000, Some(1_000)),
        head(200),
    ]);
    assert_eq!(passed(lesson, &waited), [false, false, false, true]);
    let impatient = page([
        limited_out.clone(),
        head(429),
        backoff(Some(429), 300, Some(1_000)),
        head(200),
    ]);
    let still_limited = page([limited_out, head(429)]);
    for state in [&impatient, &still_limited] {
        assert!(!Check::HonouredRetryAfter(www, "/flaky").passed(state));
    }

    // The code beside it: the token where the step put it, and a timeout.
    let code = |i: usize| {
        let setup = lesson.steps[i].setup;
        codegen::for_setup(&setup, &services(), setup.send(), false, 5007).unwrap()
    };
    let header_code = code(0);
    assert!(
        header_code[0]
            .code
            .contains("headers = {\"Authorization\": \"Bearer learner-token\"}"),
        "{}",
        header_code[0].code
    );
    assert!(header_code[0].code.contains("timeout="));
    assert!(
        header_code[1]
            .code
            .contains("-H 'Authorization: Bearer learner-token'")
    );
    let url_code = code(1);
    assert!(url_code[0].code.contains("/get?token=learner-token"));
    assert!(!url_code[0].code.contains("Authorization"));
}
