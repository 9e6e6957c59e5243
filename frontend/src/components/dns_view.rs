//! A DNS lookup of the trace, drawn: the question, the server(s) asked as a
//! ladder (root → TLD → authoritative in trace mode, each referral named),
//! the answer as a dig-style table with each TTL counting down from when
//! the answer arrived, and CNAME chains as chains.
//!
//! The layout is `shared::dns_ladder`'s; the component keeps only the
//! lookup picked, when each answer arrived (browser clock, for the
//! countdown only) and a one-second tick.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use roundtrip_shared::diagram::format_micros;
use roundtrip_shared::dns;
use roundtrip_shared::dns_ladder::{self, Ladder, Rung, Said};
use roundtrip_shared::explain;
use roundtrip_shared::protocol::{DnsMode, OpId};
use roundtrip_shared::trace::Trace;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::explainer::Explainer;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
}

/// Milliseconds on the browser's clock.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[function_component(DnsView)]
pub fn dns_view(props: &Props) -> Html {
    // `None`: follow the newest lookup.
    let picked = use_state(|| None::<OpId>);
    // When the page first saw each lookup's answer.
    let arrived: Rc<RefCell<HashMap<OpId, f64>>> = use_mut_ref(HashMap::new);
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let tick = Interval::new(1_000, move || now.set(now_ms()));
            move || drop(tick)
        });
    }

    let questions = dns_ladder::questions(&props.trace);
    let on_pick = {
        let picked = picked.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            picked.set(value.parse().ok());
        })
    };
    let question = picked
        .and_then(|op| questions.iter().find(|q| q.op == op))
        .or(questions.last());
    let Some(question) = question else {
        return html! {
            <section class="panel dns-view" aria-labelledby="dns-view-heading">
                <h2 id="dns-view-heading">{"DNS lookup"}</h2>
                <p id="dns-view-empty" class="view-empty">{"No DNS lookups yet: ask one in the DNS panel."}</p>
            </section>
        };
    };
    let ladder = dns_ladder::ladder(&props.trace, question.op, question.mode);
    let elapsed_ms = if ladder.answered_us.is_some() {
        let first_seen = *arrived
            .borrow_mut()
            .entry(question.op)
            .or_insert_with(now_ms);
        (*now - first_seen).max(0.0) as u64
    } else {
        0
    };
    let mode = match question.mode {
        DnsMode::Stub => "stub",
        DnsMode::Trace => "trace",
    };

    html! {
        <section class="panel dns-view" aria-labelledby="dns-view-heading">
            <h2 id="dns-view-heading">{"DNS lookup"}</h2>
            if questions.len() > 1 {
                <div class="field-row">
                    <label for="dns-view-pick">{"Lookup"}</label>
                    <select id="dns-view-pick" onchange={on_pick}>
                        { for questions.iter().map(|q| html! {
                            <option value={q.op.to_string()} selected={q.op == question.op}>
                                {dns::request_label(&q.name, q.rtype, q.mode)}
                            </option>
                        }) }
                    </select>
                </div>
            }
            <p id="dns-view-question" class="dns-question">
                {"Question: "}<code>{format!("{} {}", question.name, question.rtype.as_str())}</code>
                <span class="dns-mode">{format!(" · {mode}")}</span>
            </p>
            { rungs(&ladder) }
            if let Some(error) = &ladder.error {
                <div id="dns-view-error" class="error-message">
                    {error.message.clone()}
                    <Explainer explanation={explain::relay_error(error)} />
                </div>
            }
            { answers(&ladder, elapsed_ms) }
            { chains(&ladder) }
        </section>
    }
}

fn rungs(ladder: &Ladder) -> Html {
    html! {
        <ol id="dns-ladder" class="dns-ladder">
            { for ladder.rungs.iter().map(rung) }
        </ol>
    }
}

fn zone_name(zone: &str) -> String {
    match zone {
        "." => "root (.)".to_owned(),
        "resolver" => "resolver".to_owned(),
        zone => zone.to_owned(),
    }
}

fn rung(rung: &Rung) -> Html {
    let (class, said) = match &rung.said {
        Said::Nothing => ("said-nothing", "no response".to_owned()),
        Said::Referral {
            zone,
            servers,
            addrs,
        } => (
            "said-referral",
            format!(
                "referral: ask {} for {zone} ({})",
                servers.join(", "),
                if addrs.is_empty() {
                    "no glue: address not given".to_owned()
                } else {
                    addrs.join(", ")
                }
            ),
        ),
        Said::Answer(records) => (
            "said-answer",
            match records.len() {
                1 => "answer: 1 record".to_owned(),
                n => format!("answer: {n} records"),
            },
        ),
        Said::Empty { .. } => (
            "said-empty",
            rung.rcode
                .as_deref()
                .and_then(roundtrip_shared::dns::empty_meaning)
                .unwrap_or("no records")
                .to_owned(),
        ),
    };
    html! {
        <li class={classes!("rung", class, rung.lookup_of.is_some().then_some("is-lookup"))}>
            <span class="rung-zone">
                {zone_name(&rung.zone)}
                if let Some(ns) = &rung.lookup_of {
                    // A side trip: the referral named a server without glue.
                    <span class="rung-lookup">{format!("address of {ns}")}</span>
                }
            </span>
            <span class="rung-query">
                <span class="rung-server">{rung.server.clone()}</span>
                <span class="rung-asked">{format!(" ? {}", rung.asked)}</span>
            </span>
            <span class="rung-rcode">{rung.rcode.clone().unwrap_or_else(|| "…".to_owned())}</span>
            <span class="rung-time">{rung.elapsed_us.map(format_micros).unwrap_or_default()}</span>
            <span class="rung-said">{said}</span>
        </li>
    }
}

fn answers(ladder: &Ladder, elapsed_ms: u64) -> Html {
    if ladder.answers.is_empty() {
        return html! {};
    }
    html! {
        <table id="dns-view-answers" class="dns-answers">
            <thead>
                <tr><th>{"name"}</th><th>{"TTL"}</th><th>{"left"}</th><th>{"class"}</th><th>{"type"}</th><th>{"data"}</th></tr>
            </thead>
            <tbody>
                { for ladder.answers.iter().map(|record| {
                    let [name, ttl, class, rtype, data] = dns::columns(record);
                    let left = dns_ladder::ttl_left(record.ttl, elapsed_ms);
                    html! {
                        <tr>
                            <td>{name}</td><td class="num">{ttl}</td>
                            <td class={classes!("ttl-left", (left == 0).then_some("is-expired"))}
                                data-left={left.to_string()}>{dns_ladder::ttl_label(left)}</td>
                            <td>{class}</td><td>{rtype}</td><td>{data}</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

fn chains(ladder: &Ladder) -> Html {
    let chains = dns_ladder::chains(&ladder.answers);
    if chains.is_empty() {
        return html! {};
    }
    html! {
        <ul id="dns-view-chains" class="cname-chains" aria-label="CNAME chains">
            { for chains.into_iter().map(|chain| html! {
                <li class="cname-chain">
                    { for chain.names.iter().enumerate().map(|(i, name)| html! {
                        <>
                            if i > 0 {
                                <span class="chain-arrow" title={format!("CNAME, TTL {}", chain.ttls[i - 1])}>{" → "}</span>
                            }
                            <span class="chain-name">{name.clone()}</span>
                        </>
                    }) }
                    { for chain.ends.iter().map(|end| html! {
                        <>
                            <span class="chain-arrow">{" → "}</span>
                            <span class="chain-end">{format!("{} {}", end.rtype, end.data)}</span>
                        </>
                    }) }
                </li>
            }) }
        </ul>
    }
}
