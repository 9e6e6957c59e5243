//! The page under test, seen the way a person uses it: read text, click,
//! type, pick from a list. Every wait polls until a deadline and, on time-out,
//! says what it waited for, what it last saw, the page's text and the relay's
//! output, so a red run explains itself.

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::process::Log;

pub const DEADLINE: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);

/// Waits and actions return this: the message is the whole explanation.
pub type Result<T> = std::result::Result<T, String>;

/// One `g.row` of `svg#sequence`.
#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub from: String,
    pub to: String,
    pub class: String,
}

#[derive(Debug)]
pub struct Page<'a> {
    client: &'a Client,
    relay_log: &'a Log,
}

impl<'a> Page<'a> {
    pub fn new(client: &'a Client, relay_log: &'a Log) -> Self {
        Page { client, relay_log }
    }

    pub async fn open(&self, url: &str) -> Result<()> {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("cannot open {url}: {e}"))
    }

    /// Polls `probe` until it returns Ok. Its Err is "what I see now".
    pub async fn wait<T>(&self, what: &str, probe: impl AsyncFnMut() -> Result<T>) -> Result<T> {
        self.wait_for(DEADLINE, what, probe).await
    }

    /// [`Page::wait`] with a deadline of its own, for what takes longer than
    /// a click's answer (starting Python in the page: 13 MB to load and
    /// start on a busy machine).
    pub async fn wait_for<T>(
        &self,
        within: Duration,
        what: &str,
        mut probe: impl AsyncFnMut() -> Result<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + within;
        loop {
            let last = match probe().await {
                Ok(value) => return Ok(value),
                Err(last) => last,
            };
            if Instant::now() >= deadline {
                return Err(self.explain(what, &last).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Text of the first element matching `css`: an input's value, else its
    /// textContent. Err if there is no such element.
    pub async fn text(&self, css: &str) -> Result<String> {
        let script = "const e = document.querySelector(arguments[0]);\
            if (!e) return null;\
            if (e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement\
                || e instanceof HTMLSelectElement) return e.value;\
            return e.textContent;";
        match self.script(script, vec![json!(css)]).await? {
            Value::String(text) => Ok(text),
            _ => Err(format!("no element matches `{css}`")),
        }
    }

    /// Waits until the trimmed text of `css` is `expected` (ignoring case).
    pub async fn wait_text_is(&self, css: &str, expected: &str) -> Result<String> {
        self.wait(&format!("`{css}` to read \"{expected}\""), async || {
            let text = self.text(css).await?;
            if text.trim().eq_ignore_ascii_case(expected) {
                Ok(text)
            } else {
                Err(format!("`{css}` reads {:?}", text.trim()))
            }
        })
        .await
    }

    /// Waits until some element matching `css` has text containing `needle`.
    pub async fn wait_text_contains(&self, css: &str, needle: &str) -> Result<String> {
        let script = "return Array.from(document.querySelectorAll(arguments[0]))\
            .map(e => e.textContent);";
        self.wait(&format!("`{css}` to contain \"{needle}\""), async || {
            let texts = self.script(script, vec![json!(css)]).await?;
            let texts: Vec<String> = serde_json::from_value(texts).unwrap_or_default();
            match texts.iter().find(|t| t.contains(needle)) {
                Some(text) => Ok(text.clone()),
                None if texts.is_empty() => Err(format!("no element matches `{css}`")),
                None => Err(format!("`{css}` texts: {texts:?}")),
            }
        })
        .await
    }

    /// The paths of every resource the page has fetched so far (the
    /// browser's Resource Timing entries).
    pub async fn fetched(&self) -> Result<Vec<String>> {
        let script = "return performance.getEntriesByType('resource')\
            .map(e => new URL(e.name).pathname);";
        serde_json::from_value(self.script(script, vec![]).await?).map_err(|e| e.to_string())
    }

    /// Clicks `css` once it exists and is enabled.
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self
            .wait(&format!("`{css}` to be present and enabled"), async || {
                let element = self.find(css).await?;
                match element.is_enabled().await {
                    Ok(true) => Ok(element),
                    Ok(false) => Err(format!("`{css}` is disabled")),
                    Err(e) => Err(e.to_string()),
                }
            })
            .await?;
        element
            .click()
            .await
            .map_err(|e| format!("clicking `{css}` failed: {e}"))
    }

    /// The computed value of CSS `property` on the first element matching
    /// `css`, as the browser applies the stylesheet.
    pub async fn computed_style(&self, css: &str, property: &str) -> Result<String> {
        let script = "const e = document.querySelector(arguments[0]);\
            return e ? getComputedStyle(e).getPropertyValue(arguments[1]) : null;";
        match self
            .script(script, vec![json!(css), json!(property)])
            .await?
        {
            Value::String(value) => Ok(value),
            _ => Err(format!("no element matches `{css}`")),
        }
    }

    /// Waits until `css` exists and is disabled.
    pub async fn wait_disabled(&self, css: &str) -> Result<()> {
        self.wait(&format!("`{css}` to be disabled"), async || {
            let element = self.find(css).await?;
            match element.is_enabled().await {
                Ok(false) => Ok(()),
                Ok(true) => Err(format!("`{css}` is enabled")),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
    }

    /// Replaces the text of the input `css` with `text`, typed key by key.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let element = self
            .wait(&format!("`{css}` to be present"), async || {
                self.find(css).await
            })
            .await?;
        element
            .clear()
            .await
            .map_err(|e| format!("clearing `{css}` failed: {e}"))?;
        element
            .send_keys(text)
            .await
            .map_err(|e| format!("typing into `{css}` failed: {e}"))
    }

    /// Sets the value of the input `css` at once, as a paste or a slider's
    /// drag would: the value changes and an `input` event bubbles up.
    pub async fn set_value(&self, css: &str, value: &str) -> Result<()> {
        self.paste(css, value, 1).await
    }

    /// Pastes `text` repeated `times` into the input `css` (megabytes are
    /// built in the page, not sent over WebDriver).
    pub async fn paste(&self, css: &str, text: &str, times: usize) -> Result<()> {
        let script = "const input = document.querySelector(arguments[0]);\
            if (!input) { return 'no such input'; }\
            const value = arguments[1].repeat(arguments[2]);\
            input.value = value;\
            input.dispatchEvent(new Event('input', { bubbles: true }));\
            return input.value === value ? 'set' : 'the input holds ' + input.value.length;";
        let set = self
            .script(script, vec![json!(css), json!(text), json!(times)])
            .await?;
        if set == json!("set") {
            Ok(())
        } else {
            Err(format!("could not set `{css}`: {set}"))
        }
    }

    /// Chooses the file at `path` in the file input `css`.
    pub async fn upload(&self, css: &str, path: &Path) -> Result<()> {
        let input = self
            .wait(&format!("`{css}` to be present"), async || {
                self.find(css).await
            })
            .await?;
        input
            .send_keys(&path.display().to_string())
            .await
            .map_err(|e| format!("choosing {} in `{css}` failed: {e}", path.display()))
    }

    /// Picks the option with `value` in the select `css`, as a click would.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        let option = format!("option[value='{value}']");
        let select = self
            .wait(
                &format!("`{css}` to offer option \"{value}\""),
                async || {
                    let select = self.find(css).await?;
                    match select.find(Locator::Css(&option)).await {
                        Ok(_) => Ok(select),
                        Err(_) => Err(format!("options: {:?}", self.options(css).await)),
                    }
                },
            )
            .await?;
        select
            .select_by_value(value)
            .await
            .map_err(|e| format!("choosing \"{value}\" in `{css}` failed: {e}"))?;
        self.wait_text_is(css, value).await.map(drop)
    }

    /// Values of the options of the select `css`.
    pub async fn options(&self, css: &str) -> Result<Vec<String>> {
        let script = "const s = document.querySelector(arguments[0]);\
            return s ? Array.from(s.options).map(o => o.value) : [];";
        let values = self.script(script, vec![json!(css)]).await?;
        serde_json::from_value(values).map_err(|e| e.to_string())
    }

    /// Waits until the rows of `svg#sequence` satisfy `check` (Err says why not).
    pub async fn wait_rows(
        &self,
        what: &str,
        check: impl Fn(&[Row]) -> std::result::Result<(), String>,
    ) -> Result<Vec<Row>> {
        self.wait(what, async || {
            let rows = self.rows().await?;
            match check(&rows) {
                Ok(()) => Ok(rows),
                Err(missing) => Err(format!("{missing}; rows now:\n{}", describe(&rows))),
            }
        })
        .await
    }

    pub async fn rows(&self) -> Result<Vec<Row>> {
        let script = "return Array.from(document.querySelectorAll('svg#sequence g.row'))\
            .map(g => [g.getAttribute('data-label') || '', g.getAttribute('data-from') || '',\
                       g.getAttribute('data-to') || '', g.getAttribute('class') || '']);";
        let rows: Vec<[String; 4]> = serde_json::from_value(self.script(script, vec![]).await?)
            .map_err(|e| e.to_string())?;
        Ok(rows
            .into_iter()
            .map(|[label, from, to, class]| Row {
                label,
                from,
                to,
                class,
            })
            .collect())
    }

    /// Text of every element matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let script = "return Array.from(document.querySelectorAll(arguments[0]))\
            .map(e => e.textContent || '');";
        let texts = self.script(script, vec![json!(css)]).await?;
        serde_json::from_value(texts).map_err(|e| e.to_string())
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page
    /// and returns what it returns.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.script(script, args).await
    }

    /// The document's scroll width and the window's inner width, in CSS
    /// pixels: a page that scrolls sideways has the first above the second.
    pub async fn document_width(&self) -> Result<(u64, u64)> {
        let script = "return [document.documentElement.scrollWidth, window.innerWidth];";
        let widths = self.script(script, Vec::new()).await?;
        let width = |i: usize| widths.get(i).and_then(Value::as_u64);
        match (width(0), width(1)) {
            (Some(scroll), Some(inner)) => Ok((scroll, inner)),
            _ => Err(format!("unexpected widths {widths}")),
        }
    }

    /// Scrolls the page so that the first element matching `css` is at the
    /// top of the viewport (for a screenshot of it).
    pub async fn scroll_to(&self, css: &str) -> Result<()> {
        let script = "const e = document.querySelector(arguments[0]);\
            if (!e) return false; e.scrollIntoView({block: 'start'}); return true;";
        match self.script(script, vec![json!(css)]).await? {
            Value::Bool(true) => Ok(()),
            _ => Err(format!("no element matches `{css}`")),
        }
    }

    /// Saves a PNG of the viewport to `path`, creating its folder.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("screenshot failed: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("screenshot: {}", path.display());
        Ok(())
    }

    /// A screenshot of the first element matching `css` alone (scrolled
    /// into view), for parts of the page below the fold.
    pub async fn screenshot_of(&self, css: &str, path: &Path) -> Result<()> {
        let element = self.find(css).await?;
        // A window tall enough for the whole element, which is then
        // scrolled to the top: the browser captures only what it paints.
        let height = self
            .script(
                "const r = arguments[0].getBoundingClientRect(); return Math.ceil(r.height);",
                vec![json!(element)],
            )
            .await?
            .as_u64()
            .unwrap_or(900);
        self.client
            .set_window_size(1280, (height + 200).max(900) as u32)
            .await
            .map_err(|e| format!("resizing the window failed: {e}"))?;
        self.script(
            "arguments[0].scrollIntoView({block: 'start'});",
            vec![json!(element)],
        )
        .await?;
        let png = element
            .screenshot()
            .await
            .map_err(|e| format!("screenshot of `{css}` failed: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("screenshot: {}", path.display());
        Ok(())
    }

    /// The value of `attribute` on every element matching `css`.
    pub async fn attributes(&self, css: &str, attribute: &str) -> Result<Vec<String>> {
        let script = "return Array.from(document.querySelectorAll(arguments[0]))\
            .map(e => e.getAttribute(arguments[1]) || '');";
        serde_json::from_value(
            self.script(script, vec![json!(css), json!(attribute)])
                .await?,
        )
        .map_err(|e| e.to_string())
    }

    /// Presses Tab in the focused element (the body at first), as a
    /// keyboard user moves to the next stop.
    pub async fn press_tab(&self) -> Result<()> {
        self.client
            .active_element()
            .await
            .map_err(|e| e.to_string())?
            .send_keys("\u{E004}")
            .await
            .map_err(|e| format!("pressing Tab failed: {e}"))
    }

    /// The focused element as `tag#id.class`, for keyboard tests.
    pub async fn focused(&self) -> Result<String> {
        let script = "const e = document.activeElement;\
            return e ? e.tagName.toLowerCase() + '#' + e.id + '.' + e.className : '';";
        match self.script(script, vec![]).await? {
            Value::String(text) => Ok(text),
            other => Err(format!("no focused element: {other:?}")),
        }
    }

    /// Finds `css` to act on it. An element on a hidden tab is first shown
    /// by clicking its tab, and one in a closed menu (`<details>`, such as
    /// the page tools) by opening the menu, as a person would.
    async fn find(&self, css: &str) -> Result<fantoccini::elements::Element> {
        let menu = "const e = document.querySelector(arguments[0]);\
            const menu = e && e.closest('details:not([open])');\
            if (menu) { menu.querySelector('summary').click(); return true; } return false;";
        self.script(menu, vec![json!(css)]).await?;
        let tab = "const e = document.querySelector(arguments[0]);\
            const panel = e && e.closest('[role=tabpanel]');\
            return panel && panel.hidden ? panel.getAttribute('aria-labelledby') : null;";
        if let Value::String(tab) = self.script(tab, vec![json!(css)]).await? {
            self.client
                .find(Locator::Id(&tab))
                .await
                .map_err(|e| format!("no tab `{tab}`: {e}"))?
                .click()
                .await
                .map_err(|e| format!("clicking the tab `{tab}` failed: {e}"))?;
        }
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|_| format!("no element matches `{css}`"))
    }

    /// Parses `text` with Mermaid's own parser (the browser build named by
    /// `ROUNDTRIP_MERMAID_JS`, which `cargo xtask test` sets) in a blank
    /// page, and returns the diagram type it read; Err with Mermaid's
    /// message when it does not parse. This leaves the page under test.
    pub async fn mermaid_parse(&self, text: &str) -> Result<String> {
        let path = std::env::var_os("ROUNDTRIP_MERMAID_JS").ok_or(
            "ROUNDTRIP_MERMAID_JS is not set; `cargo xtask test` sets it to \
             .tools/mermaid/mermaid.min.js (installed by `cargo xtask setup`)",
        )?;
        let source = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read Mermaid at {path:?}: {e}"))?;
        self.client
            .goto("about:blank")
            .await
            .map_err(|e| format!("cannot open about:blank: {e}"))?;
        // A classic script: the build sets `globalThis.mermaid`.
        let loaded = self
            .script(
                "const s = document.createElement('script');\
                 s.textContent = arguments[0];\
                 document.head.appendChild(s);\
                 return typeof globalThis.mermaid;",
                vec![json!(source)],
            )
            .await?;
        if loaded != json!("object") {
            return Err(format!("Mermaid did not load from {path:?}: {loaded}"));
        }
        let parsed = self
            .script(
                "return mermaid.parse(arguments[0]).then(\
                   r => ({ ok: r.diagramType }),\
                   e => ({ error: String(e && e.message || e) }));",
                vec![json!(text)],
            )
            .await?;
        match (parsed.get("ok"), parsed.get("error")) {
            (Some(Value::String(kind)), _) => Ok(kind.clone()),
            (_, Some(error)) => Err(format!("Mermaid cannot parse it: {error}")),
            _ => Err(format!("unexpected answer from mermaid.parse: {parsed}")),
        }
    }

    /// Validates `har` (HAR JSON text) against the HAR 1.2 JSON Schema of
    /// `har-schema` with Ajv (both from `ROUNDTRIP_HAR_TOOLS`, which `cargo
    /// xtask test` sets), in a blank page; Err lists what does not conform.
    /// This leaves the page under test.
    pub async fn har_validate(&self, har: &str) -> Result<()> {
        let dir = std::env::var_os("ROUNDTRIP_HAR_TOOLS")
            .map(std::path::PathBuf::from)
            .ok_or(
                "ROUNDTRIP_HAR_TOOLS is not set; `cargo xtask test` sets it to .tools/har \
             (installed by `cargo xtask setup`)",
            )?;
        let read = |path: std::path::PathBuf| {
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path:?}: {e}"))
        };
        let ajv = read(dir.join("ajv.min.js"))?;
        let meta = read(dir.join("json-schema-draft-06.json"))?;
        let mut schemas = Vec::new();
        let listing = std::fs::read_dir(dir.join("schemas"))
            .map_err(|e| format!("cannot list the HAR schemas in {dir:?}: {e}"))?;
        for entry in listing.flatten() {
            schemas.push(json!(read(entry.path())?));
        }
        let har: Value =
            serde_json::from_str(har).map_err(|e| format!("the HAR is not JSON: {e}"))?;
        self.client
            .goto("about:blank")
            .await
            .map_err(|e| format!("cannot open about:blank: {e}"))?;
        let verdict = self
            .script(
                // Ajv's browser build exports through `module.exports`
                // when it sees one (its `window` branch sets nothing in
                // this release), so it gets one.
                "const s = document.createElement('script');\
                 s.textContent = '(function () { var module = { exports: {} };\\n\
                   var exports = module.exports;\\n' + arguments[0] +\
                   '\\nwindow.Ajv = module.exports; })();';\
                 document.head.appendChild(s);\
                 const ajv = new Ajv({ allErrors: true, schemaId: 'auto', format: 'full' });\
                 ajv.addMetaSchema(JSON.parse(arguments[1]));\
                 for (const text of arguments[2]) ajv.addSchema(JSON.parse(text));\
                 const validate = ajv.getSchema('har.json#');\
                 return validate(arguments[3]) ? 'valid' : ajv.errorsText(validate.errors);",
                vec![json!(ajv), json!(meta), json!(schemas), har],
            )
            .await?;
        match verdict {
            Value::String(text) if text == "valid" => Ok(()),
            other => Err(format!("the HAR does not conform to HAR 1.2: {other}")),
        }
    }

    async fn script(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client
            .execute(script, args)
            .await
            .map_err(|e| format!("script failed: {e}"))
    }

    /// The time-out message: what, last seen, page text, relay output.
    async fn explain(&self, what: &str, last: &str) -> String {
        let page = match self
            .script(
                "return document.body ? document.body.innerText : '(no body)';",
                vec![],
            )
            .await
        {
            Ok(Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(e) => format!("(cannot read the page: {e})"),
        };
        let log = self.relay_log.lock().unwrap();
        let tail = &log[log.len().saturating_sub(40)..];
        format!(
            "timed out after {} s waiting for {what}\n\
             last seen: {last}\n\
             --- page text ---\n{page}\n\
             --- relay output (last {} lines) ---\n{}",
            DEADLINE.as_secs(),
            tail.len(),
            tail.join("\n")
        )
    }
}

pub fn describe(rows: &[Row]) -> String {
    rows.iter()
        .map(|r| format!("  [{}] {} -> {}: {:?}", r.class, r.from, r.to, r.label))
        .collect::<Vec<_>>()
        .join("\n")
}
