//! Where things are: the repository root, the shared target directory, the
//! `.tools/` folder, and the versions the lock file pins.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    /// The workspace's target dir (honours CARGO_TARGET_DIR and config).
    pub target_dir: PathBuf,
}

impl Workspace {
    pub fn locate() -> Result<Self, String> {
        // xtask/ sits directly under the root; this holds wherever the user
        // typed `cargo xtask` from.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("xtask's manifest dir has no parent")?
            .to_path_buf();
        let target_dir = target_dir(&root)?;
        Ok(Self { root, target_dir })
    }

    /// Tools this project installs for itself (git-ignored).
    pub fn tools_dir(&self) -> PathBuf {
        self.root.join(".tools")
    }

    pub fn tools_bin(&self) -> PathBuf {
        self.tools_dir().join("bin")
    }

    /// Mermaid's browser build, for the export check in the browser tests.
    pub fn mermaid_js(&self) -> PathBuf {
        self.tools_dir().join("mermaid").join("mermaid.min.js")
    }

    /// Pyodide's core files, as `index.html` copies them into the page.
    pub fn pyodide_dir(&self, version: &str) -> PathBuf {
        self.tools_dir().join(format!("pyodide-{version}"))
    }

    /// Ajv and the HAR 1.2 schema, for the HAR check in the browser tests.
    pub fn har_tools(&self) -> PathBuf {
        self.tools_dir().join("har")
    }

    pub fn binaryen_dir(&self) -> PathBuf {
        self.tools_dir().join("binaryen")
    }

    pub fn binaryen_bin(&self) -> PathBuf {
        self.binaryen_dir().join("node_modules").join(".bin")
    }

    /// The `wasm-bindgen` version Cargo.lock resolved: the CLI must match it
    /// exactly or the generated JS glue and the wasm disagree.
    pub fn locked_wasm_bindgen(&self) -> Result<String, String> {
        let path = self.root.join("Cargo.lock");
        let lock = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let versions = locked_versions(&lock, "wasm-bindgen");
        match versions.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(format!(
                "{} has no `wasm-bindgen` package; is the frontend in the workspace?",
                path.display()
            )),
            many => Err(format!(
                "{} has several `wasm-bindgen` versions {many:?}; \
                 the CLI can match only one. Run `cargo tree -i wasm-bindgen` to see why.",
                path.display()
            )),
        }
    }

    /// The version Trunk.toml's `[tools] wasm_bindgen` pins, if any.
    pub fn trunk_pinned_wasm_bindgen(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.root.join("Trunk.toml")).ok()?;
        toml_string_value(&text, "wasm_bindgen")
    }
}

fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let output = Command::new(crate::cmd::cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo metadata` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`cargo metadata` printed invalid JSON: {e}"))?;
    json["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "`cargo metadata` has no target_directory".to_owned())
}

/// Versions of every `[[package]]` named `name` in a Cargo.lock. The format
/// is stable and line-oriented, so a TOML parser would be overkill.
fn locked_versions(lock: &str, name: &str) -> Vec<String> {
    let wanted = format!("name = \"{name}\"");
    let mut versions = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let mut lines = block.lines().map(str::trim);
        if lines.clone().any(|line| line == wanted)
            && let Some(version) = lines.find_map(|line| toml_string_value(line, "version"))
        {
            versions.push(version);
        }
    }
    versions
}

/// The string value of the first `key = "value"` line in `text`.
fn toml_string_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.trim();
        let v = v.split_once('#').map_or(v, |(before, _)| before.trim());
        Some(v.strip_prefix('"')?.strip_suffix('"')?.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "wasm-bindgen-macro",
]

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.999"
"#;

    #[test]
    fn finds_exact_package_only() {
        assert_eq!(locked_versions(LOCK, "wasm-bindgen"), ["0.2.130"]);
        assert_eq!(locked_versions(LOCK, "wasm-bindgen-macro"), ["0.2.999"]);
        assert!(locked_versions(LOCK, "yew").is_empty());
    }

    #[test]
    fn reads_trunk_pin_with_comment() {
        let trunk = "[tools]\nwasm_bindgen = \"0.2.130\"  # must equal Cargo.lock\n";
        assert_eq!(
            toml_string_value(trunk, "wasm_bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(toml_string_value(trunk, "wasm_opt"), None);
    }
}
