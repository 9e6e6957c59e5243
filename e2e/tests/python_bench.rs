//! A benchmark, not a test: Python in the page, timed. Run by `cargo xtask
//! bench python` (ignored by `cargo test`, so `cargo xtask test` only
//! builds it), against the release relay it names in `ROUNDTRIP_BIN`.
//!
//! Each trial starts a fresh headless Chromium (a fresh profile, so an
//! empty cache) and measures, in the page's own clock
//! (`performance.now()`, read when the program's first line appears in
//! its console):
//!
//! - cold start: Run clicked → first output, Pyodide fetched from the
//!   relay and started;
//! - warm start: the same after a reload, Pyodide from the browser's cache;
//! - a loop of 1,000 echo round trips in Python through the relay to the
//!   lab's TCP echo, timed by the program itself (`time.perf_counter()`),
//!   with its first 100 and its last 100 apart (the page keeps every step
//!   of the session: a cost that grows with them shows there);
//!
//! and then the same loop program, host and port apart, in a native
//! `python3` talking straight to the same echo service (where the relay's
//! log says it listens). It prints a table, median with min–max over the
//! trials and the page/native ratio, and asserts nothing about time.
//!
//! `ROUNDTRIP_BENCH_TRIALS` (default 3) and `ROUNDTRIP_BENCH_PYTHON`
//! (default `python3`) change what it runs.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Browser, Page, Relay};

/// Starting Python on a busy 2-core machine: well over the usual wait.
const PYTHON: Duration = Duration::from_secs(180);
/// 1,000 round trips through the page, the worker and the relay.
const LOOP_LIMIT: Duration = Duration::from_secs(600);
const ROUNDS: usize = 1_000;
/// What the start program prints first: its appearance ends the start.
const STARTED: &str = "started";

/// The program timed for the start: its first line, then how many bytes
/// of Pyodide's files came over the network (a cache hit transfers none).
const START_PROGRAM: &str = "\
print('started', flush=True)
import js
entries = [e for e in js.performance.getEntriesByType('resource') if '/pyodide-' in e.name]
network = sum(e.transferSize for e in entries)
decoded = sum(e.decodedBodySize for e in entries)
print(f'pyodide: {len(entries)} files, {network} bytes over the network, {decoded} bytes', flush=True)
";

/// The echo loop, the same text in the page and in native Python but for
/// the host and port.
fn loop_program(host: &str, port: u16) -> String {
    format!(
        "\
import socket
import time

HOST, PORT = '{host}', {port}
ROUNDS = {ROUNDS}
MESSAGE = b'ping'

with socket.create_connection((HOST, PORT)) as sock:
    start = time.perf_counter()
    marks = [start]
    for i in range(ROUNDS):
        sock.sendall(MESSAGE)
        received = b''
        while len(received) < len(MESSAGE):
            received += sock.recv(1024)
        if (i + 1) % 100 == 0:
            marks.append(time.perf_counter())
    elapsed = time.perf_counter() - start
print(f'{{ROUNDS}} round trips in {{elapsed * 1000:.1f}} ms', flush=True)
print('each 100, ms:', ' '.join(f'{{(b - a) * 1000:.1f}}' for a, b in zip(marks, marks[1:])))
"
    )
}

/// What the loop program reports, in milliseconds: all its round trips,
/// its first 100 and its last 100.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Loop {
    total: f64,
    first_100: f64,
    last_100: f64,
}

/// The loop program's two lines, `N round trips in X ms` (checking that it
/// made all of them) and `each 100, ms: ...`.
fn read_loop(output: &str) -> Option<Loop> {
    let line = output.lines().find(|l| l.contains(" round trips in "))?;
    let (rounds, rest) = line.trim().split_once(" round trips in ")?;
    if rounds.parse::<usize>().ok()? != ROUNDS {
        return None;
    }
    let total = rest.strip_suffix(" ms")?.parse().ok()?;
    let line = output.lines().find(|l| l.starts_with("each 100, ms: "))?;
    let each: Vec<f64> = line["each 100, ms: ".len()..]
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    if each.len() != ROUNDS / 100 {
        return None;
    }
    Some(Loop {
        total,
        first_100: *each.first()?,
        last_100: *each.last()?,
    })
}

/// The bytes over the network in the start program's `pyodide:` line.
fn network_bytes(output: &str) -> Option<f64> {
    let line = output.lines().find(|l| l.starts_with("pyodide: "))?;
    let (_, rest) = line.split_once(" files, ")?;
    rest.split_once(" bytes over the network")?.0.parse().ok()
}

/// The figures of one measurement over the trials.
#[derive(Debug, Default)]
struct Figures(Vec<f64>);

impl Figures {
    fn median(&self) -> Option<f64> {
        let mut values = self.0.clone();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    }

    fn range(&self) -> String {
        let min = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if self.0.is_empty() {
            String::new()
        } else {
            format!("{}–{}", number(min), number(max))
        }
    }
}

/// A figure with thousands separators and sensible decimals, as the
/// relay's bench prints them.
fn number(x: f64) -> String {
    let decimals = if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{x:.decimals$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    }
}

/// Opens the page on the Python tab with `code` in the editor, ready to
/// run.
async fn python_tab(page: &Page<'_>, url: &str, code: &str) -> Result<(), String> {
    page.open(url).await?;
    page.wait_text_is("#relay-status", "connected").await?;
    // The tab a learner opens: the panel is drawn as they would see it.
    let tab = "const panel = document.querySelector('#code-run').closest('[role=tabpanel]');\
        const tab = panel && document.getElementById(panel.getAttribute('aria-labelledby'));\
        if (tab) tab.click();\
        return true;";
    page.run(tab, vec![]).await?;
    page.set_value("textarea#code-text", code).await?;
    page.wait("Run to be enabled", async || {
        match page
            .run(
                "return !document.querySelector('#code-run').disabled;",
                vec![],
            )
            .await?
        {
            Value::Bool(true) => Ok(()),
            other => Err(format!("Run enabled: {other}")),
        }
    })
    .await
}

/// Clicks Run and returns the milliseconds, in the page's clock, until the
/// console first shows `marker`, and the console's text when the program
/// finished.
async fn run_until(
    page: &Page<'_>,
    marker: &str,
    within: Duration,
) -> Result<(f64, String), String> {
    // A MutationObserver notes the time of the render that shows the
    // marker; the click is made in the same script, so WebDriver's own
    // round trips are not counted.
    let click = "const marker = arguments[0];\
        const bench = { clicked: 0, shown: null };\
        window.roundtripBench = bench;\
        const observer = new MutationObserver(() => {\
            const output = document.querySelector('#code-output');\
            if (bench.shown === null && output && output.textContent.includes(marker)) {\
                bench.shown = performance.now();\
                observer.disconnect();\
            }\
        });\
        observer.observe(document.body, { childList: true, characterData: true, subtree: true });\
        bench.clicked = performance.now();\
        document.querySelector('#code-run').click();\
        return true;";
    page.run(click, vec![json!(marker)]).await?;
    let ms = page
        .wait_for(
            within,
            &format!("the console to show {marker:?}"),
            async || {
                let shown = page
                    .run(
                        "const b = window.roundtripBench;\
                     return b.shown === null ? null : b.shown - b.clicked;",
                        vec![],
                    )
                    .await?;
                match shown.as_f64() {
                    Some(ms) => Ok(ms),
                    None => Err(format!(
                        "status: {:?}; output: {:?}",
                        page.text("#code-status").await,
                        page.text("#code-output").await
                    )),
                }
            },
        )
        .await?;
    let output = page
        .wait_for(within, "the program to finish", async || {
            let status = page.text("#code-status").await?;
            let output = page.text("#code-output").await?;
            match status.trim() {
                "Finished (exit status 0)" => Ok(output),
                "Running" | "Starting Python… (the first time, about 13 MB)" => {
                    Err(format!("status: {status:?}"))
                }
                // An exception or a failure: no use waiting.
                _ => Ok(format!("{output}\n(status: {status})")),
            }
        })
        .await?;
    Ok((ms, output))
}

/// The loop in native Python, straight to the echo at `host:port`.
async fn native_loop(python: &str, host: &str, port: u16) -> Result<Loop, String> {
    let run = tokio::process::Command::new(python)
        .arg("-c")
        .arg(loop_program(host, port))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(LOOP_LIMIT, run)
        .await
        .map_err(|_| format!("{python} did not finish the loop"))?
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    read_loop(&stdout).ok_or_else(|| {
        format!(
            "{python} printed no loop time: {stdout:?} {:?}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A loop's figures over the trials.
#[derive(Debug, Default)]
struct LoopFigures {
    total: Figures,
    first_100: Figures,
    last_100: Figures,
}

impl LoopFigures {
    fn add(&mut self, figures: Loop) {
        self.total.0.push(figures.total);
        self.first_100.0.push(figures.first_100);
        self.last_100.0.push(figures.last_100);
    }
}

#[derive(Debug, Default)]
struct Results {
    cold: Figures,
    warm: Figures,
    cold_bytes: Figures,
    warm_bytes: Figures,
    page_loop: LoopFigures,
    native_loop: LoopFigures,
}

/// One trial in a fresh browser: cold start, warm start, the loop in the
/// page; then the loop in native Python.
async fn trial(
    relay: &Relay,
    echo: (&str, u16),
    python: &str,
    results: &mut Results,
) -> Result<String, String> {
    let browser = Browser::start().await;
    let page = Page::new(&browser.client, &relay.log);
    let measured = async {
        python_tab(&page, &relay.url, START_PROGRAM).await?;
        let (cold, output) = run_until(&page, STARTED, PYTHON).await?;
        let cold_bytes =
            network_bytes(&output).ok_or_else(|| format!("the start program said: {output:?}"))?;

        python_tab(&page, &relay.url, START_PROGRAM).await?;
        let (warm, output) = run_until(&page, STARTED, PYTHON).await?;
        let warm_bytes =
            network_bytes(&output).ok_or_else(|| format!("the start program said: {output:?}"))?;

        page.set_value("textarea#code-text", &loop_program("echo.lab.test", 7))
            .await?;
        let (_, output) = run_until(&page, " round trips in ", LOOP_LIMIT).await?;
        let in_page =
            read_loop(&output).ok_or_else(|| format!("the loop in the page said: {output:?}"))?;
        Ok::<_, String>((cold, warm, cold_bytes, warm_bytes, in_page))
    }
    .await;
    browser.close().await;
    let (cold, warm, cold_bytes, warm_bytes, in_page) = measured?;
    let native = native_loop(python, echo.0, echo.1).await?;
    results.cold.0.push(cold / 1000.0);
    results.warm.0.push(warm / 1000.0);
    results.cold_bytes.0.push(cold_bytes / 1e6);
    results.warm_bytes.0.push(warm_bytes / 1e6);
    results.page_loop.add(in_page);
    results.native_loop.add(native);
    Ok(format!(
        "cold start {} s ({} MB fetched), warm start {} s ({} MB fetched), \
         {ROUNDS} round trips {} ms in the page (first 100: {} ms, last 100: {} ms), \
         {} ms native",
        number(cold / 1000.0),
        number(cold_bytes / 1e6),
        number(warm / 1000.0),
        number(warm_bytes / 1e6),
        number(in_page.total),
        number(in_page.first_100),
        number(in_page.last_100),
        number(native.total),
    ))
}

fn print_table(results: &Results) {
    const PAGE: &str = "page, through the relay";
    const NATIVE: &str = "native python3, straight to the echo";
    let (page, native) = (&results.page_loop, &results.native_loop);
    let rows: [(&str, &str, &Figures, Option<&Figures>); 10] = [
        (
            "cold start: Run → first output, fresh profile, s",
            "page",
            &results.cold,
            None,
        ),
        (
            "warm start: Run → first output after a reload, s",
            "page",
            &results.warm,
            None,
        ),
        (
            "Pyodide over the network at cold start, MB",
            "page",
            &results.cold_bytes,
            None,
        ),
        (
            "Pyodide over the network at warm start, MB",
            "page",
            &results.warm_bytes,
            None,
        ),
        (
            "1,000 echo round trips, 4 B, ms",
            PAGE,
            &page.total,
            Some(&native.total),
        ),
        (
            "1,000 echo round trips, 4 B, ms",
            NATIVE,
            &native.total,
            None,
        ),
        (
            "… of which the first 100, ms",
            PAGE,
            &page.first_100,
            Some(&native.first_100),
        ),
        (
            "… of which the first 100, ms",
            NATIVE,
            &native.first_100,
            None,
        ),
        (
            "… of which the last 100, ms",
            PAGE,
            &page.last_100,
            Some(&native.last_100),
        ),
        (
            "… of which the last 100, ms",
            NATIVE,
            &native.last_100,
            None,
        ),
    ];
    println!();
    println!("| measure | way | median | min–max | × native |");
    println!("|---|---|---:|---:|---:|");
    for (title, way, figures, base) in rows {
        let Some(median) = figures.median() else {
            continue;
        };
        let ratio = match base.and_then(Figures::median) {
            Some(b) if b > 0.0 => format!("{}×", number(median / b)),
            _ => String::new(),
        };
        println!(
            "| {title} | {way} | {} | {} | {ratio} |",
            number(median),
            figures.range()
        );
    }
}

#[tokio::test]
#[ignore = "a benchmark: cargo xtask bench python"]
async fn python_in_the_page_start_and_echo_loop() {
    let trials: usize = std::env::var("ROUNDTRIP_BENCH_TRIALS")
        .ok()
        .map(|t| t.parse().expect("ROUNDTRIP_BENCH_TRIALS is a number"))
        .unwrap_or(3);
    let python = std::env::var("ROUNDTRIP_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let relay = Relay::start().await;
    let services = relay.lab_services().await;
    let echo = services
        .iter()
        .find(|s| s.name == "tcp-echo")
        .expect("the relay announces its TCP echo");
    let (host, port) = echo
        .addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .expect("the echo's address is host:port");
    println!(
        "pybench: relay {}, its TCP echo at {host}:{port}, {trials} trials \
         (a fresh Chromium profile each)",
        relay.url
    );
    let mut results = Results::default();
    for i in 1..=trials {
        match trial(&relay, (&host, port), &python, &mut results).await {
            Ok(line) => println!("pybench: trial {i}/{trials}: {line}"),
            Err(why) => panic!("trial {i}/{trials} failed: {why}"),
        }
    }
    print_table(&results);
}

#[test]
fn the_loop_is_read_only_when_every_round_trip_was_made() {
    let each = "each 100, ms: 5.0 5.1 5.2 5.3 5.4 5.5 5.6 5.7 5.8 6.5";
    assert_eq!(
        read_loop(&format!("1000 round trips in 57.3 ms\n{each}\n")),
        Some(Loop {
            total: 57.3,
            first_100: 5.0,
            last_100: 6.5
        })
    );
    assert_eq!(
        read_loop(&format!("x\n1000 round trips in 812 ms\n{each}")).map(|l| l.total),
        Some(812.0)
    );
    assert_eq!(
        read_loop(&format!("999 round trips in 57.3 ms\n{each}")),
        None
    );
    assert_eq!(
        read_loop("1000 round trips in 57.3 ms\neach 100, ms: 5.0 5.1"),
        None
    );
    assert_eq!(read_loop("1000 round trips in 57.3 ms"), None);
    assert_eq!(read_loop("Traceback (most recent call last):"), None);
}

#[test]
fn the_start_program_s_byte_count_is_read() {
    let output = "started\npyodide: 5 files, 12345 bytes over the network, 99 bytes\n";
    assert_eq!(network_bytes(output), Some(12345.0));
    assert_eq!(network_bytes("started\n"), None);
}

#[test]
fn figures_give_the_median_and_the_range() {
    let figures = Figures(vec![3.0, 1.0, 2.0]);
    assert_eq!(figures.median(), Some(2.0));
    assert_eq!(figures.range(), "1.00–3.00");
    assert_eq!(Figures::default().median(), None);
    assert_eq!(number(12_345.6), "12,346");
    assert_eq!(number(57.34), "57.3");
}

#[test]
fn the_loop_program_differs_only_in_host_and_port() {
    let page = loop_program("echo.lab.test", 7);
    let native = loop_program("127.0.0.1", 41234);
    let differ: Vec<_> = page
        .lines()
        .zip(native.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        differ,
        [(
            "HOST, PORT = 'echo.lab.test', 7",
            "HOST, PORT = '127.0.0.1', 41234"
        )]
    );
}
