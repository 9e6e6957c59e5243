//! What every connector does around its own work, written once: how an
//! operation ended (for its log line), the idle and lifetime limits of a
//! socket as one clock, closing on the relay's own limits, failing with a
//! typed error, and naming a bind error as a learner meets it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use roundtrip_shared::protocol::{Closer, ErrorCode, EventKind, RelayError};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use crate::op::Command;
use crate::report::{Halt, Reporter};

/// How an operation ended, for its log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Closed(Closer),
    Failed(ErrorCode),
    /// Its session ended first; nobody heard the end.
    SessionGone,
}

impl Ended {
    /// The ending of a connector's run, whichever way it came.
    pub fn of(result: Result<Ended, Halt>) -> Ended {
        result.unwrap_or_else(Ended::halted)
    }

    /// The ending of an operation that had to stop at once.
    pub fn halted(halt: Halt) -> Ended {
        match halt {
            Halt::SessionGone => Ended::SessionGone,
            // Its `failed` (limit_reached) event is already sent.
            Halt::BudgetSpent => Ended::Failed(ErrorCode::LimitReached),
        }
    }
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ended::Closed(Closer::Browser) => f.write_str("closed by browser"),
            Ended::Closed(Closer::Peer) => f.write_str("closed by peer"),
            Ended::Closed(Closer::Relay) => f.write_str("closed by relay"),
            Ended::Failed(code) => write!(f, "failed: {}", code.as_str()),
            Ended::SessionGone => f.write_str("session gone"),
        }
    }
}

/// Far enough in the future to mean "never" (and to add to an `Instant`):
/// the limits of an operation without a session budget (a test's).
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// A socket's two limits as one clock: it may idle (move nothing) at most
/// so long, and live at most so long, busy or not.
#[derive(Debug)]
pub struct SocketClock {
    idle_limit: Duration,
    lifetime: Duration,
    idle: Pin<Box<Sleep>>,
    end_of_life: Pin<Box<Sleep>>,
}

/// Which limit a socket reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expired {
    /// Nothing moved for this long.
    Idle(Duration),
    /// It lived this long.
    Lifetime(Duration),
}

impl Expired {
    /// Why the relay closed: `closed: no byte moved for 300 s` for the idle
    /// limit (`idle`: what did not happen), `closed: connections live at
    /// most 1800 s here` for the lifetime (`kind`: what the socket is).
    pub fn reason(self, idle: &str, kind: &str) -> String {
        match self {
            Expired::Idle(limit) => format!("closed: {idle} for {} s", limit.as_secs()),
            Expired::Lifetime(limit) => {
                format!("closed: {kind} live at most {} s here", limit.as_secs())
            }
        }
    }
}

impl SocketClock {
    /// Starts the clock with the session's limits for `report`'s operation.
    pub fn start(report: &Reporter) -> SocketClock {
        let (idle_limit, lifetime) = report.socket_times().unwrap_or((FOREVER, FOREVER));
        SocketClock::new(idle_limit, lifetime)
    }

    fn new(idle_limit: Duration, lifetime: Duration) -> SocketClock {
        SocketClock {
            idle_limit,
            lifetime,
            idle: Box::pin(tokio::time::sleep(idle_limit)),
            end_of_life: Box::pin(tokio::time::sleep(lifetime)),
        }
    }

    /// Something moved: the idle limit counts from now.
    pub fn touch(&mut self) {
        self.idle.as_mut().reset(Instant::now() + self.idle_limit);
    }

    /// Waits until a limit is reached.
    pub async fn expired(&mut self) -> Expired {
        tokio::select! {
            () = &mut self.idle => Expired::Idle(self.idle_limit),
            () = &mut self.end_of_life => Expired::Lifetime(self.lifetime),
        }
    }
}

/// Ends an operation on the relay's own limits, saying which (`why`): a
/// `limit_reached` rejection, then `closed` by the relay.
pub async fn close_by_relay(report: &Reporter, why: String) -> Result<Ended, Halt> {
    report
        .reject(RelayError::new(ErrorCode::LimitReached, why))
        .await?;
    report
        .event(EventKind::Closed { by: Closer::Relay })
        .await?;
    Ok(Ended::Closed(Closer::Relay))
}

/// Ends an operation with `error` (its one terminal event).
pub async fn fail(report: &Reporter, error: RelayError) -> Result<Ended, Halt> {
    let code = error.code;
    report.event(EventKind::Failed { error }).await?;
    Ok(Ended::Failed(code))
}

/// Refuses every request but `close` (with the error `refusal` names for
/// it) until the browser closes (`Ok`) or its session ends: what an
/// operation answers while it has no socket to act on.
pub async fn refuse_until_close(
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
    refusal: impl Fn(&Command) -> RelayError,
) -> Result<(), Halt> {
    loop {
        match commands.recv().await {
            Some(Command::Close | Command::Abort) => return Ok(()),
            Some(command) => report.reject(refusal(&command)).await?,
            None => return Err(Halt::SessionGone),
        }
    }
}

/// A failed bind of `local`, as a learner meets it: a port in use is
/// `addr_in_use`; `doing` says what the bind was for ("listen on", "bind").
pub fn bind_error(error: &io::Error, local: SocketAddr, doing: &str) -> RelayError {
    match error.kind() {
        io::ErrorKind::AddrInUse => RelayError::new(
            ErrorCode::AddrInUse,
            format!("cannot {doing} {local}: another socket already uses that port"),
        ),
        _ => RelayError::new(ErrorCode::Io, format!("cannot bind {local}: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_read_as_the_log_says_them() {
        assert_eq!(Ended::Closed(Closer::Peer).to_string(), "closed by peer");
        assert_eq!(
            Ended::Failed(ErrorCode::Refused).to_string(),
            "failed: refused"
        );
        assert_eq!(Ended::of(Err(Halt::SessionGone)), Ended::SessionGone);
    }

    #[test]
    fn a_reached_limit_says_which() {
        let idle = Expired::Idle(Duration::from_secs(300));
        assert_eq!(
            idle.reason("no byte moved", "connections"),
            "closed: no byte moved for 300 s"
        );
        let old = Expired::Lifetime(Duration::from_secs(1800));
        assert_eq!(
            old.reason("no byte moved", "connections"),
            "closed: connections live at most 1800 s here"
        );
    }

    #[test]
    fn a_port_in_use_is_named_as_such() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let in_use = io::Error::from(io::ErrorKind::AddrInUse);
        let error = bind_error(&in_use, local, "listen on");
        assert_eq!(error.code, ErrorCode::AddrInUse);
        assert!(error.message.starts_with("cannot listen on 127.0.0.1:8080"));
        let other = bind_error(&io::Error::other("x"), local, "bind");
        assert_eq!(other.code, ErrorCode::Io);
    }

    #[tokio::test]
    async fn a_socket_clock_says_which_limit_came_first() {
        let (short, long) = (Duration::from_millis(20), Duration::from_secs(3600));
        let mut idle_first = SocketClock::new(short, long);
        assert_eq!(idle_first.expired().await, Expired::Idle(short));
        let mut life_first = SocketClock::new(long, short);
        assert_eq!(life_first.expired().await, Expired::Lifetime(short));
    }
}
