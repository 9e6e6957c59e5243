//! The sequence diagram: draws the frame `shared::diagram::frame` returns
//! for the visible window, and owns its toolbar (scale, zoom, follow live,
//! table, exports).
//!
//! Every position and label comes from `shared::diagram`, which is tested
//! natively; this component keeps the window (scroll, zoom, scale), turns
//! mouse and keys into window moves (also pure functions there), and turns
//! the frame into SVG elements.

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::diagram::view::{Drawing, DrawnRow, LaneGeom, MARK_RADIUS, More};
use roundtrip_shared::diagram::{self, Geometry, Scale, Timeline, Tone, Viewport, export};
use roundtrip_shared::trace::Trace;
use yew::prelude::*;

use crate::browser;

/// How far one arrow key moves, in diagram units.
const PAN_STEP: f64 = 48.0;
/// One press of `+` or `-`.
const ZOOM_STEP: f64 = 1.25;
/// Clicking "N more" zooms in this much around it.
const MORE_ZOOM: f64 = 4.0;
const LABEL_LIFT: f64 = 7.0;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
    /// Draw only what is visible, crowded rows merged (the default). Off,
    /// every row is drawn: the rendering benchmark's baseline.
    #[prop_or(true)]
    pub cull: bool,
    /// The window's height in diagram units, header included.
    #[prop_or(560.0)]
    pub height: f64,
    /// Showing a recording (a trace link, an opened file), not the live
    /// session: the empty diagram says how to replay it.
    #[prop_or_default]
    pub recording: bool,
    /// Size the window to the browser's: from the diagram's top to the
    /// bottom of the browser window (at least `MIN_FIT_PIXELS`), so the
    /// newest step stays on screen while following. Off, `height` holds.
    #[prop_or(false)]
    pub fit_window: bool,
}

/// The least height, in CSS pixels, of a window fitted to the browser's: a
/// few steps stay readable on a short screen (the page scrolls instead).
const MIN_FIT_PIXELS: f64 = 260.0;

/// An `Rc` compared by identity: the timeline is rebuilt only when the
/// trace changes, so the same `Rc` means the same content, and comparing
/// 10,000 items on every frame is what this avoids.
#[derive(Debug, Clone)]
struct Same<T>(Rc<T>);

impl<T> PartialEq for Same<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &Props) -> Html {
    // Lanes come closer when many would not fit the window's width, so a
    // chat with two client lanes stays in view on a laptop instead of
    // scrolling its server off.
    let window_ref = use_node_ref();
    let fit_width = use_state_eq(|| None::<f64>);
    // CSS pixels from the diagram's top to the bottom of the browser window.
    let room_below = use_state_eq(|| None::<f64>);
    {
        let (window_ref, fit_width) = (window_ref.clone(), fit_width.clone());
        let room_below = room_below.clone();
        use_effect_with((), move |_| {
            let watch = window_ref.cast::<web_sys::Element>().and_then(|window| {
                let element = window.clone();
                browser::watch_width(&window, move |width| {
                    // A hidden tab is 0 wide: keep the last real width.
                    if width > 0.0 {
                        fit_width.set(Some(width));
                        if let Some(room) = browser::room_below(&element) {
                            room_below.set(Some(room.round()));
                        }
                    }
                })
            });
            move || drop(watch)
        });
    }
    let geometry = Geometry {
        fit_width: *fit_width,
        ..Geometry::default()
    };
    // The reducer changes the trace in place when it can, so the address
    // alone does not say it changed; its length does.
    let key = (Rc::as_ptr(&props.trace) as usize, props.trace.steps().len());
    let timeline: Rc<Timeline> = {
        let trace = props.trace.clone();
        use_memo(key, move |_| diagram::timeline(&trace))
    };
    let stored = use_state(Viewport::default);
    let follow = use_state(|| true);
    let show_table = use_state(|| false);
    let problem = use_state(|| None::<String>);
    let drag: Rc<RefCell<Option<(f64, f64)>>> = use_mut_ref(|| None);
    let svg_ref = use_node_ref();

    // Pixels to diagram units: the SVG is scaled to its box's width.
    let height = match (*room_below, *fit_width) {
        (Some(room), Some(box_width)) if props.fit_window && box_width > 0.0 => {
            let (_, width) = diagram::view::lane_xs(timeline.lanes.len(), &geometry);
            room.max(MIN_FIT_PIXELS) * width / box_width
        }
        _ => props.height,
    };
    let view = {
        let base = Viewport {
            cull: props.cull,
            height,
            ..*stored
        };
        if *follow {
            base.end(&timeline, &geometry)
        } else {
            base.clamped(&timeline, &geometry)
        }
    };
    let frame = diagram::frame(&timeline, &geometry, &view);

    // Every move but "follow live" and End stops following.
    let set_view = {
        let stored = stored.clone();
        let follow = follow.clone();
        Callback::from(move |(next, keep_following): (Viewport, bool)| {
            stored.set(next);
            follow.set(keep_following);
        })
    };
    // Screen pixels to diagram units: the SVG is scaled to its box.
    let units = {
        let svg_ref = svg_ref.clone();
        let width = frame.width;
        move || -> (f64, f64) {
            match svg_ref.cast::<web_sys::Element>() {
                Some(svg) => {
                    let rect = svg.get_bounding_client_rect();
                    let k = if rect.width() > 0.0 {
                        width / rect.width()
                    } else {
                        1.0
                    };
                    (k, rect.top())
                }
                None => (1.0, 0.0),
            }
        }
    };

    let on_wheel = {
        let (timeline, set_view, units) = (timeline.clone(), set_view.clone(), units.clone());
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let (k, top) = units();
            // Lines (Firefox) or pages, not pixels, in some delta modes.
            let scale = match e.delta_mode() {
                1 => 16.0,
                2 => view.body(&geometry),
                _ => 1.0,
            };
            let dy = e.delta_y() * scale * k;
            let next = if e.ctrl_key() || e.meta_key() {
                let anchor = (f64::from(e.client_y()) - top) * k;
                view.zoomed((-dy * 0.002).exp(), anchor, &timeline, &geometry)
            } else {
                view.panned(dy, &timeline, &geometry)
            };
            set_view.emit((next, false));
        })
    };
    let on_pointer_down = {
        let drag = drag.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            *drag.borrow_mut() = Some((f64::from(e.client_y()), view.top));
            if let Some(target) = e.current_target() {
                use wasm_bindgen::JsCast;
                if let Ok(element) = target.dyn_into::<web_sys::Element>() {
                    let _ = element.set_pointer_capture(e.pointer_id());
                }
            }
        })
    };
    let on_pointer_move = {
        let (drag, timeline, set_view, units) = (
            drag.clone(),
            timeline.clone(),
            set_view.clone(),
            units.clone(),
        );
        Callback::from(move |e: PointerEvent| {
            let Some((y0, top0)) = *drag.borrow() else {
                return;
            };
            let (k, _) = units();
            let dy = (f64::from(e.client_y()) - y0) * k;
            if dy.abs() < 1.0 {
                return;
            }
            let next = Viewport {
                top: top0 - dy,
                ..view
            }
            .clamped(&timeline, &geometry);
            set_view.emit((next, false));
        })
    };
    let on_pointer_up = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };
    let on_key = {
        let (timeline, set_view) = (timeline.clone(), set_view.clone());
        let middle = geometry.header + view.body(&geometry) / 2.0;
        Callback::from(move |e: KeyboardEvent| {
            let body = view.body(&geometry);
            let next = match e.key().as_str() {
                "ArrowDown" => (view.panned(PAN_STEP, &timeline, &geometry), false),
                "ArrowUp" => (view.panned(-PAN_STEP, &timeline, &geometry), false),
                "PageDown" => (view.panned(body * 0.9, &timeline, &geometry), false),
                "PageUp" => (view.panned(-body * 0.9, &timeline, &geometry), false),
                "+" | "=" => (view.zoomed(ZOOM_STEP, middle, &timeline, &geometry), false),
                "-" | "_" => (
                    view.zoomed(1.0 / ZOOM_STEP, middle, &timeline, &geometry),
                    false,
                ),
                "Home" => (view.home(), false),
                "End" => (view.end(&timeline, &geometry), true),
                _ => return,
            };
            e.prevent_default();
            set_view.emit(next);
        })
    };
    let zoom_by = |factor: f64| {
        let (timeline, set_view) = (timeline.clone(), set_view.clone());
        let middle = geometry.header + view.body(&geometry) / 2.0;
        Callback::from(move |_: MouseEvent| {
            set_view.emit((view.zoomed(factor, middle, &timeline, &geometry), false))
        })
    };
    let on_scale = |scale: Scale| {
        let (timeline, set_view, following) = (timeline.clone(), set_view.clone(), *follow);
        Callback::from(move |_: MouseEvent| {
            set_view.emit((view.with_scale(scale, &timeline, &geometry), following))
        })
    };
    let on_whole = {
        let (timeline, set_view) = (timeline.clone(), set_view.clone());
        Callback::from(move |_: MouseEvent| {
            set_view.emit((view.fitted(&timeline, &geometry), false))
        })
    };
    let on_home = {
        let set_view = set_view.clone();
        Callback::from(move |_: MouseEvent| set_view.emit((view.home(), false)))
    };
    let on_follow = {
        let (set_view, following) = (set_view.clone(), *follow);
        Callback::from(move |_: MouseEvent| set_view.emit((view, !following)))
    };
    let on_table = {
        let show_table = show_table.clone();
        Callback::from(move |_: MouseEvent| show_table.set(!*show_table))
    };
    let on_svg = {
        let (timeline, problem) = (timeline.clone(), problem.clone());
        Callback::from(move |_: MouseEvent| {
            // A file is not drawn in this window: lanes at their full spacing.
            let unfitted = Geometry {
                fit_width: None,
                ..geometry
            };
            let text = export::svg(&timeline, &unfitted, &view);
            problem.set(browser::download("roundtrip-sequence.svg", "image/svg+xml", &text).err());
        })
    };
    let on_mermaid = {
        let (timeline, problem) = (timeline.clone(), problem.clone());
        Callback::from(move |_: MouseEvent| {
            let text = export::mermaid(&timeline);
            problem.set(browser::download("roundtrip-sequence.mmd", "text/plain", &text).err());
        })
    };
    let on_more = {
        let (timeline, set_view) = (timeline.clone(), set_view.clone());
        move |more: &More| {
            let (timeline, set_view, anchor) = (timeline.clone(), set_view.clone(), more.y);
            Callback::from(move |()| {
                set_view.emit((view.zoomed(MORE_ZOOM, anchor, &timeline, &geometry), false))
            })
        }
    };

    let lanes_text = timeline
        .lanes
        .iter()
        .map(|lane| lane.full_name())
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "Sequence diagram: {} steps between {lanes_text}",
        timeline.items.len()
    );
    let status = if frame.visible.is_empty() {
        format!("{} steps", frame.total)
    } else {
        format!(
            "steps {}–{} of {}",
            frame.visible.start + 1,
            frame.visible.end,
            frame.total
        )
    };
    let pressed = |on: bool| if on { "true" } else { "false" };
    let scale = view.scale;

    html! {
        <figure class="sequence" aria-labelledby="sequence-caption">
            <div class="sequence-toolbar" role="toolbar" aria-label="Sequence diagram">
                <span class="toolbar-group" role="group" aria-label="Time scale">
                    <button id="scale-steps" aria-pressed={pressed(scale == Scale::Steps)}
                        onclick={on_scale(Scale::Steps)}>{"Steps"}</button>
                    <button id="scale-time" aria-pressed={pressed(scale == Scale::RealTime)}
                        onclick={on_scale(Scale::RealTime)}>{"Real time"}</button>
                </span>
                <span class="toolbar-group" role="group" aria-label="Zoom">
                    <button id="zoom-out" aria-label="Zoom out" title="Zoom out (-)"
                        onclick={zoom_by(1.0 / ZOOM_STEP)}>{"−"}</button>
                    <button id="zoom-in" aria-label="Zoom in" title="Zoom in (+)"
                        onclick={zoom_by(ZOOM_STEP)}>{"+"}</button>
                    <button id="zoom-whole" onclick={on_whole}>{"Whole session"}</button>
                </span>
                <span class="toolbar-group">
                    <button id="sequence-start" title="Start (Home)" onclick={on_home}>{"Start"}</button>
                    <button id="follow-live" title="Keep the newest steps in view (End)"
                        aria-pressed={pressed(*follow)} onclick={on_follow}>{"Follow live"}</button>
                    <button id="sequence-table-toggle" aria-pressed={pressed(*show_table)}
                        aria-controls="sequence-table" onclick={on_table}>{"Table"}</button>
                </span>
                <span class="toolbar-group" role="group" aria-label="Export">
                    <button id="export-svg" onclick={on_svg}>{"SVG"}</button>
                    <button id="export-mermaid" onclick={on_mermaid}>{"Mermaid"}</button>
                </span>
                <span id="sequence-status" class="sequence-status">{status}</span>
            </div>
            <ul class="legend lane-legend" aria-label="Lanes">
                { for LANE_LEGEND.iter().map(|(class, name)| html! {
                    <li class={*class}>{*name}</li>
                }) }
                <li id="what-is-drawn" class="legend-note">{diagram::WHAT_IS_DRAWN}</li>
            </ul>
            if let Some(problem) = &*problem {
                <p class="error-message">{problem.clone()}</p>
            }
            <div class="sequence-window" ref={window_ref} tabindex="0" onkeydown={on_key}
                aria-label="Sequence diagram window: arrow keys scroll, + and - zoom, Home and End jump"
                aria-describedby="sequence-desc">
                <svg
                    id="sequence"
                    ref={svg_ref}
                    role="img"
                    aria-label={summary.clone()}
                    aria-describedby="sequence-desc"
                    xmlns="http://www.w3.org/2000/svg"
                    class={classes!("sequence-svg", (scale == Scale::RealTime).then_some("is-real-time"))}
                    viewBox={format!("0 0 {:.1} {:.1}", frame.width, frame.height)}
                    width={format!("{:.0}", frame.width)}
                    height={format!("{:.0}", frame.height)}
                    // Many lanes scroll sideways rather than shrink below projector size.
                    style={format!("min-width: {:.0}px", frame.width * 0.9)}
                    data-zoom={view.zoom.to_string()}
                    data-top={format!("{:.1}", view.top)}
                    onwheel={on_wheel}
                    onpointerdown={on_pointer_down}
                    onpointermove={on_pointer_move}
                    onpointerup={on_pointer_up.clone()}
                    onpointercancel={on_pointer_up}
                >
                    <title>{summary.clone()}</title>
                    <defs>
                        { for Tone::all().map(arrowhead) }
                        <clipPath id="sequence-body-clip">
                            <rect x="0" y={(frame.header - 16.0).to_string()}
                                width={frame.width.to_string()}
                                height={(frame.height - frame.header + 16.0).max(0.0).to_string()} />
                        </clipPath>
                    </defs>
                    { for frame.lanes.iter().map(|lane| lane_view(lane, &frame)) }
                    <g class="sequence-body" clip-path="url(#sequence-body-clip)">
                        { for frame.ticks.iter().map(|tick| html! {
                            <g class="tick">
                                <line class="tick-line" x1="0" x2={frame.width.to_string()}
                                    y1={tick.y.to_string()} y2={tick.y.to_string()} />
                                <text class="tick-label" x="4" y={(tick.y - 3.0).to_string()}>
                                    {tick.label.clone()}
                                </text>
                            </g>
                        }) }
                        { for frame.breaks.iter().map(|mark| html! {
                            // Idle time left out of the real-time scale.
                            <g class="idle-break">
                                <rect class="idle-band" x="0" y={(mark.y - 9.0).to_string()}
                                    width={frame.width.to_string()} height="18" />
                                <text class="idle-label" x={(frame.width / 2.0).to_string()}
                                    y={(mark.y + 4.0).to_string()} text-anchor="middle">
                                    {format!("⋯ {} ⋯", mark.label)}
                                </text>
                            </g>
                        }) }
                        { for frame.rows.iter().map(|row| row_view(row, scale, &timeline)) }
                        { for frame.more.iter().map(|more| more_view(more, &frame, on_more(more))) }
                    </g>
                    if frame.total == 0 {
                        <text class="empty-hint" x={(frame.width / 2.0).to_string()}
                            y={(frame.header + 40.0).to_string()} text-anchor="middle">
                            {diagram::empty_hint(props.recording)}
                        </text>
                    }
                </svg>
            </div>
            <figcaption id="sequence-caption" class="visually-hidden">{summary}</figcaption>
            <SequenceText timeline={Same(timeline.clone())} show_table={*show_table} />
        </figure>
    }
}

/// Lane colours, named as the lanes are.
const LANE_LEGEND: [(&str, &str); 5] = [
    ("lane-browser", "Browser"),
    ("lane-relay", "Relay"),
    ("lane-dns", "DNS server"),
    ("lane-target", "target"),
    ("lane-client", "client"),
];

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

fn lane_view(lane: &LaneGeom, frame: &Drawing) -> Html {
    let x = lane.x.to_string();
    html! {
        <g class={classes!("lane", lane.kind.class())} data-lane={lane.kind.name()}
            data-lane-name={format!("{} {}", lane.kind.name(), lane.subtitle).trim().to_owned()}>
            <text class="lane-title" x={x.clone()} y="22" text-anchor="middle">{lane.kind.name()}</text>
            <text class="lane-subtitle" x={x.clone()} y="40" text-anchor="middle">
                {lane.subtitle.clone()}
            </text>
            <line class="lifeline" x1={x.clone()} x2={x} y1={(frame.header - 12.0).to_string()}
                y2={frame.height.to_string()} />
        </g>
    }
}

fn row_view(row: &DrawnRow, scale: Scale, timeline: &Timeline) -> Html {
    let y = row.y.to_string();
    let body = if row.is_mark() {
        html! {
            <>
                <circle class="mark" cx={row.x1.to_string()} cy={y.clone()} r={MARK_RADIUS.to_string()} />
                <text class="label" x={row.label_x.to_string()}
                    y={(row.y + 4.0).to_string()} text-anchor={row.label_anchor.svg()}>
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
                <text class="label" x={row.label_x.to_string()}
                    y={(row.y - LABEL_LIFT).to_string()} text-anchor={row.label_anchor.svg()}>
                    {row.label.clone()}
                </text>
            </>
        }
    };
    html! {
        <g class={classes!("row", row.tone.class(), row.is_mark().then_some("is-mark"))}
            key={row.item}
            tabindex="0"
            aria-label={row.title.clone()}
            data-from={row.from.name()} data-to={row.to.name()}
            data-from-lane={timeline.lanes[row.from_lane].full_name()}
            data-to-lane={timeline.lanes[row.to_lane].full_name()}
            data-label={row.label.clone()} data-op={row.op.to_string()}
            data-step={row.step.to_string()}>
            <title>{row.title.clone()}</title>
            // Real time has its axis at the left; the row's own time would
            // print over it.
            if scale == Scale::Steps {
                <text class="time" x="4" y={(row.y + 4.0).to_string()}>{row.time.clone()}</text>
            }
            { body }
        </g>
    }
}

fn more_view(more: &More, frame: &Drawing, open: Callback<()>) -> Html {
    let x = frame.width / 2.0;
    let on_click = open.reform(|_: MouseEvent| ());
    // Enter or Space on a focused mark opens it, as a click would.
    let on_key = Callback::from(move |e: KeyboardEvent| {
        if matches!(e.key().as_str(), "Enter" | " ") {
            e.prevent_default();
            e.stop_propagation();
            open.emit(());
        }
    });
    let label = format!("⋯ {}", more.label());
    html! {
        <g class={classes!("more", more.has_error.then_some("has-error"))}
            data-count={more.count.to_string()} tabindex="0" role="button"
            onclick={on_click} onkeydown={on_key}
            aria-label={format!("{} steps too close to draw; click to zoom in", more.count)}>
            <title>{format!("{} steps too close together to draw apart: click or zoom in (+) to see them", more.count)}</title>
            <rect class="more-pill" x={(x - 54.0).to_string()} y={(more.y - 9.0).to_string()}
                width="108" height="18" rx="9" />
            <text class="more-label" x={x.to_string()} y={(more.y + 4.0).to_string()}
                text-anchor="middle">{label}</text>
        </g>
    }
}

#[derive(Debug, Properties, PartialEq)]
struct TextProps {
    timeline: Same<Timeline>,
    show_table: bool,
}

/// Rows the table shows at a time: a 10,000-step session opens as fast as a
/// short one.
const TABLE_PAGE: usize = 500;

/// The text alternative: every step as plain text (always, for screen
/// readers) and, on demand, as a table, a page at a time. A child of its own
/// so that panning, which redraws the diagram on every frame, does not diff
/// the table.
#[function_component(SequenceText)]
fn sequence_text(props: &TextProps) -> Html {
    let timeline = &props.timeline.0;
    // `None`: the last page, which follows the session as it grows.
    let page = use_state(|| None::<usize>);
    let pages = timeline.items.len().div_ceil(TABLE_PAGE).max(1);
    let shown = page.map_or(pages - 1, |p| p.min(pages - 1));
    let rows = shown * TABLE_PAGE..((shown + 1) * TABLE_PAGE).min(timeline.items.len());
    let go = |target: Option<usize>| {
        let page = page.clone();
        Callback::from(move |_: MouseEvent| page.set(target))
    };
    let last = pages - 1;
    let breaks: std::collections::HashMap<usize, String> = timeline
        .breaks
        .iter()
        .filter(|b| rows.contains(&b.before_item))
        .map(|b| (b.before_item, b.label()))
        .collect();
    html! {
        <>
            <p id="sequence-desc" class="visually-hidden">
                {format!(
                    "{} steps. Lanes from left to right: {}. Time runs downward. \
                     Focus a row to hear its timing; the Table button lists every step.",
                    timeline.items.len(),
                    timeline.lanes.iter().map(|l| l.full_name()).collect::<Vec<_>>().join(", ")
                )}
            </p>
            <pre id="sequence-text" class="visually-hidden">{timeline.describe()}</pre>
            if props.show_table {
                if pages > 1 {
                    <nav class="table-pages" aria-label="Table pages">
                        <button id="table-first" disabled={shown == 0} onclick={go(Some(0))}>{"First"}</button>
                        <button id="table-prev" disabled={shown == 0}
                            onclick={go(Some(shown.saturating_sub(1)))}>{"Previous"}</button>
                        <span id="table-range" aria-live="polite">
                            {format!("steps {}–{} of {}", rows.start + 1, rows.end, timeline.items.len())}
                        </span>
                        <button id="table-next" disabled={shown == last}
                            onclick={go(if shown + 1 >= last { None } else { Some(shown + 1) })}>{"Next"}</button>
                        <button id="table-last" disabled={shown == last} onclick={go(None)}>{"Last"}</button>
                    </nav>
                }
                <div class="sequence-table-scroll">
                    <table id="sequence-table" class="sequence-table">
                        <caption>{format!("Every step of the session ({})", timeline.items.len())}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{"#"}</th>
                                <th scope="col">{"session time"}</th>
                                <th scope="col">{"op"}</th>
                                <th scope="col">{"from"}</th>
                                <th scope="col">{"to"}</th>
                                <th scope="col">{"what"}</th>
                                <th scope="col">{"since the op's previous step"}</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for rows.map(|i| {
                                let item = &timeline.items[i];
                                html! {
                                    <>
                                        if let Some(idle) = breaks.get(&i) {
                                            <tr class="idle-row">
                                                <td colspan="7">{format!("⋯ {idle} ⋯")}</td>
                                            </tr>
                                        }
                                        <tr class={item.tone.class()}>
                                            <td>{i + 1}</td>
                                            <td>{diagram::format_span(item.at_us)}</td>
                                            <td>{item.op}</td>
                                            <td>{timeline.lanes[item.from].full_name()}</td>
                                            <td>{if item.is_mark() { String::new() } else { timeline.lanes[item.to].full_name() }}</td>
                                            <td>{item.label.clone()}</td>
                                            <td>{item.since_prev_us.map(diagram::format_span).unwrap_or_default()}</td>
                                        </tr>
                                    </>
                                }
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </>
    }
}
