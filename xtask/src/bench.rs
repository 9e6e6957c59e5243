//! `cargo xtask bench-diagram`: the sequence diagram's benchmarks
//! (`frontend/tests/browser/bench.rs`: pan and zoom over 10,000 steps, and
//! a live flood of messages taken in batches or one at a time) in headless
//! Chromium, built in release mode, with their figures printed. They
//! measure; they do not judge.

use std::process::ExitCode;

use crate::cmd;
use crate::setup::{self, CHROMEDRIVER};
use crate::workspace::Workspace;

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
