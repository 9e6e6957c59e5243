//! One client connection to the echo server, by one of the three ways the
//! benchmark compares:
//!
//! - **direct**: a TCP connection straight to the echo (the ceiling);
//! - **websocat**: a WebSocket to websocat, which bridges each WebSocket to
//!   its own TCP connection to the echo (binary messages both ways);
//! - **Roundtrip**: a WebSocket to the relay, speaking its protocol as the
//!   page does: `hello`, `tcp_connect` to the echo, binary `send` frames out,
//!   `sent` events and binary `data` frames back (see PROTOCOL.md).

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use roundtrip_shared::frame::{self, Frame};
use roundtrip_shared::protocol::{
    ClientMsg, DataEncoding, EventKind, OpId, PROTOCOL_VERSION, ServerMsg,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

pub type Ws = WebSocketStream<TcpStream>;

/// The one operation each Roundtrip session opens.
const OP: OpId = 1;

/// Where a connection goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Direct,
    Websocat,
    Roundtrip,
}

/// What a connection is opened to: the echo server, and the bridge in
/// front of it (websocat or a relay) when there is one.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub kind: Kind,
    pub echo: SocketAddr,
    /// websocat's or the relay's address; unused for direct.
    pub bridge: SocketAddr,
}

/// What came back.
#[derive(Debug)]
pub enum Incoming {
    /// Echoed payload bytes.
    Data(usize),
    /// The relay wrote this many bytes to the echo (Roundtrip only).
    Sent(usize),
}

pub enum Conn {
    Direct { stream: TcpStream, buf: Vec<u8> },
    Websocat(Ws),
    Roundtrip(Ws),
}

fn other(message: impl Into<String>) -> io::Error {
    io::Error::other(message.into())
}

impl Conn {
    /// Opens a connection whose way to the echo is ready: for Roundtrip,
    /// once the relay reported `connected`; for websocat, once its
    /// WebSocket handshake is done (it dials the echo as it accepts).
    pub async fn open(target: &Target) -> io::Result<Conn> {
        match target.kind {
            Kind::Direct => {
                let stream = TcpStream::connect(target.echo).await?;
                stream.set_nodelay(true)?;
                Ok(Conn::Direct {
                    stream,
                    buf: vec![0; 64 * 1024],
                })
            }
            Kind::Websocat => Ok(Conn::Websocat(websocket(target.bridge, "/").await?)),
            Kind::Roundtrip => {
                let mut ws = websocket(target.bridge, "/ws").await?;
                send_msg(
                    &mut ws,
                    &ClientMsg::Hello {
                        version: PROTOCOL_VERSION,
                        data: DataEncoding::Binary,
                    },
                )
                .await?;
                match recv_msg(&mut ws).await? {
                    ServerMsg::Welcome { .. } => {}
                    other => return Err(self::other(format!("expected welcome, got {other:?}"))),
                }
                send_msg(
                    &mut ws,
                    &ClientMsg::TcpConnect {
                        op: OP,
                        target: target.echo.to_string(),
                        connect_timeout_ms: None,
                        // As a latency-minded learner would tick it.
                        nodelay: true,
                        faults: None,
                    },
                )
                .await?;
                // `connecting` and friends come first.
                loop {
                    match recv_msg(&mut ws).await? {
                        ServerMsg::Event(event) => match event.kind {
                            EventKind::Connected { .. } => break,
                            EventKind::Failed { error } => {
                                return Err(other(format!("tcp_connect failed: {error:?}")));
                            }
                            _ => {}
                        },
                        ServerMsg::Error { error, .. } => {
                            return Err(other(format!("relay refused: {error:?}")));
                        }
                        _ => {}
                    }
                }
                Ok(Conn::Roundtrip(ws))
            }
        }
    }

    /// Sends `data` as one message (one `send`, one WebSocket message, one
    /// write).
    pub async fn send(&mut self, data: Bytes) -> io::Result<()> {
        match self {
            Conn::Direct { stream, .. } => stream.write_all(&data).await,
            Conn::Websocat(ws) => ws
                .send(Message::Binary(data))
                .await
                .map_err(io::Error::other),
            Conn::Roundtrip(ws) => {
                // The binary `send` frame: [0x01][op: u32 BE][payload].
                let mut frame = Vec::with_capacity(5 + data.len());
                frame.push(frame::FRAME_SEND);
                frame.extend_from_slice(&OP.to_be_bytes());
                frame.extend_from_slice(&data);
                ws.send(Message::Binary(frame.into()))
                    .await
                    .map_err(io::Error::other)
            }
        }
    }

    /// The next thing that came back.
    pub async fn recv(&mut self) -> io::Result<Incoming> {
        match self {
            Conn::Direct { stream, buf } => match stream.read(buf).await? {
                0 => Err(other("the echo closed the connection")),
                n => Ok(Incoming::Data(n)),
            },
            Conn::Websocat(ws) => loop {
                match next_message(ws).await? {
                    Message::Binary(bytes) => return Ok(Incoming::Data(bytes.len())),
                    Message::Text(text) => return Ok(Incoming::Data(text.len())),
                    _ => continue,
                }
            },
            Conn::Roundtrip(ws) => loop {
                match next_message(ws).await? {
                    // [0x02][op][t_us][payload]: only the length matters here;
                    // the relay's tests check the bytes.
                    Message::Binary(bytes) if bytes.first() == Some(&frame::FRAME_DATA) => {
                        return Ok(Incoming::Data(bytes.len() - 13));
                    }
                    Message::Text(text) => {
                        match frame::decode_server(&Frame::Text(text.to_string()))
                            .map_err(|e| other(e.message))?
                        {
                            ServerMsg::Event(event) => match event.kind {
                                EventKind::Sent { bytes } => {
                                    return Ok(Incoming::Sent(bytes as usize));
                                }
                                EventKind::Failed { error } => {
                                    return Err(other(format!("operation failed: {error:?}")));
                                }
                                _ => continue,
                            },
                            ServerMsg::Error { error, .. } => {
                                return Err(other(format!("relay error: {error:?}")));
                            }
                            _ => continue,
                        }
                    }
                    _ => continue,
                }
            },
        }
    }

    /// Waits until `len` echoed bytes came back.
    pub async fn recv_data(&mut self, len: usize) -> io::Result<()> {
        let mut got = 0;
        while got < len {
            if let Incoming::Data(n) = self.recv().await? {
                got += n;
            }
        }
        Ok(())
    }

    /// One message out and its whole echo back.
    pub async fn round_trip(&mut self, data: Bytes) -> io::Result<()> {
        let len = data.len();
        self.send(data).await?;
        self.recv_data(len).await
    }
}

async fn websocket(addr: SocketAddr, path: &str) -> io::Result<Ws> {
    let stream = TcpStream::connect(addr).await?;
    // Browsers send without Nagle too.
    stream.set_nodelay(true)?;
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .map_err(io::Error::other)?;
    Ok(ws)
}

pub(crate) async fn send_msg(ws: &mut Ws, msg: &ClientMsg) -> io::Result<()> {
    let message = match frame::encode_client(msg) {
        Frame::Text(text) => Message::Text(text.into()),
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
    };
    ws.send(message).await.map_err(io::Error::other)
}

pub(crate) async fn recv_msg(ws: &mut Ws) -> io::Result<ServerMsg> {
    loop {
        let frame = match next_message(ws).await? {
            Message::Text(text) => Frame::Text(text.to_string()),
            Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
            _ => continue,
        };
        return frame::decode_server(&frame).map_err(|e| other(e.message));
    }
}

async fn next_message(ws: &mut Ws) -> io::Result<Message> {
    match ws.next().await {
        Some(Ok(Message::Close(frame))) => Err(other(format!("closed by the server: {frame:?}"))),
        Some(Ok(message)) => Ok(message),
        Some(Err(error)) => Err(io::Error::other(error)),
        None => Err(other("the server closed the WebSocket")),
    }
}
