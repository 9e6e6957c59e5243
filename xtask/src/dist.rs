//! `cargo xtask dist`: the relay an operator ships: one static binary for
//! x86_64-unknown-linux-musl with the page embedded, at
//! `target/dist/roundtrip`. It runs on any x86-64 Linux with nothing else
//! installed (the Dockerfile puts it on an almost empty base).
//!
//! rustls runs on aws-lc-rs, whose C part builds for musl with Debian's
//! `musl-tools` (`musl-gcc`); installed here when missing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::{self, say};
use crate::setup::{self, Tools};
use crate::workspace::Workspace;
use crate::{apt, page};

pub const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";
/// Cargo's profile for it (Cargo.toml): release with thin LTO, a fraction
/// of release's build time.
pub const PROFILE: &str = "dist";

pub fn dist() -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, false)?;
    say("[dist 1/3] the page: `trunk build --release` into dist/");
    page::build(&ws, &tools)?;
    let binary = build_static(&ws, &tools)?;
    let out = ws.target_dir.join("dist");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let shipped = out.join("roundtrip");
    std::fs::copy(&binary, &shipped).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            binary.display(),
            shipped.display()
        )
    })?;
    say(&format!(
        "[dist 3/3] {} ({:.1} MB, static)",
        shipped.display(),
        std::fs::metadata(&shipped).map_or(0.0, |m| m.len() as f64 / 1e6)
    ));
    Ok(ExitCode::SUCCESS)
}

/// Installs the musl target and `musl-gcc` when missing, then builds the
/// relay for musl (the page in dist/ must be built already); returns the
/// binary's path.
pub fn build_static(ws: &Workspace, tools: &Tools) -> Result<PathBuf, String> {
    say(&format!(
        "[dist 2/3] the relay for {MUSL_TARGET}, profile `{PROFILE}` \
         (first time: 5-10 minutes on 2 cores)"
    ));
    musl_toolchain()?;
    cmd::run(&mut tools.cargo(
        ws,
        &[
            "build",
            "--profile",
            PROFILE,
            "--target",
            MUSL_TARGET,
            "-p",
            "roundtrip-relay",
        ],
    ))?;
    Ok(static_binary(&ws.target_dir))
}

pub fn static_binary(target_dir: &Path) -> PathBuf {
    target_dir.join(MUSL_TARGET).join(PROFILE).join("roundtrip")
}

pub fn musl_toolchain() -> Result<(), String> {
    let installed =
        cmd::stdout_of("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|line| line.trim() == MUSL_TARGET) {
        say(&format!("  rustup target add {MUSL_TARGET}"));
        cmd::run(std::process::Command::new("rustup").args(["target", "add", MUSL_TARGET]))?;
    }
    if !Path::new("/usr/bin/musl-gcc").exists() {
        say("  installing Debian's musl-tools (musl-gcc, for aws-lc-rs)");
        apt::install(&["musl-tools"])?;
    }
    Ok(())
}
