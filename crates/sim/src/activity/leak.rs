//! Answers given away: an item's answer written somewhere the learner reads before answering
//! it. The page shows, before item N is answered: the activity's title, intro and goals, the
//! scenario's title,
//! first words of every item's prompt (the intro's list), the prompts and choices of the
//! items before it and what they revealed once answered (explanation, hints, model answer),
//! its own prompt, and, on the diagram up to its step, the narrations, the phase names and
//! the explanation of the message at the step (the details panel).
//!
//! What is looked for:
//! - a `predict` item: its answer, a command verb (`DELE`) or a three-digit code (`354`), as
//!   a word in capitals, also on the diagram (`+OK`, `OK`: everywhere, not looked for);
//! - a `short` item: each plain accepted answer in capitals or a code (`MX`, `LIST`, `550`),
//!   in the text the instructor wrote;
//! - a `choice` item: the right choice's text, in the text the instructor wrote, where none
//!   of the wrong choices is also written (naming every option gives nothing away).
//!
//! Not searched: the labels of the messages before the step, and the message at the step
//! explaining its own verb: they are the history the question is about (after one `RCPT`, a
//! second one is a fair question); for a short or choice item, the diagram up to its step is
//! what it asks about.

use super::{Accepted, Activity, Answer, Kind};
use crate::diagram::Diagram;
use crate::log::{Event, EventLog};

/// One answer found where it is read before the item is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    /// 0-based item index.
    pub item: usize,
    /// The answer, as the file or the scenario gives it.
    pub answer: String,
    /// 1-based line of the item's `[[item]]` in its file.
    pub line: usize,
    /// Where it is read, e.g. "the intro", "item 2's explanation".
    pub place: String,
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "item {} (line {}): its answer \"{}\" is written in {}, which the learner reads before answering it",
            self.item + 1,
            self.line,
            self.answer,
            self.place
        )
    }
}

/// Markdown's emphasis and code marks gone, runs of space as one; lower case if `fold`.
fn norm(s: &str, fold: bool) -> String {
    let s: String = s.chars().filter(|c| !matches!(c, '*' | '`' | '_')).collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if fold {
        s.to_lowercase()
    } else {
        s
    }
}

/// Whether `needle` occurs in `hay` with no letter or digit on either side.
fn has_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        // A word starting or ending with a sign (`+OK`) bounds itself on that side.
        let (first, last) = (needle.chars().next(), needle.chars().next_back());
        (!alnum(first) || !alnum(before)) && (!alnum(last) || !alnum(after))
    })
}

/// A token worth looking for in prose: a command verb or a name in capitals (`DELE`, `MX`),
/// or a three-digit code (`354`). Small numbers, `+OK` and `OK` are written everywhere.
fn is_token(t: &str) -> bool {
    let t = t.trim();
    let caps = t.chars().count() >= 2
        && t.chars().any(|c| c.is_ascii_uppercase())
        && t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let code = t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit());
    (caps || code) && !matches!(t, "OK" | "NO" | "BAD")
}

/// Where the learner reads something, and whether it is part of the diagram.
struct Seen {
    place: String,
    text: String,
    diagram: bool,
}

/// What the learner reads before answering item `n`.
fn read_before(a: &Activity, n: usize, log: &EventLog, diagram: &Diagram) -> Vec<Seen> {
    let mut out = vec![];
    let mut say = |place: String, text: &str, diagram: bool| out.push(Seen { place, text: text.to_string(), diagram });
    say("the title".into(), &a.title, false);
    // The intro and the panels name the scenario by its title (not its summary or description).
    let scenario = crate::scenario::info_of(&a.scenario).map_or(a.scenario.as_str(), |s| s.title.as_str());
    say("the scenario's title".into(), scenario, false);
    say("the intro".into(), &a.intro, false);
    for g in &a.goals {
        say("the learning goals".into(), g, false);
    }
    for (j, it) in a.items.iter().enumerate() {
        if j > n {
            // The intro lists every item by the first words of its prompt.
            let first: String = it.prompt.chars().take(90).collect();
            say(format!("the intro's list of items (item {})", j + 1), &first, false);
            continue;
        }
        if j == n {
            say("its own prompt".into(), &it.prompt, false);
            continue;
        }
        let who = format!("item {}'s", j + 1);
        say(format!("{who} prompt"), &it.prompt, false);
        // Its right choices, which its feedback confirms (the wrong ones teach nothing).
        if let Answer::Indices { indices } = &it.answer {
            for &i in indices {
                say(format!("{who} right choice"), it.choices.get(i).map_or("", |c| c.as_str()), false);
            }
        }
        say(format!("{who} explanation"), &it.explain, false);
        if let Some(h) = &it.hint {
            say(format!("{who} hint"), h, false);
        }
        if let Some(m) = &it.model {
            say(format!("{who} model answer"), m, false);
        }
    }
    // The diagram up to the item's step (no step: where the learner is; at least the start).
    let step = a.items[n].step.unwrap_or(0).min(diagram.arrows.len());
    for e in log.events.iter().take(diagram.events_at_step(step)) {
        if let Event::Narrated { text, .. } = e {
            say(format!("a narration before step {}", step.max(1)), text, true);
        }
    }
    for arrow in diagram.arrows.iter().take(step) {
        if let Some(p) = arrow.phase {
            say(format!("the diagram's phase name at step {}", arrow.step), p, true);
        }
    }
    // The details panel explains the message at the step; its own verb is the history.
    if let Some(arrow) = step.checked_sub(1).and_then(|s| diagram.arrows.get(s)) {
        if let Some(Event::MessageSent { meaning, from_state, to_state, .. }) = log.events.get(arrow.event) {
            // Its "Protocol state after this message" (the receiver's state after it has
            // reacted: a client that got 250 for MAIL is already "sending RCPT TO #1"), which the page
            // holds back while an open item closes the future at this step (as the page's
            // `Run::hidden_after`: predict items, and questions placed at a step).
            if a.items[n].closes_future_at().is_none() {
                for (who, state) in [("sender", from_state), ("receiver", to_state)] {
                    say(format!("the details panel's {who} state at step {step}"), state, true);
                }
            }
            let own = arrow.label.to_ascii_uppercase();
            let text: String = meaning
                .split_whitespace()
                .filter(|w| !own.contains(&w.to_ascii_uppercase()))
                .collect::<Vec<_>>()
                .join(" ");
            say(format!("the details panel's explanation of the message at step {step}"), &text, true);
        }
    }
    out
}

/// Every answer of `a` written where the learner reads it before answering (see the module
/// documentation for what is looked for). `log` is the activity's baseline run
/// ([`Activity::baseline`]).
pub fn leaks(a: &Activity, log: &EventLog) -> Vec<Leak> {
    let diagram = Diagram::from_log(log);
    let mut found = vec![];
    for (n, item) in a.items.iter().enumerate() {
        let seen = read_before(a, n, log, &diagram);
        let mut leak = |answer: &str, place: &str| {
            found.push(Leak { item: n, line: item.line, answer: answer.to_string(), place: place.to_string() })
        };
        match &item.answer {
            // The next message: its verb or code, in capitals, anywhere (the diagram too).
            Answer::Predicted(p) if is_token(&p.expected) => {
                for s in seen.iter().filter(|s| has_word(&norm(&s.text, false), &p.expected)) {
                    if s.place == "its own prompt" {
                        // Often a step one too early: the prompt tells of the very message to predict.
                        leak(
                            &p.expected,
                            &format!(
                                "its own prompt (the message it asks for, after step {}, is \"{}\": a prompt that tells of it as sent asks one step too early)",
                                p.reveal_step - 1,
                                p.label
                            ),
                        );
                    } else {
                        leak(&p.expected, &s.place);
                    }
                }
            }
            // A typed answer: each plain accepted token, in what was written for the learner
            // (the diagram up to the step is what such a question asks about).
            Answer::Accepted { accepted } => {
                for acc in accepted {
                    let Accepted::Text(t) = acc else { continue };
                    let t = t.trim();
                    if !is_token(t) {
                        continue;
                    }
                    for s in seen.iter().filter(|s| !s.diagram && has_word(&norm(&s.text, false), t)) {
                        leak(t, &s.place);
                    }
                }
            }
            // One pick: the right choice's text, where no wrong choice is also written.
            Answer::Indices { indices } if item.kind == Kind::Choice => {
                for s in seen.iter().filter(|s| !s.diagram && s.place != "its own prompt") {
                    let text = norm(&s.text, true);
                    let named = |i: usize| has_word(&text, &norm(&item.choices[i], true));
                    if (0..item.choices.len()).any(|i| !indices.contains(&i) && named(i)) {
                        continue;
                    }
                    for &r in indices.iter().filter(|&&r| named(r)) {
                        leak(&item.choices[r], &s.place);
                    }
                }
            }
            _ => {}
        }
    }
    found
}
