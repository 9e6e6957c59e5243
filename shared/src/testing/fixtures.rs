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
    trace.record_server(&event(op, t_us, kind));
}

/// A trace built as the page builds one, message by message: what went to
/// the relay and what came back, with the page's time when it matters.
#[derive(Debug, Default)]
pub struct TraceBuilder {
    trace: Trace,
}

impl TraceBuilder {
    pub fn new() -> Self {
        TraceBuilder::default()
    }

    /// The messages of a recording or a fixture such as [`echo_exchange`].
    pub fn messages(mut self, messages: impl IntoIterator<Item = Message>) -> Self {
        for message in messages {
            match message {
                Message::Out(request) => self.trace.record_request(&request),
                Message::In(reply) => self.trace.record_server(&reply),
            }
        }
        self
    }

    /// A request that went to the relay.
    pub fn request(mut self, msg: ClientMsg) -> Self {
        self.trace.record_request(&msg);
        self
    }

    /// The relay's event `kind` of `op`, `t_us` into it.
    pub fn event(mut self, op: u32, t_us: u64, kind: EventKind) -> Self {
        record_event(&mut self.trace, op, t_us, kind);
        self
    }

    /// Bytes `op` received, `t_us` into it.
    pub fn data(mut self, op: u32, t_us: u64, bytes: &[u8]) -> Self {
        self.trace.record_server(&ServerMsg::Data {
            op,
            t_us,
            data: Payload(bytes.to_vec()),
        });
        self
    }

    /// The page's time (ms since the recording started) of what follows.
    pub fn seen_at(mut self, at_ms: f64) -> Self {
        self.trace.seen_at(at_ms);
        self
    }

    pub fn build(self) -> Trace {
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_trace_is_the_trace_the_page_records() {
        let mut recorded = Trace::new();
        for message in echo_exchange(1) {
            match message {
                Message::Out(request) => recorded.record_request(&request),
                Message::In(reply) => recorded.record_server(&reply),
            }
        }
        assert_eq!(
            TraceBuilder::new().messages(echo_exchange(1)).build(),
            recorded
        );
        let built = TraceBuilder::new()
            .seen_at(5.0)
            .request(ClientMsg::Close { op: 2 })
            .event(
                2,
                7,
                EventKind::Closed {
                    by: Closer::Browser,
                },
            )
            .data(3, 9, b"hi")
            .build();
        assert_eq!(built.steps().len(), 3);
        assert_eq!(built.steps()[0].seen_us, Some(5_000));
        assert_eq!(built.received_bytes(3), b"hi");
    }
}
