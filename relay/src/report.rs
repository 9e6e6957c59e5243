//! How an operation tells the browser what happened.
//!
//! Every event is stamped with microseconds since its operation started,
//! measured on the relay's monotonic clock when the event is sent, so the
//! stamps of one operation never go backwards.

use std::time::Instant;

use bytes::{BufMut as _, Bytes, BytesMut};
use roundtrip_shared::frame;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{Event, EventKind, OpId, RelayError, ServerMsg};
use tokio::sync::mpsc;

use crate::telemetry::{self, Direction};

/// Something for the session's writer task to send.
#[derive(Debug)]
pub enum Outgoing {
    /// Boxed: the writer's queue allocates room for 32 of these per
    /// session up front, idle or not, and a `ServerMsg` is 144 bytes.
    Msg(Box<ServerMsg>),
    /// A binary `data` frame, built where the bytes were read (see
    /// [`read_buffer`]).
    Data(Bytes),
}

impl Outgoing {
    pub fn msg(msg: ServerMsg) -> Self {
        Outgoing::Msg(Box::new(msg))
    }
}

/// A buffer for one read from a socket: room for a `data` frame's header,
/// then for up to `capacity` bytes. What is read into it goes to the browser
/// as it lies ([`Reporter::received`]): no copy on the way. A connection
/// takes one only when it reads, so an idle one holds none.
pub fn read_buffer(capacity: usize) -> BytesMut {
    let mut buf = BytesMut::with_capacity(frame::DATA_HEADER + capacity);
    buf.put_bytes(0, frame::DATA_HEADER);
    buf
}

/// Why an operation must stop at once and drop its sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// Its session ended: nobody is listening any more.
    SessionGone,
    /// It spent the session's byte total; its `failed` event is sent (the
    /// session itself goes on).
    BudgetSpent,
}

/// One operation's way to report.
#[derive(Debug, Clone)]
pub struct Reporter {
    op: OpId,
    start: Instant,
    out: mpsc::Sender<Outgoing>,
    /// The session's byte budget towards the browser, when it has one.
    budget: Option<std::sync::Arc<crate::limits::Budget>>,
    /// Where the session asks for closes that could not be queued.
    closing: Option<std::sync::Arc<crate::op::Closing>>,
    /// Cancelled when the session ends.
    ended: tokio_util::sync::CancellationToken,
    /// What kind of operation this is, for the metrics (`tcp`, `dns`, ...).
    kind: &'static str,
    /// Set once the operation's first event went out (shared by the
    /// reporter's clones: one operation, one first event).
    reported: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Reporter {
    /// Starts the operation's clock.
    pub fn new(op: OpId, out: mpsc::Sender<Outgoing>) -> Self {
        Reporter {
            op,
            start: Instant::now(),
            out,
            budget: None,
            closing: None,
            ended: tokio_util::sync::CancellationToken::new(),
            kind: "operation",
            reported: std::sync::Arc::default(),
        }
    }

    /// Names the operation's kind in the metrics.
    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    /// Ends with the session: reports fail with [`Halt::SessionGone`] from then
    /// on, and [`Reporter::session_ended`] returns.
    pub fn with_session_end(mut self, ended: tokio_util::sync::CancellationToken) -> Self {
        self.ended = ended;
        self
    }

    /// Returns once the session has ended. An operation that has stopped
    /// taking commands (its peer stopped reading) watches this, so that it
    /// does not outlive its session.
    pub async fn session_ended(&self) {
        self.ended.cancelled().await;
    }

    /// Listens for closes the session could not queue (see
    /// [`crate::op::Closing`]).
    pub fn with_closing(mut self, closing: std::sync::Arc<crate::op::Closing>) -> Self {
        self.closing = Some(closing);
        self
    }

    /// Returns once the browser asked this operation to close while its
    /// command queue was full (whether to abort it); never without a
    /// session.
    pub async fn close_asked(&self) -> bool {
        match &self.closing {
            Some(closing) => closing.asked(self.op).await,
            None => std::future::pending().await,
        }
    }

    /// Received bytes wait for the session's budget before they are sent.
    pub fn with_budget(mut self, budget: std::sync::Arc<crate::limits::Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// How long a connection of this operation may idle, and live.
    pub fn socket_times(&self) -> Option<(std::time::Duration, std::time::Duration)> {
        self.budget
            .as_ref()
            .map(|budget| (budget.socket_idle, budget.socket_lifetime))
    }

    async fn spend(&self, bytes: usize) -> Result<(), Halt> {
        telemetry::bytes(Direction::FromTarget, bytes);
        if let Some(budget) = &self.budget {
            if !budget.charge(bytes) {
                let error = budget.total_reached();
                self.event(EventKind::Failed { error }).await?;
                return Err(Halt::BudgetSpent);
            }
            budget.inbound(bytes).await;
        }
        Ok(())
    }

    /// Counts `bytes` the operation is about to send (not through `send`:
    /// an HTTP request's body) against the session's total, then waits for
    /// its rate. The total is checked first, so what cannot fit is refused
    /// before anything is sent.
    pub async fn spend_out(&self, bytes: usize) -> Result<(), RelayError> {
        if let Some(budget) = &self.budget {
            if !budget.charge(bytes) {
                return Err(budget.total_reached());
            }
            budget.outbound(bytes).await;
        }
        telemetry::bytes(Direction::ToTarget, bytes);
        Ok(())
    }

    pub fn op(&self) -> OpId {
        self.op
    }

    /// A reporter for another operation of the same session (one this
    /// operation created), with a clock of its own that starts now.
    pub fn for_op(&self, op: OpId) -> Reporter {
        Reporter {
            op,
            start: Instant::now(),
            out: self.out.clone(),
            budget: self.budget.clone(),
            closing: self.closing.clone(),
            ended: self.ended.clone(),
            kind: "accepted",
            reported: std::sync::Arc::default(),
        }
    }

    fn t_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Reports one event. Waits while the browser is slow to read: that wait
    /// is the back-pressure that keeps the relay from buffering without bound.
    pub async fn event(&self, kind: EventKind) -> Result<(), Halt> {
        match &kind {
            EventKind::Closed { .. } => telemetry::operation_ended(self.kind, "closed"),
            EventKind::Failed { error } => {
                telemetry::operation_ended(self.kind, error.code.as_str());
            }
            _ => {}
        }
        let event = Event {
            op: self.op,
            t_us: self.t_us(),
            kind,
        };
        self.send(ServerMsg::Event(event)).await
    }

    /// Reports bytes received from the target (the `received` event).
    /// Past the session's byte total the operation fails instead (a
    /// `failed` event) and this returns `Err`, so the connector stops.
    pub async fn data(&self, bytes: &[u8]) -> Result<(), Halt> {
        // Stamped on arrival, before any wait for the budget.
        let t_us = self.t_us();
        self.spend(bytes.len()).await?;
        let msg = ServerMsg::Data {
            op: self.op,
            t_us,
            data: Payload(bytes.to_vec()),
        };
        self.send(msg).await
    }

    /// Reports the bytes read into `buf` (a [`read_buffer`], after its
    /// header room) as received: [`Reporter::data`] without the copies.
    pub async fn received(&self, mut buf: BytesMut) -> Result<(), Halt> {
        let t_us = self.t_us();
        self.spend(buf.len() - frame::DATA_HEADER).await?;
        buf[..frame::DATA_HEADER].copy_from_slice(&frame::data_header(self.op, t_us));
        self.deliver(Outgoing::Data(buf.freeze())).await
    }

    /// Reports one datagram received from `from` (the `datagram_received`
    /// event).
    pub async fn datagram(&self, from: String, bytes: &[u8]) -> Result<(), Halt> {
        let t_us = self.t_us();
        self.spend(bytes.len()).await?;
        let msg = ServerMsg::Datagram {
            op: self.op,
            t_us,
            from,
            data: Payload(bytes.to_vec()),
        };
        self.send(msg).await
    }

    /// Refuses a message about this operation without ending it.
    pub async fn reject(&self, error: RelayError) -> Result<(), Halt> {
        let msg = ServerMsg::Error {
            op: Some(self.op),
            error,
        };
        self.send(msg).await
    }

    async fn send(&self, msg: ServerMsg) -> Result<(), Halt> {
        self.deliver(Outgoing::msg(msg)).await
    }

    /// Hands `item` to the session's writer, or says the session is gone.
    async fn deliver(&self, item: Outgoing) -> Result<(), Halt> {
        if !self
            .reported
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            telemetry::first_event(self.start.elapsed());
        }
        tokio::select! {
            sent = self.out.send(item) => sent.map_err(|_| Halt::SessionGone),
            // A full queue to a session that ended is never emptied.
            () = self.ended.cancelled() => Err(Halt::SessionGone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{Budget, Limits};

    #[test]
    fn operations_created_by_operations_share_the_sessions_budget() {
        let (out, _rx) = mpsc::channel(1);
        let budget = Budget::new(&Limits::public());
        let listener = Reporter::new(1, out).with_budget(budget.clone());
        let accepted = listener.for_op(2);
        assert_eq!(accepted.op(), 2);
        assert!(
            accepted
                .budget
                .as_ref()
                .is_some_and(|b| std::sync::Arc::ptr_eq(b, &budget)),
            "an accepted connection spends from the same budget"
        );
    }
}
