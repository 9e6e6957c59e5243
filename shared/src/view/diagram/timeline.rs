//! Who talks to whom, and when: every step of a trace placed between two
//! lanes and on one clock for the whole session.
//!
//! Lanes: the Browser, the Relay, then one lane per peer the relay talked to,
//! in order of first appearance: each DNS server, each target (a server or a
//! UDP peer), each client that connected to a listener. When the page has
//! several sockets open to one peer at the same time (chat, the concurrency
//! lab), each of them gets a Client lane of its own between the Relay and
//! that peer, so the arrows of one client are not mixed with another's.
//! When the page connects to its own listener, the client and the accepted
//! connection are the two ends of one connection, drawn as two lanes joined
//! by the arrows between them (`join_own_connections`).
//!
//! The clock: the relay stamps each event in microseconds since *its
//! operation* started; the page stamps each message with when it saw it
//! (`seen_us`, when the trace has times). Session time 0 is the first step. Each operation gets an anchor, the
//! session time at which it started: when the page sent its first request
//! (for a connection a listener accepted, the time of the `accepted` event).
//! A request's session time is when the page sent it; an event's is its
//! operation's anchor plus its `t_us`, so time inside an operation is the
//! relay's, exact. No step is earlier than the step before it: time only
//! runs downward.
//!
//! Idle time: a gap of more than [`IDLE_MIN_US`] while nothing is under way
//! (no DNS query or HTTP request waiting, no connection being set up, no
//! client of a service that answers each message waiting for its answer:
//! [`ANSWERING_SERVICES`]) is the learner
//! thinking or a peer keeping quiet. Drawn to scale it would push
//! everything else off screen, so it becomes a [`Break`]: left out of
//! `draw_us` and drawn as one mark that says how long it was. Waits that are
//! the lesson (backoff, timeouts, slow servers) happen while an operation is
//! under way and are drawn to scale, unless the operation has said nothing
//! for a minute (its end may never come: the relay link dropped).

use std::collections::{HashMap, HashSet};

use super::Tone;
use super::labels::{Before, Role, describe_step};
use crate::protocol::{EventKind, OpId};
use crate::trace::{Request, SocketKind, StepKind, Trace};

/// The lab services that answer each message a client sends (the echoes
/// and the concurrency lab's servers), as the relay names them. A client
/// that sent one of them a message waits for the answer; a client of
/// anything else (the chat, a server the page knows nothing of) may send a
/// line that nobody answers, and its silence after it is idle.
pub const ANSWERING_SERVICES: &[&str] = &[
    "tcp-echo",
    "udp-echo",
    "tcp-slow-serial",
    "tcp-slow-threads",
    "tcp-slow-async",
];

/// Whether `target` (a connection's or UDP socket's) names a service of
/// [`ANSWERING_SERVICES`].
fn answers_each_message(target: &str) -> bool {
    ANSWERING_SERVICES.contains(&target.trim())
}

/// What a lane stands for; colours and the text alternative use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneKind {
    Browser,
    /// A Python program running in the page: it talks through the relay
    /// as the page's panels do.
    Program,
    Relay,
    /// A DNS server the relay queried.
    Dns,
    /// A server (or UDP peer) the relay talked to.
    Target,
    /// A client that connected to one of the page's listeners.
    Client,
}

impl LaneKind {
    pub fn name(self) -> &'static str {
        match self {
            LaneKind::Browser => "Browser",
            LaneKind::Program => "Program",
            LaneKind::Relay => "Relay",
            LaneKind::Dns => "DNS",
            LaneKind::Target => "Target",
            LaneKind::Client => "Client",
        }
    }

    /// CSS class of the lane's colour, e.g. `lane-dns`.
    pub fn class(self) -> &'static str {
        match self {
            // A program runs in the browser: its lane has the browser's colour.
            LaneKind::Browser | LaneKind::Program => "lane-browser",
            LaneKind::Relay => "lane-relay",
            LaneKind::Dns => "lane-dns",
            LaneKind::Target => "lane-target",
            LaneKind::Client => "lane-client",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    pub kind: LaneKind,
    /// Second line under the kind's name: the peer's address, or `you` /
    /// `roundtrip` for the two fixed lanes.
    pub subtitle: String,
}

impl Lane {
    /// `Target 127.0.0.1:4000`, or `Browser` for the fixed lanes.
    pub fn full_name(&self) -> String {
        match self.kind {
            LaneKind::Browser | LaneKind::Relay => self.kind.name().to_owned(),
            _ if self.subtitle.is_empty() => self.kind.name().to_owned(),
            _ => format!("{} {}", self.kind.name(), self.subtitle),
        }
    }
}

/// One step of the trace, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineItem {
    /// Index of the step in the trace.
    pub step: usize,
    pub op: OpId,
    /// Lane indexes; equal for a mark (something inside one lane).
    pub from: usize,
    pub to: usize,
    /// Session time in microseconds (see the module's doc).
    pub at_us: u64,
    /// Session time with the idle breaks before it left out: what the
    /// real-time scale draws.
    pub draw_us: u64,
    /// How many idle breaks come before this step.
    pub breaks: usize,
    /// The relay's own time for the step, since its operation started.
    pub t_us: Option<u64>,
    /// Time since the previous step of the same operation.
    pub since_prev_us: Option<u64>,
    pub label: String,
    pub tone: Tone,
    /// For a step a program in the page made: its file, line and the
    /// line's text (`client.py, line 9: sock.sendall(b"Hello")`).
    pub source: Option<String>,
}

impl TimelineItem {
    pub fn is_mark(&self) -> bool {
        self.from == self.to
    }
}

/// A stretch of idle time left out of the real-time scale (see the module's
/// doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Break {
    /// The item right after the break.
    pub before_item: usize,
    /// How long nothing happened.
    pub idle_us: u64,
}

impl Break {
    /// `4.200 s idle`.
    pub fn label(&self) -> String {
        format!("{} idle", super::format_span(self.idle_us))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub items: Vec<TimelineItem>,
    /// In session order; `items[b.before_item].breaks` counts `b` itself.
    pub breaks: Vec<Break>,
}

impl Timeline {
    /// Session time of the last step.
    pub fn end_us(&self) -> u64 {
        self.items.last().map_or(0, |item| item.at_us)
    }

    /// One line per step, e.g. `Relay -> Target  SYN → 127.0.0.1:7  @0.110 ms`
    /// (lanes by kind; the time is the relay's, since the operation started).
    /// Used in snapshot tests and as a plain-text alternative.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let mut breaks = self.breaks.iter().peekable();
        for (index, item) in self.items.iter().enumerate() {
            if let Some(idle) = breaks.next_if(|b| b.before_item == index) {
                out.push_str(&format!("  ({})\n", idle.label()));
            }
            let from = self.lanes[item.from].kind.name();
            if item.is_mark() {
                out.push_str(from);
            } else {
                out.push_str(&format!("{from} -> {}", self.lanes[item.to].kind.name()));
            }
            out.push_str("  ");
            out.push_str(&item.label);
            if let Some(t_us) = item.t_us {
                out.push_str(&format!("  @{}", super::format_micros(t_us)));
            }
            out.push('\n');
        }
        out
    }

    /// The lanes, one per line: `Target 127.0.0.1:4000`.
    pub fn describe_lanes(&self) -> String {
        self.lanes
            .iter()
            .map(|lane| lane.full_name() + "\n")
            .collect()
    }
}

/// Gaps longer than this while nothing is under way become idle breaks.
pub const IDLE_MIN_US: u64 = 1_000_000;
/// An operation under way that has said nothing for this long (its end
/// never came: the relay link dropped) no longer keeps gaps from being idle.
const STALE_US: u64 = 60_000_000;

/// What the timeline remembers about each operation while it walks the trace.
#[derive(Default)]
struct OpClock {
    /// Session time at which the relay started the operation.
    anchor: Option<u64>,
    /// Session time of its latest step.
    last: Option<u64>,
    /// The lane of the peer it talks to, once known.
    peer: Option<usize>,
    /// The lane of the DNS server it last queried.
    dns: Option<usize>,
    /// A socket the page opened towards a peer (a TCP connection or a UDP
    /// socket): several of them to one peer get Client lanes of their own.
    client_socket: bool,
    /// The socket's own address, from `connected` or `bound`.
    local: Option<String>,
    /// The other end's address, from `connected`.
    remote: Option<String>,
    /// A TCP connection the page opened (`tcp_connect`).
    tcp_client: bool,
    /// A connection one of the page's listeners accepted.
    accepted: bool,
    /// Something is under way: a DNS query or HTTP request not yet ended,
    /// a socket not yet set up. Gaps then are never idle.
    busy: bool,
    /// The item of its first step, and of its terminal event once it ended:
    /// its lifetime, to tell sockets open at once from one after another.
    first_item: usize,
    end_item: Option<usize>,
    /// Whether the relay reported anything about it yet.
    heard: bool,
    /// What its labels depend on of its earlier steps.
    before: Before,
    /// Its peer is a lab service that answers each message it gets
    /// ([`ANSWERING_SERVICES`]): what it sends is a request.
    answers: bool,
    /// A socket the page opened to such a service sent a request and has
    /// heard nothing back since: it waits for the answer, which is not idle.
    awaiting: bool,
    /// The browser asked to close it; closing waits for the peer.
    closing: bool,
}

/// The lanes, each peer's found by its kind and address.
struct Lanes {
    list: Vec<Lane>,
    index: HashMap<(LaneKind, String), usize>,
}

impl Lanes {
    fn get(&mut self, kind: LaneKind, addr: &str) -> usize {
        let list = &mut self.list;
        *self
            .index
            .entry((kind, addr.to_owned()))
            .or_insert_with(|| {
                list.push(Lane {
                    kind,
                    subtitle: addr.to_owned(),
                });
                list.len() - 1
            })
    }
}

/// Builds the lanes and places every step of `trace`. Linear in the steps;
/// call it when the trace changes, not on every frame.
pub fn timeline(trace: &Trace) -> Timeline {
    let mut lanes = Lanes {
        list: vec![
            Lane {
                kind: LaneKind::Browser,
                subtitle: "you".to_owned(),
            },
            Lane {
                kind: LaneKind::Relay,
                subtitle: "roundtrip".to_owned(),
            },
        ],
        index: HashMap::new(),
    };
    let mut ops: HashMap<OpId, OpClock> = HashMap::new();
    // Operations in order of their first step, for the Client lanes.
    let mut op_order: Vec<OpId> = Vec::new();
    let mut busy = 0_usize;
    // Session time of the latest step of an operation under way.
    let mut last_busy_step = 0_u64;
    // The session starts with its first step: the time before it (the page
    // opening, the learner reading) is not part of it.
    let origin = trace
        .steps()
        .first()
        .and_then(|step| step.seen_us)
        .unwrap_or(0);
    let mut now = 0_u64;
    let mut idle_total = 0_u64;
    let mut breaks = Vec::new();
    let mut items = Vec::with_capacity(trace.steps().len());

    for (index, step) in trace.steps().iter().enumerate() {
        let socket = trace.kind_of(step.op);
        let item_index = items.len();
        let clock = ops.entry(step.op).or_insert_with(|| {
            op_order.push(step.op);
            OpClock {
                first_item: item_index,
                ..OpClock::default()
            }
        });
        let (from, to, label, tone) = describe_step(step, socket, &mut clock.before);
        // The page's time for the step, never before the step above.
        let seen = step
            .seen_us
            .map_or(now, |seen| seen.saturating_sub(origin))
            .max(now);
        let at_us = match step.t_us {
            // Saturating: a hostile file may carry any `t_us`.
            Some(t_us) => clock
                .anchor
                .get_or_insert(seen.saturating_sub(t_us))
                .saturating_add(t_us),
            None => {
                clock.anchor.get_or_insert(seen);
                seen
            }
        }
        .max(now);
        // Under way only while something happens: an operation whose end
        // never came (the relay link dropped) stops counting after a while.
        let under_way = busy > 0 && at_us.saturating_sub(last_busy_step) <= STALE_US;
        if !under_way && at_us - now > IDLE_MIN_US && !items.is_empty() {
            idle_total += at_us - now;
            breaks.push(Break {
                before_item: item_index,
                idle_us: at_us - now,
            });
        }
        now = at_us;
        let since_prev_us = clock.last.map(|last| at_us - last);
        clock.last = Some(at_us);

        // Whether the operation is under way after this step.
        let was_busy = clock.busy;
        match &step.kind {
            StepKind::Request(request) => match request {
                Request::Connect { target, .. } => {
                    clock.client_socket = true;
                    clock.tcp_client = true;
                    clock.answers = answers_each_message(target);
                    clock.busy = true;
                }
                Request::UdpOpen { target, .. } => {
                    clock.client_socket = true;
                    clock.answers = target.as_deref().is_some_and(answers_each_message);
                    clock.busy = true;
                }
                // Closing waits for the queued bytes and the peer's FIN.
                Request::Listen { .. } | Request::Http { .. } | Request::DnsQuery { .. } => {
                    clock.busy = true
                }
                Request::Close => {
                    clock.closing = true;
                    clock.busy = true;
                }
                _ => {}
            },
            StepKind::Event { kind, .. } => match kind {
                EventKind::Connected { local, .. } | EventKind::Bound { local, .. } => {
                    clock.local = Some(local.clone());
                    if let EventKind::Connected { remote, .. } = kind {
                        clock.remote = Some(remote.clone());
                        clock.accepted = socket == SocketKind::AcceptedConnection;
                    }
                    // The socket is set up; an HTTP request goes on after
                    // connecting, and a listener after listening.
                    if clock.client_socket {
                        clock.busy = false;
                    }
                }
                EventKind::Listening { .. } => clock.busy = false,
                EventKind::ShutdownSent => clock.before.fin_sent = true,
                EventKind::ResetSent => clock.before.rst_sent = true,
                // A client that sent a request and waits for the answer
                // (a server serving one client at a time keeps it waiting
                // for seconds) is not idle: the wait is drawn to scale.
                // A lab name with a well-known port (`echo.lab.test:7`)
                // says which service it is here.
                EventKind::LabPort { service, .. } => {
                    clock.answers = answers_each_message(service);
                }
                EventKind::Sent { .. } | EventKind::DatagramSent { .. }
                    if clock.client_socket && clock.answers =>
                {
                    clock.awaiting = true;
                    clock.busy = true;
                }
                EventKind::Received { .. }
                | EventKind::DatagramReceived { .. }
                | EventKind::RecvTimeout { .. }
                | EventKind::PeerClosed
                | EventKind::Reset
                    if clock.awaiting =>
                {
                    clock.awaiting = false;
                    clock.busy = clock.closing;
                }
                kind if kind.is_terminal() => clock.busy = false,
                _ => {}
            },
            // A refusal of the request that started the operation ends it;
            // a refused send on a connection being set up does not.
            StepKind::Rejected(_) if !clock.heard => clock.busy = false,
            StepKind::Rejected(_) => {}
        }
        if let StepKind::Event { kind, .. } = &step.kind {
            clock.heard = true;
            if kind.is_terminal() {
                clock.end_item = Some(item_index);
            }
        }
        if clock.busy {
            last_busy_step = at_us;
        }
        match (was_busy, clock.busy) {
            (false, true) => busy += 1,
            (true, false) => busy -= 1,
            _ => {}
        }

        // The lane this step's `Target` side stands for.
        let peer_kind = if socket == SocketKind::AcceptedConnection {
            LaneKind::Client
        } else {
            LaneKind::Target
        };
        let mut accepted = None;
        let named = match &step.kind {
            StepKind::Event { kind, .. } => match kind {
                EventKind::Connecting { addr } | EventKind::AttemptFailed { addr, .. } => {
                    Some(lanes.get(peer_kind, addr))
                }
                EventKind::Connected { remote, .. } => Some(lanes.get(peer_kind, remote)),
                EventKind::Bound {
                    remote: Some(addr), ..
                } => Some(lanes.get(LaneKind::Target, addr)),
                EventKind::DatagramSent { to: addr, .. }
                | EventKind::DatagramReceived { from: addr, .. }
                | EventKind::Refused { addr, .. } => Some(lanes.get(LaneKind::Target, addr)),
                EventKind::Accepted { conn, peer } => {
                    let client = lanes.get(LaneKind::Client, peer);
                    accepted = Some((*conn, client));
                    Some(client)
                }
                _ => None,
            },
            _ => None,
        };
        let clock = ops.get_mut(&step.op).expect("inserted above");
        let dns = match &step.kind {
            StepKind::Event {
                kind: EventKind::DnsQuerySent { server, .. },
                ..
            } => {
                let server = lanes.get(LaneKind::Dns, server);
                clock.dns = Some(server);
                Some(server)
            }
            StepKind::Event {
                kind: EventKind::DnsResponse { server, .. },
                ..
            } => Some(lanes.get(LaneKind::Dns, server)),
            _ => None,
        };
        // A listener's `accepted` names its client but is not the
        // listener's peer; every other named address is the operation's.
        if accepted.is_none()
            && let Some(named) = named
        {
            clock.peer = Some(named);
        }
        let needs_peer = from == Role::Target || to == Role::Target;
        let target = match dns.or(named).or(clock.peer) {
            Some(lane) => lane,
            // Nothing named the peer (a trace that starts midway): one lane
            // for whatever it is.
            None if needs_peer => {
                let unknown = lanes.get(peer_kind, "");
                clock.peer = Some(unknown);
                unknown
            }
            None => 1,
        };
        if let Some((conn, client)) = accepted {
            let conn = ops.entry(conn).or_insert_with(|| {
                op_order.push(conn);
                OpClock {
                    first_item: item_index,
                    ..OpClock::default()
                }
            });
            conn.anchor.get_or_insert(at_us);
            conn.peer.get_or_insert(client);
        }

        let index_of = |role: Role| match role {
            Role::Browser => 0,
            Role::Relay => 1,
            Role::Target => target,
        };
        let delivered = matches!(
            &step.kind,
            StepKind::Event {
                kind: EventKind::Received { .. } | EventKind::DatagramReceived { .. },
                ..
            }
        )
        .then(|| (label.clone(), tone));
        items.push(TimelineItem {
            step: index,
            op: step.op,
            from: index_of(from),
            to: index_of(to),
            at_us,
            draw_us: at_us - idle_total,
            breaks: breaks.len(),
            t_us: step.t_us,
            since_prev_us,
            label,
            tone,
            source: None,
        });
        // Bytes a socket received travel on to the page: the round trip
        // ends where it began, in the Browser lane. The page saw them at
        // `seen` (never before the relay got them).
        if let Some((label, tone)) = delivered {
            let at = seen.max(at_us);
            now = at;
            let clock = ops.get_mut(&step.op).expect("inserted above");
            clock.last = Some(at);
            items.push(TimelineItem {
                step: index,
                op: step.op,
                from: 1,
                to: 0,
                at_us: at,
                draw_us: at - idle_total,
                breaks: breaks.len(),
                t_us: None,
                since_prev_us: Some(at - at_us),
                label,
                tone,
                source: None,
            });
        }
    }
    let mut lanes = lanes.list;
    let joined = join_own_connections(trace, &mut lanes, &mut items, &ops, &op_order);
    split_clients(&mut lanes, &mut items, &ops, &op_order, &joined);
    // Before anything talked to a peer, an empty Target lane shows where
    // the other side will be.
    if lanes.len() == 2 {
        lanes.push(Lane {
            kind: LaneKind::Target,
            subtitle: String::new(),
        });
    }
    programs(trace, &mut lanes, &mut items);
    Timeline {
        lanes,
        items,
        breaks,
    }
}

/// The steps of a program in the page start and end in a lane of the
/// program's own (`Program client.py`), between the Browser and the Relay,
/// and carry the line that made them. When only programs spoke, their
/// lanes take the Browser lane's place.
fn programs(trace: &Trace, lanes: &mut Vec<Lane>, items: &mut [TimelineItem]) {
    let sources = trace.sources();
    if sources.is_empty() {
        return;
    }
    let made_by = sources.resolve(trace.steps());
    // The programs in the order they first speak, and whether the panels
    // spoke at all.
    let mut names: Vec<&str> = Vec::new();
    let mut browser_used = false;
    for item in items.iter_mut() {
        item.source = made_by
            .get(item.step)
            .copied()
            .flatten()
            .map(|source| source.describe());
        if item.from != 0 && item.to != 0 {
            continue;
        }
        match sources.program_of(item.op) {
            Some(name) if !names.contains(&name) => names.push(name),
            Some(_) => {}
            None => browser_used = true,
        }
    }
    if names.is_empty() {
        return;
    }
    let new_lanes = names.iter().map(|name| Lane {
        kind: LaneKind::Program,
        subtitle: (*name).to_owned(),
    });
    // Where each program's lane goes, and how far the others move.
    let (first, added) = if browser_used {
        (1, names.len())
    } else {
        (0, names.len() - 1)
    };
    lanes.splice(first..1, new_lanes);
    let moved = |lane: usize| if lane >= 1 { lane + added } else { lane };
    for item in items.iter_mut() {
        let program = sources
            .program_of(item.op)
            .and_then(|name| names.iter().position(|n| *n == name));
        for lane in [&mut item.from, &mut item.to] {
            *lane = match (*lane, program) {
                (0, Some(index)) => first + index,
                (lane, _) => moved(lane),
            };
        }
    }
}

/// Gives each socket the page opened its own Client lane when several of
/// them talk to the same peer at the same time, placed between the Relay
/// and the peers: the socket's steps that the Relay lane held move to its
/// lane, the browser's requests stay between Browser and Relay. Sockets
/// opened one after another keep the Relay lane.
fn split_clients(
    lanes: &mut Vec<Lane>,
    items: &mut [TimelineItem],
    ops: &HashMap<OpId, OpClock>,
    op_order: &[OpId],
    joined: &HashSet<OpId>,
) {
    // Per peer, its sockets in order of their first step; a socket open
    // while another one to the same peer is gets a lane (as does that one).
    // A joined connection's client end has its lane already.
    let mut open_by_peer: HashMap<usize, Vec<OpId>> = HashMap::new();
    let mut concurrent: HashSet<OpId> = HashSet::new();
    for op in op_order.iter().filter(|op| !joined.contains(op)) {
        let clock = &ops[op];
        let (true, Some(peer)) = (clock.client_socket, clock.peer) else {
            continue;
        };
        let open = open_by_peer.entry(peer).or_default();
        open.retain(|other| ops[other].end_item.is_none_or(|end| end > clock.first_item));
        if !open.is_empty() {
            concurrent.extend(open.iter().chain([op]));
        }
        open.push(*op);
    }
    let mut own: HashMap<OpId, usize> = HashMap::new();
    let mut new_lanes = Vec::new();
    let mut numbers: HashMap<usize, usize> = HashMap::new();
    for op in op_order.iter().filter(|op| concurrent.contains(op)) {
        let Some(peer) = ops[op].peer else { continue };
        let number = numbers.entry(peer).or_default();
        *number += 1;
        let subtitle = match &ops[op].local {
            Some(local) => format!("{local} (#{number})"),
            None => format!("#{number}"),
        };
        own.insert(*op, 2 + new_lanes.len());
        new_lanes.push(Lane {
            kind: LaneKind::Client,
            subtitle,
        });
    }
    if new_lanes.is_empty() {
        return;
    }
    let added = new_lanes.len();
    let moved = |lane: usize| if lane >= 2 { lane + added } else { lane };
    for item in items.iter_mut() {
        item.from = moved(item.from);
        item.to = moved(item.to);
        if let Some(&lane) = own.get(&item.op)
            && item.from != 0
            && item.to != 0
        {
            if item.from == 1 {
                item.from = lane;
            }
            if item.to == 1 {
                item.to = lane;
            }
        }
    }
    lanes.splice(2..2, new_lanes);
}

/// Whether `addr` (`127.0.0.1:5000`, `[::1]:5000`) is a loopback address.
fn is_loopback(addr: &str) -> bool {
    addr.parse::<std::net::SocketAddr>()
        .is_ok_and(|addr| addr.ip().is_loopback())
}

/// The port of `addr`, as written.
fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(_, port)| port)
}

/// Joins the two ends of each connection the page opened to one of its own
/// listeners: a `tcp_connect` whose `connected` (local, remote) is an
/// accepted connection's (remote, local), both on loopback. Drawn apart,
/// the client's bytes would leave towards a Target lane and arrive from an
/// unrelated Client lane; joined, each end is a lane of its own and every
/// arrow goes from one end to the other:
///
/// - the client end's steps move from the Relay lane to the Client lane the
///   listener named for it, the accepted end's to the Target lane the
///   client dialled (the listener's address), the Client lane just before
///   it; the browser's requests and deliveries stay where they are;
/// - what crosses the connection is drawn once, when it arrives (the
///   handshake by the client's SYN and SYN-ACK; data, FIN and RST by the
///   receiving end): the sending end's `sent` and FIN become notes on its
///   lane, the listener's `accepted` a note on the Relay lane beside its
///   `listening`, and `accept()` returning, a note on the accepted end's
///   lane, says that the two lanes are the two ends of one TCP connection.
///
/// Returns the client ends joined: they need no Client lane of their own
/// ([`split_clients`]).
fn join_own_connections(
    trace: &Trace,
    lanes: &mut Vec<Lane>,
    items: &mut [TimelineItem],
    ops: &HashMap<OpId, OpClock>,
    op_order: &[OpId],
) -> HashSet<OpId> {
    let end = |op: &OpId| {
        let clock = &ops[op];
        match (&clock.local, &clock.remote, clock.peer) {
            (Some(local), Some(remote), Some(peer))
                if is_loopback(local) && is_loopback(remote) =>
            {
                Some((local.as_str(), remote.as_str(), peer))
            }
            _ => None,
        }
    };
    // The accepted ends by their (local, remote), each joined at most once.
    let mut accepted: HashMap<(&str, &str), OpId> = HashMap::new();
    for op in op_order.iter().filter(|op| ops[op].accepted) {
        if let Some((local, remote, _)) = end(op) {
            accepted.entry((local, remote)).or_insert(*op);
        }
    }
    // Each joined end's own lane; what `accept()` returning says for each
    // accepted end; the (client lane, server lane) of each join.
    let mut own: HashMap<OpId, usize> = HashMap::new();
    let mut servers: HashMap<OpId, String> = HashMap::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut clients = HashSet::new();
    for op in op_order.iter().filter(|op| ops[op].tcp_client) {
        let Some((local, remote, server_lane)) = end(op) else {
            continue;
        };
        let Some(server) = accepted.remove(&(remote, local)) else {
            continue;
        };
        let Some(client_lane) = ops[&server].peer else {
            continue;
        };
        if client_lane == server_lane || client_lane < 2 || server_lane < 2 {
            continue;
        }
        own.insert(*op, client_lane);
        own.insert(server, server_lane);
        let label = format!(
            "accept() returns: two ends of one TCP connection, {} ↔ {}",
            port_of(local),
            port_of(remote)
        );
        servers.insert(server, label);
        pairs.push((client_lane, server_lane));
        clients.insert(*op);
    }
    if pairs.is_empty() {
        return clients;
    }
    // Ends that aborted: their close sent an RST, not a FIN.
    let mut aborted = HashSet::new();
    for item in items.iter_mut() {
        if item.from == 0 || item.to == 0 {
            continue;
        }
        let StepKind::Event { kind, .. } = &trace.steps()[item.step].kind else {
            continue;
        };
        if let EventKind::Accepted { conn, .. } = kind
            && servers.contains_key(conn)
        {
            // The client's SYN is drawn already: the listener, beside its
            // `listening`, hands the connection over.
            item.from = 1;
            item.to = 1;
            item.label = format!("accepted as {}", crate::protocol::op_name(*conn));
            item.tone = Tone::Note;
            continue;
        }
        let Some(&lane) = own.get(&item.op) else {
            continue;
        };
        if item.from == 1 {
            item.from = lane;
        }
        if item.to == 1 {
            item.to = lane;
        }
        if item.is_mark() {
            continue;
        }
        // What this end sends is drawn when the other end gets it.
        let mark = match kind {
            EventKind::Connected { .. } => servers.get(&item.op).cloned(),
            EventKind::Sent { .. } => Some(format!("sent {}", item.label)),
            EventKind::ShutdownSent => Some("FIN sent (shutdown)".to_owned()),
            EventKind::ResetSent => {
                aborted.insert(item.op);
                Some("RST sent (abort)".to_owned())
            }
            EventKind::Closed { .. } if aborted.contains(&item.op) => {
                Some("closed: RST sent, no FIN".to_owned())
            }
            EventKind::Closed { .. } => Some("FIN sent (close)".to_owned()),
            _ => None,
        };
        if let Some(label) = mark {
            if matches!(kind, EventKind::Connected { .. }) {
                item.tone = Tone::Note;
            }
            item.from = lane;
            item.to = lane;
            item.label = label;
        }
    }
    // The client end's lane just before the server end's: what the client
    // sends runs towards the server, as it does to any target.
    let mut before: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut moved = HashSet::new();
    for (client, server) in pairs {
        if client > server && moved.insert(client) {
            before.entry(server).or_default().push(client);
        }
    }
    let mut placed = vec![false; lanes.len()];
    let mut order = Vec::with_capacity(lanes.len());
    for lane in 0..lanes.len() {
        if moved.contains(&lane) {
            continue;
        }
        for &at in before.get(&lane).into_iter().flatten().chain([&lane]) {
            if !placed[at] {
                placed[at] = true;
                order.push(at);
            }
        }
    }
    // A lane a hostile trace made both a client end and a server end keeps
    // a place: at the end.
    order.extend((0..lanes.len()).filter(|&lane| !placed[lane]));
    let mut new_index = vec![0; lanes.len()];
    for (new, old) in order.iter().enumerate() {
        new_index[*old] = new;
    }
    for item in items.iter_mut() {
        item.from = new_index[item.from];
        item.to = new_index[item.to];
    }
    let old = std::mem::take(lanes);
    let mut old: Vec<Option<Lane>> = old.into_iter().map(Some).collect();
    lanes.extend(order.iter().filter_map(|i| old[*i].take()));
    clients
}
