//! `cargo xtask test`: every check, in order, each with a header; a failed
//! step does not stop the others so that the summary is complete.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime};

use crate::cmd::{self, say};
use crate::setup::{self, Tools};
use crate::workspace::Workspace;
use crate::{learn_tools, page, run};

/// One check: one or more commands that must all succeed, or a check made
/// here in xtask.
struct Step<'a> {
    name: &'static str,
    commands: Vec<Command>,
    check: Option<Box<dyn FnOnce() -> Result<(), String> + 'a>>,
}

impl Step<'_> {
    fn commands(name: &'static str, commands: Vec<Command>) -> Self {
        Step {
            name,
            commands,
            check: None,
        }
    }
}

struct Outcome {
    name: &'static str,
    passed: bool,
    seconds: f64,
}

pub fn test() -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, true)?;
    say("[setup] curl, dig and Python with requests (the Learn course's code is run)");
    let learn_python = learn_tools::prepare(&ws)?;
    let steps = steps(&ws, &tools, &learn_python);
    let total = steps.len();

    let mut outcomes = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        println!(
            "\n==================== [{}/{total}] {} ====================",
            i + 1,
            step.name
        );
        let started = Instant::now();
        let mut passed = run_all(step.commands);
        if let Some(check) = step.check
            && let Err(message) = check()
        {
            say(&message);
            passed = false;
        }
        let seconds = started.elapsed().as_secs_f64();
        say(&format!(
            "[{}/{total}] {}: {} ({seconds:.1} s)",
            i + 1,
            step.name,
            if passed { "passed" } else { "FAILED" }
        ));
        outcomes.push(Outcome {
            name: step.name,
            passed,
            seconds,
        });
    }

    Ok(summary(&outcomes))
}

/// Runs every command of a step, even after one fails, so one run reports
/// all problems; the step passes only if all of them did.
fn run_all(commands: Vec<Command>) -> bool {
    let mut passed = true;
    for mut command in commands {
        if let Err(message) = cmd::run(&mut command) {
            say(&message);
            passed = false;
        }
    }
    passed
}

fn steps<'a>(ws: &'a Workspace, tools: &'a Tools, learn_python: &Path) -> Vec<Step<'a>> {
    let cargo = |args: &[&str]| tools.cargo(ws, args);
    let in_browser = |mut command: Command| {
        command
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                &tools.test_runner,
            )
            .env("CHROMEDRIVER", setup::CHROMEDRIVER);
        command
    };
    // Every test file runs even when one fails: a red run lists every failure.
    let mut e2e = cargo(&["test", "-p", "roundtrip-e2e", "--no-fail-fast"]);
    e2e.env("ROUNDTRIP_BIN", relay_debug_binary(&ws.target_dir))
        .env("ROUNDTRIP_MERMAID_JS", ws.mermaid_js())
        .env("ROUNDTRIP_HAR_TOOLS", ws.har_tools())
        .env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("CHROMIUM", setup::CHROMIUM)
        .env("ROUNDTRIP_LEARN_PYTHON", learn_python)
        .env(
            "ROUNDTRIP_DIST_BIN",
            crate::dist::static_binary(&ws.target_dir),
        );

    vec![
        Step::commands(
            "format (cargo fmt --check)",
            vec![cargo(&["fmt", "--all", "--check"])],
        ),
        Step::commands(
            "clippy, host",
            vec![cargo(&[
                "clippy",
                "--workspace",
                "--exclude",
                "roundtrip-frontend",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])],
        ),
        Step::commands(
            "clippy, wasm32",
            // shared's tests cannot build for wasm32 (proptest -> getrandom
            // has no wasm32-unknown-unknown backend), so shared is linted as
            // a library there; its tests are linted on the host (step 2).
            vec![
                cargo(&[
                    "clippy",
                    "-p",
                    "roundtrip-shared",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--",
                    "-D",
                    "warnings",
                ]),
                cargo(&[
                    "clippy",
                    "-p",
                    "roundtrip-frontend",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]),
            ],
        ),
        Step::commands(
            "unit and integration tests, host",
            vec![cargo(&[
                "test",
                "--workspace",
                "--exclude",
                "roundtrip-frontend",
                "--exclude",
                "roundtrip-e2e",
            ])],
        ),
        // Only the frontend: shared's tests are plain #[test]s with proptest,
        // which does not build for wasm32; they run on the host in step 4.
        Step::commands(
            "wasm tests in headless Chromium",
            vec![in_browser(cargo(&[
                "test",
                "-p",
                "roundtrip-frontend",
                "--target",
                "wasm32-unknown-unknown",
            ]))],
        ),
        Step {
            name: "build page (trunk) and debug relay",
            commands: vec![cargo(&["build", "-p", "roundtrip-relay"])],
            // The same page build as `run`'s, so that this step leaves
            // dist/ as `run` left it when nothing changed.
            check: Some(Box::new(|| page::build(ws, tools).map(drop))),
        },
        Step {
            // Built once here (the dist profile: thin LTO) for the e2e
            // step's dist.rs, which runs it from an empty directory.
            name: "static relay (musl, `cargo xtask dist`'s build)",
            commands: Vec::new(),
            check: Some(Box::new(|| crate::dist::build_static(ws, tools).map(drop))),
        },
        Step::commands(
            "browser end-to-end (relay + Chromium), static binary and deploy/ configs",
            vec![e2e],
        ),
        Step {
            name: "page size budget (wasm + JS + CSS, brotli)",
            commands: Vec::new(),
            check: Some(Box::new(|| {
                let table = crate::budget::check(
                    &ws.root.join("dist"),
                    crate::budget::PAGE_BROTLI_BUDGET,
                    crate::budget::PAGE_BROTLI_CEILING,
                )?;
                say(&table);
                Ok(())
            })),
        },
        Step {
            name: "a second `cargo xtask run` rebuilds nothing",
            commands: Vec::new(),
            check: Some(Box::new(|| second_run_rebuilds_nothing(ws, tools))),
        },
    ]
}

/// Runs the build part of `cargo xtask run` (the same function), then again
/// with nothing changed, then the page build this command does, then `run`'s
/// build once more: neither later build may rewrite a file of dist/ or
/// relink the release relay (cargo leaves a fresh binary untouched, so its
/// modification time tells).
fn second_run_rebuilds_nothing(ws: &Workspace, tools: &Tools) -> Result<(), String> {
    let binary = run::build(ws, tools)?;
    let before = Snapshot::take(&binary, &ws.root.join("dist"))?;
    say("built once; building again with nothing changed");
    run::build(ws, tools)?;
    before.unchanged_after("a second `cargo xtask run`")?;
    say("and now the page build of `cargo xtask test`, then `run`'s build again");
    page::build(ws, tools)?;
    run::build(ws, tools)?;
    before.unchanged_after("`cargo xtask test`'s page build and another `run`")
}

/// Modification times of the relay binary and of every file in dist/.
struct Snapshot {
    files: Vec<(PathBuf, SystemTime)>,
}

impl Snapshot {
    fn take(binary: &Path, dist: &Path) -> Result<Self, String> {
        let paths = std::iter::once(binary.to_path_buf())
            .chain(page::files_under(dist)?.into_iter().map(|f| dist.join(f)));
        let mut files = Vec::new();
        for path in paths {
            let time = modified(&path)?;
            files.push((path, time));
        }
        Ok(Snapshot { files })
    }

    fn unchanged_after(&self, what: &str) -> Result<(), String> {
        for (path, time) in &self.files {
            if modified(path)? != *time {
                return Err(format!(
                    "{what} with nothing changed rewrote {}: the release relay \
                     would be rebuilt on every run",
                    path.display()
                ));
            }
        }
        say(&format!(
            "{what}: the relay binary and dist/'s {} file(s) untouched",
            self.files.len() - 1
        ));
        Ok(())
    }
}

fn modified(path: &Path) -> Result<SystemTime, String> {
    path.metadata()
        .and_then(|m| m.modified())
        .map_err(|e| format!("cannot stat {}: {e}", path.display()))
}

fn relay_debug_binary(target_dir: &Path) -> std::path::PathBuf {
    target_dir.join("debug").join("roundtrip")
}

fn summary(outcomes: &[Outcome]) -> ExitCode {
    println!("\n==================== summary ====================");
    for (i, outcome) in outcomes.iter().enumerate() {
        println!(
            "  {}  {}. {:<40} {:>7.1} s",
            if outcome.passed { "pass" } else { "FAIL" },
            i + 1,
            outcome.name,
            outcome.seconds
        );
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let failed = outcomes.len() - passed;
    // CI reads this exact shape: "N passed, N failed" alone on its line.
    println!("xtask: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
