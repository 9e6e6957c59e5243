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

/// Names the TLS records in the chunks of one direction of a connection,
/// chunk by chunk as they crossed the socket, for the diagram's labels:
/// `TLS handshake: ClientHello, 259 B`, `application data ×3, 4 KiB`. A
/// record may span chunks; the reader remembers how much of it is still
/// to come. A stream that does not start with a record header is not TLS
/// (plain-text HTTP starts with a letter, never a record type byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireReader {
    /// Bytes of the current record still to come.
    left: usize,
    /// This direction carries TLS records.
    tls: bool,
    /// A change_cipher_spec went this way: later handshake records are
    /// encrypted (TLS 1.2's Finished).
    encrypted: bool,
    /// The stream lost its record framing (a cut header, a byte that is no
    /// record type): the rest is named by size only.
    lost: bool,
}

/// At most this many kinds of record are named in one label.
const NAMED_PARTS: usize = 3;

impl WireReader {
    /// The records of the next chunk, `None` when the stream is not TLS.
    pub fn read(&mut self, chunk: &[u8]) -> Option<String> {
        if !self.tls {
            let starts_record = chunk.len() >= 3 && (20..=23).contains(&chunk[0]) && chunk[1] == 3;
            if !starts_record {
                return None;
            }
            self.tls = true;
        }
        let size = crate::payload::format_bytes(chunk.len() as u64);
        if self.lost {
            return Some(format!("TLS bytes, {size}"));
        }
        let mut parts: Vec<String> = Vec::new();
        let mut at = 0;
        if self.left > 0 {
            let take = self.left.min(chunk.len());
            self.left -= take;
            at = take;
            parts.push("rest of a record".to_owned());
        }
        while at < chunk.len() {
            let rest = &chunk[at..];
            if rest.len() < HEADER {
                self.lost = true;
                parts.push("part of a record header".to_owned());
                break;
            }
            let length = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            let body = &rest[HEADER..(HEADER + length).min(rest.len())];
            let name = match rest[0] {
                22 if !self.encrypted => {
                    let names = handshake_messages(body);
                    if names.is_empty() {
                        "TLS handshake".to_owned()
                    } else {
                        format!("TLS handshake: {}", names.join(" + "))
                    }
                }
                22 => "encrypted handshake".to_owned(),
                20 => {
                    self.encrypted = true;
                    "change_cipher_spec".to_owned()
                }
                21 => "TLS alert".to_owned(),
                23 => "application data".to_owned(),
                _ => {
                    self.lost = true;
                    parts.push("not a TLS record".to_owned());
                    break;
                }
            };
            parts.push(name);
            let end = HEADER + length;
            if end > rest.len() {
                self.left = end - rest.len();
                break;
            }
            at += end;
        }
        // Runs of one kind are counted: `application data ×3`.
        let mut runs: Vec<(String, usize)> = Vec::new();
        for part in parts {
            match runs.last_mut() {
                Some((last, n)) if *last == part => *n += 1,
                _ => runs.push((part, 1)),
            }
        }
        let mut named: Vec<String> = runs
            .iter()
            .take(NAMED_PARTS)
            .map(|(part, n)| match n {
                1 => part.clone(),
                n => format!("{part} ×{n}"),
            })
            .collect();
        if runs.len() > NAMED_PARTS {
            named.push("…".to_owned());
        }
        Some(format!("{}, {size}", named.join(", ")))
    }
}

/// The plaintext handshake messages of a record body, in order (each is a
/// type byte and a 3-byte length); stops at one that is cut or unknown.
fn handshake_messages(body: &[u8]) -> Vec<&'static str> {
    let mut names = Vec::new();
    let mut at = 0;
    while body.len() >= at + 4 {
        let Some(name) = handshake_name(body[at]) else {
            break;
        };
        names.push(name);
        let length = (usize::from(body[at + 1]) << 16)
            | (usize::from(body[at + 2]) << 8)
            | usize::from(body[at + 3]);
        at += 4 + length;
    }
    names
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

    #[test]
    fn wire_chunks_are_named_by_their_records() {
        let mut out = WireReader::default();
        // A ClientHello of 254 bytes in one record: 259 B on the wire.
        let mut hello = vec![1, 0, 0, 250];
        hello.extend(vec![0; 250]);
        let chunk = record(22, &hello);
        assert_eq!(
            out.read(&chunk).as_deref(),
            Some("TLS handshake: ClientHello, 259 B")
        );
        // The server's flight: ServerHello, CCS, and encrypted records, the
        // last one cut by the read.
        let mut inbound = WireReader::default();
        let mut flight = record(22, &[2, 0, 0, 2, 3, 3]);
        flight.extend(record(20, &[1]));
        flight.extend(record(23, &[0; 40]));
        flight.extend(record(23, &[0; 40]));
        let mut big = record(23, &[0; 100]);
        big.truncate(50);
        flight.extend(&big);
        assert_eq!(
            inbound.read(&flight).as_deref(),
            Some("TLS handshake: ServerHello, change_cipher_spec, application data ×3, 157 B")
        );
        // The next read finishes that record and brings an alert.
        let mut next = vec![0; 55];
        next.extend(record(21, &[1, 0]));
        assert_eq!(
            inbound.read(&next).as_deref(),
            Some("rest of a record, TLS alert, 62 B")
        );
        // Plain-text HTTP is not TLS.
        assert_eq!(WireReader::default().read(b"GET /json HTTP/1.1\r\n"), None);
    }

    #[test]
    fn a_tls12_flight_names_every_handshake_message_and_hides_the_encrypted_ones() {
        let mut reader = WireReader::default();
        let mut body = vec![2, 0, 0, 1, 0];
        body.extend([11, 0, 0, 1, 0]);
        body.extend([14, 0, 0, 0]);
        let mut chunk = record(22, &body);
        chunk.extend(record(20, &[1]));
        chunk.extend(record(22, &[0x99; 16]));
        assert_eq!(
            reader.read(&chunk).as_deref(),
            Some(
                "TLS handshake: ServerHello + Certificate + ServerHelloDone, change_cipher_spec, encrypted handshake, 46 B"
            )
        );
    }
}
