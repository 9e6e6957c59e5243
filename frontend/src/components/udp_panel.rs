//! A UDP socket: open it (with or without a target, on a chosen port, with a
//! receive timeout), send datagrams to its target or to any address, and see
//! every datagram that arrived with the address it came from.

use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::payload::{Payload, format_bytes, preview};
use roundtrip_shared::protocol::{ClientMsg, FaultTransport, OpId, Service};
use roundtrip_shared::share::Experiment;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::faults::FaultsForm;
use super::target_picker::{CUSTOM, use_target_picker};

/// The target `<option>` for "no target: send_to only".
pub const NO_TARGET: &str = "none";

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// UDP lab services from the relay's welcome; the first is the default.
    pub services: Vec<Service>,
    pub can_open: bool,
    pub can_close: bool,
    /// Send to the socket's target: bound, with a target.
    pub can_send: bool,
    /// Send to any address: bound.
    pub can_send_to: bool,
    pub state: SocketState,
    /// Local address and target once bound.
    pub addresses: Option<(String, Option<String>)>,
    /// Every datagram received: source address and bytes.
    pub datagrams: Vec<(String, Vec<u8>)>,
    /// The id Open gives the socket.
    pub next_op: OpId,
    /// The socket Send, Send to and Close act on.
    pub op: Option<OpId>,
    /// Every request, complete: `udp_open`, `send`, `send_to`, `close`.
    pub on_request: Callback<ClientMsg>,
    /// Settings from an experiment link, used when the panel first shows.
    #[prop_or_default]
    pub preset: Option<Experiment>,
}

#[function_component(UdpPanel)]
pub fn udp_panel(props: &Props) -> Html {
    let (preset_target, preset_send, preset_port, preset_timeout, preset_faults) =
        match &props.preset {
            Some(Experiment::Udp {
                target,
                send,
                bind_port,
                recv_timeout_ms,
                faults,
            }) => (
                Some(target.clone()),
                send.clone(),
                bind_port.map(|p| p.to_string()).unwrap_or_default(),
                recv_timeout_ms.map(|t| t.to_string()).unwrap_or_default(),
                *faults,
            ),
            _ => (None, String::new(), String::new(), String::new(), None),
        };
    let picker = use_target_picker(
        preset_target,
        props.services.clone(),
        &[NO_TARGET],
        NO_TARGET,
    );
    let port = use_state(|| preset_port);
    let timeout = use_state(|| preset_timeout);
    let message = use_state(|| preset_send);
    let send_to = use_state(String::new);
    let faults = use_state(|| Ok::<_, String>(preset_faults));

    let target = match picker.selected.as_str() {
        NO_TARGET => None,
        CUSTOM => Some(picker.custom.trim().to_owned()).filter(|t| !t.is_empty()),
        name => Some(name.to_owned()),
    };
    let bind_port = parse_optional::<u16>(&port);
    let recv_timeout_ms = parse_optional::<u64>(&timeout);
    let op = props.next_op;
    let request = match (bind_port, recv_timeout_ms, &*faults) {
        (Ok(bind_port), Ok(recv_timeout_ms), Ok(faults)) => Some(ClientMsg::UdpOpen {
            op,
            target,
            bind_port,
            recv_timeout_ms,
            faults: *faults,
        }),
        _ => None,
    };

    let on_open = {
        let on_request = props.on_request.clone();
        let can_open = props.can_open;
        let request = request.clone();
        Callback::from(move |_: MouseEvent| {
            if let (true, Some(request)) = (can_open, request.clone()) {
                on_request.emit(request);
            }
        })
    };
    let on_send = {
        let on_request = props.on_request.clone();
        let message = message.clone();
        let socket = props.op.filter(|_| props.can_send);
        Callback::from(move |_: MouseEvent| {
            // An empty datagram is a real datagram: UDP can carry 0 bytes.
            if let Some(op) = socket {
                on_request.emit(ClientMsg::Send {
                    op,
                    data: Payload(message.as_bytes().to_vec()),
                });
            }
        })
    };
    let on_send_to = {
        let on_request = props.on_request.clone();
        let message = message.clone();
        let send_to = send_to.clone();
        let socket = props.op.filter(|_| props.can_send_to);
        Callback::from(move |_: MouseEvent| {
            let target = send_to.trim().to_owned();
            if let (Some(op), false) = (socket, target.is_empty()) {
                on_request.emit(ClientMsg::SendTo {
                    op,
                    target,
                    data: Payload(message.as_bytes().to_vec()),
                });
            }
        })
    };
    let on_close = {
        let on_request = props.on_request.clone();
        let socket = props.op.filter(|_| props.can_close);
        Callback::from(move |_: MouseEvent| {
            if let Some(op) = socket {
                on_request.emit(ClientMsg::Close { op });
            }
        })
    };
    let text_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            state.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };

    let where_ = match &props.addresses {
        Some((local, Some(remote))) => format!("{local} → {remote}"),
        Some((local, None)) => local.clone(),
        None => String::new(),
    };
    html! {
        <section class="panel udp" aria-labelledby="udp-heading">
            <h2 id="udp-heading">{"UDP socket"}</h2>
            <div class="field-row">
                <label for="udp-target-preset">{"Target"}</label>
                <select id="udp-target-preset" ref={picker.list_ref.clone()}
                    onchange={picker.on_choose.clone()}>
                    { for props.services.iter().map(|service| html! {
                        <option value={service.name.clone()}>{service.label.clone()}</option>
                    }) }
                    <option value={NO_TARGET}>{"None (send_to only)"}</option>
                    <option value={CUSTOM}>{"Custom host:port"}</option>
                </select>
            </div>
            <div class="field-row">
                <label for="udp-target">{"Address"}</label>
                <input id="udp-target" type="text"
                    class={classes!((!picker.is_custom()).then_some("inactive"))}
                    placeholder={picker.placeholder.clone()} value={picker.custom.clone()}
                    autocomplete="off" spellcheck="false" oninput={picker.on_type.clone()} />
            </div>
            <div class="field-row">
                <label for="udp-bind-port">{"Local port"}</label>
                <input id="udp-bind-port" type="text" inputmode="numeric" placeholder="any"
                    class={classes!(bind_port.is_err().then_some("invalid"))}
                    value={(*port).clone()} oninput={text_input(&port)} />
                <label for="udp-timeout" class="inline-label">{"recv timeout"}</label>
                <input id="udp-timeout" type="text" inputmode="numeric" placeholder="none (ms)"
                    class={classes!(recv_timeout_ms.is_err().then_some("invalid"))}
                    value={(*timeout).clone()} oninput={text_input(&timeout)} />
            </div>
            <FaultsForm prefix="udp" transport={FaultTransport::Udp} initial={preset_faults}
                on_change={{
                    let faults = faults.clone();
                    Callback::from(move |asked| faults.set(asked))
                }} />
            <div class="buttons">
                <button id="udp-open" class="primary"
                    disabled={!props.can_open || request.is_none()} onclick={on_open}>{"Open"}</button>
                <button id="udp-close" disabled={!props.can_close} onclick={on_close}>{"Close"}</button>
            </div>
            <p class="socket-now">
                {"State: "}
                <span id="udp-state" class="state-chip">{props.state.label()}</span>
                <code id="udp-where">{where_}</code>
            </p>
            <div class="field-row">
                <label for="udp-message">{"Datagram"}</label>
                <input id="udp-message" type="text" placeholder="ping" value={(*message).clone()}
                    autocomplete="off" spellcheck="false" oninput={text_input(&message)} />
                <button id="udp-send" class="primary" disabled={!props.can_send}
                    onclick={on_send} title="send(): one datagram to the socket's target">{"Send"}</button>
            </div>
            <div class="field-row">
                <label for="udp-to">{"or send_to"}</label>
                <input id="udp-to" type="text" placeholder="host:port or udp-echo"
                    value={(*send_to).clone()} autocomplete="off" spellcheck="false"
                    oninput={text_input(&send_to)} />
                <button id="udp-send-to" disabled={!props.can_send_to}
                    onclick={on_send_to}>{"Send to"}</button>
            </div>
            <h3 class="received-heading">
                {"Datagrams received "}
                <span class="byte-count">{format!("({})", props.datagrams.len())}</span>
            </h3>
            <ol id="udp-datagrams" class="datagrams" aria-live="polite">
                { for props.datagrams.iter().map(|(from, bytes)| html! {
                    <li class="datagram">
                        <span class="datagram-from">{from.clone()}</span>
                        <code class="datagram-data">{preview(bytes, 60)}</code>
                        <span class="byte-count">{format_bytes(bytes.len() as u64)}</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// Empty is `None`; anything else must parse.
fn parse_optional<T: std::str::FromStr>(text: &str) -> Result<Option<T>, ()> {
    match text.trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| ()),
    }
}
