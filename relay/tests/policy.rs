//! A public relay on loopback: deny by default, one allowed "public" echo
//! server, and a trap listener that must never see a connection, whatever
//! spelling of its address a hostile page tries. Everything stays on
//! loopback: refused targets are refused before any packet is sent.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use roundtrip_relay::access::Access;
use roundtrip_relay::policy::{Mode, Policy, Rule};
use roundtrip_relay::resolver::Resolver;
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, Event, EventKind, PROTOCOL_VERSION, ServerMsg,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const ORIGIN: &str = "https://roundtrip.example";

/// One address in each IANA special-purpose range (IPv4 and IPv6), the
/// metadata services, and IPv6 forms that carry a forbidden IPv4 address.
const SPECIAL_PURPOSE: &[&str] = &[
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.254",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.2",
    "127.255.255.254",
    "169.254.169.254",
    "169.254.0.1",
    "172.16.0.1",
    "172.31.255.254",
    "192.0.0.1",
    "192.0.0.8",
    "192.0.0.170",
    "192.0.2.1",
    "192.31.196.1",
    "192.52.193.1",
    "192.88.99.1",
    "192.168.0.1",
    "192.168.255.254",
    "192.175.48.1",
    "198.18.0.1",
    "198.19.255.254",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b:1::1",
    "100::1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "2001:2::1",
    "2001:db8::1",
    "2002:a00:1::1",
    "2002:7f00:1::1",
    "2620:4f:8000::1",
    "3fff::1",
    "5f00::1",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "ff05::1:3",
];

/// A listener that counts connections and echoes.
async fn counting_echo() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, count)
}

async fn public_relay(allowed: SocketAddr) -> SocketAddr {
    public_relay_state(allowed).await.0
}

/// A public relay that also refuses, and counts, any non-loopback dial the
/// policy lets through: a broken policy fails the test without a packet
/// leaving this machine.
async fn public_relay_state(allowed: SocketAddr) -> (SocketAddr, AppState) {
    let rule = Rule {
        protocols: vec![roundtrip_relay::policy::Protocol::Tcp],
        cidrs: vec![format!("{}/32", allowed.ip()).parse().unwrap()],
        ports: vec![allowed.port().to_string()],
        ..Rule::default()
    };
    public_relay_with(vec![rule], Resolver::System).await
}

/// A public, loopback-guarded relay with these allow-list rules and this
/// resolver.
async fn public_relay_with(rules: Vec<Rule>, resolver: Resolver) -> (SocketAddr, AppState) {
    let config = Config {
        policy: Policy::public(rules).unwrap(),
        access: Access {
            mode: Mode::Public,
            origins: vec![ORIGIN.into()],
            token: None,
        },
        loopback_only: true,
        resolver,
        ..Config::default()
    };
    support::start_relay_with(config).await
}

type Ws = support::Client;

async fn open(relay: SocketAddr, origin: Option<&str>) -> Result<Ws, String> {
    let mut request = format!("ws://{relay}/ws").into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| support::Client::over(ws))
        .map_err(|e| e.to_string())
}

async fn send(ws: &mut Ws, msg: ClientMsg) {
    ws.send(msg).await;
}

async fn recv(ws: &mut Ws) -> ServerMsg {
    ws.recv().await
}

/// Asks to listen on `port` as operation `op`, and returns the error the
/// relay fails it with.
async fn listen_refused(ws: &mut Ws, op: u32, port: u16) -> roundtrip_shared::protocol::RelayError {
    send(
        ws,
        ClientMsg::TcpListen {
            op,
            port: Some(port),
        },
    )
    .await;
    wait_for(ws, |msg| match msg {
        ServerMsg::Event(Event {
            op: got,
            kind: EventKind::Failed { error },
            ..
        }) if *got == op => Some(error.clone()),
        _ => None,
    })
    .await
}

/// Runs op to its terminal event and returns all its events.
async fn run_connect(ws: &mut Ws, op: u32, target: &str) -> Vec<EventKind> {
    send(
        ws,
        ClientMsg::TcpConnect {
            faults: None,
            op,
            target: target.into(),
            connect_timeout_ms: Some(2_000),
            nodelay: false,
        },
    )
    .await;
    let mut kinds = Vec::new();
    loop {
        match recv(ws).await {
            ServerMsg::Event(Event { op: got, kind, .. }) if got == op => {
                let done = kind.is_terminal() || matches!(kind, EventKind::Connected { .. });
                kinds.push(kind);
                if done {
                    return kinds;
                }
            }
            other => panic!("{target}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn hostile_targets_are_refused_and_the_trap_sees_nothing() {
    let (allowed, allowed_count) = counting_echo().await;
    let (trap, trap_count) = counting_echo().await;
    let (relay, state) = public_relay_state(allowed).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));

    let port = trap.port();
    let hostile = [
        format!("127.0.0.1:{port}"),
        format!("2130706433:{port}"),
        format!("0x7f000001:{port}"),
        format!("0x7f.0.0.1:{port}"),
        format!("0177.0.0.1:{port}"),
        format!("017700000001:{port}"),
        format!("127.1:{port}"),
        format!("127.0.1:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        format!("[::ffff:7f00:1]:{port}"),
        format!("[::1]:{port}"),
        format!("0.0.0.0:{port}"),
        format!("localhost:{port}"),
        // The allowed server's address, on another port.
        format!("{}:{port}", allowed.ip()),
        // The allowed port on the allowed address, but SMTP is never allowed.
        "127.0.0.1:25".to_owned(),
    ]
    .into_iter()
    .chain(SPECIAL_PURPOSE.iter().map(|ip| {
        if ip.contains(':') {
            format!("[{ip}]:80")
        } else {
            format!("{ip}:80")
        }
    }))
    .collect::<Vec<_>>();
    assert!(
        hostile.len() >= 60,
        "only {} hostile targets",
        hostile.len()
    );
    for (i, target) in hostile.iter().enumerate() {
        let op = i as u32 + 1;
        let kinds = run_connect(&mut ws, op, target).await;
        match kinds.last() {
            Some(EventKind::Failed { error }) => {
                assert_eq!(
                    error.code,
                    ErrorCode::Blocked,
                    "{target}: {}",
                    error.message
                );
                assert!(error.message.starts_with("blocked: "), "{}", error.message);
            }
            other => panic!("{target} was not refused: {other:?}"),
        }
        assert!(
            !kinds
                .iter()
                .any(|k| matches!(k, EventKind::Connecting { .. })),
            "{target}: the relay must not even start a connect: {kinds:?}"
        );
    }
    assert_eq!(trap_count.load(Ordering::SeqCst), 0, "the trap was reached");
    assert_eq!(
        state.guard_trips(),
        0,
        "the policy let a non-loopback address through"
    );

    // The next allowed operation in the same session still works.
    let op = 100;
    let kinds = run_connect(&mut ws, op, &allowed.to_string()).await;
    assert!(
        matches!(kinds.last(), Some(EventKind::Connected { .. })),
        "{kinds:?}"
    );
    send(
        &mut ws,
        ClientMsg::Send {
            op,
            data: Payload(b"ping".to_vec()),
        },
    )
    .await;
    let mut echoed = Vec::new();
    while echoed.len() < 4 {
        if let ServerMsg::Data { data, .. } = recv(&mut ws).await {
            echoed.extend(data.0);
        }
    }
    assert_eq!(echoed, b"ping");
    assert_eq!(allowed_count.load(Ordering::SeqCst), 1);
    // Lab services stay reachable in public mode.
    let kinds = run_connect(&mut ws, 101, "tcp-echo").await;
    assert!(
        matches!(kinds.last(), Some(EventKind::Connected { .. })),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn public_sessions_need_an_allowed_origin() {
    let (allowed, _) = counting_echo().await;
    let relay = public_relay(allowed).await;
    for origin in [
        None,
        Some("null"),
        Some("https://roundtrip.example.evil"),
        Some("http://roundtrip.example"),
    ] {
        let refused = open(relay, origin).await.unwrap_err();
        assert!(refused.contains("403"), "{origin:?}: {refused}");
    }
    assert!(open(relay, Some(ORIGIN)).await.is_ok());
}

#[tokio::test]
async fn local_relays_refuse_other_sites() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let state = AppState::new(Config::default(), Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let refused = open(relay, Some("https://evil.example")).await.unwrap_err();
    assert!(refused.contains("403"), "{refused}");
    assert!(open(relay, Some(&format!("http://{relay}"))).await.is_ok());
    assert!(open(relay, None).await.is_ok(), "scripts send no Origin");
}

#[tokio::test]
async fn the_loopback_guard_catches_what_a_policy_lets_through() {
    // Local mode allows everything, so only the guard stands in the way.
    let config = Config {
        loopback_only: true,
        ..Config::default()
    };
    let state = AppState::new(config, Lab::start().await.unwrap());
    let dest = |addr: &str| roundtrip_relay::policy::Destination {
        protocol: roundtrip_relay::policy::Protocol::Tcp,
        host: None,
        addr: addr.parse().unwrap(),
    };
    assert!(state.permit_dial(dest("127.0.0.1:80")).is_ok());
    let refusal = state.permit_dial(dest("10.0.0.1:80")).unwrap_err();
    assert_eq!(refusal.code, ErrorCode::Blocked);
    assert_eq!(state.guard_trips(), 1);
}

#[tokio::test]
async fn hostile_udp_targets_are_refused() {
    let (allowed, _) = counting_echo().await;
    // A UDP trap on loopback that counts datagrams.
    let trap = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let trap_addr = trap.local_addr().unwrap();
    let (relay, state) = public_relay_state(allowed).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));

    let targets = [
        "224.0.0.251:5353".to_owned(),
        "239.255.255.250:1900".to_owned(),
        "255.255.255.255:67".to_owned(),
        "[ff02::fb]:5353".to_owned(),
        "10.0.0.1:53".to_owned(),
        trap_addr.to_string(),
        format!("2130706433:{}", trap_addr.port()),
    ];
    for (i, target) in targets.iter().enumerate() {
        let op = 200 + i as u32;
        send(
            &mut ws,
            ClientMsg::UdpOpen {
                faults: None,
                op,
                target: Some(target.clone()),
                bind_port: None,
                recv_timeout_ms: None,
            },
        )
        .await;
        loop {
            match recv(&mut ws).await {
                ServerMsg::Event(Event {
                    op: got,
                    kind: EventKind::Failed { error },
                    ..
                }) if got == op => {
                    assert_eq!(
                        error.code,
                        ErrorCode::Blocked,
                        "{target}: {}",
                        error.message
                    );
                    break;
                }
                ServerMsg::Event(Event { op: got, kind, .. }) if got == op => {
                    assert!(
                        matches!(kind, EventKind::Resolved { .. }),
                        "{target}: no socket may be bound: {kind:?}"
                    );
                }
                other => panic!("{target}: unexpected {other:?}"),
            }
        }
    }
    // An open socket to the lab's UDP echo cannot send_to a forbidden address.
    send(
        &mut ws,
        ClientMsg::UdpOpen {
            faults: None,
            op: 300,
            target: Some("udp-echo".into()),
            bind_port: None,
            recv_timeout_ms: None,
        },
    )
    .await;
    loop {
        if let ServerMsg::Event(Event {
            op: 300,
            kind: EventKind::Bound { .. },
            ..
        }) = recv(&mut ws).await
        {
            break;
        }
    }
    send(
        &mut ws,
        ClientMsg::SendTo {
            op: 300,
            target: trap_addr.to_string(),
            data: Payload(b"x".to_vec()),
        },
    )
    .await;
    match recv(&mut ws).await {
        ServerMsg::Error {
            op: Some(300),
            error,
        } => assert_eq!(error.code, ErrorCode::Blocked),
        other => panic!("unexpected {other:?}"),
    }
    let mut buf = [0u8; 16];
    assert!(
        trap.try_recv_from(&mut buf).is_err(),
        "the UDP trap received a datagram"
    );
    assert_eq!(state.guard_trips(), 0);
}

/// An allowed HTTP server whose every answer redirects to `to`.
async fn redirector(to: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let to = to.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(n @ 1..) => head.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let response = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn redirects_to_forbidden_places_are_refused_at_the_hop() {
    let (trap, trap_count) = counting_echo().await;
    let allowed = redirector(format!("http://127.0.0.1:{}/", trap.port())).await;
    let (relay, state) = public_relay_state(allowed).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));

    for (op, url) in [
        (1, format!("http://{allowed}/start")),
        (2, format!("http://2130706433:{}/", trap.port())),
        (3, format!("http://[::ffff:127.0.0.1]:{}/", trap.port())),
        (4, format!("http://0x7f.1:{}/", trap.port())),
    ] {
        let request = roundtrip_shared::protocol::HttpRequest {
            faults: None,
            op,
            method: "GET".into(),
            url: url.clone(),
            headers: vec![],
            body: None,
            json: false,
            timeouts: None,
            follow_redirects: 3,
            max_body: None,
            raw: false,
            retry: None,
        };
        send(&mut ws, ClientMsg::HttpRequest(request)).await;
        let mut kinds = Vec::new();
        loop {
            match recv(&mut ws).await {
                ServerMsg::Event(Event { op: got, kind, .. }) if got == op => {
                    let done = kind.is_terminal();
                    kinds.push(kind);
                    if done {
                        break;
                    }
                }
                ServerMsg::Data { .. } => {}
                other => panic!("{url}: unexpected {other:?}"),
            }
        }
        match kinds.last() {
            Some(EventKind::Failed { error }) => {
                assert_eq!(error.code, ErrorCode::Blocked, "{url}: {}", error.message)
            }
            other => panic!("{url} was not refused: {other:?} after {kinds:?}"),
        }
        if op == 1 {
            assert!(
                kinds
                    .iter()
                    .any(|k| matches!(k, EventKind::Redirect { .. })),
                "the first hop was allowed and redirected: {kinds:?}"
            );
        }
    }
    assert_eq!(trap_count.load(Ordering::SeqCst), 0, "the trap was reached");
    assert_eq!(state.guard_trips(), 0);
}

/// Reads messages until `wanted` picks one out; skips the rest.
async fn wait_for<T>(ws: &mut Ws, wanted: impl Fn(&ServerMsg) -> Option<T>) -> T {
    loop {
        let msg = recv(ws).await;
        if let Some(found) = wanted(&msg) {
            return found;
        }
    }
}

async fn greeted(relay: SocketAddr) -> Ws {
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Json,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));
    ws
}

#[tokio::test]
async fn public_sessions_reach_each_others_listeners_and_nothing_else() {
    let (allowed, _) = counting_echo().await;
    let (relay, state) = public_relay_state(allowed).await;
    let mut server = greeted(relay).await;
    let mut client = greeted(relay).await;

    // Strangers do not pick ports on the host.
    let refusal = listen_refused(&mut server, 9, 4444).await;
    assert_eq!(refusal.code, ErrorCode::Blocked, "{}", refusal.message);

    send(&mut server, ClientMsg::TcpListen { op: 1, port: None }).await;
    let listening = wait_for(&mut server, |msg| match msg {
        ServerMsg::Event(Event {
            op: 1,
            kind: EventKind::Listening { addr },
            ..
        }) => Some(addr.clone()),
        _ => None,
    })
    .await;
    assert!(listening.starts_with("127.0.0.1:"), "{listening}");
    assert_eq!(state.listeners().len(), 1);

    let kinds = run_connect(&mut client, 1, &listening).await;
    assert!(
        matches!(kinds.last(), Some(EventKind::Connected { .. })),
        "{kinds:?}"
    );
    let conn = wait_for(&mut server, |msg| match msg {
        ServerMsg::Event(Event {
            op: 1,
            kind: EventKind::Accepted { conn, .. },
            ..
        }) => Some(*conn),
        _ => None,
    })
    .await;

    // A line each way.
    send(
        &mut client,
        ClientMsg::Send {
            op: 1,
            data: Payload(b"hello from b\n".to_vec()),
        },
    )
    .await;
    let heard = wait_for(&mut server, |msg| match msg {
        ServerMsg::Data { op, data, .. } if *op == conn => Some(data.0.clone()),
        _ => None,
    })
    .await;
    assert_eq!(heard, b"hello from b\n");
    send(
        &mut server,
        ClientMsg::Send {
            op: conn,
            data: Payload(b"hi b\n".to_vec()),
        },
    )
    .await;
    let heard = wait_for(&mut client, |msg| match msg {
        ServerMsg::Data { op: 1, data, .. } => Some(data.0.clone()),
        _ => None,
    })
    .await;
    assert_eq!(heard, b"hi b\n");

    // Once the listener is closed, its port is loopback like any other.
    send(&mut server, ClientMsg::Close { op: 1 }).await;
    wait_for(&mut server, |msg| match msg {
        ServerMsg::Event(Event {
            op: 1,
            kind: EventKind::Closed { .. },
            ..
        }) => Some(()),
        _ => None,
    })
    .await;
    assert!(state.listeners().is_empty());
    let kinds = run_connect(&mut client, 2, &listening).await;
    match kinds.last() {
        Some(EventKind::Failed { error }) => {
            assert_eq!(error.code, ErrorCode::Blocked, "{}", error.message)
        }
        other => panic!("expected blocked, got {other:?}"),
    }
    assert_eq!(state.guard_trips(), 0);
}

#[tokio::test]
async fn names_that_resolve_to_forbidden_places_are_refused_and_rebinding_gets_nowhere() {
    let (allowed, allowed_count) = counting_echo().await;
    // The trap listens where a second, rebound answer for the allowed name
    // would lead: another loopback address, same port.
    let trap = TcpListener::bind(("127.0.0.2", allowed.port()))
        .await
        .unwrap();
    let trap_count = Arc::new(AtomicUsize::new(0));
    let counter = trap_count.clone();
    tokio::spawn(async move {
        while trap.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let resolver = Resolver::table([
        // Public (allowed) the first time, the trap the second time.
        (
            "rebind.example",
            vec![vec![ip("127.0.0.1")], vec![ip("127.0.0.2")]],
        ),
        ("private.example", vec![vec![ip("10.0.0.1")]]),
        ("metadata.example", vec![vec![ip("169.254.169.254")]]),
        ("ula.example", vec![vec![ip("fd00::1")]]),
        ("mapped.example", vec![vec![ip("::ffff:10.0.0.1")]]),
        (
            "mixed.example",
            vec![vec![ip("192.168.1.1"), ip("127.0.0.2")]],
        ),
    ]);
    let rules = vec![
        Rule {
            cidrs: vec!["127.0.0.1/32".parse().unwrap()],
            ports: vec![allowed.port().to_string()],
            ..Rule::default()
        },
        // Names under .example are allowed by name: which must never open a
        // special-purpose address they resolve to.
        Rule {
            hosts: vec!["*.example".into()],
            ports: vec![allowed.port().to_string(), "80".into()],
            ..Rule::default()
        },
    ];
    let (relay, state) = public_relay_with(rules, resolver).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));

    // First lookup: the allowed address, which is the one dialled.
    let port = allowed.port();
    let kinds = run_connect(&mut ws, 1, &format!("rebind.example:{port}")).await;
    assert!(
        matches!(kinds.last(), Some(EventKind::Connected { remote, .. }) if remote == &allowed.to_string()),
        "{kinds:?}"
    );
    // Second lookup: the name now points at the trap, and is refused.
    for (op, target) in [
        (2, format!("rebind.example:{port}")),
        (3, "private.example:80".to_owned()),
        (4, "metadata.example:80".to_owned()),
        (5, "ula.example:80".to_owned()),
        (6, "mapped.example:80".to_owned()),
        (7, format!("mixed.example:{port}")),
    ] {
        let kinds = run_connect(&mut ws, op, &target).await;
        match kinds.last() {
            Some(EventKind::Failed { error }) => {
                assert_eq!(
                    error.code,
                    ErrorCode::Blocked,
                    "{target}: {}",
                    error.message
                );
                assert!(
                    error.message.contains("resolved to"),
                    "{target}: {}",
                    error.message
                );
            }
            other => panic!("{target} was not refused: {other:?}"),
        }
        assert!(
            !kinds
                .iter()
                .any(|k| matches!(k, EventKind::Connecting { .. })),
            "{target}: {kinds:?}"
        );
    }
    assert_eq!(
        trap_count.load(Ordering::SeqCst),
        0,
        "the rebound name reached the trap"
    );
    assert_eq!(allowed_count.load(Ordering::SeqCst), 1);
    assert_eq!(
        state.guard_trips(),
        0,
        "the policy let a non-loopback address through"
    );
}

/// Every rule of the policy reaches the page as a typed `refusal`, taken
/// here from a real public relay (and, for the loopback guard, from the
/// relay's own dial check): the page's explanations match on these values,
/// so a refusal the relay cannot produce, or produces without its value,
/// fails here rather than on the page.
#[tokio::test]
async fn every_refusal_comes_from_the_relay_as_a_value() {
    use roundtrip_shared::protocol::{Refusal, RelayError};
    use std::collections::HashSet;
    use strum::IntoEnumIterator as _;

    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let resolver = Resolver::table([
        ("private.example", vec![vec![ip("10.0.0.1")]]),
        // A global address: refused before any dial, and the loopback guard
        // stands behind the policy, so no packet could leave anyway.
        ("public.example", vec![vec![ip("93.184.215.14")]]),
    ]);
    let rules = vec![Rule {
        hosts: vec!["private.example".into()],
        ports: vec!["80".into()],
        ..Rule::default()
    }];
    let (relay, _state) = public_relay_with(rules, resolver).await;
    let mut ws = greeted(relay).await;
    let mut seen = HashSet::new();
    let mut check = |error: &RelayError, wanted: Refusal, what: &str| {
        assert_eq!(error.code, ErrorCode::Blocked, "{what}: {}", error.message);
        assert_eq!(error.refusal, Some(wanted), "{what}: {}", error.message);
        seen.insert(wanted);
    };
    for (op, target, wanted) in [
        (1, "10.0.0.1:80", Refusal::SpecialAddress),
        (2, "private.example:80", Refusal::ResolvedToSpecial),
        (3, "public.example:80", Refusal::NotAllowListed),
        (4, "public.example:25", Refusal::SmtpPort),
    ] {
        let kinds = run_connect(&mut ws, op, target).await;
        match kinds.last() {
            Some(EventKind::Failed { error }) => check(error, wanted, target),
            other => panic!("{target} was not refused: {other:?}"),
        }
    }
    let refusal = listen_refused(&mut ws, 5, 8080).await;
    check(&refusal, Refusal::ListenPortChosen, "listen on 8080");
    send(
        &mut ws,
        ClientMsg::UdpOpen {
            faults: None,
            op: 6,
            target: None,
            bind_port: Some(5353),
            recv_timeout_ms: None,
        },
    )
    .await;
    match udp_outcome(&mut ws, 6).await {
        EventKind::Failed { error } => check(&error, Refusal::UdpPortChosen, "udp bind_port"),
        other => panic!("bind_port 5353 must be refused, got {other:?}"),
    }

    // The loopback guard stands behind a local (allow-all) policy.
    let guarded = AppState::new(
        Config {
            loopback_only: true,
            ..Config::default()
        },
        Lab::start().await.unwrap(),
    );
    let refusal = guarded
        .permit_dial(roundtrip_relay::policy::Destination {
            protocol: roundtrip_relay::policy::Protocol::Tcp,
            host: None,
            addr: "192.0.2.1:80".parse().unwrap(),
        })
        .unwrap_err();
    check(&refusal, Refusal::NotOnThisMachine, "the loopback guard");

    let missing: Vec<Refusal> = Refusal::iter().filter(|r| !seen.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "never taken from the relay: {missing:?}"
    );
}

/// The first terminal-or-bound event of UDP operation `op`.
async fn udp_outcome(ws: &mut Ws, op: u32) -> EventKind {
    loop {
        match recv(ws).await {
            ServerMsg::Event(Event { op: got, kind, .. })
                if got == op && (kind.is_terminal() || matches!(kind, EventKind::Bound { .. })) =>
            {
                return kind;
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn a_public_relay_refuses_a_chosen_udp_port() {
    let (allowed, _) = counting_echo().await;
    // A local program's UDP port, which a stranger would like to take over
    // once the program lets go of it.
    let program = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = program.local_addr().unwrap().port();
    drop(program);
    let (relay, _state) = public_relay_state(allowed).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    assert!(matches!(recv(&mut ws).await, ServerMsg::Welcome { .. }));
    for (op, target) in [(1, Some("udp-echo")), (2, None)] {
        send(
            &mut ws,
            ClientMsg::UdpOpen {
                faults: None,
                op,
                target: target.map(str::to_owned),
                bind_port: Some(port),
                recv_timeout_ms: None,
            },
        )
        .await;
        match udp_outcome(&mut ws, op).await {
            EventKind::Failed { error } => {
                assert_eq!(error.code, ErrorCode::Blocked, "{}", error.message);
                assert_eq!(
                    error.refusal,
                    Some(roundtrip_shared::protocol::Refusal::UdpPortChosen),
                    "{}",
                    error.message
                );
            }
            other => panic!("{target:?}: bind_port {port} must be refused, got {other:?}"),
        }
    }
    // Any port is fine, and the relay picks it.
    send(
        &mut ws,
        ClientMsg::UdpOpen {
            faults: None,
            op: 3,
            target: Some("udp-echo".into()),
            bind_port: Some(0),
            recv_timeout_ms: None,
        },
    )
    .await;
    match udp_outcome(&mut ws, 3).await {
        EventKind::Bound { local, .. } => assert!(local.starts_with("127.0.0.1:"), "{local}"),
        other => panic!("expected bound, got {other:?}"),
    }
}

#[tokio::test]
async fn the_dns_labs_stub_server_takes_no_raw_tcp_or_http() {
    let (allowed, _) = counting_echo().await;
    let (relay, _state) = public_relay_state(allowed).await;
    let mut ws = open(relay, Some(ORIGIN)).await.unwrap();
    send(
        &mut ws,
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data: DataEncoding::Binary,
        },
    )
    .await;
    let ServerMsg::Welcome { services, .. } = recv(&mut ws).await else {
        panic!("expected welcome");
    };
    let stub = services
        .iter()
        .find(|s| s.name == "dns-lab")
        .expect("the DNS lab is listed")
        .addr
        .clone();
    let kinds = run_connect(&mut ws, 1, &stub).await;
    match kinds.last() {
        Some(EventKind::Failed { error }) => {
            assert_eq!(error.code, ErrorCode::Blocked, "{}", error.message);
        }
        other => panic!("raw TCP to the stub server {stub}: {other:?}"),
    }
    send(
        &mut ws,
        ClientMsg::HttpRequest(roundtrip_shared::protocol::HttpRequest {
            faults: None,
            op: 2,
            method: "GET".into(),
            url: format!("http://{stub}/"),
            headers: vec![],
            body: None,
            json: false,
            timeouts: None,
            follow_redirects: 0,
            max_body: None,
            raw: false,
            retry: None,
        }),
    )
    .await;
    loop {
        match recv(&mut ws).await {
            ServerMsg::Event(Event {
                op: 2,
                kind: EventKind::Failed { error },
                ..
            }) => {
                assert_eq!(error.code, ErrorCode::Blocked, "{}", error.message);
                break;
            }
            ServerMsg::Event(Event { op: 2, kind, .. }) => assert!(
                !matches!(kind, EventKind::Connected { .. }),
                "HTTP to the stub server connected"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }
}
