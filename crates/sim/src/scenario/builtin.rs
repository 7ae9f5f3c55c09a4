//! The built-in scenarios: the files in `scenarios/` at the top of the repository, in the
//! order the picker lists them ([`IDS`]).
//!
//! Natively and in the wasm tests their texts are compiled in ([`FILES`], [`SCENARIOS`]). The
//! page (wasm32 with the feature `fetch-data`) compiles in only their [`index`] (id, title,
//! topic, summary: what the picker lists, written by build.rs) and fetches a file when it
//! opens it (`scenarios/ID.toml` beside the page, [`Entry::url`]), handing its text over with
//! [`provide`]. Its index has no descriptions: the page reads the one it draws from the
//! scenario's precomputed log (scripts/copy-logs.mjs adds it to the log's header) and fetches
//! all of them for the picker's search ([`descriptions_url`]: `scenarios/descriptions.tsv`,
//! which a test holds equal to the files' descriptions). [`info_of`](super::info_of) finds a scenario either
//! way: compiled in, or provided.

#[cfg(feature = "engine")]
use super::Scenario;

/// What the picker shows of a built-in scenario, without its file.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: &'static str,
    pub title: &'static str,
    pub topic: &'static str,
    pub summary: &'static str,
    /// Not in the page's index (above).
    #[cfg(builtin_text)]
    pub description: &'static str,
    /// The page opens it with "show decrypted" ticked (`decrypted = true`).
    pub decrypted: bool,
    /// A hash of the file's text.
    pub version: &'static str,
    /// A hash of its precomputed log beside the page (`logs/ID.jsonl`), "" for none (build.rs).
    pub log: &'static str,
}

impl Entry {
    /// Where the page fetches the file, relative to the page (the version keeps a cached
    /// file of another build out).
    pub fn url(&self) -> String {
        format!("scenarios/{}.toml?v={}", self.id, self.version)
    }

    /// Where the page fetches its precomputed log (the log of a run without learner
    /// actions), if it has one: the page draws it without running the world.
    pub fn log_url(&self) -> Option<String> {
        (!self.log.is_empty()).then(|| format!("logs/{}.jsonl?v={}", self.id, self.log))
    }
}

include!(concat!(env!("OUT_DIR"), "/builtin_index.rs"));

/// Where the page fetches every built-in scenario's description, for the picker's search:
/// `scenarios/descriptions.tsv`, one `ID<TAB>description` line per scenario (its version keeps
/// a cached file of another build out).
pub fn descriptions_url() -> String {
    format!("scenarios/descriptions.tsv?v={DESCRIPTIONS_VERSION}")
}

/// The lines of `scenarios/descriptions.tsv`: (id, description).
pub fn read_descriptions(tsv: &str) -> impl Iterator<Item = (&str, &str)> {
    tsv.lines().filter_map(|l| l.split_once('\t'))
}

macro_rules! builtin {
    ($($id:literal),* $(,)?) => {
        /// The built-in scenarios' ids, in the picker's order.
        pub const IDS: &[&str] = &[$($id),*];
        /// (file name, text) of every built-in scenario.
        #[cfg(builtin_text)]
        pub const FILES: &[(&str, &str)] =
            &[$((concat!($id, ".toml"), include_str!(concat!("../../../../scenarios/", $id, ".toml")))),*];
    };
}

builtin!(
    "playground",
    "alice-to-bob",
    "cc-and-bcc",
    "spoofed-from",
    "unknown-user",
    "dsn",
    "greylisting",
    "server-down",
    "port-blocked",
    "crash-before-250",
    "server-shutdown",
    "too-big",
    "relay-denied",
    "starttls-auth",
    "implicit-tls",
    "auth-failure",
    "two-hops",
    "null-mx",
    "no-mx",
    "attachment",
    "reply-codes",
    "too-many-recipients",
    "imap-session",
    "imap-ports",
    "pop3-session",
    "pop3-ports",
    "two-devices",
    "headers-only",
    "webmail",
    "smtp-vs-http",
    "organizing",
    "pipelining",
    "class",
);

/// The index of the built-in scenarios, in the picker's order.
pub fn index() -> impl Iterator<Item = &'static Entry> {
    IDS.iter().filter_map(|id| entry(id))
}

/// The index entry of built-in scenario `id`.
pub fn entry(id: &str) -> Option<&'static Entry> {
    SCENARIO_INDEX.binary_search_by(|e| e.id.cmp(id)).ok().map(|i| &SCENARIO_INDEX[i])
}

engine! {
/// The built-in scenarios, loaded on first use. A file that does not load is a bug that the
/// golden test catches; here it is left out rather than taking the page down.
#[cfg(builtin_text)]
pub static SCENARIOS: std::sync::LazyLock<Vec<Scenario>> =
    std::sync::LazyLock::new(|| FILES.iter().filter_map(|(name, text)| super::load(name, text).ok()).collect());

/// A built-in scenario by id: compiled in, or (in the page) provided.
pub(super) fn find(id: &str) -> Option<&'static Scenario> {
    #[cfg(builtin_text)]
    return SCENARIOS.iter().find(|s| s.id == id);
    #[cfg(not(builtin_text))]
    return PROVIDED.with(|p| p.borrow().iter().copied().find(|s| s.id == id));
}

#[cfg(not(builtin_text))]
thread_local! {
    /// The files the page has fetched, loaded (each kept for the page's life, one per id).
    static PROVIDED: std::cell::RefCell<Vec<&'static Scenario>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether built-in scenario `id` is at hand (always, where the files are compiled in).
pub fn is_ready(id: &str) -> bool {
    find(id).is_some()
}

/// Hands over the text of built-in scenario `id`, fetched from [`Entry::url`]: the scenario,
/// or why not (not a built-in id, or the file does not load). Where the files are compiled in,
/// the text is not needed.
pub fn provide(id: &str, text: &str) -> Result<&'static Scenario, String> {
    if let Some(s) = find(id) {
        return Ok(s);
    }
    if entry(id).is_none() {
        return Err(format!("\"{id}\" is not a built-in scenario"));
    }
    let s = super::load(&format!("{id}.toml"), text).map_err(|e| e.to_string())?;
    if s.id != id {
        return Err(format!("the file scenarios/{id}.toml has the id \"{}\"", s.id));
    }
    #[cfg(builtin_text)]
    return Err(format!("\"{id}\" did not load"));
    #[cfg(not(builtin_text))]
    {
        let s: &'static Scenario = Box::leak(Box::new(s));
        PROVIDED.with(|p| p.borrow_mut().push(s));
        Ok(s)
    }
}
}

#[cfg(all(test, builtin_text, feature = "engine"))]
mod tests {
    use super::*;

    /// The index (what build.rs read of each file) says what loading the file says, and
    /// lists every file in the picker's order.
    #[test]
    fn the_index_matches_the_files() {
        assert_eq!(SCENARIO_INDEX.len(), IDS.len(), "every scenarios/*.toml is listed in IDS");
        assert_eq!(SCENARIOS.len(), IDS.len(), "every built-in file loads");
        for (s, e) in SCENARIOS.iter().zip(index()) {
            assert_eq!(
                (e.id, e.title, e.topic, e.summary, e.description, e.decrypted),
                (
                    s.id.as_str(),
                    s.title.as_str(),
                    s.topic.as_str(),
                    s.summary.as_str(),
                    s.description.as_str(),
                    s.decrypted
                )
            );
            assert_eq!(e.url(), format!("scenarios/{}.toml?v={}", s.id, e.version));
        }
        let v: Vec<&str> = SCENARIO_INDEX.iter().map(|e| e.version).collect();
        assert!(v.iter().all(|v| v.len() == 16), "{v:?}");
        // The precomputed logs the page draws from: every scenario's but the class of 200.
        let logs: Vec<&str> = index().filter(|e| e.log_url().is_none()).map(|e| e.id).collect();
        assert_eq!(logs, ["class"]);
        assert_eq!(
            entry("alice-to-bob").and_then(Entry::log_url).map(|u| u.len()),
            Some("logs/alice-to-bob.jsonl?v=".len() + 16)
        );
        assert!(
            entry("imap-session").is_some_and(|e| e.decrypted) && entry("alice-to-bob").is_some_and(|e| !e.decrypted)
        );
        assert!(provide("alice-to-bob", "").is_ok_and(|s| s.id == "alice-to-bob"), "at hand already");
        assert!(provide("no-such", "").is_err());
    }

    /// `scenarios/descriptions.tsv` (what the page's search fetches, and what
    /// scripts/copy-logs.mjs writes into each precomputed log's header) says what the files
    /// say. `BLESS=1 cargo test -p mailsim-sim the_descriptions_file` writes it again.
    #[test]
    fn the_descriptions_file_matches_the_files() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/descriptions.tsv");
        let mut want = String::new();
        for e in SCENARIO_INDEX {
            assert!(!e.description.contains(['\t', '\n', '\r']), "{}: one line, no tab", e.id);
            want.push_str(&format!("{}\t{}\n", e.id, e.description));
        }
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(path, &want).expect("the file is writable");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "{path} is out of date: BLESS=1 cargo test -p mailsim-sim the_descriptions_file");
        let read: Vec<_> = read_descriptions(&have).collect();
        assert_eq!(read.len(), SCENARIO_INDEX.len());
        assert_eq!(read[0], ("alice-to-bob", entry("alice-to-bob").map(|e| e.description).unwrap_or_default()));
        assert_eq!(descriptions_url(), format!("scenarios/descriptions.tsv?v={DESCRIPTIONS_VERSION}"));
        assert_eq!(DESCRIPTIONS_VERSION.len(), 16);
    }
}
