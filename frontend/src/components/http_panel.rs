//! Making an HTTP request through the relay and reading the answer: status
//! line, headers, body (pretty when JSON) and the phase timings.
//!
//! The panel keeps only its form and the id of its last request; what it
//! shows of the answer is derived from the trace by
//! `roundtrip_shared::http_view::HttpView::of`; this file only renders it. With
//! "Retry" on, the request carries a retry policy and the answer shown is
//! the last attempt's (the Retries section draws every attempt).

use std::rc::Rc;

use roundtrip_shared::diagram::format_micros;
use roundtrip_shared::explain;
use roundtrip_shared::http_view::{HttpView, SNI_NOTE, cert_lines};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, FaultTransport, HttpRequest, HttpTimeouts, OpId, Service,
};
use roundtrip_shared::retry::Jitter;
use roundtrip_shared::retry::policy::RELAY_LIMITS;
use roundtrip_shared::share::Experiment;
use roundtrip_shared::trace::Trace;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::explainer::Explainer;
use super::faults::FaultsForm;
pub use roundtrip_shared::forms::http::{DEFAULT_URL, RetryForm, parse_headers};

pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// Lab services from the welcome. (The URL defaults to
    /// [`DEFAULT_URL`], the lab by name, whatever port it got.)
    pub services: Vec<Service>,
    pub trace: Rc<Trace>,
    /// The id the next request takes.
    pub next_op: OpId,
    /// The relay is ready for requests.
    pub can_request: bool,
    pub on_request: Callback<ClientMsg>,
    /// Settings from an experiment link, used when the panel first shows.
    #[prop_or_default]
    pub preset: Option<Experiment>,
}

fn millis(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

#[function_component(HttpPanel)]
pub fn http_panel(props: &Props) -> Html {
    let preset = match &props.preset {
        Some(Experiment::Http {
            method,
            url,
            headers,
            body,
            retry,
            ..
        }) => Some((
            method.clone(),
            url.clone(),
            headers.clone(),
            body.clone(),
            retry.clone(),
        )),
        _ => None,
    };
    // The settings a link carries beside the request itself.
    let (preset_json, preset_raw, preset_redirects, preset_timeouts, preset_faults) =
        match &props.preset {
            Some(Experiment::Http {
                json,
                raw,
                follow_redirects,
                timeouts,
                faults,
                ..
            }) => (
                *json,
                *raw,
                *follow_redirects,
                timeouts.unwrap_or_default(),
                *faults,
            ),
            _ => (false, false, 0, HttpTimeouts::default(), None),
        };
    let method = use_state(|| preset.as_ref().map_or("GET".to_owned(), |p| p.0.clone()));
    // `None` until the learner types, so the default follows the welcome.
    let url = use_state(|| preset.as_ref().map(|p| p.1.clone()));
    let headers = use_state(|| preset.as_ref().map(|p| p.2.clone()).unwrap_or_default());
    let body = use_state(|| preset.as_ref().map(|p| p.3.clone()).unwrap_or_default());
    let json = use_state(|| preset_json);
    let raw = use_state(|| preset_raw);
    let redirects = use_state(|| preset_redirects.to_string());
    let timeouts = use_state(|| {
        let t = preset_timeouts;
        [t.connect_ms, t.tls_ms, t.first_byte_ms, t.total_ms]
            .map(|ms| ms.map(|ms| ms.to_string()).unwrap_or_default())
    });
    let problem = use_state(|| None::<String>);
    let last_op = use_state(|| None::<OpId>);
    let preset_retry = preset.as_ref().and_then(|p| p.4.as_ref());
    let retry = use_state(|| preset_retry.is_some());
    let retry_form = use_state(|| preset_retry.map(RetryForm::of).unwrap_or_default());
    let faults = use_state(|| Ok::<_, String>(preset_faults));

    let shown_url = (*url).clone().unwrap_or_else(|| DEFAULT_URL.to_owned());

    let input = |setter: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            setter.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let area = |setter: UseStateHandle<String>| {
        Callback::from(move |e: InputEvent| {
            setter.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let check = |setter: UseStateHandle<bool>| {
        Callback::from(move |e: Event| {
            setter.set(e.target_unchecked_into::<HtmlInputElement>().checked())
        })
    };
    let on_method = {
        let method = method.clone();
        Callback::from(move |e: Event| {
            method.set(e.target_unchecked_into::<HtmlSelectElement>().value())
        })
    };
    let on_url = {
        let url = url.clone();
        Callback::from(move |e: InputEvent| {
            url.set(Some(e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let on_timeout = |index: usize| {
        let timeouts = timeouts.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*timeouts).clone();
            next[index] = e.target_unchecked_into::<HtmlInputElement>().value();
            timeouts.set(next);
        })
    };

    let on_retry_text = |set: fn(&mut RetryForm, String)| {
        let retry_form = retry_form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*retry_form).clone();
            set(
                &mut next,
                e.target_unchecked_into::<HtmlInputElement>().value(),
            );
            retry_form.set(next);
        })
    };
    let on_retry_tick = |set: fn(&mut RetryForm, bool)| {
        let retry_form = retry_form.clone();
        Callback::from(move |e: Event| {
            let mut next = (*retry_form).clone();
            set(
                &mut next,
                e.target_unchecked_into::<HtmlInputElement>().checked(),
            );
            retry_form.set(next);
        })
    };
    let on_retry_jitter = {
        let retry_form = retry_form.clone();
        Callback::from(move |e: Event| {
            let mut next = (*retry_form).clone();
            next.jitter = match e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .as_str()
            {
                "none" => Jitter::None,
                "equal" => Jitter::Equal,
                _ => Jitter::Full,
            };
            retry_form.set(next);
        })
    };

    let on_send = {
        let (retry, retry_form) = (retry.clone(), retry_form.clone());
        let (method, headers, body, json, raw) = (
            method.clone(),
            headers.clone(),
            body.clone(),
            json.clone(),
            raw.clone(),
        );
        let (redirects, timeouts, problem, last_op) = (
            redirects.clone(),
            timeouts.clone(),
            problem.clone(),
            last_op.clone(),
        );
        let shown_url = shown_url.clone();
        let faults = faults.clone();
        let on_request = props.on_request.clone();
        let op = props.next_op;
        let can_request = props.can_request;
        Callback::from(move |_: MouseEvent| {
            if !can_request {
                return;
            }
            let header_pairs = match parse_headers(&headers) {
                Ok(pairs) => pairs,
                Err(message) => return problem.set(Some(message)),
            };
            let Ok(follow_redirects) = redirects.trim().parse::<u8>() else {
                return problem.set(Some(
                    "the redirect limit is a number from 0 to 255".to_owned(),
                ));
            };
            let retry = if *retry {
                match retry_form.policy() {
                    Ok(policy) => Some(policy),
                    Err(message) => return problem.set(Some(message)),
                }
            } else {
                None
            };
            let faults = match &*faults {
                Ok(faults) => *faults,
                Err(message) => return problem.set(Some(message.clone())),
            };
            let t = &*timeouts;
            let limits = HttpTimeouts {
                connect_ms: millis(&t[0]),
                tls_ms: millis(&t[1]),
                first_byte_ms: millis(&t[2]),
                total_ms: millis(&t[3]),
            };
            problem.set(None);
            last_op.set(Some(op));
            on_request.emit(ClientMsg::HttpRequest(HttpRequest {
                op,
                method: (*method).clone(),
                url: shown_url.trim().to_owned(),
                headers: header_pairs,
                body: (!body.is_empty()).then(|| Payload(body.as_bytes().to_vec())),
                json: *json,
                timeouts: (limits != HttpTimeouts::default()).then_some(limits),
                follow_redirects,
                max_body: None,
                raw: *raw,
                retry,
                faults,
            }));
        })
    };

    let view = last_op.map(|op| HttpView::of(&props.trace, op));
    let timeout_fields = [
        ("http-connect-ms", "connect"),
        ("http-tls-ms", "TLS"),
        ("http-first-byte-ms", "first byte"),
        ("http-total-ms", "total"),
    ];

    html! {
        <section class="panel http" aria-labelledby="http-heading">
            <h2 id="http-heading">{"HTTP request"}</h2>
            <div class="field-row">
                <label for="http-method">{"Method"}</label>
                <select id="http-method" onchange={on_method}>
                    { for METHODS.iter().map(|m| html! {
                        <option value={*m} selected={*m == method.as_str()}>{*m}</option>
                    }) }
                </select>
            </div>
            <div class="field-row">
                <label for="http-url">{"URL"}</label>
                <input id="http-url" type="text" value={shown_url} autocomplete="off"
                    spellcheck="false" oninput={on_url} />
            </div>
            <div class="field-row">
                <label for="http-headers">{"Headers"}</label>
                <textarea id="http-headers" rows="2" placeholder="Name: value"
                    value={(*headers).clone()} oninput={area(headers.clone())} />
            </div>
            <div class="field-row">
                <label for="http-body">{"Body"}</label>
                <textarea id="http-body" rows="2" value={(*body).clone()}
                    oninput={area(body.clone())} />
            </div>
            <div class="field-row">
                <label><input id="http-json" type="checkbox" checked={*json}
                    onchange={check(json.clone())} />{" JSON body"}</label>
                <label><input id="http-raw" type="checkbox" checked={*raw}
                    onchange={check(raw.clone())} />{" wire bytes"}</label>
            </div>
            <div class="field-row">
                <label for="http-redirects">{"Follow redirects"}</label>
                <input id="http-redirects" type="number" min="0" max="255"
                    value={(*redirects).clone()} oninput={input(redirects.clone())} />
            </div>
            <div class="field-row">
                { for timeout_fields.iter().enumerate().map(|(i, (id, label))| html! {
                    <label>{format!("{label} ms ")}
                        <input id={*id} type="number" min="1" placeholder="default"
                            value={timeouts[i].clone()} oninput={on_timeout(i)} />
                    </label>
                }) }
            </div>
            <div class="field-row http-retry">
                <label><input id="http-retry" type="checkbox" checked={*retry}
                    onchange={check(retry.clone())} />{" Retry"}</label>
            </div>
            if *retry {
                { retry_fields(&retry_form, RetryCallbacks {
                    text: &on_retry_text,
                    tick: &on_retry_tick,
                    jitter: on_retry_jitter,
                }) }
            }
            <FaultsForm prefix="http" transport={FaultTransport::Tcp} initial={preset_faults}
                on_change={{
                    let faults = faults.clone();
                    Callback::from(move |asked| faults.set(asked))
                }} />
            <div class="buttons">
                <button id="http-send" class="primary" disabled={!props.can_request}
                    onclick={on_send}>{"Send request"}</button>
            </div>
            if let Some(message) = &*problem {
                <p id="http-problem" class="error">{message.clone()}</p>
            }
            if let Some(view) = view {
                <div id="http-response">
                    if let Some(attempt) = &view.attempt {
                        <p id="http-attempt" class="http-attempt">{attempt.clone()}</p>
                    }
                    if let Some(line) = &view.status_line {
                        <p id="http-status"><strong>{line.clone()}</strong></p>
                    }
                    if let Some(explanation) = view.status.and_then(explain::status) {
                        <Explainer {explanation} />
                    }
                    if let Some(error) = &view.error {
                        <p id="http-error" class="error">{error.message.clone()}</p>
                        <Explainer explanation={explain::relay_error(error)} />
                    }
                    <pre id="http-response-headers">{
                        view.headers.iter().map(|(n, v)| format!("{n}: {v}\n")).collect::<String>()
                    }</pre>
                    <pre id="http-response-body">{view.body_text()}</pre>
                    if let Some(t) = view.timings {
                        <dl id="http-timings">
                            { for [("DNS", t.dns_us), ("connect", t.connect_us), ("TLS", t.tls_us),
                                   ("request", t.request_us), ("wait", t.wait_us),
                                   ("download", t.download_us), ("total", t.total_us)]
                                .into_iter().map(|(name, us)| html! {
                                    <>
                                        <dt>{name}</dt>
                                        <dd data-phase={name}>{format_micros(us)}</dd>
                                    </>
                                }) }
                        </dl>
                    }
                    if !view.certs.is_empty() {
                        <details id="http-certs" class="http-certs">
                            <summary>{format!("Certificate chain ({})", view.certs.len())}</summary>
                            <ol>
                                { for view.certs.iter().map(|cert| html! {
                                    <li class="cert">
                                        { for cert_lines(cert).into_iter().map(|line| html! {
                                            <div>{line}</div>
                                        }) }
                                    </li>
                                }) }
                            </ol>
                            <p class="hint">{SNI_NOTE}</p>
                        </details>
                    }
                </div>
            }
        </section>
    }
}

/// What the retry fields call back with.
struct RetryCallbacks<'a> {
    text: &'a dyn Fn(fn(&mut RetryForm, String)) -> Callback<InputEvent>,
    tick: &'a dyn Fn(fn(&mut RetryForm, bool)) -> Callback<Event>,
    jitter: Callback<Event>,
}

/// The retry policy's fields: the backoff (attempts, timeout, base delay,
/// multiplier, cap, jitter, seed) and which endings are retried.
fn retry_fields(form: &RetryForm, on: RetryCallbacks<'_>) -> Html {
    let number = |id: &'static str,
                  label: &'static str,
                  value: &str,
                  placeholder: &'static str,
                  step: &'static str,
                  set: fn(&mut RetryForm, String)| {
        html! {
            <label>{format!("{label} ")}
                <input {id} type="number" min="0" {step} {placeholder}
                    value={value.to_owned()} oninput={(on.text)(set)} />
            </label>
        }
    };
    let tick = |id: &'static str,
                label: &'static str,
                title: &'static str,
                checked: bool,
                set: fn(&mut RetryForm, bool)| {
        html! {
            <label {title}><input {id} type="checkbox" {checked}
                onchange={(on.tick)(set)} />{format!(" {label}")}</label>
        }
    };
    let max = RELAY_LIMITS.max_attempts.to_string();
    html! {
        <div id="http-retry-policy" class="http-retry-policy">
            <div class="field-row">
                <label>{"attempts "}
                    <input id="http-retry-attempts" type="number" min="1" max={max}
                        value={form.attempts.clone()} oninput={(on.text)(|f, v| f.attempts = v)} />
                </label>
                { number("http-retry-timeout-ms", "attempt timeout ms", &form.timeout_ms, "none", "1",
                    |f, v| f.timeout_ms = v) }
                { number("http-retry-base-ms", "base delay ms", &form.base_ms, "", "1",
                    |f, v| f.base_ms = v) }
                { number("http-retry-multiplier", "multiplier", &form.multiplier, "", "0.1",
                    |f, v| f.multiplier = v) }
                { number("http-retry-cap-ms", "cap ms", &form.cap_ms, "", "1",
                    |f, v| f.cap_ms = v) }
                <label>{"jitter "}
                    <select id="http-retry-jitter" onchange={on.jitter}>
                        { for [Jitter::None, Jitter::Full, Jitter::Equal].into_iter().map(|j| html! {
                            <option value={j.as_str()} selected={j == form.jitter}>{j.as_str()}</option>
                        }) }
                    </select>
                </label>
                { number("http-retry-seed", "seed", &form.seed, "relay picks", "1",
                    |f, v| f.seed = v) }
            </div>
            <fieldset id="http-retry-on" class="field-row http-retry-on">
                <legend>{"retry on"}</legend>
                { tick("http-retry-on-timeouts", "timeouts",
                    "connect, TLS, first byte, or the attempt timeout",
                    form.retry_on.timeouts, |f, v| f.retry_on.timeouts = v) }
                { tick("http-retry-on-connect-errors", "connection errors",
                    "connection refused, reset or unreachable",
                    form.retry_on.connect_errors, |f, v| f.retry_on.connect_errors = v) }
                { tick("http-retry-on-server-errors", "5xx",
                    "responses 500 to 599 (503 Service Unavailable among them)",
                    form.retry_on.server_errors, |f, v| f.retry_on.server_errors = v) }
                { tick("http-retry-on-429", "429",
                    "429 Too Many Requests",
                    form.retry_on.too_many_requests, |f, v| f.retry_on.too_many_requests = v) }
                { tick("http-retry-honor-retry-after", "wait as Retry-After asks",
                    "wait at least as long as a 429's or 503's Retry-After header asks, up to the cap",
                    form.honor_retry_after, |f, v| f.honor_retry_after = v) }
            </fieldset>
        </div>
    }
}
