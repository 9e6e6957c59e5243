//! The release relay embeds `../dist/` (see src/assets.rs). rust-embed
//! names each embedded file to cargo, but not the folder: a relay built
//! before the page existed would stay fresh, and empty, after the page was
//! built. Watching the folder makes cargo rebuild the release relay when a
//! file in dist/ is added, removed or rewritten; debug builds read dist/
//! from disk and need not be rebuilt for it.

fn main() {
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../dist");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
