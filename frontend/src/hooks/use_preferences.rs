//! The page's remembered preferences (theme, presenter mode): read once,
//! applied to the document, remembered when changed.

use yew::prelude::*;

use crate::browser;

const THEME: &str = "roundtrip-theme";
const PRESENTER: &str = "roundtrip-presenter";

/// The preferences and how to change them.
#[derive(Clone, Debug)]
pub struct Preferences {
    /// `auto`, `light` or `dark`.
    pub theme: AttrValue,
    pub presenter: bool,
    pub on_theme: Callback<AttrValue>,
    pub on_presenter: Callback<bool>,
}

#[hook]
pub fn use_preferences() -> Preferences {
    let theme = use_state(|| {
        AttrValue::from(browser::preference(THEME).unwrap_or_else(|| "auto".to_owned()))
    });
    let presenter = use_state(|| browser::preference(PRESENTER).as_deref() == Some("on"));
    use_effect_with(((*theme).clone(), *presenter), |(theme, presenter)| {
        browser::set_root_attribute("data-theme", theme);
        browser::set_root_attribute("data-presenter", if *presenter { "on" } else { "off" });
    });
    let on_theme = {
        let theme = theme.clone();
        Callback::from(move |value: AttrValue| {
            browser::remember(THEME, &value);
            theme.set(value);
        })
    };
    let on_presenter = {
        let presenter = presenter.clone();
        Callback::from(move |on: bool| {
            browser::remember(PRESENTER, if on { "on" } else { "off" });
            presenter.set(on);
        })
    };
    Preferences {
        theme: (*theme).clone(),
        presenter: *presenter,
        on_theme,
        on_presenter,
    }
}
