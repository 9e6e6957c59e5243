//! The page's one WebSocket to the relay.
//!
//! Nothing else in the frontend touches a browser socket: components hand
//! [`ClientMsg`]s to [`RelaySocket::send`] and hear back through a callback of
//! [`Notice`]s. Frames are built and read only by `roundtrip_shared::wire`, so
//! the page speaks exactly the protocol the relay is tested against.

use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State, WebSocketError};
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, PROTOCOL_VERSION, RelayError, ServerMsg,
};
use roundtrip_shared::wire::{self, Frame};
use yew::Callback;

/// The most payload one `Send` carries. The relay refuses WebSocket messages
/// over 1 MiB; chunks far below that keep every frame safe whatever the
/// header, and keep one large paste from holding up the socket's queue.
pub const MAX_SEND_CHUNK: usize = 64 * 1024;

/// The most messages handed to the page in one [`Notice::Messages`]. While
/// the page draws, messages pile up in the socket; taking them together
/// makes one update of the views instead of one per message, so a flood of
/// echoes costs a few redraws, not thousands. The bound keeps each update
/// short.
pub const MAX_BATCH: usize = 1024;

/// What the socket tells the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The WebSocket is open and the hello is on its way.
    Opened,
    /// A message from the relay.
    Message(ServerMsg),
    /// Several messages that had all arrived when the page looked: the page
    /// takes them in one update (see [`MAX_BATCH`]).
    Messages(Vec<ServerMsg>),
    /// A frame from the relay that this page could not decode.
    Unreadable(RelayError),
    /// A message could not be handed to the browser's WebSocket.
    SendFailed(String),
    /// The WebSocket closed (or never opened). No notice follows this one.
    Closed { reason: String },
}

/// A live link to the relay. Dropping it closes the WebSocket.
#[derive(Debug)]
pub struct RelaySocket {
    outbox: mpsc::UnboundedSender<ClientMsg>,
}

impl RelaySocket {
    /// Opens a WebSocket to `url` and starts talking to the relay. Fails only
    /// when the browser rejects the URL outright; a relay that cannot be
    /// reached shows up as [`Notice::Closed`].
    pub fn open(url: &str, on_notice: Callback<Notice>) -> Result<Self, String> {
        let ws =
            WebSocket::open(url).map_err(|e| format!("cannot open a WebSocket to {url}: {e}"))?;
        let (outbox, queued) = mpsc::unbounded();
        wasm_bindgen_futures::spawn_local(run(ws, url.to_owned(), queued, on_notice));
        Ok(RelaySocket { outbox })
    }

    /// Queues `msg` for the relay and returns the messages that actually go
    /// out: a large `Send` leaves as several (see [`split_sends`]), and the
    /// trace should show the requests the relay really got. The list is
    /// empty when the link is already gone.
    pub fn send(&self, msg: ClientMsg) -> Vec<ClientMsg> {
        split_sends(msg)
            .into_iter()
            .take_while(|part| self.outbox.unbounded_send(part.clone()).is_ok())
            .collect()
    }

    /// Queues `msg` as it is, never split: a UDP `Send` is one datagram, and
    /// splitting it would send several. (The relay refuses datagrams over
    /// 65 507 bytes, far below its WebSocket message limit.) Returns whether
    /// it was queued.
    pub fn send_whole(&self, msg: ClientMsg) -> bool {
        self.outbox.unbounded_send(msg).is_ok()
    }
}

/// Splits a `Send` whose payload exceeds [`MAX_SEND_CHUNK`] into consecutive
/// sends of at most that size; every other message passes unchanged.
pub fn split_sends(msg: ClientMsg) -> Vec<ClientMsg> {
    match msg {
        ClientMsg::Send { op, data } if data.0.len() > MAX_SEND_CHUNK => data
            .0
            .chunks(MAX_SEND_CHUNK)
            .map(|chunk| ClientMsg::Send {
                op,
                data: Payload(chunk.to_vec()),
            })
            .collect(),
        other => vec![other],
    }
}

/// The relay's WebSocket address for a page served from `protocol//host`:
/// the relay serves the page and the socket from the same origin.
pub fn relay_url(page_protocol: &str, host: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{host}/ws")
}

/// [`relay_url`] for the page currently loaded.
pub fn page_relay_url() -> Result<String, String> {
    let location = web_sys::window()
        .ok_or("no browser window to take the relay's address from")?
        .location();
    let read = |value: Result<String, wasm_bindgen::JsValue>| {
        value.map_err(|e| format!("cannot read the page's address: {e:?}"))
    };
    Ok(relay_url(
        &read(location.protocol())?,
        &read(location.host())?,
    ))
}

/// Whichever happens first: a frame from the relay or a message to send.
enum Next {
    Incoming(Option<Result<Message, WebSocketError>>),
    // Boxed: a request is far larger than a frame's handle.
    Outgoing(Option<Box<ClientMsg>>),
}

async fn run(
    mut ws: WebSocket,
    url: String,
    mut outbox: mpsc::UnboundedReceiver<ClientMsg>,
    on_notice: Callback<Notice>,
) {
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        data: DataEncoding::Binary,
    };
    // The sink waits for the socket to open, but it also wakes when opening
    // fails (and the browser then drops the frame silently), so only the
    // ready state says whether the relay is really there.
    let opened = ws.send(to_message(&hello)).await.is_ok() && matches!(ws.state(), State::Open);
    if opened {
        on_notice.emit(Notice::Opened);
    }
    let mut close_reason = None;
    // Something taken from the socket while batching, handled next.
    let mut held = None;
    loop {
        let next = match held.take() {
            Some(incoming) => Next::Incoming(incoming),
            None => match select(ws.next(), outbox.next()).await {
                Either::Left((incoming, _)) => Next::Incoming(incoming),
                Either::Right((outgoing, _)) => Next::Outgoing(outgoing.map(Box::new)),
            },
        };
        match next {
            Next::Incoming(Some(Ok(message))) => {
                let mut batch = vec![message];
                while batch.len() < MAX_BATCH {
                    match ws.next().now_or_never() {
                        Some(Some(Ok(message))) => batch.push(message),
                        Some(other) => {
                            held = Some(other);
                            break;
                        }
                        None => break,
                    }
                }
                for notice in notices(batch) {
                    on_notice.emit(notice);
                }
            }
            Next::Incoming(Some(Err(WebSocketError::ConnectionClose(event)))) => {
                close_reason = Some(if !opened {
                    format!("could not reach the relay at {url}")
                } else if event.code == 1000 {
                    "the relay closed the connection".to_owned()
                } else if event.code == 1001 {
                    "the relay is shutting down (WebSocket code 1001)".to_owned()
                } else if event.reason.is_empty() {
                    format!(
                        "lost the connection to the relay (WebSocket code {})",
                        event.code
                    )
                } else {
                    format!(
                        "lost the connection to the relay: {} (WebSocket code {})",
                        event.reason, event.code
                    )
                });
            }
            // The error event carries no detail; the close event that always
            // follows it says what happened.
            Next::Incoming(Some(Err(_))) => {}
            Next::Incoming(None) => {
                let reason =
                    close_reason.unwrap_or_else(|| "the connection to the relay closed".to_owned());
                on_notice.emit(Notice::Closed { reason });
                return;
            }
            Next::Outgoing(Some(msg)) => {
                if let Err(e) = ws.send(to_message(&msg)).await {
                    on_notice.emit(Notice::SendFailed(format!(
                        "could not send to the relay: {e}"
                    )));
                }
            }
            // The page dropped its `RelaySocket`: nobody listens any more.
            // Returning drops `ws`, which closes the WebSocket.
            Next::Outgoing(None) => return,
        }
    }
}

fn to_message(msg: &ClientMsg) -> Message {
    match wire::encode_client(msg) {
        Frame::Text(text) => Message::Text(text),
        Frame::Binary(bytes) => Message::Bytes(bytes),
    }
}

/// The notices for messages read together: runs of readable messages as
/// one [`Notice::Messages`] (a lone one as [`Notice::Message`]), each
/// unreadable frame on its own, in order.
pub fn notices(batch: Vec<Message>) -> Vec<Notice> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    let flush = |run: &mut Vec<ServerMsg>, out: &mut Vec<Notice>| match run.len() {
        0 => {}
        1 => out.extend(run.pop().map(Notice::Message)),
        _ => out.push(Notice::Messages(std::mem::take(run))),
    };
    for message in batch {
        match read(message) {
            Notice::Message(msg) => run.push(msg),
            other => {
                flush(&mut run, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn read(message: Message) -> Notice {
    let frame = match message {
        Message::Text(text) => Frame::Text(text),
        Message::Bytes(bytes) => Frame::Binary(bytes),
    };
    match wire::decode_server(&frame) {
        Ok(msg) => Notice::Message(msg),
        Err(error) => Notice::Unreadable(RelayError::new(
            error.code,
            format!(
                "the relay sent a message this page cannot read: {}",
                error.message
            ),
        )),
    }
}
