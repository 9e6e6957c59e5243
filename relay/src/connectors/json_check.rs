//! Whether an HTTP response body is one JSON value, checked as it streams
//! past: the body goes to the browser piece by piece, and the relay holds
//! no more of it than a few pieces on their way to the checker, whatever
//! its size.
//!
//! serde_json reads from a `std::io::Read` without keeping what it has read
//! when it only skips (`IgnoredAny`), so the checker runs it on a blocking
//! thread over a bounded channel of pieces.

use std::io::Read;

use bytes::{Buf as _, Bytes};
use tokio::sync::mpsc;

/// Pieces on their way to the checker, at most.
const IN_FLIGHT: usize = 4;

#[derive(Debug)]
pub(super) struct JsonCheck {
    pieces: Option<mpsc::Sender<Bytes>>,
    verdict: tokio::task::JoinHandle<bool>,
}

impl JsonCheck {
    pub(super) fn start() -> JsonCheck {
        let (pieces, rx) = mpsc::channel(IN_FLIGHT);
        let verdict = tokio::task::spawn_blocking(move || {
            let reader = Pieces {
                rx,
                current: Bytes::new(),
            };
            serde_json::from_reader::<_, serde::de::IgnoredAny>(reader).is_ok()
        });
        JsonCheck {
            pieces: Some(pieces),
            verdict,
        }
    }

    /// The next piece of the body. Once the checker has made up its mind
    /// (the body is not JSON), pieces are dropped.
    pub(super) async fn feed(&mut self, piece: Bytes) {
        if let Some(pieces) = &self.pieces
            && pieces.send(piece).await.is_err()
        {
            self.pieces = None;
        }
    }

    /// The body is complete: whether it was one JSON value.
    pub(super) async fn finish(mut self) -> bool {
        self.pieces = None;
        self.verdict.await.unwrap_or(false)
    }
}

/// The body as the checker reads it: piece after piece until the sender
/// is gone.
struct Pieces {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(piece) => self.current = piece,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn check(pieces: &[&str]) -> bool {
        let mut check = JsonCheck::start();
        for piece in pieces {
            check.feed(Bytes::from(piece.to_string())).await;
        }
        check.finish().await
    }

    #[tokio::test]
    async fn json_split_anywhere_is_json() {
        assert!(check(&["{\"a\": [1, 2", ", \"x\\u00e9\"], \"b\"", ": null}  \n"]).await);
        assert!(check(&["[", "]"]).await);
        assert!(check(&["\"str", "ing\""]).await);
    }

    #[tokio::test]
    async fn anything_else_is_not() {
        assert!(!check(&["{\"a\": 1"]).await, "cut short");
        assert!(!check(&["{} {}"]).await, "two values");
        assert!(!check(&[]).await, "nothing");
        assert!(!check(&["<html>"]).await);
        // Nesting deeper than serde_json's limit is refused, not a crash.
        let deep = "[".repeat(10_000);
        assert!(!check(&[&deep]).await);
    }

    #[tokio::test]
    async fn a_large_body_streams_through_without_being_held() {
        // 8 MiB of one JSON string, in 16 KiB pieces: the checker keeps up
        // with a channel of a few pieces.
        let mut check = JsonCheck::start();
        check.feed(Bytes::from_static(b"\"")).await;
        let piece = Bytes::from(vec![b'x'; 16 * 1024]);
        for _ in 0..512 {
            check.feed(piece.clone()).await;
        }
        check.feed(Bytes::from_static(b"\"")).await;
        assert!(check.finish().await);
    }
}
