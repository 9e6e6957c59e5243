//! What the test of the Learn course's generated code runs
//! (`e2e/tests/learn_code.rs`): `curl` and `dig` (Debian's curl and
//! bind9-dnsutils, through the apt helper), and a Python virtual
//! environment with `requests` from PyPI in the target folder. Each is
//! skipped quickly when present.

use std::path::PathBuf;
use std::process::Command;

use crate::apt;
use crate::cmd::{self, say};
use crate::workspace::Workspace;

/// Makes sure the tools are there; returns the virtual environment's
/// Python (`ROUNDTRIP_LEARN_PYTHON` for the test).
pub fn prepare(ws: &Workspace) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<&str> = [("curl", "curl"), ("dig", "bind9-dnsutils")]
        .into_iter()
        .filter(|(tool, _)| cmd::which(tool, &path).is_none())
        .map(|(_, package)| package)
        .collect();
    if missing.is_empty() {
        say("  found curl and dig");
    } else {
        say(&format!("  installing Debian's {}", missing.join(" and ")));
        apt::install(&missing)?;
    }
    let venv = ws.target_dir.join("learn-venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        say(&format!(
            "  making a Python virtual environment in {}",
            venv.display()
        ));
        cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let has_requests = Command::new(&python)
        .args(["-c", "import requests"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_requests {
        say("  found requests in the virtual environment");
    } else {
        say("  installing requests from PyPI into it (a few seconds, once)");
        cmd::run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "requests"]))?;
    }
    Ok(python)
}
