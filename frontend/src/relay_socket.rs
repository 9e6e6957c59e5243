//! The page's one WebSocket to the relay.
//!
//! Nothing else in the frontend touches a browser socket: components hand
//! [`ClientMsg`]s to [`RelaySocket::send`] and hear back through a callback of
//! [`Notice`]s. Frames are built and read only by `roundtrip_shared::frame`, so
//! the page speaks exactly the protocol the relay is tested against.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State, WebSocketError};
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::pacing::{Change, Pacer};
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, OpId, PROTOCOL_VERSION, RelayError, ServerMsg, SessionClose,
};
use yew::Callback;

pub use roundtrip_shared::pacing::{MAX_SEND_CHUNK, MAX_SENDS_ON_WAY, SEND_WINDOW};

/// The most messages handed to the page in one [`Notice::Messages`]. While
/// the page draws, messages pile up in the socket; taking them together
/// makes one update of the views instead of one per message, so a flood of
/// echoes costs a few redraws, not thousands. The bound keeps each update
/// short.
pub const MAX_BATCH: usize = 1024;

pub use roundtrip_shared::page::Notice;

/// A live link to the relay. Dropping it closes the WebSocket.
#[derive(Debug)]
pub struct RelaySocket {
    /// Tells the socket's task that the pacer has messages ready.
    wake: mpsc::UnboundedSender<()>,
    pacer: Rc<RefCell<Pacer>>,
    on_notice: Callback<Notice>,
    /// False once dropped: see [`RelaySocket::open`].
    alive: Rc<Cell<bool>>,
}

impl RelaySocket {
    /// Opens a WebSocket to `url` and starts talking to the relay. Fails only
    /// when the browser rejects the URL outright; a relay that cannot be
    /// reached shows up as [`Notice::Closed`].
    pub fn open(url: &str, on_notice: Callback<Notice>) -> Result<Self, String> {
        let ws =
            WebSocket::open(url).map_err(|e| format!("cannot open a WebSocket to {url}: {e}"))?;
        let (wake, woken) = mpsc::unbounded();
        let pacer = Rc::new(RefCell::new(Pacer::new(SEND_WINDOW, MAX_SENDS_ON_WAY)));
        // Once the page drops this socket (a reconnect), its task may still
        // read a last batch: nothing it says may reach the new session.
        let alive = Rc::new(Cell::new(true));
        let on_notice = {
            let alive = alive.clone();
            Callback::from(move |notice| {
                if alive.get() {
                    on_notice.emit(notice);
                }
            })
        };
        wasm_bindgen_futures::spawn_local(run(
            ws,
            url.to_owned(),
            woken,
            pacer.clone(),
            on_notice.clone(),
        ));
        Ok(RelaySocket {
            wake,
            pacer,
            on_notice,
            alive,
        })
    }

    /// Queues `msg` for the relay and returns the messages that leave now:
    /// a large `Send` leaves as several (see [`split_sends`]), and pieces
    /// past the connection's [`SEND_WINDOW`] wait in the page, to be told in
    /// a [`Notice::Left`] when they go; the trace should show the requests
    /// the relay really got, when it got them. `None` when the link is
    /// already gone.
    pub fn send(&self, msg: ClientMsg) -> Option<Vec<ClientMsg>> {
        self.queue(split_sends(msg), true)
    }

    /// Queues `msg` as it is, never split or held: a UDP `Send` is one
    /// datagram, and splitting it would send several. (The relay refuses
    /// datagrams over 65 507 bytes, far below its WebSocket message limit.)
    /// Returns whether it was queued.
    pub fn send_whole(&self, msg: ClientMsg) -> bool {
        self.queue(vec![msg], false).is_some()
    }

    fn queue(&self, parts: Vec<ClientMsg>, paced: bool) -> Option<Vec<ClientMsg>> {
        if self.wake.is_closed() {
            return None;
        }
        let mut now = Vec::new();
        let mut changes = Vec::new();
        for part in parts {
            let (ready, changed) = self.pacer.borrow_mut().offer(part.clone(), paced);
            if ready {
                now.push(part);
            }
            changes.extend(changed);
        }
        tell(&self.on_notice, changes);
        self.wake.unbounded_send(()).ok()?;
        Some(now)
    }
}

impl Drop for RelaySocket {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

/// Tells the page what the pacer's changes mean for it: of several counts
/// of one connection's waiting bytes, only the last (a large paste waits
/// in many pieces, and each notice is an update of the page).
fn tell(on_notice: &Callback<Notice>, changes: Vec<Change>) {
    let last_count = |i: usize, op: OpId| {
        !changes[i + 1..]
            .iter()
            .any(|later| matches!(later, Change::Waiting { op: o, .. } if *o == op))
    };
    for (i, change) in changes.iter().enumerate() {
        on_notice.emit(match change.clone() {
            Change::Waiting { op, .. } if !last_count(i, op) => continue,
            Change::Waiting {
                op,
                bytes,
                shutdown,
            } => Notice::Waiting {
                op,
                bytes,
                shutdown,
            },
            Change::Dropped { op, bytes, why } => Notice::NotSent {
                op,
                bytes,
                why: why.to_owned(),
            },
        });
    }
}

pub use roundtrip_shared::pacing::split_sends;
pub use roundtrip_shared::page::relay_url;

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

/// Whichever happens first: a frame from the relay or messages to send.
enum Next {
    Incoming(Option<Result<Message, WebSocketError>>),
    /// The pacer has messages ready; `None`: the page dropped its socket.
    Outgoing(Option<()>),
}

async fn run(
    mut ws: WebSocket,
    url: String,
    mut woken: mpsc::UnboundedReceiver<()>,
    pacer: Rc<RefCell<Pacer>>,
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
    let mut closed = None;
    // Something taken from the socket while batching, handled next.
    let mut held = None;
    loop {
        let next = match held.take() {
            Some(incoming) => Next::Incoming(incoming),
            None => match select(ws.next(), woken.next()).await {
                Either::Left((incoming, _)) => Next::Incoming(incoming),
                Either::Right((outgoing, _)) => Next::Outgoing(outgoing),
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
                let notices = notices(batch);
                // The relay's `sent`s make room for sends that waited; the
                // page hears of them after what made the room.
                let mut changes = Vec::new();
                for msg in notices.iter().flat_map(Notice::messages) {
                    changes.extend(pacer.borrow_mut().heard(msg));
                }
                // Only once all are heard: one may end a connection.
                let (left, released) = pacer.borrow_mut().release();
                changes.extend(released);
                for notice in notices {
                    on_notice.emit(notice);
                }
                if !left.is_empty() {
                    on_notice.emit(Notice::Left(left));
                }
                tell(&on_notice, changes);
                put_on_wire(&mut ws, &pacer, &on_notice).await;
            }
            Next::Incoming(Some(Err(WebSocketError::ConnectionClose(event)))) => {
                closed = Some(if !opened {
                    (None, format!("could not reach the relay at {url}"))
                } else {
                    (Some(event.code), lost_reason(event.code, &event.reason))
                });
            }
            // The error event carries no detail; the close event that always
            // follows it says what happened.
            Next::Incoming(Some(Err(_))) => {}
            Next::Incoming(None) => {
                let dropped = pacer.borrow_mut().link_lost();
                tell(&on_notice, dropped);
                let (code, reason) = closed
                    .unwrap_or_else(|| (None, "the connection to the relay closed".to_owned()));
                on_notice.emit(Notice::Closed { code, reason });
                return;
            }
            Next::Outgoing(Some(())) => {
                put_on_wire(&mut ws, &pacer, &on_notice).await;
            }
            // The page dropped its `RelaySocket`: nobody listens any more.
            // Returning drops `ws`, which closes the WebSocket.
            Next::Outgoing(None) => return,
        }
    }
}

/// Sends what the pacer has ready, in order.
async fn put_on_wire(ws: &mut WebSocket, pacer: &RefCell<Pacer>, on_notice: &Callback<Notice>) {
    // Not borrowed across the await: the page may queue more meanwhile.
    loop {
        let Some(msg) = pacer.borrow_mut().next_ready() else {
            return;
        };
        if let Err(e) = ws.send(to_message(&msg)).await {
            on_notice.emit(Notice::SendFailed(format!(
                "could not send to the relay: {e}"
            )));
        }
    }
}

/// What the page says when the relay's WebSocket closes with `code`: the
/// relay's own reason when it gave one. The code travels beside it (in
/// [`Notice::Closed`]) for the explanation; nothing reads it back from here.
pub fn lost_reason(code: u16, reason: &str) -> String {
    match (code, reason.is_empty()) {
        (1000, _) => "the relay closed the connection".to_owned(),
        (_, _) if code == SessionClose::GoingAway.code() => "the relay is shutting down".to_owned(),
        (_, true) => format!("lost the connection to the relay (WebSocket code {code})"),
        (_, false) => format!("lost the connection to the relay: {reason} (WebSocket code {code})"),
    }
}

fn to_message(msg: &ClientMsg) -> Message {
    match frame::encode_client(msg) {
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
    match frame::decode_server(&frame) {
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
