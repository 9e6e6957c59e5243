//! Built-in lab services, so that every lesson works on a laptop with no
//! internet. Each binds an ephemeral port on loopback and is known to
//! sessions by a stable name (see [`Service`]).

pub mod dns;
mod echo;

use std::net::SocketAddr;

use roundtrip_shared::protocol::Service;
use tokio::net::TcpListener;

/// The running lab services. Their tasks live as long as the runtime.
#[derive(Debug)]
pub struct Lab {
    services: Vec<(Service, SocketAddr)>,
    dns: dns::DnsLab,
}

impl Lab {
    /// Starts every lab service on `127.0.0.1` with a port of its own.
    pub async fn start() -> std::io::Result<Lab> {
        let echo = TcpListener::bind("127.0.0.1:0").await?;
        let echo_addr = echo.local_addr()?;
        tokio::spawn(echo::run(echo));
        let dns = dns::start(echo_addr.port()).await?;
        Ok(Lab {
            services: vec![
                (
                    Service {
                        name: "tcp-echo".into(),
                        label: "TCP echo (built-in)".into(),
                        protocol: "tcp".into(),
                        addr: echo_addr.to_string(),
                    },
                    echo_addr,
                ),
                (
                    Service {
                        name: "dns-lab".into(),
                        label: "DNS lab: *.lab.test (built-in)".into(),
                        protocol: "dns".into(),
                        addr: dns.stub.to_string(),
                    },
                    dns.stub,
                ),
            ],
            dns,
        })
    }

    /// The services as the protocol describes them.
    pub fn services(&self) -> Vec<Service> {
        self.services.iter().map(|(s, _)| s.clone()).collect()
    }

    /// The address of the service called `name`.
    pub fn lookup(&self, name: &str) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(_, addr)| *addr)
    }

    /// The DNS lab's servers.
    pub fn dns(&self) -> dns::DnsLab {
        self.dns
    }

    /// The names of all services, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.services.iter().map(|(s, _)| s.name.as_str()).collect()
    }
}
