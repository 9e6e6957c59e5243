//! The current socket's lifecycle: the states it went through and the socket
//! call a C program would be making in the state it is in now.

use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::protocol::OpId;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// From `shared::lifecycle::path`: never empty, the last state is current.
    pub path: Vec<SocketState>,
    /// The operation the path belongs to, if any was started.
    pub op: Option<OpId>,
    /// The relay link dropped while this socket was still open.
    pub cut_off: bool,
}

#[function_component(LifecycleView)]
pub fn lifecycle_view(props: &Props) -> Html {
    let current = props.path.last().copied().unwrap_or(SocketState::Idle);
    let last = props.path.len().saturating_sub(1);
    let heading = match props.op {
        Some(op) => format!("Socket (operation {op})"),
        None => "Socket".to_owned(),
    };
    html! {
        <section class="panel lifecycle" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading">{heading}</h2>
            <p class="socket-now">
                {"State: "}
                <span id="socket-state" class={classes!("state-chip", tone_of(current))}>{current.label()}</span>
                <span class="socket-call">
                    {"socket call: "}<code id="socket-call">{current.call()}</code>
                </span>
            </p>
            <ol class="socket-path" aria-label="States this socket went through">
                { for props.path.iter().enumerate().map(|(i, state)| html! {
                    <li class={classes!("state-chip", tone_of(*state), (i == last).then_some("is-current"))}
                        aria-current={(i == last).then_some("step")}>
                        {state.label()}
                    </li>
                }) }
            </ol>
            if props.cut_off {
                <p class="note">
                    {"The connection to the relay ended while this socket was open; \
                      the relay closes its sockets when the page's connection ends."}
                </p>
            }
        </section>
    }
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
