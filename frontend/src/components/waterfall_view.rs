//! The timing waterfall: each HTTP request and TCP connection a row, its
//! phases as bars on one scale with their milliseconds, like a browser's
//! network panel. The layout is `shared::waterfall`'s.

use std::rc::Rc;

use roundtrip_shared::recording::PageTimes;
use roundtrip_shared::trace::Trace;
use roundtrip_shared::waterfall::{self, Bar, Phase, Row};
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
    let layout = waterfall::layout(&props.trace);
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
                <ul class="legend wf-legend" aria-label="Phases">
                    { for Phase::ALL.into_iter().map(|phase| html! {
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
                    { for layout.rows.iter().map(row) }
                </div>
            }
        </section>
    }
}

fn row(row: &Row) -> Html {
    html! {
        <div class={classes!("wf-row", row.error.is_some().then_some("has-error"))} data-op={row.op.to_string()}>
            <div class="wf-label" title={row.label.clone()}>
                <span class="wf-name">{row.label.clone()}</span>
                if let Some(status) = &row.status {
                    <span class="wf-status">{status.clone()}</span>
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

fn bar(bar: &Bar) -> Html {
    html! {
        <span class={classes!("wf-bar", bar.phase.class(), bar.failed.then_some("is-failed"))}
            style={format!("left:{}%;width:{}%", bar.left, bar.width)}
            title={bar.label.clone()} aria-label={bar.label.clone()} data-phase={bar.phase.name()}>
        </span>
    }
}
