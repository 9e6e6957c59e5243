//! The real `roundtrip` binary as a user meets it: start-up errors are one
//! line on stderr with the way out and a non-zero status, even with
//! `RUST_BACKTRACE=1`; logs into a pipe carry no colour codes; `--help`
//! shows every option's default and variable; `--version` the protocol's.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use roundtrip_shared::protocol::PROTOCOL_VERSION;

/// The binary with none of the user's `ROUNDTRIP_*` settings, and with
/// backtraces asked for, as many Rust developers have them.
fn roundtrip(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roundtrip"));
    // The default log filter, so the relay logs its start whatever the
    // developer's RUST_LOG says.
    command
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ROUNDTRIP_") {
            command.env_remove(key);
        }
    }
    command
}

/// Runs a command that should stop by itself; kills it if it has not after
/// a minute (a relay that started instead of failing).
fn finish(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the roundtrip binary starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Asserts a failed start: non-zero status, and stderr is exactly one line
/// (no backtrace, no log lines) starting with `roundtrip: `. Returns it.
fn one_line_error(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "it should fail: {stderr}{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("roundtrip: "), "{stderr}");
    assert!(!stderr.contains("acktrace"), "{stderr}");
    stderr.trim_end().to_owned()
}

/// A settings file with `text`, in a fresh temporary directory.
fn settings_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roundtrip-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("roundtrip.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_taken_port_says_which_port_to_try() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let port_arg = port.to_string();
    let args = ["serve", "--host", "127.0.0.1", "--port", &port_arg];

    let line = one_line_error(&finish(&mut roundtrip(&args)));
    let expected = format!(
        "roundtrip: port {port} is in use by another program: try `roundtrip serve --port "
    );
    assert!(line.starts_with(&expected), "{line}");
    let suggested: u16 = line[expected.len()..]
        .trim_end_matches('`')
        .parse()
        .unwrap_or_else(|_| panic!("a port at the end: {line}"));
    assert_ne!(suggested, port);

    // Started by `cargo xtask run`, it suggests that command.
    let line = one_line_error(&finish(
        roundtrip(&args).env("ROUNDTRIP_COMMAND", "cargo xtask run"),
    ));
    assert!(line.contains("try `cargo xtask run --port "), "{line}");
}

#[test]
fn a_mistake_in_the_settings_file_names_the_file_and_line() {
    let path = settings_file(
        "syntax",
        "public = true\norigins = [\"https://demo.example\"]\npublik = true\n",
    );
    let output = finish(roundtrip(&["serve", "--port", "0", "--config"]).arg(&path));
    let line = one_line_error(&output);
    assert_eq!(output.status.code(), Some(2), "{line}");
    let expected = format!(
        "roundtrip: settings file {}, line 3 (`publik = true`): unknown field `publik`",
        path.display()
    );
    assert!(line.starts_with(&expected), "{line}");

    // A value the relay cannot use names its field.
    let path = settings_file("value", "[limits]\nops_per_second = 0\n");
    let line = one_line_error(&finish(
        roundtrip(&["serve", "--port", "0", "--config"]).arg(&path),
    ));
    assert_eq!(
        line,
        format!(
            "roundtrip: settings file {}: limits.ops_per_second must be at least 1",
            path.display()
        )
    );

    let missing = settings_file("missing", "").with_file_name("absent.toml");
    let line = one_line_error(&finish(
        roundtrip(&["serve", "--port", "0", "--config"]).arg(&missing),
    ));
    assert!(
        line.starts_with(&format!(
            "roundtrip: cannot read the settings file {}: ",
            missing.display()
        )),
        "{line}"
    );
}

#[test]
fn a_bad_origin_says_how_to_write_one() {
    let args = [
        "serve",
        "--port",
        "0",
        "--public",
        "--origin",
        "https://demo.example/app",
    ];
    let output = finish(&mut roundtrip(&args));
    let line = one_line_error(&output);
    assert_eq!(output.status.code(), Some(2), "{line}");
    assert!(
        line.starts_with(
            "roundtrip: --origin \"https://demo.example/app\" is not an origin (it has a path): \
             write scheme://host[:port]"
        ),
        "{line}"
    );
}

#[test]
fn logs_into_a_pipe_carry_no_escape_codes() {
    let mut child = roundtrip(&["serve", "--host", "127.0.0.1", "--port", "0"])
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // The relay logs each lab service as it starts; the last is dns-lab.
    let mut logs = String::new();
    while !logs.contains("dns-lab") {
        if stderr.read_line(&mut logs).unwrap() == 0 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(logs.contains("lab service"), "{logs}");
    assert!(!logs.contains('\x1b'), "{logs:?}");
}

#[test]
fn help_shows_every_option_with_its_default_and_variable() {
    let output = finish(&mut roundtrip(&["serve", "--help"]));
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let options: Vec<&str> = help
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("--"))
        .collect();
    assert_eq!(options.len(), 11, "{help}");
    for line in options {
        assert!(line.contains("[env: ROUNDTRIP_"), "{line}");
        assert!(line.contains("[default: "), "{line}");
    }
}

#[test]
fn version_names_the_protocol() {
    let output = finish(&mut roundtrip(&["--version"]));
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        format!(
            "roundtrip {} (protocol {PROTOCOL_VERSION})",
            env!("CARGO_PKG_VERSION")
        )
    );
}
