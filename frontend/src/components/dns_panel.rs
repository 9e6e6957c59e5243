//! Asking DNS: a name, a record type, stub or trace, an optional server; the
//! answer of the last query as dig prints it, with its rcode and time.

use std::rc::Rc;

use roundtrip_shared::diagram::format_micros;
use roundtrip_shared::dns::{self, Outcome};
use roundtrip_shared::protocol::{ClientMsg, DnsMode, DnsType, OpId};
use roundtrip_shared::share::Experiment;
use roundtrip_shared::trace::Trace;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// The id the next operation of the page gets.
    pub next_op: OpId,
    /// Whether the relay can take requests.
    pub can_query: bool,
    /// The page's trace, where the answers arrive.
    pub trace: Rc<Trace>,
    /// Gets the `dns_query` to send.
    pub on_query: Callback<ClientMsg>,
    /// Settings from an experiment link, used when the panel first shows.
    #[prop_or_default]
    pub preset: Option<Experiment>,
}

#[function_component(DnsPanel)]
pub fn dns_panel(props: &Props) -> Html {
    let preset = match &props.preset {
        Some(Experiment::Dns { name, rtype, mode }) => Some((name.clone(), *rtype, *mode)),
        _ => None,
    };
    let name = use_state(|| {
        preset
            .as_ref()
            .map_or_else(|| "www.lab.test".to_owned(), |p| p.0.clone())
    });
    let rtype = use_state(|| preset.as_ref().map_or(DnsType::A, |p| p.1));
    let mode = use_state(|| preset.as_ref().map_or(DnsMode::Stub, |p| p.2));
    let server = use_state(String::new);
    // The operation of the last query this panel sent.
    let last_op = use_state(|| None::<OpId>);
    // The name and server of the last query, for what the lab can answer.
    let asked = use_state(|| None::<(String, String)>);

    let outcome = last_op
        .map(|op| dns::outcome(props.trace.events_of(op)))
        .unwrap_or_default();
    let running = last_op.is_some() && !outcome.done;

    let query = {
        let (name, rtype, mode, server) =
            (name.clone(), rtype.clone(), mode.clone(), server.clone());
        let last_op = last_op.clone();
        let asked = asked.clone();
        let on_query = props.on_query.clone();
        // A query that never ends (the relay link was lost) must not block
        // the next one: every query has an op of its own.
        let (op, can_query) = (props.next_op, props.can_query);
        move || {
            if !can_query {
                return;
            }
            let server = server.trim();
            last_op.set(Some(op));
            asked.set(Some((name.trim().to_owned(), server.to_owned())));
            on_query.emit(ClientMsg::DnsQuery {
                op,
                name: name.trim().to_owned(),
                rtype: *rtype,
                mode: *mode,
                server: (!server.is_empty()).then(|| server.to_owned()),
                timeout_ms: None,
            });
        }
    };
    let on_query_click = {
        let query = query.clone();
        Callback::from(move |_: MouseEvent| query())
    };
    let on_name_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
            query();
        }
    });
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| {
            name.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_server = {
        let server = server.clone();
        Callback::from(move |e: InputEvent| {
            server.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_type = {
        let rtype = rtype.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(parsed) = DnsType::parse(&value) {
                rtype.set(parsed);
            }
        })
    };
    let on_mode = {
        let mode = mode.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            mode.set(if value == "trace" {
                DnsMode::Trace
            } else {
                DnsMode::Stub
            });
        })
    };

    html! {
        <section class="panel dns" aria-labelledby="dns-heading">
            <h2 id="dns-heading">{"DNS"}</h2>
            <div class="field-row">
                <label for="dns-name">{"Name"}</label>
                <input id="dns-name" type="text" value={(*name).clone()}
                    placeholder="echo.lab.test or 127.0.0.1 for PTR"
                    autocomplete="off" spellcheck="false"
                    oninput={on_name} onkeydown={on_name_key} />
            </div>
            <div class="field-row">
                <label for="dns-type">{"Type"}</label>
                <select id="dns-type" onchange={on_type}>
                    { for DnsType::all().map(|t| html! {
                        <option value={t.as_str()} selected={t == *rtype}>{t.as_str()}</option>
                    }) }
                </select>
            </div>
            <div class="field-row">
                <label for="dns-mode">{"Mode"}</label>
                <select id="dns-mode" onchange={on_mode}>
                    <option value="stub" selected={*mode == DnsMode::Stub}>{"stub: ask one server"}</option>
                    <option value="trace" selected={*mode == DnsMode::Trace}>{"trace: from the root"}</option>
                </select>
            </div>
            <div class="field-row">
                <label for="dns-server">{"Server"}</label>
                <input id="dns-server" type="text" value={(*server).clone()}
                    placeholder="the DNS lab (or ip:port)"
                    autocomplete="off" spellcheck="false" oninput={on_server} />
            </div>
            <div class="buttons">
                <button id="dns-query" class="primary" disabled={!props.can_query}
                    onclick={on_query_click}>{"Query"}</button>
            </div>
            { summary(&outcome, running) }
            if let Some(meaning) = dns::outcome_meaning(&outcome) {
                <p id="dns-meaning" class="dns-meaning">{meaning}</p>
            }
            if let Some(note) = asked.as_ref().filter(|_| outcome.done).and_then(|(name, server)| {
                dns::lab_scope_note(name, Some(server.as_str()))
            }) {
                <p id="dns-lab-scope" class="dns-meaning">{note}</p>
            }
            <table id="dns-answers" class="dns-answers">
                <thead>
                    <tr><th>{"name"}</th><th>{"TTL"}</th><th>{"class"}</th><th>{"type"}</th><th>{"data"}</th></tr>
                </thead>
                <tbody>
                    { for outcome.answers.iter().map(|record| {
                        let [name, ttl, class, rtype, data] = dns::columns(record);
                        html! {
                            <tr><td>{name}</td><td>{ttl}</td><td>{class}</td><td>{rtype}</td><td>{data}</td></tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// The rcode line: `NOERROR` in `1.204 ms` from the server, or the error.
fn summary(outcome: &Outcome, running: bool) -> Html {
    let rcode = outcome.rcode.clone().unwrap_or_default();
    let elapsed = outcome.elapsed_us.map(format_micros).unwrap_or_default();
    let server = outcome.server.clone().unwrap_or_default();
    html! {
        <p class="dns-summary" aria-live="polite">
            if running {
                <span class="dns-running">{"asking…"}</span>
            }
            <span id="dns-rcode">{rcode}</span>
            if outcome.elapsed_us.is_some() {
                {" in "}<span id="dns-elapsed">{elapsed}</span>{" from "}<span id="dns-server-used">{server}</span>
                {format!(" ({} {})", outcome.queries, if outcome.queries == 1 { "query" } else { "queries" })}
            }
            if let Some(error) = &outcome.error {
                <span id="dns-error" class="error-message">{error.clone()}</span>
            }
        </p>
    }
}
