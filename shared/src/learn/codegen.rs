//! The code beside a lesson: from the experiment's current settings, the
//! programs a learner would write to do the same thing on their own machine
//! — Python as a first course writes it (the `socket` module, `requests`),
//! Rust with `std::net`, `curl` for HTTP and `dig` for DNS. Pure text, so
//! the page shows it, tests compare it, and `e2e/tests/learn_code.rs` runs
//! it against the relay's lab services.

use crate::protocol::{DnsMode, DnsType, Service};

use super::lesson::{After, JSON_TIMEOUT_MS, Retry, Setup};
use crate::json_check::{JsonType, parse_key_list};

/// The port the generated servers listen on: above 1024 (no privileges
/// needed) and unlikely to be taken.
pub const SERVER_PORT: u16 = 5007;

/// The language of a program, for highlighting and for how to run it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
    Shell,
}

/// Which side a program plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

/// One program the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The file name it suggests (`client.py`) or `shell` for a command.
    pub file: &'static str,
    pub lang: Lang,
    pub role: Role,
    pub code: String,
    /// How to run it.
    pub run: &'static str,
}

/// The programs of a lesson's setup: clients in Python and Rust and, with
/// `server`, the matching servers listening on `server_port`. `None` until
/// the relay has named its services (their ports are in the code).
pub fn for_setup(
    setup: &Setup,
    services: &[Service],
    message: &str,
    server: bool,
    server_port: u16,
) -> Option<Vec<Program>> {
    let (host, port) = setup.target().address(services)?;
    let mut programs = Vec::new();
    let faults = setup.has_faults();
    match setup {
        Setup::Tcp { then, .. } => {
            programs.push(program(
                "client.py",
                Lang::Python,
                Role::Client,
                tcp_client_python(&host, port, message, *then),
            ));
            programs.push(program(
                "client.rs",
                Lang::Rust,
                Role::Client,
                tcp_client_rust(&host, port, message, *then),
            ));
            if server {
                programs.push(program(
                    "server.py",
                    Lang::Python,
                    Role::Server,
                    tcp_server_python(server_port),
                ));
                programs.push(program(
                    "server.rs",
                    Lang::Rust,
                    Role::Server,
                    tcp_server_rust(server_port),
                ));
            }
        }
        Setup::Http {
            method,
            path,
            headers,
            timeout_ms,
            retry,
            ..
        } => {
            let scheme = setup.target().scheme(services);
            let url = format!("{scheme}://{}{path}", rust_addr(&host, port));
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            // Whole seconds, rounded up: never a shorter wait than the page's.
            let timeout_s = timeout_ms.map_or(10, |ms| ms.div_ceil(1000).max(1));
            match retry {
                Some(retry) => programs.extend(http_retry(&url, *retry, timeout_s)),
                None => programs.extend(http(method, &url, &headers, message, timeout_s)),
            }
        }
        Setup::Json {
            path,
            expect,
            max_bytes,
            ..
        } => {
            let url = format!("http://{}{path}", rust_addr(&host, port));
            programs.extend(json_client(&url, expect, *max_bytes));
        }
        Setup::Listen | Setup::Serve { .. } => {
            // Both sides run on the learner's machine: the server first.
            let request = if message.is_empty() {
                "hello, server"
            } else {
                message
            };
            programs.push(program(
                "server.py",
                Lang::Python,
                Role::Server,
                answer_server_python(server_port),
            ));
            programs.push(program(
                "client.py",
                Lang::Python,
                Role::Client,
                ask_client_python(server_port, request),
            ));
            programs.push(program(
                "server.rs",
                Lang::Rust,
                Role::Server,
                answer_server_rust(server_port),
            ));
            programs.push(program(
                "client.rs",
                Lang::Rust,
                Role::Client,
                ask_client_rust(server_port, request),
            ));
        }
        Setup::Many { count, .. } => {
            programs.push(program(
                "client.py",
                Lang::Python,
                Role::Client,
                many_clients_python(&host, port, message, *count),
            ));
            programs.push(program(
                TOKIO_MAIN,
                Lang::Rust,
                Role::Client,
                many_clients_rust(&host, port, message, *count),
            ));
        }
        Setup::Checks {
            paths, timeout_ms, ..
        } => {
            let urls: Vec<String> = paths
                .iter()
                .map(|path| format!("http://{}{path}", rust_addr(&host, port)))
                .collect();
            programs.extend(health_checker(&urls, timeout_ms.div_ceil(1000).max(1)));
        }
        Setup::Dns { name, rtype, mode } => {
            let mut program = dig(name, *rtype, &rust_addr(&host, port));
            if *mode == DnsMode::Trace {
                // The lab's names live only in its own servers; the real
                // root (where `dig +trace` starts) has never heard of them.
                program.code = format!(
                    "# The page walked from the lab's root server down, as `dig +trace`\n\
                     # does from the real root; the real root does not know lab.test,\n\
                     # so ask the lab's stub server: the answer is the same.\n{}",
                    program.code
                );
            }
            programs.push(program);
        }
        Setup::Udp {
            recv_timeout_ms, ..
        } => {
            programs.push(program(
                "client.py",
                Lang::Python,
                Role::Client,
                udp_client_python(&host, port, message, *recv_timeout_ms),
            ));
            programs.push(program(
                "client.rs",
                Lang::Rust,
                Role::Client,
                udp_client_rust(&host, port, message, *recv_timeout_ms),
            ));
            if server {
                programs.push(program(
                    "server.py",
                    Lang::Python,
                    Role::Server,
                    udp_server_python(server_port),
                ));
            }
        }
    }
    if faults {
        // The lab injects faults only on the page's own connections: say
        // so, or a learner would wonder why their copy behaves politely.
        for program in programs.iter_mut().filter(|p| p.role == Role::Client) {
            let comment = match program.lang {
                Lang::Python | Lang::Shell => "#",
                Lang::Rust => "//",
            };
            program.code = format!(
                "{comment} The page asked the lab to inject faults on its own connection.\n\
                 {comment} Run from your machine, this program meets the plain service.\n{}",
                program.code
            );
        }
    }
    Some(programs)
}

fn program(file: &'static str, lang: Lang, role: Role, code: String) -> Program {
    let run = match (lang, file) {
        (Lang::Python, "server.py") => "python3 server.py",
        (Lang::Python, _) => "python3 client.py",
        (Lang::Rust, "server.rs") => "rustc server.rs && ./server",
        (Lang::Rust, TOKIO_MAIN) => TOKIO_RUN,
        (Lang::Rust, _) => "rustc client.rs && ./client",
        (Lang::Shell, _) => "paste it into a terminal",
    };
    Program {
        file,
        lang,
        role,
        code,
        run,
    }
}

/// `AF_INET` for an IPv4 address or a name, `AF_INET6` for an IPv6 one.
fn family(host: &str) -> &'static str {
    if host.contains(':') {
        "AF_INET6"
    } else {
        "AF_INET"
    }
}

/// A Python string literal for `text`.
pub fn py_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` as a unit repeated, when it is one (at least 4 times): a long
/// test message reads as `"…" * 768` instead of pages of characters.
pub fn repetition(text: &str) -> Option<(&str, usize)> {
    let len = text.len();
    (1..=len / 4)
        .filter(|p| len.is_multiple_of(*p) && text.is_char_boundary(*p))
        .find(|p| {
            let unit = &text.as_bytes()[..*p];
            text.as_bytes().chunks(*p).all(|c| c == unit)
        })
        .map(|p| (&text[..p], len / p))
}

/// A Python expression for the message `text`.
fn py_message(text: &str) -> String {
    match repetition(text) {
        Some((unit, times)) if text.len() > 80 => format!("{} * {times}", py_str(unit)),
        _ => py_str(text),
    }
}

/// A Rust expression for the message `text` (a `&str`).
fn rust_message(text: &str) -> String {
    match repetition(text) {
        Some((unit, times)) if text.len() > 80 => format!("&{}.repeat({times})", rust_str(unit)),
        _ => rust_str(text),
    }
}

/// A Rust string literal for `text`.
pub fn rust_str(text: &str) -> String {
    format!("{text:?}")
}

/// A shell word for `text`, in single quotes.
pub fn sh_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `host:port` as Rust's `connect` takes it (`[v6]:port`).
fn rust_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub fn tcp_client_python(host: &str, port: u16, message: &str, then: After) -> String {
    let family = family(host);
    let host = py_str(host);
    let message = py_message(message);
    let ending = match then {
        After::Shutdown => {
            "\n    # shutdown(SHUT_WR) sends a FIN: \"I have nothing more to send\".\n    \
             # We can still read; recv() returns b\"\" once the server's FIN arrives.\n    \
             sock.shutdown(socket.SHUT_WR)\n    \
             while chunk := sock.recv(1024):\n        \
             received += chunk\n    \
             print(\"the server closed its side too\")\n"
        }
        After::Close | After::Keep => "",
    };
    format!(
        r#"import socket

HOST = {host}
PORT = {port}
MESSAGE = {message}

# {family}: an address family; SOCK_STREAM: TCP, a stream of bytes.
with socket.socket(socket.{family}, socket.SOCK_STREAM) as sock:
    sock.settimeout(5)  # never wait forever
    sock.connect((HOST, PORT))  # the three-way handshake happens here
    print("connected from", sock.getsockname(), "to", sock.getpeername())
    data = MESSAGE.encode("utf-8")  # sockets carry bytes, not text
    sock.sendall(data)
    # One recv() may return part of the answer: read until we have it all.
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(1024)
        if not chunk:  # b"": the server closed its side
            break
        received += chunk
    print("received:", received.decode("utf-8"))
{ending}# Leaving the with-block calls sock.close().
"#
    )
}

pub fn tcp_client_rust(host: &str, port: u16, message: &str, then: After) -> String {
    let addr = rust_str(&rust_addr(host, port));
    let message = rust_message(message);
    let ending = match then {
        After::Shutdown => {
            "\n    // shutdown(Write) sends a FIN; read_to_end returns once the server's FIN arrives.\n    \
             stream.shutdown(Shutdown::Write)?;\n    \
             stream.read_to_end(&mut received)?;\n    \
             println!(\"the server closed its side too\");\n"
        }
        After::Close | After::Keep => "",
    };
    let shutdown_import = match then {
        After::Shutdown => ", Shutdown",
        _ => "",
    };
    format!(
        r#"use std::io::{{Read, Write}};
use std::net::{{TcpStream{shutdown_import}}};
use std::time::Duration;

fn main() -> std::io::Result<()> {{
    // connect() does the three-way handshake.
    let mut stream = TcpStream::connect({addr})?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?; // never wait forever
    println!("connected from {{}} to {{}}", stream.local_addr()?, stream.peer_addr()?);
    let message = {message};
    stream.write_all(message.as_bytes())?;
    // One read may return part of the answer: read until we have it all.
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    while received.len() < message.len() {{
        let n = stream.read(&mut buf)?;
        if n == 0 {{
            break; // the server closed its side
        }}
        received.extend_from_slice(&buf[..n]);
    }}
    println!("received: {{}}", String::from_utf8_lossy(&received));
{ending}    Ok(()) // dropping the stream closes it
}}
"#
    )
}

pub fn tcp_server_python(port: u16) -> String {
    format!(
        r#"import socket

HOST = "127.0.0.1"  # loopback: only programs on this machine can connect
PORT = {port}

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen()
    print(f"listening on {{HOST}}:{{PORT}}", flush=True)
    while True:
        conn, addr = server.accept()  # waits for a client's handshake
        with conn:
            print("connection from", addr, flush=True)
            while True:
                data = conn.recv(1024)
                if not data:  # b"": the client sent its FIN
                    break
                conn.sendall(data)  # echo the bytes back
        # Leaving the with-block closes this connection (our FIN).
"#
    )
}

pub fn tcp_server_rust(port: u16) -> String {
    format!(
        r#"use std::io::{{Read, Write}};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {{
    // bind + listen: loopback only, so only this machine can connect.
    let listener = TcpListener::bind("127.0.0.1:{port}")?;
    println!("listening on {{}}", listener.local_addr()?);
    for stream in listener.incoming() {{
        let mut stream = stream?; // accept()
        println!("connection from {{}}", stream.peer_addr()?);
        let mut buf = [0u8; 1024];
        loop {{
            let n = stream.read(&mut buf)?;
            if n == 0 {{
                break; // the client sent its FIN
            }}
            stream.write_all(&buf[..n])?; // echo the bytes back
        }}
        // The stream is dropped here: the connection closes (our FIN).
    }}
    Ok(())
}}
"#
    )
}

/// A server that reads each client's request to its FIN and answers with
/// it in capitals: what the page does when it is the server.
pub fn answer_server_python(port: u16) -> String {
    format!(
        r#"import socket

HOST = "127.0.0.1"  # loopback: only programs on this machine can connect
PORT = {port}

# The server speaks second: it claims an address and waits for clients.
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen()
    print(f"listening on {{HOST}}:{{PORT}}", flush=True)
    while True:
        conn, addr = server.accept()  # a new socket for this one client
        with conn:
            print("connection from", addr, flush=True)
            request = b""
            while chunk := conn.recv(1024):  # b"" once the client's FIN arrives
                request += chunk
            conn.sendall(request.upper())  # the answer: the request in capitals
        # Leaving the with-block closes this connection (our FIN).
"#
    )
}

/// A client that sends one request, says it is complete with a FIN, and
/// reads the answer to the server's FIN.
pub fn ask_client_python(port: u16, request: &str) -> String {
    let request = py_message(request);
    format!(
        r#"import socket

HOST = "127.0.0.1"  # where the server listens
PORT = {port}
REQUEST = {request}

# The client speaks first: it connects to the server's address.
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
    sock.settimeout(5)  # never wait forever
    sock.connect((HOST, PORT))
    print("connected from", sock.getsockname(), "to", sock.getpeername())
    sock.sendall(REQUEST.encode("utf-8"))
    sock.shutdown(socket.SHUT_WR)  # our FIN: the request is complete
    answer = b""
    while chunk := sock.recv(1024):  # b"" once the server's FIN arrives
        answer += chunk
    print("received:", answer.decode("utf-8"))
"#
    )
}

pub fn answer_server_rust(port: u16) -> String {
    format!(
        r#"use std::io::{{Read, Write}};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {{
    // bind + listen: loopback only, so only this machine can connect.
    let listener = TcpListener::bind("127.0.0.1:{port}")?;
    println!("listening on {{}}", listener.local_addr()?);
    for stream in listener.incoming() {{
        let mut stream = stream?; // accept(): a new socket for this one client
        println!("connection from {{}}", stream.peer_addr()?);
        let mut request = Vec::new();
        stream.read_to_end(&mut request)?; // returns at the client's FIN
        stream.write_all(&request.to_ascii_uppercase())?; // the answer
        // The stream is dropped here: the connection closes (our FIN).
    }}
    Ok(())
}}
"#
    )
}

pub fn ask_client_rust(port: u16, request: &str) -> String {
    let request = rust_message(request);
    format!(
        r#"use std::io::{{Read, Write}};
use std::net::{{Shutdown, TcpStream}};
use std::time::Duration;

fn main() -> std::io::Result<()> {{
    // The client speaks first: it connects to the server's address.
    let mut stream = TcpStream::connect("127.0.0.1:{port}")?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?; // never wait forever
    println!("connected from {{}} to {{}}", stream.local_addr()?, stream.peer_addr()?);
    stream.write_all({request}.as_bytes())?;
    stream.shutdown(Shutdown::Write)?; // our FIN: the request is complete
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?; // returns at the server's FIN
    println!("received: {{}}", String::from_utf8_lossy(&answer));
    Ok(())
}}
"#
    )
}

fn seconds(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

pub fn udp_client_python(host: &str, port: u16, message: &str, timeout_ms: u64) -> String {
    let family = family(host);
    let host = py_str(host);
    let message = py_str(message);
    let timeout = seconds(timeout_ms);
    format!(
        r#"import socket

HOST = {host}
PORT = {port}
MESSAGE = {message}

# SOCK_DGRAM: UDP, separate datagrams, no connection and no handshake.
with socket.socket(socket.{family}, socket.SOCK_DGRAM) as sock:
    sock.settimeout({timeout})  # UDP never tells us a datagram was lost
    sock.sendto(MESSAGE.encode("utf-8"), (HOST, PORT))
    try:
        data, sender = sock.recvfrom(2048)  # one whole datagram
        print("received:", data.decode("utf-8"), "from", sender)
    except TimeoutError:
        print("no answer within {timeout} s: a datagram was lost")
"#
    )
}

pub fn udp_client_rust(host: &str, port: u16, message: &str, timeout_ms: u64) -> String {
    let local = if host.contains(':') {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let addr = rust_str(&rust_addr(host, port));
    let message = rust_str(message);
    format!(
        r#"use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::Duration;

fn main() -> std::io::Result<()> {{
    // Any free local port; no connection, no handshake.
    let socket = UdpSocket::bind("{local}")?;
    // UDP never tells us a datagram was lost: wait a while, then give up.
    socket.set_read_timeout(Some(Duration::from_millis({timeout_ms})))?;
    socket.send_to({message}.as_bytes(), {addr})?;
    let mut buf = [0u8; 2048];
    match socket.recv_from(&mut buf) {{
        Ok((n, from)) => println!("received: {{}} from {{from}}", String::from_utf8_lossy(&buf[..n])),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {{
            println!("no answer within {timeout_ms} ms: a datagram was lost")
        }}
        Err(e) => return Err(e),
    }}
    Ok(())
}}
"#
    )
}

pub fn udp_server_python(port: u16) -> String {
    format!(
        r#"import socket

HOST = "127.0.0.1"
PORT = {port}

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
    server.bind((HOST, PORT))  # no listen() and no accept(): there are no connections
    print(f"waiting for datagrams on {{HOST}}:{{PORT}}", flush=True)
    while True:
        data, sender = server.recvfrom(2048)
        server.sendto(data, sender)  # answer whoever sent it
"#
    )
}

/// Where a program that needs tokio goes: a Cargo project's main file.
pub const TOKIO_MAIN: &str = "src/main.rs";
/// How to run it, tokio added with the features the program uses.
pub const TOKIO_RUN: &str = "cargo new clients && cd clients && cargo add tokio --features rt,net,io-util,macros,time; put this in src/main.rs; cargo run";

/// `count` clients at once on one event loop, as `asyncio` writes it:
/// each connects, sends `message`, reads the answer to the server's close;
/// `asyncio.gather` runs them together.
pub fn many_clients_python(host: &str, port: u16, message: &str, count: u8) -> String {
    let host = py_str(host);
    let message = py_message(message);
    format!(
        r#"import asyncio
import time

HOST = {host}
PORT = {port}
MESSAGE = {message}
CLIENTS = {count}


async def ask(n):
    # Each await hands control back to the event loop, which runs the
    # other clients while this one waits.
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(MESSAGE.encode("utf-8"))  # sockets carry bytes, not text
    await writer.drain()
    # read() with no size reads until the server closes its side.
    answer = await asyncio.wait_for(reader.read(), timeout=10)  # never wait forever
    writer.close()
    await writer.wait_closed()
    print(f"client {{n}} received:", answer.decode("utf-8").strip())


async def main():
    started = time.perf_counter()
    # One event loop, many waits: gather runs every client at once.
    await asyncio.gather(*(ask(n) for n in range(1, CLIENTS + 1)))
    print(f"{{CLIENTS}} clients in {{time.perf_counter() - started:.2f}} s")


asyncio.run(main())
"#
    )
}

/// [`many_clients_python`] with tokio on one thread: one task per client.
pub fn many_clients_rust(host: &str, port: u16, message: &str, count: u8) -> String {
    let addr = rust_str(&rust_addr(host, port));
    let message = rust_message(message);
    format!(
        r#"// A Cargo project with tokio: see "Run" below.
use std::time::{{Duration, Instant}};

use tokio::io::{{AsyncReadExt, AsyncWriteExt}};
use tokio::net::TcpStream;

const CLIENTS: usize = {count};

async fn ask(n: usize) -> std::io::Result<()> {{
    // Each .await hands control back to the runtime, which runs the other
    // clients while this one waits.
    let mut stream = TcpStream::connect({addr}).await?;
    let message = {message};
    stream.write_all(message.as_bytes()).await?;
    // read_to_end reads until the server closes its side.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await??;
    println!("client {{n}} received: {{}}", String::from_utf8_lossy(&answer).trim());
    Ok(())
}}

// One thread, one event loop: every client's waits overlap on it.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {{
    let started = Instant::now();
    let clients: Vec<_> = (1..=CLIENTS).map(|n| tokio::spawn(ask(n))).collect();
    for client in clients {{
        client.await.expect("a client task panicked")?;
    }}
    println!("{{CLIENTS}} clients in {{:.2}} s", started.elapsed().as_secs_f64());
    Ok(())
}}
"#
    )
}

/// Practice project 2: a health checker that asks each of `urls` in turn
/// and prints its status and how long it took, as `requests` and a shell
/// loop of `curl` write it; `timeout_s` bounds each wait.
pub fn health_checker(urls: &[String], timeout_s: u64) -> Vec<Program> {
    let list: String = urls
        .iter()
        .map(|url| format!("    {},\n", py_str(url)))
        .collect();
    let py = format!(
        r#"import time

import requests

URLS = [
{list}]
TIMEOUT = {timeout_s}  # seconds: to connect, and for the answer to begin

for url in URLS:
    started = time.perf_counter()
    try:
        response = requests.get(url, timeout=TIMEOUT)
    except requests.exceptions.Timeout:
        print(f"DOWN {{url}}: no answer within {{TIMEOUT}} s")
        continue
    except requests.exceptions.ConnectionError as error:
        print(f"DOWN {{url}}: cannot connect: {{error}}")
        continue
    took_ms = (time.perf_counter() - started) * 1000
    # elapsed: until the response's head had been read (not the body).
    head_ms = response.elapsed.total_seconds() * 1000
    state = "UP  " if response.ok else "DOWN"  # ok: a status below 400
    print(f"{{state}} {{url}}: {{response.status_code}} {{response.reason}}, "
          f"{{took_ms:.0f}} ms (head after {{head_ms:.0f}} ms)")
"#
    );
    let words: Vec<String> = urls.iter().map(|url| sh_word(url)).collect();
    let curl = format!(
        "# Each phase, in seconds from the start: the name looked up, connected,\n\
         # the first byte of the answer, the last.\n\
         for url in {}; do\n  \
         curl -sS -o /dev/null --max-time {timeout_s} \\\n    \
         -w \"HTTP/%{{http_version}} %{{http_code}} $url: name %{{time_namelookup}} s, connected %{{time_connect}} s, first byte %{{time_starttransfer}} s, total %{{time_total}} s\\n\" \\\n    \
         \"$url\" || echo \"DOWN $url\"\n\
         done\n",
        words.join(" ")
    );
    vec![
        program("client.py", Lang::Python, Role::Client, py),
        program("shell", Lang::Shell, Role::Client, curl),
    ]
}

/// An HTTP request as Python's `requests` and `curl` write it. A body that
/// is JSON goes as `json=`; `timeout_s` bounds each wait.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &str,
    timeout_s: u64,
) -> Vec<Program> {
    let json_body = serde_json::from_str::<serde_json::Value>(body).ok();
    let tls = url.starts_with("https://");
    let mut py = String::from("import requests\n\n");
    if tls {
        py.push_str(LAB_CA_PY);
    }
    let mut args = vec![py_str(url)];
    if !headers.is_empty() {
        let pairs: Vec<String> = headers
            .iter()
            .map(|(n, v)| format!("{}: {}", py_str(n), py_str(v)))
            .collect();
        py.push_str(&format!("headers = {{{}}}\n", pairs.join(", ")));
        args.push("headers=headers".into());
    }
    match (&json_body, body.is_empty()) {
        (_, true) => {}
        (Some(_), false) => {
            py.push_str(&format!("payload = json.loads({})\n", py_str(body)));
            py = py.replace("import requests", "import json\n\nimport requests");
            args.push("json=payload".into());
        }
        (None, false) => {
            py.push_str(&format!("body = {}\n", py_str(body)));
            args.push("data=body.encode(\"utf-8\")".into());
        }
    }
    args.push(format!("timeout={timeout_s}"));
    if tls {
        args.push("verify=LAB_CA".into());
    }
    let call = match method.to_ascii_uppercase().as_str() {
        m @ ("GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD") => {
            format!("requests.{}({})", m.to_ascii_lowercase(), args.join(", "))
        }
        other => format!("requests.request({}, {})", py_str(other), args.join(", ")),
    };
    py.push_str(&format!(
        r#"
try:
    response = {call}
    print(response.status_code, response.reason)
    response.raise_for_status()  # 4xx and 5xx become an HTTPError
    print(response.text)
except requests.exceptions.Timeout:
    print("no answer within {timeout_s} s")
{refused}except requests.exceptions.HTTPError as error:
    print("the server answered with an error:", error)
"#,
        refused = if tls {
            "except requests.exceptions.SSLError as error:\n    \
             # The handshake failed: no request was sent.\n    \
             print(\"the certificate was refused:\", error)\n"
        } else {
            ""
        }
    ));
    let mut curl = format!("curl -sS -i --max-time {timeout_s}");
    if tls {
        // The lab's CA, saved from the relay as the Python program says.
        curl.push_str(" --cacert lab-ca.pem");
    }
    if !method.eq_ignore_ascii_case("GET") {
        curl.push_str(&format!(" -X {}", sh_word(method)));
    }
    for (name, value) in headers {
        curl.push_str(&format!(" -H {}", sh_word(&format!("{name}: {value}"))));
    }
    if !body.is_empty() {
        if json_body.is_some() {
            curl.push_str(" -H 'Content-Type: application/json'");
        }
        curl.push_str(&format!(" --data {}", sh_word(body)));
    }
    curl.push_str(&format!(" {}\n", sh_word(url)));
    vec![
        program("client.py", Lang::Python, Role::Client, py),
        program("shell", Lang::Shell, Role::Client, curl),
    ]
}

/// The Python type (or types) `isinstance` takes for a JSON type.
fn py_type(kind: JsonType) -> &'static str {
    match kind {
        JsonType::String => "str",
        JsonType::Number => "(int, float)",
        JsonType::Boolean => "bool",
        JsonType::Null => "type(None)",
        JsonType::Array => "list",
        JsonType::Object => "dict",
    }
}

/// A client that reads a JSON document and checks it before it uses it,
/// as `requests` and `curl` write it: the status, the content type, a
/// parse that may fail, the shape (an object), and each of `expect`'s
/// top-level keys (`city:string temp:number`) there and of its type.
/// With `max_bytes` it reads the body itself and stops past that size.
pub fn json_client(url: &str, expect: &str, max_bytes: Option<u64>) -> Vec<Program> {
    let timeout_s = JSON_TIMEOUT_MS / 1000;
    let expected: Vec<String> = parse_key_list(expect)
        .iter()
        .map(|entry| {
            let (key, kind) = entry.rsplit_once(':').unwrap_or((entry, ""));
            let kind = JsonType::parse(kind).map_or("object", py_type);
            format!("    {}: {kind},\n", py_str(key))
        })
        .collect();
    let (imports, fetch) = match max_bytes {
        None => (
            "import requests\n",
            format!(
                r#"response = requests.get(URL, timeout={timeout_s})
response.raise_for_status()  # 4xx and 5xx become an HTTPError
content_type = response.headers.get("Content-Type", "")
print(response.status_code, response.reason, content_type)
if "json" not in content_type:
    raise SystemExit("the server did not say the body is JSON")
try:
    data = response.json()  # JSON text -> dict, list, str, int, float, bool, None
except requests.exceptions.JSONDecodeError as error:  # also a ValueError
    raise SystemExit(f"the body is not JSON: {{error}}")
"#
            ),
        ),
        Some(max) => (
            "import json\n\nimport requests\n",
            format!(
                r#"MAX_BYTES = {max}  # more than this program expects: refuse it

# stream=True: read the body ourselves, and stop once it is too large.
with requests.get(URL, timeout={timeout_s}, stream=True) as response:
    response.raise_for_status()  # 4xx and 5xx become an HTTPError
    print(response.status_code, response.reason, response.headers.get("Content-Type"))
    declared = response.headers.get("Content-Length")
    if declared and int(declared) > MAX_BYTES:
        raise SystemExit(f"too large: {{declared}} bytes declared, at most {{MAX_BYTES}} accepted")
    # A length can be missing or wrong: count the bytes as they arrive.
    body = b""
    for chunk in response.iter_content(8192):
        body += chunk
        if len(body) > MAX_BYTES:
            raise SystemExit(f"too large: more than {{MAX_BYTES}} bytes")
try:
    data = json.loads(body)
except ValueError as error:  # json.JSONDecodeError is a ValueError
    raise SystemExit(f"the body is not JSON: {{error}}")
"#
            ),
        ),
    };
    let expected: String = expected.concat();
    let py = format!(
        r#"{imports}
URL = {url}
# The keys this program reads, and the type each must have.
EXPECTED = {{
{expected}}}


def is_a(value, kind):
    # True and False are ints in Python: a number must not be a bool.
    if isinstance(value, bool):
        return kind is bool
    return isinstance(value, kind)


{fetch}
# The shape: one object (a dict), not a list or a single value.
if not isinstance(data, dict):
    raise SystemExit(f"expected a JSON object, got {{type(data).__name__}}")
problems = []
for key, kind in EXPECTED.items():
    if key not in data:  # data[key] would raise KeyError
        problems.append(f"{{key!r}} is missing")
    elif not is_a(data[key], kind):
        problems.append(f"{{key!r}} has the wrong type: {{type(data[key]).__name__}}")
if problems:
    raise SystemExit("rejected: " + "; ".join(problems))
# Every key is there and of its type: data[key] is safe now. A key the
# program can do without is read with a default: data.get(key, default).
print("the document has the expected shape:", {{key: data[key] for key in EXPECTED}})
"#,
        url = py_str(url),
    );
    let mut curl = format!("curl -sS -i --max-time {timeout_s}");
    if let Some(max) = max_bytes {
        // curl stops with its error 63 when the declared length is larger.
        curl.push_str(&format!(" --max-filesize {max}"));
    }
    curl.push_str(&format!(
        " -H 'Accept: application/json' {}\n",
        sh_word(url)
    ));
    vec![
        program("client.py", Lang::Python, Role::Client, py),
        program("shell", Lang::Shell, Role::Client, curl),
    ]
}
/// Said before an HTTPS request to the lab: which CA to trust, and where it
/// comes from.
const LAB_CA_PY: &str = "# The lab's certificates are signed by the lab's own CA, which your system
# does not trust (and should not). Save it next to this file from the
# relay: http://<the relay's address>/lab-ca.pem, the address this page
# came from. verify= trusts that one CA for this request, and the name,
# the signatures and the dates are all still checked.
LAB_CA = \"lab-ca.pem\"

";

/// A GET with retries, as a program that survives a flaky server writes
/// it: a timeout on each attempt, retries of timeouts, connection errors,
/// 429 and 5xx only, exponential backoff with full jitter (or none), the
/// server's `Retry-After` honoured, and each failure said clearly. A
/// `{key}` in `url` becomes a key of each run's own.
pub fn http_retry(url: &str, retry: Retry, timeout_s: u64) -> Vec<Program> {
    let (py_url, sh_url) = match url.split_once("{key}") {
        Some((before, after)) => (
            match after {
                "" => format!("{} + uuid.uuid4().hex", py_str(&format!("{before}py-"))),
                _ => format!(
                    "{} + uuid.uuid4().hex + {}",
                    py_str(&format!("{before}py-")),
                    py_str(after)
                ),
            },
            format!(
                "{}\"sh-$$-$(date +%s)\"{}",
                sh_word(before),
                if after.is_empty() {
                    String::new()
                } else {
                    sh_word(after)
                }
            ),
        ),
        None => (py_str(url), sh_word(url)),
    };
    let attempts = retry.max_attempts;
    let base = seconds(retry.base_ms);
    let cap = seconds(Retry::CAP_MS);
    let jitter = if retry.jitter {
        "    wait = random.uniform(0, wait)  # full jitter: many clients spread out\n"
    } else {
        ""
    };
    let py = format!(
        r#"import random
import time
import uuid

import requests

# A fresh key: the lab's /flaky counts the attempts of each key.
URL = {py_url}
ATTEMPTS = {attempts}  # in all, the first one included
BASE = {base}  # seconds to wait after the first failure; doubled after each
CAP = {cap}  # no wait is longer than this
TIMEOUT = {timeout_s}  # seconds, for each attempt


def worth_retrying(status):
    # A 4xx is the request's fault: the same request fails again.
    return status == 429 or status >= 500


for attempt in range(1, ATTEMPTS + 1):
    response = None
    try:
        response = requests.get(URL, timeout=TIMEOUT)
        problem = f"status {{response.status_code}}" if worth_retrying(response.status_code) else None
    except requests.exceptions.Timeout:
        problem = f"no answer within {{TIMEOUT}} s"
    except requests.exceptions.ConnectionError as error:
        problem = f"connection failed: {{error}}"
    if problem is None:
        print(f"attempt {{attempt}}: {{response.status_code}} {{response.reason}}")
        break
    print(f"attempt {{attempt}} failed: {{problem}}", flush=True)
    if attempt == ATTEMPTS:
        print(f"gave up after {{ATTEMPTS}} attempts; the last one: {{problem}}")
        break
    wait = min(CAP, BASE * 2 ** (attempt - 1))
{jitter}    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.isdigit():
        wait = min(CAP, max(wait, int(retry_after)))  # the server said how long
    print(f"waiting {{wait:.2f}} s", flush=True)
    time.sleep(wait)
"#
    );
    // curl retries timeouts, 408, 429 and 5xx answers (500, 502, 503,
    // 504) with its own backoff (1 s, doubling), and honours Retry-After.
    let curl = format!(
        "curl -sS -i --max-time {timeout_s} --retry {} {sh_url}\n",
        attempts.saturating_sub(1)
    );
    vec![
        program("client.py", Lang::Python, Role::Client, py),
        program("shell", Lang::Shell, Role::Client, curl),
    ]
}

/// A DNS question as `dig` asks it of `server` (`ip:port` or an IP).
pub fn dig(name: &str, rtype: DnsType, server: &str) -> Program {
    let (ip, port) = match super::lesson::split_host_port(server) {
        Some((ip, port)) => (ip, Some(port)),
        None => (server.to_owned(), None),
    };
    let mut cmd = format!("dig @{ip}");
    if let Some(port) = port.filter(|p| *p != 53) {
        cmd.push_str(&format!(" -p {port}"));
    }
    cmd.push_str(&format!(" {} {}\n", sh_word(name), rtype.as_str()));
    program("shell", Lang::Shell, Role::Client, cmd)
}
