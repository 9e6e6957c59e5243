//! Writing bytes to the open connection and reading what came back.

use std::rc::Rc;

use roundtrip_shared::payload::format_bytes;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::hooks::use_line_entry;
use crate::state::Held;

/// What to append to each message. Line-based protocols (SMTP, HTTP, Redis)
/// only act on a line once its ending arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineEnding {
    None,
    Lf,
    CrLf,
}

impl LineEnding {
    const ALL: [LineEnding; 3] = [LineEnding::None, LineEnding::Lf, LineEnding::CrLf];

    fn value(self) -> &'static str {
        match self {
            LineEnding::None => "none",
            LineEnding::Lf => "lf",
            LineEnding::CrLf => "crlf",
        }
    }

    fn label(self) -> &'static str {
        match self {
            LineEnding::None => "nothing",
            LineEnding::Lf => "\\n",
            LineEnding::CrLf => "\\r\\n",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::None => b"",
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }

    fn from_value(value: &str) -> LineEnding {
        LineEnding::ALL
            .into_iter()
            .find(|ending| ending.value() == value)
            .unwrap_or(LineEnding::None)
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub can_send: bool,
    /// What the current connection received (the newest bytes of a long
    /// stream), as lossy UTF-8.
    pub received: AttrValue,
    /// How many bytes the connection received in all.
    pub received_bytes: u64,
    /// Earlier bytes are not in `received` (only the newest are shown).
    #[prop_or_default]
    pub received_earlier: bool,
    /// Gets the bytes to write.
    pub on_send: Callback<Vec<u8>>,
    /// Text from an experiment link, ready to send.
    #[prop_or_default]
    pub preset: AttrValue,
    /// Bytes sent that wait in the page for the peer to read earlier ones,
    /// and whether a shutdown waits behind them.
    #[prop_or_default]
    pub waiting: Held,
}

#[function_component(MessagePanel)]
pub fn message_panel(props: &Props) -> Html {
    let ending = use_state(|| LineEnding::None);
    let line = {
        let ending = *ending;
        let on_send = props.on_send.clone();
        let can_send = props.can_send;
        use_line_entry(
            props.preset.to_string(),
            Rc::new(move |text: &str| {
                let mut bytes = text.as_bytes().to_vec();
                bytes.extend_from_slice(ending.bytes());
                // TCP has nothing to carry for zero bytes, and nothing would
                // come back.
                let sent = can_send && !bytes.is_empty();
                if sent {
                    on_send.emit(bytes);
                }
                sent
            }),
        )
    };
    // yew builds a list's options last to first, so the browser would select
    // the last one; set the value once the options exist.
    let ending_ref = use_node_ref();
    {
        let ending_ref = ending_ref.clone();
        use_effect_with(*ending, move |ending| {
            if let Some(select) = ending_ref.cast::<HtmlSelectElement>() {
                select.set_value(ending.value());
            }
        });
    }
    let on_ending = {
        let ending = ending.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            ending.set(LineEnding::from_value(&value));
        })
    };

    html! {
        <section class="panel message" aria-labelledby="message-heading">
            <h2 id="message-heading">{"Message"}</h2>
            <div class="field-row">
                <label for="message">{"Text"}</label>
                <input id="message" type="text" value={line.text.clone()} placeholder="hello"
                    autocomplete="off" spellcheck="false"
                    oninput={line.on_input.clone()} onkeydown={line.on_key.clone()} />
                <button id="send" class="primary" disabled={!props.can_send}
                    onclick={line.on_click.clone()}>{"Send"}</button>
            </div>
            <div class="field-row">
                <label for="line-ending">{"Then send"}</label>
                <select id="line-ending" ref={ending_ref} onchange={on_ending}>
                    { for LineEnding::ALL.into_iter().map(|option| html! {
                        <option value={option.value()}>
                            {option.label()}
                        </option>
                    }) }
                </select>
            </div>
            if props.waiting.bytes > 0 {
                <p id="send-waiting" class="hint" role="status">
                    {format!(
                        "{} waiting to be sent: the peer reads slower than you send, \
                         so the page sends more as the relay writes what went before \
                         (where a program's send() would block).{}",
                        format_bytes(props.waiting.bytes),
                        if props.waiting.shutdown { " The shutdown (FIN) goes after them." } else { "" }
                    )}
                </p>
            }
            <h3 class="received-heading">
                {"Received "}<span class="byte-count">{format!("({} bytes)", props.received_bytes)}</span>
            </h3>
            if props.received_earlier {
                <p class="hint" id="received-earlier">{format!("Showing the newest {} KiB of what arrived; the count above is all of it.", crate::state::SHOWN_RECEIVED / 1024)}</p>
            }
            <pre id="received" aria-live="polite">{props.received.clone()}</pre>
        </section>
    }
}
