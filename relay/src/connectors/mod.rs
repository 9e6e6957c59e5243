//! Connectors open sockets on the browser's behalf, one module per kind of
//! socket. Each runs as one task per operation and reports through
//! [`crate::report`].

pub mod dns;
pub mod http;
mod http_retry;
mod json_check;
pub mod listen;
pub mod tcp;
pub mod udp;
