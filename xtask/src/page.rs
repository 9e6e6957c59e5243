//! Building the page into `dist/` without touching what did not change.
//!
//! The release relay embeds `dist/`, and cargo rebuilds it (a crate compile
//! and an LTO link, minutes on two cores) whenever a file there is newer
//! than its last build. `trunk build` writes every file anew each time, so
//! Trunk builds into a staging folder under the target dir and only files
//! whose bytes differ are copied into `dist/`: a build with nothing changed
//! leaves `dist/` as it was, modification times included, and the relay is
//! not rebuilt. `run` and `test` both build the page through here.
//!
//! Trunk itself takes 20 s or more even when nothing changed (wasm-bindgen
//! and wasm-opt run every time), so it is skipped when what it reads is the
//! same as for the build in the staging folder: the frontend's wasm as
//! cargo left it, the files `index.html` hands to Trunk, Trunk.toml, and
//! the tools. After Trunk, each file is compressed once (precompress.rs),
//! in the staging folder, so the compressed forms reach `dist/` by the same
//! sync. Cargo builds the wasm first, with the arguments Trunk gives
//! it, so that the wasm is current (and Trunk finds it fresh).

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::{Path, PathBuf};

use crate::cmd::{self, say};
use crate::setup::Tools;
use crate::workspace::Workspace;

/// What a sync did to `dist/`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Synced {
    /// Files written because they were new or their bytes differed.
    pub written: Vec<PathBuf>,
    /// Files removed because the new build no longer has them.
    pub removed: Vec<PathBuf>,
    pub unchanged: usize,
}

/// `trunk build --release` into the staging folder, then [`sync`] into
/// `dist/`.
pub fn build(ws: &Workspace, tools: &Tools) -> Result<Synced, String> {
    let staging = ws.target_dir.join("page-staging");
    let stamp_file = ws.target_dir.join("page-staging.inputs");
    // Trunk's own cargo command (`--profile page`, as index.html asks;
    // `--bin`; `--offline` since Trunk.toml says offline, which does not
    // change what is built).
    cmd::run(&mut tools.cargo(
        ws,
        &[
            "build",
            "--target=wasm32-unknown-unknown",
            "--manifest-path",
            "frontend/Cargo.toml",
            "--profile",
            "page",
            "--offline",
            "--bin",
            "roundtrip-frontend",
        ],
    ))?;
    let inputs = inputs_stamp(ws, tools)?;
    let built_from = std::fs::read_to_string(&stamp_file).ok();
    if built_from.as_deref() == Some(inputs.as_str()) && staging.join("index.html").is_file() {
        say("the page's inputs are those of the last Trunk build: Trunk skipped");
    } else {
        // A Trunk build that fails or stops half-way leaves no stamp.
        let _ = std::fs::remove_file(&stamp_file);
        cmd::run(
            tools
                .command(ws, &tools.trunk)
                .args(["build", "--release", "--dist"])
                .arg(&staging),
        )?;
        // Compressed once here, so the relay never compresses per request.
        let compressed = crate::precompress::precompress(&staging, Some(&ws.root.join("dist")))?;
        say(&format!(
            "{compressed} file(s) of the page compressed (brotli, gzip)"
        ));
        std::fs::write(&stamp_file, &inputs)
            .map_err(|e| format!("cannot write {}: {e}", stamp_file.display()))?;
    }
    let synced = sync(&staging, &ws.root.join("dist"))?;
    say(&format!(
        "dist/: {} file(s) written, {} removed, {} unchanged",
        synced.written.len(),
        synced.removed.len(),
        synced.unchanged
    ));
    Ok(synced)
}

/// What a Trunk build reads, as one line: a hash of the files `index.html`
/// hands to Trunk (`data-trunk` links' `href`s, whole folders for
/// directories), of index.html, Trunk.toml and the frontend's wasm, and the
/// tools' paths (their versions are pinned by path and by `setup`).
fn inputs_stamp(ws: &Workspace, tools: &Tools) -> Result<String, String> {
    let index = read(&ws.root.join("index.html"))?;
    let mut files = vec![
        ws.root.join("index.html"),
        ws.root.join("Trunk.toml"),
        ws.target_dir
            .join("wasm32-unknown-unknown")
            // The `page` profile's folder (see the cargo command above).
            .join("page")
            .join("roundtrip-frontend.wasm"),
    ];
    for href in trunk_hrefs(&String::from_utf8_lossy(&index)) {
        let path = ws.root.join(href);
        if path.is_dir() {
            files.extend(files_under(&path)?.into_iter().map(|f| path.join(f)));
        } else {
            files.push(path);
        }
    }
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.hash(&mut hasher);
        read(file)?.hash(&mut hasher);
    }
    // What the build does after Trunk: a change there must rebuild the
    // staging folder too.
    "precompressed: brotli 11, gzip 9".hash(&mut hasher);
    tools.trunk.hash(&mut hasher);
    tools.path.hash(&mut hasher);
    Ok(format!("{:016x} {} files\n", hasher.finish(), files.len()))
}

/// The `href` of every `<link data-trunk ...>` in index.html.
fn trunk_hrefs(html: &str) -> Vec<&str> {
    html.split('<')
        .filter(|tag| tag.starts_with("link") && tag.contains("data-trunk"))
        .filter_map(|tag| tag.split("href=\"").nth(1)?.split('"').next())
        .collect()
}

/// Makes `dist` hold exactly the files of `staging`, writing only those
/// whose bytes differ (a file written is replaced whole, through a
/// temporary name, so a reader never sees half of it).
pub fn sync(staging: &Path, dist: &Path) -> Result<Synced, String> {
    // Dot files are Trunk's own (`.trunk-lock`), not the page's.
    let wanted: BTreeSet<PathBuf> = files_under(staging)?
        .into_iter()
        .filter(|f| !f.to_string_lossy().starts_with('.'))
        .collect();
    let present = if dist.is_dir() {
        files_under(dist)?
    } else {
        BTreeSet::new()
    };
    let mut synced = Synced::default();
    for relative in &wanted {
        let from = staging.join(relative);
        let to = dist.join(relative);
        let new = read(&from)?;
        if present.contains(relative) && std::fs::read(&to).is_ok_and(|old| old == new) {
            synced.unchanged += 1;
            continue;
        }
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let partial = to.with_file_name(format!(
            ".{}.partial",
            to.file_name().unwrap_or_default().to_string_lossy()
        ));
        std::fs::write(&partial, &new)
            .and_then(|()| std::fs::rename(&partial, &to))
            .map_err(|e| format!("cannot write {}: {e}", to.display()))?;
        synced.written.push(relative.clone());
    }
    for relative in present.difference(&wanted) {
        let path = dist.join(relative);
        std::fs::remove_file(&path)
            .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        synced.removed.push(relative.clone());
    }
    Ok(synced)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Every file below `root`, as paths relative to it.
pub fn files_under(root: &Path) -> Result<BTreeSet<PathBuf>, String> {
    let mut files = BTreeSet::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
            if kind.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                files.insert(relative.to_path_buf());
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-page-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn put(path: PathBuf, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn mtime(path: PathBuf) -> SystemTime {
        path.metadata().unwrap().modified().unwrap()
    }

    #[test]
    fn trunk_inputs_are_read_from_index_html() {
        let html = r#"<link data-trunk rel="css" href="frontend/style.css" />
            <link rel="icon" href="favicon.ico" />
            <link data-trunk rel="rust" href="frontend/Cargo.toml" data-bin="x" />"#;
        assert_eq!(
            trunk_hrefs(html),
            ["frontend/style.css", "frontend/Cargo.toml"]
        );
        // Every asset the real index.html hands to Trunk is hashed.
        let index = include_str!("../../index.html");
        assert!(
            trunk_hrefs(index).contains(&"frontend/style.css"),
            "{index}"
        );
    }

    #[test]
    fn only_changed_files_are_written_and_stale_ones_go() {
        let root = scratch("sync");
        let (staging, dist) = (root.join("staging"), root.join("dist"));
        put(staging.join("index.html"), "<html>");
        put(staging.join("app-1.wasm"), "wasm 1");
        put(staging.join("snippets/a.js"), "js");
        put(staging.join(".trunk-lock"), "");
        let first = sync(&staging, &dist).unwrap();
        assert_eq!(first.written.len(), 3);

        // Make any rewrite visible in the modification time.
        let old = SystemTime::now() - Duration::from_secs(3600);
        for file in ["index.html", "app-1.wasm", "snippets/a.js"] {
            std::fs::File::options()
                .write(true)
                .open(dist.join(file))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        // The same build again: nothing is touched.
        let again = sync(&staging, &dist).unwrap();
        assert_eq!(
            again,
            Synced {
                unchanged: 3,
                ..Synced::default()
            }
        );
        assert_eq!(mtime(dist.join("index.html")), old);

        // A new wasm under a new name: index.html and the wasm are written,
        // the old wasm goes, the untouched script keeps its time.
        std::fs::remove_file(staging.join("app-1.wasm")).unwrap();
        put(staging.join("app-2.wasm"), "wasm 2");
        put(staging.join("index.html"), "<html> 2");
        let changed = sync(&staging, &dist).unwrap();
        assert_eq!(
            changed.written,
            [PathBuf::from("app-2.wasm"), PathBuf::from("index.html")]
        );
        assert_eq!(changed.removed, [PathBuf::from("app-1.wasm")]);
        assert_eq!(changed.unchanged, 1);
        assert_eq!(mtime(dist.join("snippets/a.js")), old);
        assert_eq!(
            std::fs::read_to_string(dist.join("index.html")).unwrap(),
            "<html> 2"
        );
        let _ = std::fs::remove_dir_all(root);
    }
}
