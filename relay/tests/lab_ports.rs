//! Lab names with well-known ports: `echo.lab.test:7`, `chat.lab.test:531`,
//! `http://www.lab.test/` and `https://www.lab.test/` reach the lab services
//! (which listen on ephemeral loopback ports), and the events say where the
//! relay really went. The actual-port form keeps working.

mod support;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, DataEncoding, EventKind, HttpRequest, OpId};
use support::{Client, Seen, start_relay};

async fn client() -> Client {
    Client::greeted(start_relay().await, DataEncoding::Binary).await
}

/// Events of `op` until `connected`, `bound` or the end.
async fn opening(client: &mut Client, op: OpId) -> Vec<Seen> {
    let mut seen = Vec::new();
    loop {
        let event = client.next(op).await;
        let done = matches!(
            event.kind,
            EventKind::Connected { .. } | EventKind::Bound { .. }
        ) || event.kind.is_terminal();
        seen.push(event);
        if done {
            return seen;
        }
    }
}

fn lab_port(events: &[Seen]) -> Option<(String, String, String)> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::LabPort { from, to, service } => {
            Some((from.clone(), to.clone(), service.clone()))
        }
        _ => None,
    })
}

fn tcp(op: OpId, target: &str) -> ClientMsg {
    ClientMsg::TcpConnect {
        op,
        target: target.into(),
        connect_timeout_ms: None,
        nodelay: false,
        faults: None,
    }
}

#[tokio::test]
async fn tcp_echo_and_chat_answer_on_their_well_known_ports() {
    let mut client = client().await;
    let echo = client.service("tcp-echo").addr.clone();
    let chat = client.service("tcp-chat").addr.clone();

    client.send(tcp(1, "echo.lab.test:7")).await;
    let events = opening(&mut client, 1).await;
    assert_eq!(
        lab_port(&events),
        Some(("echo.lab.test:7".into(), echo.clone(), "tcp-echo".into()))
    );
    let connecting: Vec<&EventKind> = events
        .iter()
        .map(|e| &e.kind)
        .filter(|k| matches!(k, EventKind::Connecting { .. }))
        .collect();
    assert_eq!(
        connecting,
        [&EventKind::Connecting { addr: echo.clone() }],
        "only the service's real address is dialled"
    );
    client.send_bytes(1, b"seven").await;
    let echoed = client
        .until(1, |k| matches!(k, EventKind::Received { .. }))
        .await;
    assert_eq!(echoed.data, b"seven");

    client.send(tcp(2, "chat.lab.test:531")).await;
    let events = opening(&mut client, 2).await;
    assert_eq!(lab_port(&events).map(|(_, to, _)| to), Some(chat.clone()));
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::Connected { remote, .. } if *remote == chat),
        "{events:?}"
    );
    let greeting = client
        .until(2, |k| matches!(k, EventKind::Received { .. }))
        .await;
    assert!(String::from_utf8_lossy(&greeting.data).contains("welcome"));
    client.send(ClientMsg::Close { op: 2 }).await;
    client.until(2, EventKind::is_terminal).await;

    // The real port works as before, with nothing to translate.
    let port = echo.rsplit_once(':').unwrap().1;
    client.send(tcp(3, &format!("echo.lab.test:{port}"))).await;
    let events = opening(&mut client, 3).await;
    assert_eq!(lab_port(&events), None);
    assert!(matches!(
        &events.last().unwrap().kind,
        EventKind::Connected { .. }
    ));

    // Another port on a lab name is just that port: nothing listens there
    // unless something does, and no lab service is substituted.
    client.send(tcp(4, "echo.lab.test:9")).await;
    let events = opening(&mut client, 4).await;
    assert_eq!(lab_port(&events), None);
}

#[tokio::test]
async fn udp_echo_answers_on_port_7_by_name() {
    let mut client = client().await;
    let echo = client.service("udp-echo").addr.clone();
    client
        .send(ClientMsg::UdpOpen {
            op: 1,
            target: Some("echo.lab.test:7".into()),
            bind_port: None,
            recv_timeout_ms: None,
            faults: None,
        })
        .await;
    let events = opening(&mut client, 1).await;
    assert_eq!(
        lab_port(&events),
        Some(("echo.lab.test:7".into(), echo.clone(), "udp-echo".into()))
    );
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::Bound { remote: Some(r), .. } if *r == echo),
        "{events:?}"
    );
    client.send_bytes(1, b"ping").await;
    let answer = client
        .until(1, |k| matches!(k, EventKind::DatagramReceived { .. }))
        .await;
    assert_eq!(answer.data, b"ping");
    assert_eq!(
        answer.kind,
        EventKind::DatagramReceived {
            from: echo.clone(),
            bytes: 4
        }
    );

    // send_to by name from a socket without a target.
    client
        .send(ClientMsg::UdpOpen {
            op: 2,
            target: None,
            bind_port: None,
            recv_timeout_ms: None,
            faults: None,
        })
        .await;
    opening(&mut client, 2).await;
    client
        .send(ClientMsg::SendTo {
            op: 2,
            target: "echo.lab.test:7".into(),
            data: Payload(b"pong".to_vec()),
        })
        .await;
    let sent = client
        .until(2, |k| matches!(k, EventKind::DatagramSent { .. }))
        .await;
    assert_eq!(
        sent.kind,
        EventKind::DatagramSent {
            to: echo.clone(),
            bytes: 4
        }
    );
    let answer = client
        .until(2, |k| matches!(k, EventKind::DatagramReceived { .. }))
        .await;
    assert_eq!(answer.data, b"pong");
}

#[tokio::test]
async fn www_lab_test_is_the_http_lab_on_80_and_443() {
    let mut client = client().await;
    for (op, url, service) in [
        (1, "http://www.lab.test/get", "http-lab"),
        (2, "https://www.lab.test/get", "https-lab"),
    ] {
        let real = client.service(service).addr.clone();
        client
            .send(ClientMsg::HttpRequest(HttpRequest::get(op, url)))
            .await;
        let mut events = Vec::new();
        loop {
            let event = client.next(op).await;
            let end = event.kind.is_terminal();
            events.push(event.kind);
            if end {
                break;
            }
        }
        let to = events.iter().find_map(|k| match k {
            EventKind::LabPort { to, service: s, .. } if s == service => Some(to.clone()),
            _ => None,
        });
        assert_eq!(to, Some(real.clone()), "{url}: {events:?}");
        let status = events.iter().find_map(|k| match k {
            EventKind::ResponseHead { status, .. } => Some(*status),
            _ => None,
        });
        assert_eq!(status, Some(200), "{url}: {events:?}");
        if service == "https-lab" {
            assert!(
                events
                    .iter()
                    .any(|k| matches!(k, EventKind::TlsHandshake { .. })),
                "the lab certificate is good for www.lab.test"
            );
        }
    }
}
