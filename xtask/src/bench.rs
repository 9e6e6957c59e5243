//! The benchmarks. They measure and print; they do not judge.
//!
//! - `cargo xtask bench [--before PATH] [--trials N]`: the relay's data
//!   path against websocat and direct TCP, in one run (the load generator
//!   is `bench/`, the `roundtrip-bench` crate). `--before` adds a column
//!   for another `roundtrip` binary (say, one built before a change).
//! - `cargo xtask bench diagram` (also `bench-diagram`): the sequence
//!   diagram's benchmarks (`frontend/tests/browser/bench.rs`: pan and zoom
//!   over 10,000 steps, and a live flood of messages taken in batches or
//!   one at a time) in headless Chromium, built in release mode.
//! - `cargo xtask bench python [--trials N]`: Python in the page
//!   (`e2e/tests/python_bench.rs`, an ignored test run here): cold and warm
//!   start, and a 1,000-round-trip echo loop through the relay against the
//!   same loop in a native `python3`, with the release relay.

use std::process::{Command, ExitCode};

use crate::cmd::{self, say};
use crate::setup::{self, CHROMEDRIVER};
use crate::workspace::Workspace;

/// The load generator's CPU; the echo server and the bridges get the next.
const GENERATOR_CPU: usize = 0;
const BRIDGE_CPU: usize = 1;

/// `cargo xtask bench ARGS`.
pub fn bench(args: &[String]) -> Result<ExitCode, String> {
    if args.first().map(String::as_str) == Some("diagram") {
        if args.len() > 1 {
            return Err(format!(
                "`bench diagram` takes no arguments, got {:?}",
                &args[1..]
            ));
        }
        return bench_diagram();
    }
    if args.first().map(String::as_str) == Some("load") {
        return bench_load(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("python") {
        return bench_python(&args[1..]);
    }
    let mut passed: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--before" | "--trials" => {
                let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
                let value = if flag == "--before" {
                    // The generator runs from the repository root.
                    std::fs::canonicalize(value)
                        .map_err(|e| format!("--before {value}: {e}"))?
                        .display()
                        .to_string()
                } else {
                    value.clone()
                };
                passed.extend([flag.clone(), value]);
            }
            other => return Err(format!("unknown argument to `bench`: {other}")),
        }
    }
    let ws = Workspace::locate()?;
    say("[bench 1/3] websocat (the bridge to compare with)");
    let websocat = setup::websocat(&ws)?;
    say("[bench 2/3] the relay and the load generator, release mode");
    cmd::run(Command::new(cmd::cargo()).current_dir(&ws.root).args([
        "build",
        "--release",
        "-p",
        "roundtrip-relay",
        "-p",
        "roundtrip-bench",
        "--bins",
    ]))?;
    let release = ws.target_dir.join("release");
    let generator = release.join("roundtrip-bench");
    say("[bench 3/3] measuring (a few minutes)");
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let pin = cpus > BRIDGE_CPU && cmd::stdout_of("taskset", &["--version"]).is_some();
    let mut command = if pin {
        let mut command = Command::new("taskset");
        command
            .arg("-c")
            .arg(GENERATOR_CPU.to_string())
            .arg(&generator);
        command
    } else {
        say("  not pinned to CPUs: needs taskset and two CPUs");
        Command::new(&generator)
    };
    command
        .current_dir(&ws.root)
        .arg("run")
        .arg("--relay")
        .arg(release.join("roundtrip"))
        .arg("--websocat")
        .arg(&websocat)
        .args(&passed);
    if pin {
        command.arg("--bridge-cpu").arg(BRIDGE_CPU.to_string());
    }
    cmd::run(&mut command)?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask bench load [--sessions N] [--echoing N] [--seconds N]`:
/// nginx in front of two release relays sharing one Redis, and the load
/// generator (`roundtrip-bench load`) as a process of its own. It starts
/// and stops everything itself.
pub fn bench_load(args: &[String]) -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    say("[bench load 1/3] nginx and redis-server (Debian)");
    for (package, path) in [
        ("nginx", "/usr/sbin/nginx"),
        ("redis-server", "/usr/bin/redis-server"),
    ] {
        if !std::path::Path::new(path).exists() {
            crate::apt::install(&[package])?;
        }
    }
    say("[bench load 2/3] the relay and the load generator, release mode");
    cmd::run(Command::new(cmd::cargo()).current_dir(&ws.root).args([
        "build",
        "--release",
        "-p",
        "roundtrip-relay",
        "-p",
        "roundtrip-bench",
        "--bins",
    ]))?;
    let release = ws.target_dir.join("release");
    say("[bench load 3/3] measuring (about a minute)");
    cmd::run(
        Command::new(release.join("roundtrip-bench"))
            .current_dir(&ws.root)
            .arg("load")
            .arg("--relay")
            .arg(release.join("roundtrip"))
            .args(args),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask bench python [--trials N]`: the page and the release relay
/// that embeds it (`cargo xtask run`'s build), then the ignored benchmark
/// of the e2e crate, which starts that relay and headless Chromium itself.
pub fn bench_python(args: &[String]) -> Result<ExitCode, String> {
    let trials = match args {
        [] => "3".to_owned(),
        [flag, n] if flag == "--trials" && n.parse::<usize>().is_ok_and(|n| n > 0) => n.clone(),
        other => {
            return Err(format!(
                "`bench python` takes only `--trials N` (N at least 1), got {other:?}"
            ));
        }
    };
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, true)?;
    say("[bench python 1/3] python3 (the native side of the comparison)");
    if cmd::stdout_of("python3", &["--version"]).is_none() {
        crate::apt::install(&["python3"])?;
    }
    say("[bench python 2/3] the page and the relay, release mode");
    let relay = crate::run::build(&ws, &tools)?;
    say(&format!(
        "[bench python 3/3] measuring, {trials} trials (a few minutes)"
    ));
    let mut command = tools.cargo(
        &ws,
        &[
            "test",
            "-p",
            "roundtrip-e2e",
            "--test",
            "python_bench",
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
    );
    command
        .env("ROUNDTRIP_BIN", &relay)
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("CHROMIUM", setup::CHROMIUM)
        .env("ROUNDTRIP_BENCH_TRIALS", &trials)
        .env("ROUNDTRIP_BENCH_PYTHON", "python3");
    cmd::run(&mut command)?;
    Ok(ExitCode::SUCCESS)
}

pub fn bench_diagram() -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, true)?;
    let mut command = tools.cargo(
        &ws,
        &[
            "test",
            "--release",
            "-p",
            "roundtrip-frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "browser",
            "--",
            "--include-ignored",
            "--nocapture",
            "bench::",
        ],
    );
    command
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            &tools.test_runner,
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        // The baseline (every row drawn) is slow on purpose.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900");
    cmd::run(&mut command)?;
    Ok(ExitCode::SUCCESS)
}
