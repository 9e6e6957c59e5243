//! A row of tabs (WAI-ARIA tabs pattern): one button per panel, the chosen
//! one marked `aria-selected`, arrow keys and Home/End move between them.
//! Each tab's content goes in a [`TabPanel`] of the same id.

use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Tab {
    /// Names the tab (`{id}-tab`) and its panel (`{id}-panel`).
    pub id: AttrValue,
    pub label: AttrValue,
}

impl Tab {
    pub fn new(id: &'static str, label: &'static str) -> Self {
        Tab {
            id: id.into(),
            label: label.into(),
        }
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    /// What the tabs choose between, for screen readers ("Experiment").
    pub label: AttrValue,
    pub tabs: Vec<Tab>,
    pub selected: AttrValue,
    pub on_select: Callback<AttrValue>,
}

#[function_component(Tabs)]
pub fn tabs(props: &Props) -> Html {
    let ids: Vec<AttrValue> = props.tabs.iter().map(|t| t.id.clone()).collect();
    let onkeydown = {
        let on_select = props.on_select.clone();
        let selected = props.selected.clone();
        Callback::from(move |event: KeyboardEvent| {
            let Some(at) = ids.iter().position(|id| *id == selected) else {
                return;
            };
            let last = ids.len() - 1;
            let to = match event.key().as_str() {
                "ArrowRight" => (at + 1) % ids.len(),
                "ArrowLeft" => at.checked_sub(1).unwrap_or(last),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            event.prevent_default();
            on_select.emit(ids[to].clone());
            // The focus follows the selection, as the pattern asks.
            if let Some(button) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("{}-tab", ids[to])))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
            {
                let _ = button.focus();
            }
        })
    };
    html! {
        <div class="tabs" role="tablist" aria-label={props.label.clone()} {onkeydown}>
            { for props.tabs.iter().map(|tab| {
                let chosen = tab.id == props.selected;
                let onclick = {
                    let on_select = props.on_select.clone();
                    let id = tab.id.clone();
                    Callback::from(move |_: MouseEvent| on_select.emit(id.clone()))
                };
                html! {
                    <button type="button" role="tab" id={format!("{}-tab", tab.id)}
                        class={classes!("tab", chosen.then_some("is-selected"))}
                        aria-selected={chosen.to_string()}
                        aria-controls={format!("{}-panel", tab.id)}
                        tabindex={if chosen { "0" } else { "-1" }} {onclick}>
                        {tab.label.clone()}
                    </button>
                }
            }) }
        </div>
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct PanelProps {
    /// The tab's id, as in [`Tab::id`].
    pub id: AttrValue,
    /// The id of the tab chosen now.
    pub selected: AttrValue,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub children: Html,
}

/// The panel of tab `id`. Hidden panels stay mounted, so what the learner
/// typed in them survives switching tabs.
#[function_component(TabPanel)]
pub fn tab_panel(props: &PanelProps) -> Html {
    html! {
        <div role="tabpanel" id={format!("{}-panel", props.id)} class={props.class.clone()}
            aria-labelledby={format!("{}-tab", props.id)} hidden={props.id != props.selected}>
            {props.children.clone()}
        </div>
    }
}
