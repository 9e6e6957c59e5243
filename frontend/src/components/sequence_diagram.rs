//! The live sequence diagram: draws what `shared::diagram::layout` returns.
//!
//! Every position and label comes from the layout, which is tested natively;
//! this component only turns rows into SVG elements.

use std::rc::Rc;

use roundtrip_shared::diagram::{self, Diagram, LaneGeom, Options, Row, Tone};
use roundtrip_shared::trace::Trace;
use yew::prelude::*;

/// Each tone gets its own arrowhead: SVG markers do not take the colour of
/// the line that uses them in every browser.
const TONES: [Tone; 5] = [
    Tone::Request,
    Tone::Control,
    Tone::Data,
    Tone::Note,
    Tone::Error,
];

/// How far the label sits above its arrow, and the gap between a mark and
/// its label, in diagram units.
const LABEL_LIFT: f64 = 7.0;
const MARK_RADIUS: f64 = 5.0;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
}

#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &Props) -> Html {
    let diagram = diagram::layout(&props.trace, Options::default());
    let scroller = use_node_ref();
    {
        // Keep the newest step in view while the diagram grows.
        let scroller = scroller.clone();
        use_effect_with(diagram.rows.len(), move |_| {
            if let Some(element) = scroller.cast::<web_sys::Element>() {
                element.set_scroll_top(element.scroll_height());
            }
        });
    }
    // Long sessions scroll inside the panel; once the lane titles have
    // scrolled away, a bar pinned to the top names the lanes again.
    let lanes_pinned = use_state_eq(|| false);
    let on_scroll = {
        let scroller = scroller.clone();
        let lanes_pinned = lanes_pinned.clone();
        let header_share = Options::default().header / diagram.width;
        Callback::from(move |_: Event| {
            if let Some(element) = scroller.cast::<web_sys::Element>() {
                let header_px = header_share * f64::from(element.client_width());
                lanes_pinned.set(f64::from(element.scroll_top()) > 0.6 * header_px);
            }
        })
    };
    let summary = format!(
        "Sequence diagram of the session: {} steps between the Browser, the Relay and the Target",
        diagram.rows.len()
    );
    html! {
        <figure class="sequence">
            <div class="sequence-scroll" ref={scroller} onscroll={on_scroll}>
                <div class={classes!("lane-bar", (*lanes_pinned).then_some("is-shown"))}
                    aria-hidden="true">
                    { for diagram.lanes.iter().map(|lane| html! {
                        <span style={format!("left: {:.3}%", 100.0 * lane.x / diagram.width)}>
                            {lane.title}
                        </span>
                    }) }
                </div>
                <svg
                    id="sequence"
                    role="img"
                    aria-label={summary.clone()}
                    aria-describedby="sequence-text"
                    xmlns="http://www.w3.org/2000/svg"
                    viewBox={format!("0 0 {} {}", diagram.width, diagram.height)}
                    width={diagram.width.to_string()}
                    height={diagram.height.to_string()}
                >
                    <title>{summary}</title>
                    <defs>{ for TONES.iter().map(|&tone| arrowhead(tone)) }</defs>
                    { for diagram.lanes.iter().map(|lane| lane_view(lane, &diagram)) }
                    if diagram.rows.is_empty() {
                        <text class="empty-hint" x={(diagram.width / 2.0).to_string()}
                            y={(Options::default().header + 24.0).to_string()} text-anchor="middle">
                            {"Connect to see every step appear here."}
                        </text>
                    }
                    { for diagram.rows.iter().map(row_view) }
                </svg>
            </div>
            <pre id="sequence-text" class="visually-hidden">{diagram.describe()}</pre>
        </figure>
    }
}

fn marker_id(tone: Tone) -> String {
    format!("arrow-{}", tone.class())
}

fn arrowhead(tone: Tone) -> Html {
    html! {
        <marker id={marker_id(tone)} class={tone.class()} viewBox="0 0 10 10" refX="10" refY="5"
            markerWidth="7" markerHeight="7" markerUnits="strokeWidth" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" />
        </marker>
    }
}

fn lane_view(lane: &LaneGeom, diagram: &Diagram) -> Html {
    let header = Options::default().header;
    let x = lane.x.to_string();
    html! {
        <g class="lane" data-lane={lane.lane.name()}>
            <text class="lane-title" x={x.clone()} y="22" text-anchor="middle">{lane.title}</text>
            <text class="lane-subtitle" x={x.clone()} y="40" text-anchor="middle">
                {lane.subtitle.clone()}
            </text>
            <line class="lifeline" x1={x.clone()} x2={x} y1={(header - 12.0).to_string()}
                y2={diagram.height.to_string()} />
        </g>
    }
}

fn row_view(row: &Row) -> Html {
    let y = row.y.to_string();
    let body = if row.is_mark() {
        html! {
            <>
                <circle class="mark" cx={row.x1.to_string()} cy={y.clone()} r={MARK_RADIUS.to_string()} />
                <text class="label" x={(row.x1 + 2.5 * MARK_RADIUS).to_string()}
                    y={(row.y + 4.0).to_string()} text-anchor="start">
                    {row.label.clone()}
                </text>
            </>
        }
    } else {
        html! {
            <>
                <line class="arrow" x1={row.x1.to_string()} x2={row.x2.to_string()}
                    y1={y.clone()} y2={y}
                    marker-end={format!("url(#{})", marker_id(row.tone))} />
                <text class="label" x={((row.x1 + row.x2) / 2.0).to_string()}
                    y={(row.y - LABEL_LIFT).to_string()} text-anchor="middle">
                    {row.label.clone()}
                </text>
            </>
        }
    };
    html! {
        <g class={classes!("row", row.tone.class(), row.is_mark().then_some("is-mark"))}
            data-from={row.from.name()} data-to={row.to.name()}
            data-label={row.label.clone()} data-op={row.op.to_string()}>
            <text class="time" x="4" y={(row.y + 4.0).to_string()}>{row.time.clone()}</text>
            { body }
        </g>
    }
}
