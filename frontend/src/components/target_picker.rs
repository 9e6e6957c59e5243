//! The target picker of the TCP and UDP panels: a list of the lab's
//! services (and a panel's own fixed choices) beside an address field.
//! Typing an address picks "custom"; an experiment link fills in either.

use roundtrip_shared::protocol::Service;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The `<option>` value that means "the text in the address field".
pub const CUSTOM: &str = "custom";

/// What a panel draws and reads of its picker.
#[derive(Debug)]
pub struct TargetPicker {
    /// The list's value: a service's name, a fixed choice or [`CUSTOM`].
    pub selected: String,
    /// The address field's text.
    pub custom: String,
    /// Goes on the `<select>`: its value is set after each render.
    pub list_ref: NodeRef,
    /// The `<select>`'s `onchange`.
    pub on_choose: Callback<Event>,
    /// The address field's `oninput`.
    pub on_type: Callback<InputEvent>,
    /// The address field's placeholder: where the chosen service leads.
    pub placeholder: String,
}

impl TargetPicker {
    pub fn is_custom(&self) -> bool {
        self.selected == CUSTOM
    }
}

/// A picker over `services` and the panel's `fixed` choices (besides
/// [`CUSTOM`]), starting from an experiment link's `preset` target. Until
/// the learner picks, the list shows the first service, or `fallback` when
/// there is none (before the welcome).
#[hook]
pub fn use_target_picker(
    preset: Option<String>,
    services: Vec<Service>,
    fixed: &'static [&'static str],
    fallback: &'static str,
) -> TargetPicker {
    // `None` until the learner picks something, so that the default follows
    // the services once the welcome brings them.
    let (preset_choice, preset_custom) = picker_preset(preset.as_deref());
    let choice = use_state(|| preset_choice);
    let custom = use_state(|| preset_custom);

    let known = |name: &str| {
        name == CUSTOM || fixed.contains(&name) || services.iter().any(|s| s.name == name)
    };
    let selected = match choice.as_deref() {
        Some(name) if known(name) => name.to_owned(),
        _ => services
            .first()
            .map_or_else(|| fallback.to_owned(), |s| s.name.clone()),
    };

    // The list is set from the outside too: typing an address switches it to
    // "custom", and the welcome brings the default. A `selected` attribute
    // cannot do that (browsers ignore it once the learner used the list, and
    // yew inserts options last to first), so set the element's value after
    // each render that changes it.
    let list_ref = use_node_ref();
    {
        let list_ref = list_ref.clone();
        use_effect_with(
            (selected.clone(), services.clone()),
            move |(selected, _)| {
                if let Some(select) = list_ref.cast::<HtmlSelectElement>() {
                    select.set_value(selected);
                }
            },
        );
    }
    let on_choose = {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            choice.set(Some(e.target_unchecked_into::<HtmlSelectElement>().value()));
        })
    };
    // Typing an address means "this one", whatever the list shows.
    let on_type = {
        let (choice, custom) = (choice.clone(), custom.clone());
        Callback::from(move |e: InputEvent| {
            custom.set(e.target_unchecked_into::<HtmlInputElement>().value());
            choice.set(Some(CUSTOM.to_owned()));
        })
    };
    let placeholder = services
        .iter()
        .find(|service| service.name == selected)
        .map_or_else(|| "host:port".to_owned(), |service| service.addr.clone());
    TargetPicker {
        selected,
        custom: (*custom).clone(),
        list_ref,
        on_choose,
        on_type,
        placeholder,
    }
}

/// Where a target from an experiment link goes in a target picker: the
/// list's choice and the text field. A preset names a lab service or an
/// address; the list cannot know which until the welcome, so an address
/// (anything with a port) goes to the text field and the list to "custom".
pub fn picker_preset(target: Option<&str>) -> (Option<String>, String) {
    match target {
        Some(address) if address.contains(':') => (Some(CUSTOM.to_owned()), address.to_owned()),
        Some(service) => (Some(service.to_owned()), String::new()),
        None => (None, String::new()),
    }
}
