//! The built-in scenarios: the files in `scenarios/` at the top of the repository, in the
//! order the picker lists them ([`IDS`]).
//!
//! Natively and in the wasm tests their texts are compiled in ([`FILES`], [`SCENARIOS`]). The
//! page (wasm32 with the feature `fetch-data`) compiles in only their [`index`] (id, title,
//! topic, summary, description: what the picker lists and searches, written by build.rs) and
//! fetches a file when it opens it (`scenarios/ID.toml` beside the page, [`Entry::url`]),
//! handing its text over with [`provide`]. [`info_of`](super::info_of) finds a scenario either
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
}
