//! The browser as a server: listen on a loopback port through the relay,
//! then talk on every connection it accepts (another tab can connect to it).

use std::rc::Rc;

use roundtrip_shared::lifecycle::SocketState;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, OpId, op_name};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::hooks::use_line_entry;
use crate::state::Accepted;

#[derive(Debug, Properties, PartialEq)]
pub struct Props {
    pub can_listen: bool,
    pub can_stop: bool,
    pub state: SocketState,
    /// Where the listener listens, while it does.
    pub listening_on: Option<String>,
    /// Every connection accepted in this relay session.
    pub connections: Vec<Accepted>,
    /// The id Listen gives the listener.
    pub next_op: OpId,
    /// The listener Stop closes, while there is one.
    pub listener: Option<OpId>,
    /// Every request, complete: `tcp_listen`, and `send` (a line: `\n` is
    /// added) and `close` on the listener or an accepted connection.
    pub on_request: Callback<ClientMsg>,
}

#[function_component(ListenPanel)]
pub fn listen_panel(props: &Props) -> Html {
    let port = use_state(String::new);
    let parsed: Result<Option<u16>, ()> = match port.trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| ()),
    };
    let on_port = {
        let port = port.clone();
        Callback::from(move |e: InputEvent| {
            port.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let on_listen = {
        let on_request = props.on_request.clone();
        let (can_listen, op) = (props.can_listen, props.next_op);
        Callback::from(move |_: MouseEvent| {
            if let (true, Ok(port)) = (can_listen, parsed) {
                on_request.emit(ClientMsg::TcpListen { op, port });
            }
        })
    };
    let on_stop = {
        let on_request = props.on_request.clone();
        let listener = props.listener.filter(|_| props.can_stop);
        Callback::from(move |_: MouseEvent| {
            if let Some(op) = listener {
                on_request.emit(ClientMsg::Close { op });
            }
        })
    };
    html! {
        <section class="panel listen" aria-labelledby="listen-heading">
            <h2 id="listen-heading">{"Listen (you are the server)"}</h2>
            <div class="field-row">
                <label for="listen-port">{"Port"}</label>
                <input id="listen-port" type="text" inputmode="numeric" placeholder="any free port"
                    class={classes!(parsed.is_err().then_some("invalid"))}
                    value={(*port).clone()} oninput={on_port} />
            </div>
            <div class="buttons">
                <button id="listen" class="primary" disabled={!props.can_listen || parsed.is_err()}
                    onclick={on_listen}>{"Listen"}</button>
                <button id="listen-stop" disabled={!props.can_stop} onclick={on_stop}>
                    {"Stop listening"}
                </button>
            </div>
            <p class="socket-now">
                {"State: "}
                <span id="listen-state" class="state-chip">{props.state.label()}</span>
                if let Some(addr) = &props.listening_on {
                    <span class="hint">{"connect to "}<code id="listen-addr">{addr.clone()}</code></span>
                }
            </p>
            <h3>
                {"Accepted connections "}
                <span class="byte-count">{format!("({})", props.connections.len())}</span>
            </h3>
            <ul id="accepted" class="connections">
                { for props.connections.iter().map(|conn| html! {
                    <ConnRow key={conn.op} conn={conn.clone()}
                        on_request={props.on_request.clone()} />
                }) }
            </ul>
        </section>
    }
}

#[derive(Debug, Properties, PartialEq)]
struct RowProps {
    conn: Accepted,
    on_request: Callback<ClientMsg>,
}

#[function_component(ConnRow)]
fn conn_row(props: &RowProps) -> Html {
    let conn = &props.conn;
    let line = {
        let on_request = props.on_request.clone();
        let (op, can_send) = (conn.op, conn.can_send);
        use_line_entry(
            String::new(),
            Rc::new(move |text: &str| {
                if can_send {
                    on_request.emit(ClientMsg::Send {
                        op,
                        data: Payload(format!("{text}\n").into_bytes()),
                    });
                }
                can_send
            }),
        )
    };
    let on_close = {
        let op = conn.op;
        props
            .on_request
            .reform(move |_: MouseEvent| ClientMsg::Close { op })
    };
    html! {
        <li class="conn" data-op={conn.op.to_string()}>
            <p class="conn-head">
                {op_name(conn.op)}{" from "}<code class="conn-peer">{conn.peer.clone()}</code>
                {" "}<span class="conn-state state-chip">{conn.state.label()}</span>
            </p>
            <pre class="conn-received">{String::from_utf8_lossy(&conn.received).into_owned()}</pre>
            <div class="field-row">
                <input class="conn-message" type="text" placeholder="a line to send"
                    aria-label={format!("Line to send on {}", op_name(conn.op))}
                    value={line.text.clone()} autocomplete="off" spellcheck="false"
                    oninput={line.on_input.clone()} onkeydown={line.on_key.clone()} />
                <button class="conn-send primary" disabled={!conn.can_send}
                    onclick={line.on_click.clone()}>{"Send line"}</button>
                <button class="conn-close" disabled={!conn.can_close}
                    onclick={on_close}>{"Close"}</button>
            </div>
        </li>
    }
}
