//! End-to-end: the TCP options, the UDP panel and the Listen panel, with the
//! real relay and page in headless Chromium. Loopback traffic only.

mod support;

use std::time::Duration;

use support::{Browser, Page, Relay, Row};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

const WAIT: Duration = Duration::from_secs(15);

/// Runs `steps` on a fresh page, takes `shot` at the end, and reports.
macro_rules! on_page {
    ($shot:literal, |$page:ident, $url:ident| $steps:expr) => {{
        let relay = Relay::start().await;
        let browser = Browser::start().await;
        let $page = Page::new(&browser.client, &relay.log);
        let $url: &str = &relay.url;
        let outcome: Result<(), String> = $steps.await;
        let shot = $page
            .screenshot(&support::target_dir().join(concat!("e2e/", $shot)))
            .await;
        browser.close().await;
        outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
    }};
}

#[tokio::test]
async fn nodelay_connect_then_shutdown_half_closes() {
    on_page!("shutdown.png", |page, url| async {
        page.open(url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        let tcp = page.options("select#target-preset").await?;
        check(
            !tcp.iter().any(|o| o == "udp-echo") && tcp.iter().any(|o| o == "tcp-chat"),
            format!("the TCP picker lists TCP services only: {tcp:?}"),
        )?;
        page.click("input#nodelay").await?;
        page.click("button#connect").await?;
        page.wait_text_is("#socket-state", "connected").await?;
        page.type_into("input#message", "last words").await?;
        page.click("button#send").await?;
        page.wait_text_contains("#received", "last words").await?;
        page.click("button#shutdown").await?;
        // The echo answers our FIN with its own.
        page.wait_text_is("#socket-state", "both sides shut")
            .await?;
        page.wait_rows("the nodelay connect and the shutdown FIN", |rows| {
            need(rows, "`connect tcp-echo (TCP_NODELAY)`", |r| {
                r.label == "connect tcp-echo (TCP_NODELAY)"
            })?;
            need(rows, "a Relay→Target `FIN (shutdown)`", |r| {
                r.from == "Relay" && r.to == "Target" && r.label == "FIN (shutdown)"
            })
        })
        .await?;
        page.wait_disabled("button#send").await?;
        // TCP sends one FIN: closing after the shutdown sends no second.
        page.click("button#close").await?;
        page.wait_text_is("#socket-state", "closed").await?;
        let rows = page
            .wait_rows("the close after the shutdown", |rows| {
                need(rows, "`close(): FIN already sent` on the Relay", |r| {
                    r.from == "Relay" && r.to == "Relay" && r.label == "close(): FIN already sent"
                })
            })
            .await?;
        check(
            !rows.iter().any(|r| r.label == "FIN (close)"),
            "no second FIN after the shutdown".to_owned(),
        )
    });
}

#[tokio::test]
async fn udp_echo_from_the_page_shows_datagrams_with_their_source() {
    on_page!("udp.png", |page, url| async {
        page.open(url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        let udp = page.options("select#udp-target-preset").await?;
        check(
            udp.first().map(String::as_str) == Some("udp-echo"),
            format!("the UDP picker starts with udp-echo: {udp:?}"),
        )?;
        page.click("button#udp-open").await?;
        page.wait_text_is("#udp-state", "bound").await?;
        for text in ["ping", "pong"] {
            page.type_into("input#udp-message", text).await?;
            page.click("button#udp-send").await?;
            page.wait_text_contains("#udp-datagrams .datagram-data", text)
                .await?;
        }
        let rows = page
            .wait_rows("two datagrams each way", |rows| {
                let from = rows
                    .iter()
                    .filter(|r| r.from == "Target" && r.label.contains(" from 127.0.0.1:"))
                    .count();
                check(from == 2, format!("{from} datagrams received"))
            })
            .await?;
        need(&rows, "a datagram sent to the echo", |r| {
            r.from == "Relay" && r.label.starts_with("\"ping\" (4 B) → 127.0.0.1:")
        })?;
        // The datagram rows' rule sits near the end of the stylesheet: it
        // applies only if every rule before it is well-formed.
        let display = page
            .computed_style("#udp-datagrams .datagram", "display")
            .await?;
        check(
            display == "flex",
            format!("the stylesheet's last rules are applied: .datagram is display {display:?}"),
        )?;
        page.click("button#udp-close").await?;
        page.wait_text_is("#udp-state", "closed").await.map(drop)
    });
}

#[tokio::test]
async fn the_page_listens_and_a_client_talks_to_it() {
    on_page!("listen.png", |page, url| async {
        page.open(url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.click("button#listen").await?;
        page.wait_text_is("#listen-state", "listening").await?;
        let addr = page.text("#listen-addr").await?;

        let stream = tokio::net::TcpStream::connect(addr.trim())
            .await
            .map_err(|e| format!("cannot connect to the page's listener at {addr}: {e}"))?;
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        writer
            .write_all(b"hello page\n")
            .await
            .map_err(|e| e.to_string())?;
        page.wait_text_contains("#accepted .conn-received", "hello page")
            .await?;
        page.wait_text_is("#accepted .conn-state", "connected")
            .await?;

        page.type_into("#accepted .conn-message", "hello client")
            .await?;
        page.click("#accepted .conn-send").await?;
        let mut line = String::new();
        tokio::time::timeout(WAIT, reader.read_line(&mut line))
            .await
            .map_err(|_| "no line from the page in time".to_owned())?
            .map_err(|e| e.to_string())?;
        check(
            line == "hello client\n",
            format!("the client read {line:?}"),
        )?;

        page.click("#accepted .conn-close").await?;
        let mut rest = Vec::new();
        tokio::time::timeout(WAIT, reader.read_to_end(&mut rest))
            .await
            .map_err(|_| "the page's close never reached the client".to_owned())?
            .map_err(|e| e.to_string())?;
        page.wait_text_is("#accepted .conn-state", "closed").await?;
        page.click("button#listen-stop").await?;
        page.wait_text_is("#listen-state", "closed").await.map(drop)
    });
}

/// Megabytes to a peer that reads 1 KiB a second: the page holds what the
/// relay cannot take yet (as a blocking send() would wait), says so, and
/// nothing is refused; closing drops what still waits, and says that too.
#[tokio::test]
async fn a_large_send_to_a_slow_reader_waits_in_the_page() {
    on_page!("send-dropped.png", |page, url| async {
        page.open(url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.click("#tcp-faults summary").await?;
        page.type_into("#tcp-fault-rate", "1024").await?;
        page.click("button#connect").await?;
        page.wait_text_is("#socket-state", "connected").await?;
        // Past the relay's socket send buffer (up to 4 MiB here; the slow
        // reader's own buffer is 4 KiB): most of it has to wait.
        page.paste("input#message", "x", 12 << 20).await?;
        page.click("button#send").await?;
        page.wait_text_contains("#send-waiting", "waiting to be sent")
            .await?;
        // What the socket buffers take leaves the page, piece by piece as
        // the relay writes (megabytes: far past the first window).
        page.wait("the waiting bytes to go below 10 MiB", async || {
            let note = page.text("#send-waiting").await?;
            let mib = note
                .split_once(" MiB waiting")
                .and_then(|(n, _)| n.parse::<f64>().ok());
            match mib {
                Some(mib) if mib < 10.0 => Ok(()),
                _ => Err(note),
            }
        })
        .await?;
        // Past the time the relay gives a stuck send (2 s): nothing was
        // refused, as it would be if the page sent all at once.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let errors = page.texts(".error-message").await?;
        check(
            errors.is_empty(),
            format!("no errors while the peer reads slowly: {errors:?}"),
        )?;
        page.wait_text_contains("#send-waiting", "waiting to be sent")
            .await?;
        page.scroll_to("#send-waiting").await?;
        page.screenshot(&support::target_dir().join("e2e/send-waiting.png"))
            .await?;
        page.click("button#close").await?;
        page.wait_text_contains(
            ".error-message",
            "never sent: you closed the connection first",
        )
        .await?;
        page.wait_text_is("#socket-state", "closed").await.map(drop)
    });
}

fn check(ok: bool, why: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why) }
}

fn need(rows: &[Row], what: &str, found: impl Fn(&Row) -> bool) -> Result<(), String> {
    check(rows.iter().any(found), format!("missing {what}"))
}
