//! The page: owns the state and the relay socket, wires the panels to them.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::ClientMsg;
use yew::prelude::*;

use crate::components::{
    ConnectPanel, DnsPanel, ErrorList, HttpPanel, LifecycleView, MessagePanel, SequenceDiagram,
};
use crate::relay_socket::{self, RelaySocket};
use crate::state::{Action, RelayLink, State};

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    // Bumped by "Reconnect": each value is one WebSocket to the relay.
    let link_generation = use_state(|| 0_u32);
    let socket: Rc<RefCell<Option<RelaySocket>>> = use_mut_ref(|| None);

    {
        let dispatcher = state.dispatcher();
        let socket = socket.clone();
        use_effect_with(*link_generation, move |_| {
            dispatcher.dispatch(Action::RelayConnecting);
            let on_notice = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |notice| dispatcher.dispatch(Action::Relay(notice)))
            };
            match relay_socket::page_relay_url().and_then(|url| RelaySocket::open(&url, on_notice))
            {
                Ok(opened) => *socket.borrow_mut() = Some(opened),
                Err(reason) => {
                    dispatcher.dispatch(Action::Relay(relay_socket::Notice::Closed { reason }))
                }
            }
            move || drop(socket.borrow_mut().take())
        });
    }

    // Every request goes on the wire first and into the trace second, as the
    // messages that really left (a large send leaves in several pieces).
    let request = {
        let socket = socket.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |msg: ClientMsg| {
            let sent = socket
                .borrow()
                .as_ref()
                .map(|socket| socket.send(msg))
                .unwrap_or_default();
            if sent.is_empty() {
                dispatcher.dispatch(Action::Problem(
                    "not connected to the relay: the request was not sent".to_owned(),
                ));
            }
            for msg in sent {
                dispatcher.dispatch(Action::Requested(msg));
            }
        })
    };
    let on_connect = {
        let op = state.next_op;
        request.reform(move |target: String| ClientMsg::TcpConnect {
            op,
            target,
            connect_timeout_ms: None,
            nodelay: false,
        })
    };
    let op = state.op_for_requests();
    let on_send = {
        let request = request.clone();
        Callback::from(move |bytes: Vec<u8>| {
            if let Some(op) = op {
                request.emit(ClientMsg::Send {
                    op,
                    data: Payload(bytes),
                });
            }
        })
    };
    let on_http = request.clone();
    let on_dns_query = request.clone();
    let on_close = Callback::from(move |()| {
        if let Some(op) = op {
            request.emit(ClientMsg::Close { op });
        }
    });
    let on_reconnect = {
        let link_generation = link_generation.clone();
        Callback::from(move |_: MouseEvent| link_generation.set(*link_generation + 1))
    };

    let received = state.received();
    let current = state.current;
    html! {
        <div class="page">
            <header class="masthead">
                <div>
                    <h1>{"Roundtrip"}</h1>
                    <p class="tagline">{"Open a TCP connection from your browser and watch every step."}</p>
                </div>
                <p class="relay-line">
                    {"Relay: "}
                    <span id="relay-status" class={classes!("relay-status", relay_class(&state.relay))}>
                        {state.relay.label()}
                    </span>
                    if let RelayLink::Ready { relay } = &state.relay {
                        <span class="relay-name">{relay.clone()}</span>
                    }
                    if matches!(state.relay, RelayLink::Lost { .. }) {
                        <button id="reconnect" onclick={on_reconnect}>{"Reconnect"}</button>
                    }
                </p>
            </header>
            <main class="layout">
                <div class="controls">
                    <ConnectPanel services={state.services_of("tcp")} can_connect={state.can_connect()}
                        can_close={state.can_close()} {on_connect} {on_close} />
                    <ErrorList errors={state.errors()} />
                    <LifecycleView path={state.socket_path()} op={current.map(|c| c.op)}
                        cut_off={current.is_some_and(|c| c.cut_off)} />
                    <MessagePanel can_send={state.can_send()}
                        received={AttrValue::from(String::from_utf8_lossy(&received).into_owned())}
                        received_bytes={received.len()} {on_send} />
                    <HttpPanel services={state.services.clone()} trace={state.trace.clone()}
                        next_op={state.next_op}
                        can_request={matches!(state.relay, RelayLink::Ready { .. })}
                        on_request={on_http} />
                    <DnsPanel next_op={state.next_op} trace={state.trace.clone()}
                        can_query={matches!(state.relay, RelayLink::Ready { .. })} on_query={on_dns_query} />
                </div>
                <section class="panel diagram" aria-labelledby="diagram-heading">
                    <h2 id="diagram-heading">{"Sequence"}</h2>
                    <ul class="legend" aria-label="Colours">
                        <li class="tone-request">{"request"}</li>
                        <li class="tone-control">{"TCP control"}</li>
                        <li class="tone-data">{"data"}</li>
                        <li class="tone-note">{"inside the relay"}</li>
                        <li class="tone-error">{"error"}</li>
                    </ul>
                    <SequenceDiagram trace={state.trace.clone()} />
                </section>
            </main>
        </div>
    }
}

fn relay_class(link: &RelayLink) -> &'static str {
    match link {
        RelayLink::Connecting | RelayLink::Greeting => "is-pending",
        RelayLink::Ready { .. } => "is-up",
        RelayLink::Lost { .. } => "is-down",
    }
}
