//! The ports the programs in one page listen on, as each program chose
//! them, and where the relay really listens for it.
//!
//! A course's server binds `8080`; the relay cannot promise that port (on a
//! public relay it always picks the port itself), so every listener and
//! bound UDP socket a program opens is asked for "any free port", and this
//! map remembers that the program's `127.0.0.1:8080` is the relay's
//! `127.0.0.1:41234`. Another program in the same page connecting to
//! `127.0.0.1:8080` (or `localhost:8080`) is sent to `127.0.0.1:41234`.
//! One map serves every program in the page; nothing outside the page
//! knows the program's port numbers.

use std::collections::BTreeMap;

use super::python_error::{self, PyError, PyException};

/// TCP and UDP ports are two separate spaces, as on a real machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
}

/// The page's map of program ports to the relay's addresses.
#[derive(Debug, Default)]
pub struct Ports {
    /// A port a program bound, and the relay's address for it once the
    /// relay has opened the socket (`None` while it is opening).
    bound: BTreeMap<(Proto, u16), Option<String>>,
}

/// The most ports the programs of one page hold at once: past this, `bind`
/// fails as a machine out of ports would (the relay's own limit on open
/// operations is far lower, so this only stops a runaway model).
pub const MAX_BOUND: usize = 1024;

impl Ports {
    /// A program binds `port` (not 0): it is its own until released.
    pub fn claim(&mut self, proto: Proto, port: u16) -> Result<(), PyError> {
        if port == 0 {
            return Ok(());
        }
        if self.bound.contains_key(&(proto, port)) {
            return Err(PyError::new(
                PyException::OsError,
                Some(python_error::EADDRINUSE),
                "Address already in use",
            ));
        }
        if self.bound.len() >= MAX_BOUND {
            return Err(PyError::new(
                PyException::OsError,
                Some(python_error::EADDRNOTAVAIL),
                "Cannot assign requested address",
            ));
        }
        self.bound.insert((proto, port), None);
        Ok(())
    }

    /// The relay opened the socket for `port` at `relay` (`ip:port`).
    /// Port 0 (any port) takes the relay's own port: the program sees it.
    /// Returns the program's port.
    pub fn opened(&mut self, proto: Proto, port: u16, relay: &str) -> u16 {
        let port = if port == 0 {
            port_of(relay).unwrap_or(0)
        } else {
            port
        };
        if port != 0 {
            self.bound.insert((proto, port), Some(relay.to_owned()));
        }
        port
    }

    /// The program closed what it bound on `port`.
    pub fn release(&mut self, proto: Proto, port: u16) {
        self.bound.remove(&(proto, port));
    }

    /// Where the relay should go for `host:port`: the relay's address when
    /// `host` is this machine and a program in the page is bound to `port`.
    pub fn lookup(&self, proto: Proto, host: &str, port: u16) -> Option<&str> {
        if !is_this_machine(host) {
            return None;
        }
        self.bound.get(&(proto, port))?.as_deref()
    }

    /// The program's port for the relay's address `relay`, if a program in
    /// the page is bound there (a datagram from it shows the program's
    /// port as its sender).
    pub fn program_port(&self, proto: Proto, relay: &str) -> Option<u16> {
        self.bound
            .iter()
            .find(|((p, _), addr)| *p == proto && addr.as_deref() == Some(relay))
            .map(|((_, port), _)| *port)
    }
}

/// The names a program uses for the machine it runs on. The relay listens
/// on `127.0.0.1`, so these are the IPv4 ones (`::1` would be refused on a
/// real machine too, by a server bound to `127.0.0.1`).
pub fn is_this_machine(host: &str) -> bool {
    matches!(
        host.trim().to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "0.0.0.0" | ""
    )
}

/// The port of `ip:port` or `[v6]:port`.
pub fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_port_leads_to_the_relay_port_for_this_machine_only() {
        let mut ports = Ports::default();
        ports.claim(Proto::Tcp, 8080).unwrap();
        // Not yet open: a connection would go to the real 8080.
        assert_eq!(ports.lookup(Proto::Tcp, "127.0.0.1", 8080), None);
        assert_eq!(ports.opened(Proto::Tcp, 8080, "127.0.0.1:41234"), 8080);
        for host in ["127.0.0.1", "localhost", "LOCALHOST", "0.0.0.0"] {
            assert_eq!(
                ports.lookup(Proto::Tcp, host, 8080),
                Some("127.0.0.1:41234"),
                "{host}"
            );
        }
        assert_eq!(ports.lookup(Proto::Tcp, "echo.lab.test", 8080), None);
        assert_eq!(ports.lookup(Proto::Udp, "127.0.0.1", 8080), None);
        assert_eq!(ports.lookup(Proto::Tcp, "127.0.0.1", 8081), None);
        assert_eq!(
            ports.program_port(Proto::Tcp, "127.0.0.1:41234"),
            Some(8080)
        );
        ports.release(Proto::Tcp, 8080);
        assert_eq!(ports.lookup(Proto::Tcp, "127.0.0.1", 8080), None);
    }

    #[test]
    fn a_port_taken_by_another_program_is_in_use() {
        let mut ports = Ports::default();
        ports.claim(Proto::Tcp, 8080).unwrap();
        let error = ports.claim(Proto::Tcp, 8080).unwrap_err();
        assert_eq!(
            error.traceback_line(),
            "OSError: [Errno 98] Address already in use"
        );
        // UDP's 8080 is another port.
        ports.claim(Proto::Udp, 8080).unwrap();
        ports.release(Proto::Tcp, 8080);
        ports.claim(Proto::Tcp, 8080).unwrap();
    }

    #[test]
    fn any_port_is_the_relay_port() {
        let mut ports = Ports::default();
        ports.claim(Proto::Udp, 0).unwrap();
        assert_eq!(ports.opened(Proto::Udp, 0, "127.0.0.1:50001"), 50001);
        assert_eq!(
            ports.lookup(Proto::Udp, "localhost", 50001),
            Some("127.0.0.1:50001")
        );
    }
}
