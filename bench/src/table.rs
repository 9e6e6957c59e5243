//! Figures into one table: median and min–max over the trials, ratios to
//! direct TCP and to websocat, and the targets of the relay, met or missed.

use crate::Way;
use crate::conn::Kind;
use crate::modes::{self, Held, Measured};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Bulk,
    Small,
    P50,
    P99,
    IdleMemory,
    Open,
}

impl Metric {
    const ALL: [Metric; 6] = [
        Metric::Bulk,
        Metric::Small,
        Metric::P50,
        Metric::P99,
        Metric::IdleMemory,
        Metric::Open,
    ];

    fn title(self) -> String {
        match self {
            Metric::Bulk => format!(
                "bulk, one stream of {} KiB messages, MB/s",
                modes::BULK_MESSAGE / 1024
            ),
            Metric::Small => format!(
                "small, {} connections × {} B ping-pong, msg/s",
                modes::SMALL_CONNECTIONS,
                modes::SMALL_MESSAGE
            ),
            Metric::P50 => format!("latency, {} B ping-pong, p50 µs", modes::LATENCY_MESSAGE),
            Metric::P99 => format!("latency, {} B ping-pong, p99 µs", modes::LATENCY_MESSAGE),
            Metric::IdleMemory => format!(
                "memory per idle session (PSS over {}), KiB",
                modes::IDLE_SESSIONS
            ),
            Metric::Open => format!(
                "opening {} sessions one after another, s",
                modes::SEQUENTIAL_SESSIONS
            ),
        }
    }

    fn index(self) -> usize {
        Metric::ALL.iter().position(|&m| m == self).expect("in ALL")
    }
}

/// Everything measured, by metric and way.
#[derive(Debug)]
pub struct Results {
    figures: Vec<Vec<Vec<Measured>>>,
    extrapolated: Vec<Vec<bool>>,
    held: Vec<Option<Held>>,
}

impl Results {
    pub fn new(ways: usize) -> Self {
        Results {
            figures: vec![vec![Vec::new(); ways]; Metric::ALL.len()],
            extrapolated: vec![vec![false; ways]; Metric::ALL.len()],
            held: (0..ways).map(|_| None).collect(),
        }
    }

    pub fn add(&mut self, metric: Metric, way: usize, m: Measured) {
        self.figures[metric.index()][way].push(m);
    }

    pub fn extrapolated(&mut self, metric: Metric, way: usize) {
        self.extrapolated[metric.index()][way] = true;
    }

    pub fn held(&mut self, way: usize, held: Held) {
        self.held[way] = Some(held);
    }

    fn median(&self, metric: Metric, way: usize) -> Option<f64> {
        let mut values: Vec<f64> = self.figures[metric.index()][way]
            .iter()
            .map(|m| m.value)
            .collect();
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(values[values.len() / 2])
    }
}

/// A figure with thousands separators and sensible decimals.
fn number(x: f64) -> String {
    let decimals = if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{x:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    }
}

/// The relay's target for the relay in this metric, as text, and whether
/// `value` meets it (`None` when there is nothing to compare with).
fn target(
    metric: Metric,
    value: f64,
    direct: Option<f64>,
    websocat: Option<f64>,
) -> (String, Option<bool>) {
    match metric {
        Metric::Bulk => ("≥ 0.45× direct".into(), direct.map(|d| value >= 0.45 * d)),
        Metric::Small => ("≥ 2× websocat".into(), websocat.map(|w| value >= 2.0 * w)),
        Metric::P99 => (
            "≤ websocat + 10 µs".into(),
            websocat.map(|w| value <= w + 10.0),
        ),
        Metric::IdleMemory => ("≤ 16 KiB".into(), Some(value <= 16.0)),
        Metric::Open => ("< 2 s".into(), Some(value < 2.0)),
        Metric::P50 => (String::new(), None),
    }
}

pub fn print(ways: &[Way], results: &Results, limit: Option<u64>) {
    let find = |kind: Kind| ways.iter().position(|w| w.kind == kind);
    let (direct, websocat) = (find(Kind::Direct), find(Kind::Websocat));
    let mut saturated = false;
    println!();
    println!("| mode | way | median | min–max | × direct | × websocat | target |");
    println!("|---|---|---:|---:|---:|---:|---|");
    for metric in Metric::ALL {
        let ratio = |way: usize, base: Option<usize>| -> String {
            match (
                results.median(metric, way),
                base.and_then(|b| results.median(metric, b)),
            ) {
                (Some(v), Some(b)) if b > 0.0 && Some(way) != base => format!("{:.2}×", v / b),
                _ => String::new(),
            }
        };
        for (i, way) in ways.iter().enumerate() {
            let figures = &results.figures[metric.index()][i];
            let Some(median) = results.median(metric, i) else {
                continue;
            };
            let min = figures
                .iter()
                .map(|m| m.value)
                .fold(f64::INFINITY, f64::min);
            let max = figures.iter().map(|m| m.value).fold(0.0, f64::max);
            let full = figures.iter().any(|m| m.busy >= 0.9);
            saturated |= full;
            let mut shown = number(median);
            if results.extrapolated[metric.index()][i] {
                shown = format!("~{shown} (extrapolated from 10 s)");
            }
            if full {
                shown.push_str(" ‡");
            }
            let verdict = if way.kind == Kind::Roundtrip {
                let (text, met) = target(
                    metric,
                    median,
                    direct.and_then(|d| results.median(metric, d)),
                    websocat.and_then(|w| results.median(metric, w)),
                );
                match met {
                    Some(true) => format!("met ({text})"),
                    Some(false) => format!("**MISSED** ({text})"),
                    None => text,
                }
            } else {
                String::new()
            };
            println!(
                "| {} | {} | {} | {}–{} | {} | {} | {} |",
                metric.title(),
                way.label,
                shown,
                number(min),
                number(max),
                ratio(i, direct),
                ratio(i, websocat),
                verdict
            );
        }
    }
    for (i, way) in ways.iter().enumerate() {
        let Some(held) = &results.held[i] else {
            continue;
        };
        let verdict = if way.kind == Kind::Roundtrip {
            if held.held >= held.asked {
                "met (up to the descriptor limit)".to_owned()
            } else {
                "**MISSED** (up to the descriptor limit)".to_owned()
            }
        } else {
            String::new()
        };
        println!(
            "| sessions held, each with an upstream connection (limit {} descriptors, 2 a session) | {} | {} of {} | 1 run{} | | | {} |",
            limit.map_or("?".into(), |l| number(l as f64)),
            way.label,
            number(held.held as f64),
            number(held.asked as f64),
            held.stopped
                .as_ref()
                .map_or(String::new(), |why| format!(": stopped, {why}")),
            verdict
        );
    }
    if saturated {
        println!(
            "\n‡ the load generator's CPU was full during at least one trial: \
             that figure may be the generator's limit rather than the bridge's."
        );
    }
}
