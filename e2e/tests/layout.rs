//! End-to-end: the page fits a phone. At 390×844 (and at 360 px, the
//! narrowest phone the page supports) no experiment tab makes the document
//! wider than the screen: the controls column does not take the width of
//! its longest `<select>` option, and rows of two fields wrap. The diagram
//! may scroll inside its own box. Screenshots land in target/e2e/.

mod support;

use support::{Browser, Page, Relay};

const TABS: &[&str] = &["tcp", "listen", "udp", "dns", "http"];

#[tokio::test]
async fn no_experiment_tab_scrolls_sideways_on_a_phone() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        for (width, height) in [(390, 844), (360, 740)] {
            browser
                .client
                .set_window_size(width, height)
                .await
                .map_err(|e| format!("resizing the window failed: {e}"))?;
            page.open(&relay.url).await?;
            page.wait_text_is("#relay-status", "connected").await?;
            for tab in TABS {
                page.click(&format!("#{tab}-tab")).await?;
                let (scroll_width, inner_width) = page.document_width().await?;
                if width == 390 {
                    page.screenshot(
                        &support::target_dir().join(format!("e2e/phone-390x844-{tab}.png")),
                    )
                    .await?;
                }
                if inner_width > u64::from(width) {
                    return Err(format!(
                        "the window is {inner_width} px wide inside, asked for {width}"
                    ));
                }
                if scroll_width > inner_width {
                    return Err(format!(
                        "at {width}×{height} the {tab} tab makes the document {scroll_width} px \
                         wide in a {inner_width} px window"
                    ));
                }
            }
        }
        Ok(())
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}
