//! The course, in the order a first course in network programming takes.
//! Each lesson is plain data (see `lesson.rs`); `ARCHITECTURE.md` says how
//! to add one. Lab services are named, never given ports: the relay picks
//! their ports at start.

use crate::protocol::{DnsMode, DnsType, Faults, TlsFailure};

use super::checks::Check;
use super::lesson::{
    After, Choice, Lesson, Mistake, Predict, Retry, Setup, Step, Target, Try, View,
};
use crate::json_check::Fit;

const ECHO: Target = Target::Service("tcp-echo");
/// The concurrency lab: the same slow work (200 ms) served three ways.
const SLOW_ASYNC: Target = Target::Service("tcp-slow-async");
const SLOW_SERIAL: Target = Target::Service("tcp-slow-serial");
const SLOW_THREADS: Target = Target::Service("tcp-slow-threads");
/// Clients at once: as many lab connections as a public relay allows one
/// address.
const AT_ONCE: u8 = 4;
/// The line the slow servers read before they work.
const ASK: &str = "hello\n";
const UDP_ECHO: Target = Target::Service("udp-echo");
const ECHO_V4: Target = Target::ServiceOn {
    host: "127.0.0.1",
    service: "tcp-echo",
};
const ECHO_LOCALHOST: Target = Target::ServiceOn {
    host: "localhost",
    service: "tcp-echo",
};
const ECHO_V6: Target = Target::ServiceOn {
    host: "[::1]",
    service: "tcp-echo",
};
const ECHO_7: Target = Target::LabName {
    name: "echo.lab.test:7",
    service: "tcp-echo",
};
const WWW_80: Target = Target::LabName {
    name: "www.lab.test:80",
    service: "http-lab",
};
const WWW_443: Target = Target::LabName {
    name: "www.lab.test:443",
    service: "https-lab",
};
/// The HTTPS lab's siblings, each with a certificate a careful client
/// refuses (the relay checks lab services by name against `localhost`).
const WRONG_NAME: Target = Target::Service("https-wrong-name");
const UNKNOWN_CA: Target = Target::Service("https-unknown-ca");
const EXPIRED: Target = Target::Service("https-expired");
/// The token lesson 21 sends, to look for on the wire.
const TOKEN: &str = "learner-token";
/// `GET /bearer` with the token, from `target`.
const fn bearer(target: Target) -> Setup {
    Setup::Http {
        target,
        method: "GET",
        path: "/bearer",
        headers: &[("Authorization", "Bearer learner-token")],
        send: "",
        timeout_ms: Some(10_000),
        retry: None,
    }
}
/// `GET <path>` from `target`, with a timeout of ten seconds.
const fn get(target: Target, path: &'static str) -> Setup {
    Setup::Http {
        target,
        method: "GET",
        path,
        headers: &[],
        send: "",
        timeout_ms: Some(10_000),
        retry: None,
    }
}
/// The learner's own server, run from the code beside lesson 8 on the
/// relay's machine: `codegen::SERVER_PORT` on loopback.
pub use super::lesson::OWN_SERVER;
/// 64 characters, repeated into [`BIG`].
const BIG_UNIT: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
static BIG_BYTES: [u8; 64 * 768] = {
    let mut out = [0u8; 64 * 768];
    let mut i = 0;
    while i < out.len() {
        out[i] = BIG_UNIT[i % 64];
        i += 1;
    }
    out
};
/// 48 KiB of text: larger than what the relay reads at once (16 KiB), so
/// its echo comes back in several pieces.
pub const BIG: &str = match std::str::from_utf8(&BIG_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("BIG_UNIT is ASCII"),
};
static MEDIUM_BYTES: [u8; 1200] = {
    let mut out = [0u8; 1200];
    let mut i = 0;
    while i < out.len() {
        out[i] = BIG_UNIT[i % 64];
        i += 1;
    }
    out
};
/// 1,200 bytes: one datagram, well under the 1,500-byte packets of most
/// networks and far under UDP's limit.
pub const MEDIUM: &str = match std::str::from_utf8(&MEDIUM_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("BIG_UNIT is ASCII"),
};
const TWO_LINES: &str = "first\nsecond\n";
/// Port 1 on loopback: nothing listens there on an ordinary machine.
const CLOSED: Target = Target::Literal("127.0.0.1:1");

const fn tcp(target: Target, send: &'static str, then: After) -> Setup {
    Setup::Tcp {
        target,
        send,
        then,
        faults: None,
    }
}

const fn udp(target: Target, send: &'static str, faults: Option<Faults>) -> Setup {
    Setup::Udp {
        target,
        send,
        recv_timeout_ms: 2_000,
        faults,
    }
}

const NO_FAULTS: Faults = Faults {
    latency_ms: None,
    drop_percent: None,
    drop_seed: None,
    reset_after_bytes: None,
    read_bytes_per_s: None,
};

const STATUS_201: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/status/201",
    headers: &[],
    send: "",
    timeout_ms: None,
    retry: None,
};
const STATUS_403: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/status/403",
    headers: &[],
    send: "",
    timeout_ms: None,
    retry: None,
};
const STATUS_500: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/status/500",
    headers: &[],
    send: "",
    timeout_ms: None,
    retry: None,
};
const REDIRECT: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/redirect/1",
    headers: &[],
    send: "",
    timeout_ms: None,
    retry: None,
};
const BEARER_NONE: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/bearer",
    headers: &[],
    send: "",
    timeout_ms: None,
    retry: None,
};
const BEARER_TOKEN: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/bearer",
    headers: &[("Authorization", "Bearer learner-token")],
    send: "",
    timeout_ms: None,
    retry: None,
};
const DELAY_5_TIMEOUT_2: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/delay/5",
    headers: &[],
    send: "",
    timeout_ms: Some(2_000),
    retry: None,
};

const fn flaky(path: &'static str, timeout_ms: u64, max_attempts: u32) -> Setup {
    Setup::Http {
        target: WWW_80,
        method: "GET",
        path,
        headers: &[],
        send: "",
        timeout_ms: Some(timeout_ms),
        retry: Some(Retry {
            max_attempts,
            base_ms: 200,
            jitter: true,
        }),
    }
}
const FLAKY_TWICE: Setup = flaky("/flaky?fail=2&status=500&key={key}", 10_000, 4);
const RETRY_AFTER: Setup = flaky(
    "/flaky?fail=1&status=503&retry_after=2&key={key}",
    10_000,
    3,
);
/// Lesson 22: the same bearer token as [`BEARER_TOKEN`], in the query string
/// of the lab's `/get`, which answers with the URL it received.
const TOKEN_IN_URL: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/get?token=learner-token",
    headers: &[],
    send: "",
    timeout_ms: Some(10_000),
    retry: None,
};
/// `abc` is not a status code: the lab validates it and answers 400.
const BAD_INPUT: Setup = Setup::Http {
    target: WWW_80,
    method: "GET",
    path: "/status/abc",
    headers: &[],
    send: "",
    timeout_ms: Some(10_000),
    retry: None,
};
/// A server that rate-limits the first attempt: 429 with `Retry-After: 1`.
const RATE_LIMITED: Setup = flaky(
    "/flaky?fail=1&status=429&retry_after=1&key={key}",
    10_000,
    3,
);
const GIVE_UP: Setup = flaky("/flaky?fail=5&status=500&key={key}", 10_000, 3);
/// Slow failing attempts answer after 3 s; the timeout is 1 s.
const TIMEOUT_THEN_RETRY: Setup = flaky(
    "/flaky?fail=1&mode=timeout&delay_ms=3000&key={key}",
    1_000,
    3,
);

/// `/delay/3` answers after three seconds; asked with no timeout of the
/// lesson's own (the relay's defaults), or with a timeout of one second.
const fn delay_3(timeout_ms: Option<u64>) -> Setup {
    Setup::Http {
        target: WWW_80,
        method: "GET",
        path: "/delay/3",
        headers: &[],
        send: "",
        timeout_ms,
        retry: None,
    }
}
/// The echo reading slowly: 200 bytes every quarter of a second.
const SLOW_READER: Faults = Faults {
    read_bytes_per_s: Some(800),
    ..NO_FAULTS
};
/// What the lab adds to each piece the echo reads: a long link.
const LINK_LATENCY_MS: u64 = 300;
const LONG_LINK: Faults = Faults {
    latency_ms: Some(LINK_LATENCY_MS as u32),
    ..NO_FAULTS
};

/// The endpoints a health check of the lab asks when all is well.
const HEALTHY: &[&str] = &["/get", "/json", "/delay/1"];
const WITH_502: &[&str] = &["/get", "/status/502"];
const WITH_SLOW: &[&str] = &["/delay/4", "/get"];
const fn health(paths: &'static [&'static str], timeout_ms: u64) -> Setup {
    Setup::Checks {
        target: WWW_80,
        paths,
        timeout_ms,
    }
}

/// What the JSON lesson's program needs of the lab's weather report, as
/// the payload inspector takes it.
const WEATHER: &str = "city:string temp:number";
const fn json_get(path: &'static str, expect: &'static str, max_bytes: Option<u64>) -> Setup {
    Setup::Json {
        target: WWW_80,
        path,
        expect,
        max_bytes,
    }
}
const JSON_MISSING: Check = Check::JsonFit(WWW_80, "/json/missing-key", WEATHER, Fit::Missing);
const JSON_NOT_JSON: Check = Check::JsonFit(WWW_80, "/json/not-json", WEATHER, Fit::NotJson);
/// The JSON lesson's limit on a body: far more than a weather report.
const JSON_LIMIT: u64 = 64 * 1024;

/// Every lesson, in course order.
pub const LESSONS: &[Lesson] = &[
    Lesson {
        slug: "what-is-networking",
        title: "Two programs and a protocol",
        summary: "A first round trip: connect to the echo service, send text, get it back.",
        text: "Networking is two programs talking. One of them, the **server**, waits for others \
to contact it. The other, the **client**, starts the conversation. They may run on the same \
computer or on two continents; the code is the same. What they say follows a **protocol**: \
rules both sides agree on.

The **echo service** is one of the lab services this relay runs for you, and its protocol is \
the simplest there is: every byte it receives, it sends back unchanged.

A web page cannot open a network connection by itself, so this page asks the relay to do it \
and reports every step. The sequence diagram beside this lesson has a lane for each party: \
**Browser** (this page), **Relay** (the program doing the networking) and **Target** (the \
echo service). Blue arrows are what the page asked for, purple arrows are TCP's own control \
messages, green arrows carry your data, and grey notes are things the relay did by itself.

Press the first button. The relay connects to the echo service: the purple `SYN → …` arrow \
goes out and `SYN-ACK (connected)` comes back. That is TCP's handshake; you will meet it \
again. Then your text travels as bytes (the green arrows, labelled with the text and its \
size), and the same bytes come back: a **round trip**.

The second button has a whole conversation: connect, send, then `close`. The purple \
`FIN (close)` arrow is your side saying \"I have nothing more to send\".

Every conversation you will program has these parts: a start, data in both directions, and \
an end. The code beside the lesson does the same from a program of your own.",
        steps: &[
            Step {
                text: "Connect to the echo service and send `hello`.",
                button: "Connect and send",
                setup: tcp(ECHO, "hello", After::Keep),
                check: Check::Echoed(ECHO),
                check_label: "the same bytes came back from the echo service",
                predict: Some(Predict {
                    question: "The echo service receives the five bytes of `hello`. What comes back?",
                    choices: &[
                        Choice {
                            label: "the same five bytes: hello",
                            shows: Some(Check::Echoed(ECHO)),
                        },
                        Choice {
                            label: "nothing: servers only listen",
                            shows: None,
                        },
                        Choice {
                            label: "an error: nobody asked a question",
                            shows: None,
                        },
                    ],
                    explain: "Look for the green arrow from Target back to Relay: its label \
shows the bytes that came back.",
                }),
            },
            Step {
                text: "Have a whole conversation: connect, send `goodbye`, and close.",
                button: "Connect, send, close",
                setup: tcp(ECHO, "goodbye", After::Close),
                check: Check::ClosedByPage(ECHO),
                check_label: "your side closed the connection (FIN)",
                predict: None,
            },
        ],
        tries: &[
            Try {
                text: "Send text that is not English: `grüße, 你好`. Count the bytes on the arrow: \
UTF-8 uses more than one byte for these characters.",
                setup: tcp(ECHO, "grüße, 你好", After::Close),
            },
            Try {
                text: "Connect and send nothing: the handshake still happens.",
                setup: tcp(ECHO, "", After::Close),
            },
        ],
        mistake: Some(Mistake {
            title: "Sending text instead of bytes",
            text: "A socket carries bytes, not text. In Python, `sock.sendall(\"hello\")` fails \
with `TypeError: a bytes-like object is required, not 'str'`. Encode first: \
`\"hello\".encode(\"utf-8\")`, and decode what you receive with `.decode(\"utf-8\")`.",
            show: None,
        }),
        views: &[View::Sequence],
        server_code: true,
    },
    Lesson {
        slug: "ip-addresses",
        title: "IP addresses",
        summary: "IPv4 and IPv6, loopback, names, and what a wrong address does.",
        text: "To talk to a program, you first need to reach its computer. Every computer on a \
network has at least one **IP address**, and every packet carries the address it comes from \
and the address it goes to.

There are two forms. An **IPv4** address is four numbers from 0 to 255, such as \
`192.0.2.10`: about four billion addresses, which is not enough for today's internet. An \
**IPv6** address is 128 bits written as groups of hexadecimal digits, such as \
`2001:db8::10`, where `::` stands for a run of zero groups. When a port follows an IPv6 \
address, the address goes in brackets: `[2001:db8::10]:80`.

One address is special: **loopback** means \"this computer\". In IPv4 it is `127.0.0.1` (in \
fact all of `127.0.0.0/8`), in IPv6 it is `::1`. Traffic to loopback never leaves the \
machine, which is why the lab services listen there. The name `localhost` usually stands for \
both: a lookup turns it into addresses, and a client tries them one by one.

A server does not listen on \"the computer\"; it listens on particular addresses. The echo \
service listens on `127.0.0.1` only. Watch the third step closely.

When an address is wrong, three different things can happen, and your program sees each \
differently:

- **refused**: the machine is there, nothing listens, and it answers with an RST at once;
- **timed out**: nothing answers at all (the address is unused, or a firewall drops the \
packets), so the client waits until its own deadline;
- **unreachable**: your machine or a router knows there is no way there and says so.

Each shows in the diagram as a red row with its reason.",
        steps: &[
            Step {
                text: "Connect to the echo service by its IPv4 loopback address, `127.0.0.1`.",
                button: "Connect by IPv4",
                setup: tcp(ECHO_V4, "via IPv4", After::Close),
                check: Check::Echoed(ECHO_V4),
                check_label: "the echo answered at 127.0.0.1",
                predict: None,
            },
            Step {
                text: "Connect by the name `localhost`: the relay looks it up first (the grey \
`resolve` note), then connects to an address it got.",
                button: "Connect by name",
                setup: tcp(ECHO_LOCALHOST, "via localhost", After::Close),
                check: Check::ResolvedThenConnected(ECHO_LOCALHOST),
                check_label: "localhost became addresses, then one connected",
                predict: None,
            },
            Step {
                text: "Connect to the same port on the IPv6 loopback address, `[::1]`.",
                button: "Connect by IPv6",
                setup: tcp(ECHO_V6, "via IPv6", After::Close),
                check: Check::Refused(ECHO_V6),
                check_label: "::1 refused: the echo listens on 127.0.0.1 only",
                predict: Some(Predict {
                    question: "The echo listens on 127.0.0.1. You connect to the same port at \
::1, which is also this machine. What happens?",
                    choices: &[
                        Choice {
                            label: "the echo answers: both are loopback",
                            shows: Some(Check::Connected(ECHO_V6)),
                        },
                        Choice {
                            label: "refused: nothing listens on that address and port",
                            shows: Some(Check::Refused(ECHO_V6)),
                        },
                        Choice {
                            label: "a time-out: the packet gets lost",
                            shows: Some(Check::TimedOut(ECHO_V6)),
                        },
                    ],
                    explain: "The red row says `connection refused`: the machine answered at \
once, with an RST, because no socket listens on ::1 at that port.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "`127.0.0.2` is loopback too, but the echo did not bind it: refused.",
                setup: tcp(
                    Target::ServiceOn {
                        host: "127.0.0.2",
                        service: "tcp-echo",
                    },
                    "hi",
                    After::Close,
                ),
            },
            Try {
                text: "`192.0.2.1` is reserved for documentation: nothing answers, so the \
connection times out (this one leaves your machine).",
                setup: tcp(Target::Literal("192.0.2.1:80"), "", After::Close),
            },
        ],
        mistake: Some(Mistake {
            title: "A server on 127.0.0.1 is invisible to other machines",
            text: "A server bound to `127.0.0.1` accepts only connections from the same \
computer. To accept them from the network, bind `0.0.0.0` (every IPv4 address) — and only \
when you mean it.",
            show: None,
        }),
        views: &[View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "ports",
        title: "Ports",
        summary: "One address, many services: well-known ports, open and closed ports.",
        text: "An address gets you to a computer; a **port** gets you to one program on it. A \
port is a number from 1 to 65535, and a server asks the operating system for one when it \
starts. A TCP connection is addressed to an (address, port) pair, so one computer can run a \
web server, a mail server and a database side by side.

Clients expect common services on **well-known ports**, below 1024:

- 7: echo (the service of the first lesson)
- 22: SSH, remote logins
- 53: DNS, names to addresses
- 80: HTTP, the web
- 443: HTTPS, the web over TLS

This relay's lab services listen on high ports picked when it started, so that they need no \
privileges and collide with nothing. To let you practise with the real numbers, the lab's \
names lead the well-known ports to them: `echo.lab.test:7` reaches the echo service and \
`www.lab.test:80` the HTTP lab. A grey note in the diagram (`7 → …`) says which port the \
relay really used.

A port is **open** when a program listens on it: the handshake completes (`SYN-ACK`). It is \
**closed** when nothing listens: the operating system itself answers the `SYN` with an RST, \
and the client sees \"connection refused\" at once, in well under a millisecond on loopback. \
A firewall may instead drop the SYN silently; then the client only hears nothing, until its \
own timeout.

Programs that are not servers use ports too: when your client connects, the system gives it \
a free **ephemeral** port for its end. The endpoints list under the diagram shows it: the \
port on your side changes with every connection.",
        steps: &[
            Step {
                text: "Connect to the echo service on its well-known port: `echo.lab.test:7`.",
                button: "Connect to port 7",
                setup: tcp(ECHO_7, "port seven", After::Close),
                check: Check::Echoed(ECHO_7),
                check_label: "the echo answered on port 7",
                predict: None,
            },
            Step {
                text: "Connect to the HTTP lab on port 80, `www.lab.test:80`. Same kind of \
handshake, a different program behind it.",
                button: "Connect to port 80",
                setup: tcp(WWW_80, "", After::Close),
                check: Check::Connected(WWW_80),
                check_label: "port 80 is open: the handshake completed",
                predict: None,
            },
            Step {
                text: "Connect to port 1 on this machine, `127.0.0.1:1`, where nothing listens.",
                button: "Connect to a closed port",
                setup: tcp(CLOSED, "", After::Close),
                check: Check::Refused(CLOSED),
                check_label: "the closed port answered with an RST (refused)",
                predict: Some(Predict {
                    question: "Nothing listens on port 1. What comes back to the client?",
                    choices: &[
                        Choice {
                            label: "nothing: the client waits",
                            shows: Some(Check::TimedOut(CLOSED)),
                        },
                        Choice {
                            label: "an RST: connection refused",
                            shows: Some(Check::Refused(CLOSED)),
                        },
                        Choice {
                            label: "a SYN-ACK, then silence",
                            shows: Some(Check::Connected(CLOSED)),
                        },
                    ],
                    explain: "The red `failed: connection refused` row came at once: the \
operating system answered for the port.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "Port 443 is HTTPS: `www.lab.test:443` leads to the HTTPS lab.",
                setup: tcp(
                    Target::LabName {
                        name: "www.lab.test:443",
                        service: "https-lab",
                    },
                    "",
                    After::Close,
                ),
            },
            Try {
                text: "Port 22 on this machine: is an SSH server running here?",
                setup: tcp(Target::Literal("127.0.0.1:22"), "", After::Close),
            },
        ],
        mistake: Some(Mistake {
            title: "\"Address already in use\"",
            text: "Two programs cannot listen on the same address and port. Starting a second \
copy of a server fails with `OSError: [Errno 98] Address already in use`: stop the first, \
or pick another port.",
            show: None,
        }),
        views: &[View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "sockets",
        title: "Sockets and endpoints",
        summary: "An endpoint is an address and a port; a connection is two endpoints.",
        text: "A **socket** is what a program holds to use the network: the operating system \
gives it one, and the program connects, sends and receives through it. In Python it is the \
object `socket.socket(...)` returns; in Rust a `TcpStream`.

Each end of a conversation is an **endpoint**: an (address, port) pair, such as \
`127.0.0.1:51234`. A TCP connection joins two endpoints, and the four numbers together — \
local address, local port, remote address, remote port — name it. Every packet of the \
connection carries them, which is how the operating system hands each arriving packet to \
the right socket.

Press the first button. Once `SYN-ACK (connected)` arrives, the relay reports both \
endpoints, and the list under the diagram shows them. The remote one is the echo service's \
address and port. The local one is the relay's side of the connection, with an ephemeral \
port the system chose.

Now open a second connection to the same echo service while the first stays open. The \
remote endpoint is the same, so what tells the two connections apart? The local port: the \
system gives every new connection a different one. The diagram draws a **Client** lane for \
each of your sockets, so you see two conversations with one server side by side.

A server works the same way from its side. Its listening socket has one endpoint, and every \
connection it accepts gets a new socket that shares the server's port; the client's endpoint \
is what differs. That is how one web server on port 80 talks to thousands of clients at \
once.",
        steps: &[
            Step {
                text: "Open a connection to the echo service and keep it open.",
                button: "Open a connection",
                setup: tcp(ECHO, "first", After::Keep),
                check: Check::Connected(ECHO),
                check_label: "a connection with two endpoints is open",
                predict: None,
            },
            Step {
                text: "Open a second connection to the same echo service.",
                button: "Open another",
                setup: tcp(ECHO, "second", After::Keep),
                check: Check::TwoConnections(ECHO),
                check_label: "two connections to one server, told apart by the local port",
                predict: Some(Predict {
                    question: "The second connection goes to the same address and port. \
Which number is different?",
                    choices: &[
                        Choice {
                            label: "the local port",
                            shows: Some(Check::TwoConnections(ECHO)),
                        },
                        Choice {
                            label: "the server's port",
                            shows: None,
                        },
                        Choice {
                            label: "none: they share one connection",
                            shows: None,
                        },
                    ],
                    explain: "Compare the two rows of the endpoints list: the remote endpoint \
is the same, the local port is not.",
                }),
            },
        ],
        tries: &[Try {
            text: "A third connection: one more local port, one more Client lane.",
            setup: tcp(ECHO, "third", After::Keep),
        }],
        mistake: None,
        views: &[View::Sequence, View::Lifecycle],
        server_code: false,
    },
    Lesson {
        slug: "tcp-vs-udp",
        title: "TCP and UDP side by side",
        summary: "A stream with a handshake, or separate datagrams with none.",
        text: "Programs choose between two transport protocols. In Python the choice is the \
second argument of `socket.socket`: `SOCK_STREAM` for TCP, `SOCK_DGRAM` for UDP.

**TCP** gives you a connection. It starts with a handshake (the purple `SYN` and \
`SYN-ACK`), and then delivers a **stream** of bytes: everything you send arrives, in order, \
exactly once, or the connection fails and tells you. TCP numbers the bytes, acknowledges \
them and sends again what got lost; you never see that work, only a late arrival.

**UDP** gives you **datagrams**: separate messages of up to about 64 KB, each sent on its \
own. There is no handshake — in the diagram the UDP socket is just `bound` to a local port, \
and the first thing on the wire is your datagram. Each datagram arrives whole or not at all, \
and UDP itself never sends one again: a lost datagram is simply gone, and nobody tells you. \
Datagrams can also arrive out of order.

Why use UDP then? Because it costs nothing to start and never waits for a lost packet. DNS \
asks its questions over UDP (one datagram out, one back), and games and calls prefer a late \
packet skipped to a stream held up.

The third step asks the lab's UDP echo to drop every datagram it receives — the fault \
injector does this on purpose. Watch what your program gets: no error, no reply, only \
silence, until its own receive timeout (the grey `recv timed out` note). A UDP program must \
always set a timeout and decide what to do when it fires: ask again, or give up.",
        steps: &[
            Step {
                text: "Send `over TCP` to the TCP echo: handshake, data, close.",
                button: "Send over TCP",
                setup: tcp(ECHO, "over TCP", After::Close),
                check: Check::Echoed(ECHO),
                check_label: "TCP: handshake, then the bytes came back",
                predict: None,
            },
            Step {
                text: "Send one datagram to the UDP echo: no handshake, one message each way.",
                button: "Send a datagram",
                setup: udp(UDP_ECHO, "over UDP", None),
                check: Check::DatagramEchoed(UDP_ECHO),
                check_label: "UDP: a datagram came back",
                predict: None,
            },
            Step {
                text: "Send a datagram while the lab drops every datagram it receives.",
                button: "Send into a lossy network",
                setup: udp(
                    UDP_ECHO,
                    "anyone there?",
                    Some(Faults {
                        drop_percent: Some(100),
                        ..NO_FAULTS
                    }),
                ),
                check: Check::DatagramLost(UDP_ECHO),
                check_label: "a datagram was lost, and only the timeout said so",
                predict: Some(Predict {
                    question: "The datagram is dropped on the way. What does your program get?",
                    choices: &[
                        Choice {
                            label: "an error saying it was lost",
                            shows: None,
                        },
                        Choice {
                            label: "nothing, until its own timeout",
                            shows: Some(Check::DatagramLost(UDP_ECHO)),
                        },
                        Choice {
                            label: "the datagram, sent again later",
                            shows: None,
                        },
                    ],
                    explain: "After the green datagram arrow to Target nothing comes back, \
only the grey `recv timed out` note two seconds later.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "Half the datagrams dropped: send a few and see which come back.",
                setup: udp(
                    UDP_ECHO,
                    "maybe",
                    Some(Faults {
                        drop_percent: Some(50),
                        ..NO_FAULTS
                    }),
                ),
            },
            Try {
                text: "300 ms of latency on TCP: the same bytes, later.",
                setup: Setup::Tcp {
                    target: ECHO,
                    send: "slowly",
                    then: After::Close,
                    faults: Some(Faults {
                        latency_ms: Some(300),
                        ..NO_FAULTS
                    }),
                },
            },
        ],
        mistake: Some(Mistake {
            title: "No timeout on a UDP receive",
            text: "`sock.recvfrom(2048)` without `sock.settimeout(...)` waits forever when a \
datagram is lost — and on a real network some are. Set a timeout, and catch `TimeoutError`.",
            show: Some(udp(
                UDP_ECHO,
                "lost",
                Some(Faults {
                    drop_percent: Some(100),
                    ..NO_FAULTS
                }),
            )),
        }),
        views: &[View::Sequence],
        server_code: true,
    },
    Lesson {
        slug: "client-server",
        title: "Clients and servers",
        summary: "Who listens and who connects: the page as a server, and as its own client.",
        text: "Every conversation so far began with this page connecting to a service that was \
already running. That is the **client/server model**. A **server** starts first, claims an \
address and a port, and waits. A **client** connects to it whenever it likes. The roles say \
who waits and who begins, not how big the machine is: a laptop can be a server, and one \
program can be a client and a server at once.

A server makes three calls before anyone can reach it. `socket()` creates a socket, \
`bind()` claims an address and port, and `listen()` tells the system to accept connections \
there. From then on the system completes the handshake with every client that connects, and \
the server's `accept()` hands over each finished connection as a **new socket**, one per \
client. The listening socket carries no data; it only waits for the next client.

In this lesson the page plays both parts. The first button asks the relay to listen for the \
page: the grey notes `bound …` and `listening on …` show the address it picked on its \
machine. Nothing crosses the network while a server waits.

The second button makes the page a client too. It connects to that address, sends a request \
and shuts down its sending side, so its FIN says \"the request is complete\". The grey \
note `accepted as conn #1`, beside `listening on …`, is the listener taking the connection. \
The accepted connection reads up to the FIN, answers with the request in capitals and closes. \
Both ends are operations of this page: your client, and `conn #1`. The diagram draws them as \
two lanes, your client's address and the listener's: what crosses the connection is one arrow \
from the end that sent it to the end that got it, and `accept()` returning says `two ends of \
one TCP connection`. The endpoints list shows that each one's local address is the other's \
remote address.

The third button sends a second client. The same listener accepts it as `conn #2`, from \
another client port: one server, many clients, a connection each.

Client sends, a FIN ends the request, the answer comes back, the server closes: that small \
agreement is a protocol. The code beside the lesson writes it as two programs. Run \
`server.py` first, then `client.py`.",
        steps: &[
            Step {
                text: "Be the server: listen on a port the relay picks.",
                button: "Listen",
                setup: Setup::Listen,
                check: Check::Listening,
                check_label: "the relay listens for the page and says where",
                predict: Some(Predict {
                    question: "Your server listens and no client has come yet. What goes over \
the network?",
                    choices: &[
                        Choice {
                            label: "nothing: a listening socket only waits",
                            shows: Some(Check::Listening),
                        },
                        Choice {
                            label: "the server announces itself to the network",
                            shows: None,
                        },
                        Choice {
                            label: "a handshake with the relay",
                            shows: None,
                        },
                    ],
                    explain: "Only grey notes: `bound` and `listening on`, things the relay \
did on its own machine. No arrow reaches another party until a client connects.",
                }),
            },
            Step {
                text: "Be the client: connect to your listener, send `hello, server` and shut \
down your sending side.",
                button: "Connect as a client",
                setup: Setup::Serve {
                    send: "hello, server",
                },
                check: Check::Served,
                check_label: "the server got the request on an accepted connection, and the \
client got the answer",
                predict: Some(Predict {
                    question: "The client connects. On the server's side, which socket carries \
the request?",
                    choices: &[
                        Choice {
                            label: "a new socket that `accept()` returned for this client",
                            shows: Some(Check::Served),
                        },
                        Choice {
                            label: "the listening socket itself",
                            shows: None,
                        },
                    ],
                    explain: "The request arrives on `conn #1`, a socket of its own with a lane \
of its own; the listener only notes `accepted as conn #1`.",
                }),
            },
            Step {
                text: "Send a second client to the same listener.",
                button: "Connect a second client",
                setup: Setup::Serve { send: "me too" },
                check: Check::TwoClients,
                check_label: "one listener accepted two clients, from two ports",
                predict: None,
            },
        ],
        tries: &[Try {
            text: "A third client with a longer request: the same listener takes it, and \
the answer comes back in capitals.",
            setup: Setup::Serve {
                send: "a request of my own",
            },
        }],
        mistake: Some(Mistake {
            title: "Starting the client before the server",
            text: "Run `client.py` while no `server.py` listens, and `connect()` raises \
`ConnectionRefusedError`: nobody listens on the port, so the system answers the SYN with an \
RST. Start the server first; a client that may start early retries with a pause.",
            show: None,
        }),
        views: &[View::Sequence, View::Lifecycle],
        server_code: true,
    },
    Lesson {
        slug: "socket-lifecycle",
        title: "The socket lifecycle",
        summary: "create, connect, send/recv, shutdown, close — and FIN versus RST.",
        text: "A socket goes through a fixed series of states, and each socket call moves it \
along. The lifecycle view beside this lesson draws them and lights the path your socket \
took.

A **client** calls `socket()` to create it, `connect()` to do the handshake, then `send()` \
and `recv()` as long as the conversation lasts. A **server** calls `socket()`, `bind()` to \
take its address and port, `listen()` to accept connections, and `accept()`, which waits \
for a client and returns a new socket for that one connection.

The end of a conversation has two calls, and they are different:

- `shutdown(SHUT_WR)` closes only your sending direction: TCP sends a **FIN**, meaning \
\"I will send nothing more\". You can still receive. When the other side has sent \
everything too, its FIN arrives and `recv()` returns zero bytes (`b\"\"` in Python).
- `close()` gives the socket back to the system. A normal close also sends a FIN.

A FIN is a polite goodbye: everything sent before it is delivered first. An **RST** \
(reset) is an abort: the connection ends at once, data still on its way may be lost, and \
the other side's next call fails with \"connection reset by peer\" \
(`ConnectionResetError` in Python). A program sends an RST when it crashes, when it closes \
with unread data waiting, or on purpose.

The first step shuts down your side and waits: the echo service reads the FIN, has nothing \
left to echo, and closes its side with its own FIN — the purple arrow from Target. The \
lifecycle passes through **half-closed** before both sides are shut. The second step asks \
the lab to abort the connection after a few bytes: the red `RST` arrow.",
        steps: &[
            Step {
                text: "Connect, send `goodbye`, then shut down your sending side.",
                button: "Send, then shutdown",
                setup: tcp(ECHO, "goodbye", After::Shutdown),
                check: Check::FinFromServer(ECHO),
                check_label: "a FIN came from the server after yours",
                predict: None,
            },
            Step {
                text: "Connect to an echo that aborts after 4 bytes, and send 8.",
                button: "Send to an aborting server",
                setup: Setup::Tcp {
                    target: ECHO,
                    send: "abcdefgh",
                    then: After::Keep,
                    faults: Some(Faults {
                        reset_after_bytes: Some(4),
                        ..NO_FAULTS
                    }),
                },
                check: Check::Reset(ECHO),
                check_label: "the server reset the connection (RST)",
                predict: Some(Predict {
                    question: "The server aborts the connection in the middle. What reaches \
your socket?",
                    choices: &[
                        Choice {
                            label: "a FIN, like any goodbye",
                            shows: None,
                        },
                        Choice {
                            label: "an RST: connection reset",
                            shows: Some(Check::Reset(ECHO)),
                        },
                        Choice {
                            label: "nothing at all",
                            shows: None,
                        },
                    ],
                    explain: "The red `RST` arrow from Target ends the connection; the \
lifecycle goes to reset, not closed.",
                }),
            },
            Step {
                text: "A plain ending: connect, send `bye`, close.",
                button: "Send, then close",
                setup: tcp(ECHO, "bye", After::Close),
                check: Check::ClosedByPage(ECHO),
                check_label: "close() sent your FIN and ended the socket",
                predict: None,
            },
        ],
        tries: &[Try {
            text: "Abort after the very first byte: does any of your data come back?",
            setup: Setup::Tcp {
                target: ECHO,
                send: "xyz",
                then: After::Keep,
                faults: Some(Faults {
                    reset_after_bytes: Some(1),
                    ..NO_FAULTS
                }),
            },
        }],
        mistake: Some(Mistake {
            title: "Never closing",
            text: "A socket you never close stays open until your program exits, and a \
server that forgets to close accepted sockets runs out of file descriptors. Use \
`with socket.socket(...) as sock:` in Python (Rust closes when the value is dropped).",
            show: None,
        }),
        views: &[View::Lifecycle, View::Sequence],
        server_code: true,
    },
    Lesson {
        slug: "echo-client-server",
        title: "Practice: an echo client and server",
        summary: "Write both programs: run the server beside the lesson and reach it from the page.",
        text:
            "Time to write both programs yourself. The code beside this lesson has a client and a \
server, in Python and in Rust. Start with the Python pair: it needs only the standard library.

The server makes the four calls every TCP server makes. `socket()` creates the listening \
socket, `bind()` claims an address and port (`127.0.0.1:5007`), `listen()` tells the system \
to accept connections there, and `accept()` waits until a client's handshake is done, then \
returns a **new** socket for that one client, with the client's address. The listening \
socket goes on listening; the new one carries the conversation. The loop reads with \
`recv(1024)` and sends back what came, until `recv` returns `b\"\"`: the client's FIN. \
Leaving the `with` block then closes the connection, and the server's own FIN goes out.

The client makes two calls before it talks: `socket()` and `connect()`. It encodes its text \
into bytes and hands them to `sendall()`, which keeps sending until every byte is with the \
system (plain `send()` may take only some). Then it reads until it has as many bytes back as \
it sent.

Save `server.py` and run `python3 server.py` in a terminal on the machine where this relay \
runs (one you started with `cargo xtask run`; a public relay does not dial loopback \
addresses). Leave it running and press the buttons. The relay connects to your server \
exactly as it connects to the built-in echo, and the diagram cannot tell them apart. Watch \
your terminal too: the server prints each connection's address, which is the relay's \
endpoint.

Your server serves one client at a time: while a connection is open, the next one waits in \
the listen queue. The lessons on concurrency come back to that.",
        steps: &[
            Step {
                text: "Warm up with the built-in echo: connect, send `ping`, close.",
                button: "Use the built-in echo",
                setup: tcp(ECHO, "ping", After::Close),
                check: Check::Echoed(ECHO),
                check_label: "the built-in echo answered",
                predict: None,
            },
            Step {
                text: "Start your server (`python3 server.py`), then connect to it at \
`127.0.0.1:5007`, send a line and close.",
                button: "Connect to your server",
                setup: tcp(OWN_SERVER, "hello, my server", After::Close),
                check: Check::Echoed(OWN_SERVER),
                check_label: "your server echoed the bytes",
                predict: None,
            },
            Step {
                text: "Send once more, then shut down your sending side.",
                button: "Send, then shutdown",
                setup: tcp(OWN_SERVER, "last words", After::Shutdown),
                check: Check::FinFromServer(OWN_SERVER),
                check_label: "your server saw the FIN, left its loop and closed",
                predict: Some(Predict {
                    question: "Your FIN reaches the server. What does its `recv(1024)` do?",
                    choices: &[
                        Choice {
                            label: "returns `b\"\"`; the loop ends, and the server's FIN comes back",
                            shows: Some(Check::FinFromServer(OWN_SERVER)),
                        },
                        Choice {
                            label: "keeps waiting for more data",
                            shows: None,
                        },
                        Choice {
                            label: "raises an error",
                            shows: None,
                        },
                    ],
                    explain: "The purple `FIN` from Target follows your `FIN (shutdown)`: that \
is your server leaving its loop and closing the connection.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "Stop your server (Ctrl-C) and connect again: refused, nothing listens.",
                setup: tcp(OWN_SERVER, "anyone?", After::Close),
            },
            Try {
                text: "Keep one connection open and open another: the second connection is \
accepted by the system but your server reads it only when the first one ends.",
                setup: tcp(OWN_SERVER, "wait your turn", After::Keep),
            },
        ],
        mistake: Some(Mistake {
            title: "\"Address already in use\" after a restart",
            text: "Stop a server and start it at once, and `bind()` may fail: the old \
connections linger in TIME_WAIT for a while. `setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)` \
before `bind()`, as in `server.py`, lets the new server take the port.",
            show: None,
        }),
        views: &[View::Sequence, View::Lifecycle],
        server_code: true,
    },
    Lesson {
        slug: "stream-messages",
        title: "Messages over a stream",
        summary: "What recv(1024) really returns, and how programs find where a message ends.",
        text: "TCP carries a **stream** of bytes, not messages. It keeps the bytes in order and \
loses none, but it does not keep the boundaries between your `send()` calls. What one \
`sendall()` wrote may arrive in several pieces, and two small sends may arrive as one.

So `recv(1024)` does not mean \"receive the message\". It means \"give me the bytes that \
have arrived, at least one and at most 1024\", and it returns as soon as there are any. A \
program that calls `recv` once and assumes it has the whole message works on your laptop \
with short test strings, and fails the day a message is larger or the network slower.

The first step sends 48 KB in one go. Watch the green arrows coming back: the relay reads at \
most 16 KB at a time, so the echo arrives in several pieces, and only all of them together \
are your message. Your program's `recv` sees the same. The code beside the lesson reads in \
a loop until it has as many bytes as it sent.

Because a stream has no boundaries, every protocol over TCP adds its own **framing**, a way \
to tell where a message ends. Two ways are common:

- a delimiter, such as a newline after each message: read until you have seen `\n`. SMTP \
and many chat protocols work like this;
- a length prefix: send the message's size first (for example as 4 bytes), then read exactly \
that many bytes.

HTTP uses both: its head ends with an empty line, and `Content-Length` says how long the \
body is.

Small writes meet one more effect, **Nagle's algorithm**: while earlier data is still \
unacknowledged, TCP holds a small write back and sends it together with the next one, to \
save packets. `TCP_NODELAY` (a checkbox in the playground's TCP panel) turns it off for \
programs that send small messages and wait for answers.",
        steps: &[
            Step {
                text: "Send 48 KB to the echo in one `sendall()`.",
                button: "Send 48 KB",
                setup: tcp(ECHO, BIG, After::Close),
                check: Check::InPieces(ECHO),
                check_label: "all 48 KB came back, in more than one piece",
                predict: Some(Predict {
                    question: "You send 48 KB in one call. How does the echo come back to the \
relay's socket?",
                    choices: &[
                        Choice {
                            label: "in one piece, as it was sent",
                            shows: None,
                        },
                        Choice {
                            label: "in several pieces that add up to 48 KB",
                            shows: Some(Check::InPieces(ECHO)),
                        },
                        Choice {
                            label: "in pieces of exactly 1024 bytes",
                            shows: None,
                        },
                    ],
                    explain: "Count the green arrows from Target: each is one read, and their \
sizes differ.",
                }),
            },
            Step {
                text: "Send two lines in one write, `first\\nsecond\\n`: on the wire they are \
just bytes, and only the newlines say where each message ends.",
                button: "Send two lines",
                setup: tcp(ECHO, TWO_LINES, After::Close),
                check: Check::EchoedText(ECHO, TWO_LINES),
                check_label: "the two lines came back as one stream of bytes",
                predict: None,
            },
        ],
        tries: &[Try {
            text: "A single byte: the smallest piece a `recv` can return.",
            setup: tcp(ECHO, "x", After::Close),
        }],
        mistake: Some(Mistake {
            title: "One recv() for one message",
            text: "`data = sock.recv(1024)` once, then treating `data` as the whole message, \
loses everything after the first piece. Loop until your framing says the message is complete: \
the length you expect, or the delimiter.",
            show: Some(tcp(ECHO, BIG, After::Close)),
        }),
        views: &[View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "udp-echo",
        title: "A UDP echo",
        summary: "Datagrams keep their boundaries, need no connection, and may vanish: receive timeouts.",
        text:
            "Now the same echo over UDP. The code beside this lesson makes a `SOCK_DGRAM` socket \
and calls `sendto(data, (HOST, PORT))`: every call names where the datagram goes, because \
there is no connection. There is no `connect()` handshake and no `accept()`: the server \
(in `server.py`) calls `bind()` and then `recvfrom()`, which returns one datagram together \
with the address it came from, and `sendto()` sends the answer back to that address.

In the diagram, the UDP socket gets a grey `bound … (connected)` note: the relay binds a \
local port and sets a default destination, which sends no packet at all. The first arrow to \
Target is your datagram itself; compare the TCP handshake rows before any data in the \
earlier lessons.

UDP keeps **boundaries**. One `sendto()` is one datagram, and one `recvfrom()` returns one \
whole datagram, never a part of one and never two at once. The second step sends 1,200 \
bytes, and they come back as one green arrow of 1,200 bytes, where TCP would have been free \
to split them. A datagram that does not fit the buffer you pass to `recvfrom` is cut off, \
so pass one as large as the largest datagram you expect.

The price is that nothing is guaranteed. A datagram can be lost, duplicated, or overtaken \
by a later one, and neither side is told. If your request or its answer is lost, \
`recvfrom()` simply waits. Without a timeout it waits forever; with `settimeout(2)` it \
raises `TimeoutError` after two seconds, and your program decides what to do: send again, \
or give up and say so. The third step asks the lab to drop everything, and the grey \
`recv timed out` note is all that happens.

Programs that need reliability over UDP, such as DNS clients, add it themselves: a timeout, \
a retry, and a way to match each answer to its question.",
        steps: &[
            Step {
                text: "Send `ping` as one datagram to the UDP echo.",
                button: "Send ping",
                setup: udp(UDP_ECHO, "ping", None),
                check: Check::DatagramText(UDP_ECHO, "ping"),
                check_label: "one datagram out, one datagram back",
                predict: None,
            },
            Step {
                text: "Send 1,200 bytes as one datagram.",
                button: "Send 1,200 bytes",
                setup: udp(UDP_ECHO, MEDIUM, None),
                check: Check::DatagramText(UDP_ECHO, MEDIUM),
                check_label: "the 1,200 bytes came back as one whole datagram",
                predict: Some(Predict {
                    question: "TCP split 48 KB into pieces. How do 1,200 bytes sent as one \
datagram come back?",
                    choices: &[
                        Choice {
                            label: "as one datagram of 1,200 bytes",
                            shows: Some(Check::DatagramText(UDP_ECHO, MEDIUM)),
                        },
                        Choice {
                            label: "in pieces, like a stream",
                            shows: None,
                        },
                    ],
                    explain: "One green arrow back from Target, with all 1,200 bytes on its \
label: a datagram arrives whole or not at all.",
                }),
            },
            Step {
                text: "Send a datagram while the lab drops every datagram it receives.",
                button: "Send into the void",
                setup: udp(
                    UDP_ECHO,
                    "hello?",
                    Some(Faults {
                        drop_percent: Some(100),
                        ..NO_FAULTS
                    }),
                ),
                check: Check::DatagramLost(UDP_ECHO),
                check_label: "the reply never came; the receive timeout fired",
                predict: Some(Predict {
                    question: "The lab drops your datagram. How long does your program wait \
for the answer?",
                    choices: &[
                        Choice {
                            label: "until its own receive timeout, then it gives up",
                            shows: Some(Check::DatagramLost(UDP_ECHO)),
                        },
                        Choice {
                            label: "until the network reports the loss",
                            shows: None,
                        },
                        Choice {
                            label: "no time: sendto() fails",
                            shows: None,
                        },
                    ],
                    explain: "`sendto()` succeeded (the green arrow to Target); then nothing, \
until the grey `recv timed out` note.",
                }),
            },
        ],
        tries: &[Try {
            text: "Half of the datagrams dropped: send a few times and count the answers.",
            setup: udp(
                UDP_ECHO,
                "lucky?",
                Some(Faults {
                    drop_percent: Some(50),
                    ..NO_FAULTS
                }),
            ),
        }],
        mistake: Some(Mistake {
            title: "Waiting forever for a datagram",
            text: "`recvfrom()` without a timeout hangs your program the first time a datagram \
is lost. Set `sock.settimeout(...)` and handle `TimeoutError` by retrying a few times, then \
reporting the failure.",
            show: Some(udp(
                UDP_ECHO,
                "lost",
                Some(Faults {
                    drop_percent: Some(100),
                    ..NO_FAULTS
                }),
            )),
        }),
        views: &[View::Sequence, View::Lifecycle],
        server_code: true,
    },
    Lesson {
        slug: "http-anatomy",
        title: "Anatomy of an HTTP request and response",
        summary: "The bytes of an HTTP exchange: request line, Host and headers, status line, body.",
        text: "HTTP runs over TCP, and HTTP/1.1 is text you can read. A request is a **head** of \
lines, an empty line, and sometimes a **body**:

- the request line: a method, a path and a version, `GET /get HTTP/1.1`;
- header lines, `Name: value`. `Host` names the site, because one server can answer for \
many names; others say who the client is and what it accepts;
- an empty line, which ends the head. A body follows only when the head announces one, with \
`Content-Length` (or chunked transfer encoding).

The response has the same shape: a status line (`HTTP/1.1 200 OK`: the version, the status \
code and a reason phrase for people), header lines such as `Content-Type: application/json` \
and `Content-Length`, an empty line, then the body. Every line of a head ends with the two \
bytes CR LF (`\r\n`).

Press the first button and look at the payloads view beside the lesson: it shows the \
exchange as the bytes that crossed the socket, head and body. In the diagram, the request \
rides on the same TCP handshake as every earlier lesson: HTTP adds no connection of its \
own. The name `www.lab.test` is looked up first, in the lab's DNS, and the lab's HTTP \
service answers on port 80.

The second request carries a header of your own, `X-Lesson: anatomy`. The lab's `/headers` \
answers with the headers it received, so yours shows up in the body beside `Host`.

A **status code** is the server's answer, not the network's. A 404 means that the \
connection, the request and the response all worked, and the server has nothing at that \
path. Python's `requests` returns a 404 like any other response; `raise_for_status()` \
turns codes from 400 up into an exception when you want one. The code beside the lesson \
does both, and `curl -i` prints the response head as it came.",
        steps: &[
            Step {
                text: "Ask the HTTP lab for `/get`.",
                button: "GET /get",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/get",
                    headers: &[],
                    send: "",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/get", 200),
                check_label: "a response came back: 200 OK",
                predict: None,
            },
            Step {
                text: "Send a header of your own, `X-Lesson: anatomy`, to `/headers`.",
                button: "GET /headers",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/headers",
                    headers: &[("X-Lesson", "anatomy")],
                    send: "",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/headers", 200),
                check_label: "the lab answered with the headers it received",
                predict: None,
            },
            Step {
                text: "Ask for a page the lab does not have: `/status/404`.",
                button: "GET /status/404",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/status/404",
                    headers: &[],
                    send: "",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/status/404", 404),
                check_label: "a complete response, with status 404",
                predict: Some(Predict {
                    question: "The lab has nothing at this path. What does the exchange look \
like?",
                    choices: &[
                        Choice {
                            label: "a normal response whose status line says 404",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/404", 404)),
                        },
                        Choice {
                            label: "the connection is refused",
                            shows: Some(Check::Refused(WWW_80)),
                        },
                        Choice {
                            label: "no answer: the request times out",
                            shows: None,
                        },
                    ],
                    explain: "The diagram shows the handshake, the request and a response \
head: `404 Not Found` is an answer like any other.",
                }),
            },
        ],
        tries: &[Try {
            text: "A JSON body: `/json` answers with `Content-Type: application/json`.",
            setup: Setup::Http {
                target: WWW_80,
                method: "GET",
                path: "/json",
                headers: &[],
                send: "",
                timeout_ms: None,
                retry: None,
            },
        }],
        mistake: Some(Mistake {
            title: "Treating a 404 or a 500 as success",
            text: "`requests.get(url)` does not raise for an error status: a program that \
reads `response.json()` without looking at `response.status_code` (or calling \
`response.raise_for_status()`) goes on with an error page as if it were data.",
            show: None,
        }),
        views: &[View::Payloads, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "http-methods",
        title: "HTTP methods",
        summary: "GET, POST, PUT and DELETE, and what an API maps them to.",
        text: "The first word of a request line is its **method**: what the client asks the \
server to do with the thing the path names. An API maps the methods onto operations on its \
data:

- `GET` reads (\"give me `/users/7`\"). It has no body and must change nothing on the \
server, so a browser, a cache or a retry may repeat it safely.
- `POST` creates or submits (\"here is a new user\"). The body carries the data, today \
usually JSON, with `Content-Type: application/json`. Two identical POSTs may create two \
users.
- `PUT` replaces what is at the path with the body (\"user 7 is now this\"). Sending the same \
PUT twice leaves the same result: it is **idempotent**.
- `DELETE` removes what is at the path, and is idempotent too.

Two more are common: `PATCH` changes part of a resource, and `HEAD` is a GET that returns \
only the head.

The lab's `/post`, `/put` and `/delete` each accept their own method and answer with what \
they received: the method, your headers, and the body, parsed as JSON when it is JSON. Look \
at the request in the payloads view: a request with a body carries `Content-Type` and \
`Content-Length`, so the server knows what the bytes are and where they end.

The method belongs to the request, not to the URL. A server that does not take a method at \
a path answers `405 Method Not Allowed`, which is still a complete response. In Python, \
`requests.post(url, json=data, timeout=10)` turns `data` into JSON and sets the header for \
you; `requests.put` and `requests.delete` work the same way. The code beside the lesson \
follows the last request you sent.",
        steps: &[
            Step {
                text: "Create something: POST a JSON body to `/post`.",
                button: "POST /post",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "POST",
                    path: "/post",
                    headers: &[],
                    send: "{\"name\": \"Ada\", \"role\": \"engineer\"}",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/post", 200),
                check_label: "the lab received the POST and its JSON body",
                predict: None,
            },
            Step {
                text: "Replace it: PUT a new body to `/put`.",
                button: "PUT /put",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "PUT",
                    path: "/put",
                    headers: &[],
                    send: "{\"name\": \"Ada\", \"role\": \"lead\"}",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/put", 200),
                check_label: "the PUT was accepted",
                predict: None,
            },
            Step {
                text: "Remove it: DELETE `/delete`, with no body.",
                button: "DELETE /delete",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "DELETE",
                    path: "/delete",
                    headers: &[],
                    send: "",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/delete", 200),
                check_label: "the DELETE was accepted",
                predict: None,
            },
            Step {
                text: "Use the wrong method: POST to `/get`, which only takes GET.",
                button: "POST /get",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "POST",
                    path: "/get",
                    headers: &[],
                    send: "{\"oops\": true}",
                    timeout_ms: None,
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/get", 405),
                check_label: "405 Method Not Allowed: a complete answer",
                predict: Some(Predict {
                    question: "`/get` takes only GET. What does the server answer to a POST?",
                    choices: &[
                        Choice {
                            label: "200, treating it as a GET",
                            shows: Some(Check::HttpStatus(WWW_80, "/get", 200)),
                        },
                        Choice {
                            label: "405 Method Not Allowed",
                            shows: Some(Check::HttpStatus(WWW_80, "/get", 405)),
                        },
                        Choice {
                            label: "404 Not Found",
                            shows: Some(Check::HttpStatus(WWW_80, "/get", 404)),
                        },
                    ],
                    explain: "The path exists, so it is not a 404: the status line says \
`405 Method Not Allowed`.",
                }),
            },
        ],
        tries: &[Try {
            text: "Any method at all: `/anything` echoes whatever it gets, such as a PATCH.",
            setup: Setup::Http {
                target: WWW_80,
                method: "PATCH",
                path: "/anything",
                headers: &[],
                send: "{\"role\": \"lead\"}",
                timeout_ms: None,
                retry: None,
            },
        }],
        mistake: Some(Mistake {
            title: "Sending JSON as form text",
            text: "`requests.post(url, data=text)` sends the bytes without saying they are \
JSON, and many APIs then reject or misread them. Pass the Python value as `json=value`, \
which encodes it and sets `Content-Type: application/json`.",
            show: None,
        }),
        views: &[View::Payloads, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "status-codes",
        title: "Status codes",
        summary: "2xx, 3xx, 4xx, 5xx: what each answer means, from the lab.",
        text: "The three digits of a status code are the server's answer, and the first digit \
says which kind it is:

- **2xx, success**: `200 OK`, `201 Created` (a POST made something new; a `Location` header \
often says where), `204 No Content`.
- **3xx, redirection**: what you asked for is elsewhere. `301 Moved Permanently` and `302 \
Found` carry a `Location` header with the new address. Browsers follow it, and so does \
Python's `requests` by default; `curl` follows only with `-L`, and the relay only when \
asked.
- **4xx, client error**: the request was wrong. `400 Bad Request` (malformed), `401 \
Unauthorized` (no valid credentials; the `WWW-Authenticate` header says how to log in), \
`403 Forbidden` (the server knows who you are and still says no), `404 Not Found`, `405 \
Method Not Allowed`, `429 Too Many Requests`.
- **5xx, server error**: the request may have been fine and the server failed. `500 \
Internal Server Error`; `502 Bad Gateway` and `503 Service Unavailable` come from proxies \
and overloaded servers.

A retry can help with 503, 429 and some other 5xx answers, never with a 4xx you caused: the \
same request fails the same way again.

Each of these is a complete HTTP response, with a head and usually a body that explains \
more. In the diagram they look alike; only the status line differs. In your program, look \
at the code before you use the body: `response.raise_for_status()` raises \
`requests.exceptions.HTTPError` for every 4xx and 5xx, with the code in its message, and \
the code beside the lesson prints it.",
        steps: &[
            Step {
                text: "Ask the lab for `201 Created`, the answer to a POST that made something.",
                button: "Get a 201",
                setup: STATUS_201,
                check: Check::HttpStatus(WWW_80, "/status/201", 201),
                check_label: "201 Created: a success",
                predict: None,
            },
            Step {
                text: "Ask `/bearer` without a token: it wants `Authorization: Bearer …`.",
                button: "GET /bearer without a token",
                setup: BEARER_NONE,
                check: Check::HttpStatus(WWW_80, "/bearer", 401),
                check_label: "401 Unauthorized, with a WWW-Authenticate header",
                predict: None,
            },
            Step {
                text: "Now with a token: the same request, one header more.",
                button: "GET /bearer with a token",
                setup: BEARER_TOKEN,
                check: Check::HttpStatus(WWW_80, "/bearer", 200),
                check_label: "200 OK once the token is there",
                predict: None,
            },
            Step {
                text: "Ask the lab for `500 Internal Server Error`.",
                button: "Get a 500",
                setup: STATUS_500,
                check: Check::HttpStatus(WWW_80, "/status/500", 500),
                check_label: "500: the server failed, the exchange did not",
                predict: Some(Predict {
                    question: "Whose fault is a 500?",
                    choices: &[
                        Choice {
                            label: "the server's: it failed to handle the request",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/500", 500)),
                        },
                        Choice {
                            label: "the client's: the request was malformed",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/500", 400)),
                        },
                        Choice {
                            label: "the network's: the connection broke",
                            shows: Some(Check::Reset(WWW_80)),
                        },
                    ],
                    explain: "A complete response came back, so the network did its job; 5xx \
codes say the server failed.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "A redirect, not followed: `302 Found` with a `Location` header \
(`requests` would follow it to `/get`).",
                setup: REDIRECT,
            },
            Try {
                text: "`403 Forbidden`: known, and still not allowed.",
                setup: STATUS_403,
            },
        ],
        mistake: Some(Mistake {
            title: "Retrying a 4xx",
            text: "A loop that retries every failed request hammers the server with requests \
that can never succeed. Retry timeouts, 429 and 503 (after the `Retry-After` they give), \
and report a 4xx at once.",
            show: None,
        }),
        views: &[View::Payloads, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "http-client-library",
        title: "An HTTP client library",
        summary: "requests with a timeout, a JSON body, a bearer token, errors for 4xx and 5xx, and a timeout that fires.",
        text: "You could write HTTP by hand on a socket, as the earlier lessons showed it on the \
wire. Programs use a **client library** instead: it opens the connection, writes the head, \
reads the response to its end, and hands you the status, the headers and the body. In \
Python that library is usually `requests`; the code beside the lesson follows each button.

Four habits make a client you can trust:

- **Always pass a timeout.** `requests.get(url, timeout=10)` waits at most 10 seconds to \
connect, and at most 10 seconds for each wait on the server's bytes. Without `timeout=`, \
`requests` waits forever on a server that never answers.
- **Send data as JSON with `json=`.** `requests.post(url, json=payload, timeout=10)` turns \
the Python value into JSON text and sets `Content-Type: application/json`. The lab's \
`/post` answers with what it received, so your values come back parsed under `json`.
- **Put credentials in headers.** A bearer token goes in `headers={\"Authorization\": \
\"Bearer …\"}`. Without it the lab's `/bearer` answers 401; with it, 200.
- **Check the status.** A 503 is a complete response, so `requests` returns it like a 200. \
`response.raise_for_status()` raises `requests.exceptions.HTTPError` for every 4xx and 5xx, \
and your program stops treating an error page as data.

The last step asks `/delay/5`, which waits five seconds before it answers, with a timeout \
of two. The relay gives up after two seconds with a red `failed: timed out`, and no \
response head ever arrives. In Python the same wait raises \
`requests.exceptions.ReadTimeout`, a kind of `requests.exceptions.Timeout`; `curl \
--max-time 2` stops with error 28.

A timeout is a decision, not a fault: pick the longest wait your program can afford, catch \
the exception, and say clearly what happened.",
        steps: &[
            Step {
                text: "GET `/get` with a timeout of 10 seconds.",
                button: "GET with a timeout",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/get",
                    headers: &[],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/get", 200),
                check_label: "200 OK, well within the timeout",
                predict: None,
            },
            Step {
                text: "POST a JSON body to `/post` with `json=`.",
                button: "POST JSON",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "POST",
                    path: "/post",
                    headers: &[],
                    send: "{\"city\": \"Lisbon\", \"days\": 3}",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/post", 200),
                check_label: "the lab received the JSON body",
                predict: None,
            },
            Step {
                text: "Call `/bearer` with a token in the `Authorization` header.",
                button: "GET with a bearer token",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/bearer",
                    headers: &[("Authorization", "Bearer learner-token")],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/bearer", 200),
                check_label: "200: the token was accepted",
                predict: None,
            },
            Step {
                text: "Ask for `/status/503`, a server that is unavailable.",
                button: "GET a 503",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/status/503",
                    headers: &[],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
                check: Check::HttpStatus(WWW_80, "/status/503", 503),
                check_label: "a complete response with status 503",
                predict: Some(Predict {
                    question: "`requests.get` receives a 503. What does it do?",
                    choices: &[
                        Choice {
                            label: "returns the response; `raise_for_status()` raises `HTTPError`",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/503", 503)),
                        },
                        Choice {
                            label: "raises an exception by itself",
                            shows: None,
                        },
                        Choice {
                            label: "retries until it gets a 200",
                            shows: None,
                        },
                    ],
                    explain: "The response head says `503 Service Unavailable`: a response \
like any other, until your code looks at the status.",
                }),
            },
            Step {
                text: "Ask `/delay/5` (five seconds to answer) with a timeout of two seconds.",
                button: "GET /delay/5, timeout 2 s",
                setup: DELAY_5_TIMEOUT_2,
                check: Check::HttpTimedOut(WWW_80, "/delay/5"),
                check_label: "no response within 2 s: the request timed out",
                predict: Some(Predict {
                    question: "The server needs five seconds; you allow two. What happens?",
                    choices: &[
                        Choice {
                            label: "after two seconds the request fails with a timeout",
                            shows: Some(Check::HttpTimedOut(WWW_80, "/delay/5")),
                        },
                        Choice {
                            label: "the response arrives after five seconds anyway",
                            shows: Some(Check::HttpStatus(WWW_80, "/delay/5", 200)),
                        },
                    ],
                    explain: "A red `failed: timed out` and no response head: the client \
stopped waiting, whatever the server did next.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "The same delay with a timeout of ten seconds: slow, and a success.",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/delay/5",
                    headers: &[],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
            },
            Try {
                text: "`/bearer` without the token: 401, and `raise_for_status()` raises.",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/bearer",
                    headers: &[],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
            },
        ],
        mistake: Some(Mistake {
            title: "No timeout",
            text: "`requests.get(url)` without `timeout=` can wait forever on a server that \
accepted the connection and never answers, and the program hangs with no error to log. \
Pass a timeout on every call and catch `requests.exceptions.Timeout`.",
            show: Some(DELAY_5_TIMEOUT_2),
        }),
        views: &[View::Payloads, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "json-responses",
        title: "JSON responses",
        summary: "Parse safely, check the shape, the keys and their types, use defaults, and do not trust the size.",
        text: "A server's JSON is only text until your program parses it, and nothing promises \
that it has the shape your code expects. The lab serves a small weather report, \
`{\"city\": \"Lisbon\", \"temp\": 18.5, ...}`, and the same report broken one way at a time. \
The payload inspector beside the lesson checks each body against what the program needs: \
`city:string temp:number`.

A careful client checks in the order things go wrong:

- **The content type.** `Content-Type: application/json` is the server's claim, not a proof: \
the lab's `/json/not-json` says JSON and sends an HTML page.
- **Parse safely.** `response.json()` turns the text into Python values: an object becomes a \
`dict`, an array a `list`, a number an `int` or a `float`, `null` becomes `None`. On a body \
that is not JSON it raises `requests.exceptions.JSONDecodeError`, which is also a \
`ValueError`: catch it and say what came back.
- **The shape.** Code that expects one object and receives a list of them fails at its first \
key. `isinstance(data, dict)` tells you which you have.
- **The keys.** `data[\"temp\"]` raises `KeyError` when the key is missing; \
`data.get(\"temp\")` returns `None`, and `data.get(\"temp\", 0.0)` a default you choose. Use \
`.get` with a default for a key you can do without; check the ones you cannot.
- **The types.** `\"18.5\"` is a string, not a number: `isinstance(data[\"temp\"], (int, \
float))` tells them apart. In Python `True` is an `int` too, so rule out `bool` where you \
want a number.
- **The size.** A body can be far larger than you expect, and its `Content-Length` can be \
missing or wrong. The last step asks for a mebibyte with a limit of 64 KiB: the relay stops \
at once with a red `failed: body too large`, as the program beside it stops, reading with \
`stream=True` and counting the bytes.

The status line helps with none of this: every response in this lesson is `200 OK`.",
        steps: &[
            Step {
                text: "GET `/json/weather`, the report as the program expects it.",
                button: "GET the report",
                setup: json_get("/json/weather", WEATHER, None),
                check: Check::JsonFit(WWW_80, "/json/weather", WEATHER, Fit::Fits),
                check_label: "JSON with `city` a string and `temp` a number",
                predict: None,
            },
            Step {
                text: "GET `/json/missing-key`: the same report without `temp`.",
                button: "GET a report without temp",
                setup: json_get("/json/missing-key", WEATHER, None),
                check: JSON_MISSING,
                check_label: "the inspector marks `temp` missing",
                predict: Some(Predict {
                    question: "The body has no `temp`. What does `data[\"temp\"]` do?",
                    choices: &[
                        Choice {
                            label: "raises `KeyError`",
                            shows: Some(JSON_MISSING),
                        },
                        Choice {
                            label: "returns `None`",
                            shows: None,
                        },
                        Choice {
                            label: "returns `0`",
                            shows: None,
                        },
                    ],
                    explain: "The key is not there, so `data[\"temp\"]` raises `KeyError`; \
`data.get(\"temp\")` returns `None`, and `data.get(\"temp\", 0.0)` your default.",
                }),
            },
            Step {
                text: "GET `/json/other-shape`: a list of reports where one report was expected.",
                button: "GET a list",
                setup: json_get("/json/other-shape", WEATHER, None),
                check: Check::JsonFit(WWW_80, "/json/other-shape", WEATHER, Fit::OtherShape),
                check_label: "another shape: an array where an object was expected",
                predict: None,
            },
            Step {
                text: "GET `/json/not-json`: its `Content-Type` says JSON, its body is a web page.",
                button: "GET a page that claims to be JSON",
                setup: json_get("/json/not-json", WEATHER, None),
                check: JSON_NOT_JSON,
                check_label: "`200 OK`, JSON by its header, and not JSON",
                predict: Some(Predict {
                    question: "The header says JSON; the body is HTML. What does \
`response.json()` do?",
                    choices: &[
                        Choice {
                            label: "raises `requests.exceptions.JSONDecodeError`",
                            shows: Some(JSON_NOT_JSON),
                        },
                        Choice {
                            label: "returns the HTML as a string",
                            shows: None,
                        },
                        Choice {
                            label: "returns `None`",
                            shows: None,
                        },
                    ],
                    explain: "The inspector cannot parse the body: `expected value at line 1 \
column 1`. Python's parser says `Expecting value: line 1 column 1 (char 0)`, and \
`response.json()` raises it as a `JSONDecodeError`.",
                }),
            },
            Step {
                text: "GET `/json/oversized`, a mebibyte of valid JSON, accepting at most 64 KiB.",
                button: "GET a mebibyte, limit 64 KiB",
                setup: json_get("/json/oversized", WEATHER, Some(JSON_LIMIT)),
                check: Check::HttpTooLarge(WWW_80, "/json/oversized"),
                check_label: "refused: the body is larger than the limit",
                predict: None,
            },
        ],
        tries: &[
            Try {
                text: "`/json/wrong-type`: `temp` is the string `\"18.5\"`, and the inspector says \
it should be a number.",
                setup: json_get("/json/wrong-type", WEATHER, None),
            },
            Try {
                text: "The mebibyte with no limit of yours: all of it arrives, valid JSON with \
`readings` an array.",
                setup: json_get("/json/oversized", "city:string readings:array", None),
            },
            Try {
                text: "The lab's `/json`: type your own keys into the inspector, such as \
`slideshow.slides:array`.",
                setup: json_get("/json", "slideshow:object slideshow.slides:array", None),
            },
        ],
        mistake: Some(Mistake {
            title: "Trusting the type",
            text: "When `temp` arrives as `\"18.5\"`, `data[\"temp\"] + 1` raises `TypeError` \
somewhere far from the request that caused it, and `data[\"temp\"] > 20` raises too. Check \
each value with `isinstance` where the response comes in, and reject it with a message that \
names the key.",
            show: Some(json_get("/json/wrong-type", WEATHER, None)),
        }),
        views: &[View::Payloads, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "health-checker",
        title: "Practice project 2: an API health checker",
        summary: "A program that asks several endpoints in turn and prints each one's status and response time, with every phase timed in the waterfall.",
        text: "A **health checker** asks each address on a list whether it is alive and says how \
long each one took. It is the second practice project, and a tool you will keep: the same \
loop can watch a service you run.

For each URL the program beside the lesson does four things:

- starts a clock with `time.perf_counter()`;
- sends `requests.get(url, timeout=TIMEOUT)`, so that one dead server cannot hold up the \
whole round;
- reads the status: `response.ok` is true below 400, so a 200 is UP and a 502 is DOWN;
- prints the status and the time taken. `response.elapsed` stops once the response's head \
has been read; the clock around the call also counts reading the body.

A failure without a status becomes a line too: `requests.exceptions.Timeout` when no answer \
came in time, `requests.exceptions.ConnectionError` when no connection could be made.

Beside the lesson, the **waterfall** times every request in phases: `DNS` (the name \
`www.lab.test` looked up in the lab's DNS server), `connect`, `send` (writing the request), \
`wait` (until the first byte of the answer) and `download` (the rest of it), after a short \
`blocked`, the relay's own work before it starts. Each row is one request. The lab answers `/delay/1` only after a second, and its row shows where that second \
went: into `wait`, the time the server spent before answering. A slow network would show in \
`connect`, a slow name server in `DNS`.

The first step checks three endpoints, one after another as the loop does. The second adds \
one that answers `502 Bad Gateway`: a quick and complete answer that still means the service \
is down. The third asks `/delay/4` with a two-second timeout, then `/get`: no answer in time, which \
a checker reports as DOWN before it goes on to the next.",
        steps: &[
            Step {
                text: "Check `/get`, `/json` and `/delay/1`, one after another, with a timeout \
of five seconds each.",
                button: "Check three endpoints",
                setup: health(HEALTHY, 5_000),
                check: Check::EveryPathAnswered(WWW_80, HEALTHY),
                check_label: "all three answered, each timed phase by phase",
                predict: None,
            },
            Step {
                text: "Check `/get` and `/status/502`, a gateway whose service behind it is \
down.",
                button: "Check with a 502",
                setup: health(WITH_502, 5_000),
                check: Check::HttpStatus(WWW_80, "/status/502", 502),
                check_label: "502: answered, and DOWN",
                predict: None,
            },
            Step {
                text: "Check `/delay/4`, then `/get`, with a timeout of two seconds.",
                button: "Check a slow endpoint",
                setup: health(WITH_SLOW, 2_000),
                check: Check::HttpTimedOut(WWW_80, "/delay/4"),
                check_label: "no answer within 2 s: DOWN, and the round went on",
                predict: Some(Predict {
                    question: "The checker allows two seconds; `/delay/4` needs four. What does \
the round do?",
                    choices: &[
                        Choice {
                            label: "waits the four seconds, then reports it UP",
                            shows: Some(Check::HttpStatus(WWW_80, "/delay/4", 200)),
                        },
                        Choice {
                            label: "reports it DOWN after two seconds and asks the next one",
                            shows: Some(Check::HttpTimedOut(WWW_80, "/delay/4")),
                        },
                    ],
                    explain: "A red `failed: timed out` for `/delay/4`, then the request for \
`/get`: the loop went on without it.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "The slow endpoint with a timeout of five seconds: UP, and slow.",
                setup: health(WITH_SLOW, 5_000),
            },
            Try {
                text: "A longer round: `/get`, `/headers`, `/status/404` and `/delay/2`.",
                setup: health(&["/get", "/headers", "/status/404", "/delay/2"], 5_000),
            },
        ],
        mistake: Some(Mistake {
            title: "Timing only the happy path",
            text: "A checker that measures `response.elapsed` but has no `timeout=` never \
reports the server that hangs: it hangs with it. And a checker that counts any answer as UP \
misses the 500s and 502s. Time every call, bound every wait, and look at the status.",
            show: Some(health(WITH_SLOW, 2_000)),
        }),
        views: &[View::Waterfall, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "async-io",
        title: "Async I/O",
        summary: "One event loop, many waits: several connections open at once from one program, with asyncio and tokio.",
        text: "Most of a network program's life is waiting: for a connection, for an answer, for \
the other side to close. A blocking call such as `sock.recv(1024)` stops its thread while \
it waits, and in a program with one thread that is everything. With one connection that is fine. With four, a program that asks one after \
another waits four times in a row.

**Asynchronous I/O** waits for all of them at once. An **event loop** keeps the sockets its \
tasks are waiting on and asks the operating system which of them are ready (`epoll` on \
Linux, `kqueue` on macOS). When one is ready, the loop runs the task that waited on it until \
that task waits again. One thread, many waits, as long as no task calls something that \
blocks.

In Python the loop is `asyncio`: `async def` marks a function that can wait, `await` is \
where it hands control back to the loop, `asyncio.open_connection` connects without \
blocking, and `asyncio.gather` runs many tasks together. In Rust, `tokio` is the event loop \
and `.await` the waiting point; the code beside the lesson runs it on a single thread to make \
the point.

The page works this way too: its JavaScript runs on one thread and waits on every relay \
operation at once. The steps use the concurrency lab's slow servers. Each reads one line, \
works for 200 ms, answers with a line saying how long after you connected the answer came, \
and closes.

The first step asks once. The second opens four connections at once: in the diagram all four \
blue `send` arrows go out before the first green answer comes back, four waits at the same \
time. The third asks the server that serves one client at a time. Your waits still overlap, \
but its answers come one after another, the last at least 600 ms after it was asked: an \
event loop makes your waiting concurrent, not the server.",
        steps: &[
            Step {
                text: "Ask the async server once: connect, send one line, read the answer.",
                button: "One client",
                setup: Setup::Many {
                    target: SLOW_ASYNC,
                    count: 1,
                    send: ASK,
                },
                check: Check::WaitedAtOnce(SLOW_ASYNC, 1),
                check_label: "the request went, and its answer came back",
                predict: None,
            },
            Step {
                text: "Four clients at once to the same server, from one page.",
                button: "Four clients at once",
                setup: Setup::Many {
                    target: SLOW_ASYNC,
                    count: AT_ONCE,
                    send: ASK,
                },
                check: Check::WaitedAtOnce(SLOW_ASYNC, AT_ONCE),
                check_label: "four requests were waiting at the same time, and each was answered",
                predict: Some(Predict {
                    question: "Four clients on one event loop, each waiting 200 ms for its \
answer. How do their waits go?",
                    choices: &[
                        Choice {
                            label: "each request waits until the one before it has its answer",
                            shows: None,
                        },
                        Choice {
                            label: "all four requests go out before the first answer comes back",
                            shows: Some(Check::WaitedAtOnce(SLOW_ASYNC, AT_ONCE)),
                        },
                    ],
                    explain: "Four blue `send` arrows, then the green answers: while one \
client waited, the loop sent the others.",
                }),
            },
            Step {
                text: "Four clients at once to the server that serves one client at a time.",
                button: "Four at once, one-at-a-time server",
                setup: Setup::Many {
                    target: SLOW_SERIAL,
                    count: AT_ONCE,
                    send: ASK,
                },
                check: Check::AnsweredAfter(SLOW_SERIAL, 600),
                check_label: "a client waited over 600 ms: the server served the others first",
                predict: Some(Predict {
                    question: "The same four clients, but the server serves one at a time. \
When do the answers come?",
                    choices: &[
                        Choice {
                            label: "together, because the client is asynchronous",
                            shows: None,
                        },
                        Choice {
                            label: "one after another: the last client waits for the others",
                            shows: Some(Check::AnsweredAfter(SLOW_SERIAL, 600)),
                        },
                    ],
                    explain: "The times beside the green answers grow by about 200 ms each: \
the client waited on all four at once, the server worked on one at a time.",
                }),
            },
        ],
        tries: &[
            Try {
                text: "Four at once to the thread-per-client server: the answers come together \
again, one thread each on the server's side.",
                setup: Setup::Many {
                    target: SLOW_THREADS,
                    count: AT_ONCE,
                    send: ASK,
                },
            },
            Try {
                text: "Two at once to the async server.",
                setup: Setup::Many {
                    target: SLOW_ASYNC,
                    count: 2,
                    send: ASK,
                },
            },
        ],
        mistake: Some(Mistake {
            title: "Blocking inside async code",
            text: "`time.sleep(1)` or a plain `sock.recv()` inside an `async def` blocks the \
event loop itself: every other task stops with it. Wait with `await asyncio.sleep(1)` and the \
loop's own streams (`asyncio.open_connection`), and hand blocking work to a thread with \
`await asyncio.to_thread(...)`.",
            show: None,
        }),
        views: &[View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "dns",
        title: "DNS: from a name to an address",
        summary: "Stub lookups and the walk from the root, record types, TTLs, and the lookup before every connection.",
        text: "Programs connect to addresses, people type names. The **Domain Name System** \
turns one into the other. When your program calls `socket.getaddrinfo(\"www.example.com\", \
443)`, or `connect()` with a name, the system's **stub resolver** sends one question to one \
server, a recursive resolver, and waits for the final answer. That resolver does the real \
work: it starts at a **root** server, which does not know the name but refers it to the \
servers of the top-level domain, which refer it to the domain's own **authoritative** \
server, which answers.

This relay runs a small DNS of its own on loopback: a root, a server for `test.`, one for \
`lab.test.`, and a stub server that plays the resolver. The first button asks the stub for \
the A record of `www.lab.test`: one blue `query A …` arrow, one answer. The DNS view beside \
the lesson shows it: `www` is a **CNAME**, an alias for another name, whose chain ends in an \
**A** record, an IPv4 address. The second button walks from the root as a resolver does, and \
each grey `referral to …` note is one step down the tree.

DNS holds more than addresses. Each record has a type: A and AAAA (IPv4 and IPv6 \
addresses), CNAME (an alias), MX (the mail server of a domain, with a preference number), TXT \
(free text, often used to prove who owns a domain), NS (the domain's name servers).

Every record also carries a **TTL**, in seconds: how long a resolver may keep the answer in \
its cache and answer again without asking. The lab's records have 300; the DNS view counts \
each one down. A long TTL means fewer lookups, and a change that takes that long to reach \
everyone.

Every connection to a name starts with this lookup. The last button fetches \
`http://www.lab.test/get`: the diagram shows `resolve www.lab.test` and its answer first, \
then the TCP handshake, then the HTTP request. For HTTPS a TLS handshake sits between the \
TCP handshake and the request. When a lookup fails, nothing else happens: Python raises \
`socket.gaierror`.",
        steps: &[
            Step {
                text: "Ask the lab's stub server for the A record of `www.lab.test`.",
                button: "Look up www.lab.test",
                setup: Setup::Dns {
                    name: "www.lab.test",
                    rtype: DnsType::A,
                    mode: DnsMode::Stub,
                },
                check: Check::DnsAnswered("www.lab.test", DnsType::A, DnsMode::Stub, "CNAME"),
                check_label: "an answer: CNAMEs, then the address",
                predict: Some(Predict {
                    question: "You ask for the address of `www.lab.test`. What comes back?",
                    choices: &[
                        Choice {
                            label: "a chain of aliases (CNAME) that ends in an address (A)",
                            shows: Some(Check::DnsAnswered(
                                "www.lab.test",
                                DnsType::A,
                                DnsMode::Stub,
                                "CNAME",
                            )),
                        },
                        Choice {
                            label: "one A record, nothing else",
                            shows: None,
                        },
                        Choice {
                            label: "an error: www is not a real computer",
                            shows: None,
                        },
                    ],
                    explain: "The answer section holds `www → web → host` as CNAME records, \
then `host`'s A record: the stub server followed the aliases for you.",
                }),
            },
            Step {
                text: "Walk from the root for `echo.lab.test`, as a resolver does.",
                button: "Trace from the root",
                setup: Setup::Dns {
                    name: "echo.lab.test",
                    rtype: DnsType::A,
                    mode: DnsMode::Trace,
                },
                check: Check::DnsAnswered("echo.lab.test", DnsType::A, DnsMode::Trace, "A"),
                check_label: "referrals from the root down, then the answer",
                predict: Some(Predict {
                    question: "Which server knows the address of `echo.lab.test`?",
                    choices: &[
                        Choice {
                            label: "the root server",
                            shows: None,
                        },
                        Choice {
                            label: "the server of `lab.test.`, found by following referrals",
                            shows: Some(Check::DnsAnswered(
                                "echo.lab.test",
                                DnsType::A,
                                DnsMode::Trace,
                                "A",
                            )),
                        },
                    ],
                    explain: "The root refers to `test.`, `test.` refers to `lab.test.`, and \
only that server answers with the A record.",
                }),
            },
            Step {
                text: "Ask for another record type: the MX record of `lab.test`.",
                button: "Look up MX",
                setup: Setup::Dns {
                    name: "lab.test",
                    rtype: DnsType::Mx,
                    mode: DnsMode::Stub,
                },
                check: Check::DnsAnswered("lab.test", DnsType::Mx, DnsMode::Stub, "MX"),
                check_label: "the mail server of lab.test, with its preference",
                predict: None,
            },
            Step {
                text: "Fetch `http://www.lab.test/get` and find the lookup before the \
handshake.",
                button: "GET by name",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/get",
                    headers: &[],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
                check: Check::HttpResolvedFirst(WWW_80, "/get"),
                check_label: "resolved, then connected, then answered",
                predict: None,
            },
        ],
        tries: &[
            Try {
                text: "TXT records: free text the domain publishes.",
                setup: Setup::Dns {
                    name: "lab.test",
                    rtype: DnsType::Txt,
                    mode: DnsMode::Stub,
                },
            },
            Try {
                text: "AAAA: the IPv6 address of `echo.lab.test`.",
                setup: Setup::Dns {
                    name: "echo.lab.test",
                    rtype: DnsType::Aaaa,
                    mode: DnsMode::Stub,
                },
            },
            Try {
                text: "A TTL of 5 seconds: `short.lab.test`, counted down in the DNS view.",
                setup: Setup::Dns {
                    name: "short.lab.test",
                    rtype: DnsType::A,
                    mode: DnsMode::Stub,
                },
            },
            Try {
                text: "Three addresses for one name: `many.lab.test`.",
                setup: Setup::Dns {
                    name: "many.lab.test",
                    rtype: DnsType::A,
                    mode: DnsMode::Stub,
                },
            },
        ],
        mistake: Some(Mistake {
            title: "Treating a failed lookup as \"server down\"",
            text: "A name that does not resolve raises `socket.gaierror` before any \
connection is tried, so no server was asked to connect at all. Log the name and the error \
as they are: a typo in a host name and a server that is down need different fixes.",
            show: None,
        }),
        views: &[View::Dns, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "designing-for-failure",
        title: "Designing for failure",
        summary: "Timeouts, retries with exponential backoff and jitter, Retry-After, and giving up clearly.",
        text: "A program that talks over a network will meet failures: a server that is \
restarting, an answer that never comes, a limit it ran into. Designing for failure means \
deciding in advance what your program does then.

- **A timeout on every wait.** It turns \"hangs forever\" into an error your program can \
handle.
- **Retry what may pass.** A timeout, a refused connection, `429 Too Many Requests` and 5xx \
answers may succeed a moment later. A 4xx your request caused will not: report it at once. \
Retry only requests that are safe to repeat, such as GET, PUT and DELETE; a retried POST may \
do its work twice.
- **Back off.** Wait before each retry, longer each time: 0.2 s, 0.4 s, 0.8 s, up to a cap. \
This is **exponential backoff**. Retrying at once only adds load to a server that is already \
struggling.
- **Add jitter.** When a server fails, its clients fail together, and if they all wait the \
same time they come back together. Drawing each wait at random between zero and the backoff \
(**full jitter**) spreads them out.
- **Honour `Retry-After`.** A 503 or a 429 may say how many seconds to wait: wait at least \
that long.
- **Give up, and say so.** After a fixed number of attempts, stop with one clear message: \
what was asked, how many attempts, and the last error.

The lab's `/flaky` fails the first attempts of each key, then succeeds; every run of a \
button uses a fresh key. The relay runs the attempts itself. The grey notes show `attempt 1 \
of 4`, then each failure with its wait (`500: wait …`), and the retry view beside the \
lesson sets the attempts and the waits out one by one.

The code beside the lesson is practice project 3: a client with a timeout and retries, a \
loop with `time.sleep`, printing each failure as it happens. `curl --retry` does the same \
with its own backoff, starting at one second.",
        steps: &[
            Step {
                text: "GET a server that fails twice, with up to 4 attempts.",
                button: "Retry with backoff",
                setup: FLAKY_TWICE,
                check: Check::RetriedToSuccess(WWW_80, "/flaky"),
                check_label: "failed attempts, waits, then 200",
                predict: Some(Predict {
                    question: "The first two attempts get `500`. With 4 attempts allowed, what \
happens?",
                    choices: &[
                        Choice {
                            label: "two waits, then the third attempt gets 200",
                            shows: Some(Check::RetriedToSuccess(WWW_80, "/flaky")),
                        },
                        Choice {
                            label: "the client gives up at the first 500",
                            shows: Some(Check::GaveUp(WWW_80, "/flaky")),
                        },
                        Choice {
                            label: "all four attempts are used",
                            shows: None,
                        },
                    ],
                    explain: "`attempt 3 of 4` comes after two waits, and its response is \
`200 OK`: no attempt is made after a success.",
                }),
            },
            Step {
                text: "A `503` with `Retry-After: 2`: the server says how long to wait.",
                button: "Honour Retry-After",
                setup: RETRY_AFTER,
                check: Check::HonouredRetryAfter(WWW_80, "/flaky"),
                check_label: "the wait was at least the 2 s the server asked for",
                predict: None,
            },
            Step {
                text: "A server that fails five times, with only 3 attempts allowed.",
                button: "Run out of attempts",
                setup: GIVE_UP,
                check: Check::GaveUp(WWW_80, "/flaky"),
                check_label: "gave up after 3 attempts, and said why",
                predict: None,
            },
            Step {
                text: "An attempt that never answers: a 1 s timeout, then a retry.",
                button: "Retry a timeout",
                setup: TIMEOUT_THEN_RETRY,
                check: Check::RetriedAfterTimeout(WWW_80, "/flaky"),
                check_label: "the first attempt timed out, the retry got 200",
                predict: None,
            },
        ],
        tries: &[Try {
            text: "The same flaky server without jitter: the waits are exactly 0.2 s and 0.4 s.",
            setup: Setup::Http {
                target: WWW_80,
                method: "GET",
                path: "/flaky?fail=2&status=500&key={key}",
                headers: &[],
                send: "",
                timeout_ms: Some(10_000),
                retry: Some(Retry {
                    max_attempts: 4,
                    base_ms: 200,
                    jitter: false,
                }),
            },
        }],
        mistake: Some(Mistake {
            title: "Retrying at once, forever",
            text: "`while True: try: ... except: pass` retries without a pause and without an \
end: it hammers a server that is down, hides the error, and never stops. Bound the attempts, \
back off with jitter, and log the last error when you give up.",
            show: Some(GIVE_UP),
        }),
        views: &[View::Retry, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "https-tls",
        title: "HTTPS and TLS",
        summary: "What the TLS handshake does, certificates and who trusts them, and what an eavesdropper still sees.",
        text: "HTTPS is HTTP inside **TLS**. The request and the response are the same as \
before, but first the client and the server run a **handshake** on the new TCP connection, \
and everything after it is encrypted.

The handshake does two jobs:

- **Agree on keys.** The client's `ClientHello` and the server's `ServerHello` each carry a \
key share. From them both sides compute the same secret keys, which an eavesdropper who saw \
both messages cannot compute. In TLS 1.3 this takes one round trip, and the request follows \
at once: the purple `TLS 1.3 …` arrow in the diagram.
- **Prove who the server is.** The server sends its **certificate**, its public key and \
its names signed by a **certificate authority (CA)**, and signs the handshake with the \
matching private key. The client accepts it only if the chain of signatures leads to a CA \
it already trusts (your system, browsers and `requests` each keep a list), the name it asked for is one of \
the certificate's names, and today is within the certificate's dates. Otherwise it hangs \
up before it sends the request.

The relay trusts the lab's own CA, which signed the HTTPS lab's certificate. Three lab \
services each break one rule: `https-wrong-name` has a certificate for \
`someone-else.lab.test` (the relay checks lab services by the name `localhost`), \
`https-unknown-ca` one signed by a CA nobody trusts, and `https-expired` one that ended a \
month ago. Each fails in red with its own reason.

What can someone on the path read? The payload inspector shows the bytes on the wire \
beside the decrypted exchange. Over plain HTTP the wire holds the request as written, \
token and all. Over HTTPS an eavesdropper still sees the IP addresses and ports, the \
server's name in the `ClientHello` (SNI), and the size and timing of each record, but not \
the path, the headers or the body.

Programs on your machine must trust the lab's CA too: save it from this relay's \
`/lab-ca.pem` next to the code, which passes it as `verify=`.",
        steps: &[
            Step {
                text: "Send a bearer token over plain HTTP, then find it in the inspector's \
bytes.",
                button: "GET /bearer over HTTP",
                setup: bearer(WWW_80),
                check: Check::WireShows(WWW_80, "/bearer", TOKEN),
                check_label: "the token is readable in the bytes on the wire",
                predict: Some(Predict {
                    question: "Someone on the network copies every byte of this request. \
What can they read?",
                    choices: &[
                        Choice {
                            label: "everything: the path, the headers, the token",
                            shows: Some(Check::WireShows(WWW_80, "/bearer", TOKEN)),
                        },
                        Choice {
                            label: "only the addresses; the token is hidden",
                            shows: None,
                        },
                    ],
                    explain: "The bytes that left the socket are the request as written: \
`Authorization: Bearer learner-token` in plain text.",
                }),
            },
            Step {
                text: "The same request over HTTPS: a handshake first, then records.",
                button: "GET /bearer over HTTPS",
                setup: bearer(WWW_443),
                check: Check::WireHides(WWW_443, "/bearer", TOKEN),
                check_label: "handshake done, and the token is nowhere on the wire",
                predict: None,
            },
            Step {
                text: "Ask a server whose certificate is made out to another name.",
                button: "GET from https-wrong-name",
                setup: get(WRONG_NAME, "/get"),
                check: Check::CertRefused(WRONG_NAME, "/get", TlsFailure::WrongName),
                check_label: "refused: the certificate is for another name",
                predict: Some(Predict {
                    question: "A trusted CA signed this certificate, for \
`someone-else.lab.test`. What does the client do?",
                    choices: &[
                        Choice {
                            label: "hangs up in the handshake, before the request",
                            shows: Some(Check::CertRefused(
                                WRONG_NAME,
                                "/get",
                                TlsFailure::WrongName,
                            )),
                        },
                        Choice {
                            label: "sends the request: the CA is trusted",
                            shows: Some(Check::HttpsAnswered(WRONG_NAME, "/get")),
                        },
                    ],
                    explain: "No request line follows the handshake: a signature proves \
only the names it covers, and `localhost` is not one of them.",
                }),
            },
            Step {
                text: "Ask a server whose certificate comes from a CA nobody trusts.",
                button: "GET from https-unknown-ca",
                setup: get(UNKNOWN_CA, "/get"),
                check: Check::CertRefused(UNKNOWN_CA, "/get", TlsFailure::UnknownIssuer),
                check_label: "refused: the certificate is from an unknown CA",
                predict: None,
            },
            Step {
                text: "Ask a server whose certificate has expired.",
                button: "GET from https-expired",
                setup: get(EXPIRED, "/get"),
                check: Check::CertRefused(EXPIRED, "/get", TlsFailure::Expired),
                check_label: "refused: the certificate has expired",
                predict: None,
            },
        ],
        tries: &[
            Try {
                text: "`https://www.lab.test/headers` over HTTPS: the lab echoes the headers \
it received, decrypted.",
                setup: get(WWW_443, "/headers"),
            },
            Try {
                text: "The same over plain HTTP: the same answer, readable on the wire.",
                setup: get(WWW_80, "/headers"),
            },
        ],
        mistake: Some(Mistake {
            title: "Turning verification off",
            text: "When a certificate is refused, `requests.get(url, verify=False)` (or \
`curl -k`) makes the error go away, and with it the only proof of who answers. Anyone who \
can intercept the connection can then answer in the server's place with a certificate of \
their own: your data is still encrypted, but to them. Fix the cause instead: the name you use, the server's certificate, or, for a \
private CA, trust that one CA's file with `verify=\"ca.pem\"`.",
            show: Some(get(WRONG_NAME, "/get")),
        }),
        views: &[View::Payloads, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "security-practice",
        title: "Security practice",
        summary: "Secrets in headers, not URLs or logs; validating input; rate limits; why a public relay refuses private addresses.",
        text: "A program on a network talks to strangers, and strangers may be careless or \
hostile. A few habits keep it out of most trouble.

- **Secrets go in headers, never in the URL.** A URL is copied everywhere: into browser \
history, server access logs, proxies' logs, a HAR export, a bug report. The first step sends \
a token in the `Authorization` header. The second puts the same token in `?token=`: the lab's \
`/get` answers with the `url` it received, token and all, exactly what a server writes to \
its access log. HTTPS hides both from an eavesdropper on the wire, but not from the logs at \
either end. This relay follows the same rule: its log lines name addresses, sizes and codes, \
never payloads, tokens, `Authorization` or `Cookie` values.
- **Validate input.** Check what arrives (type, range, length) before you use it, and refuse \
what does not fit with a clear error. The lab's `/status/abc` does: `abc` is not a status \
code, so it answers `400 Bad Request` and says why, instead of failing somewhere deeper.
- **Limit rates.** A server that answers everyone as fast as they ask can be flooded. It \
answers `429 Too Many Requests`, often with `Retry-After`. The third step meets one and \
waits as asked. This relay limits each session too: how many operations may be open at \
once and how many may start each second, with lower limits when it runs in public.
- **Refuse private addresses on a public relay.** A relay run on your machine may reach \
anything you could. A relay on the internet must not become a way into the network behind \
it: routers, databases, cloud metadata at `169.254.169.254`. So it resolves a name first, \
checks the address it is about to dial, and refuses private, loopback and link-local ones \
with a `blocked` error that names the rule, even when a public name leads there.",
        steps: &[
            Step {
                text: "Call `/bearer` with the token in the `Authorization` header.",
                button: "Token in a header",
                setup: BEARER_TOKEN,
                check: Check::HttpStatus(WWW_80, "/bearer", 200),
                check_label: "200: the token was accepted, and the URL holds no secret",
                predict: None,
            },
            Step {
                text: "Send the same token in the query string, to the lab's `/get`.",
                button: "Token in the URL",
                setup: TOKEN_IN_URL,
                check: Check::HttpStatus(WWW_80, "/get?token=learner-token", 200),
                check_label: "200, and the server's answer repeats the URL with the token",
                predict: Some(Predict {
                    question: "The request goes to `/get?token=learner-token`. Does the \
server see the token?",
                    choices: &[
                        Choice {
                            label: "yes: the query is part of the URL the server receives",
                            shows: Some(Check::HttpStatus(
                                WWW_80,
                                "/get?token=learner-token",
                                200,
                            )),
                        },
                        Choice {
                            label: "no: the query stays in the client",
                            shows: None,
                        },
                    ],
                    explain: "Read the response in the payload inspector: its `url` is \
`/get?token=learner-token`. Whatever logs the URL logs the token.",
                }),
            },
            Step {
                text: "Ask for the status code `abc`: input the server cannot use.",
                button: "Send bad input",
                setup: BAD_INPUT,
                check: Check::HttpStatus(WWW_80, "/status/abc", 400),
                check_label: "400 Bad Request, with the reason",
                predict: Some(Predict {
                    question: "`abc` is not a status code. What does a careful server answer?",
                    choices: &[
                        Choice {
                            label: "400 Bad Request, saying what was wrong",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/abc", 400)),
                        },
                        Choice {
                            label: "500 Internal Server Error: it crashed on the input",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/abc", 500)),
                        },
                        Choice {
                            label: "200 OK: it ignores what it does not understand",
                            shows: Some(Check::HttpStatus(WWW_80, "/status/abc", 200)),
                        },
                    ],
                    explain: "The lab checked the input first and refused it: a 4xx means \
the request was wrong, and the body says how.",
                }),
            },
            Step {
                text: "A server that rate-limits: the first attempt gets `429` with \
`Retry-After: 1`.",
                button: "Meet a rate limit",
                setup: RATE_LIMITED,
                check: Check::HonouredRetryAfter(WWW_80, "/flaky"),
                check_label: "429, a wait of at least 1 s, then 200",
                predict: None,
            },
        ],
        tries: &[
            Try {
                text: "`/bearer` with no token: `401 Unauthorized`, refused before any work \
is done.",
                setup: BEARER_NONE,
            },
            Try {
                text: "`/headers` with a token: the server sees the header too, but a URL \
is what logs and history keep.",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/headers",
                    headers: &[("Authorization", "Bearer learner-token")],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
            },
            Try {
                text: "`/status/1000`: a number, but out of range, so also `400`.",
                setup: Setup::Http {
                    target: WWW_80,
                    method: "GET",
                    path: "/status/1000",
                    headers: &[],
                    send: "",
                    timeout_ms: Some(10_000),
                    retry: None,
                },
            },
        ],
        mistake: Some(Mistake {
            title: "A token in the query string",
            text: "`requests.get(url, params={\"token\": token})` works, and so does the \
token: it is now in the server's access log, in every proxy's log on the way, and in the \
history of whoever opens the link. Logging `response.url` while debugging puts it in your \
own logs too. Send it as `headers={\"Authorization\": f\"Bearer {token}\"}`, keep it out of \
your log lines, and if one leaked, revoke it: a secret that was logged is no longer secret.",
            show: Some(TOKEN_IN_URL),
        }),
        views: &[View::Payloads, View::Retry, View::Sequence],
        server_code: false,
    },
    Lesson {
        slug: "common-mistakes",
        title: "Common mistakes",
        summary: "One recv for a whole message, no timeout, not closing, testing only on loopback, text instead of bytes: each shown live.",
        text: "Most bugs in network programs are not in the network. They are a few assumptions \
that hold on a developer's laptop and fail in the world. Each step below makes one of them \
happen in the lab, so you see it before your users do.

- **One `recv()` is not one message.** Lesson 9, \"Messages over a stream\", sent 48 KB \
and got it back in pieces, but size is not the only cause. In the first step the echo server reads slowly, 200 bytes at a \
time, and sends back each piece as soon as it has read it: 1,200 bytes, less than one \
packet, come back as several green arrows. A program that calls `recv` once keeps only the \
first piece. Loop until your framing says the message is complete.
- **No timeout.** The lab's `/delay/3` answers after three seconds. Asked with no timeout, \
the request simply waits, and on a server that never answers it would wait for ever: \
`requests.get(url)` without `timeout=` sets no limit of its own (the relay behind this \
page gives up after 30 seconds). The same request with a one-second timeout ends after one second with \
a red `failed: timed out`, an error your program can catch and report.
- **Forgetting to close.** The other side cannot tell \"finished\" from \"slow\" until you \
say so. The fourth step shuts down its sending side: the purple `FIN (shutdown)` tells the \
echo server you are done, its next read returns the end of the stream, and it closes its \
side too (the `FIN` coming back). Without a close, no `FIN` goes while your program runs: \
the server keeps a socket waiting for \
you, and a server that reads a request to its end never answers.
- **Testing only on loopback.** On `127.0.0.1` a round trip takes a fraction of a \
millisecond and every answer looks instant. The last step asks the lab to hold what the echo \
reads for 300 ms, about a round trip between continents: the same `hello` comes back at \
least 300 ms after it went. Timeouts that are too short, and code that waits for one answer \
before it asks the next question, show up only now.

The box at the end adds the mistake Python stops at once: sending text instead of bytes.",
        steps: &[
            Step {
                text: "Send 1,200 bytes to an echo server that reads them 200 bytes at a time.",
                button: "Send to a slow reader",
                setup: Setup::Tcp {
                    target: ECHO,
                    send: MEDIUM,
                    then: After::Close,
                    faults: Some(SLOW_READER),
                },
                check: Check::InPieces(ECHO),
                check_label: "all 1,200 bytes came back, in more than one piece",
                predict: Some(Predict {
                    question: "1,200 bytes fit in one packet. How many `recv(4096)` calls \
does the program need to get the whole echo?",
                    choices: &[
                        Choice {
                            label: "one: the message is smaller than the buffer",
                            shows: None,
                        },
                        Choice {
                            label: "as many as it takes: the echo arrives in pieces",
                            shows: Some(Check::InPieces(ECHO)),
                        },
                    ],
                    explain: "Count the green arrows from Target: each is a piece that \
arrived on its own, and only together are they the message.",
                }),
            },
            Step {
                text: "Ask `/delay/3` with no timeout of your own.",
                button: "GET /delay/3, no timeout",
                setup: delay_3(None),
                check: Check::HttpStatus(WWW_80, "/delay/3", 200),
                check_label: "200, after waiting as long as the server took",
                predict: Some(Predict {
                    question: "`requests.get(url)` has no `timeout=`, and the server takes \
three seconds. What happens?",
                    choices: &[
                        Choice {
                            label: "a default timeout stops it after a second or two",
                            shows: None,
                        },
                        Choice {
                            label: "it waits the whole three seconds, then gets 200",
                            shows: Some(Check::HttpStatus(WWW_80, "/delay/3", 200)),
                        },
                    ],
                    explain: "No timeout means no limit: the request waited for the server. \
Had it never answered, the program would still be waiting.",
                }),
            },
            Step {
                text: "The same request with a timeout of one second.",
                button: "GET /delay/3, timeout 1 s",
                setup: delay_3(Some(1_000)),
                check: Check::HttpTimedOut(WWW_80, "/delay/3"),
                check_label: "no response within 1 s: a timeout the program can handle",
                predict: None,
            },
            Step {
                text: "Send `hello` to the echo, then shut down your sending side and read \
until the server closes.",
                button: "Say you are done",
                setup: tcp(ECHO, "hello", After::Shutdown),
                check: Check::FinFromServer(ECHO),
                check_label: "the server saw your FIN and closed its side too",
                predict: None,
            },
            Step {
                text: "Send `hello` to the echo over a link with 300 ms of latency.",
                button: "Send over a long link",
                setup: Setup::Tcp {
                    target: ECHO,
                    send: "hello",
                    then: After::Close,
                    faults: Some(LONG_LINK),
                },
                check: Check::EchoedAfter(ECHO, LINK_LATENCY_MS),
                check_label: "the echo came back at least 300 ms after it went",
                predict: None,
            },
        ],
        tries: &[
            Try {
                text: "The same 1,200 bytes to the echo reading at full speed: on loopback they \
usually come back in one piece, which is why one `recv` seems to work there.",
                setup: tcp(ECHO, MEDIUM, After::Close),
            },
            Try {
                text: "Keep the connection open after the echo: no `FIN` goes either way, and \
the server waits.",
                setup: tcp(ECHO, "hello", After::Keep),
            },
            Try {
                text: "`/delay/3` with a timeout of five seconds: slow, and a success.",
                setup: delay_3(Some(5_000)),
            },
        ],
        mistake: Some(Mistake {
            title: "Sending text instead of bytes",
            text: "In Python 3, `sock.sendall(\"hello\")` raises `TypeError: a bytes-like \
object is required, not 'str'`: a socket carries bytes, and text becomes bytes only through \
an encoding. Send `\"hello\".encode(\"utf-8\")` and turn what arrives back into text with \
`data.decode(\"utf-8\")`, as the code beside the lesson does. Count a message in bytes, not \
characters: `\"é\"` is one character and two bytes in UTF-8.",
            show: None,
        }),
        views: &[View::Sequence, View::Lifecycle],
        server_code: false,
    },
];
