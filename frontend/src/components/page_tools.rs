//! The tools in the page's header: theme, presenter mode, saving and opening
//! traces, and share links. They act through callbacks; the page does the
//! work.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// `auto`, `light` or `dark`.
    pub theme: AttrValue,
    pub presenter: bool,
    /// A link made by a share button, to show and copy.
    pub link: Option<AttrValue>,
    pub on_theme: Callback<AttrValue>,
    pub on_presenter: Callback<bool>,
    pub on_save: Callback<()>,
    pub on_open: Callback<web_sys::File>,
    pub on_share_trace: Callback<()>,
    pub on_share_experiment: Callback<()>,
}

#[function_component(PageTools)]
pub fn page_tools(props: &Props) -> Html {
    let on_theme = props.on_theme.reform(|event: Event| {
        AttrValue::from(event.target_unchecked_into::<HtmlInputElement>().value())
    });
    let on_presenter = props
        .on_presenter
        .reform(|event: Event| event.target_unchecked_into::<HtmlInputElement>().checked());
    let on_open = {
        let on_open = props.on_open.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_open.emit(file);
            }
            // Choosing the same file again should load it again.
            input.set_value("");
        })
    };
    let select_all = Callback::from(|event: FocusEvent| {
        event.target_unchecked_into::<HtmlInputElement>().select();
    });
    let theme = |value: &'static str, label: &'static str| {
        html! {
            <label class="choice">
                <input type="radio" name="theme" {value} checked={props.theme == value}
                    onchange={on_theme.clone()} />
                {label}
            </label>
        }
    };
    html! {
        <div class="page-tools">
            <fieldset class="tool-group">
                <legend class="visually-hidden">{"Theme"}</legend>
                {theme("auto", "Auto")}
                {theme("light", "Light")}
                {theme("dark", "Dark")}
            </fieldset>
            <label class="choice">
                <input type="checkbox" id="presenter" checked={props.presenter} onchange={on_presenter} />
                {"Presenter mode"}
            </label>
            <div class="tool-group">
                <button type="button" id="save-trace" onclick={props.on_save.reform(|_: MouseEvent| ())}>
                    {"Save trace"}
                </button>
                // The input comes first: its focus ring is drawn on the
                // label that follows it (`#open-trace:focus-visible + label`).
                <input type="file" id="open-trace" class="visually-hidden" accept=".json,application/json"
                    onchange={on_open} />
                <label class="button-like" for="open-trace">{"Open trace…"}</label>
                <button type="button" id="share-experiment"
                    onclick={props.on_share_experiment.reform(|_: MouseEvent| ())}>
                    {"Link to this experiment"}
                </button>
                <button type="button" id="share-trace" onclick={props.on_share_trace.reform(|_: MouseEvent| ())}>
                    {"Link to this trace"}
                </button>
            </div>
            if let Some(link) = &props.link {
                <label class="share-link">
                    {"Link: "}
                    <input id="share-link" type="text" readonly=true value={link.clone()} onfocus={select_all} />
                </label>
            }
        </div>
    }
}
