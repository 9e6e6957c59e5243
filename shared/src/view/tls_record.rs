//! What an eavesdropper sees of HTTPS: the TLS records that crossed the
//! socket, by their five-byte record headers (content type, version,
//! length). Only the handshake's first messages travel in the clear; the
//! rest is `application_data` whatever it carries.
//!
//! This reads the fixed record header and the first byte of a plaintext
//! handshake message; it does not parse TLS messages themselves.

/// One TLS record as it crossed the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsRecord {
    /// Where the record starts in the direction's byte stream.
    pub offset: usize,
    /// `handshake`, `application_data`, `alert`, `change_cipher_spec`, or
    /// `unknown (0xNN)`.
    pub content_type: String,
    /// The record layer version: `TLS 1.2` (TLS 1.3 records say 1.2 too).
    pub version: String,
    /// Length of the record body in bytes.
    pub length: usize,
    /// For a record whose body is readable: `ClientHello`, `ServerHello`, ...
    pub message: Option<&'static str>,
    /// The record's bytes, header included (cut short when `partial`).
    pub bytes: Vec<u8>,
    /// The stream ended before the record did.
    pub partial: bool,
}

const HEADER: usize = 5;

/// Splits one direction's bytes into records. Bytes that cannot start a
/// record (fewer than five at the end) become a final partial record.
pub fn records(stream: &[u8]) -> Vec<TlsRecord> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < stream.len() {
        let rest = &stream[at..];
        if rest.len() < HEADER {
            out.push(TlsRecord {
                offset: at,
                content_type: "incomplete header".to_owned(),
                version: String::new(),
                length: 0,
                message: None,
                bytes: rest.to_vec(),
                partial: true,
            });
            break;
        }
        let length = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let end = (HEADER + length).min(rest.len());
        let content_type = content_type_name(rest[0]);
        let message = (rest[0] == 22 && end > HEADER)
            .then(|| handshake_name(rest[HEADER]))
            .flatten();
        out.push(TlsRecord {
            offset: at,
            content_type,
            version: version_name(rest[1], rest[2]),
            length,
            message,
            bytes: rest[..end].to_vec(),
            partial: end < HEADER + length,
        });
        at += end;
    }
    out
}

fn content_type_name(byte: u8) -> String {
    match byte {
        20 => "change_cipher_spec".to_owned(),
        21 => "alert".to_owned(),
        22 => "handshake".to_owned(),
        23 => "application_data".to_owned(),
        other => format!("unknown (0x{other:02x})"),
    }
}

fn version_name(major: u8, minor: u8) -> String {
    match (major, minor) {
        (3, 0) => "SSL 3.0".to_owned(),
        (3, 1) => "TLS 1.0".to_owned(),
        (3, 2) => "TLS 1.1".to_owned(),
        (3, 3) => "TLS 1.2".to_owned(),
        (3, 4) => "TLS 1.3".to_owned(),
        _ => format!("0x{major:02x}{minor:02x}"),
    }
}

/// Handshake message types that can appear in a plaintext record.
fn handshake_name(byte: u8) -> Option<&'static str> {
    Some(match byte {
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind, 3, 3];
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_tls13_flight_splits_into_its_records() {
        let mut stream = record(22, &[1, 0, 0, 2, 3, 3]);
        stream.extend(record(20, &[1]));
        stream.extend(record(23, &[0xde, 0xad, 0xbe, 0xef]));
        stream.extend(record(21, &[2, 40]));
        let summary: Vec<_> = records(&stream)
            .into_iter()
            .map(|r| {
                (
                    r.offset,
                    r.content_type,
                    r.version,
                    r.length,
                    r.message,
                    r.partial,
                )
            })
            .collect();
        insta::assert_debug_snapshot!(summary);
    }

    #[test]
    fn streams_cut_short_end_in_a_partial_record() {
        let mut stream = record(23, &[1, 2, 3, 4]);
        stream.truncate(7);
        stream.extend_from_slice(&[]);
        let parsed = records(&stream);
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].partial);
        assert_eq!(parsed[0].length, 4);
        assert_eq!(parsed[0].bytes.len(), 7);

        let parsed = records(&[22, 3]);
        assert_eq!(parsed[0].content_type, "incomplete header");
        assert!(parsed[0].partial);
        assert_eq!(records(&[]), vec![]);
    }

    #[test]
    fn unknown_types_and_versions_are_named_by_their_bytes() {
        let parsed = records(&[99, 9, 9, 0, 0]);
        assert_eq!(parsed[0].content_type, "unknown (0x63)");
        assert_eq!(parsed[0].version, "0x0909");
        assert!(!parsed[0].partial);
    }
}
