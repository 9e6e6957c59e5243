//! Programs that run in the page: a Python program's socket calls and what
//! they become on the relay ([`sockets`]), its HTTP requests
//! (`requests.get`, [`http`]), and the exceptions a program gets for the
//! relay's errors ([`python_error`]).

pub mod http;
pub mod ports;
pub mod python_error;
pub mod sockets;

#[cfg(test)]
mod tests;
