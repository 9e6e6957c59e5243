//! End-to-end: a Python program runs in the page (Pyodide in a worker) and
//! its socket calls go through the real relay, drawn like the panels'
//! operations. Headless Chromium, loopback only.

mod support;

use std::time::Duration;

use support::{Browser, Page, Relay};

/// Starting Python fetches 13 MB from the relay and starts CPython: on a
/// busy 2-core machine that takes well over the usual wait.
const PYTHON: Duration = Duration::from_secs(120);

/// One test's relay and browser: runs `body` with the page, saves
/// `target/e2e/{shot}.png` whatever happened, closes the browser, and
/// fails with what `body` saw.
async fn in_a_page(shot: &str, body: impl AsyncFnOnce(&Relay, &Page<'_>) -> Result<(), String>) {
    on_a_relay(Relay::start().await, shot, body).await;
}

/// As [`in_a_page`], on a relay started with options of its own.
async fn on_a_relay(
    relay: Relay,
    shot: &str,
    body: impl AsyncFnOnce(&Relay, &Page<'_>) -> Result<(), String>,
) {
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let outcome = body(&relay, &page).await;
    let shot = page
        .screenshot(&support::target_dir().join(format!("e2e/{shot}.png")))
        .await;
    browser.close().await;
    outcome.and(shot).unwrap_or_else(|e| panic!("{e}"));
}

async fn output_contains(page: &Page<'_>, needle: &str) -> Result<String, String> {
    page.wait_for(
        PYTHON,
        &format!("the program's output to contain {needle:?}"),
        async || {
            let text = page.text("#code-output").await?;
            if text.contains(needle) {
                Ok(text)
            } else {
                Err(format!(
                    "output so far: {text:?}; status: {:?}",
                    page.text("#code-status").await
                ))
            }
        },
    )
    .await
}

#[tokio::test]
async fn a_python_echo_client_runs_in_the_page_through_the_relay() {
    in_a_page("python-echo", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // The page's first load does not fetch Python.
        let fetched = page.fetched().await?;
        if let Some(path) = fetched.iter().find(|p| p.contains("pyodide")) {
            return Err(format!("the first load fetched {path}"));
        }
        page.click("button#code-run").await?;
        let output = output_contains(page, "closed").await?;
        if !output.contains("received: Hello, network!") {
            return Err(format!("the echo did not come back: {output:?}"));
        }
        if !output.contains("connected from ('127.0.0.1',") {
            return Err(format!("getsockname shows the relay's end: {output:?}"));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        // The program's connection is drawn like a panel's: connect, the
        // data both ways, the close.
        page.wait_rows("the program's connection in the diagram", |rows| {
            let has = |label: &str| rows.iter().any(|r| r.label.contains(label));
            if has("connect echo.lab.test:7") && has("FIN") {
                Ok(())
            } else {
                Err(format!("rows: {}", support::describe(rows)))
            }
        })
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn errors_are_the_exceptions_cpython_raises_and_stop_ends_a_busy_program() {
    in_a_page("python-errors", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.choose("select#code-example", "1").await?;
        page.click("button#code-run").await?;
        output_contains(page, "refused: [Errno 111] Connection refused").await?;

        // An uncaught exception ends the program with its traceback, naming
        // the learner's line.
        page.set_value(
            "textarea#code-text",
            "import socket\n\nsocket.create_connection(('nosuch.lab.test', 80))\n",
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "gaierror").await?;
        if !output.contains("line 3") {
            return Err(format!("the traceback names line 3: {output:?}"));
        }

        // Another process cannot run in a browser: the program is told so
        // at its line, at once.
        page.set_value(
            "textarea#code-text",
            "import subprocess\n\nsubprocess.run(['ls'])\n",
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "cannot start another process").await?;
        if !(output.contains("line 3") && output.contains("(subprocess)")) {
            return Err(format!("the refusal names the line and the call: {output:?}"));
        }

        // A busy loop holding a connection: Stop ends it at once and the
        // relay closes its socket.
        page.set_value(
            "textarea#code-text",
            "import socket\nsock = socket.create_connection(('echo.lab.test', 7))\nprint('looping', flush=True)\nwhile True:\n    pass\n",
        )
        .await?;
        page.click("button#code-run").await?;
        output_contains(page, "looping").await?;
        page.click("button#code-stop").await?;
        page.wait_text_is("#code-status", "Stopped; its sockets were closed").await?;
        page.wait_rows("the stopped program's connection closed", |rows| {
            if rows.iter().any(|r| r.label.contains("FIN (close)") || r.label.contains("close")) {
                Ok(())
            } else {
                Err(format!("rows: {}", support::describe(rows)))
            }
        })
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_server_program_and_a_client_program_talk_through_the_relay() {
    in_a_page("python-server-client", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // "TCP echo server + client": two programs, server.py first.
        page.choose("select#code-example", "3").await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "listening on ('127.0.0.1', 8080)").await?;
        // The console says where the relay really listens for port 8080.
        if !output.contains("# your 127.0.0.1:8080 is the relay's 127.0.0.1:") {
            return Err(format!("the port mapping is not shown: {output:?}"));
        }
        // The client, in the second tab, connects to 127.0.0.1:8080 and
        // gets its bytes back from the server program.
        page.click("button#code-file-1").await?;
        page.wait_text_is("#code-status", "Run server.py first, then this one")
            .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "received: Hello, server!").await?;
        if !output.contains("127.0.0.1:8080 is where a program in this page listens") {
            return Err(format!(
                "the client's console explains the port: {output:?}"
            ));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        // Each program has a lane of its own in the diagram, and a step a
        // program made names its file and line when hovered.
        let lanes = page.texts("svg#sequence g.lane text.lane-subtitle").await?;
        if !(lanes.iter().any(|l| l == "server.py") && lanes.iter().any(|l| l == "client.py")) {
            return Err(format!("each program has its lane: {lanes:?}"));
        }
        page.wait(
            "the client's and server's steps name their lines",
            async || {
                let titles = page.texts("svg#sequence g.row > title").await?;
                let made_by = |program: &str| {
                    titles
                        .iter()
                        .any(|t| t.contains(&format!("made by {program}, line ")))
                };
                if made_by("client.py") && made_by("server.py") {
                    Ok(())
                } else {
                    Err(format!("titles: {titles:#?}"))
                }
            },
        )
        .await?;
        // The lifecycle of the client's socket: each call with its line.
        page.click("button#lifecycle-tab").await?;
        page.wait_text_is("#socket-state", "closed").await?;
        for (call, line) in [("connect()", 8), ("send()", 9), ("recv()", 10)] {
            page.wait_text_is(
                &format!("#socket-calls li[data-call='{call}'] .call-lines"),
                &format!("· line {line}"),
            )
            .await?;
        }
        page.click("button#sequence-tab").await?;
        // The server saw the connection and its end, and still runs.
        page.click("button#code-file-0").await?;
        output_contains(page, "closed ('127.0.0.1',").await?;
        page.wait_text_is("#code-status", "Running").await?;
        // Stop closes the listener too: the relay reports it closed.
        page.click("button#code-stop").await?;
        page.wait_text_is("#code-status", "Stopped; its sockets were closed")
            .await?;
        page.wait_rows(
            "the server's listener and connection in the diagram",
            |rows| {
                let has = |label: &str| rows.iter().any(|r| r.label.contains(label));
                // The diagram draws the newest rows: the listener's last
                // one, and the connection it accepted.
                if has("stopped listening") && has("accepted as") {
                    Ok(())
                } else {
                    Err(format!("rows: {}", support::describe(rows)))
                }
            },
        )
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn udp_echo_a_receive_timeout_and_a_name_lookup_run_through_the_relay() {
    in_a_page("python-udp-dns", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // "UDP echo" against the lab's udp-echo (echo.lab.test:7).
        page.choose("select#code-example", "4").await?;
        page.click("button#code-run").await?;
        output_contains(page, "received: Hello, UDP!").await?;
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;

        // Nothing sends to this socket: recvfrom's timeout raises
        // TimeoutError, as CPython's does.
        page.set_value(
            "textarea#code-text",
            "import socket\nsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nsock.bind(('127.0.0.1', 9999))\nsock.settimeout(1)\ntry:\n    sock.recvfrom(1024)\nexcept TimeoutError as error:\n    print('raised', type(error).__name__, error)\nsock.close()\n",
        )
        .await?;
        page.click("button#code-run").await?;
        output_contains(page, "raised TimeoutError timed out").await?;

        // A lookup through the relay's DNS, and a name that does not
        // resolve.
        page.choose("select#code-example", "5").await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "nosuch.lab.test does not resolve").await?;
        if !output.contains("echo.lab.test is 127.0.0.1") {
            return Err(format!("echo.lab.test resolves to 127.0.0.1: {output:?}"));
        }
        if !output.contains("[Errno -2] Name or service not known") {
            return Err(format!("the gaierror is CPython's: {output:?}"));
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn requests_in_a_program_gets_json_times_out_and_raises_for_status() {
    in_a_page("python-requests", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // "HTTP with requests": a GET of the lab's JSON, a timeout against
        // /delay/3, and raise_for_status() on a 404.
        page.choose("select#code-example", "6").await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "HTTP error:").await?;
        for line in [
            "200 OK",
            "content type: application/json",
            "title: Roundtrip sample",
            // requests.exceptions.Timeout caught: the read timed out (the
            // connection was made, the answer did not come in 1 s).
            "gave up: ReadTimeout",
            "HTTP error: 404 Client Error: Not Found for url: http://www.lab.test/status/404",
        ] {
            if !output.contains(line) {
                return Err(format!("no {line:?} in the output: {output:?}"));
            }
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        // Each request is an HTTP operation of the page's session, drawn
        // in the waterfall with its status.
        page.click("button#timing-tab").await?;
        page.wait("the program's requests in the waterfall", async || {
            let statuses = page.texts("#waterfall .wf-status").await?;
            if statuses.iter().any(|s| s == "200 OK")
                && statuses.iter().any(|s| s == "404 Not Found")
            {
                Ok(())
            } else {
                Err(format!("statuses: {statuses:?}"))
            }
        })
        .await?;
        let phases = page.texts("#waterfall .wf-row[data-op] .wf-phase").await?;
        for wanted in ["connect ", "wait "] {
            if !phases.iter().any(|p| p.starts_with(wanted)) {
                return Err(format!("no {wanted}phase among {phases:?}"));
            }
        }

        // POST JSON with a header, Basic auth, redirects, a refusal: what
        // the lab echoes is what the program sent.
        page.set_value(
            "textarea#code-text",
            r#"import requests

r = requests.post("http://www.lab.test/post", json={"course": "net101"},
                  headers={"X-Course": "net101"}, timeout=5)
echo = r.json()
print("sent json:", echo["json"])
print("content-type:", echo["headers"]["content-type"])
print("x-course:", echo["headers"]["x-course"])
r = requests.get("http://www.lab.test/basic-auth/ada/secret", auth=("ada", "secret"), timeout=5)
print("auth:", r.status_code, r.json()["user"])
r = requests.get("http://www.lab.test/redirect/2", timeout=5)
print("redirects:", [h.status_code for h in r.history], r.url)
try:
    requests.get("http://127.0.0.1:1/", timeout=5)
except requests.exceptions.ConnectionError as error:
    print("refused:", type(error.__cause__).__name__)
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "refused:").await?;
        for line in [
            "sent json: {'course': 'net101'}",
            "content-type: application/json",
            "x-course: net101",
            "auth: 200 ada",
            "redirects: [302, 302] http://www.lab.test/get",
            "refused: ConnectionRefusedError",
        ] {
            if !output.contains(line) {
                return Err(format!("no {line:?} in the output: {output:?}"));
            }
        }
        Ok(())
    })
    .await;
}

/// The editor colours the program as an editor would, and keeps the
/// learner's edits in the browser: a reload brings them back, and
/// "Restore the example" gives the example as it ships.
#[tokio::test]
async fn the_editor_colours_the_program_and_keeps_edits_across_a_reload() {
    in_a_page("python-editor", async |relay, page| {
        let value = async || -> Result<String, String> {
            let value = page
                .run("return document.querySelector('#code-text').value", vec![])
                .await?;
            Ok(value.as_str().unwrap_or_default().to_owned())
        };
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        let shipped = value().await?;
        if !shipped.starts_with("import socket\n") {
            return Err(format!("the first example is not shown: {shipped:?}"));
        }
        // The layer under the editor holds the same text, coloured.
        let layer = page.text(".code-highlight").await?;
        if layer.trim_end() != shipped.trim_end() {
            return Err(format!("the coloured layer differs: {layer:?}"));
        }
        let keywords = page.texts(".code-highlight .tok-keyword").await?;
        let strings = page.texts(".code-highlight .tok-string").await?;
        let comments = page.texts(".code-highlight .tok-comment").await?;
        if !(keywords.iter().any(|k| k == "import")
            && keywords.iter().any(|k| k == "with")
            && strings.iter().any(|s| s == "\"echo.lab.test\"")
            && comments.iter().any(|c| c.starts_with("# the relay")))
        {
            return Err(format!(
                "keywords {keywords:?}, strings {strings:?}, comments {comments:?}"
            ));
        }
        let edited = "import socket\nprint('kept across a reload')\n";
        page.set_value("textarea#code-text", edited).await?;
        page.wait_text_contains(".code-kept", "kept in this browser")
            .await?;
        // A reload: the edit is back, coloured.
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.wait("the edit after a reload", async || {
            let now = value().await?;
            if now == edited {
                Ok(())
            } else {
                Err(format!("the editor holds {now:?}"))
            }
        })
        .await?;
        let strings = page.texts(".code-highlight .tok-string").await?;
        if strings != ["'kept across a reload'"] {
            return Err(format!("strings after the reload: {strings:?}"));
        }
        // Restore: the example as it ships, and nothing kept.
        page.click("button#code-restore").await?;
        page.wait("the example as it ships", async || {
            let now = value().await?;
            if now == shipped {
                Ok(())
            } else {
                Err(format!("the editor holds {now:?}"))
            }
        })
        .await?;
        if !page.texts(".code-kept").await?.is_empty() {
            return Err("the restored example still says it is kept".into());
        }
        Ok(())
    })
    .await;
}

/// The code beside a lesson runs in the page: "run it in the page's Python
/// tab" opens the Python tab with the lesson's programs, server first, and
/// the client gets the server's answer through the relay.
#[tokio::test]
async fn a_lessons_server_and_client_run_in_the_python_tab() {
    in_a_page("python-lesson-code", async |relay, page| {
        page.open(&format!("{}/learn/client-server", relay.url))
            .await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.click("a#run-python").await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.wait_text_contains("select#code-example", "From the link")
            .await?;
        page.wait_text_is("button#code-file-0", "1. server.py")
            .await?;
        page.click("button#code-run").await?;
        output_contains(page, "listening on 127.0.0.1:").await?;
        page.click("button#code-file-1").await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "received:").await?;
        let answer = output
            .lines()
            .find_map(|line| line.strip_prefix("received: "))
            .unwrap_or_default();
        if answer.is_empty() || answer != answer.to_uppercase() {
            return Err(format!(
                "the server's answer is not the request in capitals: {output:?}"
            ));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        Ok(())
    })
    .await;
}

/// Threads: a thread-per-client server answers a second and a third client
/// while the first keeps it waiting, as with real threads; the clients'
/// own threads run at once too. (A server that served one client at a
/// time would answer client 1 first.)
#[tokio::test]
async fn a_thread_per_client_server_does_not_keep_the_second_client_waiting() {
    in_a_page("python-threads", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.choose("select#code-example", "7").await?;
        page.wait_text_is("button#code-file-0", "1. threaded_server.py")
            .await?;
        page.click("button#code-run").await?;
        output_contains(page, "listening on ('127.0.0.1', 8080)").await?;
        page.click("button#code-file-1").await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "client 1 got").await?;
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        let at = |n: u32| {
            output
                .find(&format!("client {n} got 'HELLO FROM CLIENT {n}'"))
                .ok_or_else(|| format!("client {n}'s answer is missing: {output:?}"))
        };
        let (first, second, third) = (at(1)?, at(2)?, at(3)?);
        if !(second < first && third < first) {
            return Err(format!("clients 2 and 3 waited for client 1: {output:?}"));
        }
        // The server served all three, each in a thread of its own.
        page.click("button#code-file-0").await?;
        let served = page.text("#code-output").await?;
        if served.matches("serving ('127.0.0.1',").count() != 3 {
            return Err(format!("the server's console: {served:?}"));
        }
        Ok(())
    })
    .await;
}

/// asyncio over the relay: `start_server` serves ten clients of one
/// `gather` on one event loop, each answer taking a second, and every
/// client is being served before the first answer goes out (a server that
/// served one at a time would answer the first before reading the second).
#[tokio::test]
async fn an_asyncio_server_serves_ten_clients_of_one_event_loop_at_once() {
    in_a_page("python-asyncio", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.choose("select#code-example", "8").await?;
        page.wait_text_is("button#code-file-0", "1. async_server.py")
            .await?;
        page.click("button#code-run").await?;
        output_contains(page, "listening on ('127.0.0.1', 8080)").await?;
        page.click("button#code-file-1").await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "10 answers in").await?;
        for n in 1..=10 {
            if !output.contains(&format!("HELLO FROM CLIENT {n}\n")) {
                return Err(format!("no answer for client {n}: {output:?}"));
            }
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        page.click("button#code-file-0").await?;
        page.wait("the server's console", async || {
            let served = page.text("#code-output").await?;
            let readings: Vec<usize> = served
                .match_indices("reading from ('127.0.0.1',")
                .map(|(i, _)| i)
                .collect();
            let answers: Vec<usize> = served
                .match_indices("answered ('127.0.0.1',")
                .map(|(i, _)| i)
                .collect();
            match (readings.last(), answers.first()) {
                (Some(last), Some(first)) if readings.len() == 10 && answers.len() == 10 => {
                    if last < first {
                        Ok(())
                    } else {
                        Err(format!(
                            "the server did not serve the ten at once: {served:?}"
                        ))
                    }
                }
                _ => Err(format!("the server's console so far: {served:?}")),
            }
        })
        .await
    })
    .await;
}

/// The Python beside the lessons runs in the page as it is written: the
/// server first where the lesson has one (it starts and waits), then the
/// client, to its end. "run it in the page's Python tab" is true of each
/// (TCP and UDP with their servers, `requests` with timeouts, a retry
/// loop, a health checker, `asyncio` clients).
#[tokio::test]
async fn the_python_beside_the_lessons_runs_in_the_page() {
    in_a_page("python-lessons", async |relay, page| {
        let mut failed = Vec::new();
        for slug in [
            "what-is-networking",
            "udp-echo",
            "http-client-library",
            "health-checker",
            "async-io",
            "designing-for-failure",
        ] {
            let outcome: Result<(), String> = async {
                page.open(&format!("{}/learn/{slug}", relay.url)).await?;
                page.wait_text_is("#relay-status", "connected").await?;
                page.click("a#run-python").await?;
                page.wait_text_is("#relay-status", "connected").await?;
                page.wait_text_contains("select#code-example", "From the link")
                    .await?;
                // A lesson with a server opens it first: it starts, says where
                // it waits, and runs on while the client runs in the next tab.
                if !page.texts("button#code-file-1").await?.is_empty() {
                    page.click("button#code-run").await?;
                    page.wait_for(PYTHON, "the server to start", async || {
                        let output = page.text("#code-output").await?;
                        if output.contains("listening on")
                            || output.contains("waiting for datagrams on")
                        {
                            Ok(())
                        } else {
                            Err(output)
                        }
                    })
                    .await?;
                    page.click("button#code-file-1").await?;
                }
                page.click("button#code-run").await?;
                page.wait_for(PYTHON, "the program to end", async || {
                    let status = page.text("#code-status").await?;
                    if status.starts_with("Finished") || status.starts_with("Ended") {
                        Ok(status)
                    } else {
                        Err(status)
                    }
                })
                .await
                .and_then(|status| {
                    if status == "Finished (exit status 0)" {
                        Ok(())
                    } else {
                        Err(status)
                    }
                })
            }
            .await;
            if let Err(why) = outcome {
                let output = page.text("#code-output").await.unwrap_or_default();
                failed.push(format!("{slug}: {why}\n{output}"));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("\n---\n"))
        }
    })
    .await;
}

/// A course's retry loop against the HTTP lab's `/flaky`: the first
/// attempt is too slow for its timeout, the second fails with a 500, the
/// third succeeds; the program waits between them and says so.
#[tokio::test]
async fn a_retry_loop_rides_out_the_flaky_endpoints_failures() {
    in_a_page("python-retry", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.set_value(
            "textarea#code-text",
            r#"import time
import requests

url = "http://www.lab.test/flaky?key=course&fail=2&slow=1&delay_ms=5000"
backoff = 0.5
for attempt in range(1, 6):
    try:
        response = requests.get(url, timeout=2)
        response.raise_for_status()
    except requests.exceptions.RequestException as error:
        print(f"attempt {attempt} failed: {type(error).__name__}: {error}")
        print(f"waiting {backoff} s", flush=True)
        time.sleep(backoff)
        backoff *= 2
    else:
        print(f"attempt {attempt}: {response.status_code}, the lab counted {response.json()['attempt']}")
        break
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "attempt 3: 200, the lab counted 3").await?;
        let lines: Vec<&str> = output.lines().collect();
        let expected = [
            "attempt 1 failed: ReadTimeout: HTTPConnectionPool(host='www.lab.test', port=80): Read timed out. (read timeout=2)",
            "waiting 0.5 s",
            "attempt 2 failed: HTTPError: 500 Server Error: Internal Server Error for url: http://www.lab.test/flaky?key=course&fail=2&slow=1&delay_ms=5000",
            "waiting 1.0 s",
            "attempt 3: 200, the lab counted 3",
        ];
        if !lines.starts_with(&expected) {
            return Err(format!("the attempts, in order: {output:?}"));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        // Each attempt is a request of its own in the waterfall.
        page.click("button#timing-tab").await?;
        page.wait("the three attempts in the waterfall", async || {
            let statuses = page.texts("#waterfall .wf-status").await?;
            if statuses.iter().filter(|s| *s == "500 Internal Server Error").count() == 1
                && statuses.iter().filter(|s| *s == "200 OK").count() == 1
            {
                Ok(())
            } else {
                Err(format!("statuses: {statuses:?}"))
            }
        })
        .await
    })
    .await;
}

/// The chat lab with two programs running at once, one per tab: both join
/// the room, one says a line, the other prints it as the room passes it on.
#[tokio::test]
async fn two_programs_talk_through_the_chat_lab() {
    in_a_page("python-chat", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        // An example with two tabs, each given a chat client.
        page.choose("select#code-example", "3").await?;
        page.set_value(
            "textarea#code-text",
            r#"import socket

with socket.create_connection(("chat.lab.test", 531)) as sock:
    lines = sock.makefile("r", encoding="utf-8", newline="\n")
    print("room:", lines.readline().strip(), flush=True)
    for line in lines:
        print("room:", line.strip(), flush=True)
        if line.startswith("["):
            break
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        output_contains(page, "room: * welcome, you are 127.0.0.1:").await?;
        page.click("button#code-file-1").await?;
        page.set_value(
            "textarea#code-text",
            r#"import socket

with socket.create_connection(("chat.lab.test", 531)) as sock:
    lines = sock.makefile("r", encoding="utf-8", newline="\n")
    print("room:", lines.readline().strip(), flush=True)
    sock.sendall(b"hello from the second program\n")
    print("said hello")
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "said hello").await?;
        if !output.contains("room: * welcome, you are 127.0.0.1:")
            || !output.contains("; 1 other is here")
        {
            return Err(format!("the second program met the first: {output:?}"));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        // The first program got the line, from the second's address.
        page.click("button#code-file-0").await?;
        let output = output_contains(page, "hello from the second program").await?;
        let said = output
            .lines()
            .find(|line| line.ends_with("] hello from the second program"))
            .ok_or_else(|| format!("the line as the room passes it on: {output:?}"))?;
        if !(said.starts_with("room: [127.0.0.1:") && output.contains(" joined")) {
            return Err(format!("who said it, and who joined: {output:?}"));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        Ok(())
    })
    .await;
}

/// Stop ends a program blocked in `recv` (nothing will ever come: it sent
/// nothing to the echo), and the relay closes its connection.
#[tokio::test]
async fn stop_ends_a_program_blocked_in_recv_and_closes_its_connection() {
    in_a_page("python-stop-recv", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.set_value(
            "textarea#code-text",
            "import socket\nsock = socket.create_connection(('echo.lab.test', 7))\nprint('waiting for data', flush=True)\ndata = sock.recv(1024)\nprint('recv returned', data)\n",
        )
        .await?;
        page.click("button#code-run").await?;
        output_contains(page, "waiting for data").await?;
        page.wait_rows("the program's connection", |rows| {
            if rows.iter().any(|r| r.label.contains("connect echo.lab.test:7")) {
                Ok(())
            } else {
                Err("no connect yet".into())
            }
        })
        .await?;
        page.wait_text_is("#code-status", "Running").await?;
        page.click("button#code-stop").await?;
        page.wait_text_is("#code-status", "Stopped; its sockets were closed")
            .await?;
        page.wait_rows("the blocked program's connection closed", |rows| {
            if rows.iter().any(|r| r.label == "FIN (close)") {
                Ok(())
            } else {
                Err("no FIN (close)".into())
            }
        })
        .await?;
        let output = page.text("#code-output").await?;
        if output.contains("recv returned") {
            return Err(format!("recv returned: {output:?}"));
        }
        Ok(())
    })
    .await;
}

/// On a public relay (lab targets only) a program reaches the lab, and a
/// connection to a private or loopback address raises `PermissionError`
/// carrying the relay's reason, as `requests` carries it under its
/// `ConnectionError`.
#[tokio::test]
async fn a_public_relay_refuses_a_private_target_with_a_permission_error_that_says_why() {
    let port = support::free_port().to_string();
    let origin = format!("http://127.0.0.1:{port}");
    let relay = Relay::start_with(&["--port", &port, "--public", "--origin", &origin]).await;
    on_a_relay(relay, "python-public", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.set_value(
            "textarea#code-text",
            r#"import socket
import requests

with socket.create_connection(("echo.lab.test", 7), timeout=5) as sock:
    sock.sendall(b"lab targets work")
    print("echo:", sock.recv(1024).decode())
for host, port in [("10.0.0.1", 80), ("127.0.0.1", 6379)]:
    try:
        socket.create_connection((host, port), timeout=5)
    except PermissionError as error:
        print(f"{host}:{port}:", error)
try:
    requests.get("http://192.168.1.1/", timeout=5)
except requests.exceptions.ConnectionError as error:
    print("requests:", type(error.__cause__).__name__, error.__cause__)
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "requests:").await?;
        for line in [
            "echo: lab targets work",
            "10.0.0.1:80: [Errno 13] Permission denied: blocked: 10.0.0.1 is in a private range (10.0.0.0/8)",
            "127.0.0.1:6379: [Errno 13] Permission denied: blocked: 127.0.0.1 is in loopback (127.0.0.0/8)",
            "requests: PermissionError [Errno 13] Permission denied: blocked: 192.168.1.1 is in a private range (192.168.0.0/16)",
        ] {
            if !output.lines().any(|l| l == line) {
                return Err(format!("no {line:?} in the output: {output:?}"));
            }
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        Ok(())
    })
    .await;
}

/// A reset as a course makes one on purpose: the server sets `SO_LINGER`
/// to zero and closes, so its kernel sends an RST instead of a FIN. The
/// relay aborts its socket for real (`abort`), the client's relay socket
/// meets the RST, and the client program's `recv` raises
/// `ConnectionResetError` as CPython's does; the diagram draws the RST
/// both ways and no FIN.
#[tokio::test]
async fn a_server_that_closes_with_so_linger_zero_resets_the_client() {
    in_a_page("python-abort", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.set_value(
            "textarea#code-text",
            r#"import socket
import struct

server = socket.create_server(("127.0.0.1", 8080))
client = socket.create_connection(("127.0.0.1", 8080))
conn, peer = server.accept()
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()  # SO_LINGER 0: an RST, not a FIN
try:
    data = client.recv(1024)
    print("recv returned", data)
except ConnectionResetError as error:
    print("ConnectionResetError:", error)
client.close()
server.close()
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(
            page,
            "ConnectionResetError: [Errno 104] Connection reset by peer",
        )
        .await?;
        if output.contains("recv returned") {
            return Err(format!("recv returned instead of raising: {output:?}"));
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        page.wait_rows("the RST sent and met, and no FIN", |rows| {
            let has = |label: &str| rows.iter().any(|r| r.label.contains(label));
            if has("FIN (") {
                return Err(format!("a FIN was drawn: {}", support::describe(rows)));
            }
            if has("RST sent (abort)") && rows.iter().any(|r| r.label == "RST") {
                Ok(())
            } else {
                Err(format!("rows: {}", support::describe(rows)))
            }
        })
        .await?;
        Ok(())
    })
    .await;
}

/// A reset, as a course meets it: the server hangs up (its FIN), the client
/// writes anyway, and the server's kernel answers with RST. The relay's
/// socket meets the real RST (drawn in the diagram), and the program gets
/// what CPython on Linux gives the same program: the write goes out, the
/// next raises `BrokenPipeError` (a reset after the FIN is EPIPE), and
/// `recv` returns `b""`.
#[tokio::test]
async fn writing_to_a_server_that_hung_up_meets_its_rst_as_a_broken_pipe() {
    in_a_page("python-reset", async |relay, page| {
        page.open(&relay.url).await?;
        page.wait_text_is("#relay-status", "connected").await?;
        page.set_value(
            "textarea#code-text",
            r#"import socket
import time

server = socket.create_server(("127.0.0.1", 8080))
client = socket.create_connection(("127.0.0.1", 8080))
conn, peer = server.accept()
conn.close()  # the server hangs up: its FIN
print("after the server's FIN, recv returns", client.recv(1024), flush=True)
try:
    for attempt in range(1, 21):
        client.sendall(b"are you there?\n")
        print(f"send {attempt} went out", flush=True)
        time.sleep(0.2)
except BrokenPipeError as error:
    print("the peer answered with RST:", error)
print("recv after the RST returns", client.recv(1024))
client.close()
server.close()
"#,
        )
        .await?;
        page.click("button#code-run").await?;
        let output = output_contains(page, "recv after the RST returns").await?;
        for line in [
            "after the server's FIN, recv returns b''",
            "send 1 went out",
            "the peer answered with RST: [Errno 32] Broken pipe",
            "recv after the RST returns b''",
        ] {
            if !output.lines().any(|l| l == line) {
                return Err(format!("no {line:?} in the output: {output:?}"));
            }
        }
        page.wait_text_is("#code-status", "Finished (exit status 0)")
            .await?;
        page.wait_rows("the RST in the diagram", |rows| {
            if rows.iter().any(|r| r.label == "RST") {
                Ok(())
            } else {
                Err("no RST".into())
            }
        })
        .await?;
        Ok(())
    })
    .await;
}
