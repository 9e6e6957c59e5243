//! `cargo xtask`: Roundtrip's developer commands.
//!
//! - `cargo xtask run [ARGS...]`: install the build tools that are missing,
//!   build the page and the relay, and serve them (`roundtrip serve ARGS...`).
//! - `cargo xtask bench`: the relay's data path against websocat and direct
//!   TCP (bulk, small messages, latency, idle memory, sessions held and
//!   opened), one table from one run.
//! - `cargo xtask bench diagram` (or `bench-diagram`): the sequence
//!   diagram's rendering benchmark (10,000 steps, pan and zoom, culling on
//!   and off) in headless Chromium.
//! - `cargo xtask bench python`: Python in the page, cold and warm start
//!   and a 1,000-round-trip echo loop against native `python3`.
//! - `cargo xtask dist`: the static relay for x86_64 Linux (musl) with the
//!   page embedded, at `target/dist/roundtrip`.
//! - `cargo xtask test`: install the same tools plus Chromium, then run every
//!   check (format, lints, unit tests, wasm tests, browser end-to-end) and
//!   print a summary.
//!
//! Std only (plus `serde_json` for `cargo metadata`, and brotli and flate2
//! to compress the page once when it is built) so that this crate builds in
//! seconds on a fresh machine, before anything else is installed.

mod apt;
mod bench;
mod budget;
mod cmd;
mod dist;
mod learn_tools;
mod page;
mod precompress;
mod run;
mod setup;
mod test;
mod workspace;

use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <COMMAND>

Commands:
  run [ARGS...]  Install missing build tools, build the page and the relay in
                 release mode, and start `roundtrip serve ARGS...`
                 (e.g. `cargo xtask run --port 9000`; see `--host`, `--port`).
  test           Install missing tools (also Chromium and chromedriver), then
                 run every check: fmt, clippy (host and wasm32), unit tests,
                 wasm tests in headless Chromium, the browser end-to-end
                 test, the page's size budget (brotli), and that a second
                 `run` would rebuild nothing. Prints a summary; exits
                 non-zero if any check failed.
  bench [--before PATH] [--trials N]
                 The relay's data path, release build, against websocat
                 (installed into .tools/ the first time) and direct TCP to
                 a TCP echo: bulk, small messages, latency, memory per idle
                 session, sessions held, 1,000 sessions opened one after
                 another. One table: medians over N trials (default 3),
                 ratios, targets. --before adds a column for another
                 `roundtrip` binary. Prints figures; asserts nothing.
  bench load [--sessions N] [--echoing N] [--seconds N]
                 The public setup under load: nginx in front of two relays
                 sharing one Redis, all on loopback; up to 10,000 sessions
                 (scaled to the open-file limit), 1,000 doing echo round
                 trips. Prints sessions held, round trips/s, p99 latency,
                 memory per session, refusals and sessions lost.
  bench diagram  Rendering benchmark of the sequence diagram: 10,000 steps
                 in headless Chromium (release build), frame times during
                 pan and zoom with culling on, then off as the baseline.
                 (Also `bench-diagram`.)
  bench python [--trials N]
                 Python in the page, release build, headless Chromium:
                 cold start (Pyodide fetched from the relay, a fresh
                 profile), warm start (after a reload, from the cache), and
                 1,000 echo round trips in Python through the relay against
                 the same program in native python3 to the same echo.
                 Median and min-max over N trials (default 3); asserts
                 nothing.
  page           Build the page into dist/ (compressed forms included) and
                 print its size against the budget (brotli wasm + JS + CSS);
                 fails past its ceiling (see README's Page size).
  dist           The relay an operator ships: a static binary for
                 x86_64-unknown-linux-musl with the page embedded, at
                 target/dist/roundtrip (installs the musl target and
                 musl-tools when missing). See README's Host a public demo.
  setup          Only install what `test` needs (the first step of `run` and
                 `test`); prints where each tool was found.
  help           Print this message.

Tools that are missing are installed once: the wasm32 target via rustup,
Trunk and wasm-bindgen-cli via `cargo install` into .tools/, wasm-opt via npm
into .tools/binaryen, Chromium via apt-get; websocat (bench only) via
`cargo install` into .tools/.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        // Everything after `run` belongs to the relay, even `--help`.
        "run" => run::run(rest),
        "test" if rest.is_empty() => test::test(),
        "test" if is_help(rest) => return usage_ok(),
        "test" => {
            eprintln!("xtask: `test` takes no arguments, got {rest:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
        "setup" if rest.is_empty() => setup::setup_only(),
        "page" if rest.is_empty() => page_only(),
        "dist" if rest.is_empty() => dist::dist(),
        "bench-diagram" if rest.is_empty() => bench::bench_diagram(),
        "bench" if is_help(rest) => return usage_ok(),
        "bench" => bench::bench(rest),
        "help" | "--help" | "-h" => return usage_ok(),
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask page`: the page build `run` and `test` do, then its size
/// against the budget (a table; fails past the budget).
fn page_only() -> Result<ExitCode, String> {
    let ws = workspace::Workspace::locate()?;
    let tools = setup::prepare(&ws, false)?;
    page::build(&ws, &tools)?;
    let table = budget::check(
        &ws.root.join("dist"),
        budget::PAGE_BROTLI_BUDGET,
        budget::PAGE_BROTLI_CEILING,
    );
    match table {
        Ok(table) => {
            println!("{table}");
            Ok(ExitCode::SUCCESS)
        }
        Err(message) => Err(message),
    }
}

fn is_help(args: &[String]) -> bool {
    args.len() == 1 && matches!(args[0].as_str(), "--help" | "-h" | "help")
}

fn usage_ok() -> ExitCode {
    println!("{USAGE}");
    ExitCode::SUCCESS
}
