//! Who talks to whom, and when: every step of a trace placed between two
//! lanes and on one clock for the whole session.
//!
//! Lanes: the Browser, the Relay, then one lane per peer the relay talked to,
//! in order of first appearance: each DNS server, each target (a server or a
//! UDP peer), each client that connected to a listener.
//!
//! The clock: the relay stamps each event in microseconds since *its
//! operation* started, and the browser's requests carry no time at all. To
//! draw one time axis, each operation gets an anchor, the session time at
//! which it started: the latest time known when its first step arrived (for
//! a connection a listener accepted, the time of the `accepted` event). A
//! step's session time is its operation's anchor plus its `t_us`, and never
//! earlier than the step before it, so time only runs downward. Only relay
//! time is used, so idle time between operations (the learner thinking)
//! does not show; time inside an operation is exact.

use std::collections::HashMap;

use super::Tone;
use super::labels::{Role, describe_step};
use crate::protocol::{EventKind, OpId};
use crate::trace::{SocketKind, StepKind, Trace};

/// What a lane stands for; colours and the text alternative use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneKind {
    Browser,
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
            LaneKind::Relay => "Relay",
            LaneKind::Dns => "DNS",
            LaneKind::Target => "Target",
            LaneKind::Client => "Client",
        }
    }

    /// CSS class of the lane's colour, e.g. `lane-dns`.
    pub fn class(self) -> &'static str {
        match self {
            LaneKind::Browser => "lane-browser",
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
pub struct Item {
    /// Index of the step in the trace.
    pub step: usize,
    pub op: OpId,
    /// Lane indexes; equal for a mark (something inside one lane).
    pub from: usize,
    pub to: usize,
    /// Session time in microseconds (see the module's doc).
    pub at_us: u64,
    /// The relay's own time for the step, since its operation started.
    pub t_us: Option<u64>,
    /// Time since the previous step of the same operation.
    pub since_prev_us: Option<u64>,
    pub label: String,
    pub tone: Tone,
}

impl Item {
    pub fn is_mark(&self) -> bool {
        self.from == self.to
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub items: Vec<Item>,
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
        for item in &self.items {
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
}

/// Builds the lanes and places every step of `trace`. Linear in the steps;
/// call it when the trace changes, not on every frame.
pub fn timeline(trace: &Trace) -> Timeline {
    let mut lanes = vec![
        Lane {
            kind: LaneKind::Browser,
            subtitle: "you".to_owned(),
        },
        Lane {
            kind: LaneKind::Relay,
            subtitle: "roundtrip".to_owned(),
        },
    ];
    let mut lane_of: HashMap<(LaneKind, String), usize> = HashMap::new();
    let mut lane = |kind: LaneKind, addr: &str| -> usize {
        *lane_of.entry((kind, addr.to_owned())).or_insert_with(|| {
            lanes.push(Lane {
                kind,
                subtitle: addr.to_owned(),
            });
            lanes.len() - 1
        })
    };
    let mut ops: HashMap<OpId, OpClock> = HashMap::new();
    let mut now = 0_u64;
    let mut items = Vec::with_capacity(trace.steps().len());

    for (index, step) in trace.steps().iter().enumerate() {
        let socket = trace.kind_of(step.op);
        let (from, to, label, tone) = describe_step(step, socket);
        let clock = ops.entry(step.op).or_default();
        let at_us = match step.t_us {
            Some(t_us) => *clock.anchor.get_or_insert(now.saturating_sub(t_us)) + t_us,
            None => {
                clock.anchor.get_or_insert(now);
                now
            }
        }
        .max(now);
        now = at_us;
        let since_prev_us = clock.last.map(|last| at_us - last);
        clock.last = Some(at_us);

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
                    Some(lane(peer_kind, addr))
                }
                EventKind::Connected { remote, .. } => Some(lane(peer_kind, remote)),
                EventKind::Bound {
                    remote: Some(addr), ..
                } => Some(lane(LaneKind::Target, addr)),
                EventKind::DatagramSent { to: addr, .. }
                | EventKind::DatagramReceived { from: addr, .. }
                | EventKind::Refused { addr, .. } => Some(lane(LaneKind::Target, addr)),
                EventKind::Accepted { conn, peer } => {
                    let client = lane(LaneKind::Client, peer);
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
                let server = lane(LaneKind::Dns, server);
                clock.dns = Some(server);
                Some(server)
            }
            StepKind::Event {
                kind: EventKind::DnsResponse { server, .. },
                ..
            } => Some(lane(LaneKind::Dns, server)),
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
                let unknown = lane(peer_kind, "");
                clock.peer = Some(unknown);
                unknown
            }
            None => 1,
        };
        if let Some((conn, client)) = accepted {
            let conn = ops.entry(conn).or_default();
            conn.anchor.get_or_insert(at_us);
            conn.peer.get_or_insert(client);
        }

        let index_of = |role: Role| match role {
            Role::Browser => 0,
            Role::Relay => 1,
            Role::Target => target,
        };
        items.push(Item {
            step: index,
            op: step.op,
            from: index_of(from),
            to: index_of(to),
            at_us,
            t_us: step.t_us,
            since_prev_us,
            label,
            tone,
        });
    }
    // Before anything talked to a peer, an empty Target lane shows where
    // the other side will be.
    if lanes.len() == 2 {
        lanes.push(Lane {
            kind: LaneKind::Target,
            subtitle: String::new(),
        });
    }
    Timeline { lanes, items }
}
