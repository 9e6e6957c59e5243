//! The page's head: its name, the state of the link to the relay (with
//! Reconnect once it is lost), what this session uses of the relay's
//! limits, and the page tools (folded into a menu).

use yew::prelude::*;

use super::PageTools;
use super::page_tools;
use crate::state::RelayLink;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// A shared trace replays with no relay: the head says so instead.
    pub replay_only: bool,
    pub relay: RelayLink,
    /// `State::quota`, when the relay sent its limits.
    pub quota: Option<String>,
    pub on_reconnect: Callback<()>,
    /// `State::reconnect_line`: a lost relay in words, and the backoff.
    pub reconnect_line: Option<String>,
    /// `State::redo`'s request, offered once the relay is back.
    pub redo: Option<Callback<()>>,
    pub tools: page_tools::Props,
}

#[function_component(Masthead)]
pub fn masthead(props: &Props) -> Html {
    let on_reconnect = props.on_reconnect.reform(|_: MouseEvent| ());
    let tools = &props.tools;
    html! {
        <header class="masthead">
            <div>
                <h1>{"Roundtrip"}</h1>
                <p class="tagline">{"Open TCP connections, UDP sockets and listeners, ask DNS and make HTTP requests from your browser, and watch every step."}</p>
            </div>
            <div class="relay-box">
                if props.replay_only {
                    <p class="relay-line">
                        {"Replaying a shared trace: no connection is opened. "}
                        <a id="leave-replay" href="./">{"Open the playground"}</a>
                    </p>
                } else {
                    <p class="relay-line">
                        {"Relay: "}
                        <span id="relay-status" class={classes!("relay-status", relay_class(&props.relay))}>
                            {props.relay.label()}
                        </span>
                        if let RelayLink::Ready { relay } = &props.relay {
                            <span class="relay-name">{relay.clone()}</span>
                        }
                        if matches!(props.relay, RelayLink::Lost { .. }) {
                            <button id="reconnect" onclick={on_reconnect}>{"Reconnect"}</button>
                        }
                    </p>
                }
                if let Some(line) = &props.reconnect_line {
                    <p id="relay-retry" class="relay-retry" role="status">
                        {line.clone()}
                        if let Some(redo) = &props.redo {
                            {" "}
                            <button id="redo" onclick={redo.reform(|_: MouseEvent| ())}>
                                {"Redo the last experiment"}
                            </button>
                        }
                    </p>
                }
                if let Some(quota) = &props.quota {
                    <p id="quota" class="quota">{"This session: "}{quota.clone()}</p>
                }
            </div>
            // Folded into one button, so the experiments and their views
            // start near the top of a laptop's screen.
            <details class="page-menu">
                <summary id="page-menu">{"Page tools"}</summary>
                <PageTools theme={tools.theme.clone()} presenter={tools.presenter}
                    link={tools.link.clone()} on_theme={tools.on_theme.clone()}
                    on_presenter={tools.on_presenter.clone()} on_save={tools.on_save.clone()}
                    on_open={tools.on_open.clone()} on_share_trace={tools.on_share_trace.clone()}
                    on_share_experiment={tools.on_share_experiment.clone()} />
            </details>
        </header>
    }
}

fn relay_class(link: &RelayLink) -> &'static str {
    match link {
        RelayLink::Connecting | RelayLink::Greeting => "is-pending",
        RelayLink::Ready { .. } => "is-up",
        RelayLink::Lost { .. } => "is-down",
    }
}
