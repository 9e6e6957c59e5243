//! What every operation shares: the commands a session forwards to it.
//!
//! An operation is one task (a TCP connection, later a listener, a UDP
//! socket, a DNS query, an HTTP request) started by the session. The session
//! keeps only the sending end of the operation's command channel; the task
//! owns everything else and reports through its [`crate::report::Reporter`].
//! When the session ends, the channel closes and the task ends with it.

/// What the browser asks of a running operation, in the order it asked.
#[derive(Debug)]
pub enum Command {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Send one datagram to this target (UDP only).
    SendTo { target: String, data: Vec<u8> },
    /// Half-close: write what waits, then shut down the sending side.
    Shutdown,
    /// End the operation (for a connection: write what waits, then close).
    Close,
}
