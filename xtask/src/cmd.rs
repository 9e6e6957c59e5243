//! Running child processes: every command is echoed before it runs so a new
//! user can see (and re-run by hand) exactly what xtask does.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The cargo that runs us (cargo sets `CARGO` for `cargo run`), so children
/// use the same toolchain; plain `cargo` otherwise.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A progress line. Prefixed so it stands out among cargo's own output.
pub fn say(message: &str) {
    println!("xtask: {message}");
}

/// `program arg arg...` as one would type it.
pub fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program());
    // Show `cargo`, not `/root/.rustup/toolchains/.../bin/cargo`, for cargo
    // itself; other tools keep their path so it is clear which one ran.
    let shown = if command.get_program() == cargo() {
        "cargo".to_owned()
    } else {
        program.display().to_string()
    };
    let mut line = shown;
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs with inherited stdio; an error if it can't start or exits non-zero.
pub fn run(command: &mut Command) -> Result<(), String> {
    let line = describe(command);
    say(&format!("$ {line}"));
    let status = command
        .status()
        .map_err(|e| format!("cannot start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Trimmed stdout of a command that succeeded; `None` if it is missing or
/// failed. For probes such as `trunk --version`.
pub fn stdout_of(program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// First executable file called `name` in the directories of `path`.
pub fn which(name: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub fn is_root() -> bool {
    stdout_of("id", &["-u"]).as_deref() == Some("0")
}
