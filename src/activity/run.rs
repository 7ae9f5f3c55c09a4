//! One activity being worked through: which page is open (intro, an item, the summary),
//! the diagram step, the learner's answers and playground actions, as a `use_reducer`
//! state with its [`RunAction`] enum. Grading and task checks are the core's
//! (`mailsim_sim::activity`); this only records what they say.

use super::store::{self, Progress};
use crate::engine::{self, check_task, grade};
use mailsim_sim::actions::Action as LearnerAction;
use mailsim_sim::activity::{Activity, Answer, Answered, Item, Kind, Response, TaskOutcome};
use mailsim_sim::diagram::Diagram;
use mailsim_sim::EventLog;
use std::rc::Rc;
use yew::Reducible;

/// Which page of an activity is open (`#/activity/ID`, `…/item/N`, `…/summary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Intro,
    /// 0-based here; 1-based in the URL.
    Item(usize),
    Summary,
}

impl View {
    pub fn fragment(self, id: &str) -> String {
        match self {
            View::Intro => format!("#/activity/{id}"),
            View::Item(n) => format!("#/activity/{id}/item/{}", n + 1),
            View::Summary => format!("#/activity/{id}/summary"),
        }
    }

    /// The page after this one (`None` after the summary).
    pub fn next(self, items: usize) -> Option<View> {
        match self {
            View::Intro if items > 0 => Some(View::Item(0)),
            View::Intro => Some(View::Summary),
            View::Item(n) if n + 1 < items => Some(View::Item(n + 1)),
            View::Item(_) => Some(View::Summary),
            View::Summary => None,
        }
    }

    pub fn prev(self, items: usize) -> Option<View> {
        match self {
            View::Intro => None,
            View::Item(0) => Some(View::Intro),
            View::Item(n) => Some(View::Item(n - 1)),
            View::Summary if items > 0 => Some(View::Item(items - 1)),
            View::Summary => Some(View::Intro),
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct Run {
    pub activity: Rc<Activity>,
    /// The scenario as written: what steps and predictions refer to.
    pub baseline: Rc<EventLog>,
    pub base_diagram: Rc<Diagram>,
    /// The scenario with the learner's actions: what tasks are checked against.
    pub played: Rc<EventLog>,
    pub played_diagram: Rc<Diagram>,
    pub progress: Rc<Progress>,
    pub view: View,
    pub step: usize,
    pub decrypted: bool,
    /// Presenter mode: answers stay hidden until revealed.
    pub present: bool,
    /// Presenter mode: the current item's answer is shown.
    pub revealed: bool,
    /// The current task's check, re-run after every action.
    pub outcome: Option<TaskOutcome>,
    /// The learner's action set aside because replaying it made the page fail last time
    /// (see `crate::guard`), in words.
    pub set_aside: Option<String>,
}

pub enum RunAction {
    Show(View),
    Goto(usize),
    Next,
    Prev,
    First,
    Last,
    ToggleDecrypted,
    /// Grade and record an answer to item n.
    Answer(usize, Response),
    /// Clear item n's answer to try again.
    Retry(usize),
    Hint(usize),
    /// Presenter mode: show or hide the answer.
    Reveal,
    /// The learner did something in the playground (from the "Try it yourself" panel).
    Learn(LearnerAction),
    /// Forget what the learner did in the playground (answers stay).
    Forget,
    /// Start the activity over.
    Reset,
}

impl Run {
    pub fn new(activity: Rc<Activity>, view: View, present: bool) -> Run {
        let baseline = Rc::new(engine::baseline(&activity));
        let base_diagram = Rc::new(Diagram::from_log(&baseline));
        let mut progress = if present { Progress::new(&activity) } else { store::load_progress(&activity) };
        let key = format!("activity:{}", activity.id);
        let mut set_aside = None;
        if crate::guard::tripped(&key, progress.actions.len()) {
            // The last replay of these actions never finished: drop the newest, keep the rest.
            set_aside = progress.actions.pop().map(|a| crate::guard::describe(&a));
            store::save_progress(&activity.id, &progress);
        }
        crate::guard::arm(&key, progress.actions.len());
        let (played, played_diagram) = if progress.actions.is_empty() {
            (baseline.clone(), base_diagram.clone())
        } else {
            let log = engine::play(&activity, &progress.actions);
            let d = Diagram::from_log(&log);
            (Rc::new(log), Rc::new(d))
        };
        // As the playground opens the scenario ("show decrypted" ticked for the lecture's IMAP
        // session: its commands, not TLS records).
        let decrypted = engine::scenario(&activity.scenario).is_some_and(|s| s.decrypted);
        let mut run = Run {
            activity,
            baseline,
            base_diagram,
            played,
            played_diagram,
            progress: Rc::new(progress),
            view,
            step: 0,
            decrypted,
            present,
            revealed: false,
            outcome: None,
            set_aside,
        };
        run.show(view);
        run
    }

    pub fn item(&self) -> Option<&Item> {
        match self.view {
            View::Item(n) => self.activity.items.get(n),
            _ => None,
        }
    }

    pub fn answer(&self, n: usize) -> Option<&Answered> {
        self.progress.answers.get(n).and_then(Option::as_ref)
    }

    /// Whether the current item shows the learner's own playground (a task).
    pub fn on_task(&self) -> bool {
        self.item().is_some_and(|i| i.kind == Kind::Task)
    }

    /// The log and diagram on screen, in full: the learner's own world on a task (and on the
    /// summary, if they did anything), else the scenario as written.
    pub fn shown(&self) -> (&Rc<EventLog>, &Rc<Diagram>) {
        if self.on_task() || (self.view == View::Summary && !self.progress.actions.is_empty()) {
            (&self.played, &self.played_diagram)
        } else {
            (&self.baseline, &self.base_diagram)
        }
    }

    /// The step past which nothing is shown (hidden, not faded): on an item not yet answered
    /// (in presenter mode: not yet revealed) that closes the future, its step; on the intro,
    /// the first such step of the items still open (presenter mode: of all items), so that
    /// nothing on the projector answers a question before it is asked.
    pub fn hidden_after(&self) -> Option<usize> {
        match self.view {
            View::Item(n) => {
                let item = self.activity.items.get(n)?;
                let open = if self.present { self.revealed } else { self.answer(n).is_some() };
                item.closes_future_at().filter(|_| !open)
            }
            View::Intro => (self.activity.items.iter().enumerate())
                .filter(|(i, _)| self.present || self.answer(*i).is_none())
                .filter_map(|(_, item)| item.closes_future_at())
                .min(),
            View::Summary => None,
        }
    }

    /// How far the learner may step.
    pub fn limit(&self) -> usize {
        let len = self.shown().1.arrows.len();
        self.hidden_after().map_or(len, |s| s.min(len))
    }

    fn save(&self) {
        if !self.present {
            store::save_progress(&self.activity.id, &self.progress);
        }
    }

    fn record(&mut self, n: usize, response: Response) {
        let Some(item) = self.activity.items.get(n) else { return };
        let fb = grade(item, &response);
        let p = Rc::make_mut(&mut self.progress);
        if p.answers.len() <= n {
            p.answers.resize(n + 1, None);
        }
        p.answers[n] = Some(Answered { response, correct: fb.correct });
        if let Answer::Predicted(pr) = &item.answer {
            if self.view == View::Item(n) {
                self.step = pr.reveal_step.min(self.base_diagram.arrows.len());
            }
        }
        self.save();
    }

    /// Re-runs the current task's check; records it once it is done.
    fn check(&mut self) {
        self.outcome = None;
        let View::Item(n) = self.view else { return };
        let Some(check) = self.activity.items.get(n).and_then(|i| i.check.clone()) else { return };
        let outcome = check_task(&check, &self.played, &self.progress.actions);
        let done = outcome.done;
        self.outcome = Some(outcome);
        if done && self.answer(n).is_none() && !self.present {
            self.record(n, Response::TaskDone);
        }
    }

    fn show(&mut self, view: View) {
        let view = match view {
            View::Item(n) if n >= self.activity.items.len() => View::Summary,
            v => v,
        };
        self.view = view;
        self.revealed = false;
        let len = self.shown().1.arrows.len();
        self.step = match (view, self.item()) {
            (View::Intro, _) => 0,
            (View::Summary, _) => len,
            (_, Some(item)) => match (item.kind, item.step) {
                (Kind::Predict, Some(s)) if self.hidden_after().is_none() => {
                    if let Answer::Predicted(p) = &item.answer {
                        p.reveal_step
                    } else {
                        s
                    }
                }
                (_, Some(s)) => s,
                (Kind::Task, None) => len,
                (_, None) => self.step,
            },
            _ => self.step,
        }
        .min(len);
        self.check();
    }

    /// Runs the scenario again with the learner's actions; moves to the first message sent
    /// at or after `from` (what the new action caused), or to the end.
    fn replay(&mut self, actions: Vec<LearnerAction>, from: Option<u64>) {
        crate::guard::arm(&format!("activity:{}", self.activity.id), actions.len());
        let log = engine::play(&self.activity, &actions);
        let diagram = Diagram::from_log(&log);
        let len = diagram.arrows.len();
        self.step = from.and_then(|t| diagram.arrows.iter().position(|a| a.t_sent >= t)).map_or(len, |i| i + 1);
        self.played = Rc::new(log);
        self.played_diagram = Rc::new(diagram);
        Rc::make_mut(&mut self.progress).actions = actions;
        self.save();
        self.check();
    }
}

impl Reducible for Run {
    type Action = RunAction;

    fn reduce(self: Rc<Self>, action: RunAction) -> Rc<Self> {
        let mut r = (*self).clone();
        let limit = r.limit();
        match action {
            RunAction::Show(v) => {
                if v == r.view {
                    return self;
                }
                r.show(v)
            }
            RunAction::Goto(s) => r.step = s.min(limit),
            RunAction::Next => r.step = (r.step + 1).min(limit),
            RunAction::Prev => r.step = r.step.saturating_sub(1).min(limit),
            RunAction::First => r.step = 0,
            RunAction::Last => r.step = limit,
            RunAction::ToggleDecrypted => r.decrypted = !r.decrypted,
            RunAction::Answer(n, response) => {
                if r.present || r.answer(n).is_some() {
                    return self;
                }
                r.record(n, response)
            }
            RunAction::Retry(n) => {
                if let Some(a) = Rc::make_mut(&mut r.progress).answers.get_mut(n) {
                    *a = None;
                }
                r.step = r.step.min(r.limit());
                r.save();
            }
            RunAction::Hint(n) => {
                let p = Rc::make_mut(&mut r.progress);
                if !p.hints.contains(&n) {
                    p.hints.push(n);
                }
                r.save();
            }
            RunAction::Reveal => {
                r.revealed = !r.revealed;
                if let (true, Some(Answer::Predicted(p))) = (r.revealed, r.item().map(|i| &i.answer)) {
                    r.step = p.reveal_step.min(r.base_diagram.arrows.len());
                } else if let (false, Some(s)) = (r.revealed, r.hidden_after()) {
                    r.step = r.step.min(s);
                }
            }
            RunAction::Learn(a) => {
                let mut list = r.progress.actions.clone();
                // Typing into an open terminal extends its session rather than adding one.
                if let LearnerAction::Terminal { at, .. } = &a {
                    list.retain(|x| !matches!(x, LearnerAction::Terminal { at: t, .. } if t == at));
                }
                // After a typed line, the end (the answer to it); else what the action caused.
                let from = (!matches!(a, LearnerAction::Terminal { .. })).then(|| a.at());
                list.push(a);
                mailsim_sim::actions::sort_by_time(&mut list);
                r.replay(list, from);
            }
            RunAction::Forget => {
                r.replay(vec![], None);
                r.step = r.step.min(r.limit());
            }
            RunAction::Reset => {
                store::clear_progress(&r.activity.id);
                r.progress = Rc::new(Progress::new(&r.activity));
                r.played = r.baseline.clone();
                r.played_diagram = r.base_diagram.clone();
                let v = r.view;
                r.show(v);
            }
        }
        if r == *self {
            self
        } else {
            Rc::new(r)
        }
    }
}

/// The diagram and log as far as the learner may see them: for a predict item not yet
/// answered, nothing after its step (hidden, not faded), not even in the world panel.
pub fn visible(run: &Run) -> (Rc<EventLog>, Rc<Diagram>) {
    let (log, d) = run.shown();
    match run.hidden_after() {
        Some(s) if s < d.arrows.len() => {
            let events = d.events_at_step(s);
            let cut = Diagram { actors: d.actors.clone(), arrows: d.arrows[..s].to_vec(), events };
            let mut l = (**log).clone();
            l.events.truncate(events);
            (Rc::new(l), Rc::new(cut))
        }
        _ => (log.clone(), d.clone()),
    }
}
