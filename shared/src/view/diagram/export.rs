//! The diagram outside the page: a standalone SVG file (styles inline, so
//! it opens in any viewer or slide deck) and Mermaid `sequenceDiagram` text
//! (for notes and wikis).

use std::fmt::Write as _;

use super::timeline::{LaneKind, Timeline};
use super::view::{Anchor, Drawing, Geometry, Viewport, frame};
use super::{Tone, format_micros};

/// Colours of the light theme, the same as the page's stylesheet defaults.
fn tone_colour(tone: Tone) -> &'static str {
    match tone {
        Tone::Request => "#1f5fbf",
        Tone::Control => "#6639ba",
        Tone::Data => "#1a7f37",
        Tone::Note => "#5b636d",
        Tone::Error => "#c21f1f",
    }
}

fn lane_colour(kind: LaneKind) -> &'static str {
    match kind {
        LaneKind::Browser | LaneKind::Program => "#1f5fbf",
        LaneKind::Relay => "#1b1f24",
        LaneKind::Dns => "#9a6700",
        LaneKind::Target => "#0b7285",
        LaneKind::Client => "#bf3989",
    }
}

const INK: &str = "#1b1f24";
const INK_SOFT: &str = "#57606a";
const FONT: &str = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";
/// A halo of paper colour behind labels, where they cross a lifeline.
const HALO: &str =
    "stroke=\"#ffffff\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\"";
const MONO: &str = "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\"";

/// XML text and attribute escaping.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The whole diagram at `scale`/`zoom` of `view` as one SVG document.
pub fn svg(timeline: &Timeline, geometry: &Geometry, view: &Viewport) -> String {
    let mut whole = Viewport {
        top: 0.0,
        height: f64::INFINITY,
        ..*view
    };
    whole.height = geometry.header + super::view::content_height(timeline, geometry, &whole);
    let frame = frame(timeline, geometry, &whole);
    render_svg(&frame)
}

fn render_svg(frame: &Drawing) -> String {
    let (w, h) = (frame.width, frame.height);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.1} {h:.1}\" role=\"img\">\n\
<title>Sequence diagram: {} steps</title>\n\
<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n<defs>\n",
        frame.total
    );
    for tone in Tone::all() {
        let _ = writeln!(
            out,
            "<marker id=\"arrow-{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" markerUnits=\"strokeWidth\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{}\"/></marker>",
            tone.class(),
            tone_colour(tone)
        );
    }
    out.push_str("</defs>\n");
    for lane in &frame.lanes {
        let colour = lane_colour(lane.kind);
        let _ = writeln!(
            out,
            "<g><text x=\"{x:.1}\" y=\"22\" text-anchor=\"middle\" {FONT} font-size=\"16\" font-weight=\"bold\" fill=\"{colour}\">{}</text>\
<text x=\"{x:.1}\" y=\"40\" text-anchor=\"middle\" {MONO} font-size=\"12\" fill=\"{INK_SOFT}\">{}</text>\
<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{h:.1}\" stroke=\"{colour}\" stroke-opacity=\"0.45\" stroke-width=\"2\" stroke-dasharray=\"6 5\"/></g>",
            lane.kind.name(),
            xml_escape(&lane.subtitle),
            frame.header - 12.0,
            x = lane.x,
        );
    }
    for row in &frame.rows {
        let colour = tone_colour(row.tone);
        let _ = write!(
            out,
            "<g><title>{}</title><text x=\"4\" y=\"{:.1}\" {MONO} font-size=\"11\" fill=\"{INK_SOFT}\">{}</text>",
            xml_escape(&row.title),
            row.y + 4.0,
            xml_escape(&row.time)
        );
        if row.is_mark() {
            // SVG's default anchor is `start`.
            let anchor = match row.label_anchor {
                Anchor::Start => String::new(),
                other => format!(" text-anchor=\"{}\"", other.svg()),
            };
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{colour}\"/>\
<text x=\"{:.1}\" y=\"{:.1}\"{anchor} {FONT} {HALO} font-size=\"13\" fill=\"{colour}\">{}</text>",
                row.x1,
                row.y,
                row.label_x,
                row.y + 4.0,
                xml_escape(&row.label)
            );
        } else {
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" stroke-width=\"2\" marker-end=\"url(#arrow-{})\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\" {FONT} {HALO} font-size=\"13\" fill=\"{colour}\">{}</text>",
                row.x1,
                row.x2,
                row.tone.class(),
                row.label_x,
                row.y - 7.0,
                row.label_anchor.svg(),
                xml_escape(&row.label),
                y = row.y,
            );
        }
        out.push_str("</g>\n");
    }
    for more in &frame.more {
        let colour = if more.has_error {
            tone_colour(Tone::Error)
        } else {
            INK_SOFT
        };
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" {FONT} font-size=\"12\" font-style=\"italic\" fill=\"{colour}\">⋯ {}</text>",
            frame.width / 2.0,
            more.y + 4.0,
            more.label()
        );
    }
    for mark in &frame.breaks {
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"{:.1}\" width=\"{:.1}\" height=\"18\" fill=\"#ffffff\" stroke=\"{INK_SOFT}\" stroke-dasharray=\"6 4\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" {FONT} font-size=\"12\" font-style=\"italic\" fill=\"{INK_SOFT}\">⋯ {} ⋯</text>",
            mark.y - 9.0,
            frame.width,
            frame.width / 2.0,
            mark.y + 4.0,
            xml_escape(&mark.label)
        );
    }
    for tick in &frame.ticks {
        let _ = writeln!(
            out,
            "<text x=\"4\" y=\"{:.1}\" {MONO} font-size=\"11\" fill=\"{INK}\">{}</text>",
            tick.y,
            xml_escape(&tick.label)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Text for a Mermaid message, note or participant alias: Mermaid ends a
/// statement at `;` or a newline and reads `#…;` as an entity, and its
/// renderer treats `<`/`>` as markup, so those become numeric entities
/// (`#59;`), which Mermaid turns back into the characters when it draws.
pub fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        // A message needs some text after its colon to be read as one.
        " ".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The diagram as Mermaid `sequenceDiagram` text: participants `L0`, `L1`…
/// named after the lanes, one message or note per step. Replies and
/// anything toward the browser are dashed; failures end in a cross.
///
/// Checked against Mermaid itself: the browser tests (`e2e/tests/diagram.rs`)
/// hand the export of a real session, and one with idle notes and `;`/`#`
/// in a message, to Mermaid's own `mermaid.parse` in Chromium. The rules
/// relied on (one statement per line, `;` and `#` as entities, `:` allowed
/// in aliases and message text) are tested in `tests.rs`.
pub fn mermaid(timeline: &Timeline) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for (i, lane) in timeline.lanes.iter().enumerate() {
        let _ = writeln!(
            out,
            "    participant L{i} as {}",
            mermaid_text(&lane.full_name())
        );
    }
    let last_lane = timeline.lanes.len().saturating_sub(1);
    let mut breaks = timeline.breaks.iter().peekable();
    for (index, item) in timeline.items.iter().enumerate() {
        if let Some(idle) = breaks.next_if(|b| b.before_item == index) {
            let _ = writeln!(
                out,
                "    Note over L0,L{last_lane}: {}",
                mermaid_text(&idle.label())
            );
        }
        let text = match item.t_us {
            Some(t_us) => format!("{} @{}", item.label, format_micros(t_us)),
            None => item.label.clone(),
        };
        if item.is_mark() {
            let _ = writeln!(out, "    Note over L{}: {}", item.from, mermaid_text(&text));
            continue;
        }
        let back = item.to < item.from;
        let arrow = match (item.tone == Tone::Error, back) {
            (true, true) => "--x",
            (true, false) => "-x",
            (false, true) => "-->>",
            (false, false) => "->>",
        };
        let _ = writeln!(
            out,
            "    L{}{arrow}L{}: {}",
            item.from,
            item.to,
            mermaid_text(&text)
        );
    }
    out
}
