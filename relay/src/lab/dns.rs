//! The DNS lab: a small, offline DNS hierarchy served by hickory-server.
//!
//! Four authoritative servers make a real referral walk possible:
//!
//! ```text
//! 127.0.0.2:P  the root zone "."       delegates test.      to ns1.test.     (glue 127.0.0.3)
//! 127.0.0.3:P  the zone "test."        delegates lab.test.  to ns1.lab.test. (glue 127.0.0.4)
//! 127.0.0.4:P  the zone "lab.test." and the reverse zone 0.0.127.in-addr.arpa.
//!              delegates away.lab.test. to ns.away-ns.test. (no glue: the
//!              name server's name is in test., whose server has its address)
//! 127.0.0.5:P  the zone "away.lab.test."
//! ```
//!
//! The delegation without glue is the common case on the real Internet (a
//! domain whose name servers are named in another TLD): a resolver must
//! first look up the name server's own address, from the root.
//!
//! Linux routes all of 127.0.0.0/8 to the loopback interface, so the four
//! servers have distinct addresses without leaving the machine. Glue records
//! carry addresses but no ports, so the four share one ephemeral port `P`
//! and the trace mode asks every server it is referred to on the port of the
//! root it started from (real DNS does the same with port 53).
//!
//! A fourth server, the **stub** server on `127.0.0.1:Q`, answers for every
//! zone at once: it is what a stub resolver (like `getaddrinfo`) would ask.
//! Every server answers over UDP and TCP on its port.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::{LowerName, RData, Record, RecordType, TSigResponseContext};
use hickory_proto::serialize::txt::Parser;
use hickory_server::Server;
use hickory_server::server::{Request, RequestInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{
    AuthLookup, AxfrPolicy, Catalog, LookupControlFlow, LookupOptions, LookupRecords, ZoneHandler,
    ZoneType,
};
use tokio::net::{TcpListener, UdpSocket};

/// How long a TCP client may stay silent before the lab server hangs up.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// How many times to look for a port that is free on all three addresses.
const BIND_ATTEMPTS: usize = 20;

/// The addresses of the running DNS lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsLab {
    /// The server a stub query asks by default: it answers for every zone.
    pub stub: SocketAddr,
    /// The root server, where the trace mode starts.
    pub root: SocketAddr,
    /// The server of `test.`.
    pub tld: SocketAddr,
    /// The server of `lab.test.` (and of the reverse zone).
    pub lab: SocketAddr,
    /// The server of `away.lab.test.`, delegated without glue.
    pub away: SocketAddr,
}

const ROOT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const TLD_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);
const LAB_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 4);
const AWAY_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 5);

fn root_zone() -> String {
    format!(
        "$ORIGIN .
$TTL 86400
@                    IN SOA a.root-servers.test. hostmaster.test. 1 3600 600 86400 60
@                    IN NS  a.root-servers.test.
a.root-servers.test. IN A   {ROOT_IP}
test.                IN NS  ns1.test.
ns1.test.            IN A   {TLD_IP}
"
    )
}

fn tld_zone() -> String {
    format!(
        "$ORIGIN test.
$TTL 86400
@        IN SOA ns1.test. hostmaster.test. 1 3600 600 86400 60
@        IN NS  ns1.test.
ns1      IN A   {TLD_IP}
lab      IN NS  ns1.lab.test.
ns1.lab  IN A   {LAB_IP}
ns.away-ns IN A {AWAY_IP}
"
    )
}

/// The lessons' zone. `echo_port` is the TCP echo service's port, published
/// as the SRV record of `_echo._tcp.lab.test`.
fn lab_zone(echo_port: u16) -> String {
    format!(
        "$ORIGIN lab.test.
$TTL 300
@          IN SOA   ns1.lab.test. hostmaster.lab.test. 1 3600 600 86400 60
@          IN NS    ns1.lab.test.
@          IN MX    10 mail.lab.test.
@          IN TXT   \"roundtrip dns lab\" \"every name here is on loopback\"
ns1        IN A     {LAB_IP}
mail       IN A     127.0.0.1
echo       IN A     127.0.0.1
echo       IN AAAA  ::1
chat       IN A     127.0.0.1
www        IN CNAME web.lab.test.
web        IN CNAME host.lab.test.
host       IN A     127.0.0.1
many       IN A     127.0.0.1
many       IN A     127.0.0.2
many       IN A     127.0.0.3
short   5  IN A     127.0.0.1
_echo._tcp IN SRV   0 0 {echo_port} echo.lab.test.
away       IN NS    ns.away-ns.test.
"
    )
}

/// A zone whose name server is named outside it and outside its parent, so
/// that its delegation comes without glue.
fn away_zone() -> String {
    "$ORIGIN away.lab.test.
$TTL 300
@     IN SOA ns.away-ns.test. hostmaster.lab.test. 1 3600 600 86400 60
@     IN NS  ns.away-ns.test.
host  IN A   127.0.0.1
"
    .to_owned()
}

fn reverse_zone() -> String {
    "$ORIGIN 0.0.127.in-addr.arpa.
$TTL 300
@  IN SOA ns1.lab.test. hostmaster.lab.test. 1 3600 600 86400 60
@  IN NS  ns1.lab.test.
1  IN PTR echo.lab.test.
"
    .to_owned()
}

fn zone(text: &str) -> std::io::Result<Arc<dyn ZoneHandler>> {
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let (origin, records) = Parser::new(text, None, None)
        .parse()
        .map_err(|e| invalid(format!("lab zone does not parse: {e}")))?;
    let all: Vec<Record> = records
        .values()
        .flat_map(|set| set.records_without_rrsigs().cloned())
        .collect();
    // Glue: the addresses of name servers named in delegations (NS records
    // below the apex).
    let apex = LowerName::from(&origin);
    let ns_names: Vec<LowerName> = all
        .iter()
        .filter(|r| LowerName::from(&r.name) != apex)
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(LowerName::from(&ns.0)),
            _ => None,
        })
        .collect();
    let glue = all
        .into_iter()
        .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
        .filter(|r| ns_names.contains(&LowerName::from(&r.name)))
        .collect();
    let zone = InMemoryZoneHandler::new(origin, records, ZoneType::Primary, AxfrPolicy::Deny)
        .map_err(invalid)?;
    Ok(Arc::new(WithGlue { zone, glue }))
}

/// hickory's in-memory zone answers a name below a delegation with the NS
/// records of the delegation (a referral) but without glue, because the
/// glue lies below the delegation point too. Real servers send glue, and the
/// trace mode follows it, so this wrapper adds it to referrals.
struct WithGlue {
    zone: InMemoryZoneHandler,
    glue: Vec<Record>,
}

impl WithGlue {
    fn add_glue(&self, flow: LookupControlFlow<AuthLookup>) -> LookupControlFlow<AuthLookup> {
        let add = |lookup: AuthLookup| -> AuthLookup {
            let AuthLookup::Records {
                answers,
                additionals: None,
            } = lookup
            else {
                return lookup;
            };
            let apex = self.zone.origin();
            let servers: Vec<LowerName> = answers
                .iter()
                .filter(|r| &LowerName::from(&r.name) != apex)
                .filter_map(|r| match &r.data {
                    RData::NS(ns) => Some(LowerName::from(&ns.0)),
                    _ => None,
                })
                .collect();
            let glue: Vec<Record> = self
                .glue
                .iter()
                .filter(|r| servers.contains(&LowerName::from(&r.name)))
                .cloned()
                .collect();
            let additionals = (!glue.is_empty()).then_some(LookupRecords::Section(glue));
            AuthLookup::Records {
                answers,
                additionals,
            }
        };
        match flow {
            LookupControlFlow::Continue(result) => LookupControlFlow::Continue(result.map(add)),
            LookupControlFlow::Break(result) => LookupControlFlow::Break(result.map(add)),
            LookupControlFlow::Skip => LookupControlFlow::Skip,
        }
    }
}

#[async_trait::async_trait]
impl ZoneHandler for WithGlue {
    fn zone_type(&self) -> ZoneType {
        self.zone.zone_type()
    }

    fn axfr_policy(&self) -> AxfrPolicy {
        self.zone.axfr_policy()
    }

    fn origin(&self) -> &LowerName {
        self.zone.origin()
    }

    async fn lookup(
        &self,
        name: &LowerName,
        rtype: RecordType,
        request_info: Option<&RequestInfo<'_>>,
        lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        let flow = self
            .zone
            .lookup(name, rtype, request_info, lookup_options)
            .await;
        self.add_glue(flow)
    }

    async fn search(
        &self,
        request: &Request,
        lookup_options: LookupOptions,
    ) -> (LookupControlFlow<AuthLookup>, Option<TSigResponseContext>) {
        let (flow, tsig) = self.zone.search(request, lookup_options).await;
        (self.add_glue(flow), tsig)
    }

    async fn nsec_records(
        &self,
        name: &LowerName,
        lookup_options: LookupOptions,
    ) -> LookupControlFlow<AuthLookup> {
        self.zone.nsec_records(name, lookup_options).await
    }
}

fn catalog(zones: &[&Arc<dyn ZoneHandler>]) -> Catalog {
    let mut catalog = Catalog::new();
    for zone in zones {
        catalog.upsert(zone.origin().clone(), vec![Arc::clone(zone)]);
    }
    catalog
}

/// UDP and TCP bound to the same address.
struct Sockets {
    udp: UdpSocket,
    tcp: TcpListener,
}

async fn bind(addr: SocketAddr) -> std::io::Result<Sockets> {
    let udp = UdpSocket::bind(addr).await?;
    let tcp = TcpListener::bind(udp.local_addr()?).await?;
    Ok(Sockets { udp, tcp })
}

/// Binds UDP and TCP on one ephemeral port of `ip`. The UDP port the kernel
/// picks may be taken for TCP (by another relay, a test): then try again.
async fn bind_any(ip: Ipv4Addr) -> std::io::Result<Sockets> {
    let mut last_error = None;
    for _ in 0..BIND_ATTEMPTS {
        match bind(SocketAddr::new(ip.into(), 0)).await {
            Ok(sockets) => return Ok(sockets),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free port for the DNS lab")))
}

/// Binds the root, `test.`, `lab.test.` and `away.lab.test.` servers on one
/// port free on all four addresses.
async fn bind_hierarchy() -> std::io::Result<[Sockets; 4]> {
    let mut last_error = None;
    for _ in 0..BIND_ATTEMPTS {
        let root = bind_any(ROOT_IP).await?;
        let port = root.udp.local_addr()?.port();
        let tld = bind(SocketAddr::new(TLD_IP.into(), port)).await;
        let lab = bind(SocketAddr::new(LAB_IP.into(), port)).await;
        let away = bind(SocketAddr::new(AWAY_IP.into(), port)).await;
        match (tld, lab, away) {
            (Ok(tld), Ok(lab), Ok(away)) => return Ok([root, tld, lab, away]),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free port for the DNS lab")))
}

fn serve(catalog: Catalog, sockets: Sockets) {
    let mut server = Server::new(catalog);
    server.register_socket(sockets.udp);
    server.register_listener(sockets.tcp, TCP_IDLE, 16);
    tokio::spawn(async move {
        if let Err(error) = server.block_until_done().await {
            tracing::warn!(%error, "DNS lab server stopped");
        }
    });
}

/// Starts the five servers. Their tasks live as long as the runtime.
pub(super) async fn start(echo_port: u16) -> std::io::Result<DnsLab> {
    let root = zone(&root_zone())?;
    let tld = zone(&tld_zone())?;
    let lab = zone(&lab_zone(echo_port))?;
    let reverse = zone(&reverse_zone())?;
    let away = zone(&away_zone())?;

    let stub_sockets = bind_any(Ipv4Addr::LOCALHOST).await?;
    let [root_sockets, tld_sockets, lab_sockets, away_sockets] = bind_hierarchy().await?;
    let addrs = DnsLab {
        stub: stub_sockets.udp.local_addr()?,
        root: root_sockets.udp.local_addr()?,
        tld: tld_sockets.udp.local_addr()?,
        lab: lab_sockets.udp.local_addr()?,
        away: away_sockets.udp.local_addr()?,
    };
    serve(catalog(&[&root, &tld, &lab, &reverse, &away]), stub_sockets);
    serve(catalog(&[&root]), root_sockets);
    serve(catalog(&[&tld]), tld_sockets);
    serve(catalog(&[&lab, &reverse]), lab_sockets);
    serve(catalog(&[&away]), away_sockets);
    Ok(addrs)
}

/// The lab's own zone: names under it resolve through the DNS lab.
pub fn is_lab_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "lab.test" || name.ends_with(".lab.test")
}
