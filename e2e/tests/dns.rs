//! End-to-end: the DNS panel asks the relay's DNS lab, in stub and trace
//! mode, and the answer and the referral walk show on the page. Every query
//! goes to the lab on loopback.

mod support;

use support::{Browser, Page, Relay};

#[tokio::test]
async fn dns_panel_traces_a_lab_name_from_the_root() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = trace_echo(&page, &relay.url).await;
    let shot = page
        .screenshot(&support::target_dir().join("e2e/dns.png"))
        .await;
    browser.close().await;
    outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
}

async fn trace_echo(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;

    // Stub: the CNAME chain of the default name, in one query.
    page.click("button#dns-query").await?;
    page.wait_text_is("#dns-rcode", "NOERROR").await?;
    page.wait_text_contains("#dns-answers", "host.lab.test.")
        .await?;

    // Trace: root, then test., then lab.test.
    page.type_into("input#dns-name", "echo.lab.test").await?;
    page.choose("select#dns-mode", "trace").await?;
    page.click("button#dns-query").await?;
    page.wait_text_contains(".dns-summary", "(3 queries)")
        .await?;
    page.wait_text_contains("#dns-answers", "127.0.0.1").await?;
    page.wait_rows("the referral walk in the diagram", |rows| {
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        for wanted in [
            "dns A echo.lab.test (trace)",
            "referral to test.",
            "referral to lab.test.",
            "NOERROR 1 answer",
        ] {
            if !labels.contains(&wanted) {
                return Err(format!("missing a row `{wanted}`"));
            }
        }
        if !labels.contains(&"query A echo.lab.test.") {
            return Err("missing the query rows".to_owned());
        }
        Ok(())
    })
    .await?;
    // Each server has its lane: the first query goes to the root's.
    let labels = page.attributes("svg#sequence g.row", "data-label").await?;
    let to = page
        .attributes("svg#sequence g.row", "data-to-lane")
        .await?;
    let first_query = labels.iter().position(|l| l == "query A echo.lab.test.");
    match first_query.map(|i| to[i].as_str()) {
        Some(lane) if lane.starts_with("DNS 127.0.0.2:") => {}
        other => {
            return Err(format!(
                "the first query should go to the root (127.0.0.2): {other:?}"
            ));
        }
    }

    // A delegation without glue: the walk looks up the name server first.
    page.type_into("input#dns-name", "host.away.lab.test")
        .await?;
    page.click("button#dns-query").await?;
    page.wait_text_contains(".dns-summary", "(6 queries)")
        .await?;
    page.wait_rows("the lookup of the name server in the diagram", |rows| {
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        for wanted in [
            "referral to away.lab.test.",
            "no glue: look up ns.away-ns.test.",
            "query A ns.away-ns.test.",
            "query A host.away.lab.test.",
        ] {
            if !labels.contains(&wanted) {
                return Err(format!("missing a row `{wanted}`"));
            }
        }
        if !labels
            .iter()
            .any(|l| l.starts_with("ns.away-ns.test. is at 127.0.0.5:"))
        {
            return Err("missing the name server's address".to_owned());
        }
        Ok(())
    })
    .await?;
    page.click("button#dns-view-tab").await?;
    page.wait_text_contains("#dns-ladder", "address of ns.away-ns.test.")
        .await?;
    page.wait_text_contains("#dns-view-answers", "127.0.0.1")
        .await
        .map(drop)
}
