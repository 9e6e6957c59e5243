//! The payload inspector: any payload of the trace as text (encoding named,
//! bad bytes marked), as a hex dump, or as JSON with the keys a lesson
//! expects; for HTTP the raw exchange, and for HTTPS with wire bytes the
//! TLS records an eavesdropper sees beside the decrypted exchange.
//!
//! Everything shown comes from `shared::inspect`, `hexdump`, `json_check`
//! and `tls_record`; the component keeps only what the learner picked.

use std::rc::Rc;

use roundtrip_shared::diagram::format_micros;
use roundtrip_shared::hexdump::{self, TextPiece};
use roundtrip_shared::inspect::{self, Direction, PayloadItem};
use roundtrip_shared::json_check;
use roundtrip_shared::payload::format_bytes;
use roundtrip_shared::protocol::WireDir;
use roundtrip_shared::trace::Trace;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub trace: Rc<Trace>,
    /// Expected keys to start with (a lesson's `city:string temp:number`);
    /// the field follows when they change.
    #[prop_or_default]
    pub keys: AttrValue,
}

/// How the picked payload is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Text,
    Hex,
    Json,
}

impl Tab {
    fn name(self) -> &'static str {
        match self {
            Tab::Text => "Text",
            Tab::Hex => "Hex",
            Tab::Json => "JSON",
        }
    }
}

#[function_component(PayloadInspector)]
pub fn payload_inspector(props: &Props) -> Html {
    // `None`: follow the newest payload.
    let picked = use_state(|| None::<usize>);
    // `None`: JSON when the payload is JSON, text otherwise.
    let tab = use_state(|| None::<Tab>);
    let expected = use_state(|| props.keys.to_string());
    {
        let expected = expected.clone();
        use_effect_with(props.keys.clone(), move |keys| {
            expected.set(keys.to_string())
        });
    }

    let items = inspect::items(&props.trace);
    let index = picked
        .filter(|i| *i < items.len())
        .or_else(|| items.len().checked_sub(1));

    let on_pick = {
        let picked = picked.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            picked.set(value.parse().ok());
        })
    };
    let on_keys = {
        let expected = expected.clone();
        Callback::from(move |e: InputEvent| {
            expected.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };

    let Some(index) = index else {
        return html! {
            <section class="panel inspector" aria-labelledby="inspector-heading">
                <h2 id="inspector-heading">{"Payload inspector"}</h2>
                <p id="inspector-empty" class="view-empty">
                    {"No payloads yet: send data, a datagram or an HTTP request."}
                </p>
            </section>
        };
    };
    let item = &items[index];
    let json = json_check::json_view(&item.bytes);
    let shown = tab.unwrap_or(if json.is_some() { Tab::Json } else { Tab::Text });
    let text = hexdump::text_view(&item.bytes);

    let tab_button = |which: Tab| {
        let tab = tab.clone();
        let selected = shown == which;
        let disabled = which == Tab::Json && json.is_none();
        html! {
            <button role="tab" class={classes!("tab", selected.then_some("is-selected"))}
                id={format!("inspector-tab-{}", which.name().to_lowercase())}
                aria-selected={selected.to_string()} {disabled}
                onclick={Callback::from(move |_: MouseEvent| tab.set(Some(which)))}>
                {which.name()}
            </button>
        }
    };

    let body = match shown {
        Tab::Text => html! {
            <pre id="inspector-text" class="payload-text">
                { for text.pieces.iter().map(|piece| match piece {
                    TextPiece::Text(t) => html! { {t.clone()} },
                    TextPiece::Invalid(bytes) => html! {
                        <mark class="invalid-bytes" title="not UTF-8">{bytes.clone()}</mark>
                    },
                }) }
            </pre>
        },
        Tab::Hex => html! {
            <pre id="inspector-hex" class="hexdump">
                { for hexdump::hex_lines(&item.bytes).into_iter().map(|line| html! {
                    <span class="hex-line">
                        <span class="hex-offset">{line.offset}{": "}</span>
                        <span class="hex-bytes">{line.hex}</span>
                        {"  "}
                        <span class="hex-ascii">{line.ascii}</span>
                        {"\n"}
                    </span>
                }) }
            </pre>
        },
        Tab::Json => html! {
            <pre id="inspector-json" class="payload-json">
                {json.as_ref().map(|j| j.pretty.clone()).unwrap_or_default()}
            </pre>
        },
    };
    // The expected keys: with a JSON payload, and with any payload that
    // came in once keys are asked for (a body that is not JSON says why).
    let asked = !expected.trim().is_empty() && item.dir == Direction::In;
    let keys = (shown == Tab::Json || asked).then(|| {
        let checks = json_check::check_keys(&item.bytes, &json_check::parse_key_list(&expected));
        let not_json = json_check::parse_error(&item.bytes).filter(|_| !checks.is_empty());
        html! {
            <>
                <div class="field-row">
                    <label for="inspector-keys">{"Expected keys"}</label>
                    <input id="inspector-keys" type="text" value={(*expected).clone()}
                        placeholder="url, headers.Host, items.0.id, temp:number"
                        autocomplete="off" spellcheck="false" oninput={on_keys} />
                </div>
                if let Some(why) = not_json {
                    <p id="inspector-not-json" class="key-missing">
                        {"Not JSON: "}{why}
                    </p>
                }
                <ul id="inspector-key-checks" class="key-checks">
                    { for checks.iter().map(|check| html! {
                        <li class={if check.ok() { "key-present" } else { "key-missing" }}>
                            {if check.ok() { "✓ " } else { "✗ " }}
                            {crate::learn::text::inline(&check.words())}
                        </li>
                    }) }
                </ul>
            </>
        }
    });

    html! {
        <section class="panel inspector" aria-labelledby="inspector-heading">
            <h2 id="inspector-heading">{"Payload inspector"}</h2>
            <div class="field-row">
                <label for="inspector-pick">{"Payload"}</label>
                <select id="inspector-pick" onchange={on_pick}>
                    { for items.iter().enumerate().map(|(i, it)| html! {
                        <option value={i.to_string()} selected={i == index}>{it.label.clone()}</option>
                    }) }
                </select>
            </div>
            { meta(item, &text.encoding) }
            <div class="tabs" role="tablist" aria-label="Show as">
                { tab_button(Tab::Text) }
                { tab_button(Tab::Hex) }
                { tab_button(Tab::Json) }
            </div>
            { body }
            { keys.unwrap_or_default() }
            { http_part(&props.trace, item) }
        </section>
    }
}

/// Which way, how big, which encoding.
fn meta(item: &PayloadItem, encoding: &str) -> Html {
    let (class, words) = match item.dir {
        Direction::Out => ("dir-out", "browser → target"),
        Direction::In => ("dir-in", "target → browser"),
    };
    html! {
        <p id="inspector-meta" class="inspector-meta">
            <span class={classes!("dir-badge", class)}>{words}</span>
            <span id="inspector-size">{format_bytes(item.bytes.len() as u64)}</span>
            <span id="inspector-encoding" class="encoding">{format!("encoding: {encoding}")}</span>
        </p>
    }
}

/// For a payload of an HTTP operation: the exchange as raw text, and with
/// HTTPS wire bytes the records an eavesdropper sees beside it.
fn http_part(trace: &Trace, item: &PayloadItem) -> Html {
    let Some(messages) = inspect::http_messages(trace, item.op) else {
        return html! {};
    };
    let wire = inspect::wire_bytes(trace, item.op);
    let decrypted = html! {
        <div class="http-raw">
            <h3>{"Request"}</h3>
            <pre id="inspector-http-request">{messages.request.clone()}</pre>
            <h3>{"Response"}</h3>
            <pre id="inspector-http-response">{messages.response_text()}</pre>
        </div>
    };
    if !wire.tls || (wire.out.is_empty() && wire.inbound.is_empty()) {
        return html! {
            <div id="inspector-http" class="inspector-http">
                <h3 class="sub">{format!("HTTP exchange (op {})", item.op)}</h3>
                { decrypted }
            </div>
        };
    }
    // Both directions in the order the records crossed the socket.
    let records = inspect::tls_records(trace, item.op)
        .into_iter()
        .map(|r| {
            let (class, arrow) = match r.dir {
                WireDir::Out => ("dir-out", "→"),
                WireDir::In => ("dir-in", "←"),
            };
            let record = r.record;
            let head: String = record
                .bytes
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ");
            html! {
                <tr class={classes!(class, record.partial.then_some("is-partial"))}>
                    <td class="arrow">{arrow}</td>
                    <td class="num record-time">{r.at_us.map(format_micros).unwrap_or_default()}</td>
                    <td class="record-type">{record.content_type}</td>
                    <td>{record.message.unwrap_or("")}</td>
                    <td class="num">{record.length}</td>
                    <td class="record-bytes">{head}{"…"}</td>
                </tr>
            }
        })
        .collect::<Html>();
    html! {
        <div id="inspector-http" class="inspector-http">
            <h3 class="sub">{format!("HTTPS exchange (op {})", item.op)}</h3>
            <div class="eavesdrop">
                <div class="eavesdrop-wire">
                    <h3>{"What an eavesdropper sees"}</h3>
                    <p class="hint">{"TLS records on the wire: only their type and length are readable. "}{roundtrip_shared::http_view::SNI_NOTE}</p>
                    <table id="inspector-tls-records" class="tls-records">
                        <thead>
                            <tr><th></th><th title="The relay's time into the request when the record began to cross">{"at"}</th><th>{"record"}</th><th>{"message"}</th><th>{"bytes"}</th><th>{"first bytes"}</th></tr>
                        </thead>
                        <tbody>
                            { records }
                        </tbody>
                    </table>
                </div>
                <div class="eavesdrop-plain">
                    <h3>{"What the endpoints see (decrypted)"}</h3>
                    { decrypted }
                </div>
            </div>
        </div>
    }
}
