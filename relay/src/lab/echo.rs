//! The TCP echo service: every byte a client sends comes straight back.
//! When the client half-closes (FIN), the echo finishes sending what it has
//! and half-closes too, as the classic echo servers do.

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};

pub(super) async fn run(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tokio::spawn(async move {
                    if let Err(error) = echo(stream).await {
                        tracing::debug!(%peer, %error, "echo connection ended with an error");
                    }
                });
            }
            // Running out of file descriptors must not end the service.
            Err(error) => {
                tracing::warn!(%error, "echo service: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn echo(mut stream: TcpStream) -> std::io::Result<()> {
    let (mut reader, mut writer) = stream.split();
    tokio::io::copy(&mut reader, &mut writer).await?;
    writer.shutdown().await
}
