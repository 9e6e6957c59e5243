//! Which IP addresses a public relay must never dial, and every spelling of
//! an address turned into one canonical `IpAddr` first.
//!
//! The deny list follows the IANA special-purpose address registries for
//! IPv4 and IPv6 (plus multicast and the deprecated site-local range), not a
//! hand-picked few. IPv6 forms that carry an IPv4 address inside them
//! (mapped, compatible, NAT64, 6to4, Teredo) are judged by the IPv4 address
//! they carry as well, so `::ffff:169.254.169.254` is the metadata service.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A special-purpose range, with the name a learner sees when blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialRange {
    pub net: IpNet,
    pub name: &'static str,
}

const fn v4(
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    len: u8,
    name: &'static str,
) -> (Ipv4Addr, u8, &'static str) {
    (Ipv4Addr::new(a, b, c, d), len, name)
}

/// IANA IPv4 Special-Purpose Address Registry, plus multicast.
const V4: &[(Ipv4Addr, u8, &str)] = &[
    v4(0, 0, 0, 0, 8, "\"this network\" (0.0.0.0/8)"),
    v4(10, 0, 0, 0, 8, "a private range (10.0.0.0/8)"),
    v4(
        100,
        64,
        0,
        0,
        10,
        "shared address space for carrier-grade NAT (100.64.0.0/10)",
    ),
    v4(127, 0, 0, 0, 8, "loopback (127.0.0.0/8)"),
    v4(
        169,
        254,
        0,
        0,
        16,
        "link-local, home of cloud metadata services (169.254.0.0/16)",
    ),
    v4(172, 16, 0, 0, 12, "a private range (172.16.0.0/12)"),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments (192.0.0.0/24)"),
    v4(192, 0, 2, 0, 24, "documentation TEST-NET-1 (192.0.2.0/24)"),
    v4(192, 31, 196, 0, 24, "AS112 (192.31.196.0/24)"),
    v4(192, 52, 193, 0, 24, "AMT (192.52.193.0/24)"),
    v4(
        192,
        88,
        99,
        0,
        24,
        "deprecated 6to4 relay anycast (192.88.99.0/24)",
    ),
    v4(192, 168, 0, 0, 16, "a private range (192.168.0.0/16)"),
    v4(
        192,
        175,
        48,
        0,
        24,
        "AS112 direct delegation (192.175.48.0/24)",
    ),
    v4(198, 18, 0, 0, 15, "benchmarking (198.18.0.0/15)"),
    v4(
        198,
        51,
        100,
        0,
        24,
        "documentation TEST-NET-2 (198.51.100.0/24)",
    ),
    v4(
        203,
        0,
        113,
        0,
        24,
        "documentation TEST-NET-3 (203.0.113.0/24)",
    ),
    v4(224, 0, 0, 0, 4, "multicast (224.0.0.0/4)"),
    v4(240, 0, 0, 0, 4, "reserved (240.0.0.0/4)"),
    v4(
        255,
        255,
        255,
        255,
        32,
        "limited broadcast (255.255.255.255)",
    ),
];

/// IANA IPv6 Special-Purpose Address Registry, plus multicast and
/// site-local. Ranges that embed IPv4 are also decoded by [`embedded_ipv4`].
const V6: &[(&str, &str)] = &[
    ("::/128", "the unspecified address (::)"),
    ("::1/128", "loopback (::1)"),
    ("::/96", "IPv4-compatible IPv6 (::/96, deprecated)"),
    ("::ffff:0:0/96", "IPv4-mapped IPv6 (::ffff:0:0/96)"),
    ("64:ff9b::/96", "NAT64 translation (64:ff9b::/96)"),
    (
        "64:ff9b:1::/48",
        "local-use NAT64 translation (64:ff9b:1::/48)",
    ),
    ("100::/64", "discard-only (100::/64)"),
    ("100:0:0:1::/64", "dummy prefix (100:0:0:1::/64)"),
    ("2001::/23", "IETF protocol assignments (2001::/23)"),
    ("2001::/32", "Teredo tunnelling (2001::/32)"),
    ("2001:db8::/32", "documentation (2001:db8::/32)"),
    ("2002::/16", "6to4 tunnelling (2002::/16)"),
    (
        "2620:4f:8000::/48",
        "AS112 direct delegation (2620:4f:8000::/48)",
    ),
    ("3fff::/20", "documentation (3fff::/20)"),
    ("5f00::/16", "segment routing SIDs (5f00::/16)"),
    (
        "fc00::/7",
        "unique-local, the IPv6 private range (fc00::/7)",
    ),
    ("fe80::/10", "link-local (fe80::/10)"),
    ("fec0::/10", "deprecated site-local (fec0::/10)"),
    ("ff00::/8", "multicast (ff00::/8)"),
];

/// The most specific special-purpose range `ip` is in, if any.
pub fn special_range(ip: IpAddr) -> Option<SpecialRange> {
    let mut best: Option<SpecialRange> = None;
    let mut consider = |net: IpNet, name: &'static str| {
        if net.contains(&ip) && best.is_none_or(|b| net.prefix_len() > b.net.prefix_len()) {
            best = Some(SpecialRange { net, name });
        }
    };
    match ip {
        IpAddr::V4(_) => {
            for &(addr, len, name) in V4 {
                consider(
                    IpNet::V4(Ipv4Net::new(addr, len).expect("valid prefix")),
                    name,
                );
            }
        }
        IpAddr::V6(_) => {
            for &(net, name) in V6 {
                consider(
                    IpNet::V6(net.parse::<Ipv6Net>().expect("valid prefix")),
                    name,
                );
            }
        }
    }
    best
}

/// The IPv4 address an IPv6 address carries, for the forms that carry one:
/// IPv4-mapped and -compatible, NAT64 (well-known and local-use), 6to4, and
/// Teredo (whose client address is stored inverted).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let o = ip.octets();
    let seg = ip.segments();
    let last32 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if seg[..5] == [0, 0, 0, 0, 0] && (seg[5] == 0xffff || seg[5] == 0) {
        // ::ffff:a.b.c.d and ::a.b.c.d (but not :: and ::1 themselves).
        return (seg[5] == 0xffff || u32::from(last32) > 1).then_some(last32);
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || seg[..3] == [0x64, 0xff9b, 1] {
        return Some(last32);
    }
    if seg[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if seg[..2] == [0x2001, 0] {
        let client = u32::from(last32) ^ 0xffff_ffff;
        return Some(Ipv4Addr::from(client));
    }
    None
}

/// Parses an IPv4 address the way `inet_aton` (and so `ping`, `curl` and
/// many URL parsers) does: one to four parts, each decimal, `0x` hex or
/// `0`-prefixed octal, the last part filling the remaining bytes. So
/// `2130706433`, `0x7f000001`, `017700000001`, `127.1` and `0x7f.1` are all
/// 127.0.0.1. Returns `None` for anything that is not such a number.
pub fn parse_ipv4_loose(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        values.push(parse_number(part)?);
    }
    let (last, leading) = values.split_last()?;
    if leading.iter().any(|&v| v > 0xff) {
        return None;
    }
    let spare_bytes = 4 - leading.len();
    if spare_bytes < 4 && *last >= 1u64 << (8 * spare_bytes) || *last > u64::from(u32::MAX) {
        return None;
    }
    let mut addr: u32 = 0;
    for (i, &v) in leading.iter().enumerate() {
        addr |= (v as u32) << (24 - 8 * i);
    }
    Some(Ipv4Addr::from(addr | *last as u32))
}

fn parse_number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() {
        return None;
    }
    if digits.len() > 12 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Turns any spelling of an IP address into one `IpAddr`: IPv6 with or
/// without brackets and with a zone (`fe80::1%eth0`), IPv4 in every
/// `inet_aton` form. `None` when `host` is a name, not an address.
pub fn canonical_ip(host: &str) -> Option<IpAddr> {
    let host = host.trim();
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let without_zone = unbracketed.split('%').next().unwrap_or(unbracketed);
    if let Ok(ip) = without_zone.parse::<IpAddr>() {
        return Some(ip);
    }
    parse_ipv4_loose(host).map(IpAddr::V4)
}

/// Why `ip` must not be dialled from a public relay, if it must not: the
/// special-purpose range it is in, or the one of the IPv4 address it
/// carries.
pub fn forbidden_reason(ip: IpAddr) -> Option<String> {
    if let IpAddr::V6(v6) = ip
        && let Some(inner) = embedded_ipv4(v6)
        && let Some(range) = special_range(IpAddr::V4(inner))
    {
        return Some(format!("{ip} carries {inner}, which is {}", range.name));
    }
    special_range(ip).map(|range| format!("{ip} is in {}", range.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_spelling_of_loopback_is_loopback() {
        for spelling in [
            "127.0.0.1",
            "2130706433",
            "0x7f000001",
            "0X7F000001",
            "017700000001",
            "0177.0.0.1",
            "0x7f.0.0.1",
            "127.1",
            "127.0.1",
            "0x7f.1",
            "[::ffff:127.0.0.1]",
            "::ffff:7f00:1",
        ] {
            let canonical = canonical_ip(spelling).unwrap_or_else(|| panic!("{spelling}"));
            let v4 = match canonical {
                IpAddr::V4(v4) => v4,
                IpAddr::V6(v6) => embedded_ipv4(v6).unwrap(),
            };
            assert_eq!(v4, Ipv4Addr::LOCALHOST, "{spelling}");
            assert!(forbidden_reason(canonical).is_some(), "{spelling}");
        }
    }

    #[test]
    fn names_and_nonsense_are_not_addresses() {
        for text in [
            "example.com",
            "127.0.0.1.example",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.256",
            "4294967296",
            "0x",
            "08",
            "",
            "1..1",
        ] {
            assert_eq!(canonical_ip(text), None, "{text}");
        }
    }

    #[test]
    fn ranges_name_themselves() {
        let cases = [
            ("10.1.2.3", "private range (10.0.0.0/8)"),
            ("172.31.255.255", "172.16.0.0/12"),
            ("192.168.1.1", "192.168.0.0/16"),
            ("169.254.169.254", "metadata"),
            ("100.100.100.200", "carrier-grade NAT"),
            ("0.0.0.0", "this network"),
            ("224.0.0.251", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:a9fe:a9fe", "carries 169.254.169.254"),
            ("64:ff9b::a00:1", "carries 10.0.0.1"),
            ("2002:c0a8:101::1", "carries 192.168.1.1"),
            // Teredo: client 127.0.0.1 stored inverted (0x80ff:fffe).
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "carries 127.0.0.1"),
        ];
        for (addr, expected) in cases {
            let reason = forbidden_reason(ip(addr)).unwrap_or_else(|| panic!("{addr} allowed"));
            assert!(reason.contains(expected), "{addr}: {reason}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "93.184.215.14",
            "1.1.1.1",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
        ] {
            assert_eq!(forbidden_reason(ip(addr)), None, "{addr}");
        }
    }

    /// Every way to write an IPv4 address that `inet_aton` accepts, plus the
    /// IPv6 forms that carry it.
    fn spellings(ip: Ipv4Addr) -> Vec<String> {
        let n = u32::from(ip);
        let [a, b, c, d] = ip.octets();
        let (mapped, nat64) = (ip.to_ipv6_mapped(), {
            let [p, q, r, s] = ip.octets();
            Ipv6Addr::new(
                0x64,
                0xff9b,
                0,
                0,
                0,
                0,
                u16::from_be_bytes([p, q]),
                u16::from_be_bytes([r, s]),
            )
        });
        vec![
            ip.to_string(),
            n.to_string(),
            format!("0x{n:x}"),
            format!("0X{n:08X}"),
            format!("0{n:o}"),
            format!("{a}.{}", n & 0x00ff_ffff),
            format!("{a}.{b}.{}", n & 0xffff),
            format!("0x{a:x}.0x{b:x}.0x{c:x}.0x{d:x}"),
            format!("0{a:o}.0{b:o}.0{c:o}.0{d:o}"),
            format!("[{mapped}]"),
            format!("::ffff:{ip}"),
            nat64.to_string(),
        ]
    }

    fn forbidden_v4() -> impl proptest::strategy::Strategy<Value = Ipv4Addr> {
        use proptest::prelude::*;
        (0..V4.len(), any::<u32>()).prop_map(|(i, bits)| {
            let (base, len, _) = V4[i];
            let host_mask = if len == 32 { 0 } else { u32::MAX >> len };
            Ipv4Addr::from(u32::from(base) | (bits & host_mask))
        })
    }

    proptest::proptest! {
        #[test]
        fn every_spelling_of_a_forbidden_address_is_forbidden(ip in forbidden_v4()) {
            for spelling in spellings(ip) {
                let canonical = canonical_ip(&spelling);
                proptest::prop_assert!(canonical.is_some(), "{} did not parse", spelling);
                let reason = forbidden_reason(canonical.unwrap());
                proptest::prop_assert!(reason.is_some(), "{} ({}) was allowed", spelling, ip);
            }
        }

        #[test]
        fn spellings_agree(n in proptest::prelude::any::<u32>()) {
            let ip = Ipv4Addr::from(n);
            for spelling in spellings(ip).into_iter().take(9) {
                proptest::prop_assert_eq!(canonical_ip(&spelling), Some(IpAddr::V4(ip)), "{}", spelling);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = canonical_ip(&text).map(forbidden_reason);
        }
    }

    #[test]
    fn zones_are_stripped_and_judged() {
        assert_eq!(canonical_ip("[fe80::1%eth0]"), Some(ip("fe80::1")));
        assert!(forbidden_reason(ip("fe80::1")).is_some());
    }
}
