//! `cargo xtask run [ARGS...]`: set up, build the page and the release relay
//! (which embeds the page), then become `roundtrip serve ARGS...`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::{self, say};
use crate::page;
use crate::setup::{self, Tools};
use crate::workspace::Workspace;

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, false)?;
    let binary = build(&ws, &tools)?;

    let mut serve = tools.command(&ws, &binary);
    serve
        .arg("serve")
        .args(args)
        // The relay's start-up errors suggest this command (`try `cargo
        // xtask run --port 8081``), not the binary's own name.
        .env("ROUNDTRIP_COMMAND", "cargo xtask run");
    say(&format!("$ {} (stop with Ctrl-C)", cmd::describe(&serve)));
    // exec: the relay takes over this process, so Ctrl-C, stdio and the exit
    // status are its own with nothing in between. Returns only on failure.
    let error = serve.exec();
    Err(format!("cannot start {}: {error}", binary.display()))
}

/// The build part of `run`: the page into `dist/` (files that did not
/// change keep their times) and the release relay that embeds it, which
/// cargo then finds fresh when nothing changed. Returns the relay binary.
pub fn build(ws: &Workspace, tools: &Tools) -> Result<PathBuf, String> {
    // Estimates measured on 2 cores shared with other builds.
    say(
        "[build 1/2] the page: `trunk build --release`, changed files into dist/ \
         (first time: about 2 minutes; after a change: under a minute; \
         nothing changed: seconds, Trunk is skipped)",
    );
    page::build(ws, tools)?;
    say("[build 2/2] the relay, release mode, dist/ embedded \
         (first time: 5-9 minutes; after a change to the page or the relay: \
         2-4 minutes, it links with LTO; nothing changed: seconds)");
    cmd::run(&mut tools.cargo(ws, &["build", "--release", "-p", "roundtrip-relay"]))?;
    Ok(release_binary(ws))
}

pub fn release_binary(ws: &Workspace) -> PathBuf {
    ws.target_dir.join("release").join("roundtrip")
}
