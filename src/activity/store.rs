//! What the activity pages keep in the browser (localStorage) and read from the URL.
//!
//! - `mailsim.activity.<id>`: the learner's [`Progress`] in one activity (answers, what
//!   they did in the playground, hints opened), tagged with the activity's fingerprint so
//!   that progress from an older version of the file is not applied to a changed one.
//! - `mailsim.activities.custom`: activity files an instructor pasted, uploaded or loaded
//!   with `?activity=URL` (file name and text, and the scenario file fetched beside it), so
//!   that their links survive a reload.
//! - The query: `?activity=URL` (a file from this origin), `?present=1`, `?embed=1`.

use crate::engine;
use mailsim_sim::actions::Action as LearnerAction;
use mailsim_sim::activity::{Activity, Answered, LocatedError};
use serde::Serialize;
use serde_json::Value;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// A learner's progress in one activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    /// [`fingerprint`] of the activity this progress belongs to.
    pub fingerprint: String,
    /// One per item: `None` until answered (or, for a task, done; for discuss, revealed).
    pub answers: Vec<Option<Answered>>,
    /// What the learner did in the playground for this activity's tasks (kept as the
    /// scenario files' `[[action]]` tables).
    #[serde(serialize_with = "actions_as_toml")]
    pub actions: Vec<LearnerAction>,
    /// Items whose hint the learner opened.
    pub hints: Vec<usize>,
}

/// The learner's actions inside the JSON progress record, as `[[action]]` TOML text (the
/// form the playground and scenario files use; actions have no serde derives).
fn actions_as_toml<S: serde::Serializer>(a: &[LearnerAction], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&mailsim_sim::actions::to_toml(a))
}

/// A list of JSON values each read with `f`; `None` if one is not.
fn list_of<T>(v: &Value, f: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    v.as_array()?.iter().map(f).collect()
}

impl Progress {
    /// Reads what [`save_progress`] wrote: `fingerprint` and `answers` required, `actions` (the
    /// TOML text) and `hints` optional, other keys ignored; `None` where serde's derived reader
    /// failed. By hand over a JSON value: the derived readers cost the page more code.
    fn from_json(v: &Value) -> Option<Progress> {
        let answer = |x: &Value| if x.is_null() { Some(None) } else { Answered::from_json(x).map(Some) };
        Some(Progress {
            fingerprint: v.get("fingerprint")?.as_str()?.to_string(),
            answers: list_of(v.get("answers")?, answer)?,
            actions: match v.get("actions") {
                None => vec![],
                Some(a) => engine::actions_from_toml(a.as_str()?),
            },
            hints: match v.get("hints") {
                None => vec![],
                Some(h) => list_of(h, |x| x.as_u64().and_then(|n| usize::try_from(n).ok()))?,
            },
        })
    }

    pub fn new(a: &Activity) -> Progress {
        Progress { fingerprint: fingerprint(a), answers: vec![None; a.items.len()], actions: vec![], hints: vec![] }
    }

    /// How many items are answered (or done).
    pub fn done(&self) -> usize {
        self.answers.iter().filter(|a| a.is_some()).count()
    }
}

/// Identifies a version of an activity (its id, items, kinds and prompts): the completion
/// code of no answers, which hashes exactly that.
pub fn fingerprint(a: &Activity) -> String {
    engine::completion_code(a, &[])
}

fn progress_key(id: &str) -> String {
    format!("mailsim.activity.{id}")
}

/// The stored progress of `a`, or a fresh one (also when the file changed since).
pub fn load_progress(a: &Activity) -> Progress {
    let stored: Option<Progress> = storage()
        .and_then(|s| s.get_item(&progress_key(&a.id)).ok().flatten())
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| Progress::from_json(&v));
    match stored {
        Some(mut p) if p.fingerprint == fingerprint(a) => {
            p.answers.resize(a.items.len(), None);
            p
        }
        _ => Progress::new(a),
    }
}

pub fn save_progress(id: &str, p: &Progress) {
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(p)) {
        let _ = s.set_item(&progress_key(id), &text);
    }
}

pub fn clear_progress(id: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&progress_key(id));
    }
}

/// An activity file loaded by an instructor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomFile {
    pub name: String,
    pub text: String,
    /// The scenario file it names, fetched from its folder (`?activity=URL`): name and text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beside: Option<(String, String)>,
}

impl CustomFile {
    fn parse(&self) -> Result<Activity, Vec<LocatedError>> {
        match &self.beside {
            None => engine::parse_activity(&self.name, &self.text),
            Some(b) => {
                engine::parse_activity_in(&self.name, &self.text, Some(std::slice::from_ref(b))).map_err(|e| e.0)
            }
        }
    }
}

const CUSTOM_KEY: &str = "mailsim.activities.custom";

pub fn custom_files() -> Vec<CustomFile> {
    storage()
        .and_then(|s| s.get_item(CUSTOM_KEY).ok().flatten())
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| {
            list_of(&v, |f| {
                Some(CustomFile {
                    name: f.get("name")?.as_str()?.to_string(),
                    text: f.get("text")?.as_str()?.to_string(),
                    beside: match f.get("beside") {
                        Some(b) => Some((b.get(0)?.as_str()?.to_string(), b.get(1)?.as_str()?.to_string())),
                        None => None,
                    },
                })
            })
        })
        .unwrap_or_default()
}

fn save_custom(files: &[CustomFile]) {
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(files)) {
        let _ = s.set_item(CUSTOM_KEY, &text);
    }
}

/// The activities a learner can open: the built-in ones and those loaded in this browser
/// (a loaded file with a built-in id stands in for it, so an instructor can try an edit).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Library {
    pub builtin: Vec<Activity>,
    pub custom: Vec<Activity>,
}

impl Library {
    pub fn load() -> Library {
        let custom = custom_files().iter().filter_map(|f| f.parse().ok()).collect();
        Library { builtin: engine::builtin_activities(), custom }
    }

    pub fn get(&self, id: &str) -> Option<&Activity> {
        self.custom.iter().find(|a| a.id == id).or_else(|| self.builtin.iter().find(|a| a.id == id))
    }

    pub fn is_custom(&self, id: &str) -> bool {
        self.custom.iter().any(|a| a.id == id)
    }

    /// Checks a file (with the scenario file fetched beside it, if any) and, if it is sound,
    /// keeps it (replacing a loaded one with its id).
    pub fn add(
        &mut self,
        name: &str,
        text: &str,
        beside: Option<(String, String)>,
    ) -> Result<Activity, Vec<LocatedError>> {
        let file = CustomFile { name: name.into(), text: text.into(), beside };
        let a = file.parse()?;
        let mut files: Vec<CustomFile> = custom_files();
        files.retain(|f| f.parse().map(|x| x.id != a.id).unwrap_or(false));
        files.push(file);
        save_custom(&files);
        self.custom.retain(|x| x.id != a.id);
        self.custom.push(a.clone());
        Ok(a)
    }

    /// Forgets a loaded activity (and the learner's progress in it).
    pub fn remove(&mut self, id: &str) {
        let mut files = custom_files();
        files.retain(|f| f.parse().map(|x| x.id != id).unwrap_or(false));
        save_custom(&files);
        self.custom.retain(|x| x.id != id);
        clear_progress(id);
    }

    /// The file text of an activity, to download as a starting point.
    pub fn source(&self, id: &str) -> Option<(String, String)> {
        if self.is_custom(id) {
            return custom_files().into_iter().find(|f| f.parse().is_ok_and(|x| x.id == id)).map(|f| (f.name, f.text));
        }
        let a = self.builtin.iter().find(|a| a.id == id)?;
        engine::builtin_activity_files()
            .into_iter()
            .find(|(name, _)| *name == a.file)
            .map(|(name, text)| (name.rsplit('/').next().unwrap_or(name).to_string(), text.to_string()))
    }
}

/// One query parameter of the page's URL.
pub fn query(name: &str) -> Option<String> {
    let href = web_sys::window()?.location().href().ok()?;
    web_sys::Url::new(&href).ok()?.search_params().get(name)
}

pub fn present() -> bool {
    query("present").is_some_and(|v| v == "1")
}

pub fn embedded() -> bool {
    query("embed").is_some_and(|v| v == "1")
}

/// Where `?activity=` points, resolved against the page; an error (for the page to show)
/// if it is on another origin than the page.
pub fn activity_url(value: &str) -> Result<String, String> {
    let loc = web_sys::window().map(|w| w.location()).ok_or("no window")?;
    let (href, origin) = (loc.href().unwrap_or_default(), loc.origin().unwrap_or_default());
    let url = web_sys::Url::new_with_base(value, &href).map_err(|_| format!("\"{value}\" is not a URL"))?;
    check_origin(value, &url.origin(), &origin)?;
    Ok(url.href())
}

/// Activity files load only from the page's own origin (a course site hosting the page
/// and its files): a file elsewhere could be anyone's, and browsers would need CORS.
pub fn check_origin(value: &str, target: &str, page: &str) -> Result<(), String> {
    if target == page && !target.is_empty() && target != "null" {
        Ok(())
    } else {
        Err(format!(
            "Refused to load the activity \"{value}\": it is on {target}, and activity files load only from this page's own origin ({page}). Put the file beside the page, e.g. ?activity=activities/my-activity.toml"
        ))
    }
}

/// The page's address without query or fragment, for links and embed snippets.
pub fn base_url() -> String {
    let Some(loc) = web_sys::window().map(|w| w.location()) else { return String::new() };
    format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default())
}

/// The iframe line that embeds `activity` (loaded from `file_url`, if it is not built in).
pub fn embed_snippet(id: &str, file_url: Option<&str>) -> String {
    let q = match file_url {
        Some(u) => format!("?embed=1&activity={}", encode(u)),
        None => "?embed=1".into(),
    };
    format!(
        "<iframe src=\"{}{q}#/activity/{id}\" width=\"100%\" height=\"600\" title=\"Mailsim activity\" style=\"border:1px solid #ccc\"></iframe>",
        base_url()
    )
}

/// Percent-encodes a query value (what `encodeURIComponent` leaves alone stays).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_origins_are_refused() {
        assert!(check_origin("a.toml", "http://127.0.0.1:8080", "http://127.0.0.1:8080").is_ok());
        let e =
            check_origin("https://evil.example/a.toml", "https://evil.example", "http://127.0.0.1:8080").unwrap_err();
        assert!(e.contains("only from this page's own origin (http://127.0.0.1:8080)"), "{e}");
        assert!(check_origin("data:text/plain,x", "null", "null").is_err());
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("activities/a b&c.toml"), "activities/a%20b%26c.toml");
        assert_eq!(encode("http://x/y?z=1"), "http%3A//x/y%3Fz%3D1");
    }
}
