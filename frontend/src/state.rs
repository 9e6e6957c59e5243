//! The page's state as yew's reducer. The model itself, every way it
//! changes and everything derived from it, is `roundtrip_shared::page`
//! (pure, tested natively); this file only reads the clock and hands it in.

use std::ops::Deref;
use std::rc::Rc;

pub use roundtrip_shared::page::{
    Accepted, Action, Connection, CurrentOp, Held, RelayLink, SHOWN_RECEIVED, ShownError, State,
};
use yew::Reducible;

/// [`State`] as a yew reducer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageState(pub State);

impl Deref for PageState {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = self.0.clone();
        next.apply(js_sys::Date::now(), action);
        Rc::new(PageState(next))
    }
}
