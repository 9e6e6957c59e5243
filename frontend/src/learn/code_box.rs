//! The code beside a lesson: one tab per program, the code, how to run it,
//! and a Copy button.

use roundtrip_shared::learn::codegen::{Lang, Program, Role};
use roundtrip_shared::share::Experiment;
use yew::prelude::*;

use crate::browser;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub programs: Vec<Program>,
}

#[function_component(CodeBox)]
pub fn code_box(props: &Props) -> Html {
    let chosen = use_state(|| 0_usize);
    let copied = use_state(|| None::<String>);
    let index = (*chosen).min(props.programs.len().saturating_sub(1));
    let Some(program) = props.programs.get(index) else {
        return html! { <p class="muted">{"The code appears once the relay is connected."}</p> };
    };
    let on_copy = {
        let code = program.code.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            let code = code.clone();
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(match browser::copy(&code).await {
                    Ok(()) => "Copied.".to_owned(),
                    Err(why) => format!("Select the code and copy it by hand: {why}"),
                }));
            });
        })
    };
    // The Python programs open in the page's Python tab, servers first
    // (the tab says to run them in order).
    let run_in_page = {
        let mut python: Vec<&Program> = props
            .programs
            .iter()
            .filter(|p| p.lang == Lang::Python)
            .collect();
        python.sort_by_key(|p| p.role != Role::Server);
        let files: Vec<(String, String)> = python
            .iter()
            .map(|p| (p.file.to_owned(), p.code.clone()))
            .collect();
        (program.lang == Lang::Python && !files.is_empty())
            .then(|| format!("/#{}", Experiment::Python { files }.to_fragment()))
    };
    html! {
        <div class="code-box">
            <div class="code-tabs" role="group" aria-label="Program">
                {for props.programs.iter().enumerate().map(|(i, p)| {
                    let chosen = chosen.clone();
                    let copied = copied.clone();
                    let label = match p.role {
                        Role::Client => p.file.to_owned(),
                        Role::Server => format!("{} (server)", p.file),
                    };
                    html! {
                        <button type="button" class="code-tab" id={format!("code-tab-{i}")}
                            aria-pressed={(i == index).to_string()}
                            onclick={Callback::from(move |_| { chosen.set(i); copied.set(None); })}>
                            {label}
                        </button>
                    }
                })}
            </div>
            <pre class="code" id="code" data-file={program.file}><code>{program.code.clone()}</code></pre>
            <p class="code-run">
                <button type="button" id="copy-code" onclick={on_copy}>{"Copy"}</button>
                {" Run: "}<code>{program.run}</code>
                if let Some(link) = run_in_page {
                    {" or "}<a id="run-python" href={link}>{"run it in the page's Python tab"}</a>
                }
                if let Some(note) = &*copied {
                    <span class="copy-note" role="status">{" "}{note.clone()}</span>
                }
            </p>
        </div>
    }
}
