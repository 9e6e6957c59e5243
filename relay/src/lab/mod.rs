//! Built-in lab services, so that every lesson works on a laptop with no
//! internet. Each binds an ephemeral port on loopback and is known to
//! sessions by a stable name (see [`Service`]).

mod echo;
pub mod http;

use std::net::SocketAddr;

use roundtrip_shared::protocol::Service;
use tokio::net::TcpListener;

/// The running lab services. Their tasks live as long as the runtime.
#[derive(Debug)]
pub struct Lab {
    services: Vec<(Service, SocketAddr)>,
    /// The HTTPS lab's CA, which the HTTP connector trusts.
    lab_ca: rustls::pki_types::CertificateDer<'static>,
}

impl Lab {
    /// Starts every lab service on `127.0.0.1` with a port of its own.
    pub async fn start() -> std::io::Result<Lab> {
        let echo = TcpListener::bind("127.0.0.1:0").await?;
        let echo_addr = echo.local_addr()?;
        tokio::spawn(echo::run(echo));
        let http = http::start().await?;
        let mut lab = Lab {
            lab_ca: http.tls.ca.clone(),
            services: vec![(
                Service {
                    name: "tcp-echo".into(),
                    label: "TCP echo (built-in)".into(),
                    protocol: "tcp".into(),
                    addr: echo_addr.to_string(),
                },
                echo_addr,
            )],
        };
        lab.services.extend([
            (
                Service {
                    name: "http-lab".into(),
                    label: "HTTP lab (built-in)".into(),
                    protocol: "http".into(),
                    addr: http.http.to_string(),
                },
                http.http,
            ),
            (
                Service {
                    name: "https-lab".into(),
                    label: "HTTPS lab (built-in)".into(),
                    protocol: "https".into(),
                    addr: http.https.to_string(),
                },
                http.https,
            ),
        ]);
        Ok(lab)
    }

    /// The certificate of the CA that signed the HTTPS lab's certificate.
    pub fn lab_ca(&self) -> &rustls::pki_types::CertificateDer<'static> {
        &self.lab_ca
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

    /// The names of all services, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.services.iter().map(|(s, _)| s.name.as_str()).collect()
    }
}
