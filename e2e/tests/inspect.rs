//! End-to-end: the inspection views on the real relay. A DNS trace against
//! the DNS lab draws its ladder and CNAME chain; two HTTPS requests against
//! the HTTPS lab stack in the waterfall, and the payload inspector shows the
//! TLS records beside the decrypted exchange and the JSON body's keys.
//! Everything goes to the lab services on loopback.

mod support;

use std::path::Path;

use support::{Browser, Page, Relay};

#[tokio::test]
async fn dns_trace_draws_the_ladder_and_the_chain() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = dns_walk(&page, &relay.url).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn dns_walk(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.wait_text_contains("#dns-view-empty", "No DNS lookups")
        .await?;

    // The default name has a CNAME chain; walk to it from the root.
    page.choose("select#dns-mode", "trace").await?;
    page.click("button#dns-query").await?;
    page.wait_text_contains("#dns-view-question", "www.lab.test A · trace")
        .await?;
    page.wait("the ladder root → test. → lab.test.", async || {
        let zones = page.texts("#dns-ladder .rung-zone").await?;
        if zones == ["root (.)", "test.", "lab.test."] {
            Ok(())
        } else {
            Err(format!("zones: {zones:?}"))
        }
    })
    .await?;
    let said = page.texts("#dns-ladder .rung-said").await?;
    if !said[0].starts_with("referral: ask ns1.test. for test.")
        || !said[1].starts_with("referral: ask ns1.lab.test. for lab.test.")
        || said[2] != "answer: 3 records"
    {
        return Err(format!("what each server said: {said:?}"));
    }
    let chain = page
        .texts("#dns-view-chains .chain-name, #dns-view-chains .chain-end")
        .await?;
    if chain
        != [
            "www.lab.test.",
            "web.lab.test.",
            "host.lab.test.",
            "A 127.0.0.1",
        ]
    {
        return Err(format!("the CNAME chain: {chain:?}"));
    }
    let ttls = page.texts("#dns-view-answers .ttl-left").await?;
    if ttls.len() != 3 || !ttls.iter().all(|t| t.ends_with(" s")) {
        return Err(format!("TTLs left: {ttls:?}"));
    }
    page.scroll_to(".dns-view").await?;
    page.screenshot(&support::target_dir().join("e2e/inspect-dns.png"))
        .await
}

#[tokio::test]
async fn https_requests_stack_in_the_waterfall_and_show_their_records() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = https_twice(&page, &relay.url, &browser.downloads()).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn https_twice(page: &Page<'_>, url: &str, downloads: &Path) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.type_into("input#http-url", "https://https-lab/json")
        .await?;
    page.click("input#http-raw").await?;
    for n in 1..=2 {
        page.click("button#http-send").await?;
        page.wait(
            &format!("{n} rows in the waterfall, all 200 OK"),
            async || {
                let statuses = page.texts("#waterfall .wf-status").await?;
                if statuses.len() == n && statuses.iter().all(|s| s == "200 OK") {
                    Ok(())
                } else {
                    Err(format!("statuses: {statuses:?}"))
                }
            },
        )
        .await?;
    }
    // The status line explains itself.
    page.wait_text_contains("#http-response details.explain", "What does this mean?")
        .await?;
    // The chain the server presented: its leaf's names, and that the SNI
    // travelled in clear.
    page.wait_text_contains("#http-certs summary", "Certificate chain (2)")
        .await?;
    page.click("#http-certs summary").await?;
    page.wait_text_contains("#http-certs", "valid for: localhost, 127.0.0.1")
        .await?;
    page.wait_text_contains("#http-certs", "travels in clear in the ClientHello")
        .await?;
    let phases = page.texts("#waterfall .wf-row[data-op] .wf-phase").await?;
    for wanted in ["DNS ", "connect ", "TLS ", "send ", "wait ", "download "] {
        if !phases.iter().any(|p| p.starts_with(wanted)) {
            return Err(format!("no {wanted}phase among {phases:?}"));
        }
    }
    page.wait_text_contains("#har-download", "Download HAR (2)")
        .await?;

    // The inspector follows the newest payload: the second request's bytes
    // in, so the records are there beside the decrypted exchange.
    page.wait("the TLS records of the exchange", async || {
        let kinds = page.texts("#inspector-tls-records .record-type").await?;
        if kinds.iter().any(|k| k == "handshake") && kinds.iter().any(|k| k == "application_data") {
            Ok(())
        } else {
            Err(format!("records: {kinds:?}"))
        }
    })
    .await?;
    page.wait_text_contains("#inspector-tls-records", "ClientHello")
        .await?;
    page.wait_text_contains("#inspector-http-request", "GET /json HTTP/1.1")
        .await?;
    page.wait_text_contains("#inspector-http-response", "HTTP/1.1 200 OK")
        .await?;

    // Pick the response body: JSON, with an expected key and a missing one.
    let labels = page.texts("#inspector-pick option").await?;
    let body = labels
        .iter()
        .rposition(|l| l.contains("HTTP response body"))
        .ok_or_else(|| format!("no response body among {labels:?}"))?;
    page.choose("#inspector-pick", &body.to_string()).await?;
    page.wait_text_contains("#inspector-json", "\"slideshow\"")
        .await?;
    page.type_into("#inspector-keys", "slideshow, origin")
        .await?;
    page.wait("the key checks", async || {
        let checks = page.texts("#inspector-key-checks li").await?;
        if checks == ["✓ slideshow present", "✗ origin missing"] {
            Ok(())
        } else {
            Err(format!("checks: {checks:?}"))
        }
    })
    .await?;
    page.scroll_to(".waterfall").await?;
    page.screenshot(&support::target_dir().join("e2e/inspect-waterfall.png"))
        .await?;
    page.scroll_to(".inspector").await?;
    page.screenshot(&support::target_dir().join("e2e/inspect-payload.png"))
        .await?;
    page.scroll_to("#inspector-http").await?;
    page.screenshot(&support::target_dir().join("e2e/inspect-tls.png"))
        .await?;

    // The HAR export of both requests conforms to the HAR 1.2 schema (as
    // har-validator checks it); one without its creator does not.
    page.click("#har-download").await?;
    let file = page
        .wait("roundtrip.har in the downloads", async || {
            let path = downloads.join("roundtrip.har");
            match std::fs::metadata(&path) {
                Ok(meta) if meta.len() > 0 => Ok(path),
                _ => Err("no roundtrip.har yet".to_owned()),
            }
        })
        .await?;
    let har = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    page.har_validate(&har).await?;
    let mut broken: serde_json::Value = serde_json::from_str(&har).map_err(|e| e.to_string())?;
    broken["log"]
        .as_object_mut()
        .ok_or("the HAR has no log")?
        .remove("creator");
    match page.har_validate(&broken.to_string()).await {
        Err(error) if error.contains("creator") => Ok(()),
        other => Err(format!("a HAR without its creator should fail: {other:?}")),
    }
}
