//! The listeners sessions run on this relay's loopback (`tcp_listen`). On a
//! public relay, loopback is closed to dials, except for these: any session
//! may connect to another's live listener through the relay (the chat and
//! client/server lessons), and to nothing else on loopback. An entry lives as
//! long as its listener's [`ListenerEntry`].

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Listeners {
    live: Mutex<HashSet<SocketAddr>>,
}

/// A listener's place in [`Listeners`]; dropping it removes the address.
#[derive(Debug)]
pub struct ListenerEntry {
    listeners: Arc<Listeners>,
    addr: SocketAddr,
}

impl Listeners {
    pub fn add(self: &Arc<Self>, addr: SocketAddr) -> ListenerEntry {
        self.lock().insert(addr);
        ListenerEntry {
            listeners: Arc::clone(self),
            addr,
        }
    }

    /// Whether a session's listener is listening on `addr` now.
    pub fn contains(&self, addr: SocketAddr) -> bool {
        self.lock().contains(&addr)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<SocketAddr>> {
        self.live.lock().expect("listener registry lock poisoned")
    }
}

impl Drop for ListenerEntry {
    fn drop(&mut self) {
        self.listeners.lock().remove(&self.addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_go_with_their_listener() {
        let listeners = Arc::new(Listeners::default());
        let addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let entry = listeners.add(addr);
        assert!(listeners.contains(addr));
        assert!(!listeners.contains("127.0.0.1:40001".parse().unwrap()));
        drop(entry);
        assert!(!listeners.contains(addr));
        assert!(listeners.is_empty());
    }
}
