//! Traces in and out of the page: open a file (picked or dropped), save the
//! recording, and share a trace or the last experiment as a link. Problems
//! are told through the page's problem line.

use roundtrip_shared::page::Recorder;
use roundtrip_shared::recording::Recording;
use roundtrip_shared::share;
use yew::prelude::*;

use crate::browser;
use crate::views_source::ViewsSource;

/// The callbacks of the page tools and the page's drop target.
#[derive(Debug)]
pub struct TraceFiles {
    pub on_open_file: Callback<web_sys::File>,
    pub on_drop: Callback<DragEvent>,
    pub on_drag_over: Callback<DragEvent>,
    pub on_save: Callback<()>,
    pub on_share_trace: Callback<()>,
    pub on_share_experiment: Callback<()>,
}

/// Wires the page tools to `views` (what is shown) and `recorder` (this
/// session), telling problems through `problem` and links through `link`.
pub fn trace_files(
    views: &ViewsSource,
    recorder: &Recorder,
    problem: &UseStateHandle<Option<String>>,
    link: &UseStateHandle<Option<AttrValue>>,
) -> TraceFiles {
    let open_recording = {
        let views = views.clone();
        let problem = problem.clone();
        Callback::from(
            move |(text, source): (String, String)| match Recording::from_json(&text) {
                Ok(recording) => {
                    views.open(recording, source);
                    problem.set(None);
                }
                Err(error) => problem.set(Some(format!("{source} cannot be opened: {error}"))),
            },
        )
    };
    let on_open_file = {
        let problem = problem.clone();
        Callback::from(move |file: web_sys::File| {
            let open_recording = open_recording.clone();
            let problem = problem.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                match browser::read_text(file).await {
                    Ok(text) => open_recording.emit((text, name)),
                    Err(error) => problem.set(Some(error)),
                }
            });
        })
    };
    let on_drop = {
        let on_open_file = on_open_file.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if let Some(file) = event
                .data_transfer()
                .and_then(|data| data.files())
                .and_then(|files| files.get(0))
            {
                on_open_file.emit(file);
            }
        })
    };
    // Without this the browser opens a dropped file itself.
    let on_drag_over = Callback::from(|event: DragEvent| event.prevent_default());
    let on_save = {
        let views = views.clone();
        let problem = problem.clone();
        Callback::from(move |()| {
            let name = format!(
                "roundtrip-trace-{}.json",
                js_sys::Date::new_0()
                    .to_iso_string()
                    .as_string()
                    .unwrap_or_default()
                    .replace([':', '.'], "-")
            );
            if let Err(error) =
                browser::download(&name, "application/json", &views.recording().to_json())
            {
                problem.set(Some(format!("The trace could not be saved: {error}")));
            }
        })
    };
    let show_link = {
        let link = link.clone();
        let problem = problem.clone();
        Callback::from(
            move |fragment: String| match browser::link_with_fragment(&fragment) {
                Ok(made) => {
                    link.set(Some(made.clone().into()));
                    problem.set(None);
                    // Copying is a convenience: the link is shown either way.
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = browser::copy(&made).await;
                    });
                }
                Err(error) => problem.set(Some(format!("No link could be made: {error}"))),
            },
        )
    };
    let on_share_trace = {
        let views = views.clone();
        let show_link = show_link.clone();
        Callback::from(move |()| show_link.emit(share::trace_fragment(&views.recording())))
    };
    let on_share_experiment = {
        let recorder = recorder.clone();
        let problem = problem.clone();
        Callback::from(
            move |()| match share::last_experiment(&recorder.snapshot()) {
                Some(experiment) => show_link.emit(experiment.to_fragment()),
                None => problem.set(Some(
                    "Start something first (connect, open, request or query): the link carries \
                     what you ran last."
                        .to_owned(),
                )),
            },
        )
    };
    TraceFiles {
        on_open_file,
        on_drop,
        on_drag_over,
        on_save,
        on_share_trace,
        on_share_experiment,
    }
}
