//! `cargo xtask test`: every check, in order, each with a header; a failed
//! step does not stop the others so that the summary is complete.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::cmd::{self, say};
use crate::setup::{self, Tools};
use crate::workspace::Workspace;

/// One check: one or more commands that must all succeed.
struct Step {
    name: &'static str,
    commands: Vec<Command>,
}

struct Outcome {
    name: &'static str,
    passed: bool,
    seconds: f64,
}

pub fn test() -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, true)?;
    let steps = steps(&ws, &tools);
    let total = steps.len();

    let mut outcomes = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        println!(
            "\n==================== [{}/{total}] {} ====================",
            i + 1,
            step.name
        );
        let started = Instant::now();
        let passed = run_all(step.commands);
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

fn steps(ws: &Workspace, tools: &Tools) -> Vec<Step> {
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
    let mut trunk = tools.command(ws, &tools.trunk);
    trunk.args(["build", "--release"]);
    let mut e2e = cargo(&["test", "-p", "roundtrip-e2e"]);
    e2e.env("ROUNDTRIP_BIN", relay_debug_binary(&ws.target_dir))
        .env("ROUNDTRIP_MERMAID_JS", ws.mermaid_js())
        .env("ROUNDTRIP_HAR_TOOLS", ws.har_tools())
        .env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("CHROMIUM", setup::CHROMIUM);

    vec![
        Step {
            name: "format (cargo fmt --check)",
            commands: vec![cargo(&["fmt", "--all", "--check"])],
        },
        Step {
            name: "clippy, host",
            commands: vec![cargo(&[
                "clippy",
                "--workspace",
                "--exclude",
                "roundtrip-frontend",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])],
        },
        Step {
            name: "clippy, wasm32",
            // shared's tests cannot build for wasm32 (proptest -> getrandom
            // has no wasm32-unknown-unknown backend), so shared is linted as
            // a library there; its tests are linted on the host (step 2).
            commands: vec![
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
        },
        Step {
            name: "unit and integration tests, host",
            commands: vec![cargo(&[
                "test",
                "--workspace",
                "--exclude",
                "roundtrip-frontend",
                "--exclude",
                "roundtrip-e2e",
            ])],
        },
        // Only the frontend: shared's tests are plain #[test]s with proptest,
        // which does not build for wasm32; they run on the host in step 4.
        Step {
            name: "wasm tests in headless Chromium",
            commands: vec![in_browser(cargo(&[
                "test",
                "-p",
                "roundtrip-frontend",
                "--target",
                "wasm32-unknown-unknown",
            ]))],
        },
        Step {
            name: "build page (trunk) and debug relay",
            commands: vec![trunk, cargo(&["build", "-p", "roundtrip-relay"])],
        },
        Step {
            name: "browser end-to-end (relay + Chromium)",
            commands: vec![e2e],
        },
    ]
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
