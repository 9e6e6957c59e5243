//! Choosing a target (a lab service or any `host:port`) and opening,
//! half-closing or closing the connection to it; with several connections
//! open (two chat clients), choosing which one the panels act on.

use roundtrip_shared::protocol::{Faults, OpId, Service};
use roundtrip_shared::share::Experiment;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::faults::{FaultsForm, Transport};
use crate::state::Connection;

/// The `<option>` value that means "the text in `#target`".
pub const CUSTOM: &str = "custom";

/// What Connect asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    /// A service name or the typed `host:port`.
    pub target: String,
    /// Set `TCP_NODELAY` (Nagle off).
    pub nodelay: bool,
    /// Faults for a lab service to inject on this connection.
    pub faults: Option<Faults>,
}

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// TCP lab services from the relay's welcome; the first one is the
    /// default.
    pub services: Vec<Service>,
    pub can_connect: bool,
    pub can_close: bool,
    #[prop_or_default]
    pub can_shutdown: bool,
    pub on_connect: Callback<ConnectRequest>,
    pub on_close: Callback<()>,
    #[prop_or_default]
    pub on_shutdown: Callback<()>,
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
    // `None` until the learner picks something, so that the default follows
    // the services once the welcome brings them.
    let (preset_target, preset_nodelay) = match &props.preset {
        Some(Experiment::Tcp {
            target, nodelay, ..
        }) => (Some(target.clone()), *nodelay),
        _ => (None, false),
    };
    let (preset_choice, preset_custom) = picker_preset(preset_target.as_deref());
    let choice = use_state(|| preset_choice);
    let custom = use_state(|| preset_custom);
    let nodelay = use_state(|| preset_nodelay);
    let faults = use_state(|| Ok::<_, String>(None::<Faults>));

    let selected = chosen_preset(choice.as_deref(), &props.services);
    let is_custom = selected == CUSTOM;
    let target = if is_custom {
        custom.trim().to_owned()
    } else {
        selected.clone()
    };

    // The list is set from the outside too: typing an address switches it to
    // "custom", and the welcome brings the default. A `selected` attribute
    // cannot do that (browsers ignore it once the learner used the list, and
    // yew inserts options last to first), so set the element's value after
    // each render that changes it.
    let preset_ref = use_node_ref();
    {
        let preset_ref = preset_ref.clone();
        use_effect_with(
            (selected.clone(), props.services.clone()),
            move |(selected, _)| {
                if let Some(select) = preset_ref.cast::<HtmlSelectElement>() {
                    select.set_value(selected);
                }
            },
        );
    }

    let on_preset = {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            choice.set(Some(e.target_unchecked_into::<HtmlSelectElement>().value()));
        })
    };
    // Typing an address means "connect to this", whatever the list shows.
    let on_target_input = {
        let choice = choice.clone();
        let custom = custom.clone();
        Callback::from(move |e: InputEvent| {
            custom.set(e.target_unchecked_into::<HtmlInputElement>().value());
            choice.set(Some(CUSTOM.to_owned()));
        })
    };
    let connect = {
        let on_connect = props.on_connect.clone();
        let can_connect = props.can_connect;
        let nodelay = *nodelay;
        let faults = (*faults).clone();
        move || {
            // Faults that do not parse say so in the form; nothing is sent.
            if let (true, Ok(faults)) = (can_connect, &faults) {
                on_connect.emit(ConnectRequest {
                    target: target.clone(),
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
    let on_shutdown = props.on_shutdown.reform(|_: MouseEvent| ());
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
    let on_close = props.on_close.reform(|_: MouseEvent| ());
    let on_faults = {
        let faults = faults.clone();
        Callback::from(move |asked| faults.set(asked))
    };

    // With a service chosen, the address box shows where that name leads.
    let placeholder = props
        .services
        .iter()
        .find(|service| service.name == selected)
        .map_or_else(|| "host:port".to_owned(), |service| service.addr.clone());

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
                <select id="target-preset" ref={preset_ref} onchange={on_preset}>
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
                <input id="target" type="text" class={classes!((!is_custom).then_some("inactive"))}
                    placeholder={placeholder} value={(*custom).clone()}
                    autocomplete="off" spellcheck="false"
                    oninput={on_target_input} onkeydown={on_target_key} />
            </div>
            <div class="field-row check-row">
                <input id="nodelay" type="checkbox" checked={*nodelay} onchange={on_nodelay} />
                <label for="nodelay">
                    {"TCP_NODELAY "}<span class="hint">{"(Nagle off: small writes leave at once)"}</span>
                </label>
            </div>
            <FaultsForm prefix="tcp" transport={Transport::Tcp} on_change={on_faults} />
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

/// The option the select shows: the learner's pick while it still exists,
/// else the first service, else custom.
/// Where a target from an experiment link goes in a target picker: the
/// list's choice and the text field. A preset names a lab service or an
/// address; the list cannot know which until the welcome, so an address
/// (anything with a port) goes to the text field and the list to "custom".
pub fn picker_preset(target: Option<&str>) -> (Option<String>, String) {
    match target {
        Some(address) if address.contains(':') => (Some(CUSTOM.to_owned()), address.to_owned()),
        Some(service) => (Some(service.to_owned()), String::new()),
        None => (None, String::new()),
    }
}

fn chosen_preset(choice: Option<&str>, services: &[Service]) -> String {
    let known = |name: &str| name == CUSTOM || services.iter().any(|s| s.name == name);
    match choice {
        Some(name) if known(name) => name.to_owned(),
        _ => services
            .first()
            .map_or_else(|| CUSTOM.to_owned(), |s| s.name.clone()),
    }
}
