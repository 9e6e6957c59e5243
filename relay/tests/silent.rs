//! Connections that never become requests: whatever a client sends (nothing,
//! one byte, an HTTP/2 preface) it is closed once the request-head deadline
//! passes, and one address can hold only so many such connections.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use roundtrip_relay::limits::Limits;
use roundtrip_relay::{AppState, Config, lab::Lab};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const WAIT: Duration = Duration::from_secs(10);

async fn relay(config: Config) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(config, Lab::start().await.unwrap());
    tokio::spawn(roundtrip_relay::serve(
        listener,
        state,
        std::future::pending(),
    ));
    addr
}

/// A connection to `relay` from the loopback address `from` (127.0.0.x are
/// all this machine, and count as different clients).
async fn connect_from(from: [u8; 4], relay: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::from(from), 0)).unwrap();
    socket.connect(relay).await.unwrap()
}

/// Reads until the relay closes; what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("the relay should have closed the connection")
        {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

async fn get_page(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    String::from_utf8_lossy(&read_until_closed(stream).await).into_owned()
}

#[tokio::test]
async fn silent_and_preface_only_connections_are_closed_by_the_deadline() {
    let relay = relay(Config {
        header_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let sends: [&[u8]; 4] = [
        b"",
        b"P",
        b"PRI * HTTP/2.0",
        // The whole HTTP/2 preface, and then nothing.
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ];
    let started = tokio::time::Instant::now();
    let mut silent = Vec::new();
    for bytes in sends {
        let mut stream = TcpStream::connect(relay).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        silent.push(stream);
    }
    for (stream, bytes) in silent.iter_mut().zip(sends) {
        read_until_closed(stream).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?} was closed only after {:?}",
            String::from_utf8_lossy(bytes),
            started.elapsed()
        );
    }
    // A prompt client is served.
    let mut prompt = TcpStream::connect(relay).await.unwrap();
    let response = get_page(&mut prompt).await;
    assert!(response.starts_with("HTTP/1.1 "), "{response}");
}

/// Answered by the relay's routes (the page, or its "not built" notice),
/// not refused at the door.
fn served(answer: &str) -> bool {
    answer.starts_with("HTTP/1.1 ") && !answer.contains("too many connections")
}

#[tokio::test]
async fn connections_per_address_are_capped_before_the_upgrade() {
    let relay = relay(Config {
        limits: Limits {
            max_connections_per_ip: 3,
            ..Limits::local()
        },
        ..Config::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from([127, 0, 0, 2], relay).await);
    }
    // Let the relay accept them before the one past the cap.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut past = connect_from([127, 0, 0, 2], relay).await;
    let answer = get_page(&mut past).await;
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.contains("too many connections"),
        "{answer}"
    );
    // Another address is not held up.
    let mut other = connect_from([127, 0, 0, 3], relay).await;
    let answer = get_page(&mut other).await;
    assert!(served(&answer), "{answer}");
    // Places come back when connections close.
    held.clear();
    let mut again = None;
    for _ in 0..100 {
        let mut stream = connect_from([127, 0, 0, 2], relay).await;
        let answer = get_page(&mut stream).await;
        if served(&answer) {
            again = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "the address got its places back");
}

#[tokio::test]
async fn a_kept_alive_connection_that_goes_silent_is_closed_too() {
    let relay = relay(Config {
        header_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let mut stream = TcpStream::connect(relay).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, and then nothing more is asked.
    let started = tokio::time::Instant::now();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with(b"HTTP/1.1 "));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an idle kept-alive connection stayed {:?}",
        started.elapsed()
    );
}
