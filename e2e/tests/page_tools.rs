//! End-to-end: the page's own tools in a real browser: the dark theme and
//! presenter mode take effect and are remembered, "Auto" follows the
//! system's preference, and the tabs answer the
//! keyboard. Screenshots land in target/e2e/.

mod support;

use support::{Browser, Page, Relay};

#[tokio::test]
async fn theme_and_presenter_mode_apply_and_are_remembered() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = theme_and_presenter(&page, &relay.url).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn auto_follows_a_system_that_prefers_dark() {
    let relay = Relay::start().await;
    let browser = Browser::start_with(&["--force-dark-mode"]).await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // "Auto" is the first visit's choice: the system's dark colours.
        wait_style(&page, "body", "background-color", "rgb(13, 17, 23)").await?;
        wait_style(&page, "#relay-status", "color", "rgb(63, 185, 80)").await?;
        // "Light" overrides the system.
        page.click("input[name=theme][value=light]").await?;
        wait_style(&page, "body", "background-color", "rgb(244, 245, 247)").await
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn the_keyboard_skips_to_the_views_and_sees_where_it_is() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // The first Tab stop is the skip link, shown once focused.
        page.press_tab().await?;
        let focused = page.focused().await?;
        if !focused.contains("skip-link") {
            return Err(format!("the first Tab stop is {focused}"));
        }
        // Focused, it comes down into view (its top is no longer negative).
        page.wait("the skip link in view", async || {
            let top = page.computed_style(".skip-link", "top").await?;
            (!top.trim().starts_with('-'))
                .then_some(())
                .ok_or(format!("top is {top:?}"))
        })
        .await?;
        // Following it puts the keyboard on the views.
        page.click(".skip-link").await?;
        page.wait("the views focused", async || {
            let focused = page.focused().await?;
            focused
                .starts_with("div#views")
                .then_some(())
                .ok_or(focused)
        })
        .await?;
        // "Open trace…" is a file input drawn as its label: tabbing to it
        // draws the focus ring on the label.
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // It lives in the Page tools menu: open the menu (Enter on its
        // summary) and Tab on from there.
        page.run(
            "const menu = document.querySelector('details.page-menu');\
             menu.open = true; menu.querySelector('summary').focus(); return null;",
            Vec::new(),
        )
        .await?;
        for _ in 0..60 {
            page.press_tab().await?;
            if page.focused().await?.starts_with("input#open-trace") {
                break;
            }
        }
        let focused = page.focused().await?;
        if !focused.starts_with("input#open-trace") {
            return Err(format!("Tab never reached Open trace…: {focused}"));
        }
        wait_style(&page, "label[for=open-trace]", "outline-style", "solid").await
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Every colour written as `light-dark(light, dark)` has its light value in
/// the fallback for browsers without `light-dark()`, which would otherwise
/// drop it and draw the page without colours.
#[test]
fn every_themed_colour_has_a_fallback() {
    let css = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/style.css"),
    )
    .expect("read frontend/style.css");
    let (themed, fallback) = css
        .split_once("@supports not (color: light-dark(")
        .expect("a fallback block for browsers without light-dark()");
    let mut checked = 0;
    for line in themed.lines() {
        let Some((name, value)) = line.trim().split_once(": light-dark(") else {
            continue;
        };
        let light = value.split(',').next().unwrap_or_default().trim();
        let wanted = format!("{name}: {light};");
        assert!(fallback.contains(&wanted), "the fallback lacks `{wanted}`");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} themed colours found");
}

async fn wait_style(page: &Page<'_>, css: &str, property: &str, want: &str) -> Result<(), String> {
    page.wait(&format!("`{css}` {property} to be {want}"), async || {
        let value = page.computed_style(css, property).await?;
        if value.trim() == want {
            Ok(())
        } else {
            Err(format!("{property} is {value:?}"))
        }
    })
    .await
}

async fn theme_and_presenter(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    // The light theme first (the headless browser prefers light).
    wait_style(page, "body", "background-color", "rgb(244, 245, 247)").await?;

    page.click("input[name=theme][value=dark]").await?;
    wait_style(page, "body", "background-color", "rgb(13, 17, 23)").await?;
    wait_style(page, "#relay-status", "color", "rgb(63, 185, 80)").await?;
    page.screenshot(&support::target_dir().join("e2e/dark.png"))
        .await?;

    page.click("input#presenter").await?;
    wait_style(page, "html", "font-size", "24px").await?;
    // The views come first and take the width.
    page.wait("the views above the experiments", async || {
        let order = page.computed_style(".views", "order").await?;
        (order.trim() == "-1")
            .then_some(())
            .ok_or(format!("order is {order:?}"))
    })
    .await?;
    page.screenshot(&support::target_dir().join("e2e/presenter.png"))
        .await?;

    // A new visit keeps both choices.
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    wait_style(page, "body", "background-color", "rgb(13, 17, 23)").await?;
    wait_style(page, "html", "font-size", "24px").await?;

    // Back to light and normal type.
    page.click("input#presenter").await?;
    page.click("input[name=theme][value=light]").await?;
    wait_style(page, "body", "background-color", "rgb(244, 245, 247)").await?;
    wait_style(page, "html", "font-size", "17px").await
}
