//! The TCP chat room: one room, line-based. Every line a client sends goes
//! to every OTHER client as `[127.0.0.1:5123] the line`; joins and leaves are
//! announced as `* 127.0.0.1:5123 joined` / `* 127.0.0.1:5123 left`.
//!
//! Each client has a bounded queue of lines waiting to be written to it. A
//! client that reads so slowly that its queue stays full for a second is
//! disconnected (as IRC servers do on "SendQ exceeded"), so one slow reader
//! can neither make the room buffer without bound nor hold the others up for
//! longer than that second.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

/// Longest line; longer ones are passed on in pieces of this size.
pub(crate) const MAX_LINE: usize = 4096;
/// Lines waiting for one client before it counts as too slow.
pub(crate) const QUEUE: usize = 64;
/// How long a full queue may stay full before its client is dropped. The
/// line being passed on waits that long (once) for the slow client.
const GRACE: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a client that hung up gets to read the lines still queued for it.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) async fn run(listener: TcpListener) {
    let room = Arc::new(Room::default());
    let mut next_id = 0u64;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                next_id += 1;
                tokio::spawn(client(room.clone(), next_id, stream, peer));
            }
            Err(error) => {
                tracing::warn!(%error, "chat service: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

struct Member {
    name: String,
    lines: mpsc::Sender<Arc<str>>,
    /// Told when the room drops this member for reading too slowly.
    kicked: Arc<Notify>,
}

#[derive(Default)]
struct Room {
    members: Mutex<HashMap<u64, Member>>,
}

impl Room {
    async fn join(&self, id: u64, member: Member) {
        let name = member.name.clone();
        let others = {
            let mut members = self.members.lock().expect("room lock");
            let others = members.len();
            let welcome = format!(
                "* welcome, you are {name}; {others} other{} here\n",
                if others == 1 { " is" } else { "s are" }
            );
            let _ = member.lines.try_send(welcome.into());
            members.insert(id, member);
            others
        };
        tracing::debug!(%name, others, "chat: joined");
        self.broadcast(id, format!("* {name} joined\n")).await;
    }

    /// Removes `id` if it is still a member and tells the others.
    async fn leave(&self, id: u64, why: &str) {
        let left = self.members.lock().expect("room lock").remove(&id);
        if let Some(member) = left {
            self.broadcast(id, format!("* {} left{why}\n", member.name))
                .await;
        }
    }

    /// Queues `line` for every member but `from`. A member whose queue stays
    /// full for [`GRACE`] is dropped, and its leaving is announced in turn.
    async fn broadcast(&self, from: u64, line: String) {
        let mut pending = vec![(from, Arc::<str>::from(line))];
        while let Some((from, line)) = pending.pop() {
            let others: Vec<(u64, mpsc::Sender<Arc<str>>)> = self
                .members
                .lock()
                .expect("room lock")
                .iter()
                .filter(|(id, _)| **id != from)
                .map(|(id, member)| (*id, member.lines.clone()))
                .collect();
            for (id, lines) in others {
                let full = match lines.try_send(line.clone()) {
                    Err(mpsc::error::TrySendError::Full(line)) => line,
                    // Sent, or its task is ending and it leaves by itself.
                    _ => continue,
                };
                let Err(mpsc::error::SendTimeoutError::Timeout(_)) =
                    lines.send_timeout(full, GRACE).await
                else {
                    continue;
                };
                let removed = self.members.lock().expect("room lock").remove(&id);
                if let Some(member) = removed {
                    member.kicked.notify_one();
                    let notice = format!(
                        "* {} left (too slow to read: {QUEUE} lines were waiting)\n",
                        member.name
                    );
                    pending.push((id, notice.into()));
                }
            }
        }
    }
}

async fn client(room: Arc<Room>, id: u64, stream: TcpStream, peer: SocketAddr) {
    let name = peer.to_string();
    let (lines_tx, lines_rx) = mpsc::channel(QUEUE);
    let kicked = Arc::new(Notify::new());
    room.join(
        id,
        Member {
            name: name.clone(),
            lines: lines_tx,
            kicked: kicked.clone(),
        },
    )
    .await;
    let (reader, writer) = stream.into_split();
    let mut writing = tokio::spawn(write_lines(lines_rx, writer));
    let why = tokio::select! {
        result = read_lines(&room, id, &name, reader) => match result {
            Ok(()) => "",
            Err(_) => " (connection lost)",
        },
        _ = &mut writing => " (connection lost)",
        () = kicked.notified() => {
            writing.abort();
            return;
        }
    };
    // Leaving drops the queue's sender: the writer writes what is still
    // queued (briefly), then closes the connection.
    room.leave(id, why).await;
    if tokio::time::timeout(DRAIN, &mut writing).await.is_err() {
        writing.abort();
    }
}

/// Reads lines until EOF and passes each on to the room.
async fn read_lines(
    room: &Room,
    id: u64,
    name: &str,
    reader: OwnedReadHalf,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::with_capacity(128);
    loop {
        let (complete, used) = {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                break;
            }
            let room_left = MAX_LINE - line.len();
            let window = &buf[..buf.len().min(room_left)];
            match window.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    line.extend_from_slice(&window[..=end]);
                    (true, end + 1)
                }
                None => {
                    line.extend_from_slice(window);
                    (line.len() >= MAX_LINE, window.len())
                }
            }
        };
        reader.consume(used);
        if complete {
            room.broadcast(id, said(name, &line)).await;
            line.clear();
        }
    }
    if !line.is_empty() {
        room.broadcast(id, said(name, &line)).await;
    }
    Ok(())
}

/// `[name] text\n`, whatever the line ended with.
fn said(name: &str, line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    format!("[{name}] {}\n", text.trim_end_matches(['\r', '\n']))
}

async fn write_lines(mut lines: mpsc::Receiver<Arc<str>>, mut writer: OwnedWriteHalf) {
    while let Some(line) = lines.recv().await {
        if writer.write_all(line.as_bytes()).await.is_err() {
            return;
        }
    }
    let _ = writer.shutdown().await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpSocket, TcpStream};

    const WAIT: Duration = Duration::from_secs(20);

    struct Chatter {
        name: String,
        lines: tokio::io::Lines<BufReader<OwnedReadHalf>>,
        writer: OwnedWriteHalf,
    }

    impl Chatter {
        async fn join(room: std::net::SocketAddr) -> Chatter {
            let stream = TcpStream::connect(room).await.unwrap();
            Chatter::from(stream).await
        }

        async fn from(stream: TcpStream) -> Chatter {
            let name = stream.local_addr().unwrap().to_string();
            let (reader, writer) = stream.into_split();
            let mut chatter = Chatter {
                name,
                lines: BufReader::new(reader).lines(),
                writer,
            };
            let welcome = chatter.line().await;
            assert!(welcome.starts_with("* welcome, you are "), "{welcome}");
            chatter
        }

        async fn line(&mut self) -> String {
            next_line(&mut self.lines).await
        }

        async fn say(&mut self, text: &str) {
            self.writer.write_all(text.as_bytes()).await.unwrap();
        }
    }

    async fn next_line(lines: &mut tokio::io::Lines<BufReader<OwnedReadHalf>>) -> String {
        tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("a line in time")
            .unwrap()
            .expect("the room is still open")
    }

    async fn room() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(super::run(listener));
        addr
    }

    #[tokio::test]
    async fn lines_go_to_the_others_with_join_and_leave_notices() {
        let room = room().await;
        let mut a = Chatter::join(room).await;
        let mut b = Chatter::join(room).await;
        assert_eq!(a.line().await, format!("* {} joined", b.name));
        let mut c = Chatter::join(room).await;
        assert_eq!(a.line().await, format!("* {} joined", c.name));
        assert_eq!(b.line().await, format!("* {} joined", c.name));

        a.say("hello room\r\n").await;
        assert_eq!(b.line().await, format!("[{}] hello room", a.name));
        assert_eq!(c.line().await, format!("[{}] hello room", a.name));
        // The sender does not hear itself: its next line is c's.
        c.say("hi a\n").await;
        assert_eq!(a.line().await, format!("[{}] hi a", c.name));
        assert_eq!(b.line().await, format!("[{}] hi a", c.name));

        let c_name = c.name.clone();
        drop(c);
        assert_eq!(a.line().await, format!("* {c_name} left"));
        assert_eq!(b.line().await, format!("* {c_name} left"));
    }

    #[tokio::test]
    async fn a_burst_longer_than_the_queue_reaches_a_reader_that_keeps_up() {
        let room = room().await;
        let mut a = Chatter::join(room).await;
        let mut b = Chatter::join(room).await;
        assert_eq!(a.line().await, format!("* {} joined", b.name));
        let burst: String = (0..10 * super::QUEUE).map(|i| format!("{i}\n")).collect();
        a.say(&burst).await;
        for i in 0..10 * super::QUEUE {
            assert_eq!(b.line().await, format!("[{}] {i}", a.name));
        }
    }

    #[tokio::test]
    async fn a_client_that_does_not_read_is_dropped_and_the_room_goes_on() {
        let room = room().await;
        let mut talker = Chatter::join(room).await;
        // A small receive buffer so that the kernel holds little for it.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let sleeper = Chatter::from(socket.connect(room).await.unwrap()).await;
        assert_eq!(talker.line().await, format!("* {} joined", sleeper.name));

        // Talk until the room gives up on the sleeper (bounded: 64 MiB).
        let line = format!("{}\n", "x".repeat(1023));
        let Chatter {
            mut lines,
            mut writer,
            ..
        } = talker;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flood = tokio::spawn({
            let stop = stop.clone();
            async move {
                for _ in 0..64 * 1024 {
                    if stop.load(std::sync::atomic::Ordering::SeqCst)
                        || writer.write_all(line.as_bytes()).await.is_err()
                    {
                        break;
                    }
                }
                // Keep the connection (and the talker's membership) open.
                writer
            }
        });
        let notice = next_line(&mut lines).await;
        assert!(
            notice.starts_with(&format!("* {} left (too slow", sleeper.name)),
            "{notice}"
        );
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _writer = flood.await.unwrap();
        // The room still works for a newcomer, which reads everything (the
        // rest of the flood may still be on its way to it).
        let newcomer = TcpStream::connect(room).await.unwrap();
        let newcomer_name = newcomer.local_addr().unwrap().to_string();
        let (mut reader, mut writer) = newcomer.into_split();
        tokio::spawn(async move { tokio::io::copy(&mut reader, &mut tokio::io::sink()).await });
        assert_eq!(
            next_line(&mut lines).await,
            format!("* {newcomer_name} joined")
        );
        writer.write_all(b"anyone?\n").await.unwrap();
        assert_eq!(
            next_line(&mut lines).await,
            format!("[{newcomer_name}] anyone?")
        );
        drop(sleeper);
    }
}
