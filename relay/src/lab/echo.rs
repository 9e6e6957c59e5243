//! The TCP echo service: every byte a client sends comes straight back.
//! When the client half-closes (FIN), the echo finishes sending what it has
//! and half-closes too, as the classic echo servers do. A client may have
//! asked for faults (see [`super::faults`]): the echo then reads through them.

use std::sync::Arc;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;

use super::faults::{FaultTable, FaultyStream};

pub(super) async fn run(listener: TcpListener, faults: Arc<FaultTable>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let stream = FaultyStream::new(stream, peer, &faults);
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

async fn echo(stream: FaultyStream) -> std::io::Result<()> {
    let (mut reader, mut writer) = tokio::io::split(stream);
    tokio::io::copy(&mut reader, &mut writer).await?;
    writer.shutdown().await
}
