//! From the file as written (`super::format`) to a checked [`Activity`], with every
//! problem located (file, line, column) and saying what was expected.

use super::check::Check;
use super::format::{self, RawItem};
use super::grade::expected_next;
use super::{resolve_scenario_with, Accepted, Activity, Answer, Item, Kind, LocatedError, ScenarioSource};
use crate::diagram::Diagram;
use crate::log::{Event, EventLog};
use crate::scenario::load::line_column as line_col;
use crate::scenario::reader::Value;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Reads one activity file that has no folder (the page: pasted or uploaded), so its scenario
/// must be built in. `file_name` is only used in messages. All
/// problems found are returned (not only the first), each located.
pub fn parse(file_name: &str, text: &str) -> Result<Activity, Vec<LocatedError>> {
    parse_with(file_name, text, &|_| None).map_err(|mut errors| {
        // Not "no file beside": such a file has no folder to read one from, so say what works.
        for e in &mut errors {
            if let Some(name) =
                e.message.strip_prefix("no scenario file \"").and_then(|r| r.split('"').next()).map(str::to_string)
            {
                e.message = format!(
                    "scenario file \"{name}\": a pasted or uploaded activity has no folder to read it from: expected a built-in scenario id, e.g. alice-to-bob, or put both files beside the page and open ?activity=FILE (`mailsim activity check` reads the folder too)"
                );
            }
        }
        errors
    })
}

/// [`parse`], where `scenario = "NAME.toml"` names a scenario file beside this one, whose text
/// `beside(NAME.toml)` gives (the command line reads the folder; the page fetches it from the
/// activity's URL folder).
pub fn parse_with(
    file_name: &str,
    text: &str,
    beside: &dyn Fn(&str) -> Option<String>,
) -> Result<Activity, Vec<LocatedError>> {
    let mut cx = Cx { file: file_name, text, errors: vec![] };
    let Some(root) = parse_toml(&mut cx) else {
        return Err(cx.errors);
    };
    let file = format::read(&root);
    // A table with a mistake is left out; the others are still checked, unless it is the
    // `[activity]` table, without which the items cannot be.
    let unreadable = !file.errors.is_empty();
    for (span, message) in file.errors {
        cx.err(span, message);
    }
    let Some(head) = file.head else {
        sort_errors(&mut cx.errors);
        return Err(cx.errors);
    };
    let id = head.id.get_ref().clone();
    if !is_url_safe(&id) {
        cx.err(
            head.id.span(),
            format!("activity id \"{id}\" is not URL-safe: expected lower-case letters, digits and dashes, e.g. send-protocols"),
        );
    }
    if head.title.get_ref().trim().is_empty() {
        cx.err(head.title.span(), "the title is empty: expected a title the learner reads".into());
    }
    let mut goals = vec![];
    for g in head.goals {
        if g.get_ref().trim().is_empty() {
            cx.err(g.span(), "a goal is empty: expected the learning goal's text".into());
        }
        goals.push(g.into_inner());
    }
    let mut scenario_file = None;
    let baseline = match resolve_scenario_with(head.scenario.get_ref(), beside) {
        Ok(src) => {
            if let ScenarioSource::File(s) = &src {
                scenario_file = Some(super::ScenarioFile { name: s.file.clone(), text: s.source.clone() });
            }
            Some(src.run(&[]))
        }
        Err(m) => {
            cx.err(head.scenario.span(), m);
            None
        }
    };
    if file.items.is_empty() && !unreadable {
        cx.err(0..0, "the activity has no items: expected at least one [[item]] table".into());
    }
    let mut items = vec![];
    for item in file.items {
        if let Some(i) = cx.item(item, baseline.as_ref()) {
            items.push(i);
        }
    }
    if !cx.errors.is_empty() {
        sort_errors(&mut cx.errors);
        return Err(cx.errors);
    }
    Ok(Activity {
        id,
        title: head.title.into_inner(),
        scenario: head.scenario.into_inner(),
        intro: head.intro,
        goals,
        items,
        file: file_name.to_string(),
        scenario_file,
    })
}

/// Reads several files and also checks that their ids are unique.
pub fn parse_all(files: &[(&str, &str)]) -> Result<Vec<Activity>, Vec<LocatedError>> {
    parse_all_with(files, &|_, _| None)
}

/// [`parse_all`], where `beside(activity file, scenario file name)` gives the text of a
/// scenario file beside an activity file.
pub fn parse_all_with(
    files: &[(&str, &str)],
    beside: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<Vec<Activity>, Vec<LocatedError>> {
    let mut out = vec![];
    let mut errors = vec![];
    for (name, text) in files {
        match parse_with(name, text, &|scenario| beside(name, scenario)) {
            Ok(a) => {
                if let Some(first) = out.iter().find(|o: &&Activity| o.id == a.id) {
                    let (line, column) = id_position(text);
                    errors.push(LocatedError {
                        file: name.to_string(),
                        line,
                        column,
                        message: format!(
                            "duplicate activity id \"{}\": {} already uses it; expected a unique id",
                            a.id, first.file
                        ),
                    });
                } else {
                    out.push(a);
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The file's TOML tree, or `None` with the parser's error kept.
fn parse_toml<'a>(cx: &mut Cx<'a>) -> Option<Value<'a>> {
    match DeTable::parse(cx.text) {
        Ok(root) => Some(Spanned::new(root.span(), DeValue::Table(root.into_inner()))),
        Err(e) => {
            let mut m = one_line(e.message());
            // The instructor's usual slip: a regular expression such as "/\d+/" between
            // double quotes, where TOML reads the backslash as the start of an escape.
            if m.contains("escape") {
                m.push_str(r#": in double quotes a backslash starts an escape; write it twice ("/\\d+/") or use single quotes ('/\d+/')"#);
            }
            cx.err(e.span().unwrap_or(0..0), m);
            None
        }
    }
}

/// Where `id = ...` is in the `[activity]` table (for the duplicate-id message).
fn id_position(text: &str) -> (usize, usize) {
    let root = DeTable::parse(text).ok().map(|root| Spanned::new(root.span(), DeValue::Table(root.into_inner())));
    match root.as_ref().and_then(|r| format::head_value(r, "id")) {
        Some(id) => line_col(text, id.span().start),
        None => (1, 1),
    }
}

/// The `id` of an activity file's `[activity]` table, if it has one.
pub(super) fn id_of(text: &str) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let root = Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    format::head_value(&root, "id")?.get_ref().as_str().map(str::to_string)
}

/// A (possibly multi-line) library message on one line.
/// Sorts errors by position, keeping the order of errors at the same place (as a stable
/// `sort_by_key` would): an insertion sort, the lists are short and it is one small copy.
fn sort_errors(errors: &mut [LocatedError]) {
    for i in 1..errors.len() {
        let mut j = i;
        while j > 0 && (errors[j - 1].line, errors[j - 1].column) > (errors[j].line, errors[j].column) {
            errors.swap(j - 1, j);
            j -= 1;
        }
    }
}

fn one_line(m: &str) -> String {
    m.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_url_safe(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

struct Cx<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<LocatedError>,
}

impl Cx<'_> {
    fn err(&mut self, span: Range<usize>, message: String) {
        let (line, column) = line_col(self.text, span.start);
        self.errors.push(LocatedError { file: self.file.to_string(), line, column, message });
    }

    /// Complains about a field (at `field`, if given) that the kind does not take.
    fn not_for(&mut self, field: Option<Range<usize>>, name: &str, kind: Kind, takes: &str) {
        if let Some(f) = field {
            self.err(f, format!("a {} item takes no `{name}`: {takes}", kind.name()));
        }
    }

    fn item(&mut self, raw: RawItem, baseline: Option<&EventLog>) -> Option<Item> {
        let span = raw.span.clone();
        let line = line_col(self.text, span.start).0;
        let before = self.errors.len();
        let kind_name = raw.kind.get_ref().as_str();
        let Some(kind) = Kind::ALL.iter().copied().find(|k| k.name() == kind_name) else {
            self.err(
                raw.kind.span(),
                format!(
                    "unknown item kind \"{kind_name}\": expected one of choice, multi, short, predict, task, discuss{}",
                    format::did_you_mean(kind_name, &Kind::ALL.map(Kind::name))
                ),
            );
            return None;
        };
        if raw.prompt.get_ref().trim().is_empty() {
            self.err(raw.prompt.span(), "the prompt is empty: expected the question or task, in Markdown".into());
        }
        let diagram = baseline.map(Diagram::from_log);
        let step = match &raw.step {
            None => None,
            Some(s) => {
                let v = *s.get_ref();
                let steps = diagram.as_ref().map(|d| d.arrows.len());
                // On 32-bit targets (wasm) a step beyond usize is past any end.
                let at = usize::try_from(v).unwrap_or(usize::MAX);
                if v < 0 {
                    self.err(s.span(), format!("step {v} is negative: expected 0 (before the first message) or more"));
                    None
                } else if let Some(n) = steps.filter(|n| at > *n) {
                    self.err(
                        s.span(),
                        format!(
                            "step {v} is past the end: scenario \"{sc}\" has {n} steps (expected 0 to {n})",
                            sc = baseline.map(|b| b.scenario.as_str()).unwrap_or("")
                        ),
                    );
                    None
                } else {
                    Some(at)
                }
            }
        };
        let choices: Vec<String> =
            raw.choices.as_ref().map(|c| c.get_ref().iter().map(|s| s.get_ref().clone()).collect()).unwrap_or_default();
        if let Some(c) = &raw.choices {
            for (i, s) in c.get_ref().iter().enumerate() {
                if s.get_ref().trim().is_empty() {
                    self.err(s.span(), format!("choice {i} is empty: expected its text"));
                } else if c.get_ref()[..i].iter().any(|o| o.get_ref().trim() == s.get_ref().trim()) {
                    self.err(s.span(), format!("choice {i} (\"{}\") repeats an earlier choice", s.get_ref()));
                }
            }
        }
        // Fields by kind.
        match kind {
            Kind::Choice | Kind::Multi => match &raw.choices {
                None => self.err(
                    span.clone(),
                    format!("a {} item needs `choices`: expected a list of at least two answers", kind.name()),
                ),
                Some(c) if c.get_ref().len() < 2 => self.err(
                    c.span(),
                    format!("a {} item needs at least two choices, found {}", kind.name(), c.get_ref().len()),
                ),
                _ => {}
            },
            Kind::Predict => {}
            _ => {
                let at = raw.choices.as_ref().map(Spanned::span);
                self.not_for(at, "choices", kind, "only choice, multi and predict items offer choices");
            }
        }
        if kind != Kind::Task {
            let at = raw.check.map(Spanned::span);
            self.not_for(at, "check", kind, "only task items are checked in the playground");
        }
        if kind != Kind::Discuss {
            let at = raw.model.as_ref().map(Spanned::span);
            self.not_for(at, "model", kind, "only discuss items have a model answer (use `explain`)");
        }
        let answer = self.answer(kind, &raw, &choices, step, baseline, &span);
        let check = match (kind, &raw.check) {
            (Kind::Task, None) => {
                self.err(span.clone(), "a task item needs `check`: expected e.g. check = { kind = \"typed-message-delivered\", mailbox = \"bob@bob.example\" }".into());
                None
            }
            (Kind::Task, Some(c)) => self.check(c, baseline),
            _ => None,
        };
        let model = match (kind, &raw.model) {
            (Kind::Discuss, None) => {
                self.err(
                    span.clone(),
                    "a discuss item needs `model`: expected the model answer the presenter reveals".into(),
                );
                None
            }
            (_, m) => m.as_ref().map(|m| m.get_ref().clone()),
        };
        if self.errors.len() > before {
            return None;
        }
        Some(Item {
            kind,
            step,
            prompt: raw.prompt.into_inner(),
            choices,
            answer: answer?,
            explain: raw.explain.map(Spanned::into_inner).unwrap_or_default(),
            hint: raw.hint.map(Spanned::into_inner),
            check,
            model,
            line,
        })
    }

    fn answer(
        &mut self,
        kind: Kind,
        raw: &RawItem,
        choices: &[String],
        step: Option<usize>,
        baseline: Option<&EventLog>,
        span: &Range<usize>,
    ) -> Option<Answer> {
        let values: Option<(Range<usize>, Vec<&DeValue>)> = raw.answer.map(|a| {
            let v = match a.get_ref() {
                DeValue::Array(v) => v.iter().map(Spanned::get_ref).collect(),
                other => vec![other],
            };
            (a.span(), v)
        });
        match kind {
            Kind::Choice | Kind::Multi => {
                let Some((aspan, values)) = values else {
                    self.err(
                        span.clone(),
                        format!(
                            "a {} item needs `answer`: expected the index (from 0) of the right choice{}",
                            kind.name(),
                            if kind == Kind::Multi { "s, e.g. answer = [0, 2]" } else { ", e.g. answer = [1]" }
                        ),
                    );
                    return None;
                };
                let mut indices = vec![];
                for v in &values {
                    let Some(index) = format::integer(v) else {
                        self.err(
                            aspan.clone(),
                            format!(
                                "a {} item's answer is a list of choice indices (integers from 0), found {}: write e.g. `answer = [{}]` for the {} choice",
                                kind.name(),
                                v.type_str(),
                                if kind == Kind::Multi { "0, 2" } else { "0" },
                                if kind == Kind::Multi { "first and third" } else { "first" }
                            ),
                        );
                        return None;
                    };
                    match index.as_ref().ok().and_then(|i| usize::try_from(*i).ok()).filter(|i| *i < choices.len()) {
                        Some(i) => indices.push(i),
                        None if choices.is_empty() => return None,
                        None => {
                            let i = index.map_or_else(|text| text, |i| i.to_string());
                            self.err(
                                aspan.clone(),
                                format!(
                                    "answer index {i} is out of range: there are {} choices, numbered 0 to {}",
                                    choices.len(),
                                    choices.len() - 1
                                ),
                            );
                            return None;
                        }
                    }
                }
                indices.sort_unstable();
                if indices.windows(2).any(|w| w[0] == w[1]) {
                    self.err(aspan, "the answer names the same choice twice".into());
                    return None;
                }
                match (kind, indices.len()) {
                    (_, 0) => {
                        self.err(aspan, "the answer is empty: expected at least one choice index".into());
                        None
                    }
                    (_, n) if n == choices.len() && kind == Kind::Choice => {
                        self.err(aspan, "every choice is right: expected at least one wrong choice".into());
                        None
                    }
                    _ => Some(Answer::Indices { indices }),
                }
            }
            Kind::Short => {
                let Some((aspan, values)) = values else {
                    self.err(span.clone(), "a short item needs `answer`: expected the accepted answers, e.g. answer = [\"354\", \"/3\\\\d\\\\d/\"]".into());
                    return None;
                };
                let mut accepted = vec![];
                for v in &values {
                    let DeValue::String(s) = v else {
                        self.err(
                            aspan.clone(),
                            format!(
                                "a short item's answer is a list of accepted texts (strings, or \"/regex/\"), found {}",
                                v.type_str()
                            ),
                        );
                        return None;
                    };
                    if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') {
                        let pattern = &s[1..s.len() - 1];
                        if let Err(e) = regex_lite::Regex::new(pattern) {
                            let why = e.to_string();
                            let why = why.lines().last().unwrap_or("").trim();
                            self.err(aspan.clone(), format!("bad regular expression /{pattern}/: {why}: write a regular expression between slashes, e.g. \"/4(xx|\\\\d\\\\d)/\" (in TOML a backslash is written twice), or the answer itself without slashes"));
                            return None;
                        }
                        accepted.push(Accepted::Pattern(pattern.to_string()));
                    } else if s.trim().is_empty() {
                        self.err(aspan.clone(), "an accepted answer is empty".into());
                        return None;
                    } else {
                        accepted.push(Accepted::Text(s.to_string()));
                    }
                }
                if accepted.is_empty() {
                    self.err(aspan, "the answer is empty: expected at least one accepted text".into());
                    return None;
                }
                Some(Answer::Accepted { accepted })
            }
            Kind::Predict => {
                if let Some((aspan, _)) = values {
                    self.err(
                        aspan,
                        "a predict item takes no `answer`: the scenario's next message is the answer".into(),
                    );
                    return None;
                }
                let Some(step) = step else {
                    if raw.step.is_none() {
                        self.err(
                            span.clone(),
                            "a predict item needs `step`: expected the diagram step after which the learner predicts"
                                .into(),
                        );
                    }
                    return None;
                };
                let log = baseline?;
                let sspan = raw.step.as_ref().map(Spanned::span).unwrap_or(span.clone());
                let p = match expected_next(log, step) {
                    Ok(p) => p,
                    Err(m) => {
                        self.err(sspan, m);
                        return None;
                    }
                };
                if let Some(c) = &raw.choices {
                    let matching = choices.iter().filter(|c| super::grade::normalize_token(c) == p.expected).count();
                    if matching != 1 {
                        self.err(c.span(), format!("the next message after step {step} is {} ({}): expected exactly one choice naming {}, found {matching}", p.expected, p.label, p.expected));
                        return None;
                    }
                }
                Some(Answer::Predicted(p))
            }
            Kind::Task | Kind::Discuss => {
                if let Some((aspan, _)) = values {
                    let what = if kind == Kind::Task {
                        "its `check` decides when it is done"
                    } else {
                        "put the model answer in `model`"
                    };
                    self.err(aspan, format!("a {} item takes no `answer`: {what}", kind.name()));
                    return None;
                }
                Some(Answer::None)
            }
        }
    }

    fn check(&mut self, c: &Value, baseline: Option<&EventLog>) -> Option<Check> {
        let check = match format::check(c) {
            Ok(ch) => ch,
            Err(m) => {
                self.err(c.span(), format!("in check: {m}"));
                return None;
            }
        };
        if let Err(m) = super::check::validate(&check, baseline) {
            self.err(c.span(), format!("in check: {m}"));
            return None;
        }
        Some(check)
    }
}

/// The mailboxes and actor ids of a scenario's world, for messages.
pub(super) fn world_names(log: &EventLog) -> (Vec<String>, Vec<String>) {
    let mut mailboxes = vec![];
    let mut actors = vec![];
    for e in &log.events {
        if let Event::ActorJoined { actor } = e {
            mailboxes.extend(actor.mailboxes.iter().cloned());
            actors.push(actor.id.clone());
        }
    }
    (mailboxes, actors)
}
