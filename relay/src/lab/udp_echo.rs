//! The UDP echo service: every datagram goes straight back to its sender,
//! whole, as one datagram. A sender may have asked for faults (see
//! [`super::faults`]): its datagrams are then dropped, or answered late.

use std::sync::Arc;

use tokio::net::UdpSocket;

use super::faults::{Fate, FaultTable};

pub(super) async fn run(socket: UdpSocket, faults: Arc<FaultTable>) {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, from)) => match faults.fate(from) {
                Fate::Drop => tracing::trace!(%from, "udp echo: dropped (fault)"),
                Fate::Answer(delay) if delay.is_zero() => {
                    if let Err(error) = socket.send_to(&buf[..n], from).await {
                        tracing::debug!(%from, %error, "udp echo: send failed");
                    }
                }
                // Each late answer waits on its own, as datagrams delayed
                // in a network do: they may even overtake one another.
                Fate::Answer(delay) => {
                    let (socket, datagram) = (socket.clone(), buf[..n].to_vec());
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        if let Err(error) = socket.send_to(&datagram, from).await {
                            tracing::debug!(%from, %error, "udp echo: send failed");
                        }
                    });
                }
            },
            // An ICMP error from an earlier reply (its sender went away)
            // must not end the service.
            Err(error) => tracing::debug!(%error, "udp echo: receive failed"),
        }
    }
}
