//! End-to-end: every lesson of the Learn course in headless Chromium with
//! the real relay. Each test opens the lesson's address (the relay's
//! single-page fallback serves it), answers each prediction, presses each
//! "Do this" button and waits for its check to turn green, then saves a
//! screenshot to `target/e2e/lessons/`. A last test follows every link of
//! the contents and every "next" and "previous".

mod support;

use std::time::Duration;

use roundtrip_shared::learn::codegen;
use roundtrip_shared::learn::{LESSONS, Lesson, href};
use support::{Browser, Page, Relay};
use tokio::io::{AsyncBufReadExt, BufReader};

async fn run_lesson(slug: &str) {
    run_lesson_with(slug, || async {}).await;
}

/// [`run_lesson`], after `before` (which starts what the learner would).
async fn run_lesson_with<F: Future<Output = T>, T>(slug: &str, before: impl FnOnce() -> F) {
    run_lesson_saying(slug, before, &[]).await;
}

/// [`run_lesson_with`]; then the sequence diagram (its text for screen
/// readers, every step of it) says each of `says`, as the lesson's text
/// tells the learner it will.
async fn run_lesson_saying<F: Future<Output = T>, T>(
    slug: &str,
    before: impl FnOnce() -> F,
    says: &[&str],
) {
    let lesson: &Lesson = LESSONS
        .iter()
        .find(|l| l.slug == slug)
        .unwrap_or_else(|| panic!("no lesson {slug}"));
    let relay = Relay::start().await;
    let _started = before().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        do_every_step(&page, &relay.url, lesson).await?;
        let diagram = page
            .run(
                "const e = document.getElementById('sequence-text'); return e ? e.textContent : ''",
                vec![],
            )
            .await?;
        let diagram = diagram.as_str().unwrap_or_default();
        match says.iter().find(|s| !diagram.contains(*s)) {
            Some(missing) => Err(format!("the diagram never says {missing:?}:\n{diagram}")),
            None => Ok(()),
        }
    }
    .await;
    let shot = async {
        page.scroll_to(".do-this").await?;
        page.screenshot(
            &support::target_dir()
                .join("e2e/lessons")
                .join(format!("{slug}.png")),
        )
        .await
    }
    .await;
    browser.close().await;
    outcome
        .and(shot)
        .unwrap_or_else(|e| panic!("lesson {slug}: {e}"));
}

async fn do_every_step(page: &Page<'_>, url: &str, lesson: &Lesson) -> Result<(), String> {
    do_every_step_then(page, url, lesson, async |_| Ok(())).await
}

/// [`do_every_step`], calling `after` with each step's index once its
/// check is green (and its prediction answered).
async fn do_every_step_then(
    page: &Page<'_>,
    url: &str,
    lesson: &Lesson,
    mut after: impl AsyncFnMut(usize) -> Result<(), String>,
) -> Result<(), String> {
    page.open(&format!("{url}{}", href(lesson))).await?;
    page.wait_text_is("#lesson-title", lesson.title).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    for (i, step) in lesson.steps.iter().enumerate() {
        let check = format!("#check-{i}");
        if page.attributes(&check, "data-passed").await? != ["false"] {
            return Err(format!("{check} is green before its step ran"));
        }
        if let Some(predict) = step.predict {
            // The button waits for an answer.
            page.wait_disabled(&format!("#do-{i}")).await?;
            let right = predict
                .choices
                .iter()
                .position(|c| c.shows == Some(step.check))
                .expect("the step's own check is a choice");
            page.click(&format!("#predict-{i}-{right}")).await?;
        }
        page.click(&format!("#do-{i}")).await?;
        page.wait(&format!("{check} to turn green"), async || {
            match page.attributes(&check, "data-passed").await?.as_slice() {
                [passed] if passed == "true" => Ok(()),
                other => Err(format!("{check} data-passed={other:?}")),
            }
        })
        .await?;
        if step.predict.is_some() {
            page.wait_text_contains(&format!("#predict-result-{i}"), "agrees")
                .await?;
        }
        after(i).await?;
    }
    page.wait_text_contains("#lesson-done", "done").await?;
    // The code beside it names the lab service's real port, not a lab name.
    let code = page.text("#code").await?;
    if code.contains("lab.test") || !code.contains("127.0.0.1") && !code.contains("::1") {
        return Err(format!("the code does not name a real address:\n{code}"));
    }
    Ok(())
}

#[tokio::test]
async fn lesson_what_is_networking() {
    run_lesson("what-is-networking").await;
}

#[tokio::test]
async fn lesson_ip_addresses() {
    run_lesson("ip-addresses").await;
}

#[tokio::test]
async fn lesson_ports() {
    run_lesson("ports").await;
}

#[tokio::test]
async fn lesson_sockets() {
    run_lesson("sockets").await;
}

#[tokio::test]
async fn lesson_tcp_vs_udp() {
    run_lesson("tcp-vs-udp").await;
}

/// Lesson 6: the page listens, then is its own client twice; the diagram
/// says what the text points at (each client joined to its accepted
/// connection), and the endpoints list shows each connection from both of
/// its ends.
#[tokio::test]
async fn lesson_client_server() {
    run_lesson_saying(
        "client-server",
        || async {},
        &[
            "bound 127.0.0.1:",
            "listening on 127.0.0.1:",
            "accepted as conn #1",
            "accepted as conn #2",
            "accept() returns: two ends of one TCP connection",
        ],
    )
    .await;
    // The two ends of one connection, as the endpoints list shows them.
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome: Result<(), String> = async {
        page.open(&format!("{}/learn/client-server", relay.url))
            .await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.click("#predict-0-0").await?;
        page.click("#do-0").await?;
        page.wait_text_contains("#check-0", "✓").await?;
        page.click("#predict-1-0").await?;
        page.click("#do-1").await?;
        page.wait_text_contains("#check-1", "✓").await?;
        let rows = page.texts("#endpoints li").await?;
        let ends: Vec<(String, String, String)> = rows
            .iter()
            .filter_map(|row| {
                let (who, pair) = row.split_once(": ")?;
                let (local, remote) = pair.split_once(" ↔ ")?;
                Some((who.to_owned(), local.to_owned(), remote.to_owned()))
            })
            .collect();
        let conn = ends
            .iter()
            .find(|(who, ..)| who == "conn #1")
            .ok_or(format!("no conn #1 in {rows:?}"))?;
        let client = ends
            .iter()
            .find(|(who, local, remote)| {
                who.starts_with("op ") && *local == conn.2 && *remote == conn.1
            })
            .ok_or(format!("no client whose ends mirror conn #1 in {rows:?}"))?;
        if client.1 == client.2 {
            return Err(format!("one endpoint twice: {client:?}"));
        }
        Ok(())
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn lesson_socket_lifecycle() {
    run_lesson("socket-lifecycle").await;
}

#[tokio::test]
async fn lesson_stream_messages() {
    run_lesson("stream-messages").await;
}

#[tokio::test]
async fn lesson_udp_echo() {
    run_lesson("udp-echo").await;
}

#[tokio::test]
async fn lesson_http_anatomy() {
    run_lesson("http-anatomy").await;
}

#[tokio::test]
async fn lesson_http_methods() {
    run_lesson("http-methods").await;
}

#[tokio::test]
async fn lesson_status_codes() {
    run_lesson("status-codes").await;
}

/// Lesson 14: its last step's timeout shows as the red failure the text
/// describes, and no response head for `/delay/5`.
#[tokio::test]
async fn lesson_http_client_library() {
    run_lesson_saying(
        "http-client-library",
        || async {},
        &["failed: timed out", "503 Service Unavailable"],
    )
    .await;
}

/// The DNS lesson: the arrows and notes its text points at.
/// Lesson 15: every check green; then the payload inspector, filled in
/// with the lesson's keys, says in plain words what each broken body is,
/// as the predictions and the mistake box say; and the diagram shows the
/// last step's refusal as the text describes it.
#[tokio::test]
async fn lesson_json_responses() {
    let slug = "json-responses";
    let lesson: &Lesson = LESSONS.iter().find(|l| l.slug == slug).expect("lesson 15");
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        do_every_step(&page, &relay.url, lesson).await?;
        let diagram = page
            .run(
                "const e = document.getElementById('sequence-text'); return e ? e.textContent : ''",
                vec![],
            )
            .await?;
        let diagram = diagram.as_str().unwrap_or_default();
        if !diagram.contains("failed: body too large") {
            return Err(format!(
                "the diagram never says the body was too large:\n{diagram}"
            ));
        }
        // Each body again, newest first in the inspector: what it says.
        for (button, says) in [
            ("#do-0", "✓ temp is a number"),
            ("#do-1", "✗ temp missing"),
            (
                "#do-2",
                "✗ temp cannot be read: the document should be an object, got an array",
            ),
            ("#show-mistake", "✗ temp should be a number, got a string"),
        ] {
            page.click(button).await?;
            page.wait(&format!("the inspector to say {says:?}"), async || {
                let checks = page.texts("#inspector-key-checks li").await?;
                if checks.iter().any(|c| c == says) {
                    Ok(())
                } else {
                    Err(format!("checks: {checks:?}"))
                }
            })
            .await?;
        }
        // The keys field shows with a body that came in.
        let keys = page
            .run(
                "return document.getElementById('inspector-keys').value",
                vec![],
            )
            .await?;
        if keys != "city:string temp:number" {
            return Err("the inspector is not filled in with the lesson's keys".into());
        }
        page.click("#do-3").await?;
        page.wait_text_contains("#inspector-not-json", "expected value at line 1 column 1")
            .await?;
        page.wait_text_contains("#inspector-text", "<html><body>")
            .await?;
        Ok::<(), String>(())
    }
    .await;
    let shot = async {
        page.scroll_to(".inspector").await?;
        page.screenshot(
            &support::target_dir()
                .join("e2e/lessons")
                .join(format!("{slug}.png")),
        )
        .await
    }
    .await;
    browser.close().await;
    outcome
        .and(shot)
        .unwrap_or_else(|e| panic!("lesson {slug}: {e}"));
}

#[tokio::test]
async fn lesson_dns() {
    run_lesson_saying(
        "dns",
        || async {},
        &[
            "query A ",
            "referral to ",
            "query MX ",
            "resolve www.lab.test",
        ],
    )
    .await;
}

/// Designing for failure: the attempts, waits and the giving up the text
/// points at, against the lab's `/flaky` with a fresh key per run.
#[tokio::test]
async fn lesson_designing_for_failure() {
    run_lesson_saying(
        "designing-for-failure",
        || async {},
        &[
            "attempt 1 of 4",
            "500: wait",
            "503: wait",
            "gave up after 3 attempts",
            "timed out: wait",
        ],
    )
    .await;
}

/// HTTPS and TLS: what the text says the learner sees. Over plain HTTP
/// the inspector shows the exchange as it crossed, token and all; over
/// HTTPS the eavesdropper's table holds only TLS records (a ClientHello,
/// application data, never the token) beside the decrypted request that
/// does hold it; the diagram shows the handshake, and each broken
/// certificate fails in its own words.
#[tokio::test]
async fn lesson_https_tls() {
    let lesson: &Lesson = LESSONS.iter().find(|l| l.slug == "https-tls").unwrap();
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let token = "Authorization: Bearer learner-token";
    let outcome = async {
        do_every_step_then(&page, &relay.url, lesson, async |i| match i {
            0 => {
                page.wait_text_contains("#inspector-http .sub", "HTTP exchange (")
                    .await?;
                page.wait_text_contains("#inspector-http-request", token)
                    .await?;
                match page.texts("#inspector-tls-records").await?.as_slice() {
                    [] => Ok(()),
                    records => Err(format!("TLS records on plain HTTP: {records:?}")),
                }
            }
            1 => {
                page.wait_text_contains("#inspector-http .sub", "HTTPS exchange (")
                    .await?;
                page.wait("the TLS records of the exchange", async || {
                    let kinds = page.texts("#inspector-tls-records .record-type").await?;
                    if kinds.iter().any(|k| k == "handshake")
                        && kinds.iter().any(|k| k == "application_data")
                    {
                        Ok(())
                    } else {
                        Err(format!("records: {kinds:?}"))
                    }
                })
                .await?;
                page.wait_text_contains("#inspector-tls-records", "ClientHello")
                    .await?;
                // The eavesdropper's side names the SNI, and the decrypted
                // side holds the token the wire does not.
                page.wait_text_contains(".eavesdrop-wire", "SNI").await?;
                page.wait_text_contains(".eavesdrop-plain #inspector-http-request", token)
                    .await?;
                let wire = page.text(".eavesdrop-wire").await?;
                if wire.contains("learner-token") {
                    return Err(format!("the token is readable on the wire:\n{wire}"));
                }
                Ok(())
            }
            _ => Ok(()),
        })
        .await?;
        let diagram = page
            .run(
                "const e = document.getElementById('sequence-text'); return e ? e.textContent : ''",
                vec![],
            )
            .await?;
        let diagram = diagram.as_str().unwrap_or_default();
        let says = [
            "TLS 1.3",
            "failed: certificate for another name",
            "failed: certificate from an unknown CA",
            "failed: certificate expired",
        ];
        match says.iter().find(|s| !diagram.contains(*s)) {
            Some(missing) => Err(format!("the diagram never says {missing:?}:\n{diagram}")),
            None => Ok(()),
        }
    }
    .await;
    let shot = async {
        page.scroll_to(".do-this").await?;
        page.screenshot(&support::target_dir().join("e2e/lessons/https-tls.png"))
            .await
    }
    .await;
    browser.close().await;
    outcome
        .and(shot)
        .unwrap_or_else(|e| panic!("lesson https-tls: {e}"));
}

/// Common mistakes: each step's mistake shows in the diagram as the text
/// says (the slow reader's 200-byte pieces, the timeout, the FIN each
/// way); the long link's delay is its step's own check.
#[tokio::test]
async fn lesson_common_mistakes() {
    run_lesson_saying(
        "common-mistakes",
        || async {},
        &["(200 B)", "failed: timed out", "FIN (shutdown)", "FIN  @"],
    )
    .await;
}

/// Practice project 2: every endpoint asked in turn, the timeout in red,
/// and the waterfall the text points at: a row per request, and the
/// second `/delay/1` takes spent in `wait`.
#[tokio::test]
async fn lesson_health_checker() {
    run_lesson_saying(
        "health-checker",
        || async {},
        &[
            "GET http://www.lab.test:80/json",
            "GET http://www.lab.test:80/delay/1",
            "502 Bad Gateway",
            "failed: timed out",
        ],
    )
    .await;
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome: Result<(), String> = async {
        page.open(&format!("{}/learn/health-checker", relay.url))
            .await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.click("#do-0").await?;
        page.wait_text_contains("#check-0", "✓").await?;
        let rows = page
            .run(
                "return [...document.querySelectorAll('#waterfall .wf-row[data-op]')].map(r => \
                 [r.querySelector('.wf-name').textContent, \
                 [...r.querySelectorAll('.wf-phase')].map(p => p.textContent)])",
                vec![],
            )
            .await?;
        let rows: Vec<(String, Vec<String>)> =
            serde_json::from_value(rows).map_err(|e| e.to_string())?;
        if rows.len() < 3 {
            return Err(format!("the waterfall has a row per request: {rows:?}"));
        }
        let (_, phases) = rows
            .iter()
            .find(|(name, _)| name.contains("/delay/1"))
            .ok_or(format!("no /delay/1 row in {rows:?}"))?;
        let ms = |phase: &str| -> Option<f64> {
            phases.iter().find_map(|p| {
                p.strip_prefix(&format!("{phase} "))?
                    .strip_suffix(" ms")?
                    .parse()
                    .ok()
            })
        };
        match ms("wait") {
            Some(wait) if wait >= 1000.0 => {}
            other => return Err(format!("/delay/1 waited {other:?} ms: {phases:?}")),
        }
        for phase in ["DNS", "connect"] {
            if ms(phase).is_none() {
                return Err(format!("no {phase} phase timed for /delay/1: {phases:?}"));
            }
        }
        Ok(())
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Async I/O: the requests each step sends to the concurrency lab, and
/// the answers, as the diagram draws them.
#[tokio::test]
async fn lesson_async_io() {
    run_lesson_saying(
        "async-io",
        || async {},
        &[
            "send \"hello\\n\"",
            "tcp-slow-async: answered",
            "tcp-slow-serial: answere",
        ],
    )
    .await;
}

/// Lesson 8 as the learner does it: `server.py` from the code beside the
/// lesson, run with `python3` on the relay's machine, on its fixed port.
#[tokio::test]
async fn lesson_echo_client_server() {
    run_lesson_with("echo-client-server", || async {
        let dir = support::target_dir().join("e2e/own-server");
        std::fs::create_dir_all(&dir).expect("a folder for server.py");
        let file = dir.join("server.py");
        std::fs::write(&file, codegen::tcp_server_python(codegen::SERVER_PORT))
            .expect("write server.py");
        let mut server = tokio::process::Command::new("python3")
            .arg("-u")
            .arg(&file)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 server.py");
        let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        assert!(
            matches!(&first, Ok(Ok(Some(line))) if line.contains("listening on")),
            "server.py did not start listening on port {} (is it taken?): {first:?}",
            codegen::SERVER_PORT
        );
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        server
    })
    .await;
}

#[tokio::test]
async fn every_lesson_link_next_and_previous_resolves_and_progress_is_kept() {
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome: Result<(), String> = async {
        let url = &relay.url;
        page.open(&format!("{url}/learn")).await?;
        page.wait_text_contains("#learn-progress", "0 of").await?;
        let links = page.attributes(".lesson-list a", "href").await?;
        let expected: Vec<String> = LESSONS.iter().map(href).collect();
        if links != expected {
            return Err(format!("contents links {links:?}, want {expected:?}"));
        }
        for (i, lesson) in LESSONS.iter().enumerate() {
            page.open(&format!("{url}{}", href(lesson))).await?;
            page.wait_text_is("#lesson-title", lesson.title).await?;
            let next = page.attributes("#next", "href").await?;
            let want = LESSONS.get(i + 1).map_or("/learn".to_owned(), href);
            if next != [want.clone()] {
                return Err(format!("{}: next is {next:?}, want {want}", lesson.slug));
            }
            let previous = page.attributes("#previous", "href").await?;
            let want: Vec<String> = i
                .checked_sub(1)
                .map(|p| href(&LESSONS[p]))
                .into_iter()
                .collect();
            if previous != want {
                return Err(format!(
                    "{}: previous is {previous:?}, want {want:?}",
                    lesson.slug
                ));
            }
            // Following "next" lands on a page that knows the lesson.
            page.click("#next").await?;
            match LESSONS.get(i + 1) {
                Some(next) => page.wait_text_is("#lesson-title", next.title).await?,
                None => {
                    page.wait_text_contains("#learn-progress", "lessons done")
                        .await?
                }
            };
        }
        page.open(&format!("{url}/learn/no-such-lesson")).await?;
        page.wait_text_contains("h1", "No such lesson").await?;
        // The front door offers the course on a first visit, and goes
        // away for good once the learner picks the playground.
        page.open(url).await?;
        page.wait_text_contains("#front-door-start", "Start the course")
            .await?;
        page.click("#front-door-playground").await?;
        page.open(url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        if !page.texts("#front-door").await?.is_empty() {
            return Err("the front door came back after it was dismissed".into());
        }
        Ok(())
    }
    .await;
    browser.close().await;
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

/// Security practice: every step green against the real lab; the diagram
/// shows the token in the URL, the input refused with a 400 and the 429
/// waited out, as the text says.
#[tokio::test]
async fn lesson_security_practice() {
    let lesson: &Lesson = LESSONS
        .iter()
        .find(|l| l.slug == "security-practice")
        .expect("the lesson");
    let relay = Relay::start().await;
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = async {
        do_every_step(&page, &relay.url, lesson).await?;
        let text = |script: &'static str| async {
            let value = page.run(script, vec![]).await?;
            Ok::<_, String>(value.as_str().unwrap_or_default().to_owned())
        };
        let diagram = text(
            "const e = document.getElementById('sequence-text'); return e ? e.textContent : ''",
        )
        .await?;
        for said in ["/get?token=learner-token", "400 Bad Request", "429: wait"] {
            if !diagram.contains(said) {
                return Err(format!("the diagram never says {said:?}:\n{diagram}"));
            }
        }
        Ok(())
    }
    .await;
    let shot = async {
        page.scroll_to(".do-this").await?;
        page.screenshot(
            &support::target_dir()
                .join("e2e/lessons")
                .join("security-practice.png"),
        )
        .await
    }
    .await;
    browser.close().await;
    outcome
        .and(shot)
        .unwrap_or_else(|e| panic!("lesson security-practice: {e}"));
}
