//! Messages as WebSocket frames, and back.
//!
//! Control messages are JSON text frames. Payload bytes take binary frames so
//! that the hot path needs no base64 and no JSON escaping:
//!
//! ```text
//! browser -> relay  send:  [0x01][op: u32 BE][payload ...]
//! relay -> browser  data:  [0x02][op: u32 BE][t_us: u64 BE][payload ...]
//! relay -> browser  datagram:
//!     [0x03][op: u32 BE][t_us: u64 BE][from_len: u8][from: UTF-8][payload ...]
//! ```
//!
//! Every message also has a JSON form ([`ClientMsg::Send`],
//! [`ServerMsg::Data`], [`ServerMsg::Datagram`]), which the relay accepts from clients that cannot or
//! would rather not build binary frames.

use crate::payload::Payload;
use crate::protocol::{
    ClientMsg, ClientMsgType, DataEncoding, ErrorCode, OpId, RelayError, ServerMsg, ServerMsgType,
};

/// Binary frame kind: browser -> relay payload for [`ClientMsg::Send`].
pub const FRAME_SEND: u8 = 0x01;
/// Binary frame kind: relay -> browser payload for [`ServerMsg::Data`].
pub const FRAME_DATA: u8 = 0x02;
/// Binary frame kind: relay -> browser datagram for [`ServerMsg::Datagram`].
pub const FRAME_DATAGRAM: u8 = 0x03;

/// Bytes before the payload of a binary `send` frame.
pub const SEND_HEADER: usize = 1 + 4;
/// Bytes before the payload of a binary `data` frame.
pub const DATA_HEADER: usize = 1 + 4 + 8;
const DATAGRAM_HEADER: usize = DATA_HEADER + 1;

/// A WebSocket message, independent of any WebSocket library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Encodes a client message: `Send` as a binary frame, the rest as JSON.
pub fn encode_client(msg: &ClientMsg) -> Frame {
    match msg {
        ClientMsg::Send { op, data } => {
            let mut bytes = Vec::with_capacity(SEND_HEADER + data.0.len());
            bytes.push(FRAME_SEND);
            bytes.extend_from_slice(&op.to_be_bytes());
            bytes.extend_from_slice(&data.0);
            Frame::Binary(bytes)
        }
        other => Frame::Text(to_json(other)),
    }
}

/// Decodes a client message from either form. Errors are typed so that the
/// relay can answer them without closing the session.
pub fn decode_client(frame: &Frame) -> Result<ClientMsg, RelayError> {
    match frame {
        Frame::Text(text) => from_json(text, |kind| kind.parse::<ClientMsgType>().is_ok()),
        Frame::Binary(bytes) => match bytes.split_first() {
            Some((&FRAME_SEND, rest)) if rest.len() >= 4 => {
                let (op, payload) = rest.split_at(4);
                Ok(ClientMsg::Send {
                    op: u32::from_be_bytes(op.try_into().expect("4 bytes")),
                    data: Payload(payload.to_vec()),
                })
            }
            Some((&FRAME_SEND, _)) => Err(RelayError::new(
                ErrorCode::Malformed,
                "binary send frame is shorter than its 5-byte header",
            )),
            Some((kind, _)) => Err(RelayError::new(
                ErrorCode::Malformed,
                format!(
                    "binary frame of unknown kind 0x{kind:02x} (clients send 0x{FRAME_SEND:02x})"
                ),
            )),
            None => Err(RelayError::new(ErrorCode::Malformed, "empty binary frame")),
        },
    }
}

/// The operation of a binary `send` frame, whose payload is then
/// `bytes[SEND_HEADER..]`; `None` for any other frame (which
/// [`decode_client`] explains). Lets a receiver pass the payload on as a
/// slice of the frame it holds, without the copy into a [`Payload`].
pub fn send_op(bytes: &[u8]) -> Option<OpId> {
    match bytes {
        [FRAME_SEND, op @ ..] if op.len() >= 4 => {
            Some(u32::from_be_bytes(op[..4].try_into().expect("4 bytes")))
        }
        _ => None,
    }
}

/// The header of a binary `data` frame, to put in front of payload bytes
/// already in place (the relay reads into the space after it).
pub fn data_header(op: OpId, t_us: u64) -> [u8; DATA_HEADER] {
    let mut header = [0; DATA_HEADER];
    header[0] = FRAME_DATA;
    header[1..5].copy_from_slice(&op.to_be_bytes());
    header[5..].copy_from_slice(&t_us.to_be_bytes());
    header
}

/// The operation a frame names, read even when the frame cannot be decoded
/// as a whole: an error about a malformed request still says which
/// operation it refuses, so the client does not wait on it.
pub fn op_of(frame: &Frame) -> Option<OpId> {
    match frame {
        Frame::Text(text) => serde_json::from_str::<serde_json::Value>(text)
            .ok()?
            .get("op")?
            .as_u64()
            .and_then(|op| OpId::try_from(op).ok()),
        Frame::Binary(bytes) => match bytes.split_first() {
            Some((&FRAME_SEND, rest)) if rest.len() >= 4 => {
                Some(u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")))
            }
            _ => None,
        },
    }
}

/// Encodes a relay message. `Data` takes a binary frame unless the client
/// asked for JSON in its hello.
pub fn encode_server(msg: &ServerMsg, encoding: DataEncoding) -> Frame {
    match (msg, encoding) {
        (ServerMsg::Data { op, t_us, data }, DataEncoding::Binary) => {
            let mut bytes = Vec::with_capacity(DATA_HEADER + data.0.len());
            bytes.extend_from_slice(&data_header(*op, *t_us));
            bytes.extend_from_slice(&data.0);
            Frame::Binary(bytes)
        }
        (
            ServerMsg::Datagram {
                op,
                t_us,
                from,
                data,
            },
            DataEncoding::Binary,
        ) if from.len() <= usize::from(u8::MAX) => {
            let mut bytes = Vec::with_capacity(DATAGRAM_HEADER + from.len() + data.0.len());
            bytes.push(FRAME_DATAGRAM);
            bytes.extend_from_slice(&op.to_be_bytes());
            bytes.extend_from_slice(&t_us.to_be_bytes());
            bytes.push(from.len() as u8);
            bytes.extend_from_slice(from.as_bytes());
            bytes.extend_from_slice(&data.0);
            Frame::Binary(bytes)
        }
        // (A source address too long for the binary header goes as JSON.)
        (other, _) => Frame::Text(to_json(other)),
    }
}

/// Decodes a relay message from either form.
pub fn decode_server(frame: &Frame) -> Result<ServerMsg, RelayError> {
    match frame {
        Frame::Text(text) => from_json(text, |kind| kind.parse::<ServerMsgType>().is_ok()),
        Frame::Binary(bytes) => match bytes.split_first() {
            Some((&FRAME_DATA, rest)) if rest.len() >= DATA_HEADER - 1 => {
                let (op, rest) = rest.split_at(4);
                let (t_us, payload) = rest.split_at(8);
                Ok(ServerMsg::Data {
                    op: u32::from_be_bytes(op.try_into().expect("4 bytes")),
                    t_us: u64::from_be_bytes(t_us.try_into().expect("8 bytes")),
                    data: Payload(payload.to_vec()),
                })
            }
            Some((&FRAME_DATAGRAM, rest)) => decode_datagram(rest),
            _ => Err(RelayError::new(
                ErrorCode::Malformed,
                "binary frame is neither a data nor a datagram frame",
            )),
        },
    }
}

/// A datagram frame after its kind byte.
fn decode_datagram(rest: &[u8]) -> Result<ServerMsg, RelayError> {
    let short = || {
        RelayError::new(
            ErrorCode::Malformed,
            "binary datagram frame is shorter than its header",
        )
    };
    if rest.len() < DATAGRAM_HEADER - 1 {
        return Err(short());
    }
    let (op, rest) = rest.split_at(4);
    let (t_us, rest) = rest.split_at(8);
    let (from_len, rest) = rest.split_at(1);
    let from_len = usize::from(from_len[0]);
    if rest.len() < from_len {
        return Err(short());
    }
    let (from, payload) = rest.split_at(from_len);
    let from = std::str::from_utf8(from).map_err(|_| {
        RelayError::new(
            ErrorCode::Malformed,
            "binary datagram frame: the source address is not UTF-8",
        )
    })?;
    Ok(ServerMsg::Datagram {
        op: u32::from_be_bytes(op.try_into().expect("4 bytes")),
        t_us: u64::from_be_bytes(t_us.try_into().expect("8 bytes")),
        from: from.to_owned(),
        data: Payload(payload.to_vec()),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("protocol types always serialize")
}

/// Parses JSON, telling "not JSON", "unknown type" and "bad fields" apart so
/// that a person writing a client learns what to fix.
/// A JSON message; `known` says whether a `type` is one of `T`'s, so that a
/// message of an unknown type is told from a known one with a bad field.
fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    known: impl Fn(&str) -> bool,
) -> Result<T, RelayError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| RelayError::new(ErrorCode::Malformed, format!("not valid JSON: {e}")))?;
    let Some(kind) = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
    else {
        return Err(RelayError::new(
            ErrorCode::Malformed,
            "JSON message has no string field \"type\"",
        ));
    };
    serde_json::from_value(value).map_err(|e| {
        // Only the message's own `type` is an unknown type; an unknown
        // variant in a field (say an `rtype`) is a bad field.
        if known(&kind) {
            RelayError::new(ErrorCode::Malformed, format!("bad \"{kind}\" message: {e}"))
        } else {
            RelayError::new(
                ErrorCode::UnknownType,
                format!("unknown message type \"{kind}\""),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::*;
    use proptest::prelude::*;

    #[test]
    fn a_refused_frame_still_names_its_operation() {
        let text = |s: &str| Frame::Text(s.to_owned());
        let bad_rtype = text(r#"{"type":"dns_query","op":11,"name":"x","rtype":"ANY"}"#);
        assert!(decode_client(&bad_rtype).is_err());
        assert_eq!(op_of(&bad_rtype), Some(11));
        assert_eq!(
            op_of(&text(
                r#"{"type":"send","op":12345,"data":{"base64":"!!!"}}"#
            )),
            Some(12345)
        );
        // No op, an op that is no id, or no JSON at all: none.
        assert_eq!(op_of(&text(r#"{"type":"hello"}"#)), None);
        assert_eq!(op_of(&text(r#"{"type":"close","op":-1}"#)), None);
        assert_eq!(op_of(&text(r#"{"type":"close","op":4294967296}"#)), None);
        assert_eq!(op_of(&text("not json")), None);
        assert_eq!(op_of(&Frame::Binary(vec![FRAME_SEND, 0, 0, 0, 7])), Some(7));
        assert_eq!(op_of(&Frame::Binary(vec![FRAME_SEND, 0, 0])), None);
    }

    fn payload() -> impl Strategy<Value = Payload> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256).prop_map(Payload),
            ".{0,64}".prop_map(|s: String| Payload(s.into_bytes())),
        ]
    }

    fn error() -> impl Strategy<Value = RelayError> {
        (
            prop::sample::select(
                <ErrorCode as strum::IntoEnumIterator>::iter().collect::<Vec<_>>(),
            ),
            prop::option::of(prop::sample::select(
                <Refusal as strum::IntoEnumIterator>::iter().collect::<Vec<_>>(),
            )),
            ".{0,40}",
            prop::option::of(prop::sample::select(
                <TlsFailure as strum::IntoEnumIterator>::iter().collect::<Vec<_>>(),
            )),
        )
            .prop_map(|(code, refusal, message, tls_failure)| RelayError {
                code,
                message,
                refusal,
                tls_failure,
            })
    }

    fn client_msg() -> impl Strategy<Value = ClientMsg> {
        prop_oneof![
            (any::<u32>(), any::<bool>()).prop_map(|(version, json)| ClientMsg::Hello {
                version,
                data: if json {
                    DataEncoding::Json
                } else {
                    DataEncoding::Binary
                },
            }),
            (
                any::<u32>(),
                ".{0,40}",
                any::<Option<u64>>(),
                any::<bool>(),
                prop::option::of(faults())
            )
                .prop_map(|(op, target, connect_timeout_ms, nodelay, faults)| {
                    ClientMsg::TcpConnect {
                        op,
                        target,
                        connect_timeout_ms,
                        nodelay,
                        faults,
                    }
                }),
            (
                any::<u32>(),
                proptest::option::of(".{0,20}"),
                any::<Option<u16>>(),
                any::<Option<u64>>()
            )
                .prop_map(|(op, target, bind_port, recv_timeout_ms)| {
                    ClientMsg::UdpOpen {
                        faults: None,
                        op,
                        target,
                        bind_port,
                        recv_timeout_ms,
                    }
                }),
            (any::<u32>(), any::<Option<u16>>())
                .prop_map(|(op, port)| ClientMsg::TcpListen { op, port }),
            (any::<u32>(), payload()).prop_map(|(op, data)| ClientMsg::Send { op, data }),
            (any::<u32>(), ".{0,20}", payload()).prop_map(|(op, target, data)| ClientMsg::SendTo {
                op,
                target,
                data
            }),
            any::<u32>().prop_map(|op| ClientMsg::Shutdown { op }),
            any::<u32>().prop_map(|op| ClientMsg::Close { op }),
            (
                any::<u32>(),
                ".{0,40}",
                dns_type(),
                any::<bool>(),
                proptest::option::of(".{0,20}"),
                any::<Option<u64>>(),
            )
                .prop_map(|(op, name, rtype, trace, server, timeout_ms)| {
                    ClientMsg::DnsQuery {
                        op,
                        name,
                        rtype,
                        mode: if trace { DnsMode::Trace } else { DnsMode::Stub },
                        server,
                        timeout_ms,
                    }
                }),
            http_request(),
        ]
    }

    fn http_request() -> impl Strategy<Value = ClientMsg> {
        (
            (any::<u32>(), "[A-Z]{1,7}", ".{0,40}"),
            prop::collection::vec((".{0,10}", ".{0,10}"), 0..3),
            (prop::option::of(payload()), any::<bool>(), any::<bool>()),
            prop::option::of(
                (
                    any::<Option<u64>>(),
                    any::<Option<u64>>(),
                    any::<Option<u64>>(),
                    any::<Option<u64>>(),
                )
                    .prop_map(|(connect_ms, tls_ms, first_byte_ms, total_ms)| {
                        HttpTimeouts {
                            connect_ms,
                            tls_ms,
                            first_byte_ms,
                            total_ms,
                        }
                    }),
            ),
            (any::<u8>(), any::<Option<u64>>()),
        )
            .prop_map(
                |((op, method, url), headers, (body, json, raw), timeouts, (follow, max_body))| {
                    ClientMsg::HttpRequest(HttpRequest {
                        faults: None,
                        op,
                        method,
                        url,
                        headers,
                        body,
                        json,
                        timeouts,
                        follow_redirects: follow,
                        max_body,
                        raw,
                        retry: None,
                    })
                },
            )
    }

    fn faults() -> impl Strategy<Value = Faults> {
        (
            any::<Option<u32>>(),
            any::<Option<u8>>(),
            any::<Option<u64>>(),
            any::<Option<u64>>(),
            any::<Option<u32>>(),
        )
            .prop_map(
                |(latency_ms, drop_percent, drop_seed, reset_after_bytes, read_bytes_per_s)| {
                    Faults {
                        latency_ms,
                        drop_percent,
                        drop_seed,
                        reset_after_bytes,
                        read_bytes_per_s,
                    }
                },
            )
    }

    fn dns_type() -> impl Strategy<Value = DnsType> {
        prop::sample::select(DnsType::all().collect::<Vec<_>>())
    }

    fn dns_records() -> impl Strategy<Value = Vec<DnsRecord>> {
        prop::collection::vec(
            (".{0,20}", any::<u32>(), ".{0,4}", ".{0,6}", ".{0,30}").prop_map(
                |(name, ttl, class, rtype, data)| DnsRecord {
                    name,
                    ttl,
                    class,
                    rtype,
                    data,
                },
            ),
            0..3,
        )
    }

    fn event_kind() -> impl Strategy<Value = EventKind> {
        prop_oneof![
            ".{0,20}".prop_map(|host| EventKind::Resolving { host }),
            prop::collection::vec(".{0,20}", 0..3).prop_map(|addrs| EventKind::Resolved {
                addrs,
                source: ResolveSource::System
            }),
            (".{0,20}", ".{0,20}", ".{0,10}").prop_map(|(from, to, service)| EventKind::LabPort {
                from,
                to,
                service
            }),
            ".{0,20}".prop_map(|addr| EventKind::Connecting { addr }),
            (".{0,20}", ".{0,20}")
                .prop_map(|(local, remote)| EventKind::Connected { local, remote }),
            (".{0,20}", error()).prop_map(|(addr, error)| EventKind::AttemptFailed { addr, error }),
            any::<u64>().prop_map(|bytes| EventKind::Sent { bytes }),
            any::<u64>().prop_map(|bytes| EventKind::Received { bytes }),
            (".{0,20}", proptest::option::of(".{0,20}"))
                .prop_map(|(local, remote)| EventKind::Bound { local, remote }),
            (".{0,20}", any::<u64>()).prop_map(|(to, bytes)| EventKind::DatagramSent { to, bytes }),
            (".{0,20}", any::<u64>())
                .prop_map(|(from, bytes)| EventKind::DatagramReceived { from, bytes }),
            any::<u64>().prop_map(|after_ms| EventKind::RecvTimeout { after_ms }),
            ".{0,20}".prop_map(|addr| EventKind::Listening { addr }),
            (any::<u32>(), ".{0,20}").prop_map(|(conn, peer)| EventKind::Accepted { conn, peer }),
            (".{0,20}", error()).prop_map(|(addr, error)| EventKind::Refused { addr, error }),
            Just(EventKind::ShutdownSent),
            any::<u64>().prop_map(|waiting| EventKind::SendBlocked { waiting }),
            Just(EventKind::PeerClosed),
            Just(EventKind::Reset),
            Just(EventKind::Closed { by: Closer::Peer }),
            error().prop_map(|error| EventKind::Failed { error }),
            (".{0,20}", ".{0,20}", dns_type()).prop_map(|(server, name, rtype)| {
                EventKind::DnsQuerySent {
                    server,
                    name,
                    rtype,
                }
            }),
            (
                ".{0,20}",
                ".{0,8}",
                dns_records(),
                dns_records(),
                dns_records(),
                any::<u64>()
            )
                .prop_map(
                    |(server, rcode, answers, authority, additional, elapsed_us)| {
                        EventKind::DnsResponse {
                            server,
                            rcode,
                            answers,
                            authority,
                            additional,
                            elapsed_us,
                        }
                    }
                ),
            (
                ".{0,20}",
                prop::collection::vec(".{0,20}", 0..3),
                prop::collection::vec(".{0,20}", 0..3)
            )
                .prop_map(|(zone, servers, addrs)| EventKind::DnsReferral {
                    zone,
                    servers,
                    addrs
                }),
            (".{0,20}", ".{0,20}").prop_map(|(zone, ns)| EventKind::DnsGlueless { zone, ns }),
            (".{0,20}", prop::collection::vec(".{0,20}", 0..3))
                .prop_map(|(ns, addrs)| EventKind::DnsNsFound { ns, addrs }),
            http_event_kind(),
        ]
    }

    fn http_event_kind() -> impl Strategy<Value = EventKind> {
        let cert = (".{0,10}", ".{0,10}", ".{0,10}", ".{0,10}").prop_map(
            |(subject, issuer, not_before, not_after)| CertInfo {
                subject,
                issuer,
                not_before,
                not_after,
                sans: vec![],
            },
        );
        prop_oneof![
            (
                ".{0,10}",
                ".{0,10}",
                prop::option::of(".{0,10}"),
                prop::collection::vec(cert, 0..3)
            )
                .prop_map(|(version, cipher, alpn, certs)| EventKind::TlsHandshake {
                    version,
                    cipher,
                    alpn,
                    certs
                }),
            (payload(), any::<u64>())
                .prop_map(|(head, body_bytes)| EventKind::RequestWritten { head, body_bytes }),
            Just(EventKind::FirstByte),
            (
                any::<u16>(),
                ".{0,10}",
                ".{0,10}",
                prop::collection::vec((".{0,10}", ".{0,10}"), 0..3)
            )
                .prop_map(|(status, reason, version, headers)| {
                    EventKind::ResponseHead {
                        status,
                        reason,
                        version,
                        headers,
                    }
                }),
            (any::<u16>(), ".{0,20}")
                .prop_map(|(status, location)| EventKind::Redirect { status, location }),
            (any::<u64>(), any::<bool>(), any::<[u64; 7]>()).prop_map(|(body_bytes, json, t)| {
                EventKind::ResponseDone {
                    body_bytes,
                    json,
                    timings: HttpTimings {
                        dns_us: t[0],
                        connect_us: t[1],
                        tls_us: t[2],
                        request_us: t[3],
                        wait_us: t[4],
                        download_us: t[5],
                        total_us: t[6],
                    },
                }
            }),
            (any::<bool>(), payload()).prop_map(|(out, bytes)| EventKind::Wire {
                dir: if out { WireDir::Out } else { WireDir::In },
                bytes
            }),
        ]
    }

    fn server_msg() -> impl Strategy<Value = ServerMsg> {
        prop_oneof![
            (any::<u32>(), ".{0,20}").prop_map(|(version, relay)| ServerMsg::Welcome {
                version,
                relay,
                services: vec![Service {
                    name: "tcp-echo".into(),
                    label: "TCP echo (built-in)".into(),
                    protocol: "tcp".into(),
                    addr: "127.0.0.1:7".into(),
                }],
                limits: Some(SessionLimits {
                    session_bytes: None,
                    max_ops: 16,
                    ops_per_second: 5,
                    bytes_out_per_minute: Some(1 << 20),
                    bytes_in_per_minute: None,
                    session_idle_s: 300,
                    session_lifetime_s: 1800,
                }),
            }),
            (any::<u32>(), any::<u64>(), event_kind())
                .prop_map(|(op, t_us, kind)| ServerMsg::Event(Event { op, t_us, kind })),
            (any::<u32>(), any::<u64>(), payload()).prop_map(|(op, t_us, data)| ServerMsg::Data {
                op,
                t_us,
                data
            }),
            (any::<u32>(), any::<u64>(), ".{0,300}", payload()).prop_map(
                |(op, t_us, from, data)| ServerMsg::Datagram {
                    op,
                    t_us,
                    from,
                    data
                }
            ),
            (any::<Option<u32>>(), error()).prop_map(|(op, error)| ServerMsg::Error { op, error }),
        ]
    }

    proptest! {
        #[test]
        fn client_messages_round_trip(msg in client_msg()) {
            // Its `type` is one the decoder knows by name.
            let kind: &str = ClientMsgType::from(&msg).into();
            let json = serde_json::to_value(&msg).unwrap();
            prop_assert_eq!(json["type"].as_str(), Some(kind));
            prop_assert_eq!(decode_client(&encode_client(&msg)).unwrap(), msg.clone());
            // The JSON form of every message (Send included) decodes too.
            let json = Frame::Text(serde_json::to_string(&msg).unwrap());
            prop_assert_eq!(decode_client(&json).unwrap(), msg);
        }

        #[test]
        fn server_messages_round_trip(msg in server_msg(), json in any::<bool>()) {
            let kind: &str = ServerMsgType::from(&msg).into();
            let value = serde_json::to_value(&msg).unwrap();
            prop_assert_eq!(value["type"].as_str(), Some(kind));
            let encoding = if json { DataEncoding::Json } else { DataEncoding::Binary };
            prop_assert_eq!(decode_server(&encode_server(&msg, encoding)).unwrap(), msg);
        }

        /// The relay's shortcut for binary sends agrees with the decoder:
        /// same operation, payload after the header, and nothing else
        /// taken for a send.
        #[test]
        fn send_op_agrees_with_decode_client(bytes in prop::collection::vec(any::<u8>(), 0..16), send in any::<bool>()) {
            let mut bytes = bytes;
            if send && !bytes.is_empty() {
                bytes[0] = FRAME_SEND;
            }
            match (send_op(&bytes), decode_client(&Frame::Binary(bytes.clone()))) {
                (Some(op), Ok(ClientMsg::Send { op: decoded, data })) => {
                    prop_assert_eq!(op, decoded);
                    prop_assert_eq!(&bytes[SEND_HEADER..], &data.0[..]);
                }
                (None, Err(_)) => {}
                (shortcut, decoded) => prop_assert!(false, "{:?} vs {:?}", shortcut, decoded),
            }
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), text in ".{0,64}") {
            let _ = decode_client(&Frame::Binary(bytes.clone()));
            let _ = decode_server(&Frame::Binary(bytes));
            let _ = decode_client(&Frame::Text(text.clone()));
            let _ = decode_server(&Frame::Text(text));
        }
    }

    /// Every `type` the decoder knows by name is one serde reads: with its
    /// fields missing, it is a bad message, not an unknown type.
    #[test]
    fn every_known_type_is_a_message_type() {
        use strum::IntoEnumIterator as _;
        for kind in ClientMsgType::iter() {
            let name: &str = kind.into();
            let error = decode_client(&Frame::Text(format!(r#"{{"type":"{name}","bogus":1}}"#)))
                .unwrap_err();
            assert_eq!(
                error.code,
                ErrorCode::Malformed,
                "{name}: {}",
                error.message
            );
        }
        for kind in ServerMsgType::iter() {
            let name: &str = kind.into();
            let error = decode_server(&Frame::Text(format!(r#"{{"type":"{name}","bogus":1}}"#)))
                .unwrap_err();
            assert_eq!(
                error.code,
                ErrorCode::Malformed,
                "{name}: {}",
                error.message
            );
        }
        let error = decode_client(&Frame::Text(r#"{"type":"teleport"}"#.into())).unwrap_err();
        assert_eq!(error.code, ErrorCode::UnknownType);
    }

    #[test]
    fn send_frames_carry_raw_bytes() {
        let frame = encode_client(&ClientMsg::Send {
            op: 0x0102_0304,
            data: Payload(vec![0xff, b'h', b'i']),
        });
        assert_eq!(
            frame,
            Frame::Binary(vec![0x01, 1, 2, 3, 4, 0xff, b'h', b'i'])
        );
    }

    #[test]
    fn data_frames_carry_raw_bytes() {
        let frame = encode_server(
            &ServerMsg::Data {
                op: 1,
                t_us: 2,
                data: Payload(b"ok".to_vec()),
            },
            DataEncoding::Binary,
        );
        assert_eq!(
            frame,
            Frame::Binary(vec![0x02, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, b'o', b'k'])
        );
    }

    #[test]
    fn datagram_frames_carry_the_source_then_raw_bytes() {
        let frame = encode_server(
            &ServerMsg::Datagram {
                op: 1,
                t_us: 2,
                from: "1.2.3.4:5".into(),
                data: Payload(b"ok".to_vec()),
            },
            DataEncoding::Binary,
        );
        let mut expected = vec![0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 9];
        expected.extend_from_slice(b"1.2.3.4:5ok");
        assert_eq!(frame, Frame::Binary(expected));
        for bad in [
            vec![0x03, 0, 0, 0, 1],
            vec![0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 9, b'1'],
            vec![0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0xff],
        ] {
            let err = decode_server(&Frame::Binary(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::Malformed);
        }
    }

    #[test]
    fn malformed_frames_get_typed_errors() {
        let cases: [(Frame, ErrorCode); 6] = [
            (Frame::Binary(vec![]), ErrorCode::Malformed),
            (Frame::Binary(vec![0x01, 0, 0]), ErrorCode::Malformed),
            (
                Frame::Binary(vec![0x7f, 1, 2, 3, 4, 5]),
                ErrorCode::Malformed,
            ),
            (Frame::Text("{not json".into()), ErrorCode::Malformed),
            (
                Frame::Text(r#"{"type":"teleport","op":1}"#.into()),
                ErrorCode::UnknownType,
            ),
            (
                Frame::Text(r#"{"type":"tcp_connect","op":"one"}"#.into()),
                ErrorCode::Malformed,
            ),
        ];
        for (frame, code) in cases {
            let err = decode_client(&frame).unwrap_err();
            assert_eq!(err.code, code, "{frame:?}: {err}");
        }
    }

    #[test]
    fn an_unknown_value_in_a_field_is_not_an_unknown_type() {
        let frame = Frame::Text(r#"{"type":"dns_query","op":1,"name":"x","rtype":"ZZ"}"#.into());
        let err = decode_client(&frame).unwrap_err();
        assert_eq!(err.code, ErrorCode::Malformed, "{err}");
        assert!(err.message.contains("ZZ"), "{err}");
    }
}
