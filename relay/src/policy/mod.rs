//! The one place that decides what the relay may dial ([`Dial::permit`]:
//! live listeners, this policy, and the loopback guard).
//!
//! Every connector asks [`Policy::check`] with the **resolved** address it is
//! about to dial, and then dials exactly that address: a name is resolved
//! once, so a DNS answer that changes between check and dial (rebinding)
//! cannot slip through.
//!
//! Two modes:
//! - **local** (the default): the relay serves the person at this machine,
//!   who could reach all of it anyway; everything is allowed.
//! - **public**: deny by default. Allowed are the lab services and what the
//!   allow-list names. Special-purpose addresses (private, loopback,
//!   link-local, ...; see [`ip`]) are refused unless a rule names their range
//!   by CIDR: a host pattern alone never opens them, so a public name that
//!   resolves to a private address is still refused. Port 25 is refused.

pub mod ip;
pub mod listeners;

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use roundtrip_shared::protocol::{Refusal, RelayError};
use serde::Deserialize;

/// What kind of traffic a destination is for; rules may be limited to some.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Dns,
    Http,
    Https,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Local,
    Public,
}

/// One allow-list entry. Empty lists mean "any". A destination matches when
/// its protocol and port match and its host name matches a pattern or its
/// address is in a CIDR.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub protocols: Vec<Protocol>,
    /// `example.com` (exactly) or `*.example.com` (any name below it).
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub cidrs: Vec<IpNet>,
    /// `"443"` or `"8000-8100"`.
    #[serde(default)]
    pub ports: Vec<String>,
}

/// Where a connector is about to go.
#[derive(Clone, Copy, Debug)]
pub struct Destination<'a> {
    pub protocol: Protocol,
    /// The name the learner typed, when it was a name (not a literal).
    pub host: Option<&'a str>,
    /// The resolved address that will be dialled.
    pub addr: SocketAddr,
}

/// How a lab service is reached: a lab address is allowed only for what
/// listens there, so a UDP datagram cannot reach whatever else happens to
/// use a lab TCP service's port number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabAccess {
    /// A TCP service (the HTTP labs included).
    Tcp,
    /// A UDP service.
    Udp,
    /// A DNS lab server (UDP and TCP, as DNS or as plain UDP).
    Dns,
}

impl LabAccess {
    fn carries(self, protocol: Protocol) -> bool {
        match self {
            LabAccess::Tcp => matches!(protocol, Protocol::Tcp | Protocol::Http | Protocol::Https),
            LabAccess::Udp => protocol == Protocol::Udp,
            LabAccess::Dns => matches!(protocol, Protocol::Dns | Protocol::Udp),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    mode: Mode,
    rules: Vec<Rule>,
    lab: Vec<(SocketAddr, LabAccess)>,
}

impl Policy {
    pub fn local() -> Self {
        Policy::default()
    }

    pub fn public(rules: Vec<Rule>) -> Result<Self, String> {
        for rule in &rules {
            for port in &rule.ports {
                parse_ports(port).ok_or_else(|| {
                    format!("allow-list port \"{port}\" is not a port or a range like 8000-8100")
                })?;
            }
        }
        Ok(Policy {
            mode: Mode::Public,
            rules,
            lab: Vec::new(),
        })
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Lab services are always reachable, in both modes, by what they
    /// speak.
    pub fn allow_lab(&mut self, addrs: impl IntoIterator<Item = (SocketAddr, LabAccess)>) {
        self.lab.extend(addrs);
    }

    /// Whether `dest` may be dialled; a refusal says why, for the learner.
    pub fn check(&self, dest: Destination<'_>) -> Result<(), RelayError> {
        let lab = self
            .lab
            .iter()
            .any(|&(addr, access)| addr == dest.addr && access.carries(dest.protocol));
        if self.mode == Mode::Local || lab {
            return Ok(());
        }
        let ip = normalize(dest.addr.ip());
        let port = dest.addr.port();
        if port == 25 {
            return Err(blocked(
                Refusal::SmtpPort,
                format!(
                    "{} port 25 (SMTP) is closed on a public relay, so that it cannot relay spam",
                    dest.addr
                ),
            ));
        }
        let special = ip::forbidden_reason(ip);
        let mut matched_by_name = false;
        for rule in &self.rules {
            if !rule.allows_protocol(dest.protocol) || !rule.allows_port(port) {
                continue;
            }
            if rule.cidrs.iter().any(|net| net.contains(&ip)) {
                return Ok(());
            }
            if dest.host.is_some_and(|host| rule.allows_host(host)) {
                matched_by_name = true;
            }
        }
        match (matched_by_name, special) {
            (true, None) => Ok(()),
            (true, Some(reason)) => Err(blocked(
                Refusal::ResolvedToSpecial,
                format!(
                    "{} resolved to {reason}; a public relay does not go there",
                    dest.host.unwrap_or_default()
                ),
            )),
            (false, Some(reason)) => Err(blocked(Refusal::SpecialAddress, reason)),
            (false, None) => Err(blocked(
                Refusal::NotAllowListed,
                format!(
                    "{} is not on this relay's allow-list",
                    dest.host
                        .map_or_else(|| dest.addr.to_string(), |h| format!("{h}:{port}"))
                ),
            )),
        }
    }
}

/// Every rule the relay dials by, in one place: a session's live listener
/// (by its exact address, over TCP) is the one loopback destination a
/// public relay opens beyond its policy; then the policy; then, on a relay
/// started for loopback only, a guard that refuses anything off this
/// machine the rules above let through (a broken policy, not a learner's
/// mistake: the caller counts and logs it).
#[derive(Clone, Copy, Debug)]
pub struct Dial<'a> {
    pub policy: &'a Policy,
    pub listeners: &'a listeners::Listeners,
    pub loopback_only: bool,
}

impl Dial<'_> {
    /// Whether `dest.addr` may be dialled now; a refusal says which rule.
    pub fn permit(&self, dest: Destination<'_>) -> Result<(), RelayError> {
        let to_listener = dest.protocol == Protocol::Tcp && self.listeners.contains(dest.addr);
        if !to_listener {
            self.policy.check(dest)?;
        }
        if self.loopback_only && !dest.addr.ip().is_loopback() {
            return Err(blocked(
                Refusal::NotOnThisMachine,
                format!("{} is not on this machine (loopback-only relay)", dest.addr),
            ));
        }
        Ok(())
    }
}

/// IPv4-mapped IPv6 addresses are IPv4 addresses: judge them as such.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A refusal: the rule as a value for the page's explanation, the
/// particulars in words.
pub fn blocked(refusal: Refusal, reason: String) -> RelayError {
    RelayError::refused(refusal, format!("blocked: {reason}"))
}

impl Rule {
    /// HTTP and HTTPS run over TCP, so a rule for `tcp` allows them too; a
    /// rule for `http` or `https` alone allows no raw TCP connection.
    fn allows_protocol(&self, protocol: Protocol) -> bool {
        let over_tcp = matches!(protocol, Protocol::Http | Protocol::Https);
        self.protocols.is_empty()
            || self.protocols.contains(&protocol)
            || over_tcp && self.protocols.contains(&Protocol::Tcp)
    }

    fn allows_port(&self, port: u16) -> bool {
        self.ports.is_empty()
            || self
                .ports
                .iter()
                .filter_map(|p| parse_ports(p))
                .any(|(low, high)| (low..=high).contains(&port))
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.iter().any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(suffix) => host
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
                None => host == pattern,
            }
        })
    }
}

fn parse_ports(spec: &str) -> Option<(u16, u16)> {
    match spec.split_once('-') {
        Some((low, high)) => {
            let (low, high) = (low.trim().parse().ok()?, high.trim().parse().ok()?);
            (low <= high).then_some((low, high))
        }
        None => spec.trim().parse().ok().map(|p| (p, p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roundtrip_shared::protocol::ErrorCode;

    fn dest(host: Option<&'static str>, addr: &str) -> Destination<'static> {
        Destination {
            protocol: Protocol::Tcp,
            host,
            addr: addr.parse().unwrap(),
        }
    }

    fn public() -> Policy {
        let rules = vec![
            Rule {
                hosts: vec!["*.example.com".into(), "example.org".into()],
                ports: vec!["80".into(), "443".into(), "7000-7010".into()],
                ..Rule::default()
            },
            Rule {
                protocols: vec![Protocol::Tcp],
                cidrs: vec!["127.0.0.1/32".parse().unwrap()],
                ports: vec!["9000".into()],
                ..Rule::default()
            },
        ];
        let mut policy = Policy::public(rules).unwrap();
        policy.allow_lab([("127.0.0.1:4000".parse().unwrap(), LabAccess::Tcp)]);
        policy
    }

    #[test]
    fn a_lab_address_is_open_only_to_what_listens_there() {
        let policy = public();
        let at = |protocol| Destination {
            protocol,
            host: None,
            addr: "127.0.0.1:4000".parse().unwrap(),
        };
        for protocol in [Protocol::Tcp, Protocol::Http, Protocol::Https] {
            assert!(policy.check(at(protocol)).is_ok(), "{protocol:?}");
        }
        // The TCP lab service's port number, over UDP: whatever listens
        // there is not the lab.
        assert!(policy.check(at(Protocol::Udp)).is_err());
        assert!(policy.check(at(Protocol::Dns)).is_err());
    }

    #[test]
    fn local_mode_allows_everything() {
        let policy = Policy::local();
        assert!(policy.check(dest(None, "10.0.0.1:22")).is_ok());
    }

    #[test]
    fn public_mode_allows_lab_rules_and_explicit_cidrs() {
        let policy = public();
        for (host, addr) in [
            (None, "127.0.0.1:4000"),
            (Some("www.example.com"), "93.184.215.14:443"),
            (Some("example.org"), "93.184.215.14:7005"),
            (None, "127.0.0.1:9000"),
        ] {
            assert!(policy.check(dest(host, addr)).is_ok(), "{host:?} {addr}");
        }
    }

    #[test]
    fn public_mode_refuses_with_reasons() {
        let policy = public();
        for (host, addr, (refusal, reason)) in [
            (
                None,
                "10.0.0.1:80",
                (Refusal::SpecialAddress, "private range"),
            ),
            (
                Some("www.example.com"),
                "10.0.0.1:80",
                (
                    Refusal::ResolvedToSpecial,
                    "www.example.com resolved to 10.0.0.1",
                ),
            ),
            (
                Some("www.example.com"),
                "[::ffff:169.254.169.254]:80",
                (Refusal::ResolvedToSpecial, "metadata"),
            ),
            (
                Some("www.example.com"),
                "93.184.215.14:8080",
                (Refusal::NotAllowListed, "not on this relay's allow-list"),
            ),
            (
                Some("example.com"),
                "93.184.215.14:80",
                (Refusal::NotAllowListed, "not on this relay's allow-list"),
            ),
            (
                Some("evil-example.com"),
                "93.184.215.14:80",
                (Refusal::NotAllowListed, "allow-list"),
            ),
            (
                Some("www.example.com"),
                "93.184.215.14:25",
                (Refusal::SmtpPort, "port 25"),
            ),
            (
                None,
                "127.0.0.1:9001",
                (Refusal::SpecialAddress, "loopback"),
            ),
            (
                None,
                "127.0.0.1:4001",
                (Refusal::SpecialAddress, "loopback"),
            ),
        ] {
            let err = policy.check(dest(host, addr)).unwrap_err();
            assert_eq!(err.code, ErrorCode::Blocked);
            assert_eq!(err.refusal, Some(refusal), "{host:?} {addr}");
            assert!(
                err.message.contains(reason),
                "{host:?} {addr}: {}",
                err.message
            );
            assert!(err.message.starts_with("blocked: "), "{}", err.message);
        }
    }

    #[test]
    fn rules_tell_http_and_https_from_tcp() {
        let only = |protocols: Vec<Protocol>| {
            Policy::public(vec![Rule {
                protocols,
                hosts: vec!["www.example.com".into()],
                ..Rule::default()
            }])
            .unwrap()
        };
        let to = |protocol| Destination {
            protocol,
            host: Some("www.example.com"),
            addr: "93.184.215.14:443".parse().unwrap(),
        };
        let https_only = only(vec![Protocol::Https]);
        assert!(https_only.check(to(Protocol::Https)).is_ok());
        assert!(https_only.check(to(Protocol::Http)).is_err());
        assert!(https_only.check(to(Protocol::Tcp)).is_err());
        let http_only = only(vec![Protocol::Http]);
        assert!(http_only.check(to(Protocol::Http)).is_ok());
        assert!(http_only.check(to(Protocol::Https)).is_err());
        assert!(http_only.check(to(Protocol::Tcp)).is_err());
        // HTTP is TCP: a rule for tcp covers both.
        let tcp = only(vec![Protocol::Tcp]);
        for protocol in [Protocol::Tcp, Protocol::Http, Protocol::Https] {
            assert!(tcp.check(to(protocol)).is_ok(), "{protocol:?}");
        }
        assert!(tcp.check(to(Protocol::Udp)).is_err());
    }

    #[test]
    fn bad_port_specs_are_config_errors() {
        let rule = Rule {
            ports: vec!["80-70".into()],
            ..Rule::default()
        };
        assert!(Policy::public(vec![rule]).is_err());
    }
}
