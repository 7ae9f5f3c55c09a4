//! Activities and what grading says, as JSON: what crosses between the engine (which reads,
//! grades and checks) and the page (which shows), when they are two wasm modules
//! (docs/benchmarks.md, "The way to 300 KB"). Writers to a [`Value`], readers by hand over a
//! [`Value`] (serde's derived readers cost the page more code); every reader gives `None`
//! where the JSON is not what the writer writes. [`Check`] and [`Response`] keep the shapes
//! their serde writers give (the page shows a check's JSON; answers are stored as JSON).

use super::check::{CopyKind, Protocol};
use super::{
    Accepted, Activity, Answer, Check, Feedback, Item, Kind, LocatedError, Predicted, Response, ScenarioFile,
    TaskOutcome,
};
use serde_json::{json, Map, Value};

fn string(v: &Value, key: &str) -> Option<String> {
    Some(v.get(key)?.as_str()?.to_string())
}

/// An optional string: absent or `null` is `None`; any other non-string fails the read.
fn opt_string(v: &Value, key: &str) -> Option<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(x) => Some(Some(x.as_str()?.to_string())),
    }
}

fn usize_of(v: &Value) -> Option<usize> {
    usize::try_from(v.as_u64()?).ok()
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?.iter().map(|x| x.as_str().map(str::to_string)).collect()
}

impl Kind {
    /// Its name in a file (`choice`, `multi`, ...) back to the kind.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl Protocol {
    fn from_name(name: &str) -> Option<Protocol> {
        [Protocol::Smtp, Protocol::Pop3, Protocol::Imap, Protocol::Http].into_iter().find(|p| p.name() == name)
    }
}

impl Check {
    /// As its serde writer gives it: `{"kind": "reply", "code": "250", "verb": "RCPT"}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads what [`Check::to_json`] wrote.
    pub fn from_json(v: &Value) -> Option<Check> {
        let mailbox = || string(v, "mailbox");
        let protocol = || Protocol::from_name(v.get("protocol")?.as_str()?);
        Some(match v.get("kind")?.as_str()? {
            "forged-from" => Check::ForgedFrom { mailbox: mailbox()? },
            "reply" => Check::Reply {
                code: string(v, "code")?,
                verb: opt_string(v, "verb")?,
                protocol: match v.get("protocol") {
                    None | Some(Value::Null) => None,
                    Some(_) => Some(protocol()?),
                },
                port: match v.get("port") {
                    None | Some(Value::Null) => None,
                    Some(p) => Some(u16::try_from(p.as_u64()?).ok()?),
                },
            },
            "kept-after-pop3" => Check::KeptAfterPop3 { mailbox: mailbox()? },
            "told-of-new-mail" => Check::ToldOfNewMail { mailbox: mailbox()? },
            "typed-message-delivered" => Check::TypedMessageDelivered { mailbox: mailbox()? },
            "copy-delivered" => Check::CopyDelivered {
                mailbox: mailbox()?,
                copy: match v.get("copy")?.as_str()? {
                    "cc" => CopyKind::Cc,
                    "bcc" => CopyKind::Bcc,
                    _ => return None,
                },
            },
            "delivered-after-outage" => Check::DeliveredAfterOutage { mailbox: mailbox()? },
            "connections" => Check::Connections {
                client: string(v, "client")?,
                protocol: protocol()?,
                at_least: u32::try_from(v.get("at_least")?.as_u64()?).ok()?,
            },
            "typed" => Check::Typed { verb: string(v, "verb")?, protocol: protocol()? },
            _ => return None,
        })
    }
}

impl Answer {
    /// `{"none": null}`, `{"indices": [0, 2]}`, `{"accepted": [{"text": "250"}, {"pattern": "2\\d\\d"}]}`
    /// or `{"predicted": {...}}`.
    pub fn to_json(&self) -> Value {
        match self {
            Answer::None => json!({ "none": null }),
            Answer::Indices { indices } => json!({ "indices": indices }),
            Answer::Accepted { accepted } => {
                let list: Vec<Value> = accepted
                    .iter()
                    .map(|a| match a {
                        Accepted::Text(t) => json!({ "text": t }),
                        Accepted::Pattern(p) => json!({ "pattern": p }),
                    })
                    .collect();
                json!({ "accepted": list })
            }
            Answer::Predicted(p) => json!({ "predicted": {
                "expected": p.expected,
                "label": p.label,
                "protocol": p.protocol,
                "command": p.command,
                "reveal_step": p.reveal_step,
            }}),
        }
    }

    /// Reads what [`Answer::to_json`] wrote.
    pub fn from_json(v: &Value) -> Option<Answer> {
        let o = v.as_object()?;
        if o.len() != 1 {
            return None;
        }
        let (key, x) = o.iter().next()?;
        Some(match key.as_str() {
            "none" if x.is_null() => Answer::None,
            "indices" => Answer::Indices { indices: x.as_array()?.iter().map(usize_of).collect::<Option<_>>()? },
            "accepted" => Answer::Accepted {
                accepted: x
                    .as_array()?
                    .iter()
                    .map(|a| match (a.get("text"), a.get("pattern")) {
                        (Some(t), None) => Some(Accepted::Text(t.as_str()?.to_string())),
                        (None, Some(p)) => Some(Accepted::Pattern(p.as_str()?.to_string())),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            },
            "predicted" => Answer::Predicted(Predicted {
                expected: string(x, "expected")?,
                label: string(x, "label")?,
                protocol: string(x, "protocol")?,
                command: x.get("command")?.as_bool()?,
                reveal_step: usize_of(x.get("reveal_step")?)?,
            }),
            _ => return None,
        })
    }
}

impl Item {
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.name(),
            "step": self.step,
            "prompt": self.prompt,
            "choices": self.choices,
            "answer": self.answer.to_json(),
            "explain": self.explain,
            "hint": self.hint,
            "check": self.check.as_ref().map(Check::to_json),
            "model": self.model,
            "line": self.line,
        })
    }

    /// Reads what [`Item::to_json`] wrote.
    pub fn from_json(v: &Value) -> Option<Item> {
        Some(Item {
            kind: Kind::from_name(v.get("kind")?.as_str()?)?,
            step: match v.get("step")? {
                Value::Null => None,
                s => Some(usize_of(s)?),
            },
            prompt: string(v, "prompt")?,
            choices: strings(v.get("choices")?)?,
            answer: Answer::from_json(v.get("answer")?)?,
            explain: string(v, "explain")?,
            hint: opt_string(v, "hint")?,
            check: match v.get("check") {
                None | Some(Value::Null) => None,
                Some(c) => Some(Check::from_json(c)?),
            },
            model: opt_string(v, "model")?,
            line: usize_of(v.get("line")?)?,
        })
    }
}

impl Activity {
    /// The whole activity, as the page needs it (its scenario file beside it included).
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("title".into(), json!(self.title));
        o.insert("scenario".into(), json!(self.scenario));
        o.insert("intro".into(), json!(self.intro));
        o.insert("goals".into(), json!(self.goals));
        o.insert("items".into(), Value::Array(self.items.iter().map(Item::to_json).collect()));
        o.insert("file".into(), json!(self.file));
        if let Some(f) = &self.scenario_file {
            o.insert("scenario_file".into(), json!({ "name": f.name, "text": f.text }));
        }
        Value::Object(o)
    }

    /// Reads what [`Activity::to_json`] wrote.
    pub fn from_json(v: &Value) -> Option<Activity> {
        Some(Activity {
            id: string(v, "id")?,
            title: string(v, "title")?,
            scenario: string(v, "scenario")?,
            intro: string(v, "intro")?,
            goals: strings(v.get("goals")?)?,
            items: v.get("items")?.as_array()?.iter().map(Item::from_json).collect::<Option<_>>()?,
            file: string(v, "file")?,
            scenario_file: match v.get("scenario_file") {
                None | Some(Value::Null) => None,
                Some(f) => Some(ScenarioFile { name: string(f, "name")?, text: string(f, "text")? }),
            },
        })
    }
}

impl Response {
    /// As its serde writer gives it (what the page stores): `{"type": "text", "value": "250"}`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Feedback {
    pub fn to_json(&self) -> Value {
        json!({ "correct": self.correct, "message": self.message })
    }

    pub fn from_json(v: &Value) -> Option<Feedback> {
        Some(Feedback { correct: v.get("correct")?.as_bool()?, message: string(v, "message")? })
    }
}

impl TaskOutcome {
    pub fn to_json(&self) -> Value {
        json!({ "done": self.done, "detail": self.detail })
    }

    pub fn from_json(v: &Value) -> Option<TaskOutcome> {
        Some(TaskOutcome { done: v.get("done")?.as_bool()?, detail: string(v, "detail")? })
    }
}

impl LocatedError {
    pub fn to_json(&self) -> Value {
        json!({ "file": self.file, "line": self.line, "column": self.column, "message": self.message })
    }

    pub fn from_json(v: &Value) -> Option<LocatedError> {
        Some(LocatedError {
            file: string(v, "file")?,
            line: usize_of(v.get("line")?)?,
            column: usize_of(v.get("column")?)?,
            message: string(v, "message")?,
        })
    }
}

#[cfg(all(test, feature = "engine", builtin_text))]
mod tests {
    use super::*;
    use crate::activity::{Answered, Response};

    /// Every built-in activity, and every item, check and answer in them, reads back equal.
    #[test]
    fn every_builtin_activity_reads_back_equal() {
        let all = crate::activity::builtin();
        assert!(all.len() >= 20, "{} activities", all.len());
        let mut checks = 0;
        for a in &all {
            let text = a.to_json().to_string();
            let back = Activity::from_json(&serde_json::from_str(&text).unwrap());
            assert_eq!(back.as_ref(), Some(a), "{}", a.file);
            checks += a.items.iter().filter(|i| i.check.is_some()).count();
        }
        assert!(checks > 5, "the built-in activities have {checks} task checks");
        let kinds: std::collections::BTreeSet<_> =
            all.iter().flat_map(|a| a.items.iter().map(|i| i.kind.name())).collect();
        assert_eq!(kinds.len(), Kind::ALL.len(), "every kind crosses: {kinds:?}");
    }

    /// An activity with a scenario file beside it carries the file's name and text, and plays
    /// the same once read back.
    #[test]
    fn an_activity_with_its_scenario_file_reads_back_and_plays_the_same() {
        let scenario =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/alice-to-bob.toml")).unwrap();
        let activity = "[activity]\nid = \"mine\"\ntitle = \"Mine\"\nscenario = \"mine.toml\"\n\n[[item]]\nkind = \"predict\"\nstep = 2\nprompt = \"Next?\"\nexplain = \"It is.\"\n";
        let a = crate::activity::parse_with("a/mine-activity.toml", activity, &|n| {
            (n == "mine.toml").then(|| scenario.clone())
        })
        .unwrap();
        let f = a.scenario_file.as_ref().expect("the file beside it");
        assert_eq!((f.name.as_str(), f.text.as_str()), ("mine.toml", scenario.as_str()));
        let back = Activity::from_json(&serde_json::from_str(&a.to_json().to_string()).unwrap()).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.baseline().to_jsonl(), a.baseline().to_jsonl());
    }

    /// Every check shape reads back; what is not a check does not read.
    #[test]
    fn checks_read_back_and_wrong_shapes_do_not() {
        let checks = [
            Check::ForgedFrom { mailbox: "bob@bob.example".into() },
            Check::Reply {
                code: "5xx".into(),
                verb: Some("RCPT".into()),
                protocol: Some(Protocol::Smtp),
                port: Some(587),
            },
            Check::Reply { code: "+OK".into(), verb: None, protocol: None, port: None },
            Check::KeptAfterPop3 { mailbox: "b".into() },
            Check::ToldOfNewMail { mailbox: "b".into() },
            Check::TypedMessageDelivered { mailbox: "b".into() },
            Check::CopyDelivered { mailbox: "b".into(), copy: CopyKind::Bcc },
            Check::CopyDelivered { mailbox: "b".into(), copy: CopyKind::Cc },
            Check::DeliveredAfterOutage { mailbox: "b".into() },
            Check::Connections { client: "bob-ua".into(), protocol: Protocol::Imap, at_least: 2 },
            Check::Typed { verb: "STAT".into(), protocol: Protocol::Pop3 },
        ];
        for c in checks {
            assert_eq!(Check::from_json(&c.to_json()), Some(c.clone()), "{}", c.to_json());
        }
        for bad in [
            json!({"kind": "reply"}),
            json!({"kind": "typed", "verb": "STAT", "protocol": "FTP"}),
            json!({"kind": "connections", "client": "x", "protocol": "IMAP", "at_least": -1}),
            json!({"kind": "reply", "code": "250", "port": 70000}),
            json!({"kind": "nothing"}),
            json!("forged-from"),
        ] {
            assert_eq!(Check::from_json(&bad), None, "{bad}");
        }
    }

    /// Grading's replies and errors read back; answers keep the shape the page stores.
    #[test]
    fn feedback_outcomes_errors_and_answers_read_back() {
        let f = Feedback { correct: false, message: "Not quite: 354.".into() };
        assert_eq!(Feedback::from_json(&f.to_json()), Some(f));
        let t = TaskOutcome { done: true, detail: "bob@bob.example holds it".into() };
        assert_eq!(TaskOutcome::from_json(&t.to_json()), Some(t));
        let e = LocatedError { file: "a.toml".into(), line: 3, column: 9, message: "expected a string".into() };
        assert_eq!(LocatedError::from_json(&e.to_json()), Some(e));
        assert_eq!(LocatedError::from_json(&json!({"file": "a", "line": "3", "column": 1, "message": ""})), None);
        for r in [Response::Choices(vec![0, 2]), Response::Text("250".into()), Response::TaskDone, Response::Revealed] {
            assert_eq!(Response::from_json(&r.to_json()), Some(r.clone()));
            let a = Answered { response: r, correct: true };
            assert_eq!(Answered::from_json(&serde_json::to_value(&a).unwrap()), Some(a));
        }
        assert_eq!(Answer::from_json(&json!({"indices": [1], "none": null})), None);
        assert_eq!(Answer::from_json(&json!({"accepted": [{"text": "a", "pattern": "b"}]})), None);
    }
}
