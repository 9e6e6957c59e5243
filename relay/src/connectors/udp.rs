//! The UDP connector: a UDP socket on loopback that sends datagrams for the
//! browser and reports every datagram that arrives, with its source.
//!
//! The socket is bound to `127.0.0.1` (`[::1]` for an IPv6 target), or for a
//! target off this machine to the local address of the route to it (never
//! the wildcard), on the port the browser asks for (locally) or any free
//! one. With a target it is also
//! connected to that target, as `connect()` does for UDP: `send` goes there,
//! the kernel only delivers datagrams from there, and an ICMP port
//! unreachable answer surfaces as an error on the socket, which we report as
//! a `refused` event. Nothing about UDP is a stream: every `send` is one
//! datagram and every datagram received is reported whole, on its own.
//!
//! Every `send`/`send_to` is answered by exactly one `datagram_sent` event or
//! one rejection, in order; traces rely on that to show each datagram's bytes.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use roundtrip_shared::protocol::{
    Closer, ErrorCode, EventKind, FaultTransport, Faults, Refusal, RelayError,
};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::AppState;
use crate::connectors::common::{
    Ended, SocketClock, bind_error, close_by_relay, fail, refuse_until_close,
};
use crate::lab::faults;
use crate::op::Command;
use crate::policy::{Destination, Protocol};
use crate::report::{Halt, Reporter};
use crate::target::{self, Target};

/// The largest UDP payload over IPv4: 65 535 − 20 (IP header) − 8 (UDP header).
pub const MAX_DATAGRAM_V4: usize = 65_507;
/// The largest UDP payload over IPv6 without jumbograms: 65 535 − 8.
pub const MAX_DATAGRAM_V6: usize = 65_527;
/// Big enough for any datagram, so that none is ever cut short.
const RECV_BUFFER: usize = 65_536;

/// How the browser wants its UDP socket.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Local port; 0 for any free port (the only choice on a public relay).
    pub bind_port: u16,
    /// Report `recv_timeout` when nothing arrives for this long.
    pub recv_timeout: Option<Duration>,
    /// Faults for the lab service (the target) to inject.
    pub faults: Option<Faults>,
}

#[derive(Debug, Default)]
struct Counts {
    sent: u64,
    received: u64,
}

/// Runs one UDP operation to its end.
pub async fn run(
    state: &AppState,
    target: Option<String>,
    options: Options,
    mut commands: mpsc::Receiver<Command>,
    report: Reporter,
) {
    let mut counts = Counts::default();
    let ending = drive(
        state,
        target.as_deref(),
        options,
        &mut commands,
        &report,
        &mut counts,
    )
    .await;
    let ending = Ended::of(ending);
    tracing::info!(
        op = report.op(),
        target = target.as_deref().unwrap_or("-"),
        %ending,
        datagrams_sent = counts.sent,
        datagrams_received = counts.received,
        "udp operation ended"
    );
}

async fn drive(
    state: &AppState,
    target_text: Option<&str>,
    options: Options,
    commands: &mut mpsc::Receiver<Command>,
    report: &Reporter,
    counts: &mut Counts,
) -> Result<Ended, Halt> {
    if let Err(error) = permit_bind_port(state, options.bind_port) {
        return fail(report, error).await;
    }
    let faults = options.faults.filter(|f| !f.is_empty());
    let remote = match target_text {
        None if faults.is_some() => {
            let error = RelayError::new(
                ErrorCode::NotSupported,
                "faults need a target: open the socket with udp-echo (or its address) as its \
                 target, and the echo injects them",
            );
            return fail(report, error).await;
        }
        None => None,
        Some(text) => {
            let resolving = async {
                let target = match target::parse_for(text, state.lab(), "udp") {
                    Ok(target) => target,
                    Err(error) => return Ok(Err(error)),
                };
                let addr = match target::resolve(state, &target, "udp", report).await? {
                    Ok(addrs) => addrs[0],
                    Err(error) => return Ok(Err(error)),
                };
                let permitted =
                    state
                        .permit_dial(destination(&target, addr))
                        .and_then(|()| match (&faults, state.lab().fault_target(addr)) {
                            (None, _) => Ok(()),
                            (Some(faults), Some(kind @ FaultTransport::Udp)) => faults.check(kind),
                            (Some(_), _) => Err(faults::not_a_lab_service(addr)),
                        });
                Ok(permitted.map(|()| addr))
            };
            tokio::select! {
                result = resolving => match result? {
                    Ok(addr) => Some(addr),
                    Err(error) => return fail(report, error).await,
                },
                () = wait_for_close(commands, report) => {
                    report.event(EventKind::Closed { by: Closer::Browser }).await?;
                    return Ok(Ended::Closed(Closer::Browser));
                }
            }
        }
    };
    // Loopback unless the target is elsewhere: a socket bound to 127.0.0.1
    // can only talk to this machine. For a target elsewhere, the address of
    // the route to it, never the wildcard: a socket on every interface
    // would take datagrams sent to any of the host's addresses.
    let ip: IpAddr = match remote {
        Some(addr) if !addr.ip().is_loopback() => match route_source(addr).await {
            Ok(ip) => ip,
            Err(error) => return fail(report, send_error(&error, addr, addr)).await,
        },
        Some(SocketAddr::V6(_)) => Ipv6Addr::LOCALHOST.into(),
        _ => Ipv4Addr::LOCALHOST.into(),
    };
    let local = SocketAddr::new(ip, options.bind_port);
    let socket = match UdpSocket::bind(local).await {
        Ok(socket) => socket,
        Err(error) => return fail(report, bind_error(&error, local, "bind")).await,
    };
    let local = socket.local_addr().unwrap_or(local);
    if let Some(remote) = remote
        && let Err(error) = socket.connect(remote).await
    {
        return fail(report, send_error(&error, local, remote)).await;
    }
    // Registered under the socket's address before its first datagram, for
    // the echo to find; gone when the socket is.
    let _faults = faults.map(|faults| state.lab().faults().register(local, faults));
    report
        .event(EventKind::Bound {
            local: local.to_string(),
            remote: remote.map(|addr| addr.to_string()),
        })
        .await?;
    let socket = Socket {
        socket,
        local,
        remote,
    };
    socket.serve(state, options, commands, report, counts).await
}

struct Socket {
    socket: UdpSocket,
    local: SocketAddr,
    /// The target it is connected to, if any.
    remote: Option<SocketAddr>,
}

impl Socket {
    async fn serve(
        &self,
        state: &AppState,
        options: Options,
        commands: &mut mpsc::Receiver<Command>,
        report: &Reporter,
        counts: &mut Counts,
    ) -> Result<Ended, Halt> {
        let mut buf = vec![0u8; RECV_BUFFER];
        // The receive timeout runs while a program would be waiting in
        // recvfrom(): from the start, after each send and each arrival. It
        // fires once, then waits for the next of those.
        let arm = || options.recv_timeout.map(|after| Instant::now() + after);
        let mut deadline = arm();
        // The session's limits on how long a socket may idle (no datagram
        // either way) and live.
        let mut clock = SocketClock::start(report);
        loop {
            let (sent, received) = (counts.sent, counts.received);
            tokio::select! {
                expired = clock.expired() => {
                    let why = expired.reason("no datagram moved", "UDP sockets");
                    return close_by_relay(report, why).await;
                }
                command = commands.recv() => match command {
                    Some(Command::Send(data)) => match self.remote {
                        Some(remote) => {
                            if self.send(None, remote, &data, report, counts).await? {
                                deadline = arm();
                            }
                        }
                        None => report.reject(RelayError::new(
                            ErrorCode::NotConnected,
                            "this UDP socket has no target: open it with one, or use send_to",
                        )).await?,
                    },
                    Some(Command::SendTo { target, data }) => {
                        let to = match self.destination(state, &target, report).await? {
                            Ok(to) => to,
                            Err(error) => {
                                report.reject(error).await?;
                                continue;
                            }
                        };
                        if self.send(Some(to), to, &data, report, counts).await? {
                            deadline = arm();
                        }
                    }
                    Some(Command::Shutdown) => report.reject(RelayError::new(
                        ErrorCode::NotSupported,
                        "UDP has no connection to shut down: close ends the socket",
                    )).await?,
                    Some(Command::Close | Command::Abort) => {
                        report.event(EventKind::Closed { by: Closer::Browser }).await?;
                        return Ok(Ended::Closed(Closer::Browser));
                    }
                    None => return Ok(Ended::SessionGone),
                },
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, from)) => {
                        counts.received += 1;
                        report.datagram(from.to_string(), &buf[..n]).await?;
                        deadline = arm();
                    }
                    Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                        self.refused(report).await?;
                    }
                    Err(error) => {
                        return fail(report, RelayError::new(
                            ErrorCode::Io,
                            format!("receiving failed: {error}"),
                        )).await;
                    }
                },
                () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)),
                    if deadline.is_some() =>
                {
                    deadline = None;
                    let after_ms = options.recv_timeout.map_or(0, |t| t.as_millis() as u64);
                    report.event(EventKind::RecvTimeout { after_ms }).await?;
                }
            }
            if (counts.sent, counts.received) != (sent, received) {
                clock.touch();
            }
        }
    }

    /// Where a `send_to` goes. Names are looked up (and reported); lab
    /// services and IP literals need no lookup.
    async fn destination(
        &self,
        state: &AppState,
        text: &str,
        report: &Reporter,
    ) -> Result<Result<SocketAddr, RelayError>, Halt> {
        let target = match target::parse_for(text, state.lab(), "udp") {
            Ok(target) => target,
            Err(error) => return Ok(Err(error)),
        };
        let addrs = match &target {
            Target::Lab { addr, .. } | Target::Literal(addr) => vec![*addr],
            Target::Host { .. } | Target::LabHost { .. } => {
                match target::resolve(state, &target, "udp", report).await? {
                    Ok(addrs) => addrs,
                    Err(error) => return Ok(Err(error)),
                }
            }
        };
        let family = |addr: &&SocketAddr| addr.is_ipv4() == self.local.is_ipv4();
        let Some(addr) = addrs.iter().find(family).copied() else {
            return Ok(Err(RelayError::new(
                ErrorCode::InvalidTarget,
                format!(
                    "this socket is bound to {}, which cannot send to {}",
                    self.local, addrs[0]
                ),
            )));
        };
        Ok(state.permit_dial(destination(&target, addr)).map(|()| addr))
    }

    /// Sends one datagram (`to_addr` for `send_to`, else to the connected
    /// target) and reports it, or rejects it. True when it was sent.
    async fn send(
        &self,
        to_addr: Option<SocketAddr>,
        to: SocketAddr,
        data: &[u8],
        report: &Reporter,
        counts: &mut Counts,
    ) -> Result<bool, Halt> {
        let limit = if to.is_ipv4() {
            MAX_DATAGRAM_V4
        } else {
            MAX_DATAGRAM_V6
        };
        if data.len() > limit {
            let version = if to.is_ipv4() { "IPv4" } else { "IPv6" };
            report
                .reject(RelayError::new(
                    ErrorCode::TooLarge,
                    format!(
                        "a UDP datagram over {version} carries at most {limit} bytes; this one has {}",
                        data.len()
                    ),
                ))
                .await?;
            return Ok(false);
        }
        let mut retried = false;
        loop {
            let result = match to_addr {
                Some(addr) => self.socket.send_to(data, addr).await,
                None => self.socket.send(data).await,
            };
            match result {
                Ok(n) => {
                    counts.sent += 1;
                    report
                        .event(EventKind::DatagramSent {
                            to: to.to_string(),
                            bytes: n as u64,
                        })
                        .await?;
                    return Ok(true);
                }
                // The ICMP answer to an earlier datagram: the kernel reports
                // it on the next call, this send, which did not happen. Tell
                // the browser, then send again.
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused && !retried => {
                    retried = true;
                    self.refused(report).await?;
                }
                Err(error) => {
                    report.reject(send_error(&error, self.local, to)).await?;
                    return Ok(false);
                }
            }
        }
    }

    async fn refused(&self, report: &Reporter) -> Result<(), Halt> {
        let addr = self.remote.map(|addr| addr.to_string()).unwrap_or_default();
        let error = RelayError::new(
            ErrorCode::Refused,
            format!(
                "{addr} answered with ICMP port unreachable: no UDP socket is bound to that port"
            ),
        );
        report.event(EventKind::Refused { addr, error }).await
    }
}

/// Reads commands until the browser closes, refusing the others: there is no
/// socket yet. Returns when the browser closes or goes away.
async fn wait_for_close(commands: &mut mpsc::Receiver<Command>, report: &Reporter) {
    let _ = refuse_until_close(commands, report, |command| match command {
        Command::Shutdown => RelayError::new(
            ErrorCode::NotSupported,
            "UDP has no connection to shut down: close ends the socket",
        ),
        _ => RelayError::new(
            ErrorCode::NotConnected,
            "the socket is not open yet: wait for the bound event before sending",
        ),
    })
    .await;
}

/// The policy on local ports: a public relay picks them itself. A stranger
/// who chooses the port could take over one that a program on the relay's
/// machine sends to (and read what it sends), or one a service is about to
/// listen on; below 1024 too when the relay runs as root. Refused as
/// `Refusal::UdpPortChosen`, as the listener's chosen port is.
fn permit_bind_port(state: &AppState, port: u16) -> Result<(), RelayError> {
    if state.policy().mode() == crate::policy::Mode::Public && port != 0 {
        return Err(crate::policy::blocked(
            Refusal::UdpPortChosen,
            format!(
                "a public relay picks the local port of a UDP socket itself; leave bind_port out \
                 (or 0), not {port}"
            ),
        ));
    }
    Ok(())
}

/// The local address the kernel would send from to reach `remote`: a
/// UDP connect only picks the route (nothing is sent).
async fn route_source(remote: SocketAddr) -> io::Result<IpAddr> {
    let any: IpAddr = if remote.is_ipv6() {
        Ipv6Addr::UNSPECIFIED.into()
    } else {
        Ipv4Addr::UNSPECIFIED.into()
    };
    let probe = UdpSocket::bind(SocketAddr::new(any, 0)).await?;
    probe.connect(remote).await?;
    Ok(probe.local_addr()?.ip())
}

/// Names a failed send (or UDP connect) the way a learner meets it.
fn send_error(error: &io::Error, local: SocketAddr, to: SocketAddr) -> RelayError {
    use io::ErrorKind::*;
    match error.kind() {
        InvalidInput | NetworkUnreachable | HostUnreachable | AddrNotAvailable => RelayError::new(
            ErrorCode::Unreachable,
            format!(
                "{to} cannot be reached from {local}: the relay's UDP sockets are bound to \
                 loopback and reach only this machine ({error})"
            ),
        ),
        ConnectionRefused => RelayError::new(
            ErrorCode::Refused,
            format!("{to} answered with ICMP port unreachable"),
        ),
        _ => RelayError::new(ErrorCode::Io, format!("cannot send to {to}: {error}")),
    }
}

/// What the policy is asked about a datagram to `addr` for `target`.
fn destination(target: &Target, addr: SocketAddr) -> Destination<'_> {
    Destination {
        protocol: Protocol::Udp,
        host: match target {
            Target::Host { host, .. } => Some(host.as_str()),
            _ => None,
        },
        addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_route_source_is_an_address_not_the_wildcard() {
        for remote in ["127.0.0.1:9", "127.3.2.1:9", "[::1]:9"] {
            let remote: SocketAddr = remote.parse().unwrap();
            let Ok(ip) = route_source(remote).await else {
                // No IPv6 on this machine.
                assert!(remote.is_ipv6());
                continue;
            };
            assert!(!ip.is_unspecified(), "{remote}: {ip}");
            assert!(ip.is_loopback(), "{remote}: {ip}");
        }
    }
}
