//! Links that carry work to another person, in the URL's fragment (after
//! `#`), which browsers never send to a server:
//!
//! - `#experiment=…`: what to connect to and what to send. Opening it fills in
//!   the panels; nothing runs until the person presses the button.
//! - `#trace=…`: a whole recording, compressed. Opening it replays the views
//!   and never opens a socket, so such links are safe on a public demo.
//!
//! Both are JSON in base64url (no padding); the trace is deflated first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::protocol::{ClientMsg, DnsMode, DnsType, Faults, HttpTimeouts, OpId};
use crate::protocol_de::{Fields, through_value};
use crate::recording::{Message, Recording, RecordingError};
use crate::retry::RetryPolicy;

/// The longest fragment value read, in characters: a link is typed, pasted
/// and shown, so anything larger should travel as a file.
pub const MAX_LINK_CHARS: usize = 2_000_000;
/// The most bytes a trace link may inflate to (a deflate bomb stops here).
pub const MAX_TRACE_BYTES: usize = 32 * 1024 * 1024;

fn is_zero(n: &u8) -> bool {
    *n == 0
}

/// What an experiment link sets up: every setting of its panel, so the
/// link reproduces the experiment (kept by `experiments_travel_in_links`
/// and `the_last_experiment_carries_every_setting`). Read by hand, as the
/// protocol's messages are (`protocol_de`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Experiment {
    /// A TCP connection, and optionally text to send once connected.
    Tcp {
        target: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        nodelay: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        send: String,
        /// What the lab service is asked to do wrong.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faults: Option<Faults>,
    },
    /// A UDP socket and a datagram to send.
    Udp {
        target: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        send: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bind_port: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recv_timeout_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faults: Option<Faults>,
    },
    /// An HTTP request.
    Http {
        method: String,
        url: String,
        /// `Name: value` lines, as the HTTP panel takes them.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        headers: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        body: String,
        /// The whole retry policy, when the request was retried: a lesson
        /// on backoff shares its multiplier, cap, seed and what is retried.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry: Option<RetryPolicy>,
        /// The body is JSON (the relay checks it and sets the type).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        json: bool,
        /// Keep the wire bytes.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        raw: bool,
        #[serde(default, skip_serializing_if = "is_zero")]
        follow_redirects: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeouts: Option<HttpTimeouts>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        faults: Option<Faults>,
    },
    /// A DNS question.
    Dns {
        name: String,
        rtype: DnsType,
        #[serde(default)]
        mode: DnsMode,
    },
    /// Python programs for the Python tab (file name, source), in the
    /// order to run them: the code beside a lesson, run in the page.
    Python { files: Vec<(String, String)> },
}

/// Every `kind` of experiment, as serde spells them.
const EXPERIMENT_KINDS: &[&str] = &["tcp", "udp", "http", "dns", "python"];

/// The most programs a link opens (an example has one to three).
pub const MAX_LINK_PROGRAMS: usize = 8;

/// Programs a link may carry: one to [`MAX_LINK_PROGRAMS`], each named
/// `name.py` (a short plain name), all together at most
/// `program::saved::MAX_SAVED_BYTES`.
fn check_programs(files: &[(String, String)]) -> Result<(), String> {
    if files.is_empty() || files.len() > MAX_LINK_PROGRAMS {
        return Err(format!(
            "it opens {} programs; a link opens 1 to {MAX_LINK_PROGRAMS}",
            files.len()
        ));
    }
    for (name, _) in files {
        let stem = name.strip_suffix(".py").unwrap_or_default();
        let plain = !stem.is_empty()
            && stem.len() <= 40
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            return Err(format!(
                "{name:?} is not a program name (letters, digits, _ and -, then .py)"
            ));
        }
    }
    let bytes: usize = files.iter().map(|(n, c)| n.len() + c.len()).sum();
    let max = crate::program::saved::MAX_SAVED_BYTES;
    if bytes > max {
        return Err(format!(
            "its programs are {bytes} bytes; a link carries at most {} KiB",
            max / 1024
        ));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for Experiment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        through_value(deserializer, |value| {
            let mut f = Fields::of(value, "internally tagged enum Experiment")?;
            let kind: String = f.req("kind")?;
            Ok(match kind.as_str() {
                "tcp" => {
                    f.only(&["target", "nodelay", "send", "faults"])?;
                    Experiment::Tcp {
                        target: f.req("target")?,
                        nodelay: f.or_default("nodelay")?,
                        send: f.or_default("send")?,
                        faults: f.opt("faults")?,
                    }
                }
                "udp" => {
                    f.only(&["target", "send", "bind_port", "recv_timeout_ms", "faults"])?;
                    Experiment::Udp {
                        target: f.req("target")?,
                        send: f.or_default("send")?,
                        bind_port: f.opt("bind_port")?,
                        recv_timeout_ms: f.opt("recv_timeout_ms")?,
                        faults: f.opt("faults")?,
                    }
                }
                "http" => {
                    f.only(&[
                        "method",
                        "url",
                        "headers",
                        "body",
                        "retry",
                        "json",
                        "raw",
                        "follow_redirects",
                        "timeouts",
                        "faults",
                    ])?;
                    Experiment::Http {
                        method: f.req("method")?,
                        url: f.req("url")?,
                        headers: f.or_default("headers")?,
                        body: f.or_default("body")?,
                        retry: f.opt("retry")?,
                        json: f.or_default("json")?,
                        raw: f.or_default("raw")?,
                        follow_redirects: f.or_default("follow_redirects")?,
                        timeouts: f.opt("timeouts")?,
                        faults: f.opt("faults")?,
                    }
                }
                "dns" => {
                    f.only(&["name", "rtype", "mode"])?;
                    Experiment::Dns {
                        name: f.req("name")?,
                        rtype: f.req("rtype")?,
                        mode: f.or_default("mode")?,
                    }
                }
                "python" => {
                    f.only(&["files"])?;
                    let files: Vec<(String, String)> = f.req("files")?;
                    check_programs(&files).map_err(serde::de::Error::custom)?;
                    Experiment::Python { files }
                }
                other => return Err(serde::de::Error::unknown_variant(other, EXPERIMENT_KINDS)),
            })
        })
    }
}

/// What a link's fragment holds.
#[derive(Clone, Debug, PartialEq)]
// Read once, when the page loads: the size of the larger variant costs
// nothing, and boxing it would only make every match on it clumsier.
#[allow(clippy::large_enum_variant)]
pub enum Shared {
    Experiment(Experiment),
    Trace(Recording),
}

/// Why a link could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is too long to open (over {MAX_LINK_CHARS} characters)")]
    TooLong,
    #[error("the link is damaged: its data is not valid base64url")]
    NotBase64,
    #[error("the link is damaged: its trace does not decompress")]
    NotDeflate,
    #[error("the link's trace is larger than {} MiB", MAX_TRACE_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("the link's experiment is not valid: {0}")]
    BadExperiment(String),
    #[error("the link's trace cannot be read: {0}")]
    BadTrace(#[from] RecordingError),
}

impl Experiment {
    /// The fragment (without `#`) that carries this experiment.
    pub fn to_fragment(&self) -> String {
        let json = serde_json::to_vec(self).expect("an experiment is always serialisable");
        format!("experiment={}", URL_SAFE_NO_PAD.encode(json))
    }
}

/// The last experiment the page started in `recording`: the target of its
/// newest TCP connection, UDP socket, HTTP request or DNS question, and for
/// TCP and UDP the first text sent on it. `None` before any.
pub fn last_experiment(recording: &Recording) -> Option<Experiment> {
    let outgoing = || {
        recording.entries.iter().filter_map(|e| match &e.message {
            Message::Out(msg) => Some(msg),
            Message::In(_) => None,
        })
    };
    let first_send = |op: OpId| {
        outgoing()
            .find_map(|msg| match msg {
                ClientMsg::Send { op: sent_on, data } if *sent_on == op => {
                    Some(String::from_utf8_lossy(&data.0).into_owned())
                }
                _ => None,
            })
            .unwrap_or_default()
    };
    outgoing().rev().find_map(|msg| match msg {
        ClientMsg::TcpConnect {
            op,
            target,
            nodelay,
            faults,
            ..
        } => Some(Experiment::Tcp {
            target: target.clone(),
            nodelay: *nodelay,
            send: first_send(*op),
            faults: *faults,
        }),
        ClientMsg::UdpOpen {
            op,
            target: Some(target),
            bind_port,
            recv_timeout_ms,
            faults,
        } => Some(Experiment::Udp {
            target: target.clone(),
            send: first_send(*op),
            bind_port: *bind_port,
            recv_timeout_ms: *recv_timeout_ms,
            faults: *faults,
        }),
        ClientMsg::HttpRequest(request) => Some(Experiment::Http {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .collect::<Vec<_>>()
                .join("\n"),
            body: request
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(&b.0).into_owned())
                .unwrap_or_default(),
            retry: request.retry.clone(),
            json: request.json,
            raw: request.raw,
            follow_redirects: request.follow_redirects,
            timeouts: request.timeouts,
            faults: request.faults,
        }),
        ClientMsg::DnsQuery {
            name, rtype, mode, ..
        } => Some(Experiment::Dns {
            name: name.clone(),
            rtype: *rtype,
            mode: *mode,
        }),
        _ => None,
    })
}

/// The fragment (without `#`) that carries a recording.
pub fn trace_fragment(recording: &Recording) -> String {
    let json = serde_json::to_vec(recording).expect("a recording is always serialisable");
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("trace={}", URL_SAFE_NO_PAD.encode(packed))
}

/// Reads a location's fragment (with or without its `#`). `Ok(None)` when it
/// carries nothing of ours (an empty fragment, or an anchor).
pub fn parse_fragment(fragment: &str) -> Result<Option<Shared>, LinkError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let (key, value) = fragment.split_once('=').unwrap_or((fragment, ""));
    if !matches!(key, "experiment" | "trace") {
        return Ok(None);
    }
    if value.len() > MAX_LINK_CHARS {
        return Err(LinkError::TooLong);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| LinkError::NotBase64)?;
    if key == "experiment" {
        return serde_json::from_slice(&bytes)
            .map(|e| Some(Shared::Experiment(e)))
            .map_err(|e| LinkError::BadExperiment(e.to_string()));
    }
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_TRACE_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LinkError::TooLarge,
            _ => LinkError::NotDeflate,
        })?;
    let text = String::from_utf8(json)
        .map_err(|_| LinkError::BadTrace(RecordingError::NotJson("not UTF-8".to_owned())))?;
    Ok(Some(Shared::Trace(Recording::from_json(&text)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Payload;

    #[test]
    fn experiments_travel_in_links() {
        let experiments = [
            Experiment::Tcp {
                target: "echo.lab.test:7".to_owned(),
                nodelay: true,
                send: "hello\n".to_owned(),
                faults: Some(Faults {
                    reset_after_bytes: Some(10),
                    ..Faults::default()
                }),
            },
            Experiment::Udp {
                target: "udp-echo".to_owned(),
                send: "ping".to_owned(),
                bind_port: Some(5000),
                recv_timeout_ms: Some(800),
                faults: Some(Faults {
                    drop_percent: Some(30),
                    drop_seed: Some(7),
                    ..Faults::default()
                }),
            },
            Experiment::Http {
                method: "POST".to_owned(),
                url: "http://www.lab.test/post?x=1&y=é".to_owned(),
                headers: "Content-Type: application/json".to_owned(),
                body: "{\"a\": 1}".to_owned(),
                retry: None,
                json: true,
                raw: true,
                follow_redirects: 3,
                timeouts: Some(HttpTimeouts {
                    first_byte_ms: Some(2_000),
                    ..HttpTimeouts::default()
                }),
                faults: Some(Faults {
                    latency_ms: Some(250),
                    ..Faults::default()
                }),
            },
            Experiment::Http {
                method: "GET".to_owned(),
                url: "http://http-lab/flaky?key=a&status=503".to_owned(),
                headers: String::new(),
                body: String::new(),
                json: false,
                raw: false,
                follow_redirects: 0,
                timeouts: None,
                faults: None,
                retry: Some(RetryPolicy {
                    max_attempts: 5,
                    attempt_timeout_ms: Some(300),
                    base_ms: 50,
                    multiplier: 1.5,
                    cap_ms: 800,
                    jitter: crate::retry::Jitter::Equal,
                    retry_on: crate::retry::RetryOn {
                        timeouts: true,
                        connect_errors: false,
                        server_errors: true,
                        too_many_requests: false,
                    },
                    honor_retry_after: false,
                    seed: Some(42),
                }),
            },
            Experiment::Dns {
                name: "www.lab.test".to_owned(),
                rtype: DnsType::Cname,
                mode: DnsMode::Trace,
            },
            Experiment::Python {
                files: vec![
                    (
                        "server.py".to_owned(),
                        "import socket\n# é, ✓ and a\ttab\n".to_owned(),
                    ),
                    ("client.py".to_owned(), "print('hi')\n".to_owned()),
                ],
            },
        ];
        for experiment in experiments {
            let fragment = experiment.to_fragment();
            // Nothing in it needs escaping in a URL.
            assert!(
                fragment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "=-_".contains(c)),
                "{fragment}"
            );
            assert_eq!(
                parse_fragment(&format!("#{fragment}")),
                Ok(Some(Shared::Experiment(experiment)))
            );
        }
    }

    /// A link's programs are refused, with the reason, when they are not
    /// what the Python tab can open.
    #[test]
    fn a_links_programs_are_checked() {
        let link = |files: serde_json::Value| {
            let json = serde_json::json!({"kind": "python", "files": files}).to_string();
            parse_fragment(&format!("#experiment={}", URL_SAFE_NO_PAD.encode(json)))
        };
        let refused = |files: serde_json::Value, why: &str| match link(files) {
            Err(LinkError::BadExperiment(error)) => assert!(error.contains(why), "{error}"),
            other => panic!("{other:?}"),
        };
        refused(serde_json::json!([]), "opens 0 programs");
        refused(
            serde_json::json!(vec![["a.py", ""]; MAX_LINK_PROGRAMS + 1]),
            "a link opens 1 to 8",
        );
        for name in ["../etc.py", "a b.py", ".py", "notes.txt", "x/y.py"] {
            refused(
                serde_json::json!([[name, "print(1)"]]),
                "is not a program name",
            );
        }
        let big = "#".repeat(crate::program::saved::MAX_SAVED_BYTES);
        refused(serde_json::json!([["big.py", big]]), "at most 256 KiB");
        refused(serde_json::json!([["a.py"]]), "invalid length");
        assert!(matches!(
            link(serde_json::json!([["echo_client.py", "import socket\n"]])),
            Ok(Some(Shared::Experiment(Experiment::Python { .. })))
        ));
    }

    #[test]
    fn traces_travel_in_links_compressed() {
        let mut recording = Recording::default();
        for op in 1..200 {
            recording.push(op as f64, Message::Out(ClientMsg::Close { op }));
        }
        let fragment = trace_fragment(&recording);
        assert!(fragment.len() < recording.to_json().len() / 4);
        assert_eq!(
            parse_fragment(&fragment),
            Ok(Some(Shared::Trace(recording)))
        );
    }

    #[test]
    fn the_last_experiment_is_the_newest_operation_with_its_first_send() {
        let mut rec = Recording::default();
        assert_eq!(last_experiment(&rec), None);
        let mut out = |msg| {
            rec.push(0.0, Message::Out(msg));
        };
        out(ClientMsg::UdpOpen {
            faults: None,
            op: 1,
            target: Some("udp-echo".to_owned()),
            bind_port: None,
            recv_timeout_ms: None,
        });
        out(ClientMsg::TcpConnect {
            faults: None,
            op: 2,
            target: "echo.lab.test:7".to_owned(),
            connect_timeout_ms: None,
            nodelay: true,
        });
        out(ClientMsg::Send {
            op: 1,
            data: Payload(b"not this one".to_vec()),
        });
        out(ClientMsg::Send {
            op: 2,
            data: Payload(b"hello\n".to_vec()),
        });
        out(ClientMsg::Send {
            op: 2,
            data: Payload(b"later".to_vec()),
        });
        out(ClientMsg::Close { op: 2 });
        assert_eq!(
            last_experiment(&rec),
            Some(Experiment::Tcp {
                target: "echo.lab.test:7".to_owned(),
                nodelay: true,
                send: "hello\n".to_owned(),
                faults: None,
            })
        );
        rec.push(
            1.0,
            Message::Out(ClientMsg::DnsQuery {
                op: 3,
                name: "lab.test".to_owned(),
                rtype: DnsType::Mx,
                mode: DnsMode::Stub,
                server: None,
                timeout_ms: None,
            }),
        );
        assert_eq!(
            last_experiment(&rec),
            Some(Experiment::Dns {
                name: "lab.test".to_owned(),
                rtype: DnsType::Mx,
                mode: DnsMode::Stub,
            })
        );
        let policy = RetryPolicy {
            max_attempts: 4,
            multiplier: 3.0,
            cap_ms: 1_000,
            seed: Some(7),
            ..RetryPolicy::default()
        };
        rec.push(
            2.0,
            Message::Out(ClientMsg::HttpRequest(crate::protocol::HttpRequest {
                op: 4,
                method: "GET".to_owned(),
                url: "http://http-lab/flaky".to_owned(),
                headers: vec![("Accept".to_owned(), "*/*".to_owned())],
                body: None,
                json: false,
                timeouts: None,
                follow_redirects: 0,
                max_body: None,
                raw: false,
                retry: Some(policy.clone()),
                faults: None,
            })),
        );
        // The retry policy goes with the request, whole.
        assert_eq!(
            last_experiment(&rec),
            Some(Experiment::Http {
                method: "GET".to_owned(),
                url: "http://http-lab/flaky".to_owned(),
                headers: "Accept: */*".to_owned(),
                body: String::new(),
                retry: Some(policy),
                json: false,
                raw: false,
                follow_redirects: 0,
                timeouts: None,
                faults: None,
            })
        );
    }

    #[test]
    fn the_last_experiment_carries_every_setting() {
        let faults = Some(Faults {
            latency_ms: Some(100),
            ..Faults::default()
        });
        let timeouts = Some(HttpTimeouts {
            total_ms: Some(5_000),
            ..HttpTimeouts::default()
        });
        let mut rec = Recording::default();
        rec.push(
            0.0,
            Message::Out(ClientMsg::HttpRequest(crate::protocol::HttpRequest {
                json: true,
                raw: true,
                follow_redirects: 5,
                timeouts,
                faults,
                body: Some(Payload(b"{}".to_vec())),
                ..crate::protocol::HttpRequest::get(1, "http://www.lab.test/post")
            })),
        );
        let Some(Experiment::Http {
            json,
            raw,
            follow_redirects,
            timeouts: carried,
            faults: carried_faults,
            ..
        }) = last_experiment(&rec)
        else {
            panic!("an HTTP experiment");
        };
        assert_eq!(
            (json, raw, follow_redirects, carried, carried_faults),
            (true, true, 5, timeouts, faults)
        );
        rec.push(
            1.0,
            Message::Out(ClientMsg::UdpOpen {
                op: 2,
                target: Some("udp-echo".to_owned()),
                bind_port: Some(5001),
                recv_timeout_ms: Some(900),
                faults,
            }),
        );
        assert_eq!(
            last_experiment(&rec),
            Some(Experiment::Udp {
                target: "udp-echo".to_owned(),
                send: String::new(),
                bind_port: Some(5001),
                recv_timeout_ms: Some(900),
                faults,
            })
        );
    }

    /// PROTOCOL.md's example experiments are ones this code reads.
    #[test]
    fn the_documented_experiments_read() {
        let doc = include_str!("../../../PROTOCOL.md");
        let section = &doc[doc
            .find("An **experiment link**")
            .expect("PROTOCOL.md says")..];
        let start = section.find("```json\n").expect("examples") + "```json\n".len();
        let examples = &section[start..start + section[start..].find("```").unwrap()];
        let read: Vec<Experiment> = examples
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
            .collect();
        assert_eq!(read.len(), 6);
    }

    #[test]
    fn other_fragments_are_not_ours() {
        assert_eq!(parse_fragment(""), Ok(None));
        assert_eq!(parse_fragment("#"), Ok(None));
        assert_eq!(parse_fragment("#diagram-heading"), Ok(None));
        assert_eq!(parse_fragment("#other=abc"), Ok(None));
    }

    #[test]
    fn damaged_links_say_so() {
        assert_eq!(parse_fragment("#experiment=***"), Err(LinkError::NotBase64));
        assert!(matches!(
            parse_fragment(&format!(
                "#experiment={}",
                URL_SAFE_NO_PAD.encode(br#"{"kind":"warp"}"#)
            )),
            Err(LinkError::BadExperiment(_))
        ));
        assert_eq!(
            parse_fragment(&format!("#trace={}", URL_SAFE_NO_PAD.encode(b"plain"))),
            Err(LinkError::NotDeflate)
        );
        let not_a_trace = miniz_oxide::deflate::compress_to_vec(br#"{"a":1}"#, 6);
        assert_eq!(
            parse_fragment(&format!("#trace={}", URL_SAFE_NO_PAD.encode(not_a_trace))),
            Err(LinkError::BadTrace(RecordingError::NotATrace))
        );
        assert_eq!(
            parse_fragment(&format!("#trace={}", "A".repeat(MAX_LINK_CHARS + 1))),
            Err(LinkError::TooLong)
        );
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_limit() {
        let zeros = vec![b' '; MAX_TRACE_BYTES + 1];
        let bomb = miniz_oxide::deflate::compress_to_vec(&zeros, 9);
        assert!(bomb.len() < 100_000);
        assert_eq!(
            parse_fragment(&format!("#trace={}", URL_SAFE_NO_PAD.encode(bomb))),
            Err(LinkError::TooLarge)
        );
    }

    /// Links read back whatever order their fields come in; a field no
    /// experiment has, or a kind none is, is refused by name.
    #[test]
    fn experiments_read_back_in_any_key_order() {
        let experiments = [
            Experiment::Tcp {
                target: "tcp-echo".into(),
                nodelay: true,
                send: "hi".into(),
                faults: Some(Faults {
                    latency_ms: Some(5),
                    ..Faults::default()
                }),
            },
            Experiment::Udp {
                target: "udp-echo".into(),
                send: String::new(),
                bind_port: Some(5353),
                recv_timeout_ms: Some(200),
                faults: None,
            },
            Experiment::Http {
                method: "POST".into(),
                url: "http://www.lab.test/json".into(),
                headers: "Accept: */*".into(),
                body: "{}".into(),
                retry: None,
                json: true,
                raw: true,
                follow_redirects: 2,
                timeouts: Some(HttpTimeouts {
                    connect_ms: Some(100),
                    ..HttpTimeouts::default()
                }),
                faults: None,
            },
            Experiment::Dns {
                name: "www.lab.test".into(),
                rtype: DnsType::Aaaa,
                mode: DnsMode::Trace,
            },
        ];
        for experiment in experiments {
            let serde_json::Value::Object(map) = serde_json::to_value(&experiment).unwrap() else {
                panic!("not an object")
            };
            let mut fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
                .collect();
            fields.reverse();
            let text = format!("{{{}}}", fields.join(","));
            assert_eq!(
                serde_json::from_slice::<Experiment>(text.as_bytes()).unwrap(),
                experiment,
                "{text}"
            );
        }
        let err =
            serde_json::from_str::<Experiment>(r#"{"kind":"dns","name":"a","rtype":"A","x":1}"#)
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("unknown field `x`, expected one of `name`"),
            "{err}"
        );
        let err = serde_json::from_str::<Experiment>(r#"{"kind":"smtp"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown variant `smtp`"), "{err}");
    }
}
