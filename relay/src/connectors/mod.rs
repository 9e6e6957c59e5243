//! Connectors open sockets on the browser's behalf, one module per kind of
//! operation (a connection, a listener, a UDP socket, a DNS query, an HTTP
//! request). Each runs as one task per operation and reports through
//! [`crate::report`]; what they all do around their own work (endings,
//! socket limits, closing on the relay's limits) is [`common`].

pub mod common;
pub mod dns;
pub mod http;
mod http_retry;
mod json_check;
pub mod listen;
pub mod tcp;
pub mod udp;
