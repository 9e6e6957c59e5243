//! Fixtures many tests share: a lab service and the messages of one echo
//! exchange as the page sees them.

use crate::payload::Payload;
use crate::protocol::{ClientMsg, Closer, Event, EventKind, ResolveSource, ServerMsg, Service};
use crate::recording::Message;
use crate::trace::Trace;

pub fn echo_service() -> Service {
    Service {
        name: "tcp-echo".into(),
        label: "TCP echo (built-in)".into(),
        protocol: "tcp".into(),
        addr: "127.0.0.1:4000".into(),
    }
}

pub fn event(op: u32, t_us: u64, kind: EventKind) -> ServerMsg {
    ServerMsg::Event(Event { op, t_us, kind })
}

/// The messages of one echo exchange on `op`, in the order the page sees
/// them.
pub fn echo_exchange(op: u32) -> Vec<Message> {
    vec![
        Message::Out(ClientMsg::TcpConnect {
            faults: None,
            op,
            target: "tcp-echo".into(),
            connect_timeout_ms: None,
            nodelay: false,
        }),
        Message::In(event(
            op,
            3,
            EventKind::Resolved {
                addrs: vec!["127.0.0.1:4000".into()],
                source: ResolveSource::Lab,
            },
        )),
        Message::In(event(
            op,
            10,
            EventKind::Connecting {
                addr: "127.0.0.1:4000".into(),
            },
        )),
        Message::In(event(
            op,
            150,
            EventKind::Connected {
                local: "127.0.0.1:51000".into(),
                remote: "127.0.0.1:4000".into(),
            },
        )),
        Message::Out(ClientMsg::Send {
            op,
            data: Payload(b"hello".to_vec()),
        }),
        Message::In(event(op, 2_000, EventKind::Sent { bytes: 5 })),
        Message::In(ServerMsg::Data {
            op,
            t_us: 2_105,
            data: Payload(b"hello".to_vec()),
        }),
        Message::Out(ClientMsg::Close { op }),
        Message::In(event(
            op,
            1_500_000,
            EventKind::Closed {
                by: Closer::Browser,
            },
        )),
    ]
}

/// Records the relay's event `kind` of `op`, `t_us` into it, as the page
/// does when it arrives.
pub fn record_event(trace: &mut Trace, op: u32, t_us: u64, kind: EventKind) {
    trace.record_server(&ServerMsg::Event(Event { op, t_us, kind }));
}
