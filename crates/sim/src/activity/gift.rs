//! Moodle GIFT: export an activity's choice, multi and short items so they can go into an
//! LMS question bank, and read GIFT back (the round-trip test, and a check on what we write).

use super::{Accepted, Activity, Answer, Kind};

/// One GIFT question, as we write it and as [`parse`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftQuestion {
    pub title: String,
    pub kind: Kind,
    /// The question text (Markdown).
    pub text: String,
    /// choice, multi.
    pub choices: Vec<String>,
    /// choice, multi: the right choices' indices.
    pub answer: Vec<usize>,
    /// short: the accepted answers.
    pub accepted: Vec<String>,
    /// The general feedback (the item's `explain`).
    pub feedback: String,
}

/// The questions of `activity` that GIFT can hold: choice, multi, and short items with at
/// least one plain-text accepted answer (GIFT has no regular expressions; /regex/ answers
/// are left out).
pub fn questions(activity: &Activity) -> Vec<GiftQuestion> {
    activity
        .items
        .iter()
        .enumerate()
        .filter_map(|(n, item)| {
            let (choices, answer, accepted) = match (&item.kind, &item.answer) {
                (Kind::Choice | Kind::Multi, Answer::Indices { indices }) => {
                    (item.choices.clone(), indices.clone(), vec![])
                }
                (Kind::Short, Answer::Accepted { accepted }) => {
                    let plain: Vec<String> = accepted
                        .iter()
                        .filter_map(|a| match a {
                            Accepted::Text(t) => Some(t.clone()),
                            Accepted::Pattern(_) => None,
                        })
                        .collect();
                    if plain.is_empty() {
                        return None;
                    }
                    (vec![], vec![], plain)
                }
                _ => return None,
            };
            Some(GiftQuestion {
                title: format!("{} {}", activity.id, n + 1),
                kind: item.kind,
                text: item.prompt.trim().to_string(),
                choices,
                answer,
                accepted,
                feedback: item.explain.trim().to_string(),
            })
        })
        .collect()
}
