//! A graceful restart under a live page, with the real binary and headless
//! Chromium: the relay is stopped with SIGTERM (it drains, then closes the
//! session with 1001) and started again on the same port; the page says it
//! lost the relay, reconnects by itself with its backoff, names the
//! connection that was lost, and a new echo round trip works, started with
//! "Redo the last experiment".

mod support;

use support::{Browser, Log, Page, Relay};

#[tokio::test]
async fn the_page_reconnects_by_itself_after_a_relay_restart() {
    let port = support::free_port().to_string();
    let first = Relay::start_with(&["--port", &port, "--drain-grace", "1"]).await;
    let url = first.url.clone();
    // Both relays' output, to explain a failure.
    let log = Log::default();
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &log);
    let outcome: Result<(), String> = async {
        page.open(&url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.click("button#connect").await?;
        page.wait_text_is("#socket-state", "connected").await?;
        page.type_into("input#message", "before the restart")
            .await?;
        page.click("button#send").await?;
        page.wait_text_contains("#received", "before the restart")
            .await?;

        let first_log = first.log.clone();
        first.terminate().await;
        log.lock()
            .unwrap()
            .extend(first_log.lock().unwrap().drain(..));
        // The page says what happened and that it is trying again.
        page.wait_text_contains("#relay-retry", "Reconnecting by itself")
            .await?;
        page.wait_text_contains("#relay-retry", "each wait doubles")
            .await?;

        let second = Relay::start_with(&["--port", &port]).await;
        assert_eq!(second.url, url, "the same port again");
        let reconnected = async {
            page.wait_text_is("#relay-status", "connected").await?;
            page.wait_text_contains("#relay-retry", "Reconnected to the relay")
                .await?;
            // The connection open at the restart is reported lost.
            page.wait_text_contains("#relay-retry", "Lost with the old link")
                .await?;
            page.wait_text_contains("#relay-retry", "op 1").await?;
            page.click("button#redo").await?;
            page.wait_text_is("#socket-state", "connected").await?;
            page.type_into("input#message", "after the restart").await?;
            page.click("button#send").await?;
            page.wait_text_contains("#received", "after the restart")
                .await?;
            // While the second relay still runs.
            page.screenshot(&support::target_dir().join("e2e/restart.png"))
                .await
        }
        .await;
        log.lock()
            .unwrap()
            .extend(second.log.lock().unwrap().drain(..));
        reconnected
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}
