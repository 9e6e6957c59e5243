//! End-to-end: the real `roundtrip` binary serving the real page, driven in
//! headless Chromium the way a person would use it. Loopback traffic only.
//!
//! Needs the built page (dist/) and relay: `cargo xtask test` builds both and
//! points ROUNDTRIP_BIN at the relay.

mod support;

use support::{Browser, Page, Relay, Row};

const ECHO: &str = "tcp-echo";

#[tokio::test]
async fn echo_round_trip_is_drawn() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = echo(&page, &relay.url).await;
    let shot = page
        .screenshot(&support::target_dir().join("e2e/echo.png"))
        .await;
    browser.close().await;
    outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn refused_connection_is_reported_and_page_recovers() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = refused_then_echo(&page, &relay.url).await;
    // refused.png is taken at the refusal; this one shows where it ended.
    let shot = page
        .screenshot(&support::target_dir().join("e2e/recovered.png"))
        .await;
    browser.close().await;
    outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
}

async fn echo(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    let options = page.options("select#target-preset").await?;
    check(
        options.iter().any(|o| o == ECHO),
        format!("select#target-preset offers {options:?}, no \"{ECHO}\""),
    )?;
    // The echo service is the default, so a new user can just press Connect.
    page.wait_text_is("select#target-preset", ECHO).await?;

    connect_and_echo(page, "hello").await?;
    // The session's use of its limits is on the page: one connection open,
    // the echo counted both ways.
    page.wait_text_contains(
        "#quota",
        "1 of 512 operations open · sent 5 B, received 5 B",
    )
    .await?;

    page.wait_rows("the sequence diagram of connect + echo", |rows| {
        need(rows, "a row `connect tcp-echo`", |r| {
            r.label == "connect tcp-echo"
        })?;
        need(rows, "a row `SYN-ACK; connect() returns: …`", |r| {
            r.label.starts_with("SYN-ACK; connect() returns: ")
        })?;
        need(rows, "a Relay→Target arrow carrying 5 B", |r| {
            r.from == "Relay" && r.to == "Target" && r.label.contains("5 B")
        })?;
        need(rows, "a Target→Relay arrow `\"hello\" (5 B)`", |r| {
            r.from == "Target" && r.to == "Relay" && r.label == "\"hello\" (5 B)"
        })
    })
    .await
    .map(drop)
}

async fn refused_then_echo(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;

    let (_bound, port) = support::refusing_port();
    page.choose("select#target-preset", "custom").await?;
    page.type_into("input#target", &format!("127.0.0.1:{port}"))
        .await?;
    page.click("button#connect").await?;
    page.wait_text_contains(".error-message", "refused").await?;
    page.wait_text_is("#socket-state", "refused").await?;
    page.wait_rows("an error row (g.row.tone-error) in the diagram", |rows| {
        need(rows, "a row with class tone-error", |r| {
            r.class.split_whitespace().any(|c| c == "tone-error")
        })
    })
    .await?;
    page.screenshot(&support::target_dir().join("e2e/refused.png"))
        .await?;

    // The same page and session must still work after the failure.
    page.choose("select#target-preset", ECHO).await?;
    connect_and_echo(page, "again").await
}

/// Connect to the chosen target, send `message`, and see it come back.
async fn connect_and_echo(page: &Page<'_>, message: &str) -> Result<(), String> {
    page.click("button#connect").await?;
    page.wait_text_is("#socket-state", "connected").await?;
    page.type_into("input#message", message).await?;
    page.click("button#send").await?;
    page.wait_text_contains("#received", message)
        .await
        .map(drop)
}

fn check(ok: bool, why: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why) }
}

fn need(rows: &[Row], what: &str, found: impl Fn(&Row) -> bool) -> Result<(), String> {
    check(rows.iter().any(found), format!("missing {what}"))
}
