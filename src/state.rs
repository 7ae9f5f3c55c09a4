//! The player's state and the actions that change it (Yew's `use_reducer` pattern).

use crate::engine::{self, Loaded};
use mailsim_sim::actions::{self, Action as LearnerAction};
use mailsim_sim::diagram::Diagram;
use mailsim_sim::scenario;
use mailsim_sim::EventLog;
use std::rc::Rc;
use yew::Reducible;

pub const DEFAULT_SCENARIO: &str = "alice-to-bob";
/// Steps per second offered by the speed setting.
pub const SPEEDS: [f64; 5] = [0.5, 1.0, 2.0, 4.0, 8.0];
/// The same speeds as the menu writes them (and as its option values).
pub const SPEED_NAMES: [&str; 5] = ["0.5", "1", "2", "4", "8"];

/// What is being played: a scenario, or a log opened from a file (`mailsim serve --log`).
#[derive(Clone, PartialEq)]
pub struct Info {
    /// The scenario id, or `imported`.
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
}

impl From<&Loaded> for Info {
    fn from(s: &Loaded) -> Self {
        Info {
            id: s.id.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            description: s.description.clone(),
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct Player {
    pub scenario: Rc<Info>,
    pub log: Rc<EventLog>,
    pub diagram: Rc<Diagram>,
    /// 0 = before the first message; 1..=len = that message.
    pub step: usize,
    pub playing: bool,
    pub speed: f64,
    /// Show what is inside TLS instead of the ciphertext an observer sees.
    pub decrypted: bool,
    /// What the learner added to this scenario (kept in local storage).
    pub actions: Rc<Vec<LearnerAction>>,
    /// The scenario being played: built in, or opened from a file (`None`: a log, or a
    /// built-in scenario drawn from its precomputed log until the engine has it).
    pub source: Option<Loaded>,
    /// What the learner did while the engine was not here yet: done once it is
    /// ([`Action::EngineReady`]).
    pub queued: Rc<Vec<Action>>,
    /// An action set aside because replaying it made the page fail (see [`crate::guard`]):
    /// the learner puts it back or drops it.
    pub set_aside: Option<Rc<LearnerAction>>,
}

/// The id of an opened log.
pub const IMPORTED: &str = "imported";

/// Where the last opened log is kept (its file name, a line end, its text) so that a reload
/// or `#/imported/step/N` in this browser opens it again.
const LOG_KEY: &str = "mailsim.imported-log";

/// Keeps an opened log for reloads; false if it does not fit in local storage.
pub fn keep_log(name: &str, text: &str) -> bool {
    let Some(s) = storage() else { return false };
    let _ = s.remove_item(LOG_KEY);
    set_making_room(&s, LOG_KEY, &format!("{name}\n{text}"))
}

/// Stores `text` under `key`; when storage is full, the logs kept to draw a returning
/// learner's scenario at once (a cache, crate::kept) make room. Whether it is stored.
fn set_making_room(s: &web_sys::Storage, key: &str, text: &str) -> bool {
    s.set_item(key, text)
        .or_else(|_| {
            crate::kept::forget_all();
            s.set_item(key, text)
        })
        .is_ok()
}

/// The log kept by [`keep_log`], read again: (file name, log).
pub fn kept_log() -> Option<(String, EventLog)> {
    let kept = storage()?.get_item(LOG_KEY).ok()??;
    let (name, text) = kept.split_once('\n')?;
    Some((name.to_string(), EventLog::from_jsonl(text).ok()?))
}

/// Ids of scenarios opened from a file start with this; their learner actions are not stored.
pub const FILE_PREFIX: &str = "file:";

#[derive(Clone, PartialEq)]
pub enum Action {
    Next,
    Prev,
    Reset,
    End,
    Goto(usize),
    TogglePlay,
    /// A timer tick while playing.
    Tick,
    SetSpeed(f64),
    ToggleDecrypted,
    /// Open a scenario (and a step), e.g. from the URL.
    Open(String, usize),
    /// Play a log read from a file (file name, contents, step).
    Import(String, Rc<EventLog>, usize),
    /// Play a scenario read from a file, at a step.
    OpenFile(Loaded, usize),
    /// The learner did something: add it (or, for a terminal, replace the last one).
    Learn(LearnerAction),
    /// Forget what the learner did.
    Forget,
    /// The action set aside after a failure: put it back (`true`) or drop it.
    SetAside(bool),
    /// The engine has the scenario on screen (drawn from its precomputed log so far): what
    /// the learner did meanwhile is done now.
    EngineReady,
    /// The fragment was changed to `#/imported/step/N` or `#/file/step/N` (typed, pasted, or
    /// back/forward): go to step N if that is what is open (the kind is `IMPORTED` or
    /// `FILE_PREFIX`).
    GotoIn(&'static str, usize),
}

/// Local storage, where the learner's actions survive a reload (as `[[action]]` tables of a
/// scenario file; what an older page stored as JSON is not read).
fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Whether the learner added to scenario `id` (actions stored, or one set aside): then it is
/// run, not drawn from its precomputed log. Only the keys are read (reading the actions
/// takes the engine).
pub fn has_learner_actions(id: &str) -> bool {
    storage().is_some_and(|s| {
        [format!("mailsim.actions.{id}"), set_aside_key(id)].iter().any(|k| s.get_item(k).ok().flatten().is_some())
    })
}

fn stored_actions(id: &str) -> Vec<LearnerAction> {
    storage()
        .and_then(|s| s.get_item(&format!("mailsim.actions.{id}")).ok().flatten())
        .map(|t| engine::actions_from_toml(&t))
        .unwrap_or_default()
}

fn set_aside_key(id: &str) -> String {
    format!("mailsim.set-aside.{id}")
}

/// The action set aside for `id`, if any (kept until the learner decides).
fn stored_set_aside(id: &str) -> Option<LearnerAction> {
    let text = storage()?.get_item(&set_aside_key(id)).ok().flatten()?;
    engine::actions_from_toml(&text).pop()
}

fn store_set_aside(id: &str, a: Option<&LearnerAction>) {
    if let Some(s) = storage() {
        let key = set_aside_key(id);
        let _ = match a {
            Some(a) => s.set_item(&key, &actions::to_toml(std::slice::from_ref(a))),
            None => s.remove_item(&key),
        };
    }
}

/// Stores the learner's actions for `id`; whether they are stored now.
fn store_actions(id: &str, a: &[LearnerAction]) -> bool {
    if id.starts_with(FILE_PREFIX) {
        return false;
    }
    let Some(s) = storage() else { return false };
    let key = format!("mailsim.actions.{id}");
    if a.is_empty() {
        return s.remove_item(&key).is_ok();
    }
    set_making_room(&s, &key, &actions::to_toml(a))
}

/// Runs `f` and leaves how long it took, in milliseconds, in `window.mailsimRunMs` (the
/// benchmark compares the world's speed in wasm with the native build's).
fn timed<T>(f: impl FnOnce() -> T) -> T {
    let window = web_sys::window();
    let perf = window.as_ref().and_then(|w| w.performance());
    let t0 = perf.as_ref().map(|p| p.now());
    let out = f();
    if let (Some(w), Some(p), Some(t0)) = (window, perf, t0) {
        let _ = web_sys::js_sys::Reflect::set(&w, &"mailsimRunMs".into(), &(p.now() - t0).into());
    }
    out
}

impl Player {
    pub fn open(id: &str, step: usize) -> Player {
        let id = if scenario::entry(id).is_some() { id } else { DEFAULT_SCENARIO };
        if let Some(entry) = scenario::entry(id).filter(|_| !engine::scenario_ready(id)) {
            if !has_learner_actions(id) {
                if let Some(log) = crate::data::log_of(id) {
                    return Player::from_log(entry, log, step);
                }
            } else if let Some(kept) = crate::kept::get(id) {
                // The log the engine made with these actions at an earlier load (crate::kept),
                // drawn as a replay is: should drawing it fail, the next load sets the newest
                // action aside.
                crate::guard::arm(id, kept.actions.len());
                let mut p = Player::from_log(entry, kept.log, step);
                p.actions = kept.actions;
                return p;
            }
        }
        let info = engine::scenario(id)
            .unwrap_or_else(|| engine::scenario(DEFAULT_SCENARIO).expect("default scenario exists"));
        let mut actions = stored_actions(&info.id);
        let mut stored = true;
        if crate::guard::tripped(&info.id, actions.len()) {
            // The last replay of these actions never finished: set the newest aside.
            if let Some(a) = actions.pop() {
                store_set_aside(&info.id, Some(&a));
                stored = store_actions(&info.id, &actions);
            }
        }
        let set_aside = stored_set_aside(&info.id).map(Rc::new);
        crate::guard::arm(&info.id, actions.len());
        let log = timed(|| engine::run(&info, &actions));
        if stored && !actions.is_empty() {
            crate::kept::keep(&info.id, &actions, &log);
        }
        let diagram = Diagram::from_log(&log);
        let step = step.min(diagram.arrows.len());
        Player {
            scenario: Rc::new((&info).into()),
            decrypted: info.decrypted,
            source: Some(info),
            log: Rc::new(log),
            diagram: Rc::new(diagram),
            step,
            playing: false,
            speed: 1.0,
            actions: Rc::new(actions),
            set_aside,
            queued: Rc::default(),
        }
    }

    /// Built-in scenario `entry` drawn from its precomputed log (no learner actions), before
    /// the engine has it.
    fn from_log(entry: &scenario::Entry, log: Rc<EventLog>, step: usize) -> Player {
        let diagram = Diagram::from_log(&log);
        Player {
            scenario: Rc::new(Info {
                id: entry.id.into(),
                title: entry.title.into(),
                summary: entry.summary.into(),
                // From the log's header (src/data.rs); a log without one (none of ours)
                // shows the summary, the description's default.
                description: crate::data::description(entry.id).unwrap_or_else(|| entry.summary.into()),
            }),
            step: step.min(diagram.arrows.len()),
            log,
            diagram: Rc::new(diagram),
            playing: false,
            speed: 1.0,
            decrypted: entry.decrypted,
            actions: Rc::default(),
            source: None,
            set_aside: None,
            queued: Rc::default(),
        }
    }

    /// A built-in scenario drawn from its precomputed log: what the learner does waits for
    /// the engine.
    pub fn waiting(&self) -> bool {
        self.source.is_none() && scenario::entry(&self.scenario.id).is_some()
    }

    /// A scenario opened from a file (its actions are the file's; the learner's are not
    /// stored).
    pub fn open_file(s: Loaded, step: usize) -> Player {
        let log = timed(|| engine::run(&s, &[]));
        let diagram = Diagram::from_log(&log);
        let mut info = Info::from(&s);
        info.id = format!("{FILE_PREFIX}{}", s.id);
        Player {
            scenario: Rc::new(info),
            step: step.min(diagram.arrows.len()),
            log: Rc::new(log),
            diagram: Rc::new(diagram),
            playing: false,
            speed: 1.0,
            decrypted: s.decrypted,
            actions: Rc::new(vec![]),
            source: Some(s),
            set_aside: None,
            queued: Rc::default(),
        }
    }

    /// A log opened from a file (`mailsim serve --log`), at a step.
    pub fn imported(name: &str, log: Rc<EventLog>, step: usize) -> Player {
        let diagram = Diagram::from_log(&log);
        let info = Info {
            id: IMPORTED.into(),
            title: format!("Imported: {name}"),
            summary: format!("{} messages from {}", diagram.arrows.len(), name),
            description: format!(
                "A log opened from the file {name}, for example one written by `mailsim serve --log` while real clients talked to it. \
                 Every arrow is a message a real client or the server sent; step through it like any scenario."
            ),
        };
        Player {
            scenario: Rc::new(info),
            log,
            step: step.min(diagram.arrows.len()),
            diagram: Rc::new(diagram),
            playing: false,
            speed: 1.0,
            decrypted: false,
            actions: Rc::new(vec![]),
            source: None,
            set_aside: None,
            queued: Rc::default(),
        }
    }

    /// The scenario with what the learner added, as a file that replays it: (name, text).
    pub fn save(&self) -> Option<(String, String)> {
        Some(engine::save(self.source.as_ref()?, &self.actions))
    }

    /// Virtual time of the last event: where new actions go.
    pub fn end_time(&self) -> u64 {
        self.log.events.iter().map(|e| e.time()).max().unwrap_or(0)
    }

    /// Virtual time at the current step.
    pub fn now(&self) -> u64 {
        if self.step == 0 {
            0
        } else {
            self.diagram.arrows[self.step - 1].t
        }
    }

    /// Runs the scenario again with the learner's actions; moves to the first new message.
    fn replay(&mut self, actions: Vec<LearnerAction>) {
        let stored = store_actions(&self.scenario.id, &actions);
        crate::guard::arm(&self.scenario.id, actions.len());
        let log = match &self.source {
            Some(s) => engine::run(s, &actions),
            None => (*self.log).clone(),
        };
        let diagram = Diagram::from_log(&log);
        let same = self.diagram.arrows.iter().zip(&diagram.arrows).take_while(|(a, b)| a.label == b.label && a.t == b.t).count();
        self.step = (same + 1).min(diagram.arrows.len());
        self.log = Rc::new(log);
        self.diagram = Rc::new(diagram);
        self.actions = Rc::new(actions);
        self.playing = false;
        if stored && self.source.is_some() {
            crate::kept::keep(&self.scenario.id, &self.actions, &self.log);
        }
    }

    /// After a line typed at the terminal: moves on to the newest message of its session
    /// (the reply the terminal already prints), if it is past the current step.
    fn follow_terminal(&mut self, at: u64, client: &str, port: u16) {
        let conn = self.log.events.iter().find_map(|e| match e {
            mailsim_sim::Event::ConnectionOpened { t, conn, client: c, port: pt, .. }
                if c == client && *pt == port && *t >= at =>
            {
                Some(*conn)
            }
            _ => None,
        });
        let last = self.diagram.arrows.iter().rposition(|a| conn.is_some() && a.conn == conn);
        if let Some(i) = last.filter(|&i| i + 1 > self.step) {
            self.step = i + 1;
        }
    }

    pub fn len(&self) -> usize {
        self.diagram.arrows.len()
    }

    /// The fragment for the current position.
    pub fn fragment(&self) -> String {
        if self.scenario.id == IMPORTED {
            format!("#/imported/step/{}", self.step)
        } else if self.scenario.id.starts_with(FILE_PREFIX) {
            format!("#/file/step/{}", self.step)
        } else {
            format!("#/scenario/{}/step/{}", self.scenario.id, self.step)
        }
    }
}

/// The step of `#/imported/step/<n>`, if that is the fragment.
pub fn imported_step(hash: &str) -> Option<usize> {
    let rest = hash.trim_start_matches('#').trim_start_matches('/').strip_prefix("imported")?;
    Some(rest.strip_prefix("/step/").and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// The step of `#/imported/step/<n>` or `#/file/step/<n>`, with which of the two it is
/// (`IMPORTED` or `FILE_PREFIX`).
pub fn own_step(hash: &str) -> Option<(&'static str, usize)> {
    let path = hash.trim_start_matches('#').trim_start_matches('/');
    let (kind, n) = if let Some(n) = path.strip_prefix("imported/step/") {
        (IMPORTED, n)
    } else {
        (FILE_PREFIX, path.strip_prefix("file/step/")?)
    };
    Some((kind, n.parse().ok()?))
}

/// Reads `#/scenario/<id>/step/<n>` (or `#/scenario/<id>`).
pub fn parse_fragment(hash: &str) -> Option<(String, usize)> {
    let path = hash.trim_start_matches('#').trim_start_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["scenario", id] => Some((id.to_string(), 0)),
        ["scenario", id, "step", n] => Some((id.to_string(), n.parse().ok()?)),
        _ => None,
    }
}

impl Reducible for Player {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut p = (*self).clone();
        if p.waiting() && matches!(action, Action::Learn(_) | Action::Forget | Action::SetAside(_)) {
            Rc::make_mut(&mut p.queued).push(action);
            return Rc::new(p);
        }
        match action {
            Action::EngineReady => {
                if let Some(s) = engine::scenario(&p.scenario.id).filter(|_| p.waiting()) {
                    if p.actions.is_empty() {
                        p.source = Some(s);
                    } else {
                        // Drawn from a kept log (crate::kept): the engine runs the stored
                        // actions and its log is drawn (the same, or else noted in the console
                        // when it is kept again).
                        let mut run = Player::open(&p.scenario.id, p.step);
                        (run.speed, run.decrypted, run.playing) = (p.speed, p.decrypted, p.playing);
                        run.queued = std::mem::take(&mut p.queued);
                        p = run;
                    }
                    for a in std::mem::take(&mut p.queued).iter().cloned() {
                        p = (*Rc::new(p).reduce(a)).clone();
                    }
                }
            }
            Action::Next => p.step = (p.step + 1).min(p.len()),
            Action::Prev => {
                p.step = p.step.saturating_sub(1);
                p.playing = false;
            }
            Action::Reset => {
                p.step = 0;
                p.playing = false;
            }
            Action::End => {
                p.step = p.len();
                p.playing = false;
            }
            Action::Goto(n) => {
                p.step = n.min(p.len());
                p.playing = false;
            }
            Action::GotoIn(kind, n) => {
                let open = if kind == IMPORTED { p.scenario.id == IMPORTED } else { p.scenario.id.starts_with(kind) };
                if open && n != p.step {
                    p.step = n.min(p.len());
                    p.playing = false;
                }
            }
            Action::TogglePlay => {
                if !p.playing && p.step >= p.len() {
                    p.step = 0;
                }
                p.playing = !p.playing;
            }
            Action::Tick => {
                if p.step < p.len() {
                    p.step += 1;
                }
                if p.step >= p.len() {
                    p.playing = false;
                }
            }
            Action::SetSpeed(s) => p.speed = s,
            Action::Import(name, log, step) => {
                let (speed, decrypted) = (p.speed, p.decrypted);
                p = Player::imported(&name, log, step);
                p.speed = speed;
                p.decrypted = decrypted;
            }
            Action::OpenFile(s, step) => {
                let (speed, decrypted) = (p.speed, p.decrypted);
                p = Player::open_file(s, step);
                p.speed = speed;
                p.decrypted |= decrypted; // or the file asks for it
            }
            Action::Learn(a) => {
                if p.scenario.id != "imported" {
                    let mut list = (*p.actions).clone();
                    // Typing into the open terminal extends its session rather than adding one.
                    match (&a, list.last()) {
                        (LearnerAction::Terminal { at, .. }, Some(LearnerAction::Terminal { at: last, .. }))
                            if at == last =>
                        {
                            list.pop();
                        }
                        _ => {}
                    }
                    let typed = match &a {
                        LearnerAction::Terminal { at, client, port, .. } => Some((*at, client.clone(), *port)),
                        _ => None,
                    };
                    list.push(a);
                    mailsim_sim::actions::sort_by_time(&mut list);
                    p.replay(list);
                    if let Some((at, client, port)) = typed {
                        p.follow_terminal(at, &client, port);
                    }
                }
            }
            Action::Forget => {
                p.replay(vec![]);
                p.step = 0;
            }
            Action::SetAside(keep) => {
                if let Some(a) = p.set_aside.take() {
                    store_set_aside(&p.scenario.id, None);
                    if keep {
                        let mut list = (*p.actions).clone();
                        list.push((*a).clone());
                        mailsim_sim::actions::sort_by_time(&mut list);
                        p.replay(list);
                    }
                }
            }
            Action::ToggleDecrypted => p.decrypted = !p.decrypted,
            Action::Open(id, step) => {
                if id == p.scenario.id && id != "imported" {
                    p.step = step.min(p.len());
                    p.playing = false;
                } else {
                    let (speed, decrypted) = (p.speed, p.decrypted);
                    p = Player::open(&id, step);
                    p.speed = speed;
                    p.decrypted |= decrypted; // or the scenario asks for it
                }
            }
        }
        if p == *self {
            self
        } else {
            Rc::new(p)
        }
    }
}

/// How long the URL waits for stepping to pause before it follows, and at most how long it
/// lags behind while stepping goes on (a key held down, playing).
const FRAGMENT_QUIET_MS: u32 = 300;
const FRAGMENT_LAG_MS: f64 = 1000.0;

thread_local! {
    /// The fragment [`set_fragment_soon`] will write, since when one has been waiting, and the
    /// number of the timer that is to write it (earlier timers find another number and stop).
    static FRAGMENT: std::cell::RefCell<(Option<String>, f64, u32)> = const { std::cell::RefCell::new((None, 0.0, 0)) };
}

/// Writes `fragment` into the URL (replacing the history entry) once stepping pauses, at the
/// latest a second after it was first asked for. Every `history.replaceState` costs the page
/// several milliseconds of its main thread (Chromium also fetches and decodes the favicon
/// again after each, which is why the favicon is a PNG: an SVG one cost 3.5–6 ms more a
/// time, docs/benchmarks.md): written at every step, it took about 7 ms of each step's 19
/// (docs/benchmarks.md). Another scenario or log is written at once (after this task);
/// [`flush_fragment`] writes it now (Share, Embed).
pub fn set_fragment_soon(fragment: String) {
    let now = web_sys::js_sys::Date::now();
    let place = |f: &str| f.rsplit_once("/step/").map(|(p, _)| p.to_string()).unwrap_or_default();
    let shown = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    let elsewhere = place(&shown) != place(&fragment);
    let (delay, id) = FRAGMENT.with(|f| {
        let mut f = f.borrow_mut();
        if f.0.is_none() {
            f.1 = now;
        }
        f.0 = Some(fragment);
        f.2 = f.2.wrapping_add(1);
        let left = if elsewhere { 0 } else { (FRAGMENT_LAG_MS - (now - f.1)).max(0.0) as u32 };
        (FRAGMENT_QUIET_MS.min(left), f.2)
    });
    gloo_timers::callback::Timeout::new(delay, move || {
        if FRAGMENT.with(|f| f.borrow().2) == id {
            flush_fragment();
        }
    })
    .forget();
}

/// Writes the fragment [`set_fragment_soon`] holds now, if any.
pub fn flush_fragment() {
    let Some(fragment) = FRAGMENT.with(|f| f.borrow_mut().0.take()) else { return };
    let Some(window) = web_sys::window() else { return };
    let now = window.location().hash().unwrap_or_default();
    // The page has left the player since (for the activities or the live view): their address stays.
    if crate::activity::wants_activities() || crate::live::wanted() {
        return;
    }
    if now != fragment {
        if let Ok(history) = window.history() {
            // Another scenario is a new page (Back returns to the last one); a step is not.
            let scenario = |h: &str| parse_fragment(h).map(|(id, _)| id);
            let null = wasm_bindgen::JsValue::NULL;
            let _ = match (scenario(&now), scenario(&fragment)) {
                (Some(a), Some(b)) if a != b && scenario::entry(&a).is_some() => {
                    history.push_state_with_url(&null, "", Some(&fragment))
                }
                _ => history.replace_state_with_url(&null, "", Some(&fragment)),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_step_reads_imported_and_file_fragments_only() {
        assert_eq!(own_step("#/imported/step/2500"), Some((IMPORTED, 2500)));
        assert_eq!(own_step("#/file/step/7"), Some((FILE_PREFIX, 7)));
        assert_eq!(own_step("#/imported/step/x"), None);
        assert_eq!(own_step("#/imported"), None);
        assert_eq!(own_step("#/scenario/alice-to-bob/step/3"), None);
        assert_eq!(imported_step("#/imported"), Some(0));
    }
}
