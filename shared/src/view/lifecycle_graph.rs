//! A socket's state machine as a graph to draw: every state its kind of
//! socket can be in, the transitions between them, the path this socket
//! took lit up, and the socket calls a C program would have made so far.
//!
//! Three machines: a TCP client (created → resolving → connecting →
//! connected → half-closed → closed, or refused, reset, timed out), a TCP
//! listener (bound → listening, accepting connections) with its accepted
//! connections (which start connected), and a UDP socket (bound, datagrams
//! sent and received, closed).

use crate::lifecycle::{SocketState, path};
use crate::protocol::{EventKind, OpId};
use crate::session::sources::{CallName, Sources};
use crate::trace::SocketKind;

use SocketState::*;

/// Size of a state's box, and the grid the boxes sit on.
pub const NODE_WIDTH: f64 = 150.0;
pub const NODE_HEIGHT: f64 = 34.0;
const COLUMN: f64 = 176.0;
const ROW: f64 = 58.0;
const MARGIN: f64 = 12.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Machine {
    TcpClient,
    TcpListener,
    /// A connection a listener accepted: it starts connected.
    Accepted,
    Udp,
}

impl Machine {
    pub fn of(kind: SocketKind) -> Machine {
        match kind {
            SocketKind::TcpConnection => Machine::TcpClient,
            SocketKind::TcpListener => Machine::TcpListener,
            SocketKind::AcceptedConnection => Machine::Accepted,
            SocketKind::UdpSocket => Machine::Udp,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Machine::TcpClient => "TCP client",
            Machine::TcpListener => "TCP listener",
            Machine::Accepted => "TCP connection (accepted)",
            Machine::Udp => "UDP socket",
        }
    }

    /// The machine's states and where each sits: (column, row).
    fn states(self) -> &'static [(SocketState, f64, f64)] {
        match self {
            Machine::TcpClient => &[
                (Idle, 0.0, 0.0),
                (Resolving, 0.0, 1.0),
                (Failed, 1.0, 1.0),
                (Connecting, 0.0, 2.0),
                (Refused, 1.0, 2.0),
                (TimedOut, 2.0, 2.0),
                (Connected, 0.0, 3.0),
                (Reset, 1.0, 3.0),
                (HalfClosed, 0.0, 4.0),
                (LocalHalfClosed, 1.0, 4.0),
                (BothShut, 0.0, 5.0),
                (Closed, 0.0, 6.0),
            ],
            Machine::Accepted => &[
                (Idle, 0.0, 0.0),
                (Connected, 0.0, 1.0),
                (Reset, 1.0, 1.0),
                (HalfClosed, 0.0, 2.0),
                (LocalHalfClosed, 1.0, 2.0),
                (BothShut, 0.0, 3.0),
                (Closed, 0.0, 4.0),
            ],
            Machine::TcpListener => &[
                (Idle, 0.0, 0.0),
                (Bound, 0.0, 1.0),
                (Failed, 1.0, 1.0),
                (Listening, 0.0, 2.0),
                (Closed, 0.0, 3.0),
            ],
            Machine::Udp => &[
                (Idle, 0.0, 0.0),
                (Bound, 0.0, 1.0),
                (Failed, 1.0, 1.0),
                (Closed, 0.0, 2.0),
            ],
        }
    }

    /// The transitions a socket of this kind can make.
    fn transitions(self) -> &'static [(SocketState, SocketState)] {
        match self {
            Machine::TcpClient => &[
                (Idle, Resolving),
                (Idle, Connecting),
                (Resolving, Connecting),
                (Resolving, Failed),
                (Connecting, Refused),
                (Connecting, TimedOut),
                (Connecting, Connected),
                (Connected, Reset),
                (Connected, HalfClosed),
                (Connected, LocalHalfClosed),
                (Connected, Closed),
                (HalfClosed, BothShut),
                (LocalHalfClosed, BothShut),
                (BothShut, Closed),
            ],
            Machine::Accepted => &[
                (Idle, Connected),
                (Connected, Reset),
                (Connected, HalfClosed),
                (Connected, LocalHalfClosed),
                (Connected, Closed),
                (HalfClosed, BothShut),
                (LocalHalfClosed, BothShut),
                (BothShut, Closed),
            ],
            Machine::TcpListener => &[
                (Idle, Bound),
                (Idle, Failed),
                (Bound, Listening),
                (Listening, Closed),
            ],
            Machine::Udp => &[(Idle, Bound), (Idle, Failed), (Bound, Closed)],
        }
    }
}

/// What a state is called in this machine: a socket that does not exist
/// yet is "created" (by `socket()`), an accepted one "accepted".
pub fn state_label(machine: Machine, state: SocketState) -> &'static str {
    match (machine, state) {
        (Machine::Accepted, Idle) => "accepted",
        (_, Idle) => "created",
        (_, state) => state.label(),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub state: SocketState,
    pub label: &'static str,
    /// The call a program makes (or gets back) in this state.
    pub call: &'static str,
    /// Top-left corner.
    pub x: f64,
    pub y: f64,
    /// The socket has been in this state.
    pub visited: bool,
    /// The socket is in this state now.
    pub current: bool,
    pub error: bool,
    /// What happened in this state so far: `2 sent, 1 received`.
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: SocketState,
    pub to: SocketState,
    /// SVG path data, box edge to box edge.
    pub d: String,
    /// The socket went this way.
    pub taken: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    pub machine: Machine,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub width: f64,
    pub height: f64,
}

impl Graph {
    /// One line per state and edge, for snapshot tests and the text
    /// alternative: `* connected` is current, `+` visited.
    pub fn describe(&self) -> String {
        let mut out = format!("{}\n", self.machine.title());
        for node in &self.nodes {
            let mark = if node.current {
                '*'
            } else if node.visited {
                '+'
            } else {
                ' '
            };
            out.push_str(&format!(
                "{mark} {} ({}) at {:.0},{:.0}{}\n",
                node.label,
                node.call,
                node.x,
                node.y,
                node.detail
                    .as_ref()
                    .map(|d| format!(" [{d}]"))
                    .unwrap_or_default()
            ));
        }
        for edge in &self.edges {
            out.push_str(&format!(
                "{} {} -> {}  {}\n",
                if edge.taken { "==" } else { "--" },
                edge.from.label(),
                edge.to.label(),
                edge.d
            ));
        }
        out
    }
}

/// Lays out `machine` with `path` (from [`crate::lifecycle::path`]) lit.
/// A step the machine does not foresee (a reset while connecting) is drawn
/// as a taken edge all the same, and a state it lacks gets a box of its own.
pub fn graph(machine: Machine, path: &[SocketState]) -> Graph {
    let mut placed: Vec<(SocketState, f64, f64)> = machine.states().to_vec();
    for state in path {
        if !placed.iter().any(|(s, ..)| s == state) {
            let row = placed.iter().map(|p| p.2).fold(0.0, f64::max) + 1.0;
            placed.push((*state, 1.0, row));
        }
    }
    let current = path.last().copied().unwrap_or(Idle);
    let position = |state: SocketState| {
        placed
            .iter()
            .find(|(s, ..)| *s == state)
            .map(|&(_, c, r)| (MARGIN + c * COLUMN, MARGIN + r * ROW))
            .expect("every state is placed")
    };
    let nodes: Vec<Node> = placed
        .iter()
        .map(|&(state, ..)| {
            let (x, y) = position(state);
            Node {
                state,
                label: state_label(machine, state),
                call: match (machine, state) {
                    (Machine::Accepted, Idle) => "accept()",
                    _ => state.call(),
                },
                x,
                y,
                visited: path.contains(&state),
                current: state == current,
                error: state.is_error(),
                detail: None,
            }
        })
        .collect();
    let taken: Vec<(SocketState, SocketState)> = path.windows(2).map(|w| (w[0], w[1])).collect();
    let mut pairs: Vec<(SocketState, SocketState)> = machine.transitions().to_vec();
    for pair in &taken {
        if !pairs.contains(pair) {
            pairs.push(*pair);
        }
    }
    let edges = pairs
        .into_iter()
        .map(|(from, to)| Edge {
            from,
            to,
            d: edge_path(position(from), position(to)),
            taken: taken.contains(&(from, to)),
        })
        .collect();
    let columns = placed.iter().map(|p| p.1).fold(0.0, f64::max) + 1.0;
    let rows = placed.iter().map(|p| p.2).fold(0.0, f64::max) + 1.0;
    Graph {
        machine,
        nodes,
        edges,
        width: 2.0 * MARGIN + (columns - 1.0) * COLUMN + NODE_WIDTH,
        height: 2.0 * MARGIN + (rows - 1.0) * ROW + NODE_HEIGHT,
    }
}

/// From the bottom (or side) of one box to the top (or side) of another.
/// An edge that skips boxes in its column bends out to the left so it
/// does not run through them.
fn edge_path((x1, y1): (f64, f64), (x2, y2): (f64, f64)) -> String {
    let (w, h) = (NODE_WIDTH, NODE_HEIGHT);
    if y1 == y2 && (x2 - x1).abs() > COLUMN * 1.5 {
        // Past a box in between: under it.
        let (sx, ex) = (x1 + w * 0.75, x2 + w * 0.25);
        let low = y1 + h + 14.0;
        return format!(
            "M {sx:.1} {:.1} C {sx:.1} {low:.1}, {ex:.1} {low:.1}, {ex:.1} {:.1}",
            y1 + h,
            y2 + h
        );
    }
    if y1 == y2 {
        // Side by side.
        let (from_x, to_x) = if x2 > x1 { (x1 + w, x2) } else { (x1, x2 + w) };
        return format!(
            "M {from_x:.1} {:.1} L {to_x:.1} {:.1}",
            y1 + h / 2.0,
            y2 + h / 2.0
        );
    }
    let (sx, sy) = (x1 + w / 2.0, y1 + h);
    let (ex, ey) = (x2 + w / 2.0, y2);
    if x1 == x2 && (y2 - y1) > ROW * 1.5 {
        let bend = x1 - 16.0;
        return format!(
            "M {:.1} {:.1} C {bend:.1} {:.1}, {bend:.1} {:.1}, {:.1} {:.1}",
            x1 + 10.0,
            y1 + h,
            y1 + h + 10.0,
            y2 - 10.0,
            x2 + 10.0,
            y2
        );
    }
    if x2 > x1 {
        // Down and to the right: leave from the bottom's right end, clear
        // of the box beside the source.
        return format!("M {:.1} {sy:.1} L {ex:.1} {ey:.1}", x1 + w * 0.8);
    }
    format!("M {sx:.1} {sy:.1} L {ex:.1} {ey:.1}")
}

/// One socket call and how often the socket made it so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub name: &'static str,
    pub count: usize,
    /// For a program's socket: the lines of its file that made the call
    /// (see [`add_lines`]), each once, in order.
    pub lines: Vec<u32>,
}

impl Call {
    /// `line 4`, `lines 9, 14`, or `lines 3, 5, 8, 9, …` past four.
    pub fn lines_label(&self) -> Option<String> {
        const SHOWN: usize = 4;
        let (first, rest) = self.lines.split_first()?;
        if rest.is_empty() {
            return Some(format!("line {first}"));
        }
        let mut shown: Vec<String> = self.lines.iter().take(SHOWN).map(u32::to_string).collect();
        if self.lines.len() > SHOWN {
            shown.push("…".to_owned());
        }
        Some(format!("lines {}", shown.join(", ")))
    }
}

/// Gives each call of a program's socket `op` the lines that made it.
pub fn add_lines(calls: &mut [Call], sources: &Sources, op: OpId) {
    for name in CallName::ALL {
        let Some(call_name) = name.socket_call() else {
            continue;
        };
        if let Some(call) = calls.iter_mut().find(|call| call.name == call_name) {
            for line in sources.lines_of(op, name) {
                if !call.lines.contains(&line) {
                    call.lines.push(line);
                }
            }
        }
    }
}

/// The calls a C program would make for this socket, in the order it makes
/// them, each with how many times it has so far (0: not yet).
pub fn calls<'a>(machine: Machine, events: impl IntoIterator<Item = &'a EventKind>) -> Vec<Call> {
    let names: &[&'static str] = match machine {
        Machine::TcpClient => &[
            "socket()",
            "getaddrinfo()",
            "connect()",
            "send()",
            "recv()",
            "shutdown()",
            "close()",
        ],
        Machine::Accepted => &["accept()", "send()", "recv()", "shutdown()", "close()"],
        Machine::TcpListener => &["socket()", "bind()", "listen()", "accept()", "close()"],
        Machine::Udp => &[
            "socket()",
            "bind()",
            "connect()",
            "sendto()",
            "recvfrom()",
            "close()",
        ],
    };
    let mut counts = vec![0_usize; names.len()];
    let mut bump = |name: &str| {
        if let Some(i) = names.iter().position(|n| *n == name) {
            counts[i] += 1;
        }
    };
    let mut any = false;
    for event in events {
        any = true;
        match event {
            EventKind::Resolving { .. } => bump("getaddrinfo()"),
            EventKind::Connecting { .. } => bump("connect()"),
            EventKind::Sent { .. } => bump("send()"),
            EventKind::Received { .. } => bump("recv()"),
            EventKind::ShutdownSent => bump("shutdown()"),
            EventKind::Closed { .. } => bump("close()"),
            EventKind::Bound { remote, .. } => {
                bump("bind()");
                // A UDP socket with a target is connected: the kernel then
                // takes datagrams from that peer only.
                if remote.is_some() {
                    bump("connect()");
                }
            }
            EventKind::Listening { .. } => bump("listen()"),
            EventKind::Accepted { .. } => bump("accept()"),
            EventKind::DatagramSent { .. } => bump("sendto()"),
            EventKind::DatagramReceived { .. } => bump("recvfrom()"),
            _ => {}
        }
    }
    if any {
        match machine {
            Machine::Accepted => bump("accept()"),
            _ => bump("socket()"),
        }
    }
    names
        .iter()
        .zip(counts)
        .map(|(&name, count)| Call {
            name,
            count,
            lines: Vec::new(),
        })
        .collect()
}

/// The graph and calls of a socket from its events.
pub fn of_events<'a>(
    kind: SocketKind,
    events: impl IntoIterator<Item = &'a EventKind> + Clone,
) -> (Graph, Vec<Call>) {
    let machine = Machine::of(kind);
    let states = path(events.clone());
    let mut graph = graph(machine, &states);
    let calls = calls(machine, events);
    let count = |name: &str| calls.iter().find(|c| c.name == name).map_or(0, |c| c.count);
    for node in &mut graph.nodes {
        node.detail =
            match (machine, node.state) {
                (Machine::Udp, Bound) if node.visited => Some(format!(
                    "{} sent, {} received",
                    count("sendto()"),
                    count("recvfrom()")
                )),
                (Machine::TcpListener, Listening) if node.visited => {
                    Some(format!("{} accepted", count("accept()")))
                }
                (Machine::TcpClient | Machine::Accepted, Connected) if node.visited => Some(
                    format!("{} sends, {} receives", count("send()"), count("recv()")),
                ),
                _ => None,
            };
    }
    (graph, calls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Closer, ErrorCode, RelayError, ResolveSource};

    fn connected() -> EventKind {
        EventKind::Connected {
            local: "127.0.0.1:5".into(),
            remote: "127.0.0.1:7".into(),
        }
    }

    fn shot(kind: SocketKind, events: &[EventKind]) -> String {
        let (graph, calls) = of_events(kind, events);
        let mut out = graph.describe();
        out.push_str(&format!("size {:.0}x{:.0}\n", graph.width, graph.height));
        for call in calls {
            out.push_str(&format!("{} x{}\n", call.name, call.count));
        }
        out
    }

    #[test]
    fn a_new_socket_is_created_and_nothing_else() {
        insta::assert_snapshot!(shot(SocketKind::TcpConnection, &[]));
    }

    #[test]
    fn echo_client_walks_the_main_path() {
        let events = [
            EventKind::Resolving {
                host: "localhost".into(),
            },
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:7".into()],
                source: ResolveSource::System,
            },
            EventKind::Connecting {
                addr: "127.0.0.1:7".into(),
            },
            connected(),
            EventKind::Sent { bytes: 5 },
            EventKind::Received { bytes: 5 },
            EventKind::ShutdownSent,
            EventKind::PeerClosed,
            EventKind::Closed {
                by: Closer::Browser,
            },
        ];
        let (graph, calls) = of_events(SocketKind::TcpConnection, &events);
        let taken: Vec<_> = graph
            .edges
            .iter()
            .filter(|e| e.taken)
            .map(|e| (e.from, e.to))
            .collect();
        assert_eq!(
            taken,
            [
                (Idle, Resolving),
                (Resolving, Connecting),
                (Connecting, Connected),
                (Connected, LocalHalfClosed),
                (LocalHalfClosed, BothShut),
                (BothShut, Closed)
            ]
        );
        assert!(graph.nodes.iter().any(|n| n.current && n.state == Closed));
        assert!(calls.iter().all(|c| c.count == 1), "{calls:?}");
        insta::assert_snapshot!(shot(SocketKind::TcpConnection, &events));
    }

    #[test]
    fn refused_lights_the_error_and_a_literal_skips_resolving() {
        let events = [
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:9".into()],
                source: ResolveSource::Literal,
            },
            EventKind::Connecting {
                addr: "127.0.0.1:9".into(),
            },
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "refused"),
            },
        ];
        let (graph, _) = of_events(SocketKind::TcpConnection, &events);
        let refused = graph.nodes.iter().find(|n| n.state == Refused).unwrap();
        assert!(refused.current && refused.error);
        assert!(
            !graph
                .nodes
                .iter()
                .find(|n| n.state == Resolving)
                .unwrap()
                .visited
        );
        insta::assert_snapshot!(shot(SocketKind::TcpConnection, &events));
    }

    #[test]
    fn an_unforeseen_step_is_drawn_as_taken() {
        // A reset while half-closed is not one of the drawn transitions.
        let events = [connected(), EventKind::PeerClosed, EventKind::Reset];
        let (graph, _) = of_events(SocketKind::TcpConnection, &events);
        assert!(
            graph
                .edges
                .iter()
                .any(|e| e.taken && e.from == HalfClosed && e.to == Reset)
        );
    }

    #[test]
    fn listener_counts_its_accepted_connections() {
        let events = [
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: None,
            },
            EventKind::Listening {
                addr: "127.0.0.1:5000".into(),
            },
            EventKind::Accepted {
                conn: 0x8000_0000,
                peer: "127.0.0.1:40000".into(),
            },
            EventKind::Accepted {
                conn: 0x8000_0001,
                peer: "127.0.0.1:40001".into(),
            },
        ];
        insta::assert_snapshot!(shot(SocketKind::TcpListener, &events));
        insta::assert_snapshot!(
            "accepted",
            shot(
                SocketKind::AcceptedConnection,
                &[
                    connected(),
                    EventKind::Received { bytes: 3 },
                    EventKind::Reset
                ]
            )
        );
    }

    #[test]
    fn udp_socket_sends_and_receives_then_closes() {
        let events = [
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: Some("127.0.0.1:9".into()),
            },
            EventKind::DatagramSent {
                to: "127.0.0.1:9".into(),
                bytes: 1,
            },
            EventKind::DatagramReceived {
                from: "127.0.0.1:9".into(),
                bytes: 1,
            },
            EventKind::DatagramSent {
                to: "127.0.0.1:9".into(),
                bytes: 1,
            },
            EventKind::Closed {
                by: Closer::Browser,
            },
        ];
        insta::assert_snapshot!(shot(SocketKind::UdpSocket, &events));
    }

    /// A program's socket: each call lists the lines that made it.
    #[test]
    fn a_programs_calls_carry_their_line_numbers() {
        use crate::session::sources::ProgramCall;
        let mut sources = Sources::default();
        for (call, line) in [
            (CallName::Socket, 2),
            (CallName::Connect, 3),
            (CallName::Send, 4),
            (CallName::Recv, 5),
            (CallName::Send, 4),
            (CallName::Send, 7),
            (CallName::Close, 9),
        ] {
            sources.record(
                0,
                ProgramCall {
                    op: 1,
                    call,
                    program: "client.py".into(),
                    line,
                    text: String::new(),
                },
            );
        }
        let (_, mut calls) = of_events(SocketKind::TcpConnection, &[connected()]);
        add_lines(&mut calls, &sources, 1);
        let labels: Vec<_> = calls
            .iter()
            .map(|call| format!("{} {}", call.name, call.lines_label().unwrap_or_default()))
            .collect();
        assert_eq!(
            labels,
            [
                "socket() line 2",
                "getaddrinfo() ",
                "connect() line 3",
                "send() lines 4, 7",
                "recv() line 5",
                "shutdown() ",
                "close() line 9",
            ]
        );
        // Another socket's calls are not this one's.
        let (_, mut other) = of_events(SocketKind::TcpConnection, &[connected()]);
        add_lines(&mut other, &sources, 2);
        assert!(other.iter().all(|call| call.lines.is_empty()));
        let many = Call {
            name: "send()",
            count: 6,
            lines: vec![1, 2, 3, 4, 5, 6],
        };
        assert_eq!(many.lines_label().unwrap(), "lines 1, 2, 3, 4, …");
    }
}
