//! What the page's WebSocket to the relay tells the page: the vocabulary
//! between the browser's socket (in the frontend) and the page model.

use crate::protocol::{ClientMsg, OpId, RelayError, ServerMsg};

/// What the socket tells the page.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// The WebSocket is open and the hello is on its way.
    Opened,
    /// A message from the relay.
    Message(ServerMsg),
    /// Several messages that had all arrived when the page looked: the page
    /// takes them in one update (at most the frontend's `MAX_BATCH`).
    Messages(Vec<ServerMsg>),
    /// A frame from the relay that this page could not decode.
    Unreadable(RelayError),
    /// A message could not be handed to the browser's WebSocket.
    SendFailed(String),
    /// Requests that waited in the page (see `pacing::SEND_WINDOW`) and left now.
    Left(Vec<ClientMsg>),
    /// How many bytes of a connection's sends wait in the page now, and
    /// whether a shutdown waits behind them.
    Waiting {
        op: OpId,
        bytes: u64,
        shutdown: bool,
    },
    /// Bytes that waited in the page and will never be sent, and why.
    NotSent { op: OpId, bytes: u64, why: String },
    /// The WebSocket closed (or never opened). No notice follows this one.
    /// `code` is the close frame's when the relay sent one (see
    /// `protocol::SessionClose`), for the explanation.
    Closed { code: Option<u16>, reason: String },
}

impl Notice {
    /// The relay's messages in this notice.
    pub fn messages(&self) -> &[ServerMsg] {
        match self {
            Notice::Message(msg) => std::slice::from_ref(msg),
            Notice::Messages(msgs) => msgs,
            _ => &[],
        }
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
