//! End-to-end: a session recorded by the page is saved, opened again, shared
//! as a link and replayed to the same diagram; an experiment link sets the
//! panels up in a fresh page. Real relay, real headless Chromium, loopback.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use roundtrip_shared::recording::Recording;
use roundtrip_shared::share::{self, Experiment, Shared};
use support::{Browser, Page, Relay, Row, describe};

#[tokio::test]
async fn a_saved_trace_opens_and_replays_to_the_same_diagram() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = save_then_open(&page, &relay.url, &browser.downloads()).await;
    let shot = page
        .screenshot(&support::target_dir().join("e2e/replay.png"))
        .await;
    browser.close().await;
    outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_trace_link_replays_without_opening_a_session() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = trace_link(&page, &relay).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn an_experiment_link_sets_up_the_panels_in_a_fresh_page() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = experiment_link(&page, &relay.url).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Echo "hello" through the TCP echo; returns the diagram's rows.
async fn echo_hello(page: &Page<'_>, url: &str) -> Result<Vec<Row>, String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.wait_text_is("select#target-preset", "tcp-echo")
        .await?;
    page.click("button#connect").await?;
    page.wait_text_is("#socket-state", "connected").await?;
    page.type_into("input#message", "hello").await?;
    page.click("button#send").await?;
    page.wait_text_contains("#received", "hello").await?;
    page.wait_rows("the echo to be drawn", |rows| {
        rows.iter()
            .any(|r| r.from == "Target" && r.label == "\"hello\" (5 B)")
            .then_some(())
            .ok_or_else(|| "no echo row yet".to_owned())
    })
    .await
}

/// Plays the opened trace to its end at 4× and returns the rows drawn.
async fn play_to_end(page: &Page<'_>) -> Result<Vec<Row>, String> {
    page.choose("select#replay-speed", "4").await?;
    page.click("button#replay-play").await?;
    page.wait("the replay to reach its last event", async || {
        let status = page.text("#replay-status").await?;
        let (shown, total) = status
            .rsplit_once("event ")
            .and_then(|(_, n)| n.split_once(" of "))
            .ok_or_else(|| format!("status reads {status:?}"))?;
        if status.starts_with("Paused") && shown == total {
            Ok(())
        } else {
            Err(format!("status reads {status:?}"))
        }
    })
    .await?;
    page.rows().await
}

fn same_rows(live: &[Row], replayed: &[Row]) -> Result<(), String> {
    if describe(live) == describe(replayed) {
        Ok(())
    } else {
        Err(format!(
            "the replay drew other rows.\nlive:\n{}\nreplayed:\n{}",
            describe(live),
            describe(replayed)
        ))
    }
}

async fn save_then_open(page: &Page<'_>, url: &str, downloads: &Path) -> Result<(), String> {
    let live = echo_hello(page, url).await?;
    page.click("button#save-trace").await?;
    let saved = page
        .wait("the saved trace in the downloads folder", async || {
            saved_trace(downloads)
        })
        .await?;
    let text = std::fs::read_to_string(&saved).map_err(|e| e.to_string())?;
    let recording = Recording::from_json(&text).map_err(|e| format!("the saved file: {e}"))?;
    if recording.trace(usize::MAX).received_bytes(1) != b"hello" {
        return Err("the saved trace does not hold the echoed bytes".to_owned());
    }

    // A fresh page (a new session) opens the file and starts paused at 0.
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.upload("input#open-trace", &saved).await?;
    page.wait_text_contains("#replay-status", "Paused · event 0 of")
        .await?;
    if !page.rows().await?.is_empty() {
        return Err("an opened trace should start before its first event".to_owned());
    }
    let replayed = play_to_end(page).await?;
    same_rows(&live, &replayed)?;

    // One step back takes the last event away; forward brings it back.
    page.click("button#replay-back").await?;
    let back = page.rows().await?;
    if back.len() >= replayed.len() {
        return Err(format!(
            "stepping back left {} rows of {}",
            back.len(),
            replayed.len()
        ));
    }
    page.click("button#replay-forward").await?;
    same_rows(&replayed, &page.rows().await?)?;

    // And back to the live session, which is empty in this page.
    page.click("button#close-opened").await?;
    page.wait_text_contains("#replay-status", "Live").await?;
    Ok(())
}

fn saved_trace(downloads: &Path) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(downloads).map_err(|e| e.to_string())?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "json")
                && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
        })
        .ok_or_else(|| "no .json file yet".to_owned())
}

async fn trace_link(page: &Page<'_>, relay: &Relay) -> Result<(), String> {
    let live = echo_hello(page, &relay.url).await?;
    page.click("button#share-trace").await?;
    let link = page
        .wait("the share link", async || {
            page.text("input#share-link").await
        })
        .await?;
    let fragment = link
        .split_once('#')
        .map(|(_, f)| f)
        .ok_or_else(|| format!("{link} has no fragment"))?;
    match share::parse_fragment(fragment) {
        Ok(Some(Shared::Trace(_))) => {}
        other => return Err(format!("the link carries {other:?}")),
    }

    let sessions = || {
        relay
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("session started"))
            .count()
    };
    let before = sessions();
    page.open(&link).await?;
    page.wait_text_contains(".relay-line", "no connection is opened")
        .await?;
    page.wait_text_contains("#replay-status", "Paused · event 0 of")
        .await?;
    // Before it plays, the diagram says how to replay, not to connect.
    page.wait_text_is(
        "svg#sequence .empty-hint",
        roundtrip_shared::diagram::empty_hint(true),
    )
    .await?;
    let replayed = play_to_end(page).await?;
    same_rows(&live, &replayed)?;
    // Give a stray WebSocket time to show up in the relay's log.
    tokio::time::sleep(Duration::from_millis(500)).await;
    if sessions() != before {
        return Err("opening a trace link started a relay session".to_owned());
    }
    if page.text("#relay-status").await.is_ok() {
        return Err("a trace link page should not show a relay link".to_owned());
    }

    // An HTTP trace opens on the HTTP tab.
    let mut http = Recording::default();
    http.push(
        0.0,
        roundtrip_shared::recording::Message::Out(
            roundtrip_shared::protocol::ClientMsg::HttpRequest(
                roundtrip_shared::protocol::HttpRequest::get(1, "http://www.lab.test/json"),
            ),
        ),
    );
    page.open("about:blank").await?;
    page.open(&format!(
        "{}#{}",
        relay.url.trim_end_matches('/'),
        share::trace_fragment(&http)
    ))
    .await?;
    page.wait_text_is("#http-tab[aria-selected=true]", "HTTP")
        .await?;
    Ok(())
}

async fn experiment_link(page: &Page<'_>, url: &str) -> Result<(), String> {
    // A UDP experiment: a custom target, and a datagram to send.
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.click("#udp-tab").await?;
    // Every setting travels: the receive timeout too.
    page.type_into("input#udp-timeout", "900").await?;
    page.click("button#udp-open").await?;
    page.wait_text_is("#udp-state", "bound").await?;
    page.type_into("input#udp-message", "ping").await?;
    page.click("button#udp-send").await?;
    page.wait_text_contains("#udp-datagrams", "ping").await?;
    page.click("button#share-experiment").await?;
    let link = page
        .wait("the share link", async || {
            page.text("input#share-link").await
        })
        .await?;
    match share::parse_fragment(link.split_once('#').map_or("", |(_, f)| f)) {
        Ok(Some(Shared::Experiment(Experiment::Udp {
            target,
            send,
            recv_timeout_ms: Some(900),
            ..
        }))) if target == "udp-echo" && send == "ping" => {}
        other => return Err(format!("the link carries {other:?}")),
    }

    // A fresh page: the UDP tab is chosen and filled in; Open + Send work.
    page.open("about:blank").await?;
    page.open(&link).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.wait_text_is("#udp-tab[aria-selected=true]", "UDP")
        .await?;
    page.wait_text_is("select#udp-target-preset", "udp-echo")
        .await?;
    page.wait_text_is("input#udp-message", "ping").await?;
    page.wait_text_is("input#udp-timeout", "900").await?;
    page.click("button#udp-open").await?;
    page.wait_text_is("#udp-state", "bound").await?;
    page.click("button#udp-send").await?;
    page.wait_text_contains("#udp-datagrams", "ping").await?;
    Ok(())
}
