//! The playground's files, embedded by `build.rs` from `dist/` (or the page that says how to
//! build it), with their content types.

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Whether the real page is embedded (not the placeholder).
pub fn embedded() -> bool {
    EMBEDDED_BUILD
}

/// The file at URL path `path` (`/` is `index.html`): its bytes and content type.
pub fn get(path: &str) -> Option<(&'static [u8], &'static str)> {
    let p = path.trim_start_matches('/');
    let p = if p.is_empty() { "index.html" } else { p };
    let i = ASSETS.binary_search_by(|(name, _)| name.cmp(&p)).ok()?;
    Some((ASSETS[i].1, content_type(p)))
}

pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json" | "jsonl") => "application/json",
        Some("toml" | "txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_index_is_always_there_and_names_are_sorted() {
        let (bytes, ty) = super::get("/").unwrap();
        assert!(String::from_utf8_lossy(bytes).contains("<html"), "index.html is HTML");
        assert_eq!(ty, "text/html; charset=utf-8");
        assert!(super::ASSETS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(super::get("/../Cargo.toml").is_none());
    }
}
