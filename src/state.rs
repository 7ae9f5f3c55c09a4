//! The player's state and the actions that change it (Yew's `use_reducer` pattern).

use mailsim_sim::diagram::Diagram;
use mailsim_sim::{scenario, EventLog};
use std::rc::Rc;
use yew::Reducible;

pub const DEFAULT_SCENARIO: &str = "alice-to-bob";
/// Steps per second offered by the speed setting.
pub const SPEEDS: [f64; 5] = [0.5, 1.0, 2.0, 4.0, 8.0];

/// What is being played: a scenario, or a log opened from a file (`mailsim serve --log`).
#[derive(Clone, PartialEq)]
pub struct Info {
    /// The scenario id, or `imported`.
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
}

impl From<&scenario::ScenarioInfo> for Info {
    fn from(s: &scenario::ScenarioInfo) -> Self {
        Info { id: s.id.into(), title: s.title.into(), summary: s.summary.into(), description: s.description.into() }
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
}

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
    /// Play a log read from a file (file name, contents).
    Import(String, Rc<EventLog>),
}

impl Player {
    pub fn open(id: &str, step: usize) -> Player {
        let info = scenario::info_of(id).unwrap_or_else(|| scenario::info_of(DEFAULT_SCENARIO).expect("default scenario exists"));
        let log = scenario::run(info.id).expect("listed scenarios run");
        let diagram = Diagram::from_log(&log);
        let step = step.min(diagram.arrows.len());
        Player { scenario: Rc::new(info.into()), log: Rc::new(log), diagram: Rc::new(diagram), step, playing: false, speed: 1.0, decrypted: false }
    }

    pub fn len(&self) -> usize {
        self.diagram.arrows.len()
    }

    /// The fragment for the current position.
    pub fn fragment(&self) -> String {
        if self.scenario.id == "imported" {
            format!("#/imported/step/{}", self.step)
        } else {
            format!("#/scenario/{}/step/{}", self.scenario.id, self.step)
        }
    }
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
        match action {
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
            Action::Import(name, log) => {
                let diagram = Diagram::from_log(&log);
                let info = Info {
                    id: "imported".into(),
                    title: format!("Imported: {name}"),
                    summary: format!("{} messages from {}", diagram.arrows.len(), name),
                    description: format!(
                        "A log opened from the file {name}, for example one written by `mailsim serve --log` while real clients talked to it. \
                         Every arrow is a message a real client or the server sent; step through it like any scenario."
                    ),
                };
                p = Player { scenario: Rc::new(info), log, diagram: Rc::new(diagram), step: 0, playing: false, speed: p.speed, decrypted: p.decrypted };
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
                    p.decrypted = decrypted;
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
