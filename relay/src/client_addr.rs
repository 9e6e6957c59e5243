//! Whose address a request is: the peer's, or behind a reverse proxy the
//! relay was told to trust (`--trusted-proxy CIDR`), the client's as the
//! proxies wrote it in `Forwarded` (RFC 7239) or `X-Forwarded-For`.
//!
//! The headers are read only from a trusted peer, and walked from the
//! right: each proxy appends the address it got the request from, so the
//! right-most entry that is not itself a trusted proxy is the first one no
//! proxy of ours vouches for: the client. Anything left of it could have
//! been written by the client and is ignored. From any other peer the
//! headers are ignored, so a client cannot pick its own address (and
//! with it a fresh set of per-address limits).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers count. Empty: none (the default).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    pub fn nets(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request that came from `peer` with
    /// `headers`: `peer` itself unless it is a trusted proxy. Behind
    /// trusted proxies, the right-most untrusted hop; when every hop is
    /// trusted, the left-most. A hop that is not an address (`unknown`,
    /// an obfuscated name, garbage) stops the walk: the proxy that wrote it
    /// is the client as far as the relay can tell.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in hops(headers).into_iter().rev() {
            let Some(ip) = hop else { return client };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// The hops the forwarding headers list, left to right (`None` for one
/// that is not an address). `Forwarded` when the request has it, else
/// `X-Forwarded-For`; each may come in several header lines, which read
/// as one list in order.
fn hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<_> = headers.get_all("forwarded").iter().collect();
    if !forwarded.is_empty() {
        return forwarded
            .into_iter()
            .flat_map(|value| split(value.to_str().ok()))
            .map(|element| element.and_then(forwarded_for))
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| split(value.to_str().ok()))
        .map(|entry| entry.and_then(node))
        .collect()
}

/// A header value's comma-separated entries; one `None` for a value that
/// is not text.
fn split(value: Option<&str>) -> Vec<Option<&str>> {
    match value {
        Some(text) => text.split(',').map(|entry| Some(entry.trim())).collect(),
        None => vec![None],
    }
}

/// The `for=` of one `Forwarded` element (`for=192.0.2.1;proto=https`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| node(value))
            .flatten()
    })
}

/// One node: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]`, `"[2001:db8::1]:4711"`.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse().ok())
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_writes() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let spoofed = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        assert_eq!(
            trusted.client(ip("198.51.100.4"), &spoofed),
            ip("198.51.100.4")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &spoofed),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client wrote 1.2.3.4 itself; 203.0.113.9 is what our first
        // proxy saw; 10.1.1.1 is our second proxy.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &chain), ip("203.0.113.9"));
        // Two header lines read as one list.
        let lines = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.2"), &lines), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_takes_every_node_form() {
        let trusted = proxies(&["127.0.0.0/8"]);
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.1"),
            (
                "forwarded",
                "for=192.0.2.60;proto=http, For=\"[2001:db8:cafe::17]:4711\"",
            ),
        ]);
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &both),
            ip("2001:db8:cafe::17")
        );
        for (text, want) in [
            ("for=192.0.2.1:8080", "192.0.2.1"),
            ("proto=https;for=\"[2001:db8::1]\"", "2001:db8::1"),
            ("for=\"::ffff:192.0.2.7\"", "192.0.2.7"),
        ] {
            let h = headers(&[("forwarded", text)]);
            assert_eq!(trusted.client(ip("127.0.0.1"), &h), ip(want), "{text}");
        }
    }

    #[test]
    fn all_trusted_hops_give_the_left_most_and_garbage_stops_the_walk() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let inner = headers(&[("x-forwarded-for", "10.0.0.7, 10.0.0.8")]);
        assert_eq!(trusted.client(ip("10.0.0.9"), &inner), ip("10.0.0.7"));
        // `unknown` right after our proxy: the proxy is all the relay knows.
        let unknown = headers(&[("x-forwarded-for", "203.0.113.5, unknown, 10.0.0.8")]);
        assert_eq!(trusted.client(ip("10.0.0.9"), &unknown), ip("10.0.0.8"));
        let obfuscated = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(trusted.client(ip("10.0.0.9"), &obfuscated), ip("10.0.0.9"));
        // No header at all: the proxy's own address.
        assert_eq!(
            trusted.client(ip("10.0.0.9"), &HeaderMap::new()),
            ip("10.0.0.9")
        );
    }

    #[test]
    fn a_mapped_peer_is_trusted_as_its_ipv4_address() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.3")]);
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &h),
            ip("203.0.113.3")
        );
    }
}
