//! The UDP echo service: every datagram goes straight back to its sender,
//! whole, as one datagram.

use tokio::net::UdpSocket;

pub(super) async fn run(socket: UdpSocket) {
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, from)) => {
                if let Err(error) = socket.send_to(&buf[..n], from).await {
                    tracing::debug!(%from, %error, "udp echo: send failed");
                }
            }
            // An ICMP error from an earlier reply (its sender went away)
            // must not end the service.
            Err(error) => tracing::debug!(%error, "udp echo: receive failed"),
        }
    }
}
