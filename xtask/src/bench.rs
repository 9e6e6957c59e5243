//! `cargo xtask bench-diagram`: the sequence diagram's rendering benchmark
//! (`frontend/tests/browser/bench.rs`) in headless Chromium, built in
//! release mode, with its figures printed. It measures; it does not judge.

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
