//! Timeouts and retries: a simulator with sliders beside the real runs of
//! the trace, all on one time axis.
//!
//! The simulated run is `shared::retry::simulate` of the sliders, computed
//! on every change; the real runs are `shared::retry::runs_from_trace`; the
//! drawing is `shared::retry::layout` of both. "Run for real" sends the
//! same policy (same seed, so the same waits, and the same attempt timeout)
//! to the relay against the HTTP lab's `/flaky`, made to fail as the
//! simulation failed: a 500 where it drew a failing status, a slow answer
//! where it drew a timeout.

use std::rc::Rc;

use roundtrip_shared::diagram::Tone;
use roundtrip_shared::protocol::{ClientMsg, HttpRequest, OpId, Service};
use roundtrip_shared::retry::FlakyPlan;
use roundtrip_shared::retry::policy::RELAY_LIMITS;
use roundtrip_shared::retry::timeline::{RunBarKind, RunChart, describe};
use roundtrip_shared::retry::{
    Jitter, Latency, RetryPolicy, Run, Scenario, layout, runs_from_trace, simulate,
};
use roundtrip_shared::trace::Trace;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Real runs drawn at most (the newest).
const MAX_REAL_RUNS: usize = 3;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
    /// Lab services from the welcome: the real run goes to `http-lab`.
    pub services: Vec<Service>,
    /// The id the next request takes.
    pub next_op: OpId,
    pub can_request: bool,
    pub on_request: Callback<ClientMsg>,
}

/// The sliders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knobs {
    /// Percent, 0–100.
    pub failure_pct: u32,
    pub timeout_ms: u64,
    pub base_ms: u64,
    /// The multiplier in tenths (a range input steps in whole numbers).
    pub multiplier_tenths: u32,
    pub cap_ms: u64,
    pub max_attempts: u32,
    pub jitter: Jitter,
    pub seed: u32,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            failure_pct: 60,
            timeout_ms: 400,
            base_ms: 200,
            multiplier_tenths: 20,
            cap_ms: 5_000,
            max_attempts: 4,
            jitter: Jitter::Full,
            // Fails twice (a timeout, a 500), then succeeds: a run with
            // something to look at.
            seed: 9,
        }
    }
}

impl Knobs {
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            attempt_timeout_ms: Some(self.timeout_ms),
            base_ms: self.base_ms,
            multiplier: f64::from(self.multiplier_tenths) / 10.0,
            cap_ms: self.cap_ms,
            jitter: self.jitter,
            seed: Some(self.seed),
            ..RetryPolicy::default()
        }
    }

    pub fn scenario(&self) -> Scenario {
        Scenario {
            failure_rate: f64::from(self.failure_pct) / 100.0,
            // 500 carries no Retry-After, so the real run's waits are the
            // seed's schedule, as simulated.
            failure_status: 500,
            retry_after_ms: None,
            latency: Latency {
                min_ms: 20,
                mean_ms: 150,
            },
            seed: self.seed,
        }
    }
}

/// The `/flaky` path and query that replays `run` for real under `knobs`
/// (see [`FlakyPlan::replaying`]).
pub fn flaky_path(run: &Run, knobs: &Knobs, key: &str) -> String {
    let plan = FlakyPlan::replaying(run, knobs.timeout_ms, key);
    format!("/flaky?{}", plan.to_query())
}

/// The simulated run and the newest real ones, on one axis.
pub fn runs(knobs: &Knobs, trace: &Trace) -> Vec<Run> {
    let mut runs = vec![simulate(&knobs.policy(), &knobs.scenario())];
    let real = runs_from_trace(trace);
    let skip = real.len().saturating_sub(MAX_REAL_RUNS);
    runs.extend(real.into_iter().skip(skip).map(|mut run| {
        run.label = format!("real, {}", run.label);
        run
    }));
    runs
}

#[function_component(RetryView)]
pub fn retry_view(props: &Props) -> Html {
    let knobs = use_state(Knobs::default);
    let runs = runs(&knobs, &props.trace);
    let timeline = layout(&runs);

    let slider = |id: &'static str,
                  label: &'static str,
                  min: u64,
                  max: u64,
                  step: u64,
                  value: u64,
                  shown: String,
                  set: fn(&mut Knobs, u64)| {
        let knobs = knobs.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(value) = input.value().parse::<u64>() {
                let mut next = *knobs;
                set(&mut next, value);
                knobs.set(next);
            }
        });
        html! {
            <label class="retry-knob" for={id}>
                <span class="retry-knob-name">{label}</span>
                <input {id} type="range" min={min.to_string()} max={max.to_string()}
                    step={step.to_string()} value={value.to_string()} {oninput} />
                <output for={id}>{shown}</output>
            </label>
        }
    };
    let on_jitter = {
        let knobs = knobs.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let mut next = *knobs;
            next.jitter = match select.value().as_str() {
                "none" => Jitter::None,
                "equal" => Jitter::Equal,
                _ => Jitter::Full,
            };
            knobs.set(next);
        })
    };
    let on_seed = {
        let knobs = knobs.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(seed) = input.value().trim().parse::<u32>() {
                let mut next = *knobs;
                next.seed = seed;
                knobs.set(next);
            }
        })
    };
    let lab = props
        .services
        .iter()
        .find(|s| s.name == "http-lab")
        .cloned();
    let on_run = {
        let on_request = props.on_request.clone();
        let op = props.next_op;
        let knobs = *knobs;
        let simulated = runs[0].clone();
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(lab) = &lab else { return };
            // A key of its own, so earlier runs' counts do not carry over.
            let key = format!("page-{op}-{}", js_sys::Date::now() as u64);
            on_request.emit(ClientMsg::HttpRequest(HttpRequest {
                retry: Some(knobs.policy()),
                ..HttpRequest::get(
                    op,
                    format!(
                        "http://{}{}",
                        lab.addr,
                        flaky_path(&simulated, &knobs, &key)
                    ),
                )
            }));
        })
    };

    let k = *knobs;
    // The sliders reach past what the relay runs (10 attempts of 10 s
    // waits); the simulation still draws it, the real run says why not.
    let refused = k.policy().check(&RELAY_LIMITS).err();
    html! {
        <section class="panel retry" aria-labelledby="retry-heading">
            <h2 id="retry-heading">{"Timeouts and retries"}</h2>
            <p class="retry-lede">{"Exponential backoff with jitter: move a slider and the simulated run is drawn again. \"Run for real\" asks the relay to run the same policy (same seed, same waits, same attempt timeout) against the HTTP lab's /flaky, which fails where the simulation failed: a 500 for a failure, a slow answer for a timeout."}</p>
            <div class="retry-knobs">
                { slider("retry-failure", "failure rate", 0, 100, 5, u64::from(k.failure_pct),
                    format!("{} %", k.failure_pct), |k, v| k.failure_pct = v as u32) }
                { slider("retry-timeout", "attempt timeout", 50, 2_000, 50, k.timeout_ms,
                    format!("{} ms", k.timeout_ms), |k, v| k.timeout_ms = v) }
                { slider("retry-base", "base delay", 10, 1_000, 10, k.base_ms,
                    format!("{} ms", k.base_ms), |k, v| k.base_ms = v) }
                { slider("retry-multiplier", "multiplier", 10, 40, 5, u64::from(k.multiplier_tenths),
                    format!("× {:.1}", f64::from(k.multiplier_tenths) / 10.0),
                    |k, v| k.multiplier_tenths = v as u32) }
                { slider("retry-cap", "cap", 100, 10_000, 100, k.cap_ms,
                    format!("{} ms", k.cap_ms), |k, v| k.cap_ms = v) }
                { slider("retry-attempts", "max attempts", 1, 10, 1, u64::from(k.max_attempts),
                    k.max_attempts.to_string(), |k, v| k.max_attempts = v as u32) }
                <label class="retry-knob" for="retry-jitter">
                    <span class="retry-knob-name">{"jitter"}</span>
                    <select id="retry-jitter" onchange={on_jitter}>
                        { for [Jitter::None, Jitter::Full, Jitter::Equal].into_iter().map(|j| html! {
                            <option value={j.as_str()} selected={j == k.jitter}>{j.as_str()}</option>
                        }) }
                    </select>
                </label>
                <label class="retry-knob" for="retry-seed">
                    <span class="retry-knob-name">{"seed"}</span>
                    <input id="retry-seed" type="number" min="0" value={k.seed.to_string()}
                        oninput={on_seed} />
                </label>
            </div>
            <div class="buttons">
                <button id="retry-run" class="primary"
                    disabled={!props.can_request || lab.is_none() || refused.is_some()}
                    aria-describedby={refused.is_some().then_some("retry-refused")}
                    onclick={on_run}>{"Run for real against /flaky"}</button>
            </div>
            if let Some(why) = refused {
                <p id="retry-refused" class="error-message">
                    {format!("The relay would not run this policy: {why}.")}
                </p>
            }
            { timeline_svg(&timeline) }
            <ol id="retry-runs" class="retry-runs">
                { for runs.iter().zip(&timeline.rows).map(|(run, row)| html! {
                    <li class={classes!("retry-run", format!("retry-{}", row.state))} data-state={row.state}>
                        <strong>{run.label.clone()}</strong>{": "}
                        <span class="retry-summary">{row.summary.clone()}</span>
                        <pre class="retry-steps">{describe(run)}</pre>
                    </li>
                }) }
            </ol>
        </section>
    }
}

fn tone_class(tone: Tone) -> &'static str {
    tone.class()
}

fn timeline_svg(timeline: &RunChart) -> Html {
    let view_box = format!("0 0 {} {}", timeline.width, timeline.height);
    html! {
        <svg id="retry-timeline" class="retry-timeline" viewBox={view_box} role="img"
            aria-label="Attempts and waits of each run on one time axis">
            { for timeline.rows.iter().map(|row| html! {
                <g class={classes!("retry-row", format!("retry-{}", row.state))}>
                    <text class="retry-row-label" x={timeline.x0.to_string()} y={row.label_y.to_string()}>
                        <title>{format!("{} — {}", row.label, row.summary)}</title>
                        {row.heading.clone()}
                    </text>
                    { for row.bars.iter().map(|bar| {
                        let kind = match bar.kind {
                            RunBarKind::Attempt => "retry-attempt",
                            RunBarKind::Wait => "retry-wait",
                        };
                        html! {
                            <g class={classes!(kind, tone_class(bar.tone))}>
                                <rect x={bar.x.to_string()} y={bar.y.to_string()}
                                    width={bar.width.to_string()} height={bar.height.to_string()} rx="3">
                                    <title>{bar.title.clone()}</title>
                                </rect>
                                if let Some(label) = &bar.label {
                                    <text x={(bar.x + 4.0).to_string()}
                                        y={(bar.y + bar.height / 2.0 + 4.0).to_string()}>{label.clone()}</text>
                                }
                            </g>
                        }
                    }) }
                    if let Some(end) = &row.end {
                        <g class={classes!("retry-end", tone_class(end.tone))}>
                            <line x1={end.x.to_string()} x2={end.x.to_string()}
                                y1={end.y1.to_string()} y2={end.y2.to_string()} />
                            <text x={(end.x + 5.0).to_string()}
                                y={((end.y1 + end.y2) / 2.0 + 4.0).to_string()}>{end.label.clone()}</text>
                        </g>
                    }
                </g>
            }) }
            <g class="retry-axis">
                <line x1={timeline.x0.to_string()} x2={timeline.x1.to_string()}
                    y1={timeline.axis_y.to_string()} y2={timeline.axis_y.to_string()} />
                { for timeline.ticks.iter().map(|tick| html! {
                    <g>
                        <line x1={tick.x.to_string()} x2={tick.x.to_string()}
                            y1={timeline.axis_y.to_string()} y2={(timeline.axis_y + 4.0).to_string()} />
                        <text x={tick.x.to_string()} y={(timeline.axis_y + 16.0).to_string()}>{tick.label.clone()}</text>
                    </g>
                }) }
            </g>
        </svg>
    }
}
