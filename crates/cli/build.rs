//! Embeds the playground's release build (`dist/`, written by `trunk build --release`) into the
//! `mailsim` binary, so that `mailsim serve` hosts the page with nothing beside it.
//! `MAILSIM_WEB_DIST=DIR` names another directory. Without one, the binary carries a small page
//! that says how to build it (`crates/cli/src/web/missing.html`).
//!
//! Writes `$OUT_DIR/web_assets.rs`: `static ASSETS: &[(&str, &[u8])]`, (path, bytes), sorted.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=MAILSIM_WEB_DIST");
    println!("cargo:rerun-if-changed=src/web/missing.html");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = std::env::var_os("MAILSIM_WEB_DIST").map(PathBuf::from).unwrap_or_else(|| manifest.join("../../dist"));
    // A missing directory makes cargo run this again on every build: cheap, and the page
    // appears as soon as it is built.
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut out = String::from("static ASSETS: &[(&str, &[u8])] = &[\n");
    if files.is_empty() {
        let missing = manifest.join("src/web/missing.html");
        out.push_str(&format!("    (\"index.html\", include_bytes!({:?})),\n", missing.display().to_string()));
    }
    for (rel, abs) in &files {
        out.push_str(&format!("    ({rel:?}, include_bytes!({:?})),\n", abs.display().to_string()));
    }
    out.push_str("];\n");
    out.push_str(&format!("static EMBEDDED_BUILD: bool = {};\n", !files.is_empty()));
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("web_assets.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// Every file under `dir`, as (path relative to `root` with `/`, absolute path).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            // Not Trunk's staging directory (`dist/.stage`, there while a build runs: its files
            // come and go, and `include_bytes!` of one that went failed the build).
            if !e.file_name().to_string_lossy().starts_with('.') {
                collect(root, &path, out);
            }
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            out.push((rel, path.canonicalize().unwrap_or(path)));
        }
    }
}
