//! What every operation shares: the commands a session forwards to it.
//!
//! An operation is one task (a TCP connection, a listener, a UDP
//! socket, a DNS query, an HTTP request) started by the session. The session
//! keeps only the sending end of the operation's command channel; the task
//! owns everything else and reports through its [`crate::report::Reporter`].
//! When the session ends, the channel closes and the task ends with it.
//!
//! Most operations are started by the browser. A listener creates
//! operations of its own, one per accepted connection: it takes an id from
//! the session's [`Spawner`] and registers the new operation's command sender
//! with the session, which routes the browser's requests to it from then on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use roundtrip_shared::protocol::{FIRST_RELAY_OP, OpId, RelayError};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::report::Halt;

/// What the browser asks of a running operation, in the order it asked.
#[derive(Debug)]
pub enum Command {
    /// Write these bytes. Often a slice of the WebSocket frame they came
    /// in, passed on without a copy.
    Send(bytes::Bytes),
    /// Send one datagram to this target (UDP only).
    SendTo { target: String, data: bytes::Bytes },
    /// Half-close: write what waits, then shut down the sending side.
    Shutdown,
    /// End the operation (for a connection: write what waits, then close).
    Close,
    /// End the operation; a TCP connection is aborted (`SO_LINGER` 0: what
    /// waits is dropped and an RST goes to the peer). Anything else closes.
    Abort,
}

/// Closes that could not wait in an operation's command queue. A TCP
/// connection whose peer stopped reading stops taking commands (its queue
/// is full of bytes nobody takes); the browser's `close` still has to reach
/// it, so the session asks for it here and the connection listens.
/// One per session, shared by its operations.
#[derive(Debug, Default)]
pub struct Closing {
    /// Each operation asked, and whether to abort it.
    asked: Mutex<HashMap<OpId, bool>>,
    changed: Notify,
}

impl Closing {
    /// Asks `op` to close, or to abort: an abort asked once stays asked.
    pub fn ask(&self, op: OpId, abort: bool) {
        *self
            .asked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(op)
            .or_default() |= abort;
        self.changed.notify_waiters();
    }

    /// Forgets `op` (it ended).
    pub fn forget(&self, op: OpId) {
        self.asked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&op);
    }

    /// Returns once `op` is asked to close: whether to abort it.
    pub async fn asked(&self, op: OpId) -> bool {
        loop {
            // Listen before looking, so that no ask falls in between.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(&abort) = self
                .asked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get(&op)
            {
                return abort;
            }
            changed.await;
        }
    }
}

/// An operation the relay created, for the session to route requests to.
#[derive(Debug)]
pub struct Registration {
    pub op: OpId,
    pub commands: mpsc::Sender<Command>,
    /// The session's answer: routed from now on, or refused (the session
    /// is at its limit of operations).
    pub admitted: oneshot::Sender<Result<(), RelayError>>,
}

/// What [`Spawner::create`] gives: the new id, its commands, and the
/// session's answer to come.
pub type Created = (
    OpId,
    mpsc::Receiver<Command>,
    oneshot::Receiver<Result<(), RelayError>>,
);

/// How operations create operations: relay-chosen ids, registered with the
/// session. One per session; cheap to clone.
///
/// The registration queue is unbounded, yet small: an operation waits for
/// the session's answer before it creates the next one, so at most one
/// registration per such operation is ever waiting.
#[derive(Debug, Clone)]
pub struct Spawner {
    next: Arc<AtomicU32>,
    registrations: mpsc::UnboundedSender<Registration>,
    /// The session's client address, which the sockets it opens count
    /// against.
    client: std::net::IpAddr,
}

impl Spawner {
    pub fn new(
        registrations: mpsc::UnboundedSender<Registration>,
        client: std::net::IpAddr,
    ) -> Self {
        Spawner {
            next: Arc::new(AtomicU32::new(0)),
            registrations,
            client,
        }
    }

    /// The session's client address.
    pub fn client(&self) -> std::net::IpAddr {
        self.client
    }

    /// Takes the next relay-chosen id and asks the session to route it to a
    /// new command channel. Once the answer is `Ok`, requests about the id
    /// reach the returned receiver: the caller may announce it.
    pub fn create(&self, capacity: usize) -> Result<Created, Halt> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let op = FIRST_RELAY_OP | (n & !FIRST_RELAY_OP);
        let (commands, command_rx) = mpsc::channel(capacity);
        let (admitted, answer) = oneshot::channel();
        self.registrations
            .send(Registration {
                op,
                commands,
                admitted,
            })
            .map_err(|_| Halt::SessionGone)?;
        Ok((op, command_rx, answer))
    }
}
