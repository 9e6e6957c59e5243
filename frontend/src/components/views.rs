//! The views column: the replay bar, a note when an opened trace is shown,
//! and the view tabs (sequence, lifecycle, timing, DNS, payloads, retries)
//! over the trace the page chose to show.

use std::rc::Rc;

use roundtrip_shared::protocol::{ClientMsg, OpId, Service};
use roundtrip_shared::recording::PageTimes;
use roundtrip_shared::replay::{Command, Player};
use roundtrip_shared::trace::Trace;
use yew::prelude::*;

use super::{
    DnsView, LifecycleView, PayloadInspector, ReplayBar, RetryView, SequenceDiagram, Tab, TabPanel,
    Tabs, ToneLegend, WaterfallView,
};
use crate::state::CurrentOp;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// What the views show: the live trace or a recording's first messages.
    pub trace: Rc<Trace>,
    pub times: Rc<PageTimes>,
    /// Step shown and steps in all.
    pub step: (usize, usize),
    pub player: Player,
    /// Following the live session (not paused or replaying).
    pub live: bool,
    /// Where an opened trace came from, when one is shown.
    pub opened_from: Option<AttrValue>,
    pub replay_only: bool,
    pub on_replay: Callback<Command>,
    pub on_close_opened: Callback<()>,
    /// The connection the panels act on, for the lifecycle view.
    pub current: Option<CurrentOp>,
    pub services: Vec<Service>,
    pub next_op: OpId,
    pub can_request: bool,
    /// "Run for real" in the retry view.
    pub on_request: Callback<ClientMsg>,
}

#[function_component(Views)]
pub fn views(props: &Props) -> Html {
    let selected = use_state(|| AttrValue::from("sequence"));
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |id| selected.set(id))
    };
    let tabs = vec![
        Tab::new("sequence", "Sequence"),
        Tab::new("lifecycle", "Socket lifecycle"),
        Tab::new("timing", "Timing"),
        Tab::new("dns-view", "DNS"),
        Tab::new("inspector", "Payloads"),
        Tab::new("retries", "Retries"),
    ];
    let opened = props.opened_from.is_some();
    let source = match &props.opened_from {
        Some(from) => format!("Trace from {from}"),
        None => "This session".to_owned(),
    };
    let on_close_opened = props.on_close_opened.reform(|_: MouseEvent| ());
    let shown = props.trace.clone();
    let current = props.current;
    html! {
        // Replaying, the newest arrow draws itself, at the replay's pace.
        <div id="views" tabindex="-1" class={classes!("views", (!props.live).then_some("is-replaying"))}
            style={format!("--replay-step: {}ms", (600.0 / props.player.speed).round())}>
            <ReplayBar step={props.step} live={props.live} playing={props.player.playing}
                speed={props.player.speed} can_go_live={!opened && !props.replay_only}
                {source} on_command={props.on_replay.clone()} />
            if opened && !props.replay_only {
                <p class="opened-note">
                    {"The views show an opened trace; your session goes on behind it. "}
                    <button type="button" id="close-opened" onclick={on_close_opened}>
                        {"Back to this session"}
                    </button>
                </p>
            }
            <Tabs label="Views" {tabs} selected={(*selected).clone()} {on_select} />
            <TabPanel id="sequence" selected={(*selected).clone()}>
                <section class="panel diagram" aria-labelledby="diagram-heading">
                    <h2 id="diagram-heading">{"Sequence"}</h2>
                    <ToneLegend />
                    <SequenceDiagram trace={shown.clone()} recording={!props.live} fit_window=true />
                </section>
            </TabPanel>
            <TabPanel id="lifecycle" selected={(*selected).clone()}>
                <LifecycleView trace={shown.clone()} current={current.map(|c| c.op)}
                    cut_off={current.is_some_and(|c| c.cut_off)} />
            </TabPanel>
            <TabPanel id="timing" selected={(*selected).clone()}>
                <WaterfallView trace={shown.clone()} times={props.times.clone()} />
            </TabPanel>
            <TabPanel id="dns-view" selected={(*selected).clone()}>
                <DnsView trace={shown.clone()} />
            </TabPanel>
            <TabPanel id="inspector" selected={(*selected).clone()}>
                <PayloadInspector trace={shown.clone()} />
            </TabPanel>
            <TabPanel id="retries" selected={(*selected).clone()}>
                <RetryView trace={shown} services={props.services.clone()}
                    next_op={props.next_op} can_request={props.can_request}
                    on_request={props.on_request.clone()} />
            </TabPanel>
        </div>
    }
}
