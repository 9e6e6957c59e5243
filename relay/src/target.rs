//! What the browser wants to reach: `host:port`, `[v6]:port`, an IP literal
//! with a port, or the name of a lab service. Parsing is pure; resolving
//! reports its steps as events.
//!
//! Names under `lab.test` resolve through the DNS lab (and report the DNS
//! query and response between `resolving` and `resolved`); other names go to
//! the system resolver. Any connector that starts from a name gets both by
//! calling [`parse`] (TCP, UDP) or [`from_url`] (HTTP: the same routing,
//! from a URL's host and port) then [`resolve`].

use std::net::SocketAddr;

use roundtrip_shared::protocol::{ErrorCode, EventKind, RelayError, ResolveSource};
use url::{Host, Url};

use crate::lab::Lab;
use crate::report::{Halt, Reporter};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A lab service, by name.
    Lab { name: String, addr: SocketAddr },
    /// An IP address and port: nothing to look up.
    Literal(SocketAddr),
    /// A host name to resolve, and a port.
    Host { host: String, port: u16 },
    /// A name under `lab.test`, resolved by asking the DNS lab's stub
    /// server `dns`.
    LabHost {
        host: String,
        port: u16,
        dns: SocketAddr,
    },
}

/// Parses a target for a `protocol` (`tcp`, `udp`): like [`parse`], but a
/// lab service of another protocol is refused, since nothing of this
/// protocol listens at its address.
pub fn parse_for(text: &str, lab: &Lab, protocol: &str) -> Result<Target, RelayError> {
    let name = text.trim();
    if let Some(service) = lab.service(name)
        && service.protocol != protocol
    {
        let same: Vec<&str> = lab.services_of(protocol).map(|s| s.name.as_str()).collect();
        return Err(RelayError::new(
            ErrorCode::InvalidTarget,
            format!(
                "\"{name}\" is a {} service, not {}: try {}",
                service.protocol.to_uppercase(),
                protocol.to_uppercase(),
                if same.is_empty() {
                    "host:port".to_owned()
                } else {
                    same.join(", ")
                }
            ),
        ));
    }
    parse(text, lab)
}

/// Parses what the browser typed. Errors say what a good target looks like.
pub fn parse(text: &str, lab: &Lab) -> Result<Target, RelayError> {
    let text = text.trim();
    let invalid = |why: String| RelayError::new(ErrorCode::InvalidTarget, why);
    if let Some(addr) = lab.lookup(text) {
        return Ok(Target::Lab {
            name: text.to_owned(),
            addr,
        });
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return check_port(addr.port(), text).map(|_| Target::Literal(addr));
    }
    if text.contains("://") {
        return Err(invalid(format!(
            "\"{text}\" is a URL; a target is host:port, like 127.0.0.1:8080 (URLs go in an HTTP request)"
        )));
    }
    if text.starts_with('[') && text.ends_with(']') {
        return Err(invalid(format!(
            "\"{text}\" has no port: write it after the brackets, like [::1]:7"
        )));
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(invalid(format!(
            "\"{text}\" is not host:port or a lab service ({})",
            lab.names().join(", ")
        )));
    };
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let Ok(ip) = inner.parse::<std::net::Ipv6Addr>() else {
            return Err(invalid(if inner.contains('%') {
                format!("\"{host}\": write IPv6 addresses without a zone (%...), like [::1]:7")
            } else {
                format!("\"{host}\" is not an IPv6 address; write one like [::1]:7")
            }));
        };
        // A good address: what is wrong is the port.
        let port: u16 = port
            .parse()
            .map_err(|_| invalid(format!("\"{port}\" is not a port number (1-65535)")))?;
        return check_port(port, text).map(|_| Target::Literal(SocketAddr::from((ip, port))));
    }
    if host.contains(':') {
        return Err(invalid(if host.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("\"{text}\": write IPv6 addresses in brackets, like [::1]:7")
        } else {
            format!("\"{text}\" has more than one ':'; a target is host:port, like 127.0.0.1:8080")
        }));
    }
    if lab.lookup(host).is_some() {
        return Err(invalid(format!(
            "\"{host}\" is a lab service: write its name alone, it knows its port"
        )));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| invalid(format!("\"{port}\" is not a port number (1-65535)")))?;
    check_port(port, text)?;
    // Every spelling of an address (2130706433, 0x7f.1, 127.1, ...) is an
    // address, not a name: no lookup, and the policy sees the real address.
    if let Some(ip) = crate::policy::ip::canonical_ip(host) {
        return Ok(Target::Literal(SocketAddr::new(ip, port)));
    }
    if !is_host_name(host) {
        return Err(invalid(format!("\"{host}\" is not a valid host name")));
    }
    if crate::lab::dns::is_lab_name(host) {
        return Ok(Target::LabHost {
            host: host.to_owned(),
            port,
            dns: lab.dns().stub,
        });
    }
    Ok(Target::Host {
        host: host.to_owned(),
        port,
    })
}

/// Where an `http://` or `https://` URL leads, routed as [`parse`] routes a
/// target: a lab service by its name, a name under `lab.test` through the
/// DNS lab, an IP literal as it is, any other name through the resolver.
/// The port is the URL's, else its scheme's.
pub fn from_url(url: &Url, lab: &Lab) -> Result<Target, RelayError> {
    let port = url.port_or_known_default().unwrap_or(80);
    let host = match url.host() {
        Some(Host::Domain(name)) => name.to_owned(),
        Some(Host::Ipv4(ip)) => return Ok(Target::Literal(SocketAddr::new(ip.into(), port))),
        Some(Host::Ipv6(ip)) => return Ok(Target::Literal(SocketAddr::new(ip.into(), port))),
        None => {
            return Err(RelayError::new(
                ErrorCode::InvalidUrl,
                format!("{url} has no host"),
            ));
        }
    };
    if let Some(addr) = lab.lookup(&host) {
        return Ok(Target::Lab { name: host, addr });
    }
    // `www.lab.test` on 80 or 443 leads on to the HTTP labs (see
    // [`resolve`]).
    if crate::lab::dns::is_lab_name(&host) {
        return Ok(Target::LabHost {
            host,
            port,
            dns: lab.dns().stub,
        });
    }
    Ok(Target::Host { host, port })
}

fn check_port(port: u16, text: &str) -> Result<(), RelayError> {
    if port == 0 {
        return Err(RelayError::new(
            ErrorCode::InvalidTarget,
            format!("\"{text}\": port 0 cannot be connected to (ports are 1-65535)"),
        ));
    }
    Ok(())
}

/// Letters, digits, hyphens and dots, in labels of 1 to 63 characters (RFC
/// 1123), plus `_` which real zones use (`_dmarc`). At most 253 characters.
fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Resolves `target` to the addresses to try, in order, reporting
/// `resolving` (names only) and `resolved`. A `lab.test` name with the
/// well-known port of a lab service for `transport` (`tcp`, `udp`, `http`,
/// `https`), such as `echo.lab.test:7`, leads to that service's real
/// address, reported by a `lab_port` event.
pub async fn resolve(
    state: &crate::AppState,
    target: &Target,
    transport: &str,
    report: &Reporter,
) -> Result<Result<Vec<SocketAddr>, RelayError>, Halt> {
    let (addrs, source) = match target {
        Target::LabHost { host, port, dns } => {
            report
                .event(EventKind::Resolving { host: host.clone() })
                .await?;
            let timeout = crate::connectors::dns::DEFAULT_TIMEOUT;
            match crate::connectors::dns::lookup_lab(*dns, host, timeout, report).await? {
                Ok(ips) => {
                    let addrs = ips.into_iter().map(|ip| SocketAddr::new(ip, *port));
                    (addrs.collect(), ResolveSource::DnsLab)
                }
                Err(error) => return Ok(Err(error)),
            }
        }
        Target::Lab { addr, .. } => (vec![*addr], ResolveSource::Lab),
        Target::Literal(addr) => (vec![*addr], ResolveSource::Literal),
        Target::Host { host, port } => {
            report
                .event(EventKind::Resolving { host: host.clone() })
                .await?;
            match state.config().resolver.lookup(host, *port).await {
                Ok(addrs) => {
                    if addrs.is_empty() {
                        return Ok(Err(RelayError::new(
                            ErrorCode::ResolveFailed,
                            format!("\"{host}\" has no addresses"),
                        )));
                    }
                    (addrs, ResolveSource::System)
                }
                Err(error) => {
                    return Ok(Err(RelayError::new(
                        ErrorCode::ResolveFailed,
                        format!("could not resolve \"{host}\": {error}"),
                    )));
                }
            }
        }
    };
    report
        .event(EventKind::Resolved {
            addrs: addrs.iter().map(ToString::to_string).collect(),
            source,
        })
        .await?;
    // The lab services listen on 127.0.0.1 only, where lab names lead.
    if let Target::LabHost { host, port, .. } = target
        && addrs
            .iter()
            .any(|a| a.ip() == std::net::Ipv4Addr::LOCALHOST)
        && let Some((service, addr)) = state.lab().well_known(transport, *port)
    {
        report
            .event(EventKind::LabPort {
                from: format!("{host}:{port}"),
                to: addr.to_string(),
                service: service.to_owned(),
            })
            .await?;
        return Ok(Ok(vec![addr]));
    }
    Ok(Ok(addrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lab() -> Lab {
        Lab::start().await.unwrap()
    }

    #[tokio::test]
    async fn parses_every_kind_of_target() {
        let lab = lab().await;
        assert!(matches!(parse("tcp-echo", &lab), Ok(Target::Lab { .. })));
        assert_eq!(
            parse("127.0.0.1:7", &lab),
            Ok(Target::Literal("127.0.0.1:7".parse().unwrap()))
        );
        assert_eq!(
            parse("[::1]:7", &lab),
            Ok(Target::Literal("[::1]:7".parse().unwrap()))
        );
        assert_eq!(
            parse("0x7f.1:7", &lab),
            Ok(Target::Literal("127.0.0.1:7".parse().unwrap()))
        );
        assert_eq!(
            parse(" localhost:8080 ", &lab),
            Ok(Target::Host {
                host: "localhost".into(),
                port: 8080
            })
        );
        assert_eq!(
            parse("Echo.Lab.Test.:7", &lab),
            Ok(Target::LabHost {
                host: "Echo.Lab.Test.".into(),
                port: 7,
                dns: lab.dns().stub,
            })
        );
    }

    #[tokio::test]
    async fn bad_targets_explain_themselves() {
        let lab = lab().await;
        for (text, expected) in [
            ("echo", "lab service (tcp-echo"),
            ("::1:7", "brackets"),
            ("localhost:http", "not a port number"),
            ("localhost:70000", "not a port number"),
            ("localhost:0", "port 0"),
            ("bad host:80", "not a valid host name"),
            (":80", "not a valid host name"),
            ("http://127.0.0.1:17001", "is a URL"),
            ("[::1]", "has no port"),
            ("localhost:17001:1", "more than one ':'"),
            ("tcp-echo:7", "write its name alone"),
            ("[fe80::1%lo]:7", "without a zone"),
            ("[::1]:70000", "not a port number"),
            ("[::1]:", "not a port number"),
            ("[::1]:0", "port 0"),
            ("[nope]:7", "not an IPv6 address"),
        ] {
            let err = parse(text, &lab).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidTarget, "{text}");
            assert!(err.message.contains(expected), "{text}: {}", err.message);
        }
    }

    #[tokio::test]
    async fn urls_are_routed_as_targets_are() {
        let lab = lab().await;
        let from = |text: &str| from_url(&Url::parse(text).unwrap(), &lab).unwrap();
        // A lab service by its name, with the port it really listens on.
        assert_eq!(
            from("http://http-lab/get"),
            Target::Lab {
                name: "http-lab".into(),
                addr: lab.lookup("http-lab").unwrap(),
            }
        );
        // Everything else as the same host and port typed as a target, with
        // the scheme's port when the URL names none.
        for (url, target) in [
            ("http://127.0.0.1:8080/json", "127.0.0.1:8080"),
            ("https://127.0.0.1/", "127.0.0.1:443"),
            ("http://[::1]/", "[::1]:80"),
            ("http://0x7f.1:81/", "127.0.0.1:81"),
            ("https://www.lab.test/", "www.lab.test:443"),
            ("http://Echo.Lab.Test.:7/", "echo.lab.test.:7"),
            ("http://example.com:8080/a?b", "example.com:8080"),
            ("https://localhost/", "localhost:443"),
        ] {
            assert_eq!(from(url), parse(target, &lab).unwrap(), "{url}");
        }
        assert!(matches!(
            from("https://www.lab.test/"),
            Target::LabHost { port: 443, .. }
        ));
    }

    #[tokio::test]
    async fn services_of_another_protocol_are_refused() {
        let lab = lab().await;
        assert!(matches!(
            parse_for("udp-echo", &lab, "udp"),
            Ok(Target::Lab { .. })
        ));
        let err = parse_for("tcp-echo", &lab, "udp").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidTarget);
        assert!(err.message.contains("TCP service"), "{}", err.message);
        assert!(err.message.contains("udp-echo"), "{}", err.message);
        assert!(parse_for("udp-echo", &lab, "tcp").is_err());
    }
}
