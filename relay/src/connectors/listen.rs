//! The TCP listener: the browser as a server. The relay binds
//! `127.0.0.1:port` for the session, listens, and turns every connection it
//! accepts into an operation of its own, with a relay-chosen id announced by
//! an `accepted` event. That operation then runs exactly like a connection
//! the browser opened (see [`tcp::run_accepted`]): `connected`, data, `sent`,
//! `peer_closed`, `reset`, `closed`, and it takes `send`, `shutdown` and
//! `close`.
//!
//! Closing the listener stops accepting; connections already accepted stay
//! open until they are closed themselves.

use std::net::{Ipv4Addr, SocketAddr};

use roundtrip_shared::protocol::{Closer, ErrorCode, EventKind, Refusal, RelayError};
use tokio::net::TcpSocket;
use tokio::sync::mpsc;
use tracing::Instrument as _;

use crate::AppState;
use crate::connectors::common::{Ended, SocketClock, bind_error, close_by_relay, fail};
use crate::connectors::tcp;
use crate::op::{Command, Spawner};
use crate::policy::Mode;
use crate::report::{Halt, Reporter};

/// Connections waiting in the kernel for `accept()`.
const BACKLOG: u32 = 128;
// Commands waiting for one accepted connection (as for any operation).
use roundtrip_shared::pacing::RELAY_OP_QUEUE as COMMAND_CAPACITY;

/// Runs one listener to its end.
pub async fn run(
    state: &AppState,
    port: u16,
    spawner: Spawner,
    mut commands: mpsc::Receiver<Command>,
    report: Reporter,
) {
    let mut accepted = 0u64;
    let ending = Ended::of(if state.policy().mode() == Mode::Public && port != 0 {
        // Strangers do not choose ports on the host's loopback: that would
        // let them squat the ports of services yet to start.
        let error = crate::policy::blocked(
            Refusal::ListenPortChosen,
            format!(
                "a public relay picks the port of a listener itself; ask for port 0 (any), not \
                 {port}"
            ),
        );
        fail(&report, error).await
    } else {
        drive(state, port, &spawner, &mut commands, &report, &mut accepted).await
    });
    tracing::info!(op = report.op(), port, %ending, accepted, "tcp listener ended");
}

async fn drive(
    state: &AppState,
    port: u16,
    spawner: &Spawner,
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
    accepted: &mut u64,
) -> Result<Ended, Halt> {
    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // socket(), bind(), listen(): each step as a program takes it.
    let socket = match TcpSocket::new_v4().and_then(|socket| {
        // As servers do, so that a restart need not wait out TIME_WAIT.
        socket.set_reuseaddr(true)?;
        socket.bind(local)?;
        Ok(socket)
    }) {
        Ok(socket) => socket,
        Err(error) => return fail(report, bind_error(&error, local, "listen on")).await,
    };
    let local = socket.local_addr().unwrap_or(local);
    report
        .event(EventKind::Bound {
            local: local.to_string(),
            remote: None,
        })
        .await?;
    let listener = match socket.listen(BACKLOG) {
        Ok(listener) => listener,
        Err(error) => {
            let error =
                RelayError::new(ErrorCode::Io, format!("cannot listen on {local}: {error}"));
            return fail(report, error).await;
        }
    };
    // Other sessions may dial it (on a public relay, it alone on loopback)
    // while it listens.
    let _entry = state.listeners().add(local);
    report
        .event(EventKind::Listening {
            addr: local.to_string(),
        })
        .await?;
    // The session's limits on how long a listener may idle (no connection
    // accepted) and live.
    let mut clock = SocketClock::start(report);
    loop {
        tokio::select! {
            expired = clock.expired() => {
                let why = expired.reason("no connection came", "listeners");
                return close_by_relay(report, why).await;
            }
            command = commands.recv() => match command {
                Some(Command::Close | Command::Abort) => {
                    report.event(EventKind::Closed { by: Closer::Browser }).await?;
                    return Ok(Ended::Closed(Closer::Browser));
                }
                None => return Err(Halt::SessionGone),
                Some(_) => report.reject(not_a_sender()).await?,
            },
            result = listener.accept() => match result {
                Ok((stream, peer)) => {
                    // The accepted connection is a socket like any other.
                    let socket = match state.open_socket(spawner.client()) {
                        Ok(socket) => socket,
                        Err(error) => {
                            drop(stream);
                            report.reject(error).await?;
                            continue;
                        }
                    };
                    // Register first, so that the browser's requests about
                    // the new id find it as soon as it learns the id.
                    let (conn, conn_commands, answer) = spawner.create(COMMAND_CAPACITY)?;
                    match admission(answer, commands, report).await? {
                        Admission::Admitted => {}
                        Admission::Refused(error) => {
                            // Dropping the stream closes the connection.
                            report.reject(error).await?;
                            continue;
                        }
                        Admission::Closed => return Ok(Ended::Closed(Closer::Browser)),
                    }
                    *accepted += 1;
                    clock.touch();
                    report
                        .event(EventKind::Accepted { conn, peer: peer.to_string() })
                        .await?;
                    let conn_report = report.for_op(conn);
                    let connection = tcp::run_accepted(stream, conn_commands, conn_report);
                    tokio::spawn(
                        async move {
                            connection.await;
                            drop(socket);
                        }
                        .instrument(tracing::info_span!("accepted", op = conn)),
                    );
                }
                // Out of file descriptors, or a connection that died in the
                // queue: the listener goes on.
                Err(error) => {
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

enum Admission {
    Admitted,
    Refused(RelayError),
    /// The browser closed the listener meanwhile.
    Closed,
}

/// Waits for the session's answer to a registration, taking the browser's
/// requests meanwhile (the session may be waiting to hand us one).
async fn admission(
    mut answer: tokio::sync::oneshot::Receiver<Result<(), RelayError>>,
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
) -> Result<Admission, Halt> {
    loop {
        tokio::select! {
            answer = &mut answer => return match answer {
                Ok(Ok(())) => Ok(Admission::Admitted),
                Ok(Err(error)) => Ok(Admission::Refused(error)),
                Err(_) => Err(Halt::SessionGone),
            },
            command = commands.recv() => match command {
                Some(Command::Close | Command::Abort) => {
                    report.event(EventKind::Closed { by: Closer::Browser }).await?;
                    return Ok(Admission::Closed);
                }
                None => return Err(Halt::SessionGone),
                Some(_) => report.reject(not_a_sender()).await?,
            },
        }
    }
}

fn not_a_sender() -> RelayError {
    RelayError::new(
        ErrorCode::NotSupported,
        "a listener only accepts connections: send, shutdown and close each one on its own operation (`accepted` names it)",
    )
}
