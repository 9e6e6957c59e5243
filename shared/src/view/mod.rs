//! Layout and text for the page: each view reads the trace and the model
//! (`crate::model`) and returns what to draw; components only render it.
//!
//! - [`diagram`]: the sequence diagram: lanes, arrows and the visible
//!   window; SVG and Mermaid export.
//! - [`lifecycle_graph`]: a socket's state machine as a graph, its path lit.
//! - [`waterfall`]: the timing waterfall of HTTP requests and TCP
//!   connections.
//! - [`dns_ladder`]: a DNS lookup rung by rung, CNAME chains, TTLs.
//! - [`dns`]: DNS answers for people: dig-style tables and labels.
//! - [`http_view`]: what the HTTP panel shows of a request.
//! - [`inspect`]: the payloads a trace holds, HTTP exchanges as raw text,
//!   the bytes as they crossed the socket.
//! - [`units`]: durations and axis ticks for people, for every view.
//! - [`hexdump`], [`json_check`], [`tls_record`]: payloads as text and hex,
//!   JSON re-indented and checked, the TLS records an eavesdropper sees.

pub mod diagram;
pub mod dns;
pub mod dns_ladder;
pub mod hexdump;
pub mod http_view;
pub mod inspect;
pub mod json_check;
pub mod lifecycle_graph;
pub mod tls_record;
pub mod units;
pub mod waterfall;
