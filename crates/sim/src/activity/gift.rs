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
/// are left out). A multi item with a single right choice is a single-answer question in
/// GIFT (its one right answer weighs 100%).
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
            // GIFT's multiple-answer form needs weights under 100%: a multi item with one
            // right choice becomes a single-answer question.
            let kind = if item.kind == Kind::Multi && answer.len() == 1 { Kind::Choice } else { item.kind };
            Some(GiftQuestion {
                title: format!("{} {}", activity.id, n + 1),
                kind,
                text: item.prompt.trim().to_string(),
                choices,
                answer,
                accepted,
                feedback: item.explain.trim().to_string(),
            })
        })
        .collect()
}

/// GIFT's special characters, escaped with a backslash; newlines become `\n` (a blank line
/// would end the question).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '~' | '=' | '#' | '{' | '}' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A weight in percent, as GIFT writes it: `50`, `33.33333`.
fn weight(w: f64) -> String {
    let s = format!("{w:.5}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The activity as a GIFT file (Moodle's question import format): one question per choice,
/// multi and short item, named `ID N`, its text in Markdown, its `explain` as general
/// feedback. A choice item is single-answer (each right choice `=`, full marks); a multi
/// item gives each right choice an equal share of 100% and each wrong one -100%; a short
/// item lists its plain accepted answers.
pub fn export(activity: &Activity) -> String {
    let mut out = format!(
        "// {}\n// Exported from Mailsim's activity \"{}\" ({}).\n\n$CATEGORY: mailsim/{}\n\n",
        activity.title.replace('\n', " "),
        activity.id,
        activity.file,
        activity.id
    );
    for q in questions(activity) {
        out.push_str(&format!("::{}::[markdown]{}{{\n", escape(&q.title), escape(&q.text)));
        match q.kind {
            Kind::Short => {
                for a in &q.accepted {
                    out.push_str(&format!("\t={}\n", escape(a)));
                }
            }
            Kind::Multi => {
                let share = 100.0 / q.answer.len() as f64;
                for (i, c) in q.choices.iter().enumerate() {
                    let w = if q.answer.contains(&i) { weight(share) } else { "-100".to_string() };
                    out.push_str(&format!("\t~%{w}%{}\n", escape(c)));
                }
            }
            _ => {
                for (i, c) in q.choices.iter().enumerate() {
                    let mark = if q.answer.contains(&i) { '=' } else { '~' };
                    out.push_str(&format!("\t{mark}{}\n", escape(c)));
                }
            }
        }
        if !q.feedback.is_empty() {
            out.push_str(&format!("\t####{}\n", escape(&q.feedback)));
        }
        out.push_str("}\n\n");
    }
    out
}

/// Reads a GIFT file's multiple-choice and short-answer questions (what [`export`] writes,
/// and the same kinds written by hand: `::name::`, `[format]`, `=`/`~` answers with
/// `%weight%` and `#feedback`, `####` general feedback, `//` comments, `$CATEGORY:`).
/// Other question types (true/false, numerical, matching, essay) are an error naming the
/// question's line.
pub fn parse(text: &str) -> Result<Vec<GiftQuestion>, String> {
    let mut out = vec![];
    let mut block = String::new();
    let mut block_line = 0;
    let lines: Vec<&str> = text.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with("//") || t.starts_with("$CATEGORY:") {
            continue;
        }
        if t.is_empty() {
            if !block.trim().is_empty() {
                out.push(question(&block, block_line)?);
            }
            block.clear();
            continue;
        }
        if block.is_empty() {
            block_line = n + 1;
        }
        block.push_str(line);
        block.push('\n');
    }
    if !block.trim().is_empty() {
        out.push(question(&block, block_line)?);
    }
    Ok(out)
}

/// Splits at unescaped `stop` characters; keeps escapes (undone by [`unescape`]).
fn split_unescaped(s: &str, stop: &[char]) -> Vec<(Option<char>, String)> {
    let mut parts = vec![(None, String::new())];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let last = &mut parts.last_mut().expect("one part").1;
            last.push('\\');
            if let Some(n) = chars.next() {
                last.push(n);
            }
        } else if stop.contains(&c) {
            parts.push((Some(c), String::new()));
        } else {
            parts.last_mut().expect("one part").1.push(c);
        }
    }
    parts
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(n) => out.push(n),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

fn question(block: &str, line: usize) -> Result<GiftQuestion, String> {
    let err = |m: &str| format!("GIFT line {line}: {m}");
    let mut rest = block.trim();
    let mut title = String::new();
    if let Some(after) = rest.strip_prefix("::") {
        let end =
            find_unescaped_pair(after).ok_or_else(|| err("a question name opened with :: is not closed with ::"))?;
        title = unescape(&after[..end]);
        rest = after[end + 2..].trim_start();
    }
    if let Some(after) = rest.strip_prefix('[') {
        let end = after.find(']').ok_or_else(|| err("a [format] tag is not closed"))?;
        rest = &after[end + 1..];
    }
    let open = find_unescaped(rest, '{').ok_or_else(|| err("no answer block {...}: not a question"))?;
    let close = find_unescaped(&rest[open..], '}')
        .map(|c| c + open)
        .ok_or_else(|| err("the answer block is not closed with }"))?;
    let text = format!("{}{}", unescape(&rest[..open]), {
        let tail = unescape(&rest[close + 1..]);
        if tail.is_empty() {
            String::new()
        } else {
            format!(" {tail}")
        }
    });
    let body = &rest[open + 1..close];
    let (answers_part, feedback) = match body.find("####") {
        Some(i) => (&body[..i], unescape(&body[i + 4..])),
        None => (body, String::new()),
    };
    let mut choices = vec![];
    let mut right = vec![];
    let mut weights = vec![];
    let mut marks = vec![];
    for (mark, t) in split_unescaped(answers_part, &['=', '~']) {
        let Some(mark) = mark else {
            if !t.trim().is_empty() {
                return Err(err(
                    "only multiple-choice and short-answer questions are read (this answer block is another type)",
                ));
            }
            continue;
        };
        let mut t = t.as_str();
        let mut w: Option<f64> = None;
        if let Some(after) = t.trim_start().strip_prefix('%') {
            let end = after.find('%').ok_or_else(|| err("a %weight% is not closed"))?;
            w = Some(after[..end].parse().map_err(|_| err("a %weight% is not a number"))?);
            t = &after[end + 1..];
        }
        let answer = split_unescaped(t, &['#']).first().map(|p| unescape(&p.1)).unwrap_or_default();
        marks.push(mark);
        weights.push(w.unwrap_or(if mark == '=' { 100.0 } else { 0.0 }));
        if mark == '=' || w.is_some_and(|w| w > 0.0) {
            right.push(choices.len());
        }
        choices.push(answer);
    }
    if choices.is_empty() {
        return Err(err("the answer block has no answers"));
    }
    let kind = if marks.iter().all(|m| *m == '=') {
        Kind::Short
    } else if marks.contains(&'=') || weights.iter().any(|w| *w >= 100.0) {
        Kind::Choice
    } else {
        Kind::Multi
    };
    Ok(match kind {
        Kind::Short => GiftQuestion { title, kind, text, choices: vec![], answer: vec![], accepted: choices, feedback },
        _ => GiftQuestion { title, kind, text, choices, answer: right, accepted: vec![], feedback },
    })
}

/// Where the first unescaped `::` starts.
fn find_unescaped_pair(s: &str) -> Option<usize> {
    let mut escaped = false;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b':' && bytes.get(i + 1) == Some(&b':') {
            return Some(i);
        }
    }
    None
}

fn find_unescaped(s: &str, c: char) -> Option<usize> {
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}
