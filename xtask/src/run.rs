//! `cargo xtask run [ARGS...]`: set up, build the page and the release relay
//! (which embeds the page), then become `roundtrip serve ARGS...`.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use crate::cmd::{self, say};
use crate::setup;
use crate::workspace::Workspace;

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = setup::prepare(&ws, false)?;

    say("[build 1/2] the page: `trunk build --release` -> dist/ (first time: a few minutes)");
    cmd::run(
        tools
            .command(&ws, &tools.trunk)
            .args(["build", "--release"]),
    )?;
    say("[build 2/2] the relay, release mode, dist/ embedded (first time: a few minutes)");
    cmd::run(&mut tools.cargo(&ws, &["build", "--release", "-p", "roundtrip-relay"]))?;

    let binary = ws.target_dir.join("release").join("roundtrip");
    let mut serve = tools.command(&ws, &binary);
    serve.arg("serve").args(args);
    say(&format!("$ {} (stop with Ctrl-C)", cmd::describe(&serve)));
    // exec: the relay takes over this process, so Ctrl-C, stdio and the exit
    // status are its own with nothing in between. Returns only on failure.
    let error = serve.exec();
    Err(format!("cannot start {}: {error}", binary.display()))
}
