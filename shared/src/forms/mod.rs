//! What the page's forms parse typed text into: the protocol's values, or a
//! sentence that names the field and the mistake. Pure, so the rules are
//! tested natively and the form components only render.

pub mod faults;
pub mod http;
