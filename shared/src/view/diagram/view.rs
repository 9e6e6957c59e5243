//! What is on screen: a [`Timeline`] and a [`Viewport`] in, the lanes,
//! arrows, marks and time ticks of the visible part out, in screen
//! coordinates.
//!
//! Only what is visible is returned, so the page draws a few dozen elements
//! whatever the trace's length. Steps closer together than
//! [`Geometry::min_gap`] would print over each other: they are merged into
//! one "N more" mark, which zooming in opens up. The cost of a frame is a
//! binary search plus the visible rows.

use super::timeline::{LaneKind, Timeline, TimelineItem};
use super::{Tone, format_micros};
use crate::protocol::OpId;

/// How time runs down the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scale {
    /// One row per step, evenly spaced: every step readable.
    Steps,
    /// Distances follow the session clock: waits look long.
    RealTime,
}

/// Fixed sizes, in diagram units (CSS pixels at 100 %).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    /// Lane titles live in this band at the top; rows scroll below it.
    pub header: f64,
    /// Distance between steps on the even scale, at zoom 1.
    pub row_height: f64,
    /// Pixels per millisecond on the real-time scale, at zoom 1.
    pub px_per_ms: f64,
    /// Left and right of the outer lanes.
    pub margin: f64,
    /// The least distance between two lanes when there is room for it.
    pub lane_spacing: f64,
    /// On a narrow screen lanes come this close before the diagram scrolls
    /// sideways (labels may then reach past the next lane).
    pub tight_lane_spacing: f64,
    /// The margin then: room for the time labels on the left and a lane
    /// title's half on the right.
    pub tight_margin: f64,
    /// The diagram is at least this wide.
    pub min_width: f64,
    /// The width the diagram has on screen, when known: many lanes (two
    /// chat clients, a DNS server and a target) are drawn closer to fit it
    /// rather than scroll a lane out of view.
    pub fit_width: Option<f64>,
    /// Rows closer than this are merged into a "N more" mark.
    pub min_gap: f64,
    /// Height of an idle break on the real-time scale, whatever the zoom:
    /// room for a "N more" mark under the row above, the break's label,
    /// and the label of the row below (labels sit above their arrows).
    pub break_height: f64,
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry {
            header: 64.0,
            row_height: 36.0,
            px_per_ms: 4.0,
            margin: 120.0,
            lane_spacing: 200.0,
            tight_lane_spacing: 150.0,
            tight_margin: 100.0,
            min_width: 720.0,
            fit_width: None,
            min_gap: 18.0,
            break_height: 68.0,
        }
    }
}

/// The visible window onto the diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Viewport {
    pub scale: Scale,
    /// Multiplies distances along time: 2 is twice as tall.
    pub zoom: f64,
    /// Content offset (below the header) at the top of the window.
    pub top: f64,
    /// Height of the window, header included.
    pub height: f64,
    /// Draw only what is visible and merge crowded rows. Off, every row is
    /// drawn: the baseline the benchmark compares against.
    pub cull: bool,
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport {
            scale: Scale::Steps,
            zoom: 1.0,
            top: 0.0,
            height: 560.0,
            cull: true,
        }
    }
}

pub const MIN_ZOOM: f64 = 1.0 / 4096.0;
pub const MAX_ZOOM: f64 = 4096.0;

/// One lane, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneGeom {
    pub index: usize,
    pub kind: LaneKind,
    pub subtitle: String,
    pub x: f64,
}

/// One arrow (or mark, when `from == to`), placed.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnRow {
    /// Index into the timeline's items, and the trace step it draws.
    pub item: usize,
    pub step: usize,
    pub op: OpId,
    pub from: LaneKind,
    pub to: LaneKind,
    pub from_lane: usize,
    pub to_lane: usize,
    pub x1: f64,
    pub x2: f64,
    pub y: f64,
    pub label: String,
    /// Session time, e.g. `1.735 s`: it only grows down the column, across
    /// operations (the relay's time since the operation started is in the
    /// hover).
    pub time: String,
    /// What hovering or focusing the row tells: where, when, how long.
    pub title: String,
    pub tone: Tone,
    /// Where the label is written: `label_x` with this anchor. An arrow's
    /// label is centred over it unless that would run past an edge of the
    /// diagram; a mark's is written to its right, or to its left where the
    /// right has no room (see [`place_label`]).
    pub label_x: f64,
    pub label_anchor: Anchor,
}

/// How a label sits on its `x`, as SVG's `text-anchor` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    /// The `text-anchor` value.
    pub fn svg(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// A mark's radius; its label starts this far from its centre.
pub const MARK_RADIUS: f64 = 5.0;
const MARK_LABEL_GAP: f64 = 2.5 * MARK_RADIUS;
/// A label character's width at the labels' 13 px, estimated on the wide
/// side: labels are placed without a browser to measure them.
pub const LABEL_CHAR_WIDTH: f64 = 7.2;
/// The time column on the left: labels stay right of it.
pub const TIME_COLUMN_WIDTH: f64 = 56.0;
/// Room kept between a label and the diagram's right edge.
const EDGE: f64 = 4.0;

/// Where a row's label goes in a diagram `width` wide: a long label next
/// to an edge (the SYN-ACK's 4-tuple between the two rightmost lanes, a
/// note on the rightmost lane) is turned to stay inside, not cut off.
pub fn place_label(label: &str, x1: f64, x2: f64, width: f64) -> (f64, Anchor) {
    let text = label.chars().count() as f64 * LABEL_CHAR_WIDTH;
    let right_edge = width - EDGE;
    if x1 == x2 {
        let right = right_edge - (x1 + MARK_LABEL_GAP);
        let left = x1 - MARK_LABEL_GAP - TIME_COLUMN_WIDTH;
        return if text <= right || right >= left {
            (x1 + MARK_LABEL_GAP, Anchor::Start)
        } else {
            (x1 - MARK_LABEL_GAP, Anchor::End)
        };
    }
    let mid = (x1 + x2) / 2.0;
    if mid + text / 2.0 > right_edge {
        (right_edge, Anchor::End)
    } else if mid - text / 2.0 < TIME_COLUMN_WIDTH {
        (TIME_COLUMN_WIDTH, Anchor::Start)
    } else {
        (mid, Anchor::Middle)
    }
}

impl DrawnRow {
    pub fn is_mark(&self) -> bool {
        self.from_lane == self.to_lane
    }
}

/// Steps too close together to draw, drawn as one mark.
#[derive(Clone, Debug, PartialEq)]
pub struct More {
    pub y: f64,
    pub count: usize,
    /// TimelineItem range `first..=last`.
    pub first: usize,
    pub last: usize,
    /// The run holds at least one error.
    pub has_error: bool,
}

impl More {
    pub fn label(&self) -> String {
        format!("{} more", self.count)
    }
}

/// Idle time left out of the real-time scale, drawn across the lanes.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakMark {
    /// The middle of the break's label, in the upper part of its band.
    pub y: f64,
    /// `4.2 s idle`.
    pub label: String,
}

/// A time label on the left edge (real-time scale only).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeTick {
    pub y: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Drawing {
    pub width: f64,
    /// The window's height, header included.
    pub height: f64,
    pub header: f64,
    /// Height of the whole diagram's content (below the header).
    pub content_height: f64,
    pub lanes: Vec<LaneGeom>,
    pub rows: Vec<DrawnRow>,
    pub more: Vec<More>,
    /// Idle breaks in the window (real-time scale only).
    pub breaks: Vec<BreakMark>,
    pub ticks: Vec<TimeTick>,
    /// Items in the window (drawn or merged), as `first..end`.
    pub visible: std::ops::Range<usize>,
    pub total: usize,
}

impl Drawing {
    /// One line per row and mark, top to bottom, for snapshot tests:
    /// `y  Relay -> Target  label`.
    pub fn describe(&self) -> String {
        let mut lines: Vec<(f64, String)> = Vec::new();
        for row in &self.rows {
            let arrow = if row.is_mark() {
                row.from.name().to_owned()
            } else {
                format!("{} -> {}", row.from.name(), row.to.name())
            };
            lines.push((row.y, format!("{arrow}  {}", row.label)));
        }
        for more in &self.more {
            lines.push((
                more.y,
                format!(
                    "[{} items {}..={}{}]",
                    more.label(),
                    more.first,
                    more.last,
                    if more.has_error { ", error" } else { "" }
                ),
            ));
        }
        lines.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out = format!(
            "{} of {} items visible, content {:.1} high\n",
            self.visible.len(),
            self.total,
            self.content_height
        );
        for lane in &self.lanes {
            out.push_str(&format!(
                "lane {} {} x={:.1}\n",
                lane.kind.name(),
                lane.subtitle,
                lane.x
            ));
        }
        for tick in &self.ticks {
            out.push_str(&format!("tick {:.1} {}\n", tick.y, tick.label));
        }
        for mark in &self.breaks {
            lines.push((mark.y, format!("~~ {} ~~", mark.label)));
        }
        lines.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (y, line) in lines {
            out.push_str(&format!("{y:7.1}  {line}\n"));
        }
        out
    }
}

/// The content offset of the item `index`.
fn content_y(geometry: &Geometry, view: &Viewport, index: usize, item: &TimelineItem) -> f64 {
    let pad = geometry.row_height / 2.0;
    match view.scale {
        Scale::Steps => pad + index as f64 * geometry.row_height * view.zoom,
        Scale::RealTime => {
            pad + item.draw_us as f64 / 1000.0 * geometry.px_per_ms * view.zoom
                + item.breaks as f64 * geometry.break_height
        }
    }
}

/// Height of all content below the header.
pub fn content_height(timeline: &Timeline, geometry: &Geometry, view: &Viewport) -> f64 {
    match timeline.items.last() {
        None => geometry.row_height,
        Some(last) => {
            content_y(geometry, view, timeline.items.len() - 1, last) + geometry.row_height
        }
    }
}

/// Lane x positions and the diagram's width: lanes evenly spread over the
/// minimum width, further apart only when there are many lanes, and closer
/// (down to the tight spacing and margin) when that is what fits on screen.
pub fn lane_xs(lanes: usize, geometry: &Geometry) -> (Vec<f64>, f64) {
    let gaps = lanes.saturating_sub(1).max(1) as f64;
    let room = |width: f64, margin: f64| (width - 2.0 * margin) / gaps;
    let mut margin = geometry.margin;
    let mut spacing = room(geometry.min_width, margin).max(geometry.lane_spacing);
    let mut min_width = geometry.min_width;
    if let Some(fit) = geometry.fit_width.filter(|w| w.is_finite() && *w > 0.0)
        && room(fit, margin) < spacing
    {
        spacing = room(fit, geometry.tight_margin)
            .min(spacing)
            .max(geometry.tight_lane_spacing);
        // The margins give up what the lanes still need, no more: the
        // drawing narrows smoothly as the window does.
        margin = ((fit - spacing * gaps) / 2.0).clamp(geometry.tight_margin, geometry.margin);
        min_width = min_width.min(fit);
    }
    let xs = (0..lanes).map(|i| margin + spacing * i as f64).collect();
    let width = (2.0 * margin + spacing * gaps).max(min_width);
    (xs, width)
}

/// Lays out what `view` shows of `timeline`.
pub fn frame(timeline: &Timeline, geometry: &Geometry, view: &Viewport) -> Drawing {
    let (xs, width) = lane_xs(timeline.lanes.len(), geometry);
    let lanes = timeline
        .lanes
        .iter()
        .enumerate()
        .map(|(index, lane)| LaneGeom {
            index,
            kind: lane.kind,
            subtitle: lane.subtitle.clone(),
            x: xs[index],
        })
        .collect();
    let content_height = content_height(timeline, geometry, view);
    let body = (view.height - geometry.header).max(0.0);
    let items = &timeline.items;
    let y_of = |i: usize| content_y(geometry, view, i, &items[i]);
    let visible = if view.cull {
        // Content y grows with the index on both scales, so the window is
        // found by binary search. A row just below the bottom edge still
        // shows its label, which sits above it.
        let start = partition(items.len(), |i| y_of(i) < view.top);
        let end = partition(items.len(), |i| {
            y_of(i) <= view.top + body + geometry.row_height
        });
        start..end.max(start)
    } else {
        0..items.len()
    };
    let screen = |content: f64| geometry.header + content - view.top;

    // `free` is the first content y at which something can be drawn without
    // printing over what is above it. A step above it joins the run of
    // hidden steps, whose mark takes the next free place.
    let mut rows = Vec::new();
    let mut more: Vec<More> = Vec::new();
    let mut free = f64::NEG_INFINITY;
    let mut pending: Option<More> = None;
    for i in visible.clone() {
        let y = y_of(i);
        let item = &items[i];
        if view.cull && y < free {
            let run = pending.get_or_insert_with(|| {
                let at = free;
                free = at + geometry.min_gap;
                More {
                    y: screen(at),
                    count: 0,
                    first: i,
                    last: i,
                    has_error: false,
                }
            });
            run.count += 1;
            run.last = i;
            run.has_error |= item.tone == Tone::Error;
            continue;
        }
        more.extend(pending.take());
        free = y + geometry.min_gap;
        let from = &timeline.lanes[item.from];
        let to = &timeline.lanes[item.to];
        let (label_x, label_anchor) = place_label(&item.label, xs[item.from], xs[item.to], width);
        rows.push(DrawnRow {
            item: i,
            step: item.step,
            op: item.op,
            from: from.kind,
            to: to.kind,
            from_lane: item.from,
            to_lane: item.to,
            x1: xs[item.from],
            x2: xs[item.to],
            y: screen(y),
            title: row_title(timeline, i),
            label: item.label.clone(),
            time: super::format_span(item.at_us),
            tone: item.tone,
            label_x,
            label_anchor,
        });
    }
    more.extend(pending);

    let (ticks, breaks) = match view.scale {
        Scale::Steps => (Vec::new(), Vec::new()),
        Scale::RealTime => {
            let breaks = timeline
                .breaks
                .iter()
                .map(|b| BreakMark {
                    // Below a "N more" mark of the rows above (min_gap
                    // under the last of them, 9 high).
                    y: y_of(b.before_item) - geometry.break_height + geometry.min_gap + 18.0,
                    label: b.label(),
                })
                .skip_while(|mark| mark.y < view.top - geometry.break_height)
                .take_while(|mark| mark.y <= view.top + body + geometry.break_height)
                .map(|mark| BreakMark {
                    y: screen(mark.y),
                    ..mark
                })
                .collect();
            (ticks(timeline, geometry, view, body, screen), breaks)
        }
    };
    Drawing {
        width,
        height: view.height,
        header: geometry.header,
        content_height,
        lanes,
        rows,
        more,
        breaks,
        ticks,
        visible,
        total: items.len(),
    }
}

/// The first index in `0..len` for which `before` is false (`before` must
/// be true for a prefix and false after it).
fn partition(len: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Hover and focus text: `Relay → Target 127.0.0.1:4000: SYN → …`, when it
/// happened, and how long after the operation's previous step.
pub fn row_title(timeline: &Timeline, i: usize) -> String {
    let item = &timeline.items[i];
    let from = timeline.lanes[item.from].full_name();
    let mut title = if item.is_mark() {
        format!("{from}: {}", item.label)
    } else {
        format!(
            "{from} → {}: {}",
            timeline.lanes[item.to].full_name(),
            item.label
        )
    };
    if let Some(source) = &item.source {
        title.push_str(&format!("\nmade by {source}"));
    }
    title.push_str(&format!(
        "\nat {} in the session (operation {})",
        format_micros(item.at_us),
        item.op
    ));
    if let Some(t_us) = item.t_us {
        title.push_str(&format!(
            "\n{} into the operation, by the relay's clock",
            format_micros(t_us)
        ));
    }
    if let Some(since) = item.since_prev_us {
        title.push_str(&format!(
            "\n{} after the operation's previous step",
            format_micros(since)
        ));
    }
    title
}

/// Time labels every 1, 2 or 5 × 10ⁿ ms, at least 80 px apart. Each stretch
/// between idle breaks is drawn to scale on its own, so the labels are
/// placed stretch by stretch and none falls inside a break.
fn ticks(
    timeline: &Timeline,
    geometry: &Geometry,
    view: &Viewport,
    body: f64,
    screen: impl Fn(f64) -> f64,
) -> Vec<TimeTick> {
    let px_per_ms = geometry.px_per_ms * view.zoom;
    if px_per_ms <= 0.0 || !px_per_ms.is_finite() {
        return Vec::new();
    }
    let min_ms = 80.0 / px_per_ms;
    let mut step_ms = 10f64.powf(min_ms.log10().floor());
    for factor in [1.0, 2.0, 5.0, 10.0] {
        if step_ms * factor >= min_ms {
            step_ms *= factor;
            break;
        }
    }
    let pad = geometry.row_height / 2.0;
    let items = &timeline.items;
    let breaks = &timeline.breaks;
    let mut out = Vec::new();
    // Stretch k starts at break k-1 (or at 0) and ends before break k.
    let first = partition(breaks.len(), |k| {
        content_y(
            geometry,
            view,
            breaks[k].before_item,
            &items[breaks[k].before_item],
        ) < view.top
    });
    for k in first..=breaks.len() {
        let (start_us, hidden_us) = match k.checked_sub(1).map(|b| &items[breaks[b].before_item]) {
            Some(item) => (item.at_us, item.at_us - item.draw_us),
            None => (0, 0),
        };
        let end_us = breaks
            .get(k)
            .map_or(u64::MAX, |b| items[b.before_item - 1].at_us);
        let y_at = |ms: f64| {
            pad + (ms - hidden_us as f64 / 1000.0) * px_per_ms + k as f64 * geometry.break_height
        };
        if y_at(start_us as f64 / 1000.0) > view.top + body {
            break;
        }
        let mut ms = (start_us as f64 / 1000.0 / step_ms).ceil() * step_ms;
        // Skip ahead to the window without walking every label above it.
        let top_ms = (view.top - y_at(0.0)) / px_per_ms;
        if top_ms > ms {
            ms = (top_ms / step_ms).floor() * step_ms;
        }
        // Bounded walk: far into a session, adding a small step to a large
        // time can leave it unchanged.
        let mut walked = 0;
        while out.len() < 200 && walked < 10_000 && ms * 1000.0 <= end_us as f64 {
            walked += 1;
            let content = y_at(ms);
            if content > view.top + body {
                break;
            }
            if content >= view.top {
                out.push(TimeTick {
                    y: screen(content),
                    label: tick_label(ms, step_ms),
                });
            }
            ms += step_ms;
        }
        if out.len() >= 200 {
            break;
        }
    }
    out
}

/// `0.250 ms` below a second; above it in seconds, with as many decimals
/// as the labels' spacing needs (`15.0001 s` 0.1 ms apart).
fn tick_label(ms: f64, step_ms: f64) -> String {
    if ms < 1000.0 {
        return format_micros((ms * 1000.0).round() as u64);
    }
    let decimals = (-(step_ms / 1000.0).log10()).ceil().clamp(0.0, 6.0) as usize;
    format!("{:.*} s", decimals, ms / 1000.0)
}

/// Moves and zooms of the window, as pure functions of the viewport and
/// the content's size, so the page's mouse and keyboard handling is tested
/// here.
impl Viewport {
    /// The window's height below the header.
    pub fn body(&self, geometry: &Geometry) -> f64 {
        (self.height - geometry.header).max(0.0)
    }

    /// The same viewport, `top` kept within the content.
    pub fn clamped(mut self, timeline: &Timeline, geometry: &Geometry) -> Viewport {
        let max_top = (content_height(timeline, geometry, &self) - self.body(geometry)).max(0.0);
        self.top = self.top.clamp(0.0, max_top);
        self
    }

    pub fn panned(mut self, dy: f64, timeline: &Timeline, geometry: &Geometry) -> Viewport {
        self.top += dy;
        self.clamped(timeline, geometry)
    }

    /// Zooms by `factor`, keeping the content under screen height `anchor`
    /// (header included) where it is. Idle bands keep their height: only
    /// the rest of the content above the anchor scales.
    pub fn zoomed(
        mut self,
        factor: f64,
        anchor: f64,
        timeline: &Timeline,
        geometry: &Geometry,
    ) -> Viewport {
        let new_zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        let factor = new_zoom / self.zoom;
        let pad = geometry.row_height / 2.0;
        let on_screen = (anchor - geometry.header).max(0.0);
        let under = self.top + on_screen;
        let bands = self.bands_above(under, timeline, geometry);
        self.zoom = new_zoom;
        self.top = (under - pad - bands) * factor + pad + bands - on_screen;
        self.clamped(timeline, geometry)
    }

    /// How much of the content above `content_y` is idle bands (which do
    /// not scale with zoom); none on the steps scale.
    fn bands_above(&self, content_y_at: f64, timeline: &Timeline, geometry: &Geometry) -> f64 {
        if self.scale != Scale::RealTime {
            return 0.0;
        }
        timeline
            .breaks
            .iter()
            .map(|b| {
                let end = content_y(
                    geometry,
                    self,
                    b.before_item,
                    &timeline.items[b.before_item],
                );
                (content_y_at - (end - geometry.break_height)).clamp(0.0, geometry.break_height)
            })
            .take_while(|&part| part > 0.0)
            .sum()
    }

    /// Zoomed so that the whole session fits the window, from the start.
    /// The padding and the idle bands keep their size; the rest scales.
    pub fn fitted(mut self, timeline: &Timeline, geometry: &Geometry) -> Viewport {
        let fixed = geometry.row_height * 1.5
            + match self.scale {
                Scale::RealTime => timeline.breaks.len() as f64 * geometry.break_height,
                Scale::Steps => 0.0,
            };
        let span = (content_height(timeline, geometry, &self) - fixed) / self.zoom;
        if span > 0.0 {
            // With more bands than fit, the steps between them still get a
            // quarter of the window.
            let room = (self.body(geometry) - fixed).max(self.body(geometry) / 4.0);
            self.zoom = (room / span).clamp(MIN_ZOOM, MAX_ZOOM);
        }
        self.top = 0.0;
        self
    }

    /// The window at the very start.
    pub fn home(mut self) -> Viewport {
        self.top = 0.0;
        self
    }

    /// The window at the end: the newest step at the bottom.
    pub fn end(mut self, timeline: &Timeline, geometry: &Geometry) -> Viewport {
        self.top = f64::INFINITY;
        self.top = (content_height(timeline, geometry, &self) - self.body(geometry)).max(0.0);
        self
    }

    /// Switches the scale, keeping the item nearest the top in view.
    pub fn with_scale(
        mut self,
        scale: Scale,
        timeline: &Timeline,
        geometry: &Geometry,
    ) -> Viewport {
        let items = &timeline.items;
        let first = partition(items.len(), |i| {
            content_y(geometry, &self, i, &items[i]) < self.top
        });
        self.scale = scale;
        self.top = match items.get(first) {
            Some(item) => content_y(geometry, &self, first, item) - geometry.row_height / 2.0,
            None => 0.0,
        };
        self.clamped(timeline, geometry)
    }
}
