//! How host names outside the lab become addresses.
//!
//! In use, the system's resolver (`getaddrinfo`, as any program on this
//! machine would). For tests, a table the test controls, so that a test can
//! say "this public-looking name resolves to 10.0.0.1" or "this name answers
//! one address first and another the second time" (DNS rebinding) without
//! any DNS server and without a packet leaving loopback.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Default)]
pub enum Resolver {
    #[default]
    System,
    /// Answers from a table, in turn: the n-th lookup of a name gets its
    /// n-th answer, and the last answer repeats. Unknown names do not exist.
    Table(Arc<Mutex<HashMap<String, Answers>>>),
}

#[derive(Debug)]
pub struct Answers {
    next: usize,
    answers: Vec<Vec<IpAddr>>,
}

impl Resolver {
    /// A table resolver: each name with the answers it gives, in turn.
    pub fn table<'a>(entries: impl IntoIterator<Item = (&'a str, Vec<Vec<IpAddr>>)>) -> Self {
        let table = entries
            .into_iter()
            .map(|(name, answers)| (name.to_ascii_lowercase(), Answers { next: 0, answers }))
            .collect();
        Resolver::Table(Arc::new(Mutex::new(table)))
    }

    /// The addresses of `host`, with `port`.
    pub async fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        match self {
            Resolver::System => Ok(tokio::net::lookup_host((host, port)).await?.collect()),
            Resolver::Table(table) => {
                let mut table = table.lock().expect("resolver table lock poisoned");
                let Some(entry) = table.get_mut(&host.to_ascii_lowercase()) else {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        "no such name in the resolver's table",
                    ));
                };
                let index = entry.next.min(entry.answers.len().saturating_sub(1));
                entry.next += 1;
                let ips = entry.answers.get(index).cloned().unwrap_or_default();
                Ok(ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_table_answers_in_turn_and_repeats_the_last() {
        let first: IpAddr = "127.0.0.1".parse().unwrap();
        let second: IpAddr = "10.0.0.1".parse().unwrap();
        let resolver = Resolver::table([("Rebind.Example", vec![vec![first], vec![second]])]);
        let port = |addrs: Vec<SocketAddr>| addrs.iter().map(|a| a.ip()).collect::<Vec<_>>();
        assert_eq!(
            port(resolver.lookup("rebind.example", 80).await.unwrap()),
            [first]
        );
        assert_eq!(
            port(resolver.lookup("rebind.example", 80).await.unwrap()),
            [second]
        );
        assert_eq!(
            port(resolver.lookup("rebind.example", 80).await.unwrap()),
            [second]
        );
        assert!(resolver.lookup("other.example", 80).await.is_err());
    }
}
