//! Programs that run in the page: a Python program's socket calls and what
//! they become on the relay ([`sockets`]), its HTTP requests
//! (`requests.get`, [`http`]), and the exceptions a program gets for the
//! relay's errors ([`python_error`]); its source in coloured pieces
//! for the editor ([`highlight`]); and the learner's edits as the browser
//! keeps them ([`saved`]).

pub mod highlight;
pub mod http;
pub mod ports;
pub mod python_error;
pub mod saved;
pub mod sockets;

#[cfg(test)]
mod tests;
