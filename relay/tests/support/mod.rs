//! A WebSocket client for the real relay, driving it the way the browser
//! does, for the socket tests (UDP, listen, many connections). Every target
//! is on loopback.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_relay::{AppState, Config, lab::Lab};
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, ErrorCode, Event, EventKind, OpId, PROTOCOL_VERSION, ServerMsg,
    Service,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(10);

/// Sends `msg` over any WebSocket to the relay, encoded as the page encodes
/// it (for tests that hold the socket themselves: a small receive buffer,
/// a chosen source address, an Origin header).
pub async fn send_ws<S>(ws: &mut WebSocketStream<S>, msg: ClientMsg)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let message = match frame::encode_client(&msg) {
        Frame::Text(text) => Message::Text(text.into()),
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
    };
    ws.send(message).await.unwrap();
}

pub async fn start_relay() -> SocketAddr {
    start_relay_with(Config::default()).await.0
}

/// The real relay with `config` and its lab services, serving on a free
/// loopback port until the test ends; its address and its state (to look
/// at counts and limits from the test).
pub async fn start_relay_with(config: Config) -> (SocketAddr, AppState) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(config, Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    (addr, state)
}

/// [`start_relay_with`] the default settings but these limits.
pub async fn start_relay_limited(
    limits: roundtrip_relay::limits::Limits,
) -> (SocketAddr, AppState) {
    start_relay_with(Config {
        limits,
        ..Config::default()
    })
    .await
}

/// A loopback TCP port that refuses connections: bound, so that nothing
/// else takes it while the returned socket lives, but never listening (a
/// port bound and let go could be taken by another test in between).
pub fn refusing_port() -> (tokio::net::TcpSocket, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// A loopback UDP port that answers with ICMP "port unreachable": bound,
/// so that nothing else takes it while the returned socket lives, and
/// connected to another port, so the kernel hands it nothing from anyone
/// else and tells them so.
pub fn refusing_udp_port() -> (std::net::UdpSocket, SocketAddr) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect("127.0.0.1:9").unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// One step as a test sees it: the event, and the bytes (and source) of a
/// `received` or `datagram_received`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub op: OpId,
    pub t_us: u64,
    pub kind: EventKind,
    pub data: Vec<u8>,
}

#[derive(Debug)]
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub services: Vec<Service>,
    /// How long `recv` waits for the relay before the test fails; a test
    /// whose targets answer slowly may wait longer.
    pub wait: Duration,
}

impl Client {
    /// Connects and completes the handshake.
    pub async fn greeted(relay: SocketAddr, data: DataEncoding) -> Client {
        let mut client = Client::ungreeted(relay).await;
        client.hello(data).await;
        client
    }

    /// Connects without saying hello, for tests of what comes before it.
    pub async fn ungreeted(relay: SocketAddr) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{relay}/ws"))
            .await
            .unwrap();
        Client::over(ws)
    }

    /// Connects from the loopback address 127.0.0.`last` (all of 127/8 is
    /// this machine, and each address counts as another client), without
    /// saying hello.
    pub async fn ungreeted_from(relay: SocketAddr, last: u8) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, last], 0)))
            .unwrap();
        let stream = socket.connect(relay).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(
            format!("ws://{relay}/ws"),
            MaybeTlsStream::Plain(stream),
        )
        .await
        .unwrap();
        Client::over(ws)
    }

    /// A client over a WebSocket the test opened itself (with an `Origin`
    /// header, say).
    pub fn over(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            services: Vec::new(),
            wait: WAIT,
        }
    }

    /// Closes the WebSocket from this side (the browser leaving).
    pub async fn close(&mut self) {
        self.ws.close(None).await.unwrap();
    }

    /// The next message, or the close frame's code and reason once the
    /// relay closed the session.
    pub async fn recv_or_close(&mut self) -> Result<ServerMsg, (u16, String)> {
        loop {
            let message = tokio::time::timeout(self.wait, self.ws.next())
                .await
                .expect("timed out waiting for the relay")
                .expect("relay dropped the WebSocket without a close frame")
                .unwrap();
            let frame = match message {
                Message::Text(text) => Frame::Text(text.to_string()),
                Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
                Message::Close(Some(close)) => {
                    return Err((close.code.into(), close.reason.to_string()));
                }
                _ => continue,
            };
            return Ok(frame::decode_server(&frame).unwrap());
        }
    }

    /// Says hello and reads the welcome, which must speak our version;
    /// keeps the lab services it lists.
    pub async fn hello(&mut self, data: DataEncoding) {
        self.send(ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            data,
        })
        .await;
        match self.recv().await {
            ServerMsg::Welcome {
                version, services, ..
            } => {
                assert_eq!(version, PROTOCOL_VERSION);
                self.services = services;
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    pub fn service(&self, name: &str) -> &Service {
        self.services
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no lab service {name}: {:?}", self.services))
    }

    /// Where the lab service `name` listens, for tests that check the
    /// addresses the relay reports.
    pub fn service_addr(&self, name: &str) -> SocketAddr {
        let service = self.service(name);
        service
            .addr
            .parse()
            .unwrap_or_else(|e| panic!("lab service {name} at {}: {e}", service.addr))
    }

    /// Sends a frame as it is, for tests of what the encoder would never
    /// produce.
    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    pub async fn send(&mut self, msg: ClientMsg) {
        let message = match frame::encode_client(&msg) {
            Frame::Text(text) => Message::Text(text.into()),
            Frame::Binary(bytes) => Message::Binary(bytes.into()),
        };
        self.send_raw(message).await;
    }

    /// Sends `msg` as JSON, even a `send`.
    pub async fn send_json(&mut self, msg: ClientMsg) {
        let text = serde_json::to_string(&msg).unwrap();
        self.send_raw(Message::Text(text.into())).await;
    }

    pub async fn send_bytes(&mut self, op: OpId, bytes: &[u8]) {
        self.send(ClientMsg::Send {
            op,
            data: Payload(bytes.to_vec()),
        })
        .await;
    }

    pub async fn recv_frame(&mut self) -> Frame {
        loop {
            let message = tokio::time::timeout(self.wait, self.ws.next())
                .await
                .expect("timed out waiting for the relay")
                .expect("relay closed the WebSocket")
                .unwrap();
            match message {
                Message::Text(text) => return Frame::Text(text.to_string()),
                Message::Binary(bytes) => return Frame::Binary(bytes.to_vec()),
                Message::Close(frame) => panic!("relay closed the session: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next frame, which must be text: JSON clients get nothing else.
    pub async fn recv_text(&mut self) -> String {
        match self.recv_frame().await {
            Frame::Text(text) => text,
            Frame::Binary(bytes) => panic!("expected a text frame, got binary {bytes:?}"),
        }
    }

    /// Skips frames until the relay closes the session; returns its close
    /// frame, which must carry a code.
    pub async fn recv_close(&mut self) -> CloseFrame {
        loop {
            match tokio::time::timeout(self.wait, self.ws.next())
                .await
                .expect("timed out waiting for the relay")
            {
                Some(Ok(Message::Close(frame))) => {
                    return frame.expect("a close frame with a code");
                }
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    pub async fn recv(&mut self) -> ServerMsg {
        let frame = self.recv_frame().await;
        frame::decode_server(&frame).unwrap_or_else(|e| panic!("undecodable {frame:?}: {e}"))
    }

    /// The next event of any operation; data and datagrams become their
    /// `received` and `datagram_received` events. Errors panic.
    pub async fn next_any(&mut self) -> Seen {
        match self.recv().await {
            ServerMsg::Event(Event { op, t_us, kind }) => Seen {
                op,
                t_us,
                kind,
                data: vec![],
            },
            ServerMsg::Data { op, t_us, data } => Seen {
                op,
                t_us,
                kind: EventKind::Received {
                    bytes: data.0.len() as u64,
                },
                data: data.0,
            },
            ServerMsg::Datagram {
                op,
                t_us,
                from,
                data,
            } => Seen {
                op,
                t_us,
                kind: EventKind::DatagramReceived {
                    from,
                    bytes: data.0.len() as u64,
                },
                data: data.0,
            },
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// The next event, which must be of `op`.
    pub async fn next(&mut self, op: OpId) -> Seen {
        let seen = self.next_any().await;
        assert_eq!(seen.op, op, "expected an event of op {op}, got {seen:?}");
        seen
    }

    /// Skips events of `op` until one matches; returns it.
    pub async fn until(&mut self, op: OpId, wanted: impl Fn(&EventKind) -> bool) -> Seen {
        loop {
            let seen = self.next(op).await;
            if wanted(&seen.kind) {
                return seen;
            }
            assert!(
                !seen.kind.is_terminal(),
                "op {op} ended before the awaited event: {seen:?}"
            );
        }
    }

    pub async fn expect_error(&mut self, op: Option<OpId>, code: ErrorCode) -> String {
        match self.recv().await {
            ServerMsg::Error { op: got, error } => {
                assert_eq!((got, error.code), (op, code), "{}", error.message);
                error.message
            }
            other => panic!("expected error {code:?}, got {other:?}"),
        }
    }

    /// Opens a TCP connection and waits for `connected`.
    pub async fn connect(&mut self, op: OpId, target: &str) {
        self.send(ClientMsg::TcpConnect {
            faults: None,
            op,
            target: target.into(),
            connect_timeout_ms: None,
            nodelay: false,
        })
        .await;
        self.until(op, |k| matches!(k, EventKind::Connected { .. }))
            .await;
    }
}

/// `GET path` on the relay at `addr` over a fresh connection: the status
/// and the body (the admin routes answer with a length, not chunks).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("timed out waiting for the response")
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// The real `roundtrip` binary, started with `args` (after `serve --port
/// 0`) and none of the user's `ROUNDTRIP_*` settings, its stderr to
/// `stderr`; returns once it printed its address.
pub fn spawn_binary(
    args: &[&str],
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead as _;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roundtrip"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ROUNDTRIP_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .args(["serve", "--port", "0"])
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

/// Sends SIGTERM to `child` (a relay this test started).
pub fn terminate(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for `child` to exit; kills it and fails after `within`.
pub async fn exits_within(child: &mut std::process::Child, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if tokio::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the relay did not exit within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
