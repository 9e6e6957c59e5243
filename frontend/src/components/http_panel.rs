//! Making an HTTP request through the relay and reading the answer: status
//! line, headers, body (pretty when JSON) and the phase timings.
//!
//! The panel keeps only its form and the id of its last request; what it
//! shows of the answer is derived from the trace ([`HttpView::of`]). With
//! "Retry" on, the request carries a retry policy and the answer shown is
//! the last attempt's (the Retries section draws every attempt).

use std::rc::Rc;

use roundtrip_shared::explain;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, ErrorCode, EventKind, Faults, HttpRequest, HttpTimeouts, HttpTimings, OpId, Service,
};
use roundtrip_shared::retry::{Jitter, RetryPolicy};
use roundtrip_shared::share::Experiment;
use roundtrip_shared::trace::{StepKind, Trace};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::explainer::Explainer;
use super::faults::{FaultsForm, Transport};

pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// Lab services from the welcome: the URL defaults to `http-lab`'s `/json`.
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

/// What the trace says about one HTTP operation (the last hop's response).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpView {
    /// `HTTP/1.1 200 OK`, once the head arrived.
    pub status_line: Option<String>,
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub json: bool,
    pub timings: Option<HttpTimings>,
    pub error: Option<String>,
    /// The failure's code, for its explanation.
    pub error_code: Option<ErrorCode>,
    pub finished: bool,
    /// `attempt 2 of 3` for a retried request.
    pub attempt: Option<String>,
}

impl HttpView {
    pub fn of(trace: &Trace, op: OpId) -> HttpView {
        let mut view = HttpView::default();
        let steps = trace.steps().iter().filter(|step| step.op == op);
        for (kind, payload) in steps.filter_map(|step| match &step.kind {
            StepKind::Event { kind, payload } => Some((kind, payload)),
            _ => None,
        }) {
            match kind {
                // A new attempt: what is shown is the newest attempt's.
                EventKind::Attempt { n, of } => {
                    view = HttpView {
                        attempt: Some(format!("attempt {n} of {of}")),
                        ..HttpView::default()
                    };
                }
                EventKind::Received { .. } => view
                    .body
                    .extend_from_slice(payload.as_deref().unwrap_or_default()),
                EventKind::ResponseHead {
                    status,
                    reason,
                    version,
                    headers,
                } => {
                    view.status_line = Some(format!("{version} {status} {reason}"));
                    view.status = Some(*status);
                    view.headers = headers.clone();
                }
                EventKind::ResponseDone { json, timings, .. } => {
                    view.json = *json;
                    view.timings = Some(*timings);
                }
                EventKind::Failed { error } => {
                    view.error = Some(error.message.clone());
                    view.error_code = Some(error.code);
                }
                _ => {}
            }
            view.finished |= kind.is_terminal();
        }
        view
    }

    /// The body as text: re-indented when it is JSON.
    pub fn body_text(&self) -> String {
        if self.json
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&self.body)
            && let Ok(pretty) = serde_json::to_string_pretty(&value)
        {
            return pretty;
        }
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `Name: value` lines into pairs; blank lines are skipped.
pub fn parse_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| match line.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(format!(
                "header line {} is not \"Name: value\": {line}",
                index + 1
            )),
        })
        .collect()
}

fn default_url(services: &[Service]) -> String {
    services
        .iter()
        .find(|s| s.name == "http-lab")
        .map_or_else(String::new, |s| format!("http://{}/json", s.addr))
}

/// The retry fields (attempts, attempt timeout, base delay) as a policy;
/// the relay checks its bounds, the page only that they are numbers.
pub fn retry_policy(fields: &[String; 3], jitter: Jitter) -> Result<RetryPolicy, String> {
    let Ok(max_attempts) = fields[0].trim().parse::<u32>() else {
        return Err("retry attempts is a number from 1 to 10".to_owned());
    };
    let attempt_timeout_ms = match fields[1].trim() {
        "" => None,
        text => Some(text.parse::<u64>().map_err(|_| {
            "the attempt timeout is a number of milliseconds, or empty for none".to_owned()
        })?),
    };
    let Ok(base_ms) = fields[2].trim().parse::<u64>() else {
        return Err("the base delay is a number of milliseconds".to_owned());
    };
    Ok(RetryPolicy {
        max_attempts,
        attempt_timeout_ms,
        base_ms,
        jitter,
        ..RetryPolicy::default()
    })
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
        }) => Some((method.clone(), url.clone(), headers.clone(), body.clone())),
        _ => None,
    };
    let method = use_state(|| preset.as_ref().map_or("GET".to_owned(), |p| p.0.clone()));
    // `None` until the learner types, so the default follows the welcome.
    let url = use_state(|| preset.as_ref().map(|p| p.1.clone()));
    let headers = use_state(|| preset.as_ref().map(|p| p.2.clone()).unwrap_or_default());
    let body = use_state(|| preset.as_ref().map(|p| p.3.clone()).unwrap_or_default());
    let json = use_state(|| false);
    let raw = use_state(|| false);
    let redirects = use_state(|| "0".to_owned());
    let timeouts = use_state(|| [String::new(), String::new(), String::new(), String::new()]);
    let problem = use_state(|| None::<String>);
    let last_op = use_state(|| None::<OpId>);
    let retry = use_state(|| false);
    // Attempts, attempt timeout (ms), base delay (ms), jitter.
    let retry_fields = use_state(|| ["3".to_owned(), String::new(), "200".to_owned()]);
    let retry_jitter = use_state(|| Jitter::Full);
    let faults = use_state(|| Ok::<_, String>(None::<Faults>));

    let shown_url = (*url)
        .clone()
        .unwrap_or_else(|| default_url(&props.services));

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

    let on_retry_field = |index: usize| {
        let retry_fields = retry_fields.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*retry_fields).clone();
            next[index] = e.target_unchecked_into::<HtmlInputElement>().value();
            retry_fields.set(next);
        })
    };
    let on_retry_jitter = {
        let retry_jitter = retry_jitter.clone();
        Callback::from(move |e: Event| {
            retry_jitter.set(
                match e
                    .target_unchecked_into::<HtmlSelectElement>()
                    .value()
                    .as_str()
                {
                    "none" => Jitter::None,
                    "equal" => Jitter::Equal,
                    _ => Jitter::Full,
                },
            )
        })
    };

    let on_send = {
        let (retry, retry_fields, retry_jitter) =
            (retry.clone(), retry_fields.clone(), retry_jitter.clone());
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
                match retry_policy(&retry_fields, *retry_jitter) {
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
                if *retry {
                    <label>{"attempts "}
                        <input id="http-retry-attempts" type="number" min="1" max="10"
                            value={retry_fields[0].clone()} oninput={on_retry_field(0)} />
                    </label>
                    <label>{"attempt timeout ms "}
                        <input id="http-retry-timeout-ms" type="number" min="1" placeholder="none"
                            value={retry_fields[1].clone()} oninput={on_retry_field(1)} />
                    </label>
                    <label>{"base delay ms "}
                        <input id="http-retry-base-ms" type="number" min="0"
                            value={retry_fields[2].clone()} oninput={on_retry_field(2)} />
                    </label>
                    <label>{"jitter "}
                        <select id="http-retry-jitter" onchange={on_retry_jitter}>
                            { for [Jitter::None, Jitter::Full, Jitter::Equal].into_iter().map(|j| html! {
                                <option value={j.as_str()} selected={j == *retry_jitter}>{j.as_str()}</option>
                            }) }
                        </select>
                    </label>
                }
            </div>
            <FaultsForm prefix="http" transport={Transport::Tcp}
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
                        <p id="http-error" class="error">{error.clone()}</p>
                        if let Some(explanation) = explain::for_error(view.error_code, error) {
                            <Explainer {explanation} />
                        }
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
                                        <dd data-phase={name}>{format!("{}.{:03} ms", us / 1000, us % 1000)}</dd>
                                    </>
                                }) }
                        </dl>
                    }
                </div>
            }
        </section>
    }
}
