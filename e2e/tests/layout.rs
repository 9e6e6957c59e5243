//! End-to-end: the page fits the screens it is used on. At 1366×768 (a
//! common laptop and projector) an experiment's main button and its newest
//! drawn step are on screen without scrolling, and presenter mode gives the
//! drawing the room. At 390×844 (and at 360 px, the narrowest phone the
//! page supports) no experiment tab makes the document wider than the
//! screen: the controls column does not take the width of its longest
//! `<select>` option, and rows of two fields wrap; the diagram may scroll
//! inside its own box. Screenshots land in target/e2e/.

mod support;

use serde_json::Value;
use support::{Browser, Page, Relay};

/// The box of the first element `css` matches, in the viewport: top and
/// bottom, and the window's inner height.
const BOX: &str = "const e = document.querySelector(arguments[0]);\
    if (!e) return null; const r = e.getBoundingClientRect();\
    return [r.top, r.bottom, window.innerHeight];";

/// `(top, bottom, window height)` of `css`, in CSS pixels.
async fn viewport_box(page: &Page<'_>, css: &str) -> Result<(f64, f64, f64), String> {
    let found = page.run(BOX, vec![Value::from(css)]).await?;
    let at = |i: usize| found.get(i).and_then(Value::as_f64);
    match (at(0), at(1), at(2)) {
        (Some(top), Some(bottom), Some(height)) => Ok((top, bottom, height)),
        _ => Err(format!("no element matches `{css}`")),
    }
}

/// Sizes the window so that its inside (what the page sees as
/// `innerWidth` × `innerHeight`) is `width` × `height`: a window's frame
/// takes some of its size, more or less by platform.
async fn set_viewport(
    browser: &Browser,
    page: &Page<'_>,
    width: u32,
    height: u32,
) -> Result<(), String> {
    let resize = async |w: u32, h: u32| {
        browser
            .client
            .set_window_size(w, h)
            .await
            .map_err(|e| format!("resizing the window failed: {e}"))
    };
    resize(width, height).await?;
    let inner = page
        .run(
            "return [window.innerWidth, window.innerHeight];",
            Vec::new(),
        )
        .await?;
    let at = |i: usize| inner.get(i).and_then(Value::as_u64).unwrap_or(0) as u32;
    let (frame_w, frame_h) = (width.saturating_sub(at(0)), height.saturating_sub(at(1)));
    resize(width + frame_w, height + frame_h).await?;
    let inner = page
        .run(
            "return [window.innerWidth, window.innerHeight];",
            Vec::new(),
        )
        .await?;
    if (at(0), at(1)) == (0, 0) || inner != serde_json::json!([width, height]) {
        return Err(format!(
            "the window's inside is {inner}, asked for [{width},{height}]"
        ));
    }
    Ok(())
}

/// Err unless `css` lies wholly inside the window, scrolled to its top.
async fn on_screen(page: &Page<'_>, css: &str, what: &str) -> Result<(), String> {
    let (top, bottom, height) = viewport_box(page, css).await?;
    if top >= 0.0 && bottom <= height {
        Ok(())
    } else {
        Err(format!(
            "{what} (`{css}`) spans y = {top:.0}–{bottom:.0}, outside a {height:.0} px high window"
        ))
    }
}

#[tokio::test]
async fn on_a_laptop_the_main_buttons_and_the_newest_step_are_on_screen() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        page.open(&relay.url).await?;
        set_viewport(&browser, &page, 1366, 768).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // A first visit offers the course above the playground; this is the
        // playground as its users see it, once they have chosen it.
        page.click("#front-door-playground").await?;
        on_screen(&page, "button#connect", "the TCP Connect button").await?;

        page.click("button#connect").await?;
        page.wait_text_is("#socket-state", "connected").await?;
        page.type_into("input#message", "hello").await?;
        page.click("button#send").await?;
        page.wait_text_contains("#received", "hello").await?;
        page.click("button#shutdown").await?;
        // Ours and the echo's: both ends have sent their FIN.
        page.wait_rows("both FINs drawn", |rows| {
            let fins = rows.iter().filter(|r| r.label.contains("FIN")).count();
            if fins >= 2 { Ok(()) } else { Err(format!("{fins} FIN row(s)")) }
        })
        .await?;
        // The page itself stays at its top: what follows live is the diagram.
        page.run("window.scrollTo(0, 0); return null;", Vec::new()).await?;
        // Every FIN row, and the newest step, inside the window.
        let rows_in_view = "const rows = Array.from(document.querySelectorAll('svg#sequence g.row'));\
            const picked = rows.filter(g => (g.getAttribute('data-label') || '').includes('FIN'));\
            if (rows.length) picked.push(rows[rows.length - 1]);\
            return picked.map(g => { const r = g.getBoundingClientRect(); return [r.top, r.bottom]; });";
        page.screenshot(&support::target_dir().join("e2e/laptop-1366x768-echo.png"))
            .await?;
        page.wait("the FIN rows and the newest step in the window", async || {
            let rows = page.run(rows_in_view, Vec::new()).await?;
            let height = viewport_box(&page, "body").await?.2;
            for row in rows.as_array().into_iter().flatten() {
                let at = |i: usize| row.get(i).and_then(Value::as_f64).unwrap_or(-1.0);
                let (top, bottom) = (at(0), at(1));
                if top < 0.0 || bottom > height {
                    return Err(format!(
                        "a FIN row or the newest step spans y = {top:.0}–{bottom:.0}, \
                         outside the {height:.0} px window"
                    ));
                }
            }
            Ok(())
        })
        .await?;
        page.screenshot(&support::target_dir().join("e2e/laptop-1366x768-echo.png"))
            .await?;

        page.click("#http-tab").await?;
        on_screen(&page, "button#http-send", "the HTTP Send button").await?;
        page.screenshot(&support::target_dir().join("e2e/laptop-1366x768-http.png"))
            .await?;

        // Presenter mode: the page's chrome steps aside and the drawing,
        // first on the page, reaches the window's bottom.
        page.click("#tcp-tab").await?;
        page.click("input#presenter").await?;
        page.run(
            "document.querySelector('details.page-menu').open = false; window.scrollTo(0, 0); return null;",
            Vec::new(),
        )
        .await?;
        page.wait("the tagline hidden in presenter mode", async || {
            match page.computed_style(".tagline", "display").await?.as_str() {
                "none" => Ok(()),
                other => Err(format!("the tagline's display is {other}")),
            }
        })
        .await?;
        page.wait("the diagram to fill the window in presenter mode", async || {
            let (top, bottom, height) = viewport_box(&page, "svg#sequence").await?;
            if top < height / 2.0 && bottom > height * 0.85 && bottom <= height {
                Ok(())
            } else {
                Err(format!(
                    "the diagram spans y = {top:.0}–{bottom:.0} in a {height:.0} px window"
                ))
            }
        })
        .await?;
        page.screenshot(&support::target_dir().join("e2e/presenter-1366x768.png"))
            .await
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

const TABS: &[&str] = &["tcp", "listen", "udp", "dns", "http", "code"];

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
