//! Installs what the build needs, once, and finds it again quickly on later
//! runs. Each tool is looked for on PATH first, then in `<repo>/.tools`;
//! only when neither fits is it installed, into `<repo>/.tools` (git-ignored),
//! so nothing outside the repository changes except rustup targets and
//! Debian packages.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::apt;
use crate::cmd::{self, say};
use crate::workspace::Workspace;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.22.1";
/// Any 0.22.x Trunk reads our Trunk.toml the same way.
const TRUNK_SERIES: &str = "trunk 0.22.";
const BINARYEN_VERSION: &str = "132.0.0";
/// Mermaid, whose own parser checks the diagram's Mermaid export in the
/// browser tests (one file of its npm package, no dependencies).
const MERMAID_VERSION: &str = "11.17.2";
/// Pyodide, CPython compiled to WebAssembly, for the page's Python programs.
/// `index.html` copies `.tools/pyodide-<this>/` into the page and the page
/// loads it from `/pyodide-<this>/` (a test below holds the three together).
pub const PYODIDE_VERSION: &str = "314.0.8";
/// The files of Pyodide's npm package the page needs: the loader, the
/// interpreter and the standard library (`socket`, `asyncio`, `json`, ...).
const PYODIDE_FILES: [&str; 5] = [
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
];
/// The HAR 1.2 JSON Schema (`har-schema`, the schemas of `har-validator`)
/// and the validator that reads it, for checking the HAR export in the
/// browser tests.
const HAR_SCHEMA_VERSION: &str = "2.0.0";
const AJV_VERSION: &str = "6.15.0";
/// websocat, the WebSocket-to-TCP bridge `cargo xtask bench` measures the
/// relay against (only the bench installs it).
const WEBSOCAT_VERSION: &str = "1.14.0";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What later steps need from the set-up.
#[derive(Debug)]
pub struct Tools {
    /// PATH for every child: the npm wasm-opt first (Debian's binaryen is too
    /// old for current wasm-bindgen output), then the tools we chose.
    pub path: OsString,
    pub trunk: PathBuf,
    pub test_runner: PathBuf,
}

impl Tools {
    /// A command with our PATH, run from the repository root.
    pub fn command(&self, ws: &Workspace, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("PATH", &self.path).current_dir(&ws.root);
        // `cargo run` describes xtask's own package in our environment; the
        // relay and test binaries must not mistake it for theirs.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO_PKG_") || key.starts_with("CARGO_MANIFEST_") {
                command.env_remove(&*key);
            }
        }
        command
    }

    pub fn cargo(&self, ws: &Workspace, args: &[&str]) -> Command {
        let mut command = self.command(ws, cmd::cargo());
        command.args(args);
        command
    }
}

/// `cargo xtask setup`: everything `test` needs, nothing else.
pub fn setup_only() -> Result<std::process::ExitCode, String> {
    let ws = Workspace::locate()?;
    let tools = prepare(&ws, true)?;
    say(&format!("trunk: {}", tools.trunk.display()));
    say(&format!(
        "wasm-bindgen-test-runner: {}",
        tools.test_runner.display()
    ));
    say(&format!(
        "PATH for the build: {}",
        tools.path.to_string_lossy()
    ));
    Ok(std::process::ExitCode::SUCCESS)
}

/// Installs what is missing. `for_tests` adds rustfmt, clippy, Chromium and
/// chromedriver.
pub fn prepare(ws: &Workspace, for_tests: bool) -> Result<Tools, String> {
    let started = Instant::now();
    let total = if for_tests { 11 } else { 6 };
    let mut n = 0;
    let mut next = |what: &str| {
        n += 1;
        say(&format!("[setup {n}/{total}] {what}"));
    };

    next(&format!("Rust target {WASM_TARGET}"));
    wasm_target()?;
    next(&format!("Trunk {TRUNK_VERSION}"));
    let trunk = trunk(ws)?;
    let bindgen_version = ws.locked_wasm_bindgen()?;
    next(&format!(
        "wasm-bindgen-cli {bindgen_version} (the version in Cargo.lock)"
    ));
    check_trunk_pin(ws, &bindgen_version);
    let bindgen_dir = wasm_bindgen(ws, &bindgen_version)?;
    // Both cargo-installed tools are in place: their shared build folder
    // (a gigabyte or more) has done its job.
    let shared_target = tools_target_dir(ws);
    if shared_target.exists() {
        say(&format!("  removing {}", shared_target.display()));
        let _ = std::fs::remove_dir_all(&shared_target);
    }
    next(&format!("wasm-opt (npm binaryen@{BINARYEN_VERSION})"));
    wasm_opt(ws)?;
    next(&format!(
        "Pyodide {PYODIDE_VERSION} (npm, Python for the page's programs)"
    ));
    pyodide(ws)?;
    if for_tests {
        next("rustfmt and clippy");
        lint_components()?;
        next("Chromium and chromedriver");
        chromium()?;
        next(&format!(
            "Mermaid {MERMAID_VERSION} (npm, checks the Mermaid export)"
        ));
        mermaid(ws)?;
        next(&format!(
            "har-schema {HAR_SCHEMA_VERSION} and Ajv {AJV_VERSION} (npm, check the HAR export)"
        ));
        har_schema(ws)?;
        next(
            "Debian's redis-server, nginx, caddy, musl-tools (shared limits, deploy/, static build)",
        );
        test_servers()?;
    }

    let path = child_path(&[
        ws.binaryen_bin(),
        bindgen_dir.clone(),
        parent(&trunk),
        ws.tools_bin(),
    ]);
    let tools = Tools {
        path,
        trunk,
        test_runner: bindgen_dir.join("wasm-bindgen-test-runner"),
    };

    // Trunk.toml sets offline = true, which also makes Trunk's cargo offline:
    // every crate must already be downloaded.
    next("crate sources (`cargo fetch`; Trunk builds offline)");
    cmd::run(&mut tools.cargo(ws, &["fetch"]))?;

    say(&format!(
        "tools ready ({:.1} s)",
        started.elapsed().as_secs_f64()
    ));
    Ok(tools)
}

fn wasm_target() -> Result<(), String> {
    let installed = cmd::stdout_of("rustup", &["target", "list", "--installed"]);
    match installed {
        Some(list) if list.lines().any(|l| l.trim() == WASM_TARGET) => {
            say("  already installed");
            Ok(())
        }
        Some(_) => {
            say("  installing with rustup (about a minute, once)");
            cmd::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        }
        // No rustup: accept a toolchain that ships the target anyway.
        None if sysroot_has_target() => {
            say("  present in the toolchain (no rustup)");
            Ok(())
        }
        None => Err(format!(
            "`rustup` was not found and this Rust toolchain has no {WASM_TARGET} target.\n\
             Install Rust with rustup (https://rustup.rs), then run the same command again."
        )),
    }
}

/// rustup's minimal profile leaves these out; the default profile has them.
fn lint_components() -> Result<(), String> {
    let missing: Vec<&str> = [("rustfmt", "fmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(_, sub)| cmd::stdout_of(cmd::cargo(), &[sub, "--version"]).is_none())
        .map(|(component, _)| component)
        .collect();
    if missing.is_empty() {
        say("  already installed");
        return Ok(());
    }
    say("  installing with rustup (under a minute, once)");
    cmd::run(
        Command::new("rustup")
            .args(["component", "add"])
            .args(&missing),
    )
}

fn sysroot_has_target() -> bool {
    cmd::stdout_of("rustc", &["--print", "sysroot"]).is_some_and(|root| {
        Path::new(&root)
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .is_dir()
    })
}

fn trunk(ws: &Workspace) -> Result<PathBuf, String> {
    let fits = |path: &Path| {
        cmd::stdout_of(path, &["--version"]).is_some_and(|v| v.starts_with(TRUNK_SERIES))
    };
    if let Some(found) = find_tool(ws, "trunk", fits) {
        return Ok(found);
    }
    say(&format!(
        "  installing trunk {TRUNK_VERSION} from crates.io into {}: the longest \
         step, 8-22 minutes on 2 cores (the longer while the machine is busy), once",
        ws.tools_dir().display()
    ));
    // --ignore-rust-version: trunk 0.22 declares a newer rust-version than it
    // needs; it builds and works on our toolchain.
    cmd::run(cargo_install(ws).args([
        "--locked",
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--ignore-rust-version",
    ]))?;
    installed(ws, "trunk", fits)
}

fn wasm_bindgen(ws: &Workspace, version: &str) -> Result<PathBuf, String> {
    let expected = format!("wasm-bindgen {version}");
    // The test runner comes from the same package; insist on both so that
    // the wasm tests use the matching runner.
    let fits = |path: &Path| {
        cmd::stdout_of(path, &["--version"]).is_some_and(|v| v == expected)
            && cmd::is_executable(&path.with_file_name("wasm-bindgen-test-runner"))
    };
    let found = match find_tool(ws, "wasm-bindgen", fits) {
        Some(found) => found,
        None => {
            say(&format!(
                "  installing wasm-bindgen-cli {version} from crates.io into {}: \
                 3-10 minutes on 2 cores, once",
                ws.tools_dir().display()
            ));
            // No --locked: its lock file wants a webpki-roots release that
            // the registry here does not serve.
            cmd::run(cargo_install(ws).args(["wasm-bindgen-cli", "--version", version]))?;
            installed(ws, "wasm-bindgen", fits)?
        }
    };
    Ok(parent(&found))
}

/// `cargo install --root .tools` for a build tool, built the quick way.
///
/// The tools share one target dir (`.tools/cargo-target`), so the
/// dependencies they have in common (same version and features: tokio,
/// serde, syn, ...) are compiled once; [`prepare`] removes it once both are
/// installed. And they are built without link-time optimisation and with
/// the default 16 codegen units (Trunk's own profile asks for fat LTO and
/// one unit, which makes its last crate alone take many minutes on two
/// cores): they orchestrate a build, their own speed hardly matters.
fn cargo_install(ws: &Workspace) -> Command {
    let mut command = Command::new(cmd::cargo());
    command
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", tools_target_dir(ws))
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .args(["install", "--root"])
        .arg(ws.tools_dir());
    command
}

fn tools_target_dir(ws: &Workspace) -> PathBuf {
    ws.tools_dir().join("cargo-target")
}

/// Trunk refuses to build (offline) when its pin differs from the CLI.
fn check_trunk_pin(ws: &Workspace, locked: &str) {
    if let Some(pinned) = ws.trunk_pinned_wasm_bindgen()
        && pinned != locked
    {
        say(&format!(
            "  WARNING: Trunk.toml pins wasm_bindgen = \"{pinned}\" but Cargo.lock has \
             {locked}; set Trunk.toml to \"{locked}\" or `trunk build` will fail"
        ));
    }
}

fn wasm_opt(ws: &Workspace) -> Result<(), String> {
    let wasm_opt = ws.binaryen_bin().join("wasm-opt");
    if wasm_opt.exists() {
        say(&format!("  found {}", wasm_opt.display()));
        return Ok(());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if cmd::which("npm", &path).is_none() {
        say("  npm is missing; it comes with Debian's nodejs and npm packages (about a minute)");
        apt::install(&["nodejs", "npm"]).map_err(|e| {
            format!("npm is needed to install wasm-opt (npm package binaryen).\n{e}")
        })?;
    }
    say("  installing with npm (seconds, once)");
    let dir = ws.binaryen_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    cmd::run(
        Command::new("npm")
            .current_dir(&ws.root)
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("binaryen@{BINARYEN_VERSION}")),
    )?;
    match cmd::stdout_of(&wasm_opt, &["--version"]) {
        Some(version) => {
            say(&format!("  {} -> {version}", wasm_opt.display()));
            Ok(())
        }
        None => Err(format!(
            "npm installed binaryen but `{} --version` does not run; \
             is `node` on PATH?",
            wasm_opt.display()
        )),
    }
}

/// `.tools/har/`: `ajv.min.js` (Ajv's browser build), its draft-06 meta
/// schema, and the HAR 1.2 schemas of `har-schema` in `schemas/`. Taken
/// with `npm pack` (the packages alone) and `tar`.
fn har_schema(ws: &Workspace) -> Result<(), String> {
    let dir = ws.har_tools();
    let ready = dir.join("ajv.min.js").exists() && dir.join("schemas").join("har.json").exists();
    if ready {
        say(&format!("  found {}", dir.display()));
        return Ok(());
    }
    std::fs::create_dir_all(dir.join("schemas"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    say("  downloading the packages with `npm pack` (seconds, once)");
    cmd::run(
        Command::new("npm")
            .current_dir(&dir)
            .args(["pack", "--silent"])
            .arg(format!("har-schema@{HAR_SCHEMA_VERSION}"))
            .arg(format!("ajv@{AJV_VERSION}")),
    )?;
    let untar = |tarball: &str, strip: &str, dest: &Path, files: &[&str]| {
        cmd::run(
            Command::new("tar")
                .current_dir(&dir)
                .arg("-xzf")
                .arg(tarball)
                .arg("-C")
                .arg(dest)
                .arg(format!("--strip-components={strip}"))
                .args(files),
        )
    };
    let har = format!("har-schema-{HAR_SCHEMA_VERSION}.tgz");
    let ajv = format!("ajv-{AJV_VERSION}.tgz");
    untar(
        &har,
        "2",
        &dir.join("schemas"),
        &["--wildcards", "package/lib/*.json"],
    )?;
    untar(&ajv, "2", &dir, &["package/dist/ajv.min.js"])?;
    untar(
        &ajv,
        "3",
        &dir,
        &["package/lib/refs/json-schema-draft-06.json"],
    )?;
    let _ = std::fs::remove_file(dir.join(har));
    let _ = std::fs::remove_file(dir.join(ajv));
    if dir.join("ajv.min.js").exists() && dir.join("json-schema-draft-06.json").exists() {
        say(&format!("  {}", dir.display()));
        Ok(())
    } else {
        Err(format!(
            "`npm pack` did not give Ajv and the HAR schema in {}",
            dir.display()
        ))
    }
}

/// `.tools/mermaid/mermaid.min.js`: the self-contained browser build from
/// Mermaid's npm package, taken with `npm pack` (the package alone, none of
/// its dependencies) and `tar`.
fn mermaid(ws: &Workspace) -> Result<(), String> {
    let js = ws.mermaid_js();
    if js.exists() {
        say(&format!("  found {}", js.display()));
        return Ok(());
    }
    let dir = ws.tools_dir().join("mermaid");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    say("  downloading the package with `npm pack` (seconds, once)");
    cmd::run(
        Command::new("npm")
            .current_dir(&dir)
            .args(["pack", "--silent"])
            .arg(format!("mermaid@{MERMAID_VERSION}")),
    )?;
    let tarball = dir.join(format!("mermaid-{MERMAID_VERSION}.tgz"));
    cmd::run(
        Command::new("tar")
            .current_dir(&dir)
            .arg("-xzf")
            .arg(&tarball)
            .args(["--strip-components=2", "package/dist/mermaid.min.js"]),
    )?;
    let _ = std::fs::remove_file(&tarball);
    if js.exists() {
        say(&format!("  {}", js.display()));
        Ok(())
    } else {
        Err(format!(
            "`npm pack mermaid@{MERMAID_VERSION}` did not give {}",
            js.display()
        ))
    }
}

/// `.tools/pyodide-<version>/`: the core of Pyodide's npm package (13 MB),
/// taken with `npm pack` and `tar`. The page copies it in; the learner's
/// browser fetches it only when a program first runs.
fn pyodide(ws: &Workspace) -> Result<(), String> {
    let dir = ws.pyodide_dir(PYODIDE_VERSION);
    if PYODIDE_FILES.iter().all(|file| dir.join(file).exists()) {
        say(&format!("  found {}", dir.display()));
        return Ok(());
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    say("  downloading the package with `npm pack` (6.5 MB, once)");
    cmd::run(
        Command::new("npm")
            .current_dir(&dir)
            .args(["pack", "--silent"])
            .arg(format!("pyodide@{PYODIDE_VERSION}")),
    )?;
    let tarball = dir.join(format!("pyodide-{PYODIDE_VERSION}.tgz"));
    cmd::run(
        Command::new("tar")
            .current_dir(&dir)
            .arg("-xzf")
            .arg(&tarball)
            .arg("--strip-components=1")
            .args(PYODIDE_FILES.map(|file| format!("package/{file}"))),
    )?;
    let _ = std::fs::remove_file(&tarball);
    match PYODIDE_FILES.iter().find(|file| !dir.join(file).exists()) {
        None => {
            say(&format!("  {}", dir.display()));
            Ok(())
        }
        Some(missing) => Err(format!(
            "`npm pack pyodide@{PYODIDE_VERSION}` did not give {missing} in {}",
            dir.display()
        )),
    }
}

/// websocat for `cargo xtask bench`: on PATH or in `.tools/bin` when it is
/// the pinned version, else installed there from crates.io (~3 minutes on
/// 2 cores, once). Not part of `prepare`: only the bench needs it.
pub fn websocat(ws: &Workspace) -> Result<PathBuf, String> {
    let expected = format!("websocat {WEBSOCAT_VERSION}");
    let fits = |path: &Path| cmd::stdout_of(path, &["--version"]).is_some_and(|v| v == expected);
    if let Some(found) = find_tool(ws, "websocat", fits) {
        return Ok(found);
    }
    say(&format!(
        "  installing websocat {WEBSOCAT_VERSION} from crates.io into {} \
         (takes ~3 minutes on 2 cores, once)",
        ws.tools_dir().display()
    ));
    // No --locked: its lock file pins traitobject 0.1.0, which current Rust
    // rejects (conflicting impls); 0.1.1 builds. No default features: the
    // bench needs plain ws:// and tcp:, not TLS (which wants OpenSSL).
    cmd::run(
        Command::new(cmd::cargo())
            .current_dir(&ws.root)
            .args([
                "install",
                "websocat",
                "--version",
                WEBSOCAT_VERSION,
                "--no-default-features",
                "--root",
            ])
            .arg(ws.tools_dir()),
    )?;
    installed(ws, "websocat", fits)
}

fn chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        say(&format!("  found {CHROMIUM} and {CHROMEDRIVER}"));
        return Ok(());
    }
    say("  installing Debian's chromium and chromium-driver (about a minute, once)");
    apt::install(&["chromium", "chromium-driver"])
}

/// Real servers the relay's tests start on loopback themselves: the
/// shared-limits tests run two relays against one `redis-server`.
/// The deploy tests check deploy/'s configs with nginx and caddy, and the
/// static build needs musl-gcc.
pub const TEST_SERVERS: &[(&str, &str)] = &[
    ("redis-server", "/usr/bin/redis-server"),
    ("nginx", "/usr/sbin/nginx"),
    ("caddy", "/usr/bin/caddy"),
    ("musl-tools", "/usr/bin/musl-gcc"),
];

fn test_servers() -> Result<(), String> {
    let missing: Vec<&str> = TEST_SERVERS
        .iter()
        .filter(|(_, path)| !Path::new(path).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        say("  found redis-server, nginx, caddy and musl-gcc");
        return Ok(());
    }
    say(&format!("  installing Debian's {}", missing.join(" ")));
    apt::install(&missing)
}

/// A tool that `fits`, on PATH or in `.tools/bin`.
fn find_tool(ws: &Workspace, name: &str, fits: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates = cmd::which(name, &path)
        .into_iter()
        .chain(Some(ws.tools_bin().join(name)));
    for candidate in candidates {
        if fits(&candidate) {
            let version = cmd::stdout_of(&candidate, &["--version"]).unwrap_or_default();
            say(&format!("  found {} ({version})", candidate.display()));
            return Some(candidate);
        }
    }
    None
}

/// After `cargo install --root .tools`: the tool must be there and fit.
fn installed(ws: &Workspace, name: &str, fits: impl Fn(&Path) -> bool) -> Result<PathBuf, String> {
    let path = ws.tools_bin().join(name);
    if fits(&path) {
        Ok(path)
    } else {
        Err(format!(
            "installed {name} but {} does not report the expected version",
            path.display()
        ))
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `first` directories (in order, without repeats) ahead of the current PATH.
fn child_path(first: &[PathBuf]) -> OsString {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let current = std::env::var_os("PATH").unwrap_or_default();
    for dir in first.iter().cloned().chain(std::env::split_paths(&current)) {
        if !dir.as_os_str().is_empty() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    std::env::join_paths(dirs).unwrap_or(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page copies Pyodide from where this installs it, and loads it
    /// from the folder that copy makes.
    #[test]
    fn the_page_and_the_install_name_one_pyodide() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = format!("pyodide-{PYODIDE_VERSION}");
        let index = std::fs::read_to_string(root.join("index.html")).unwrap();
        assert!(
            index.contains(&format!(r#"rel="copy-dir" href=".tools/{dir}""#)),
            "index.html must copy .tools/{dir}"
        );
        let page = std::fs::read_to_string(root.join("frontend/src/python/mod.rs")).unwrap();
        assert!(
            page.contains(&format!(r#""/{dir}/""#)),
            "the page must load /{dir}/"
        );
    }

    #[test]
    fn tool_installs_share_one_target_dir_and_skip_lto() {
        let ws = Workspace {
            root: PathBuf::from("/repo"),
            target_dir: PathBuf::from("/repo/target"),
        };
        let command = cargo_install(&ws);
        let envs: Vec<(String, String)> = command
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), v?.to_str()?.to_owned())))
            .collect();
        let env = |key: &str| envs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        // Not the workspace's target dir (its lock file and profile are
        // ours, not the tools'), and the same for every tool.
        assert_eq!(env("CARGO_TARGET_DIR"), Some("/repo/.tools/cargo-target"));
        assert_eq!(env("CARGO_PROFILE_RELEASE_LTO"), Some("off"));
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(args, ["install", "--root", "/repo/.tools"]);
    }
}
