//! Choosing a target (a lab service or any `host:port`) and opening,
//! half-closing or closing the connection to it; with several connections
//! open (two chat clients), choosing which one the panels act on.

use roundtrip_shared::protocol::{ClientMsg, FaultTransport, OpId, Service};
use roundtrip_shared::share::Experiment;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::faults::FaultsForm;
use super::target_picker::{CUSTOM, use_target_picker};
use crate::state::Connection;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// TCP lab services from the relay's welcome; the first one is the
    /// default.
    pub services: Vec<Service>,
    pub can_connect: bool,
    pub can_close: bool,
    #[prop_or_default]
    pub can_shutdown: bool,
    /// The id Connect gives the connection.
    pub next_op: OpId,
    /// Every request, complete: `tcp_connect`, and `shutdown` and `close`
    /// on the current connection.
    pub on_request: Callback<ClientMsg>,
    /// Settings from an experiment link, used when the panel first shows.
    #[prop_or_default]
    pub preset: Option<Experiment>,
    /// The open connections; a picker shows when there are several.
    #[prop_or_default]
    pub connections: Vec<Connection>,
    /// The connection Shutdown, Close and Send act on.
    #[prop_or_default]
    pub current: Option<OpId>,
    #[prop_or_default]
    pub on_select: Callback<OpId>,
}

#[function_component(ConnectPanel)]
pub fn connect_panel(props: &Props) -> Html {
    let (preset_target, preset_nodelay, preset_faults) = match &props.preset {
        Some(Experiment::Tcp {
            target,
            nodelay,
            faults,
            ..
        }) => (Some(target.clone()), *nodelay, *faults),
        _ => (None, false, None),
    };
    let picker = use_target_picker(preset_target, props.services.clone(), &[], CUSTOM);
    let nodelay = use_state(|| preset_nodelay);
    let faults = use_state(|| Ok::<_, String>(preset_faults));
    let target = if picker.is_custom() {
        picker.custom.trim().to_owned()
    } else {
        picker.selected.clone()
    };
    let connect = {
        let on_request = props.on_request.clone();
        let (can_connect, op) = (props.can_connect, props.next_op);
        let nodelay = *nodelay;
        let faults = (*faults).clone();
        move || {
            // Faults that do not parse say so in the form; nothing is sent.
            if let (true, Ok(faults)) = (can_connect, &faults) {
                on_request.emit(ClientMsg::TcpConnect {
                    op,
                    target: target.clone(),
                    connect_timeout_ms: None,
                    nodelay,
                    faults: *faults,
                });
            }
        }
    };
    let on_nodelay = {
        let nodelay = nodelay.clone();
        Callback::from(move |e: Event| {
            nodelay.set(e.target_unchecked_into::<HtmlInputElement>().checked());
        })
    };
    let on_current = |can: bool, msg: fn(OpId) -> ClientMsg| {
        let on_request = props.on_request.clone();
        let current = props.current.filter(|_| can);
        Callback::from(move |_: MouseEvent| {
            if let Some(op) = current {
                on_request.emit(msg(op));
            }
        })
    };
    let on_shutdown = on_current(props.can_shutdown, |op| ClientMsg::Shutdown { op });
    let on_close = on_current(props.can_close, |op| ClientMsg::Close { op });
    let on_connect_click = {
        let connect = connect.clone();
        Callback::from(move |_: MouseEvent| connect())
    };
    let on_target_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
            connect();
        }
    });
    let on_faults = {
        let faults = faults.clone();
        Callback::from(move |asked| faults.set(asked))
    };

    let on_pick = props.on_select.reform(|e: Event| {
        e.target_unchecked_into::<HtmlSelectElement>()
            .value()
            .parse::<OpId>()
            .unwrap_or_default()
    });
    // As with the target list, the element's value follows the state.
    let pick_ref = use_node_ref();
    {
        let pick_ref = pick_ref.clone();
        use_effect_with(
            (props.current, props.connections.clone()),
            move |(current, _)| {
                if let (Some(select), Some(op)) = (pick_ref.cast::<HtmlSelectElement>(), current) {
                    select.set_value(&op.to_string());
                }
            },
        );
    }
    // A second connection opens beside the first (a second chat client).
    let connect_label = if props.can_close {
        "Connect another"
    } else {
        "Connect"
    };

    html! {
        <section class="panel connect" aria-labelledby="connect-heading">
            <h2 id="connect-heading">{"Target"}</h2>
            <div class="field-row">
                <label for="target-preset">{"Connect to"}</label>
                <select id="target-preset" ref={picker.list_ref.clone()}
                    onchange={picker.on_choose.clone()}>
                    { for props.services.iter().map(|service| html! {
                        <option value={service.name.clone()}>
                            {service.label.clone()}
                        </option>
                    }) }
                    <option value={CUSTOM}>{"Custom host:port"}</option>
                </select>
            </div>
            <div class="field-row">
                <label for="target">{"Address"}</label>
                <input id="target" type="text"
                    class={classes!((!picker.is_custom()).then_some("inactive"))}
                    placeholder={picker.placeholder.clone()} value={picker.custom.clone()}
                    autocomplete="off" spellcheck="false"
                    oninput={picker.on_type.clone()} onkeydown={on_target_key} />
            </div>
            <div class="field-row check-row">
                <input id="nodelay" type="checkbox" checked={*nodelay} onchange={on_nodelay} />
                <label for="nodelay">
                    {"TCP_NODELAY "}<span class="hint">{"(Nagle off: small writes leave at once)"}</span>
                </label>
            </div>
            <FaultsForm prefix="tcp" transport={FaultTransport::Tcp} on_change={on_faults}
                initial={preset_faults} />
            <div class="buttons">
                <button id="connect" class="primary"
                    disabled={!props.can_connect || faults.is_err()}
                    onclick={on_connect_click}>{connect_label}</button>
                <button id="shutdown" disabled={!props.can_shutdown} onclick={on_shutdown}
                    title="shutdown(SHUT_WR): send FIN, keep receiving">{"Shutdown"}</button>
                <button id="close" disabled={!props.can_close} onclick={on_close}>{"Close"}</button>
            </div>
            if props.connections.len() > 1 {
                <div class="field-row">
                    <label for="connection-pick">{"Acting on"}</label>
                    <select id="connection-pick" ref={pick_ref} onchange={on_pick}>
                        { for props.connections.iter().map(|connection| html! {
                            <option value={connection.op.to_string()}>{connection.label.clone()}</option>
                        }) }
                    </select>
                </div>
            }
        </section>
    }
}
