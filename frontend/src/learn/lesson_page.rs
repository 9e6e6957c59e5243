//! `/learn/<slug>`: a lesson. Its explanation, the "Do this" steps with
//! their checks (green once the trace shows them), predictions, try-this
//! variations and the common mistake on one side; the lesson's views, the
//! endpoints of its connections and the code for its current settings on
//! the other. Each page has its own relay session (`use_relay`).

use std::cell::RefCell;
use std::rc::Rc;

use roundtrip_shared::learn::codegen::{self, SERVER_PORT};
use roundtrip_shared::learn::{self, LESSONS, Run, Setup, View};
use roundtrip_shared::protocol::ClientMsg;
use yew::prelude::*;

use super::code_box::CodeBox;
use super::{progress, text};
use crate::components::{
    DnsView, LifecycleView, PayloadInspector, RetryView, SequenceDiagram, ToneLegend, WaterfallView,
};
use crate::hooks::{use_preferences, use_relay};
use crate::state::RelayLink;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// The lesson's index in `LESSONS`.
    pub index: usize,
}

#[function_component(LessonPage)]
pub fn lesson_page(props: &Props) -> Html {
    let lesson = &LESSONS[props.index];
    let _preferences = use_preferences();
    let relay = use_relay(false);
    let state = relay.state.clone();
    // The setup the code shows: the last one run, at first the first step's.
    let current = use_state(|| lesson.steps[0].setup);
    let message = use_state(|| lesson.steps[0].setup.send().to_owned());
    // A prediction per step: the choice picked, if any.
    let picked = use_state(|| vec![None::<usize>; lesson.steps.len()]);
    let runs: Rc<RefCell<Vec<Run>>> = use_mut_ref(Vec::new);
    let problem = use_state(|| None::<String>);

    // Each change of the trace moves the running setups on.
    {
        let runs = runs.clone();
        let request = relay.request.clone();
        use_effect_with(state.trace.clone(), move |trace| {
            let next: Vec<ClientMsg> = runs
                .borrow_mut()
                .iter_mut()
                .flat_map(|run| run.advance(trace))
                .collect();
            runs.borrow_mut().retain(|run| !run.is_done());
            for msg in next {
                request.emit(msg);
            }
        });
    }

    let passed = learn::passed(lesson, &state);
    let all_passed = passed.iter().all(|p| *p);
    use_effect_with(all_passed, move |done| {
        if *done {
            progress::mark_done(lesson.slug);
        }
    });

    let ready = matches!(state.relay, RelayLink::Ready { .. });
    let start = {
        let state = state.clone();
        let runs = runs.clone();
        let request = relay.request.clone();
        let current = current.clone();
        let message = message.clone();
        let problem = problem.clone();
        Callback::from(move |(setup, text): (Setup, String)| {
            current.set(setup);
            message.set(text.clone());
            match Run::start(
                setup,
                &state.services,
                &state.trace,
                state.next_op,
                &text,
                js_sys::Date::now() as u64,
            ) {
                Ok((run, first)) => {
                    problem.set(None);
                    runs.borrow_mut().push(run);
                    request.emit(first);
                }
                Err(why) => problem.set(Some(why.to_string())),
            }
        })
    };

    let steps = lesson.steps.iter().enumerate().map(|(i, step)| {
        let done = passed[i];
        let choice = picked[i];
        let needs_pick = step.predict.is_some() && choice.is_none();
        let onclick = {
            let start = start.clone();
            let setup = step.setup;
            start.reform(move |_: MouseEvent| (setup, setup.send().to_owned()))
        };
        let predict = step.predict.map(|predict| {
            let shown = learn::shown_choice(&predict, &state);
            html! {
                <fieldset class="predict" id={format!("predict-{i}")}>
                    <legend>{"Predict first: "}{text::inline(predict.question)}</legend>
                    {for predict.choices.iter().enumerate().map(|(c, option)| {
                        let picked = picked.clone();
                        let onchange = Callback::from(move |_: Event| {
                            let mut next = (*picked).clone();
                            next[i] = Some(c);
                            picked.set(next);
                        });
                        html! {
                            <label class="predict-choice">
                                <input type="radio" name={format!("predict-{i}")}
                                    id={format!("predict-{i}-{c}")} checked={choice == Some(c)}
                                    disabled={shown.is_some()} {onchange} />
                                {" "}{text::inline(option.label)}
                            </label>
                        }
                    })}
                    if let (Some(shown), Some(choice)) = (shown, choice) {
                        <p class={classes!("predict-result", (shown == choice).then_some("agreed"))}
                            id={format!("predict-result-{i}")} role="status">
                            {if shown == choice { "The trace agrees with you: " } else { "The trace shows something else: " }}
                            {text::inline(predict.choices[shown].label)}{". "}
                            {text::inline(predict.explain)}
                        </p>
                    }
                </fieldset>
            }
        });
        html! {
            <li class={classes!("step", done.then_some("passed"))}>
                <p>{text::inline(step.text)}</p>
                {predict.unwrap_or_default()}
                <p class="step-actions">
                    <button type="button" id={format!("do-{i}")} class="do-this"
                        disabled={!ready || needs_pick} {onclick}>{step.button}</button>
                    if needs_pick && ready {
                        <span class="muted">{" Pick an answer first."}</span>
                    }
                </p>
                <p class={classes!("check", done.then_some("passed"))} id={format!("check-{i}")}
                    data-passed={done.to_string()}>
                    <span class="check-mark" aria-hidden="true">{if done { "✓" } else { "○" }}</span>
                    {" "}{text::inline(step.check_label)}
                    <span class="visually-hidden">{if done { " (done)" } else { " (not yet)" }}</span>
                </p>
            </li>
        }
    });

    let tries = lesson.tries.iter().enumerate().map(|(i, attempt)| {
        let setup = attempt.setup;
        let onclick = start.reform(move |_: MouseEvent| (setup, setup.send().to_owned()));
        html! {
            <li>
                {text::inline(attempt.text)}{" "}
                <button type="button" id={format!("try-{i}")} disabled={!ready} {onclick}>{"Try it"}</button>
            </li>
        }
    });

    let mistake = lesson.mistake.map(|mistake| {
        let show = mistake.show.map(|setup| {
            let onclick = start.reform(move |_: MouseEvent| (setup, setup.send().to_owned()));
            html! {
                <button type="button" id="show-mistake" disabled={!ready} {onclick}>{"Show it live"}</button>
            }
        });
        html! {
            <aside class="mistake" aria-labelledby="mistake-heading">
                <h2 id="mistake-heading">{"A common mistake: "}{mistake.title}</h2>
                <p>{text::inline(mistake.text)}{" "}{show.unwrap_or_default()}</p>
            </aside>
        }
    });

    let (previous, next) = learn::neighbours(props.index);
    let message_text = (*message).clone();
    let programs = codegen::for_setup(
        &current,
        &state.services,
        &message_text,
        lesson.server_code,
        SERVER_PORT,
    )
    .unwrap_or_default();
    let playground = current
        .experiment(&state.services, &message_text)
        .map(|e| format!("/#{}", e.to_fragment()));
    let on_message = {
        let message = message.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            message.set(input.value());
        })
    };
    let run_code = {
        let setup = *current;
        let text = message_text.clone();
        start.reform(move |_: MouseEvent| (setup, text.clone()))
    };
    let last_op = state.trace.steps().last().map(|s| s.op);
    let endpoints = learn::endpoints(&state);
    let views = lesson.views.iter().map(|view| match view {
        View::Sequence => html! {
            <section class="panel diagram learn-view" aria-labelledby="learn-diagram-heading">
                <h2 id="learn-diagram-heading">{"Sequence"}</h2>
                <ToneLegend />
                <SequenceDiagram trace={state.trace.clone()} height={420.0} />
            </section>
        },
        View::Lifecycle => html! {
            <div class="learn-view">
                <LifecycleView trace={state.trace.clone()} current={last_op} />
            </div>
        },
        View::Payloads => html! {
            <div class="learn-view">
                <PayloadInspector trace={state.trace.clone()} keys={json_keys(&current)} />
            </div>
        },
        View::Retry => html! {
            <div class="learn-view">
                <RetryView trace={state.trace.clone()} services={state.services.clone()}
                    next_op={state.next_op} can_request={ready}
                    on_request={relay.request.clone()} />
            </div>
        },
        View::Dns => html! {
            <div class="learn-view">
                <DnsView trace={state.trace.clone()} />
            </div>
        },
        View::Waterfall => html! {
            <div class="learn-view">
                <WaterfallView trace={state.trace.clone()} />
            </div>
        },
    });

    html! {
        <div class="page learn-page">
            <header class="learn-head">
                <nav class="learn-crumbs" aria-label="Course">
                    <a href="/learn" id="to-contents">{"Course"}</a>
                    {format!(" · Lesson {} of {}", props.index + 1, LESSONS.len())}
                    {" · "}<a href="/" id="to-playground">{"Playground"}</a>
                </nav>
                <p class="relay-line">{"Relay: "}
                    <span id="relay-status">{state.relay.label()}</span>
                    if matches!(state.relay, RelayLink::Lost { .. }) {
                        {" "}<button type="button" id="reconnect"
                            onclick={relay.reconnect.reform(|_: MouseEvent| ())}>{"Reconnect"}</button>
                    }
                </p>
            </header>
            <main class="learn-layout">
                <article class="learn-text">
                    <h1 id="lesson-title">{lesson.title}</h1>
                    {text::blocks(lesson.text)}
                    <section class="do-this" aria-labelledby="do-heading">
                        <h2 id="do-heading">{"Do this"}</h2>
                        <ol class="steps">{for steps}</ol>
                        if all_passed {
                            <p id="lesson-done" class="lesson-done" role="status">
                                {"Every check is green: this lesson is done."}
                            </p>
                        }
                        if let Some(problem) = &*problem {
                            <p class="page-problem" role="alert">{problem.clone()}</p>
                        }
                    </section>
                    if !lesson.tries.is_empty() {
                        <section class="try-this" aria-labelledby="try-heading">
                            <h2 id="try-heading">{"Try this"}</h2>
                            <ul>{for tries}</ul>
                        </section>
                    }
                    {mistake.unwrap_or_default()}
                    <nav class="lesson-nav" aria-label="Lessons">
                        if let Some(previous) = previous {
                            <a id="previous" href={learn::href(previous)}>{"← "}{previous.title}</a>
                        }
                        if let Some(next) = next {
                            <a id="next" href={learn::href(next)}>{next.title}{" →"}</a>
                        } else {
                            <a id="next" href="/learn">{"All lessons →"}</a>
                        }
                    </nav>
                </article>
                <aside class="learn-side" aria-label="What happened">
                    {for views}
                    if !endpoints.is_empty() {
                        <section class="panel endpoints" aria-labelledby="endpoints-heading">
                            <h2 id="endpoints-heading">{"Endpoints"}</h2>
                            <ul id="endpoints">
                                {for endpoints.iter().map(|(op, local, remote)| html! {
                                    <li><span class="muted">{roundtrip_shared::protocol::op_name(*op)}{": "}</span>
                                        <code>{local.clone()}</code>{" ↔ "}<code>{remote.clone()}</code></li>
                                })}
                            </ul>
                        </section>
                    }
                    <section class="panel learn-code" aria-labelledby="code-heading">
                        <h2 id="code-heading">{"The code"}</h2>
                        <p class="code-settings">
                            // A DNS question sends no text of the learner's.
                            if let Some(label) = message_label(&current) {
                                <label for="learn-message">{label}</label>
                                <input id="learn-message" type="text" value={message_text.clone()}
                                    oninput={on_message} />
                                {" "}
                            }
                            <button type="button" id="run-code" disabled={!ready}
                                onclick={run_code}>{"Run it here"}</button>
                            if let Some(link) = playground {
                                {" "}<a id="open-playground" href={link}>{"Open in the playground"}</a>
                            }
                        </p>
                        <CodeBox programs={programs} />
                    </section>
                </aside>
            </main>
        </div>
    }
}

/// What the text field beside the code is to the current setup, if it
/// takes one.
fn message_label(setup: &Setup) -> Option<&'static str> {
    match setup {
        Setup::Http { .. } => Some("Body "),
        Setup::Listen | Setup::Serve { .. } => Some("Request "),
        Setup::Tcp { .. } | Setup::Udp { .. } | Setup::Many { .. } => Some("Message "),
        Setup::Dns { .. } | Setup::Checks { .. } | Setup::Json { .. } => None,
    }
}

/// The keys a JSON setup's program expects, for the payload inspector.
fn json_keys(setup: &Setup) -> AttrValue {
    match setup {
        Setup::Json { expect, .. } => AttrValue::Static(expect),
        _ => AttrValue::default(),
    }
}
