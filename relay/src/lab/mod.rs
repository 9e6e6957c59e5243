//! Built-in lab services, so that every lesson works on a laptop with no
//! internet. Each binds an ephemeral port on loopback and is known to
//! sessions by a stable name (see [`Service`]).

mod chat;
pub mod dns;
mod echo;
pub mod faults;
pub mod http;
pub mod slow;
mod udp_echo;

use std::net::SocketAddr;
use std::sync::Arc;

use roundtrip_shared::protocol::Service;

use crate::policy::LabAccess;
use tokio::net::{TcpListener, UdpSocket};

/// The ports the lab services answer on under `lab.test` names, as their
/// counterparts out in the world do: echo on 7, the IANA "chat" port 531,
/// HTTP on 80 and HTTPS on 443. The services themselves listen on ephemeral
/// loopback ports; the relay dials those (see [`Lab::well_known`]).
pub const WELL_KNOWN_PORTS: [(&str, u16); 5] = [
    ("tcp-echo", 7),
    ("udp-echo", 7),
    ("tcp-chat", 531),
    ("http-lab", 80),
    ("https-lab", 443),
];

/// The running lab services. Their tasks live as long as the runtime.
#[derive(Debug)]
pub struct Lab {
    services: Vec<(Service, SocketAddr)>,
    /// The HTTPS lab's CA, which the HTTP connector trusts.
    lab_ca: rustls::pki_types::CertificateDer<'static>,
    /// The same in PEM, served at `/lab-ca.pem`.
    lab_ca_pem: String,
    dns: dns::DnsLab,
    /// Faults the browser asked for, by the relay-side address of each
    /// connection or socket (see [`faults`]).
    faults: Arc<faults::FaultTable>,
    /// How long the slow servers wait for a client's line.
    slow_read_timeout: Arc<slow::ReadTimeout>,
}

impl Lab {
    /// Starts every lab service on loopback with a port of its own
    /// (`127.0.0.1`; the DNS lab's hierarchy also on 127.0.0.2-5).
    pub async fn start() -> std::io::Result<Lab> {
        let table = Arc::new(faults::FaultTable::default());
        let http = http::start(table.clone()).await?;
        let echo = TcpListener::bind("127.0.0.1:0").await?;
        let echo_addr = echo.local_addr()?;
        let mut lab = Lab {
            services: Vec::new(),
            lab_ca: http.tls.ca.clone(),
            lab_ca_pem: http.tls.ca_pem.clone(),
            dns: dns::start(echo_addr.port()).await?,
            faults: table.clone(),
            slow_read_timeout: Arc::default(),
        };
        lab.add(
            "tcp-echo",
            "TCP echo (built-in) · echo.lab.test:7",
            "tcp",
            echo_addr,
        );
        tokio::spawn(echo::run(echo, table.clone()));

        let udp_echo = UdpSocket::bind("127.0.0.1:0").await?;
        lab.add(
            "udp-echo",
            "UDP echo (built-in) · echo.lab.test:7",
            "udp",
            udp_echo.local_addr()?,
        );
        tokio::spawn(udp_echo::run(udp_echo, table));

        let chat = TcpListener::bind("127.0.0.1:0").await?;
        lab.add(
            "tcp-chat",
            "TCP chat room (built-in) · chat.lab.test:531",
            "tcp",
            chat.local_addr()?,
        );
        tokio::spawn(chat::run(chat));

        // The concurrency lab: the same slow work, served three ways. The
        // serial and threaded servers use blocking std::net on threads of
        // their own, which live as long as the process.
        let serial = std::net::TcpListener::bind("127.0.0.1:0")?;
        lab.add(
            slow::Mode::Serial.name(),
            "Slow server, one client at a time (built-in)",
            "tcp",
            serial.local_addr()?,
        );
        slow::start_serial(serial, lab.slow_read_timeout.clone())?;
        let threads = std::net::TcpListener::bind("127.0.0.1:0")?;
        lab.add(
            slow::Mode::Threads.name(),
            "Slow server, a thread per client (built-in)",
            "tcp",
            threads.local_addr()?,
        );
        slow::start_threads(threads, lab.slow_read_timeout.clone())?;
        let tasks = TcpListener::bind("127.0.0.1:0").await?;
        lab.add(
            slow::Mode::Async.name(),
            "Slow server, a task per client (built-in)",
            "tcp",
            tasks.local_addr()?,
        );
        tokio::spawn(slow::run_async(tasks, lab.slow_read_timeout.clone()));

        lab.add(
            "http-lab",
            "HTTP lab (built-in) · http://www.lab.test/",
            "http",
            http.http,
        );
        lab.add(
            "https-lab",
            "HTTPS lab (built-in) · https://www.lab.test/",
            "https",
            http.https,
        );
        // Lesson 21's broken certificates: each handshake fails in the
        // relay's client with its own typed reason.
        for (which, addr) in &http.bad {
            lab.add(which.name(), which.label(), "https", *addr);
        }
        // The SRV record of the DNS lab points at the TCP echo.
        lab.add(
            "dns-lab",
            "DNS lab: *.lab.test (built-in)",
            "dns",
            lab.dns.stub,
        );
        Ok(lab)
    }

    /// Shortens what strangers can hold up: the slow servers wait
    /// [`slow::PUBLIC_READ_TIMEOUT`] for a client's line (a silent client
    /// in the one-at-a-time line holds everyone behind it that long).
    pub fn for_public(&self) {
        self.slow_read_timeout.set(slow::PUBLIC_READ_TIMEOUT);
    }

    /// Whether `addr` is where a lab service listens (the DNS servers
    /// apart).
    pub fn is_service(&self, addr: SocketAddr) -> bool {
        self.service_at(addr).is_some()
    }

    /// The name of the service listening at `addr`, if one does.
    pub fn service_at(&self, addr: SocketAddr) -> Option<&str> {
        self.services
            .iter()
            .find(|(_, a)| *a == addr)
            .map(|(s, _)| s.name.as_str())
    }

    /// The certificate of the CA that signed the HTTPS lab's certificate.
    pub fn lab_ca(&self) -> &rustls::pki_types::CertificateDer<'static> {
        &self.lab_ca
    }

    /// The lab CA's certificate in PEM, for programs on the learner's
    /// machine to trust the HTTPS lab with (`verify=`, `--cacert`).
    pub fn lab_ca_pem(&self) -> &str {
        &self.lab_ca_pem
    }

    /// The lab service a `lab.test` name with the well-known `port` means to
    /// a connector of `transport` (`tcp`, `udp`, `http`, `https`; the HTTP
    /// labs are TCP services too): its name and where it really listens.
    pub fn well_known(&self, transport: &str, port: u16) -> Option<(&str, SocketAddr)> {
        WELL_KNOWN_PORTS
            .iter()
            .filter(|(_, p)| *p == port)
            .find_map(|(name, _)| {
                let (service, addr) = self.services.iter().find(|(s, _)| s.name == *name)?;
                let fits = match transport {
                    "tcp" => matches!(service.protocol.as_str(), "tcp" | "http" | "https"),
                    other => service.protocol == other,
                };
                fits.then_some((service.name.as_str(), *addr))
            })
    }

    /// Where faults are registered for the lab services to find.
    pub fn faults(&self) -> &Arc<faults::FaultTable> {
        &self.faults
    }

    /// Which faults the lab service at `addr` can inject, if it takes any:
    /// only the echo services and the HTTP labs do.
    pub fn fault_target(
        &self,
        addr: SocketAddr,
    ) -> Option<roundtrip_shared::protocol::FaultTransport> {
        let (service, _) = self.services.iter().find(|(_, a)| *a == addr)?;
        match service.name.as_str() {
            "tcp-echo" | "http-lab" | "https-lab" => {
                Some(roundtrip_shared::protocol::FaultTransport::Tcp)
            }
            "udp-echo" => Some(roundtrip_shared::protocol::FaultTransport::Udp),
            _ => None,
        }
    }

    fn add(&mut self, name: &str, label: &str, protocol: &str, addr: SocketAddr) {
        let service = Service {
            name: name.into(),
            label: label.into(),
            protocol: protocol.into(),
            addr: addr.to_string(),
        };
        self.services.push((service, addr));
    }

    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(s, _)| s)
    }

    /// The services of one protocol (`tcp`, `udp`).
    pub fn services_of<'a>(&'a self, protocol: &'a str) -> impl Iterator<Item = &'a Service> {
        self.services
            .iter()
            .map(|(s, _)| s)
            .filter(move |s| s.protocol == protocol)
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

    /// The addresses of all services and of every DNS lab server, with what
    /// each speaks (the policy always allows them, for that).
    pub fn addrs(&self) -> Vec<(SocketAddr, LabAccess)> {
        let dns = [
            self.dns.stub,
            self.dns.root,
            self.dns.tld,
            self.dns.lab,
            self.dns.away,
        ];
        self.services
            .iter()
            .map(|(service, addr)| {
                let access = match service.protocol.as_str() {
                    "udp" => LabAccess::Udp,
                    // The stub server, listed as a service, is a DNS
                    // server like the others: no raw TCP or HTTP to it.
                    "dns" => LabAccess::Dns,
                    _ => LabAccess::Tcp,
                };
                (*addr, access)
            })
            .chain(dns.map(|addr| (addr, LabAccess::Dns)))
            .collect()
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
