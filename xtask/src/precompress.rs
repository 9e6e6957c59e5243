//! The page's files, compressed once when the page is built.
//!
//! Next to each text or WebAssembly file of the page this writes `NAME.br`
//! (brotli, best quality) and `NAME.gz` (gzip, best level); the relay sends
//! the form a browser accepts (relay/src/assets.rs) and never compresses
//! while answering. Both compressors are deterministic (gzip's header
//! carries no time or name), so the same page gives the same bytes and a
//! build with nothing changed rewrites nothing in `dist/`.

use std::io::Write as _;
use std::path::Path;

use crate::page::files_under;

/// Extensions worth compressing: text and WebAssembly. Images such as PNG
/// are compressed already; an SVG is text.
const COMPRESSIBLE: &[&str] = &[
    "wasm", "js", "mjs", "css", "html", "svg", "json", "txt", "py",
];

/// The suffixes of the compressed forms, as the relay looks them up.
pub const BROTLI_SUFFIX: &str = ".br";
pub const GZIP_SUFFIX: &str = ".gz";

/// Writes the compressed forms of every compressible file below `dir`
/// (replacing older ones); a form that is not smaller than the file is not
/// written, since sending it would cost more than the file itself. Returns
/// how many files were compressed.
///
/// A file whose bytes are those of the same file in `previous` (the last
/// build's output) takes that build's compressed forms instead: Pyodide's
/// 13 MB take a minute at brotli's best and never change between builds.
pub fn precompress(dir: &Path, previous: Option<&Path>) -> Result<usize, String> {
    let mut count = 0;
    for relative in files_under(dir)? {
        let path = dir.join(&relative);
        if !is_compressible(&path) {
            continue;
        }
        let raw =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let earlier = previous.and_then(|previous| earlier_forms(&previous.join(&relative), &raw));
        let forms = match earlier {
            Some(forms) => forms,
            None => [(BROTLI_SUFFIX, brotli(&raw)), (GZIP_SUFFIX, gzip(&raw))],
        };
        for (suffix, compressed) in forms {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let target = Path::new(&name);
            if compressed.len() < raw.len() {
                std::fs::write(target, &compressed)
                    .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            } else if target.exists() {
                std::fs::remove_file(target)
                    .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
            }
        }
        count += 1;
    }
    Ok(count)
}

/// The compressed forms the last build wrote for `path`, when its bytes
/// were `raw` and it has both (a build writes both whenever they are
/// smaller, which for these files they are).
fn earlier_forms(path: &Path, raw: &[u8]) -> Option<[(&'static str, Vec<u8>); 2]> {
    if std::fs::read(path).ok()? != raw {
        return None;
    }
    let form = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::fs::read(Path::new(&name)).ok()
    };
    Some([
        (BROTLI_SUFFIX, form(BROTLI_SUFFIX)?),
        (GZIP_SUFFIX, form(GZIP_SUFFIX)?),
    ])
}

fn is_compressible(path: &Path) -> bool {
    let dot_file = path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'));
    !dot_file
        && path
            .extension()
            .is_some_and(|ext| COMPRESSIBLE.contains(&ext.to_string_lossy().as_ref()))
}

/// Brotli at its best quality (11) and a 4 MiB window: the page is
/// compressed once per build, so time spent here is paid once.
pub fn brotli(raw: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &raw[..], &mut out, &params)
        .expect("compressing into memory cannot fail");
    out
}

/// Gzip at its best level, with no time or file name in the header.
pub fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(raw)
        .expect("compressing into memory cannot fail");
    encoder
        .finish()
        .expect("compressing into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn unbrotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
        out
    }

    fn ungzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn compressed_forms_decode_to_the_file_and_are_written_only_when_smaller() {
        let dir = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets")).unwrap();
        let wasm: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let css = "body { margin: 0 }\n".repeat(200);
        std::fs::write(dir.join("app_bg.wasm"), &wasm).unwrap();
        std::fs::write(dir.join("snippets/style.css"), &css).unwrap();
        // Too small to gain anything, and a kind that is compressed already.
        std::fs::write(dir.join("tiny.js"), "x").unwrap();
        std::fs::write(dir.join("photo.png"), &wasm).unwrap();
        std::fs::write(dir.join(".trunk-lock"), &css).unwrap();

        assert_eq!(precompress(&dir, None).unwrap(), 3);

        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        assert_eq!(unbrotli(&read("app_bg.wasm.br")), wasm);
        assert_eq!(ungzip(&read("app_bg.wasm.gz")), wasm);
        assert_eq!(unbrotli(&read("snippets/style.css.br")), css.as_bytes());
        assert_eq!(ungzip(&read("snippets/style.css.gz")), css.as_bytes());
        for absent in ["tiny.js.br", "tiny.js.gz", "photo.png.br", ".trunk-lock.br"] {
            assert!(!dir.join(absent).exists(), "{absent}");
        }

        // The same input gives the same bytes (so dist/ is not rewritten),
        // and compressing again does not compress the compressed forms.
        let first = read("app_bg.wasm.gz");
        assert_eq!(precompress(&dir, None).unwrap(), 3);
        assert_eq!(read("app_bg.wasm.gz"), first);
        assert!(!dir.join("app_bg.wasm.br.br").exists());

        // A file unchanged since the last build takes that build's forms
        // (here marked, to tell them from fresh ones); a changed file is
        // compressed afresh.
        let next = dir.with_extension("next");
        let _ = std::fs::remove_dir_all(&next);
        std::fs::create_dir_all(next.join("snippets")).unwrap();
        std::fs::write(next.join("app_bg.wasm"), &wasm).unwrap();
        std::fs::write(
            next.join("snippets/style.css"),
            "p { color: red }\n".repeat(200),
        )
        .unwrap();
        std::fs::write(dir.join("app_bg.wasm.br"), b"kept").unwrap();
        assert_eq!(precompress(&next, Some(&dir)).unwrap(), 2);
        assert_eq!(std::fs::read(next.join("app_bg.wasm.br")).unwrap(), b"kept");
        assert_eq!(
            unbrotli(&std::fs::read(next.join("snippets/style.css.br")).unwrap()),
            "p { color: red }\n".repeat(200).as_bytes()
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&next);
    }
}
