//! The lifecycle of one client socket, derived from its events.
//!
//! The states follow what a program using the BSD socket calls goes through:
//! `socket()` + name lookup, `connect()`, then `send()`/`recv()` while
//! connected, `shutdown()` by the peer (half-closed), and `close()`.

use crate::protocol::{ErrorCode, EventKind, ResolveSource};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketState {
    /// No request yet.
    Idle,
    /// Looking up the target's addresses.
    Resolving,
    /// SYN sent, waiting for the handshake.
    Connecting,
    /// Handshake done; data can flow both ways.
    Connected,
    /// A UDP socket is bound to a local port: datagrams can go and come.
    Bound,
    /// A TCP socket listens: connections can come in.
    Listening,
    /// The peer sent FIN: it will send nothing more, we still may.
    HalfClosed,
    /// We shut down our sending side (FIN sent); we still receive.
    LocalHalfClosed,
    /// FINs went both ways: nothing more can flow; only `close()` is left.
    BothShut,
    /// Closed normally.
    Closed,
    /// The peer answered the SYN with RST.
    Refused,
    /// The peer aborted an open connection with RST.
    Reset,
    /// No answer in time.
    TimedOut,
    /// Failed for another reason (see the failure's message).
    Failed,
}

impl SocketState {
    pub fn label(self) -> &'static str {
        match self {
            SocketState::Idle => "idle",
            SocketState::Resolving => "resolving",
            SocketState::Connecting => "connecting",
            SocketState::Connected => "connected",
            SocketState::Bound => "bound",
            SocketState::Listening => "listening",
            SocketState::HalfClosed => "half-closed",
            SocketState::LocalHalfClosed => "half-closed (local)",
            SocketState::BothShut => "both sides shut",
            SocketState::Closed => "closed",
            SocketState::Refused => "refused",
            SocketState::Reset => "reset",
            SocketState::TimedOut => "timed out",
            SocketState::Failed => "failed",
        }
    }

    /// The socket call a program would be in (or have just made) here.
    pub fn call(self) -> &'static str {
        match self {
            SocketState::Idle => "socket()",
            SocketState::Resolving => "getaddrinfo()",
            SocketState::Connecting => "connect()",
            SocketState::Connected => "send() / recv()",
            SocketState::Bound => "sendto() / recvfrom()",
            SocketState::Listening => "listen() / accept()",
            SocketState::HalfClosed => "recv() == 0",
            SocketState::LocalHalfClosed => "shutdown(SHUT_WR)",
            SocketState::BothShut => "recv() == 0 after shutdown()",
            SocketState::Closed => "close()",
            SocketState::Refused => "connect() = ECONNREFUSED",
            SocketState::Reset => "recv() = ECONNRESET",
            SocketState::TimedOut => "connect() = ETIMEDOUT",
            SocketState::Failed => "error",
        }
    }

    pub fn is_error(self) -> bool {
        matches!(
            self,
            SocketState::Refused | SocketState::Reset | SocketState::TimedOut | SocketState::Failed
        )
    }

    /// The connection exists (not closed yet), whichever ways data flows.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            SocketState::Connected
                | SocketState::Bound
                | SocketState::Listening
                | SocketState::HalfClosed
                | SocketState::LocalHalfClosed
                | SocketState::BothShut
        )
    }

    /// Our side may still send: we have not shut down our sending side.
    pub fn can_write(self) -> bool {
        matches!(
            self,
            SocketState::Connected | SocketState::Bound | SocketState::HalfClosed
        )
    }

    /// The state after `event`, starting from `self`.
    pub fn after(self, event: &EventKind) -> SocketState {
        match event {
            // An IP literal or a lab service needs no lookup: no resolving state.
            EventKind::Resolved {
                source: ResolveSource::Literal | ResolveSource::Lab,
                ..
            } => self,
            EventKind::Resolving { .. } | EventKind::Resolved { .. } => SocketState::Resolving,
            EventKind::LabPort { .. } => self,
            EventKind::Connecting { .. } | EventKind::AttemptFailed { .. } => {
                SocketState::Connecting
            }
            EventKind::Connected { .. } => SocketState::Connected,
            EventKind::Bound { .. } if self == SocketState::Idle => SocketState::Bound,
            EventKind::Bound { .. } => self,
            EventKind::Listening { .. } => SocketState::Listening,
            EventKind::Accepted { .. } => self,
            EventKind::Sent { .. }
            | EventKind::SendBlocked { .. }
            | EventKind::Received { .. }
            | EventKind::DatagramSent { .. }
            | EventKind::DatagramReceived { .. }
            | EventKind::RecvTimeout { .. }
            | EventKind::Refused { .. } => self,
            EventKind::PeerClosed if self == SocketState::LocalHalfClosed => SocketState::BothShut,
            // HTTP steps happen on a connected socket; a redirect opens a
            // new one, which its own events walk through again.
            EventKind::TlsHandshake { .. }
            | EventKind::RequestWritten { .. }
            | EventKind::FirstByte
            | EventKind::ResponseHead { .. }
            | EventKind::Redirect { .. }
            | EventKind::Attempt { .. }
            | EventKind::Backoff { .. }
            | EventKind::GaveUp { .. }
            | EventKind::ResponseDone { .. }
            | EventKind::Wire { .. } => self,
            // A lookup for a connection is part of resolving; a DNS query
            // operation has no socket of its own to speak of.
            EventKind::DnsQuerySent { .. }
            | EventKind::DnsResponse { .. }
            | EventKind::DnsReferral { .. }
            | EventKind::DnsGlueless { .. }
            | EventKind::DnsNsFound { .. } => self,
            EventKind::PeerClosed => SocketState::HalfClosed,
            EventKind::ShutdownSent if self == SocketState::HalfClosed => SocketState::BothShut,
            EventKind::ShutdownSent => SocketState::LocalHalfClosed,
            EventKind::Reset => SocketState::Reset,
            // Our own abort: the socket closes (with an RST, not a FIN).
            EventKind::ResetSent => self,
            // A reset stays the reason the socket ended.
            EventKind::Closed { .. } if self == SocketState::Reset => SocketState::Reset,
            EventKind::Closed { .. } => SocketState::Closed,
            EventKind::Failed { error } => match error.code {
                ErrorCode::Refused => SocketState::Refused,
                ErrorCode::TimedOut => SocketState::TimedOut,
                ErrorCode::Reset => SocketState::Reset,
                _ => SocketState::Failed,
            },
        }
    }
}

/// The states a socket went through, in order and without repeats, ending
/// with its current state. Starts with [`SocketState::Idle`].
pub fn path<'a>(events: impl IntoIterator<Item = &'a EventKind>) -> Vec<SocketState> {
    let mut path = vec![SocketState::Idle];
    for event in events {
        let last = *path.last().expect("path starts non-empty");
        let next = last.after(event);
        if next != last {
            path.push(next);
        }
    }
    path
}

/// The current state of a socket after `events`.
pub fn current<'a>(events: impl IntoIterator<Item = &'a EventKind>) -> SocketState {
    *path(events).last().expect("path is never empty")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Closer, RelayError};
    use SocketState::*;

    fn connected() -> EventKind {
        EventKind::Connected {
            local: "127.0.0.1:5".into(),
            remote: "127.0.0.1:7".into(),
        }
    }

    #[test]
    fn a_normal_echo_session() {
        let events = [
            EventKind::Resolving {
                host: "localhost".into(),
            },
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:7".into()],
                source: ResolveSource::System,
            },
            EventKind::Connecting {
                addr: "127.0.0.1:7".into(),
            },
            connected(),
            EventKind::Sent { bytes: 5 },
            EventKind::Received { bytes: 5 },
            EventKind::Closed {
                by: Closer::Browser,
            },
        ];
        assert_eq!(
            path(&events),
            vec![Idle, Resolving, Connecting, Connected, Closed]
        );
    }

    #[test]
    fn literals_and_lab_services_skip_resolving() {
        let events = [
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:7".into()],
                source: ResolveSource::Lab,
            },
            EventKind::Connecting {
                addr: "127.0.0.1:7".into(),
            },
            connected(),
        ];
        assert_eq!(path(&events), vec![Idle, Connecting, Connected]);
    }

    #[test]
    fn refused_is_its_own_end() {
        let events = [
            EventKind::Connecting {
                addr: "127.0.0.1:1".into(),
            },
            EventKind::Failed {
                error: RelayError::new(ErrorCode::Refused, "connection refused"),
            },
        ];
        assert_eq!(current(&events), Refused);
        assert!(Refused.is_error());
    }

    #[test]
    fn peer_fin_half_closes_and_reset_survives_close() {
        assert_eq!(current(&[connected(), EventKind::PeerClosed]), HalfClosed);
        assert_eq!(
            current(&[
                connected(),
                EventKind::Reset,
                EventKind::Closed { by: Closer::Peer }
            ]),
            Reset
        );
    }

    #[test]
    fn local_shutdown_half_closes_and_the_peer_fin_finishes_it() {
        let events = [
            connected(),
            EventKind::ShutdownSent,
            EventKind::Received { bytes: 3 },
            EventKind::PeerClosed,
            EventKind::Closed {
                by: Closer::Browser,
            },
        ];
        assert_eq!(
            path(&events),
            vec![Idle, Connected, LocalHalfClosed, BothShut, Closed]
        );
        assert!(LocalHalfClosed.is_open() && !LocalHalfClosed.can_write());
        assert!(HalfClosed.can_write());
        assert_eq!(
            current(&[connected(), EventKind::PeerClosed, EventKind::ShutdownSent]),
            BothShut
        );
    }

    #[test]
    fn a_udp_socket_is_bound_until_closed_whatever_the_datagrams_do() {
        let events = [
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: Some("127.0.0.1:9".into()),
            },
            EventKind::DatagramSent {
                to: "127.0.0.1:9".into(),
                bytes: 1,
            },
            EventKind::Refused {
                addr: "127.0.0.1:9".into(),
                error: RelayError::new(ErrorCode::Refused, "port unreachable"),
            },
            EventKind::RecvTimeout { after_ms: 100 },
        ];
        assert_eq!(path(&events), vec![Idle, Bound]);
        assert!(Bound.can_write());
        let closed = EventKind::Closed {
            by: Closer::Browser,
        };
        assert_eq!(current(events.iter().chain([&closed])), Closed);
    }

    #[test]
    fn a_listener_binds_then_listens_and_accepting_keeps_it_listening() {
        let events = [
            EventKind::Bound {
                local: "127.0.0.1:5000".into(),
                remote: None,
            },
            EventKind::Listening {
                addr: "127.0.0.1:5000".into(),
            },
            EventKind::Accepted {
                conn: 0x8000_0000,
                peer: "127.0.0.1:40000".into(),
            },
            EventKind::Closed {
                by: Closer::Browser,
            },
        ];
        assert_eq!(path(&events), vec![Idle, Bound, Listening, Closed]);
        assert!(Listening.is_open() && !Listening.can_write());
    }

    #[test]
    fn no_events_is_idle() {
        assert_eq!(current(&[]), Idle);
    }
}
