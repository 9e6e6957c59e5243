//! Lesson markup (`shared::learn::markup`) as HTML.

use roundtrip_shared::learn::markup::{self, Block, Span};
use yew::prelude::*;

fn spans(parts: &[Span]) -> Html {
    parts
        .iter()
        .map(|span| match span {
            Span::Text(text) => html! { {text.clone()} },
            Span::Code(code) => html! { <code>{code.clone()}</code> },
            // Emphasis may hold code: `**Honour `Retry-After`.**`.
            Span::Strong(text) => html! { <strong>{spans(&markup::spans(text))}</strong> },
        })
        .collect()
}

/// Running text of one line (a step, a check, a choice).
pub fn inline(text: &str) -> Html {
    spans(&markup::spans(text))
}

/// A whole explanation.
pub fn blocks(text: &str) -> Html {
    markup::parse(text)
        .iter()
        .map(|block| match block {
            Block::Paragraph(s) => html! { <p>{spans(s)}</p> },
            Block::List(items) => html! {
                <ul>{for items.iter().map(|item| html! { <li>{spans(item)}</li> })}</ul>
            },
        })
        .collect()
}
