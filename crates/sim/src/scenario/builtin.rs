//! The built-in scenarios: the files in `scenarios/` at the top of the repository, compiled
//! in (no fetching), in the order the picker lists them.

use super::{load, Scenario};
use std::sync::LazyLock;

macro_rules! file {
    ($id:literal) => {
        (concat!($id, ".toml"), include_str!(concat!("../../../../scenarios/", $id, ".toml")))
    };
}

/// (file name, text) of every built-in scenario.
pub const FILES: &[(&str, &str)] = &[
    file!("playground"),
    file!("alice-to-bob"),
    file!("cc-and-bcc"),
    file!("spoofed-from"),
    file!("unknown-user"),
    file!("dsn"),
    file!("greylisting"),
    file!("server-down"),
    file!("crash-before-250"),
    file!("too-big"),
    file!("relay-denied"),
    file!("starttls-auth"),
    file!("implicit-tls"),
    file!("auth-failure"),
    file!("two-hops"),
    file!("null-mx"),
    file!("no-mx"),
    file!("attachment"),
    file!("reply-codes"),
    file!("imap-session"),
    file!("pop3-session"),
    file!("two-devices"),
    file!("headers-only"),
    file!("webmail"),
    file!("smtp-vs-http"),
    file!("organizing"),
    file!("pipelining"),
    file!("class"),
];

/// The built-in scenarios, loaded on first use. A file that does not load is a bug that the
/// golden test catches; here it is left out rather than taking the page down.
pub static SCENARIOS: LazyLock<Vec<Scenario>> =
    LazyLock::new(|| FILES.iter().filter_map(|(name, text)| load(name, text).ok()).collect());
