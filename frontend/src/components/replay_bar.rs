//! The replay controls above the views: pause the live picture, step back
//! and forward one event at a time, play at 0.25×–4× with the recorded
//! timing, and go back to live. The stepping itself is
//! `roundtrip_shared::replay::Player`; this only draws its buttons.

use roundtrip_shared::replay::{Command, SPEEDS};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// The step shown and the number of steps.
    pub step: (usize, usize),
    /// Following every new event (only a live session can).
    pub live: bool,
    pub playing: bool,
    pub speed: f64,
    /// Whether "Live" is on offer: false when the views show a trace from a
    /// file or a link.
    pub can_go_live: bool,
    /// Where the shown events come from, for the status line.
    pub source: AttrValue,
    pub on_command: Callback<Command>,
}

#[function_component(ReplayBar)]
pub fn replay_bar(props: &Props) -> Html {
    let (step, steps) = props.step;
    let button = |id: &'static str,
                  label: &'static str,
                  title: &'static str,
                  command: Command,
                  enabled: bool| {
        let onclick = props.on_command.reform(move |_: MouseEvent| command);
        html! {
            <button type="button" {id} class="replay-button" {title} aria-label={title}
                disabled={!enabled} {onclick}>{label}</button>
        }
    };
    let on_speed = props.on_command.reform(|event: Event| {
        let select: HtmlSelectElement = event.target_unchecked_into();
        Command::Speed(select.value().parse().unwrap_or(1.0))
    });
    let status = if props.live {
        format!("Live · {steps} events")
    } else if props.playing {
        format!("Playing · event {step} of {steps}")
    } else {
        format!("Paused · event {step} of {steps}")
    };
    html! {
        <div class="replay-bar" role="group" aria-label="Replay">
            {button("replay-start", "|◀", "Back to the first event", Command::Start, step > 0)}
            {button("replay-back", "◀", "One event back", Command::StepBack, step > 0)}
            if props.playing {
                {button("replay-pause", "Pause", "Pause", Command::Pause, true)}
            } else if props.live {
                {button("replay-pause", "Pause", "Pause the live view", Command::Pause, true)}
            } else {
                {button("replay-play", "▶ Play", "Play from here", Command::Play, steps > 0)}
            }
            {button("replay-forward", "▶|", "One event forward", Command::StepForward, !props.live && step < steps)}
            <label class="replay-speed">
                <span class="visually-hidden">{"Speed"}</span>
                <select id="replay-speed" onchange={on_speed} title="Replay speed">
                    { for SPEEDS.iter().map(|&speed| html! {
                        <option value={speed.to_string()} selected={speed == props.speed}>
                            {format!("{speed}×")}
                        </option>
                    }) }
                </select>
            </label>
            if props.can_go_live {
                <button type="button" id="replay-live"
                    class={classes!("replay-live", props.live.then_some("is-live"))}
                    disabled={props.live} onclick={props.on_command.reform(|_: MouseEvent| Command::Live)}>
                    {"● Live"}
                </button>
            }
            <span id="replay-status" class="replay-status"
                aria-live={if props.live { "off" } else { "polite" }}>{status}</span>
            <span class="replay-source">{props.source.clone()}</span>
        </div>
    }
}
