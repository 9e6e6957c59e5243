//! Who may open a session: checks made on `/ws` before the WebSocket upgrade.
//!
//! Browsers let any page open a WebSocket to any host, sending the page's
//! `Origin`. Without a check, a web page in another tab could drive a relay
//! on this machine (cross-site WebSocket hijacking), and a name that
//! rebinds to 127.0.0.1 could reach it too (DNS rebinding).
//!
//! - **local** mode: the `Host` must be a loopback name or address (defeats
//!   rebinding), and an `Origin`, when present, must be a page served from
//!   this machine. Clients that are not browsers send no `Origin` and pass.
//! - **public** mode: the `Origin` must be exactly one of the configured
//!   origins (a missing or `null` origin is refused), and when a token is
//!   configured it must come as `?token=` or `Authorization: Bearer`.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

use crate::policy::Mode;

#[derive(Clone, Debug, Default)]
pub struct Access {
    pub mode: Mode,
    /// Public mode: the exact origins allowed, e.g. `https://demo.example`.
    pub origins: Vec<String>,
    /// Public mode: a shared secret the page must present.
    pub token: Option<String>,
}

impl Access {
    /// Checks a `/ws` request; `Err` carries the reason sent back with 403.
    pub fn check(&self, headers: &HeaderMap, query: Option<&str>) -> Result<(), String> {
        let origin = header_str(headers, header::ORIGIN);
        match self.mode {
            Mode::Local => {
                let host = header_str(headers, header::HOST).unwrap_or_default();
                if !is_loopback_host(host) {
                    return Err(format!(
                        "this relay only answers to localhost, not to Host \"{host}\" \
                         (run it with --public to serve others)"
                    ));
                }
                match origin {
                    None => Ok(()),
                    Some(origin) if is_loopback_origin(origin) => Ok(()),
                    Some(origin) => Err(format!(
                        "pages from {origin} may not use this relay: it serves pages from this machine only"
                    )),
                }
            }
            Mode::Public => {
                let origin = origin.unwrap_or("(none)");
                if !self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
                    return Err(format!("origin {origin} is not allowed on this relay"));
                }
                if let Some(expected) = &self.token {
                    let presented = bearer(headers)
                        .map(std::borrow::Cow::Borrowed)
                        .or_else(|| query.and_then(query_token));
                    if !presented.is_some_and(|t| same_secret(&t, expected)) {
                        return Err("a valid token is required".to_owned());
                    }
                }
                Ok(())
            }
        }
    }
}

/// A configured origin, checked and written as a browser sends it in the
/// `Origin` header (lower-case scheme and host, no default port, no
/// trailing slash), since [`Access::check`] compares it with that header
/// as text. `Err` says what is wrong and how to write it.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let problem = |why: &str| {
        Err(format!(
            "\"{text}\" is not an origin ({why}): write scheme://host[:port] as the browser \
             sends it, e.g. https://demo.example or http://localhost:8080"
        ))
    };
    let Ok(url) = url::Url::parse(text.trim()) else {
        return problem("not a URL");
    };
    if !matches!(url.scheme(), "http" | "https") {
        return problem("the scheme must be http or https");
    }
    if url.host().is_none() {
        return problem("no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return problem("it has a user name");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return problem("it has a path");
    }
    Ok(url.origin().ascii_serialization())
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `localhost`, `127.0.0.1:8080`, `[::1]:8080` and the like.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| !rest.contains('/') && is_loopback_host(rest))
}

/// The token of `Authorization: Bearer <token>`. The scheme name is
/// case-insensitive (RFC 7235), and one or more spaces may follow it.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION)?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start_matches(' '))
}

/// `token=` in the query, decoded as a form value (RFC 6750 §2.3: `%2B`,
/// `%2F`, `%3D` and the like stand for the characters a token may hold).
fn query_token(query: &str) -> Option<std::borrow::Cow<'_, str>> {
    url::form_urlencoded::parse(query.as_bytes())
        .find_map(|(name, value)| (name == "token").then_some(value))
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell an attacker how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn local_mode_accepts_this_machine_and_scripts() {
        let access = Access::default();
        for pairs in [
            vec![
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080"),
            ],
            vec![
                ("host", "localhost:8080"),
                ("origin", "http://localhost:3000"),
            ],
            vec![("host", "[::1]:8080"), ("origin", "http://[::1]:8080")],
            vec![("host", "127.0.0.1:8080")],
        ] {
            assert!(access.check(&headers(&pairs), None).is_ok(), "{pairs:?}");
        }
    }

    #[test]
    fn local_mode_refuses_other_sites_and_rebinding() {
        let access = Access::default();
        for pairs in [
            vec![
                ("host", "127.0.0.1:8080"),
                ("origin", "https://evil.example"),
            ],
            vec![("host", "127.0.0.1:8080"), ("origin", "null")],
            vec![
                ("host", "127.0.0.1:8080"),
                ("origin", "http://localhost.evil.example"),
            ],
            vec![
                ("host", "rebind.evil.example:8080"),
                ("origin", "http://rebind.evil.example:8080"),
            ],
            vec![("host", "rebind.evil.example:8080")],
            vec![],
        ] {
            assert!(access.check(&headers(&pairs), None).is_err(), "{pairs:?}");
        }
    }

    #[test]
    fn public_mode_wants_an_exact_origin_and_the_token() {
        let access = Access {
            mode: Mode::Public,
            origins: vec!["https://roundtrip.example".into()],
            token: Some("s3cret".into()),
        };
        let good = [
            ("host", "roundtrip.example"),
            ("origin", "https://roundtrip.example"),
        ];
        assert!(access.check(&headers(&good), Some("token=s3cret")).is_ok());
        let mut with_bearer = good.to_vec();
        with_bearer.push(("authorization", "Bearer s3cret"));
        assert!(access.check(&headers(&with_bearer), None).is_ok());
        assert!(
            access.check(&headers(&good), None).is_err(),
            "missing token"
        );
        assert!(access.check(&headers(&good), Some("token=guess")).is_err());
        for origin in [
            "https://roundtrip.example.evil",
            "null",
            "http://roundtrip.example",
        ] {
            let pairs = [("host", "roundtrip.example"), ("origin", origin)];
            assert!(
                access
                    .check(&headers(&pairs), Some("token=s3cret"))
                    .is_err(),
                "{origin}"
            );
        }
        // Any case of the scheme, and a percent-encoded query token.
        for bearer in ["bearer s3cret", "BEARER s3cret", "Bearer  s3cret"] {
            let mut pairs = good.to_vec();
            pairs.push(("authorization", bearer));
            assert!(access.check(&headers(&pairs), None).is_ok(), "{bearer}");
        }
        let odd = Access {
            token: Some("a+b/c=".into()),
            ..access.clone()
        };
        assert!(
            odd.check(&headers(&good), Some("x=1&token=a%2Bb%2Fc%3D"))
                .is_ok()
        );
        let mut with_bearer = good.to_vec();
        with_bearer.push(("authorization", "Bearer a+b/c="));
        assert!(odd.check(&headers(&with_bearer), None).is_ok());
        assert!(odd.check(&headers(&good), Some("token=a%2Bb")).is_err());
        let mut other_scheme = good.to_vec();
        other_scheme.push(("authorization", "Basic s3cret"));
        assert!(access.check(&headers(&other_scheme), None).is_err());
        let no_origin = [("host", "roundtrip.example")];
        assert!(
            access
                .check(&headers(&no_origin), Some("token=s3cret"))
                .is_err()
        );
    }

    #[test]
    fn origins_are_normalised_or_refused_with_the_reason() {
        for (given, origin) in [
            ("https://demo.example", "https://demo.example"),
            ("https://Demo.Example/", "https://demo.example"),
            ("https://demo.example:443", "https://demo.example"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ] {
            assert_eq!(parse_origin(given).as_deref(), Ok(origin), "{given}");
        }
        for (given, why) in [
            ("demo.example", "not a URL"),
            ("localhost:8080", "scheme"),
            ("ftp://demo.example", "scheme"),
            ("https://demo.example/app", "path"),
            ("https://demo.example/?a=1", "path"),
            ("https://me@demo.example", "user name"),
        ] {
            let error = parse_origin(given).unwrap_err();
            assert!(error.contains(why), "{given}: {error}");
        }
    }
}
