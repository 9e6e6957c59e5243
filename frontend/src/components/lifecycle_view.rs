//! A socket's lifecycle: its state machine drawn as a graph (the path it
//! took and its current state lit) beside the socket calls a C program
//! would have made. One operation at a time, chosen from the trace; by
//! default the page's current socket.
//!
//! The graph and the calls come from `shared::lifecycle_graph`.

use std::rc::Rc;

use roundtrip_shared::lifecycle::{self, SocketState};
use roundtrip_shared::lifecycle_graph::{self, Graph, Machine, NODE_HEIGHT, NODE_WIDTH};
use roundtrip_shared::protocol::{OpId, op_name};
use roundtrip_shared::trace::{Request, StepKind, Trace};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
    /// The page's current socket, shown until the learner picks another.
    pub current: Option<OpId>,
    /// The relay link dropped while the current socket was still open.
    #[prop_or_default]
    pub cut_off: bool,
}

#[function_component(LifecycleView)]
pub fn lifecycle_view(props: &Props) -> Html {
    // `None`: follow the page's current socket.
    let chosen = use_state(|| None::<OpId>);
    let ops = operations(&props.trace);
    let op = chosen.or(props.current).or(ops.last().map(|(op, _)| *op));
    let events: Vec<_> = op
        .into_iter()
        .flat_map(|op| props.trace.events_of(op))
        .collect();
    let path = lifecycle::path(events.iter().copied());
    let current = *path.last().expect("a path is never empty");
    let kind = op.map(|op| props.trace.kind_of(op));
    let machine = kind.map_or(Machine::TcpClient, Machine::of);
    let (graph, mut calls) = match kind {
        Some(kind) => lifecycle_graph::of_events(kind, events.iter().copied()),
        None => (
            lifecycle_graph::graph(machine, &path),
            lifecycle_graph::calls(machine, []),
        ),
    };
    // A program's socket: the lines of its file that made each call.
    let program = op.and_then(|op| props.trace.sources().program_of(op));
    if let Some(op) = op.filter(|_| program.is_some()) {
        lifecycle_graph::add_lines(&mut calls, props.trace.sources(), op);
    }
    let on_choose = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            chosen.set(value.parse().ok());
        })
    };
    let heading = match (op, program) {
        (Some(op), Some(program)) => {
            format!("Socket ({}) · {} · {program}", op_name(op), machine.title())
        }
        (Some(op), None) => format!("Socket ({}) · {}", op_name(op), machine.title()),
        (None, _) => "Socket".to_owned(),
    };
    let last = path.len().saturating_sub(1);
    html! {
        <section class="panel lifecycle" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading">{heading}</h2>
            if ops.len() > 1 {
                <label class="lifecycle-choice">
                    {"Operation: "}
                    <select id="lifecycle-op" onchange={on_choose}>
                        <option value="" selected={chosen.is_none()}>{"the current socket"}</option>
                        { for ops.iter().map(|(id, what)| html! {
                            <option value={id.to_string()} selected={*chosen == Some(*id)}>
                                {format!("{}: {what}", op_name(*id))}
                            </option>
                        }) }
                    </select>
                </label>
            }
            <p class="socket-now">
                {"State: "}
                <span id="socket-state" class={classes!("state-chip", tone_of(current))}>
                    {current.label()}
                </span>
                <span class="socket-call">
                    {"socket call: "}<code id="socket-call">{current.call()}</code>
                </span>
            </p>
            <div class="lifecycle-body">
                { graph_view(&graph) }
                <ol id="socket-calls" class="socket-calls" aria-label="The socket calls so far">
                    { for calls.iter().map(|call| html! {
                        <li class={classes!((call.count > 0).then_some("is-made"))}
                            data-call={call.name}>
                            <code>{call.name}</code>
                            if call.count > 1 {
                                <span class="call-count">{format!(" ×{}", call.count)}</span>
                            }
                            if let Some(lines) = call.lines_label() {
                                <span class="call-lines">{format!(" · {lines}")}</span>
                            }
                        </li>
                    }) }
                </ol>
            </div>
            <ol class="socket-path visually-hidden" aria-label="States this socket went through">
                { for path.iter().enumerate().map(|(i, state)| html! {
                    <li aria-current={(i == last).then_some("step")}>
                        {lifecycle_graph::state_label(machine, *state)}
                    </li>
                }) }
            </ol>
            if props.cut_off && chosen.is_none() {
                <p class="note">
                    {"The connection to the relay ended while this socket was open; \
                      the relay closes its sockets when the page's connection ends."}
                </p>
            }
        </section>
    }
}

/// The graph as SVG: edges under boxes; taken edges and visited boxes lit,
/// the current box filled.
fn graph_view(graph: &Graph) -> Html {
    let description = graph
        .nodes
        .iter()
        .filter(|n| n.visited)
        .map(|n| n.label)
        .collect::<Vec<_>>()
        .join(" → ");
    html! {
        <svg id="lifecycle-graph" class="lifecycle-graph" role="img"
            aria-label={format!("{} state machine; path taken: {description}", graph.machine.title())}
            viewBox={format!("0 0 {:.0} {:.0}", graph.width, graph.height)}
            width={format!("{:.0}", graph.width)} height={format!("{:.0}", graph.height)}
            xmlns="http://www.w3.org/2000/svg">
            <defs>
                <marker id="lifecycle-arrow" viewBox="0 0 10 10" refX="10" refY="5"
                    markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" />
                </marker>
                <marker id="lifecycle-arrow-taken" viewBox="0 0 10 10" refX="10" refY="5"
                    markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" />
                </marker>
            </defs>
            { for graph.edges.iter().map(|edge| html! {
                <path class={classes!("edge", edge.taken.then_some("is-taken"))}
                    data-from={edge.from.label()} data-to={edge.to.label()}
                    d={edge.d.clone()}
                    marker-end={if edge.taken { "url(#lifecycle-arrow-taken)" } else { "url(#lifecycle-arrow)" }} />
            }) }
            { for graph.nodes.iter().map(|node| html! {
                <g class={classes!(
                        "state", tone_of(node.state),
                        node.visited.then_some("is-visited"),
                        node.current.then_some("is-current"),
                    )}
                    data-state={node.label}>
                    <title>{format!("{}: {}{}", node.label, node.call,
                        node.detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())}</title>
                    <rect x={node.x.to_string()} y={node.y.to_string()} rx="8"
                        width={NODE_WIDTH.to_string()} height={NODE_HEIGHT.to_string()} />
                    <text class="state-label" x={(node.x + NODE_WIDTH / 2.0).to_string()}
                        y={(node.y + if node.detail.is_some() { 14.0 } else { 21.0 }).to_string()}
                        text-anchor="middle">{node.label}</text>
                    if let Some(detail) = &node.detail {
                        <text class="state-detail" x={(node.x + NODE_WIDTH / 2.0).to_string()}
                            y={(node.y + 28.0).to_string()} text-anchor="middle">{detail.clone()}</text>
                    }
                </g>
            }) }
        </svg>
    }
}

/// Every operation in the trace with a few words on what it is, in the
/// order they started.
fn operations(trace: &Trace) -> Vec<(OpId, String)> {
    let mut ops: Vec<(OpId, String)> = Vec::new();
    for step in trace.steps() {
        if ops.iter().any(|(op, _)| *op == step.op) {
            continue;
        }
        let what = match &step.kind {
            StepKind::Request(Request::Connect { target, .. }) => format!("TCP to {target}"),
            StepKind::Request(Request::UdpOpen { target, .. }) => match target {
                Some(target) => format!("UDP to {target}"),
                None => "UDP".to_owned(),
            },
            StepKind::Request(Request::Listen { .. }) => "listener".to_owned(),
            StepKind::Request(Request::Http { method, url, .. }) => format!("{method} {url}"),
            StepKind::Request(Request::DnsQuery { name, .. }) => format!("DNS {name}"),
            _ => Machine::of(trace.kind_of(step.op)).title().to_owned(),
        };
        ops.push((step.op, what));
    }
    ops
}

/// Colours say the same here as in the diagram: red for failures, green
/// while data can flow, the control colour for handshakes and closing.
fn tone_of(state: SocketState) -> &'static str {
    if state.is_error() {
        "tone-error"
    } else if state.is_open() {
        "tone-data"
    } else {
        "tone-control"
    }
}
