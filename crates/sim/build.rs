//! The index of the built-in scenario and activity files (`scenarios/*.toml`,
//! `activities/*.toml` at the top of the repository), written to `$OUT_DIR/builtin_index.rs`:
//! what the page needs to list them without their texts (`scenario::builtin`,
//! `activity::builtin_index`), and a version of each file (a hash of its text) for the URL the
//! page fetches it from, so that a browser's cache never mixes files of two builds.
//!
//! Also sets `cfg(builtin_text)`: the files' texts are compiled in, except in the page
//! (wasm32 with the feature `fetch-data`), which fetches a file when it needs it. The page's
//! index has no descriptions either (16 KB of text): the page reads the one it draws from the
//! header of the scenario's precomputed log (scripts/copy-logs.mjs writes it there), and the
//! picker's search fetches all of them (`scenarios/descriptions.tsv`, a file the test
//! `the_descriptions_file_matches_the_files` holds equal to the scenarios' own descriptions).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(builtin_text)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let builtin_text = !(wasm && std::env::var_os("CARGO_FEATURE_FETCH_DATA").is_some());
    if builtin_text {
        println!("cargo::rustc-cfg=builtin_text");
    }
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let top = manifest.join("../..");
    let tsv_path = top.join("scenarios/descriptions.tsv");
    println!("cargo::rerun-if-changed={}", tsv_path.display());
    let tsv = std::fs::read_to_string(&tsv_path).unwrap_or_default();
    let described = |id: &str| tsv.lines().find_map(|l| l.strip_prefix(id)?.strip_prefix('\t'));
    let mut out = String::from("// Written by build.rs from scenarios/*.toml and activities/*.toml.\n\n");
    out.push_str(&format!(
        "/// A hash of `scenarios/descriptions.tsv`, for its URL.\n#[allow(dead_code)]\npub(crate) const DESCRIPTIONS_VERSION: &str = {:?};\n\n",
        version(&tsv)
    ));
    out.push_str("/// The built-in scenarios' headers, sorted by id (the file's name without `.toml`).\n");
    out.push_str("pub(crate) static SCENARIO_INDEX: &[Entry] = &[\n");
    for (name, text) in files(&top.join("scenarios")) {
        let head = table(&name, &text, "scenario");
        let get = |k: &str| head.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let summary = get("summary").unwrap_or_default();
        let id = name.trim_end_matches(".toml");
        // The page's index leaves the descriptions out (above).
        let description = match builtin_text {
            true => format!("description: {:?}, ", get("description").unwrap_or_else(|| summary.clone())),
            false => String::new(),
        };
        out.push_str(&format!(
            "    Entry {{ id: {id:?}, title: {:?}, topic: {:?}, summary: {:?}, {description}decrypted: {}, version: {:?}, log: {:?} }},\n",
            get("title").unwrap_or_default(),
            get("topic").unwrap_or_else(|| "Your own".into()),
            summary,
            get("decrypted").is_some_and(|d| d == "true"),
            version(&text),
            log_version(&manifest.join("tests/golden").join(name.replace(".toml", ".jsonl")), described(id)),
        ));
    }
    out.push_str("];\n\n");
    out.push_str("/// The built-in activity files, sorted by file name: (file name, id, scenario, version).\n");
    out.push_str("#[cfg_attr(not(feature = \"engine\"), allow(dead_code))]\n");
    out.push_str("pub(crate) static ACTIVITY_INDEX: &[(&str, &str, &str, &str)] = &[\n");
    for (name, text) in files(&top.join("activities")) {
        let head = table(&name, &text, "activity");
        let get = |k: &str| head.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
        out.push_str(&format!("    ({name:?}, {:?}, {:?}, {:?}),\n", get("id"), get("scenario"), version(&text)));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("builtin_index.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The `.toml` files of `dir`, sorted by name: (name, text).
fn files(dir: &Path) -> Vec<(String, String)> {
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("the directory exists").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.ends_with(".toml") {
            println!("cargo::rerun-if-changed={}", e.path().display());
            out.push((name, std::fs::read_to_string(e.path()).expect("a text file")));
        }
    }
    out.sort();
    out
}

/// The string values of table `[name]` in a file (a file that does not parse gives none: the
/// loader's tests report it).
fn table(file: &str, text: &str, name: &str) -> Vec<(String, String)> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        println!("cargo::warning={file} does not parse");
        return vec![];
    };
    let Some(DeValue::Table(t)) = root.get_ref().get(name).map(|v| v.get_ref()) else { return vec![] };
    t.iter()
        .filter_map(|(k, v)| match v.get_ref() {
            DeValue::String(s) => Some((k.get_ref().to_string(), s.to_string())),
            DeValue::Boolean(b) => Some((k.get_ref().to_string(), b.to_string())),
            _ => None,
        })
        .collect()
}

/// The page draws a built-in scenario from its precomputed log (the golden log, which the
/// golden test holds equal to what the engines write), copied beside the page as
/// `logs/ID.jsonl` by scripts/copy-logs.mjs, when the log is at most this long (the same
/// limit there); a longer one (the class of 200) is computed in the page.
const LOG_LIMIT: u64 = 256 * 1024;

/// The version of the precomputed log at `path` as copied beside the page (a hash of its
/// text, with the scenario's description in its header: [`with_description`]), or "" for none.
fn log_version(path: &Path, description: Option<&str>) -> String {
    println!("cargo::rerun-if-changed={}", path.display());
    match std::fs::metadata(path) {
        Ok(m) if m.len() <= LOG_LIMIT => {
            std::fs::read_to_string(path).map(|t| version(&with_description(&t, description))).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The log as scripts/copy-logs.mjs copies it: its header line (a JSON object) gets the key
/// `description` last, written as `JSON.stringify` writes a string.
fn with_description(log: &str, description: Option<&str>) -> String {
    let (Some(d), Some((head, rest))) = (description, log.split_once('\n')) else { return log.to_string() };
    let Some(head) = head.strip_suffix('}') else { return log.to_string() };
    let mut out = format!("{head},\"description\":\"");
    for c in d.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("\"}\n");
    out.push_str(rest);
    out
}

/// FNV-1a (64 bits) of the text, in hex.
fn version(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}
