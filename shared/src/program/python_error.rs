//! A relay error in a program's words: the exception CPython raises for the
//! same failure on a real socket, with its `errno` and message, so that a
//! program running in the page can catch what a course teaches it to catch
//! (`except ConnectionRefusedError:`), and a learner reading an error in the
//! panels sees which exception their own program would get.

use serde::{Deserialize, Serialize};

use crate::protocol::{ErrorCode, RelayError};

/// The Python exception classes a socket program meets. Serialized as the
/// class name the shim raises (`socket.gaierror` is spelled `gaierror` and
/// raised from the `socket` module).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
pub enum PyException {
    ConnectionRefusedError,
    ConnectionResetError,
    BrokenPipeError,
    TimeoutError,
    PermissionError,
    #[serde(rename = "gaierror")]
    #[strum(serialize = "socket.gaierror")]
    Gaierror,
    #[serde(rename = "OSError")]
    #[strum(serialize = "OSError")]
    OsError,
}

impl PyException {
    /// The name a traceback prints (`socket.gaierror` for name errors).
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One exception as the shim raises it: `exception(errno, message)`, or
/// `exception(message)` when there is no `errno` (CPython's `TimeoutError`
/// from a socket timeout is `TimeoutError('timed out')`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PyError {
    pub exception: PyException,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<i32>,
    pub message: String,
}

impl PyError {
    pub fn new(exception: PyException, errno: Option<i32>, message: impl Into<String>) -> Self {
        PyError {
            exception,
            errno,
            message: message.into(),
        }
    }

    /// A socket timeout, worded as CPython words it.
    pub fn timed_out() -> Self {
        PyError::new(PyException::TimeoutError, None, "timed out")
    }

    /// The line a traceback ends with: `ConnectionRefusedError: [Errno
    /// 111] Connection refused`.
    pub fn traceback_line(&self) -> String {
        match self.errno {
            Some(errno) => format!(
                "{}: [Errno {errno}] {}",
                self.exception.name(),
                self.message
            ),
            None => format!("{}: {}", self.exception.name(), self.message),
        }
    }
}

// Linux errno values, as `errno.ECONNREFUSED` etc. read on the machines a
// learner runs the same program on.
pub const EACCES: i32 = 13;
pub const EINVAL: i32 = 22;
pub const EMFILE: i32 = 24;
pub const EPIPE: i32 = 32;
pub const EADDRINUSE: i32 = 98;
pub const EADDRNOTAVAIL: i32 = 99;
pub const ECONNRESET: i32 = 104;
pub const ENOBUFS: i32 = 105;
pub const ENOTCONN: i32 = 107;
pub const ECONNREFUSED: i32 = 111;
pub const EHOSTUNREACH: i32 = 113;
pub const EIO: i32 = 5;
pub const EBADF: i32 = 9;
/// `socket.EAI_NONAME` with glibc: "Name or service not known".
pub const EAI_NONAME: i32 = -2;
/// `socket.EAI_AGAIN`: "Temporary failure in name resolution".
pub const EAI_AGAIN: i32 = -3;

/// The exception a Python program gets where the relay reports `error`.
/// A policy refusal carries the relay's explanation in its message: the
/// program could not have reached the target from this relay at all.
pub fn from_relay(error: &RelayError) -> PyError {
    use PyException as E;
    let (exception, errno, message): (E, Option<i32>, String) = match error.code {
        ErrorCode::Refused => (
            E::ConnectionRefusedError,
            Some(ECONNREFUSED),
            "Connection refused".into(),
        ),
        ErrorCode::TimedOut | ErrorCode::DnsTimeout => return PyError::timed_out(),
        ErrorCode::Unreachable => (E::OsError, Some(EHOSTUNREACH), "No route to host".into()),
        ErrorCode::ResolveFailed | ErrorCode::InvalidName | ErrorCode::DnsFailed => (
            E::Gaierror,
            Some(EAI_NONAME),
            "Name or service not known".into(),
        ),
        ErrorCode::Reset => (
            E::ConnectionResetError,
            Some(ECONNRESET),
            "Connection reset by peer".into(),
        ),
        ErrorCode::ShutDown => (E::BrokenPipeError, Some(EPIPE), "Broken pipe".into()),
        ErrorCode::NotConnected => (
            E::OsError,
            Some(ENOTCONN),
            "Transport endpoint is not connected".into(),
        ),
        ErrorCode::AddrInUse => (
            E::OsError,
            Some(EADDRINUSE),
            "Address already in use".into(),
        ),
        ErrorCode::Blocked => (
            E::PermissionError,
            Some(EACCES),
            format!("Permission denied: {}", error.message),
        ),
        ErrorCode::LimitReached => (
            E::OsError,
            Some(EMFILE),
            format!("Too many open sockets: {}", error.message),
        ),
        ErrorCode::InvalidTarget | ErrorCode::InvalidUrl => (
            E::OsError,
            Some(EINVAL),
            format!("Invalid argument: {}", error.message),
        ),
        ErrorCode::Io
        | ErrorCode::Malformed
        | ErrorCode::UnknownType
        | ErrorCode::UnsupportedVersion
        | ErrorCode::ExpectedHello
        | ErrorCode::UnknownOp
        | ErrorCode::OpInUse
        | ErrorCode::NotSupported
        | ErrorCode::TooLarge
        | ErrorCode::Tls
        | ErrorCode::BodyTooLarge
        | ErrorCode::Http
        | ErrorCode::InvalidRetry => (E::OsError, Some(EIO), error.message.clone()),
    };
    PyError::new(exception, errno, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(code: ErrorCode, message: &str) -> RelayError {
        RelayError {
            code,
            message: message.into(),
            refusal: None,
            tls_failure: None,
        }
    }

    #[test]
    fn socket_failures_read_as_cpython_prints_them() {
        let line = |code| from_relay(&relay(code, "x")).traceback_line();
        assert_eq!(
            line(ErrorCode::Refused),
            "ConnectionRefusedError: [Errno 111] Connection refused"
        );
        assert_eq!(line(ErrorCode::TimedOut), "TimeoutError: timed out");
        assert_eq!(
            line(ErrorCode::Reset),
            "ConnectionResetError: [Errno 104] Connection reset by peer"
        );
        assert_eq!(
            line(ErrorCode::ResolveFailed),
            "socket.gaierror: [Errno -2] Name or service not known"
        );
        assert_eq!(
            line(ErrorCode::ShutDown),
            "BrokenPipeError: [Errno 32] Broken pipe"
        );
    }

    #[test]
    fn a_policy_refusal_is_a_permission_error_that_explains() {
        let error = from_relay(&relay(
            ErrorCode::Blocked,
            "10.0.0.5 is a private address; this public relay reaches lab services only",
        ));
        assert_eq!(error.exception, PyException::PermissionError);
        assert_eq!(error.errno, Some(EACCES));
        assert!(error.message.contains("lab services only"), "{error:?}");
    }

    #[test]
    fn the_shim_reads_the_class_name_it_raises() {
        let json = serde_json::to_value(from_relay(&relay(ErrorCode::ResolveFailed, ""))).unwrap();
        assert_eq!(json["exception"], "gaierror");
        assert_eq!(json["errno"], -2);
        let json = serde_json::to_value(PyError::timed_out()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"exception": "TimeoutError", "message": "timed out"})
        );
    }
}
