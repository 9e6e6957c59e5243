//! The page: owns the state and the relay socket, wires the panels to them.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::ClientMsg;
use yew::prelude::*;

use crate::components::connect_panel::ConnectRequest;
use crate::components::udp_panel::UdpOpenRequest;
use crate::components::{
    ConnectPanel, DnsPanel, ErrorList, HttpPanel, LifecycleView, ListenPanel, MessagePanel,
    SequenceDiagram, UdpPanel,
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
    // A datagram must leave whole: never split.
    let request_whole = {
        let socket = socket.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |msg: ClientMsg| {
            let sent = socket
                .borrow()
                .as_ref()
                .is_some_and(|socket| socket.send_whole(msg.clone()));
            dispatcher.dispatch(if sent {
                Action::Requested(msg)
            } else {
                Action::Problem("not connected to the relay: the request was not sent".to_owned())
            });
        })
    };
    let on_connect = {
        let op = state.next_op;
        request.reform(move |connect: ConnectRequest| ClientMsg::TcpConnect {
            op,
            target: connect.target,
            connect_timeout_ms: None,
            nodelay: connect.nodelay,
            faults: connect.faults,
        })
    };
    let on_udp_open = {
        let op = state.next_op;
        request.reform(move |open: UdpOpenRequest| ClientMsg::UdpOpen {
            op,
            target: open.target,
            bind_port: open.bind_port,
            recv_timeout_ms: open.recv_timeout_ms,
            faults: open.faults,
        })
    };
    let udp_op = state.udp_op();
    let on_udp_send = {
        let request_whole = request_whole.clone();
        Callback::from(move |bytes: Vec<u8>| {
            if let Some(op) = udp_op {
                request_whole.emit(ClientMsg::Send {
                    op,
                    data: Payload(bytes),
                });
            }
        })
    };
    let on_udp_send_to = Callback::from(move |(target, bytes): (String, Vec<u8>)| {
        if let Some(op) = udp_op {
            request_whole.emit(ClientMsg::SendTo {
                op,
                target,
                data: Payload(bytes),
            });
        }
    });
    let on_udp_close = {
        let request = request.clone();
        let udp = state
            .can_close_udp()
            .then(|| state.udp.map(|u| u.op))
            .flatten();
        Callback::from(move |()| {
            if let Some(op) = udp {
                request.emit(ClientMsg::Close { op });
            }
        })
    };
    let on_listen = {
        let op = state.next_op;
        request.reform(move |port: Option<u16>| ClientMsg::TcpListen { op, port })
    };
    let on_stop_listening = {
        let request = request.clone();
        let listener = state.listener_op();
        Callback::from(move |()| {
            if let Some(op) = listener {
                request.emit(ClientMsg::Close { op });
            }
        })
    };
    let on_conn_send = request.reform(|(op, bytes): (u32, Vec<u8>)| ClientMsg::Send {
        op,
        data: Payload(bytes),
    });
    let on_conn_close = request.reform(|op: u32| ClientMsg::Close { op });
    let op = state.op_for_requests();
    let on_shutdown = {
        let request = request.clone();
        Callback::from(move |()| {
            if let Some(op) = op {
                request.emit(ClientMsg::Shutdown { op });
            }
        })
    };
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
                    <p class="tagline">{"Open TCP connections, UDP sockets and listeners from your browser and watch every step."}</p>
                </div>
                <div class="relay-box">
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
                    if let Some(quota) = state.quota() {
                        <p id="quota" class="quota">{"This session: "}{quota}</p>
                    }
                </div>
            </header>
            <main class="layout">
                <div class="controls">
                    <ConnectPanel services={state.services_of("tcp")} can_connect={state.can_connect()}
                        can_close={state.can_close()} can_shutdown={state.can_shutdown()}
                        {on_connect} {on_close} {on_shutdown} />
                    <ErrorList errors={state.errors()} />
                    <LifecycleView path={state.socket_path()} op={current.map(|c| c.op)}
                        cut_off={current.is_some_and(|c| c.cut_off)} />
                    <MessagePanel can_send={state.can_send()}
                        received={AttrValue::from(String::from_utf8_lossy(&received).into_owned())}
                        received_bytes={received.len()} {on_send} />
                    <UdpPanel services={state.services_of("udp")} can_open={state.can_open_udp()}
                        can_close={state.can_close_udp()} can_send={state.can_send_udp()}
                        can_send_to={udp_op.is_some()} state={state.udp_state()}
                        addresses={state.udp_addresses()} datagrams={state.datagrams()}
                        on_open={on_udp_open} on_send={on_udp_send} on_send_to={on_udp_send_to}
                        on_close={on_udp_close} />
                    <ListenPanel can_listen={state.can_listen()} can_stop={state.listener_op().is_some()}
                        state={state.listener_state()} listening_on={state.listening_on()}
                        connections={state.accepted_connections()} {on_listen}
                        on_stop={on_stop_listening} {on_conn_send} {on_conn_close} />
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
