//! End-to-end: a TCP echo and a UDP echo from the page, against the real
//! relay, draw the expected sequence diagram (one lane per target) and
//! socket lifecycles. Screenshots of both views go to `target/e2e/`. The
//! diagram's Mermaid export is read back by Mermaid's own parser.

mod support;

use std::path::{Path, PathBuf};

use roundtrip_shared::diagram;
use roundtrip_shared::payload::Payload;
use roundtrip_shared::protocol::{ClientMsg, Event, EventKind, ServerMsg};
use roundtrip_shared::trace::Trace;
use support::{Browser, Page, Relay, Row};

#[tokio::test]
async fn tcp_and_udp_echo_draw_the_expected_diagram() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = run(&page, &relay.url, &browser.downloads()).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// `1.204 ms` or `2.500 s` in milliseconds.
fn session_ms(text: &str) -> Option<f64> {
    let (number, unit) = text.split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    match unit {
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        _ => None,
    }
}

async fn run(page: &Page<'_>, url: &str, downloads: &Path) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;

    // TCP echo: connect, send, see it back, close.
    page.click("button#connect").await?;
    page.wait_text_is("#socket-state", "connected").await?;
    page.type_into("input#message", "hello").await?;
    page.click("button#send").await?;
    page.wait_text_contains("#received", "hello").await?;
    page.click("button#close").await?;
    page.wait_text_is("#socket-state", "closed").await?;

    // UDP echo: open, one datagram each way.
    page.click("button#udp-open").await?;
    page.wait_text_is("#udp-state", "bound").await?;
    page.type_into("input#udp-message", "ping").await?;
    page.click("button#udp-send").await?;
    page.wait_text_contains("#udp-datagrams .datagram-data", "ping")
        .await?;

    // Following live shows the newest steps; the whole session fits the
    // window after "Whole session".
    page.click("button#zoom-whole").await?;
    let rows = page
        .wait_rows("the TCP and UDP echo in the diagram", |rows| {
            need(rows, "`connect tcp-echo`", |r| {
                r.label == "connect tcp-echo"
            })?;
            // The handshake's step says when connect() returns and names
            // both ends of the connection.
            need(rows, "the SYN-ACK from the target", |r| {
                r.from == "Target"
                    && r.label
                        .starts_with("SYN-ACK; connect() returns: 127.0.0.1:")
                    && r.label.contains(" ↔ 127.0.0.1:")
            })?;
            need(rows, "`\"hello\" (5 B)` back from the target", |r| {
                r.from == "Target" && r.to == "Relay" && r.label == "\"hello\" (5 B)"
            })?;
            // The echo ends where it began: with you.
            need(rows, "`\"hello\" (5 B)` delivered to the browser", |r| {
                r.from == "Relay" && r.to == "Browser" && r.label == "\"hello\" (5 B)"
            })?;
            need(rows, "the close's FIN", |r| r.label == "FIN (close)")?;
            need(rows, "the datagram to the UDP echo", |r| {
                r.from == "Relay" && r.label.starts_with("\"ping\" (4 B) → 127.0.0.1:")
            })?;
            need(rows, "the datagram back", |r| {
                r.from == "Target" && r.label.starts_with("\"ping\" (4 B) from 127.0.0.1:")
            })
        })
        .await?;
    check(
        !rows.iter().any(|r| r.class.contains("tone-error")),
        "no error rows in a clean echo".to_owned(),
    )?;

    // One lane per target: the TCP echo and the UDP echo are two servers.
    let lanes = page
        .attributes("svg#sequence g.lane", "data-lane-name")
        .await?;
    let targets: Vec<&String> = lanes
        .iter()
        .filter(|l| l.starts_with("Target 127.0.0.1:"))
        .collect();
    check(
        lanes.len() == 4 && targets.len() == 2 && targets[0] != targets[1],
        format!("lanes Browser, Relay and two targets: {lanes:?}"),
    )?;
    // The TCP data goes to the first target, the datagram to the second.
    let to_lanes = page
        .attributes("svg#sequence g.row.tone-data", "data-to-lane")
        .await?;
    check(
        to_lanes.contains(targets[0]) && to_lanes.contains(targets[1]),
        format!("data rows reach both targets: {to_lanes:?}"),
    )?;
    // Said once: arrows are socket events, not every packet.
    let note = page.text("#what-is-drawn").await?;
    check(
        note == diagram::WHAT_IS_DRAWN,
        format!("the legend says what the arrows are: {note:?}"),
    )?;
    // The time column is the session's clock: it never runs backwards.
    let times = page.texts("svg#sequence g.row text.time").await?;
    let ms: Vec<f64> = times.iter().filter_map(|t| session_ms(t)).collect();
    check(
        ms.len() == times.len() && ms.windows(2).all(|w| w[0] <= w[1]),
        format!("the time column only grows: {times:?}"),
    )?;
    // Each row tells its timing on hover and focus.
    let titles = page.attributes("svg#sequence g.row", "aria-label").await?;
    check(
        titles
            .iter()
            .any(|t| t.contains("after the operation's previous step")),
        format!("rows carry timings: {titles:?}"),
    )?;

    // The text alternative: the same steps as a table.
    page.click("button#sequence-table-toggle").await?;
    let table = page.text("#sequence-table").await?;
    check(
        table.contains("SYN-ACK; connect() returns") && table.contains("\"ping\" (4 B) from"),
        format!("the table lists the steps: {table}"),
    )?;
    page.click("button#sequence-table-toggle").await?;

    // Real time: an axis of times appears; back to steps for the picture.
    page.click("button#scale-time").await?;
    page.wait_text_contains("svg#sequence .tick-label", "ms")
        .await?;
    page.click("button#scale-steps").await?;

    // The lifecycle of the UDP socket (the page's current socket is TCP).
    page.choose("select#lifecycle-op", "2").await?;
    page.wait_text_is("#socket-state", "bound").await?;
    page.wait_text_contains("#lifecycle-graph g.state.is-current", "1 sent, 1 received")
        .await?;
    page.screenshot_of(
        "section.lifecycle",
        &support::target_dir().join("e2e/lifecycle-udp.png"),
    )
    .await?;
    page.choose("select#lifecycle-op", "1").await?;
    page.wait_text_is("#socket-state", "closed").await?;
    page.screenshot_of(
        "section.lifecycle",
        &support::target_dir().join("e2e/lifecycle-tcp.png"),
    )
    .await?;

    page.screenshot_of(
        "section.diagram",
        &support::target_dir().join("e2e/diagram.png"),
    )
    .await?;

    // The Mermaid export of this real session parses in Mermaid itself.
    page.click("button#export-mermaid").await?;
    let file = page
        .wait("roundtrip-sequence.mmd in the downloads", async || {
            saved(downloads, "roundtrip-sequence.mmd")
        })
        .await?;
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    let kind = page.mermaid_parse(&text).await?;
    check(kind == "sequence", format!("Mermaid read a {kind} diagram"))
}

#[tokio::test]
async fn mermaid_reads_the_export_of_idle_breaks_and_refuses_broken_text() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = mermaid_checks(&page).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn mermaid_checks(page: &Page<'_>) -> Result<(), String> {
    // A session with pauses: the breaks become notes across all lanes.
    let mut trace = Trace::new();
    trace.seen_at(0.0);
    trace.record_request(&ClientMsg::TcpConnect {
        faults: None,
        op: 1,
        target: "tcp-echo".into(),
        connect_timeout_ms: None,
        nodelay: false,
    });
    trace.record_server(&ServerMsg::Event(Event {
        op: 1,
        t_us: 150,
        kind: EventKind::Connected {
            local: "127.0.0.1:51000".into(),
            remote: "127.0.0.1:4000".into(),
        },
    }));
    trace.seen_at(4_000.0);
    trace.record_request(&ClientMsg::Send {
        op: 1,
        data: Payload(b"a; b # c".to_vec()),
    });
    let text = diagram::export::mermaid(&diagram::timeline(&trace));
    check(
        text.contains("Note over L0,L2: "),
        format!("an idle note in the export:\n{text}"),
    )?;
    let kind = page.mermaid_parse(&text).await?;
    check(kind == "sequence", format!("Mermaid read a {kind} diagram"))?;
    // The check itself can fail: a message without its colon does not parse.
    match page
        .mermaid_parse("sequenceDiagram\n    participant A\n    A->>B hello\n")
        .await
    {
        Err(error) => check(
            error.contains("Mermaid cannot parse it"),
            format!("unexpected failure: {error}"),
        ),
        Ok(kind) => Err(format!("broken text parsed as {kind}")),
    }
}

/// The downloaded file `name`, once it is complete.
fn saved(downloads: &Path, name: &str) -> Result<PathBuf, String> {
    let path = downloads.join(name);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.len() > 0 => Ok(path),
        _ => Err(format!("no {name} yet")),
    }
}

#[tokio::test]
async fn two_chat_clients_in_one_page_get_a_lane_each() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = chat(&page, &relay.url).await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// The chat practice project from one page: two connections to the chat
/// room; a line sent on the second reaches the first through the server.
async fn chat(page: &Page<'_>, url: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    page.choose("select#target-preset", "tcp-chat").await?;
    page.click("button#connect").await?;
    page.wait_text_is("#socket-state", "connected").await?;
    page.wait_text_is("button#connect", "Connect another")
        .await?;
    page.click("button#connect").await?;
    page.wait("two open connections to pick from", async || {
        let options = page.texts("select#connection-pick option").await?;
        if options.len() == 2 && options.iter().all(|o| o.ends_with("· connected")) {
            Ok(())
        } else {
            Err(format!("{options:?}"))
        }
    })
    .await?;
    page.wait_text_is("#socket-state", "connected").await?;
    // The second client speaks; the first hears it through the room.
    page.choose("select#line-ending", "lf").await?;
    page.type_into("input#message", "hi from two").await?;
    page.click("button#send").await?;
    page.choose("select#connection-pick", "1").await?;
    page.wait_text_contains("#received", "hi from two").await?;

    let lanes = page
        .attributes("svg#sequence g.lane", "data-lane-name")
        .await?;
    let clients: Vec<&String> = lanes
        .iter()
        .filter(|l| l.starts_with("Client 127.0.0.1:"))
        .collect();
    check(
        clients.len() == 2 && clients[0].ends_with("(#1)") && clients[1].ends_with("(#2)"),
        format!("a Client lane per chat connection: {lanes:?}"),
    )?;
    // The line leaves from client #2 and arrives at client #1.
    page.click("button#zoom-whole").await?;
    let from = page
        .attributes("svg#sequence g.row", "data-from-lane")
        .await?;
    let to = page
        .attributes("svg#sequence g.row", "data-to-lane")
        .await?;
    let labels = page.attributes("svg#sequence g.row", "data-label").await?;
    let said = |lane: &str, towards: bool| {
        labels
            .iter()
            .zip(from.iter().zip(&to))
            .any(|(label, (f, t))| {
                // Long labels are cut: `"[127.0.0.1:42038] hi fro…" (30 B)`.
                label.contains("hi fro") && if towards { f == lane } else { t == lane }
            })
    };
    check(
        said(clients[1], true) && said(clients[0], false),
        format!("the line goes client #2 → server → client #1: {labels:?} {from:?} {to:?}"),
    )?;
    page.screenshot_of(
        "section.diagram",
        &support::target_dir().join("e2e/diagram-chat.png"),
    )
    .await?;

    // A pause of more than a second with nothing under way is one labelled
    // band on the real-time scale.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    page.type_into("input#message", "back again").await?;
    page.click("button#send").await?;
    page.choose("select#connection-pick", "2").await?;
    page.wait_text_contains("#received", "back again").await?;
    page.click("button#scale-time").await?;
    page.click("button#zoom-whole").await?;
    page.wait_text_contains("svg#sequence g.idle-break", " s idle")
        .await?;
    // A slow step of the test itself may add a break of its own, and the
    // pause runs longer under load: one band of at least the pause is
    // what the page must show.
    let breaks = page.texts("svg#sequence g.idle-break").await?;
    let seconds = |text: &str| -> Option<f64> {
        text.trim_matches(|c: char| c == '⋯' || c.is_whitespace())
            .strip_suffix(" s idle")?
            .parse()
            .ok()
    };
    check(
        breaks
            .iter()
            .any(|b| seconds(b).is_some_and(|s| (1.4..10.0).contains(&s))),
        format!("a band for the pause of a second and a half: {breaks:?}"),
    )?;
    page.screenshot_of(
        "section.diagram",
        &support::target_dir().join("e2e/diagram-idle.png"),
    )
    .await
}

fn check(ok: bool, why: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why) }
}

fn need(rows: &[Row], what: &str, found: impl Fn(&Row) -> bool) -> Result<(), String> {
    check(rows.iter().any(found), format!("missing {what}"))
}
