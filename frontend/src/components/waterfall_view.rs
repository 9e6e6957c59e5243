//! The timing waterfall: each HTTP request and TCP connection a row, its
//! phases as bars on one scale with their milliseconds, like a browser's
//! network panel. The layout is `shared::waterfall`'s: rows from zero to
//! compare them (the default), or on one session axis where the page saw
//! each operation start, to see requests overlap.

use std::rc::Rc;

use roundtrip_shared::diagram::format_micros;
use roundtrip_shared::recording::PageTimes;
use roundtrip_shared::trace::Trace;
use roundtrip_shared::waterfall::{self, Axis, Phase, PhaseBar, WaterfallRow};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::har_export::HarExport;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
    /// The page's times of the same messages (when each operation started).
    #[prop_or_default]
    pub times: Rc<PageTimes>,
}

#[function_component(WaterfallView)]
pub fn waterfall_view(props: &Props) -> Html {
    let axis = use_state(Axis::default);
    let layout = waterfall::layout_on(&props.trace, *axis, &props.times.op_starts);
    let choose = |choice: Axis| {
        let axis = axis.clone();
        Callback::from(move |e: Event| {
            if e.target_unchecked_into::<HtmlInputElement>().checked() {
                axis.set(choice);
            }
        })
    };
    let session = *axis == Axis::Session;
    html! {
        <section class="panel waterfall" aria-labelledby="waterfall-heading">
            <div class="panel-head">
                <h2 id="waterfall-heading">{"Timing"}</h2>
                <HarExport trace={props.trace.clone()} times={props.times.clone()} />
            </div>
            if layout.rows.is_empty() {
                <p id="waterfall-empty" class="view-empty">
                    {"No HTTP requests or TCP connections yet: their phases will line up here."}
                </p>
            } else {
                <fieldset id="waterfall-axis" class="wf-axis-choice">
                    <legend>{"Rows start"}</legend>
                    <label title="Every row from zero on its own clock: compare a cold and a warm request phase by phase">
                        <input type="radio" id="waterfall-axis-compare" name="waterfall-axis"
                            checked={!session} onchange={choose(Axis::Compare)} />
                        {" at zero (compare)"}
                    </label>
                    <label title="Each row where the page sent its request: requests that overlapped are seen overlapping">
                        <input type="radio" id="waterfall-axis-session" name="waterfall-axis"
                            checked={session} onchange={choose(Axis::Session)} />
                        {" when they started (session)"}
                    </label>
                </fieldset>
                if session {
                    <p id="waterfall-session-hint" class="hint">
                        {"Each row starts when the page sent its request (the page's clock); the bars inside it are the relay's timings."}
                    </p>
                }
                <ul class="legend wf-legend" aria-label="Phases">
                    { for Phase::all().map(|phase| html! {
                        <li class={classes!("wf-key", phase.class())}>{phase.name()}</li>
                    }) }
                </ul>
                <div id="waterfall" class="wf">
                    <div class="wf-row wf-axis" aria-hidden="true">
                        <div class="wf-label"></div>
                        <div class="wf-track">
                            { for layout.ticks.iter().map(|tick| html! {
                                <span class="wf-tick" style={format!("left:{}%", tick.left)}>{tick.label.clone()}</span>
                            }) }
                        </div>
                        <div class="wf-total"></div>
                    </div>
                    { for layout.rows.iter().map(|r| row(r, session)) }
                </div>
            }
        </section>
    }
}

fn row(row: &WaterfallRow, session: bool) -> Html {
    let start = match row.offset_us {
        Some(offset) => format!("+{}", format_micros(offset)),
        None => "start unknown".to_owned(),
    };
    html! {
        <div class={classes!("wf-row", row.error.is_some().then_some("has-error"))} data-op={row.op.to_string()}>
            <div class="wf-label" title={row.label.clone()}>
                <span class="wf-name">{row.label.clone()}</span>
                if session {
                    <span class="wf-start">{start}</span>
                }
                if let Some(status) = &row.status {
                    <span class={classes!("wf-status", row.status_tone.map(|t| t.class()))}>{status.clone()}</span>
                }
                if let Some(error) = &row.error {
                    <span class="wf-error">{error.clone()}</span>
                }
            </div>
            <div class="wf-track">
                { for row.bars.iter().map(bar) }
            </div>
            <div class="wf-total">{row.total_label.clone()}</div>
            <div class="wf-phases">
                { for row.bars.iter().map(|b| html! {
                    <span class={classes!("wf-phase", b.phase.class())}>{b.label.clone()}</span>
                }) }
            </div>
        </div>
    }
}

fn bar(bar: &PhaseBar) -> Html {
    html! {
        <span class={classes!("wf-bar", bar.phase.class(), bar.failed.then_some("is-failed"))}
            style={format!("left:{}%;width:{}%", bar.left, bar.width)}
            title={bar.label.clone()} aria-label={bar.label.clone()} data-phase={bar.phase.name()}>
        </span>
    }
}
