//! Grading answers, the expected answer of a `predict` item, and the completion code.

use super::{Accepted, Activity, Answer, Answered, Feedback, Item, Kind, Predicted, Response};
use crate::diagram::Diagram;
use crate::log::{Event, EventLog};

/// The message a predict item at `step` asks for: the `step + 1`-th arrow of the diagram
/// (steps count arrows as [`Diagram`] does; 0 = before the first message). The error says
/// why that step cannot be predicted.
pub fn expected_next(log: &EventLog, step: usize) -> Result<Predicted, String> {
    let diagram = Diagram::from_log(log);
    let n = diagram.arrows.len();
    let Some(arrow) = diagram.arrows.get(step) else {
        return Err(format!(
            "there is no message after step {step}: scenario \"{}\" has {n} steps, so a predict item's step is 0 to {}",
            log.scenario,
            n.saturating_sub(1)
        ));
    };
    let Some(Event::MessageSent { conn, from, raw, protocol, label, .. }) = log.events.get(arrow.event) else {
        return Err(format!("step {} is not a message", step + 1));
    };
    let Some(conn) = conn else {
        return Err(format!(
            "the message after step {step} is a {protocol} message ({label}), which has no command verb or reply code: choose a step before an SMTP, POP3, IMAP or HTTP message"
        ));
    };
    let client = log.events.iter().find_map(|e| match e {
        Event::ConnectionOpened { conn: c, client, .. } if c == conn => Some(client.as_str()),
        _ => None,
    });
    let command = client == Some(from.as_str());
    let text = String::from_utf8_lossy(raw);
    let expected = token_of(protocol, command, &text).ok_or_else(|| {
        // SMTP: the message itself after DATA; IMAP: a client line of an AUTHENTICATE exchange.
        let why = if protocol == "IMAP" {
            "a line of the AUTHENTICATE exchange (SASL data) is not a command"
        } else {
            "message content is not a command"
        };
        format!("the message after step {step} ({label}) has no command verb or reply code to predict ({why}): choose another step")
    })?;
    Ok(Predicted { expected, label: label.clone(), protocol: protocol.clone(), command, reveal_step: step + 1 })
}

/// The verb or reply of one protocol message, upper case.
pub(super) fn token_of(protocol: &str, command: bool, text: &str) -> Option<String> {
    let first = text.lines().next().unwrap_or("").trim();
    let word = |s: &str, i: usize| s.split_whitespace().nth(i).map(|w| w.to_ascii_uppercase());
    match (protocol, command) {
        ("SMTP", true) => {
            // Message content (after DATA) has no verb: it is a block of lines ending with ".".
            if text.ends_with("\r\n.\r\n") || text == ".\r\n" {
                return None;
            }
            first.split([' ', ':']).next().filter(|w| !w.is_empty()).map(str::to_ascii_uppercase)
        }
        ("SMTP", false) => {
            let code = first.get(..3)?;
            code.bytes().all(|b| b.is_ascii_digit()).then(|| code.to_string())
        }
        ("POP3", _) => word(first, 0),
        ("IMAP", true) => {
            // After the tag; DONE (ending IDLE) has none; SASL data is not a command.
            if first.eq_ignore_ascii_case("DONE") {
                return Some("DONE".into());
            }
            let w = word(first, 1)?;
            (w.bytes().all(|b| b.is_ascii_alphabetic())).then_some(w)
        }
        ("IMAP", false) => {
            // The tagged status (OK, NO, BAD) if the batch ends one; else the first untagged
            // response's name (EXISTS, OK, BYE, CAPABILITY...), or + for a continuation.
            let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
            if let Some(tagged) = lines.iter().rev().find(|l| !l.starts_with('*') && !l.starts_with('+')) {
                if let Some(w) = word(tagged, 1).filter(|w| ["OK", "NO", "BAD"].contains(&w.as_str())) {
                    return Some(w);
                }
            }
            if first.starts_with('+') {
                return Some("+".into());
            }
            let mut words = first.split_whitespace().skip(1);
            let w = words.next()?;
            if w.bytes().all(|b| b.is_ascii_digit()) {
                words.next().map(str::to_ascii_uppercase)
            } else {
                Some(w.to_ascii_uppercase())
            }
        }
        ("HTTP", true) => word(first, 0),
        ("HTTP", false) => word(first, 1),
        _ => None,
    }
}

/// A learner's verb or code, as compared: the first word (up to a space or `:`), upper case.
pub(super) fn normalize_token(s: &str) -> String {
    s.trim().split([' ', ':', '\t']).next().unwrap_or("").to_ascii_uppercase()
}

/// A typed prediction's verb or code, also from the line as the lecture writes it: `C:` or
/// `S:` first, an IMAP tag (`a005 store 12 +flags \deleted`) or `*` and a message number
/// (`* 12 FETCH (...)`) before the name, `HTTP/1.1` before a status code; a full stop after it
/// (`QUIT.`), a reply code copied from a multi-line reply (`250-SIZE`, RFC 5321 §4.2.1); in
/// quotes (`"EHLO"`, `“QUIT”`) and with the side glued on (`C:EHLO`).
fn given_token(p: &Predicted, text: &str) -> String {
    let text = text.to_ascii_uppercase().replace(['"', '\'', '`', '“', '”', '‘', '’'], " ");
    let mut w: Vec<&str> = text.split_whitespace().collect();
    match w.first().and_then(|f| f.strip_prefix("C:").or_else(|| f.strip_prefix("S:"))) {
        Some("") if w.len() > 1 => {
            w.remove(0);
        }
        Some(rest) if !rest.is_empty() => w[0] = rest,
        _ => {}
    }
    let names = mailsim_proto::imap::command::COMMAND_NAMES;
    let skip = w.len() > 1
        && (p.protocol == "IMAP"
            && !names.contains(&w[0])
            && !["OK", "NO", "BAD", "BYE", "PREAUTH", "+"].contains(&w[0])
            || w[0].starts_with("HTTP/"));
    let i =
        usize::from(skip) + usize::from(skip && w[0] == "*" && w.len() > 2 && w[1].bytes().all(|b| b.is_ascii_digit()));
    let t = w.get(i).copied().unwrap_or("").trim_end_matches('.');
    normalize_token(match t.find('-') {
        Some(3) if t[..3].bytes().all(|b| b.is_ascii_digit()) => &t[..3],
        _ => t,
    })
}

/// Case-insensitive, surrounding space dropped, inner runs of space as one.
fn normalize_text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whether a typed short answer is accepted.
pub(super) fn accepts(a: &Accepted, text: &str) -> bool {
    match a {
        Accepted::Text(t) => normalize_text(t) == normalize_text(text),
        Accepted::Pattern(p) => {
            regex_lite::Regex::new(&format!("(?i)^(?:{p})$")).is_ok_and(|r| r.is_match(text.trim()))
        }
    }
}

/// Grades one response to `item`. Predict items compare with the message their scenario
/// really sends next; tasks are graded by [`super::check_task`] (a `TaskDone` response is
/// only recorded once it said done); discuss items are not graded (always `correct`).
pub fn grade(item: &Item, response: &Response) -> Feedback {
    let right = |message: &str| Feedback { correct: true, message: message.to_string() };
    let wrong = |message: String| Feedback { correct: false, message };
    match (&item.answer, response) {
        (Answer::Indices { indices }, Response::Choices(picked)) => {
            let mut picked = picked.clone();
            picked.sort_unstable();
            picked.dedup();
            if item.kind == Kind::Choice {
                // One pick; any of the right ones counts (a clicker question may have two).
                return match picked.as_slice() {
                    [one] if indices.contains(one) => right("Right."),
                    [_] => wrong("Not quite.".into()),
                    _ => wrong("Pick one answer.".into()),
                };
            }
            if picked == *indices {
                return right("Right.");
            }
            let hits = picked.iter().filter(|p| indices.contains(p)).count();
            let extra = picked.len() - hits;
            wrong(format!(
                "Not quite: you picked {hits} of the {} right answers{}.",
                indices.len(),
                if extra > 0 {
                    format!(" and {extra} that {} not", if extra == 1 { "is" } else { "are" })
                } else {
                    String::new()
                }
            ))
        }
        (Answer::Accepted { accepted }, Response::Text(text)) => {
            if text.trim().is_empty() {
                wrong("Type an answer first.".into())
            } else if accepted.iter().any(|a| accepts(a, text)) {
                right("Right.")
            } else {
                wrong(format!("\"{}\" is not what we were looking for.", text.trim()))
            }
        }
        (Answer::Predicted(p), Response::Text(_) | Response::Choices(_)) => {
            let given = match response {
                Response::Text(t) => given_token(p, t),
                Response::Choices(v) => {
                    v.first().and_then(|&i| item.choices.get(i)).map(|c| normalize_token(c)).unwrap_or_default()
                }
                _ => String::new(),
            };
            if given == p.expected {
                right(&format!("Right: the next message is {}.", p.label))
            } else if given.is_empty() {
                wrong("Give a command or a reply code first.".into())
            } else {
                wrong(format!("Not quite: you said {given}; the next message is {}.", p.label))
            }
        }
        (Answer::None, Response::TaskDone) if item.kind == Kind::Task => right("Done."),
        (Answer::None, Response::Revealed) if item.kind == Kind::Discuss => right("Model answer revealed."),
        (_, _) => wrong(format!("That kind of response does not answer a {} item.", item.kind.name())),
    }
}

/// (right, graded): how many answers were right, out of the items that are graded (all but
/// discuss).
pub fn score(activity: &Activity, answers: &[Option<Answered>]) -> (usize, usize) {
    let graded = activity.items.iter().filter(|i| i.kind != Kind::Discuss).count();
    let right = activity
        .items
        .iter()
        .zip(answers)
        .filter(|(i, a)| i.kind != Kind::Discuss && a.as_ref().is_some_and(|a| a.correct))
        .count();
    (right, graded)
}

/// Crockford's base32 alphabet (no I, L, O, U: nothing to misread).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A receipt for a finished (or partly finished) activity: `XXXX-XXXX-C`, eight base32
/// characters from a hash of the activity (id, items) and the answers, and a check
/// character. Deterministic: the same activity and answers give the same code, in every
/// browser. It is **not a secret** and proves nothing on its own (anyone with the file can
/// compute it); it is a short receipt a student pastes into the course's quiz tool, which an
/// instructor can compare with the answers the student reports.
pub fn completion_code(activity: &Activity, answers: &[Option<Answered>]) -> String {
    let mut h = Fnv::new();
    h.write(b"mailsim-activity-v1");
    h.write(activity.id.as_bytes());
    h.write(&(activity.items.len() as u64).to_le_bytes());
    for (n, item) in activity.items.iter().enumerate() {
        h.write(&(n as u64).to_le_bytes());
        h.write(item.kind.name().as_bytes());
        h.write(item.prompt.as_bytes());
        match answers.get(n).and_then(Option::as_ref) {
            None => h.write(b"-"),
            Some(a) => {
                h.write(serde_json::to_string(&a.response).unwrap_or_default().as_bytes());
                h.write(if a.correct { b"1" } else { b"0" });
            }
        }
    }
    let v = h.finish();
    let chars: Vec<u8> = (0..8).map(|i| ALPHABET[((v >> (5 * i)) & 31) as usize]).collect();
    let check = ALPHABET[check_value(&chars)];
    format!("{}-{}-{}", String::from_utf8_lossy(&chars[..4]), String::from_utf8_lossy(&chars[4..]), check as char)
}

/// Weighted sum of the eight characters' values, mod 32: catches any one mistyped
/// character and any swap of two neighbours.
fn check_value(chars: &[u8]) -> usize {
    chars.iter().enumerate().map(|(i, c)| (i + 1) * ALPHABET.iter().position(|a| a == c).unwrap_or(0)).sum::<usize>()
        % 31
}

/// Whether `code` has the shape of a completion code and its check character fits (case
/// and dashes are forgiven).
pub fn code_is_well_formed(code: &str) -> bool {
    let s: Vec<u8> = code.bytes().filter(|b| *b != b'-').map(|b| b.to_ascii_uppercase()).collect();
    s.len() == 9 && s.iter().all(|c| ALPHABET.contains(c)) && ALPHABET[check_value(&s[..8])] == s[8]
}

/// FNV-1a, 64 bits: small, stable across platforms and versions (unlike std's hasher).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes.iter().chain(&[0xff]) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
