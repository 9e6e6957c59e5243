//! Reading the protocol's messages and recording entries from JSON, by hand.
//!
//! `ClientMsg`, `ServerMsg` and `EventKind` are tagged inside the object
//! (`"type"`, `"kind"`), and `Event` and a recording's `Entry` flatten one
//! object into another. serde's derived code for those shapes buffers every
//! message into its own generic tree and reads it a second time, and that
//! code is generated again for each type inside: most of the page's
//! WebAssembly spent on reading JSON. Both sides read every message into a
//! `serde_json::Value` first anyway (to tell an unknown `type` from a bad
//! field), so these impls take that object (any other source is read into
//! one first), look the tag up by name (the keys may come in any order) and
//! read each field of the variant straight from it. Only the fields' own
//! types go through serde. The page's other tagged shapes (the Python
//! worker's calls, experiment links) use the same [`Fields`].
//!
//! What is accepted is what the derives accepted: the same fields, the same
//! defaults (an absent `Option` is `None`), unknown fields refused where the
//! type says `deny_unknown_fields` and ignored where it flattens, and
//! serde's own error texts (`missing field`, `unknown field`, `unknown
//! variant`). One difference: a key given twice is read as JSON objects
//! are, the last one counting. Serialisation stays derived, so the JSON
//! written is unchanged; the tests round-trip every variant.

use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use strum::VariantNames as _;

use crate::protocol::{
    ClientMsg, ClientMsgType, Event, EventKind, EventKindType, HttpRequest, ServerMsg,
    ServerMsgType,
};
use crate::recording::{Entry, Message};

/// serde_json's error: what `from_value` of a field gives.
type Error = serde_json::Error;

/// The fields of one JSON object, taken out by name.
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// The object `value` is; `what` names the expected shape in the error.
    pub(crate) fn of(value: Value, what: &'static str) -> Result<Fields, Error> {
        match value {
            Value::Object(map) => Ok(Fields(map)),
            other => Err(Error::invalid_type(unexpected(&other), &what)),
        }
    }

    /// A field that must be there.
    pub(crate) fn req<T: DeserializeOwned>(&mut self, name: &'static str) -> Result<T, Error> {
        match self.0.remove(name) {
            Some(value) => T::deserialize(value),
            None => Err(Error::missing_field(name)),
        }
    }

    /// A field that may be left out (or `null`).
    pub(crate) fn opt<T: DeserializeOwned>(
        &mut self,
        name: &'static str,
    ) -> Result<Option<T>, Error> {
        match self.0.remove(name) {
            Some(value) => Option::<T>::deserialize(value),
            None => Ok(None),
        }
    }

    /// A string field that must be there: a tag.
    fn tag(&mut self, name: &'static str) -> Result<String, Error> {
        self.req(name)
    }

    /// A field that takes its default when left out.
    pub(crate) fn or_default<T: DeserializeOwned + Default>(
        &mut self,
        name: &'static str,
    ) -> Result<T, Error> {
        Ok(self.opt_present(name)?.unwrap_or_default())
    }

    /// A field's value when present (`null` is a value here, as for a
    /// derived `#[serde(default)]` field).
    fn opt_present<T: DeserializeOwned>(&mut self, name: &'static str) -> Result<Option<T>, Error> {
        self.0.remove(name).map(T::deserialize).transpose()
    }

    /// Refuses any field but `expected` (the tag already taken), as
    /// `deny_unknown_fields` does; checked first, as serde meets an
    /// unknown field before it misses one.
    pub(crate) fn only(&self, expected: &'static [&'static str]) -> Result<(), Error> {
        match self
            .0
            .keys()
            .find(|name| !expected.contains(&name.as_str()))
        {
            Some(name) => Err(Error::unknown_field(name, expected)),
            None => Ok(()),
        }
    }
}

/// How serde names a JSON value it did not expect.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// Reads `T` from any deserializer through a JSON value (one copy of
/// serde's code per deserializer: `Value`'s own).
pub(crate) fn through_value<'de, D, T>(
    deserializer: D,
    read: impl FnOnce(Value) -> Result<T, Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(deserializer)?;
    read(value).map_err(D::Error::custom)
}

impl ServerMsg {
    fn from_json_value(value: Value) -> Result<ServerMsg, Error> {
        let mut f = Fields::of(value, "internally tagged enum ServerMsg")?;
        let kind = f.tag("type")?;
        let Ok(known) = kind.parse::<ServerMsgType>() else {
            return Err(Error::unknown_variant(&kind, ServerMsgType::VARIANTS));
        };
        let msg = match known {
            ServerMsgType::Welcome => {
                f.only(&["version", "relay", "services", "limits"])?;
                ServerMsg::Welcome {
                    version: f.req("version")?,
                    relay: f.req("relay")?,
                    services: f.req("services")?,
                    limits: f.opt("limits")?,
                }
            }
            // An event's fields are flattened: others are ignored.
            ServerMsgType::Event => ServerMsg::Event(Event::from_fields(f)?),
            ServerMsgType::Data => {
                f.only(&["op", "t_us", "data"])?;
                ServerMsg::Data {
                    op: f.req("op")?,
                    t_us: f.req("t_us")?,
                    data: f.req("data")?,
                }
            }
            ServerMsgType::Datagram => {
                f.only(&["op", "t_us", "from", "data"])?;
                ServerMsg::Datagram {
                    op: f.req("op")?,
                    t_us: f.req("t_us")?,
                    from: f.req("from")?,
                    data: f.req("data")?,
                }
            }
            ServerMsgType::Error => {
                f.only(&["op", "error"])?;
                ServerMsg::Error {
                    op: f.opt("op")?,
                    error: f.req("error")?,
                }
            }
        };
        Ok(msg)
    }
}

impl<'de> Deserialize<'de> for ServerMsg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, ServerMsg::from_json_value)
    }
}

impl ClientMsg {
    fn from_json_value(value: Value) -> Result<ClientMsg, Error> {
        use ClientMsgType as T;
        let mut f = Fields::of(value, "internally tagged enum ClientMsg")?;
        let kind = f.tag("type")?;
        let Ok(known) = kind.parse::<ClientMsgType>() else {
            return Err(Error::unknown_variant(&kind, ClientMsgType::VARIANTS));
        };
        Ok(match known {
            T::Hello => {
                f.only(&["version", "data"])?;
                ClientMsg::Hello {
                    version: f.req("version")?,
                    data: f.or_default("data")?,
                }
            }
            T::TcpConnect => {
                f.only(&["op", "target", "connect_timeout_ms", "nodelay", "faults"])?;
                ClientMsg::TcpConnect {
                    op: f.req("op")?,
                    target: f.req("target")?,
                    connect_timeout_ms: f.opt("connect_timeout_ms")?,
                    nodelay: f.or_default("nodelay")?,
                    faults: f.opt("faults")?,
                }
            }
            T::UdpOpen => {
                f.only(&["op", "target", "bind_port", "recv_timeout_ms", "faults"])?;
                ClientMsg::UdpOpen {
                    op: f.req("op")?,
                    target: f.opt("target")?,
                    bind_port: f.opt("bind_port")?,
                    recv_timeout_ms: f.opt("recv_timeout_ms")?,
                    faults: f.opt("faults")?,
                }
            }
            T::TcpListen => {
                f.only(&["op", "port"])?;
                ClientMsg::TcpListen {
                    op: f.req("op")?,
                    port: f.opt("port")?,
                }
            }
            T::Send => {
                f.only(&["op", "data"])?;
                ClientMsg::Send {
                    op: f.req("op")?,
                    data: f.req("data")?,
                }
            }
            T::SendTo => {
                f.only(&["op", "target", "data"])?;
                ClientMsg::SendTo {
                    op: f.req("op")?,
                    target: f.req("target")?,
                    data: f.req("data")?,
                }
            }
            T::Shutdown => {
                f.only(&["op"])?;
                ClientMsg::Shutdown { op: f.req("op")? }
            }
            T::Close => {
                f.only(&["op"])?;
                ClientMsg::Close { op: f.req("op")? }
            }
            T::Abort => {
                f.only(&["op"])?;
                ClientMsg::Abort { op: f.req("op")? }
            }
            T::DnsQuery => {
                f.only(&["op", "name", "rtype", "mode", "server", "timeout_ms"])?;
                ClientMsg::DnsQuery {
                    op: f.req("op")?,
                    name: f.req("name")?,
                    rtype: f.req("rtype")?,
                    mode: f.or_default("mode")?,
                    server: f.opt("server")?,
                    timeout_ms: f.opt("timeout_ms")?,
                }
            }
            // The request's own fields, read by its derived (plain struct)
            // reading, which refuses unknown ones.
            T::HttpRequest => ClientMsg::HttpRequest(HttpRequest::deserialize(Value::Object(f.0))?),
        })
    }
}

impl<'de> Deserialize<'de> for ClientMsg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, ClientMsg::from_json_value)
    }
}

impl Event {
    fn from_fields(mut f: Fields) -> Result<Event, Error> {
        Ok(Event {
            op: f.req("op")?,
            t_us: f.req("t_us")?,
            kind: EventKind::from_fields(f)?,
        })
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, |value| {
            Event::from_fields(Fields::of(value, "struct Event")?)
        })
    }
}

impl EventKind {
    /// The variant `kind` names, its fields read from `f`; other fields are
    /// ignored (an event's kind is flattened into the event).
    fn from_fields(mut f: Fields) -> Result<EventKind, Error> {
        let kind = f.tag("kind")?;
        let Ok(known) = kind.parse::<EventKindType>() else {
            return Err(Error::unknown_variant(&kind, EventKindType::VARIANTS));
        };
        use EventKindType as K;
        Ok(match known {
            K::Resolving => EventKind::Resolving {
                host: f.req("host")?,
            },
            K::Resolved => EventKind::Resolved {
                addrs: f.req("addrs")?,
                source: f.req("source")?,
            },
            K::LabPort => EventKind::LabPort {
                from: f.req("from")?,
                to: f.req("to")?,
                service: f.req("service")?,
            },
            K::Connecting => EventKind::Connecting {
                addr: f.req("addr")?,
            },
            K::Connected => EventKind::Connected {
                local: f.req("local")?,
                remote: f.req("remote")?,
            },
            K::AttemptFailed => EventKind::AttemptFailed {
                addr: f.req("addr")?,
                error: f.req("error")?,
            },
            K::Sent => EventKind::Sent {
                bytes: f.req("bytes")?,
            },
            K::SendBlocked => EventKind::SendBlocked {
                waiting: f.req("waiting")?,
            },
            K::Received => EventKind::Received {
                bytes: f.req("bytes")?,
            },
            K::Bound => EventKind::Bound {
                local: f.req("local")?,
                remote: f.opt("remote")?,
            },
            K::Listening => EventKind::Listening {
                addr: f.req("addr")?,
            },
            K::Accepted => EventKind::Accepted {
                conn: f.req("conn")?,
                peer: f.req("peer")?,
            },
            K::DatagramSent => EventKind::DatagramSent {
                to: f.req("to")?,
                bytes: f.req("bytes")?,
            },
            K::DatagramReceived => EventKind::DatagramReceived {
                from: f.req("from")?,
                bytes: f.req("bytes")?,
            },
            K::RecvTimeout => EventKind::RecvTimeout {
                after_ms: f.req("after_ms")?,
            },
            K::Refused => EventKind::Refused {
                addr: f.req("addr")?,
                error: f.req("error")?,
            },
            K::ShutdownSent => EventKind::ShutdownSent,
            K::ResetSent => EventKind::ResetSent,
            K::PeerClosed => EventKind::PeerClosed,
            K::Reset => EventKind::Reset,
            K::Closed => EventKind::Closed { by: f.req("by")? },
            K::Failed => EventKind::Failed {
                error: f.req("error")?,
            },
            K::TlsHandshake => EventKind::TlsHandshake {
                version: f.req("version")?,
                cipher: f.req("cipher")?,
                alpn: f.opt("alpn")?,
                certs: f.req("certs")?,
            },
            K::RequestWritten => EventKind::RequestWritten {
                head: f.req("head")?,
                body_bytes: f.req("body_bytes")?,
            },
            K::FirstByte => EventKind::FirstByte,
            K::ResponseHead => EventKind::ResponseHead {
                status: f.req("status")?,
                reason: f.req("reason")?,
                version: f.req("version")?,
                headers: f.req("headers")?,
            },
            K::Redirect => EventKind::Redirect {
                status: f.req("status")?,
                location: f.req("location")?,
            },
            K::Attempt => EventKind::Attempt {
                n: f.req("n")?,
                of: f.req("of")?,
            },
            K::Backoff => EventKind::Backoff {
                attempt: f.req("attempt")?,
                wait_ms: f.req("wait_ms")?,
                reason: f.req("reason")?,
                retry_after_ms: f.opt("retry_after_ms")?,
            },
            K::GaveUp => EventKind::GaveUp {
                attempts: f.req("attempts")?,
                last_error: f.req("last_error")?,
            },
            K::ResponseDone => EventKind::ResponseDone {
                body_bytes: f.req("body_bytes")?,
                json: f.req("json")?,
                timings: f.req("timings")?,
            },
            K::Wire => EventKind::Wire {
                dir: f.req("dir")?,
                bytes: f.req("bytes")?,
            },
            K::DnsQuerySent => EventKind::DnsQuerySent {
                server: f.req("server")?,
                name: f.req("name")?,
                rtype: f.req("rtype")?,
            },
            K::DnsResponse => EventKind::DnsResponse {
                server: f.req("server")?,
                rcode: f.req("rcode")?,
                answers: f.req("answers")?,
                authority: f.req("authority")?,
                additional: f.req("additional")?,
                elapsed_us: f.req("elapsed_us")?,
            },
            K::DnsReferral => EventKind::DnsReferral {
                zone: f.req("zone")?,
                servers: f.req("servers")?,
                addrs: f.req("addrs")?,
            },
            K::DnsGlueless => EventKind::DnsGlueless {
                zone: f.req("zone")?,
                ns: f.req("ns")?,
            },
            K::DnsNsFound => EventKind::DnsNsFound {
                ns: f.req("ns")?,
                addrs: f.req("addrs")?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, |value| {
            EventKind::from_fields(Fields::of(value, "internally tagged enum EventKind")?)
        })
    }
}

impl Message {
    /// `dir` and `msg` from `f`; other fields are left for the caller.
    fn from_fields(f: &mut Fields) -> Result<Message, Error> {
        let dir = f.tag("dir")?;
        Ok(match dir.as_str() {
            "out" => Message::Out(f.req("msg")?),
            "in" => Message::In(f.req("msg")?),
            other => return Err(Error::unknown_variant(other, &["out", "in"])),
        })
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, |value| {
            // Other fields are ignored, as serde's adjacently tagged
            // reading does.
            Message::from_fields(&mut Fields::of(value, "adjacently tagged enum Message")?)
        })
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, |value| {
            let mut f = Fields::of(value, "struct Entry")?;
            // The message is flattened into the entry: other fields are
            // ignored.
            Ok(Entry {
                at_ms: f.req("at_ms")?,
                message: Message::from_fields(&mut f)?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use strum::IntoEnumIterator as _;

    use super::*;
    use crate::frame::{Frame, decode_server};
    use crate::payload::Payload;
    use crate::protocol::*;
    use crate::recording::Recording;

    fn error() -> RelayError {
        RelayError::refused(Refusal::SpecialAddress, "blocked: 10.0.0.1 is private")
    }

    fn record(name: &str) -> DnsRecord {
        DnsRecord {
            name: name.into(),
            ttl: 60,
            class: "IN".into(),
            rtype: "A".into(),
            data: "127.0.0.1".into(),
        }
    }

    /// One event of every kind, every optional field both set and not.
    fn every_kind() -> Vec<EventKind> {
        let s = |text: &str| text.to_owned();
        vec![
            EventKind::Resolving { host: s("a.test") },
            EventKind::Resolved {
                addrs: vec![s("1.2.3.4:80"), s("[::1]:80")],
                source: ResolveSource::DnsLab,
            },
            EventKind::LabPort {
                from: s("echo.lab.test:7"),
                to: s("127.0.0.1:4000"),
                service: s("tcp-echo"),
            },
            EventKind::Connecting {
                addr: s("1.2.3.4:80"),
            },
            EventKind::Connected {
                local: s("127.0.0.1:5000"),
                remote: s("127.0.0.1:7"),
            },
            EventKind::AttemptFailed {
                addr: s("1.2.3.4:80"),
                error: error(),
            },
            EventKind::Sent { bytes: u64::MAX },
            EventKind::SendBlocked { waiting: 9 },
            EventKind::Received { bytes: 0 },
            EventKind::Bound {
                local: s("127.0.0.1:5000"),
                remote: None,
            },
            EventKind::Bound {
                local: s("127.0.0.1:5000"),
                remote: Some(s("127.0.0.1:7")),
            },
            EventKind::Listening {
                addr: s("127.0.0.1:9"),
            },
            EventKind::Accepted {
                conn: FIRST_RELAY_OP,
                peer: s("127.0.0.1:6000"),
            },
            EventKind::DatagramSent {
                to: s("127.0.0.1:7"),
                bytes: 3,
            },
            EventKind::DatagramReceived {
                from: s("127.0.0.1:7"),
                bytes: 3,
            },
            EventKind::RecvTimeout { after_ms: 500 },
            EventKind::Refused {
                addr: s("127.0.0.1:9"),
                error: RelayError::new(ErrorCode::Refused, "nothing listens"),
            },
            EventKind::ShutdownSent,
            EventKind::ResetSent,
            EventKind::PeerClosed,
            EventKind::Reset,
            EventKind::Closed { by: Closer::Relay },
            EventKind::Failed { error: error() },
            EventKind::TlsHandshake {
                version: s("TLS 1.3"),
                cipher: s("TLS13_AES_128_GCM_SHA256"),
                alpn: Some(s("http/1.1")),
                certs: vec![CertInfo {
                    subject: s("CN=www.lab.test"),
                    issuer: s("CN=Lab CA"),
                    not_before: s("2026-01-01"),
                    not_after: s("2027-01-01"),
                    sans: vec![s("www.lab.test")],
                }],
            },
            EventKind::TlsHandshake {
                version: s("TLS 1.2"),
                cipher: s("x"),
                alpn: None,
                certs: vec![],
            },
            EventKind::RequestWritten {
                head: Payload(b"GET / HTTP/1.1\r\n\r\n".to_vec()),
                body_bytes: 0,
            },
            EventKind::FirstByte,
            EventKind::ResponseHead {
                status: 200,
                reason: s("OK"),
                version: s("HTTP/1.1"),
                headers: vec![(s("content-type"), s("text/plain"))],
            },
            EventKind::Redirect {
                status: 301,
                location: s("/json"),
            },
            EventKind::Attempt { n: 1, of: 3 },
            EventKind::Backoff {
                attempt: 1,
                wait_ms: 200,
                reason: AttemptReason::Status(503),
                retry_after_ms: Some(1000),
            },
            EventKind::Backoff {
                attempt: 2,
                wait_ms: 400,
                reason: AttemptReason::Error(error()),
                retry_after_ms: None,
            },
            EventKind::GaveUp {
                attempts: 3,
                last_error: AttemptReason::Status(500),
            },
            EventKind::ResponseDone {
                body_bytes: 12,
                json: true,
                timings: HttpTimings {
                    dns_us: 1,
                    connect_us: 2,
                    tls_us: 3,
                    request_us: 4,
                    wait_us: 5,
                    download_us: 6,
                    total_us: 21,
                },
            },
            EventKind::Wire {
                dir: WireDir::In,
                bytes: Payload(vec![0x16, 0x03, 0x01, 0xff]),
            },
            EventKind::DnsQuerySent {
                server: s("127.0.0.1:53"),
                name: s("www.lab.test"),
                rtype: DnsType::Aaaa,
            },
            EventKind::DnsResponse {
                server: s("127.0.0.1:53"),
                rcode: s("NOERROR"),
                answers: vec![record("www.lab.test.")],
                authority: vec![],
                additional: vec![record("ns.lab.test."), record("ns2.lab.test.")],
                elapsed_us: 80,
            },
            EventKind::DnsReferral {
                zone: s("lab.test."),
                servers: vec![s("ns.lab.test.")],
                addrs: vec![s("127.0.0.1:53")],
            },
            EventKind::DnsGlueless {
                zone: s("lab.test."),
                ns: s("ns.elsewhere.test."),
            },
            EventKind::DnsNsFound {
                ns: s("ns.elsewhere.test."),
                addrs: vec![],
            },
        ]
    }

    /// One relay message of every type, events of every kind among them.
    fn every_message() -> Vec<ServerMsg> {
        let mut messages = vec![
            ServerMsg::Welcome {
                version: PROTOCOL_VERSION,
                relay: "roundtrip 0.1.0".into(),
                services: vec![Service {
                    name: "tcp-echo".into(),
                    label: "TCP echo (built-in)".into(),
                    protocol: "tcp".into(),
                    addr: "127.0.0.1:7".into(),
                }],
                limits: Some(SessionLimits {
                    max_ops: 16,
                    ops_per_second: 5,
                    bytes_out_per_minute: Some(1 << 20),
                    bytes_in_per_minute: None,
                    session_idle_s: 300,
                    session_lifetime_s: 1800,
                    session_bytes: Some(1 << 30),
                }),
            },
            ServerMsg::Welcome {
                version: 1,
                relay: String::new(),
                services: vec![],
                limits: None,
            },
            ServerMsg::Data {
                op: 1,
                t_us: 2,
                data: Payload(b"hi\n".to_vec()),
            },
            ServerMsg::Datagram {
                op: 3,
                t_us: 4,
                from: "127.0.0.1:7".into(),
                data: Payload(vec![0xff, 0]),
            },
            ServerMsg::Error {
                op: Some(5),
                error: error(),
            },
            ServerMsg::Error {
                op: None,
                error: RelayError::new(ErrorCode::ExpectedHello, "hello first"),
            },
        ];
        messages.extend(every_kind().into_iter().enumerate().map(|(i, kind)| {
            ServerMsg::Event(Event {
                op: i as u32,
                t_us: 1000 * i as u64,
                kind,
            })
        }));
        messages
    }

    /// One request of every type, every optional field both set and not.
    fn every_request() -> Vec<ClientMsg> {
        let faults = Faults {
            latency_ms: Some(5),
            reset_after_bytes: Some(10),
            ..Faults::default()
        };
        vec![
            ClientMsg::Hello {
                version: 1,
                data: DataEncoding::Json,
            },
            ClientMsg::Hello {
                version: 1,
                data: DataEncoding::Binary,
            },
            ClientMsg::TcpConnect {
                op: 1,
                target: "tcp-echo".into(),
                connect_timeout_ms: Some(500),
                nodelay: true,
                faults: Some(faults),
            },
            ClientMsg::TcpConnect {
                op: 1,
                target: "[::1]:7".into(),
                connect_timeout_ms: None,
                nodelay: false,
                faults: None,
            },
            ClientMsg::UdpOpen {
                op: 2,
                target: Some("udp-echo".into()),
                bind_port: Some(0),
                recv_timeout_ms: Some(100),
                faults: Some(Faults {
                    drop_percent: Some(50),
                    drop_seed: Some(7),
                    ..Faults::default()
                }),
            },
            ClientMsg::UdpOpen {
                op: 2,
                target: None,
                bind_port: None,
                recv_timeout_ms: None,
                faults: None,
            },
            ClientMsg::TcpListen {
                op: 3,
                port: Some(8080),
            },
            ClientMsg::TcpListen { op: 3, port: None },
            ClientMsg::Send {
                op: 4,
                data: Payload(vec![0xff, b'x']),
            },
            ClientMsg::SendTo {
                op: 5,
                target: "127.0.0.1:7".into(),
                data: Payload(b"hi".to_vec()),
            },
            ClientMsg::Shutdown { op: 6 },
            ClientMsg::Close { op: 7 },
            ClientMsg::Abort { op: 7 },
            ClientMsg::DnsQuery {
                op: 8,
                name: "www.lab.test".into(),
                rtype: DnsType::Mx,
                mode: DnsMode::Trace,
                server: Some("127.0.0.1:53".into()),
                timeout_ms: Some(900),
            },
            ClientMsg::DnsQuery {
                op: 8,
                name: "127.0.0.1".into(),
                rtype: DnsType::Ptr,
                mode: DnsMode::Stub,
                server: None,
                timeout_ms: None,
            },
            ClientMsg::HttpRequest(HttpRequest {
                headers: vec![("accept".into(), "*/*".into())],
                body: Some(Payload(b"{}".to_vec())),
                json: true,
                timeouts: Some(HttpTimeouts {
                    total_ms: Some(5000),
                    ..HttpTimeouts::default()
                }),
                follow_redirects: 3,
                raw: true,
                ..HttpRequest::get(9, "http://www.lab.test/json")
            }),
            ClientMsg::HttpRequest(HttpRequest::get(9, "https://www.lab.test/")),
        ]
    }

    #[test]
    fn every_request_reads_back_as_written_in_any_key_order() {
        let types: BTreeSet<&str> = every_request()
            .iter()
            .map(|m| <&str>::from(ClientMsgType::from(m)))
            .collect();
        let all: BTreeSet<&str> = ClientMsgType::iter().map(<&str>::from).collect();
        assert_eq!(types, all);
        for msg in every_request() {
            let json = serde_json::to_string(&msg).unwrap();
            assert_eq!(
                serde_json::from_str::<ClientMsg>(&json).unwrap(),
                msg,
                "{json}"
            );
            let value = serde_json::to_value(&msg).unwrap();
            for order in [vec![], vec![0, 3], vec![5, 1, 2], vec![9, 9, 4, 0]] {
                let text = reordered(&value, &order);
                assert_eq!(
                    serde_json::from_str::<ClientMsg>(&text).unwrap(),
                    msg,
                    "{text}"
                );
            }
        }
        let read = |text: &str| {
            serde_json::from_str::<ClientMsg>(text)
                .unwrap_err()
                .to_string()
        };
        let err = read(r#"{"type":"tcp_connect","bogus":1}"#);
        assert!(
            err.contains("unknown field `bogus`, expected one of `op`, `target`"),
            "{err}"
        );
        let err = read(r#"{"type":"tcp_connect","op":1}"#);
        assert!(err.contains("missing field `target`"), "{err}");
        let err = read(r#"{"type":"http_request","op":1,"method":"GET","url":"u","x":1}"#);
        assert!(err.contains("unknown field `x`"), "{err}");
        let err = read(r#"{"type":"hello","version":1,"data":null}"#);
        assert!(err.contains("invalid type: null"), "{err}");
        let err = read(r#"{"type":"teleport"}"#);
        assert!(
            err.contains("unknown variant `teleport`, expected one of `hello`"),
            "{err}"
        );
    }

    /// `value`'s JSON with its top-level keys in the order `order` picks.
    fn reordered(value: &Value, order: &[usize]) -> String {
        let Value::Object(map) = value else {
            panic!("{value} is not an object")
        };
        let mut pairs: Vec<(&String, &Value)> = map.iter().collect();
        for (i, &j) in order.iter().enumerate() {
            let len = pairs.len();
            pairs.swap(i % len, j % len);
        }
        let fields: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
            .collect();
        format!("{{{}}}", fields.join(","))
    }

    #[test]
    fn the_samples_cover_every_type_and_kind() {
        let messages = every_message();
        let types: BTreeSet<&str> = messages
            .iter()
            .map(|m| <&str>::from(ServerMsgType::from(m)))
            .collect();
        let all: BTreeSet<&str> = ServerMsgType::iter().map(<&str>::from).collect();
        assert_eq!(types, all);
        let kinds: BTreeSet<&str> = every_kind()
            .iter()
            .map(|k| <&str>::from(EventKindType::from(k)))
            .collect();
        let all: BTreeSet<&str> = EventKindType::iter().map(<&str>::from).collect();
        assert_eq!(kinds, all);
    }

    /// What serde writes, these read back: as text straight from the
    /// parser, through a `Value` (as the page's decoder does), and in a
    /// recording; and the kind and type names are serde's.
    #[test]
    fn every_message_reads_back_as_written() {
        for msg in every_message() {
            let json = serde_json::to_string(&msg).unwrap();
            let value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(
                value["type"].as_str(),
                Some(<&str>::from(ServerMsgType::from(&msg)))
            );
            if let ServerMsg::Event(event) = &msg {
                assert_eq!(
                    value["kind"].as_str(),
                    Some(<&str>::from(EventKindType::from(&event.kind))),
                    "{json}"
                );
                let alone: Event = serde_json::from_str(&json).unwrap();
                assert_eq!(&alone, event);
                let kind = serde_json::to_string(&event.kind).unwrap();
                assert_eq!(
                    serde_json::from_str::<EventKind>(&kind).unwrap(),
                    event.kind
                );
            }
            assert_eq!(
                serde_json::from_str::<ServerMsg>(&json).unwrap(),
                msg,
                "{json}"
            );
            assert_eq!(serde_json::from_value::<ServerMsg>(value).unwrap(), msg);
            assert_eq!(decode_server(&Frame::Text(json)).unwrap(), msg);
        }
        let mut recording = Recording::default();
        for (i, msg) in every_message().into_iter().enumerate() {
            recording.push(i as f64, Message::In(msg));
            recording.push(
                i as f64 + 0.5,
                Message::Out(ClientMsg::Close { op: i as u32 }),
            );
        }
        for msg in every_request() {
            recording.push(100.0, Message::Out(msg));
        }
        let back = Recording::from_json(&recording.to_json()).unwrap();
        assert_eq!(back, recording);
    }

    #[test]
    fn unknown_fields_are_refused_where_they_were_and_ignored_in_events() {
        let read = |text: &str| serde_json::from_str::<ServerMsg>(text);
        let err = read(r#"{"type":"data","op":1,"t_us":2,"data":{"text":"x"},"bogus":1}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `bogus`, expected one of `op`, `t_us`, `data`"),
            "{err}"
        );
        let err = read(r#"{"type":"welcome","version":1,"relay":"r","services":[],"x":0}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `x`"), "{err}");
        // An event flattens its kind: a field the page does not know (from
        // a newer relay) is passed over.
        let event = read(r#"{"type":"event","op":1,"t_us":2,"kind":"reset","new":true}"#).unwrap();
        assert_eq!(
            event,
            ServerMsg::Event(Event {
                op: 1,
                t_us: 2,
                kind: EventKind::Reset
            })
        );
        // An absent option is none; an absent required field is named.
        let err = read(r#"{"type":"event","t_us":2,"kind":"reset"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `op`"), "{err}");
        let err = read(r#"{"type":"event","op":1,"t_us":2,"kind":"sent"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `bytes`"), "{err}");
        let err = read(r#"{"type":"event","op":1,"t_us":2,"kind":"teleported"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `teleported`, expected one of `resolving`, `resolved`"),
            "{err}"
        );
        let err = read(r#"{"type":"bonjour"}"#).unwrap_err().to_string();
        assert!(
            err.contains("unknown variant `bonjour`, expected one of `welcome`, `event`"),
            "{err}"
        );
        let err = read(r#"{"type":"data","op":"one","t_us":2,"data":{"text":"x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid type: string \"one\", expected u32"),
            "{err}"
        );
        let err = read("[1, 2]").unwrap_err().to_string();
        assert!(err.contains("invalid type: sequence"), "{err}");
    }

    #[test]
    fn recording_entries_read_their_direction_and_pass_over_the_rest() {
        let entry: Entry = serde_json::from_str(
            r#"{"note":"kept by hand","msg":{"type":"close","op":3},"dir":"out","at_ms":1.5}"#,
        )
        .unwrap();
        assert_eq!(entry.at_ms, 1.5);
        assert_eq!(entry.message, Message::Out(ClientMsg::Close { op: 3 }));
        let err = serde_json::from_str::<Entry>(r#"{"at_ms":0,"dir":"sideways","msg":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `sideways`, expected `out` or `in`"),
            "{err}"
        );
        let err = serde_json::from_str::<Entry>(r#"{"dir":"in","msg":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `at_ms`"), "{err}");
    }

    proptest! {
        /// The keys of a message may come in any order.
        #[test]
        fn keys_in_any_order(
            pick in 0..64usize,
            order in prop::collection::vec(any::<usize>(), 0..12),
        ) {
            let messages = every_message();
            let msg = &messages[pick % messages.len()];
            let text = reordered(&serde_json::to_value(msg).unwrap(), &order);
            prop_assert_eq!(&serde_json::from_str::<ServerMsg>(&text).unwrap(), msg);
            prop_assert_eq!(&decode_server(&Frame::Text(text.clone())).unwrap(), msg);
            let entry = Entry { at_ms: 2.0, message: Message::In(msg.clone()) };
            let text = reordered(&serde_json::to_value(&entry).unwrap(), &order);
            prop_assert_eq!(serde_json::from_str::<Entry>(&text).unwrap(), entry);
        }
    }
}
