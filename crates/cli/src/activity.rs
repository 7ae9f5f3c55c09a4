//! `mailsim activity`: check, list and export in-class activity files.
//!
//! ```text
//! mailsim activity check [--strict] FILE...      validate; located errors; exit 1 on any;
//!                                                answers given away are warnings (--strict: exit 1)
//! mailsim activity list                          the built-in activities, their goals and items
//! mailsim activity export --format gift FILE|ID [-o OUT]   Moodle GIFT (choice, multi, short)
//! mailsim activity steps SCENARIO                each step's next message (for predict items)
//! ```

use mailsim_sim::activity::{self, gift};
use mailsim_sim::{scenario, Diagram};
use std::process::ExitCode;

pub const USAGE: &str = "usage:
  mailsim activity check [--strict] FILE...
  mailsim activity list
  mailsim activity export --format gift FILE|ID [-o OUT]
  mailsim activity steps SCENARIO";

/// What a command printed, and how it ends.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// 0: fine; 1: a file has errors; 2: the command line was wrong.
    pub code: u8,
}

impl Outcome {
    fn ok(stdout: String) -> Self {
        Outcome { stdout, stderr: String::new(), code: 0 }
    }
    fn usage(message: String) -> Self {
        Outcome { stdout: String::new(), stderr: format!("mailsim activity: {message}\n{USAGE}\n"), code: 2 }
    }
}

/// Runs `mailsim activity ARGS` and prints what it says.
pub fn main(args: &[String]) -> ExitCode {
    let out = run(args);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    ExitCode::from(out.code)
}

/// The command without printing (for tests).
pub fn run(args: &[String]) -> Outcome {
    let Some((cmd, rest)) = args.split_first() else {
        return Outcome::usage("which command? check, list, export or steps".into());
    };
    match cmd.as_str() {
        "check" => check(rest),
        "list" if rest.is_empty() => Outcome::ok(list()),
        "list" => Outcome::usage(format!("list takes no arguments, found \"{}\"", rest[0])),
        "export" => export(rest),
        "steps" => steps(rest),
        other => Outcome::usage(format!("unknown command \"{other}\"")),
    }
}

fn check(args: &[String]) -> Outcome {
    let strict = args.iter().any(|a| a == "--strict");
    let files: Vec<&String> = args.iter().filter(|a| *a != "--strict").collect();
    if let Some(bad) = files.iter().find(|f| f.starts_with("--")) {
        return Outcome::usage(format!("unknown option \"{bad}\" (--strict)"));
    }
    if files.is_empty() {
        return Outcome::usage("check needs at least one FILE".into());
    }
    let mut texts = vec![];
    let mut stderr = String::new();
    let mut failed = false;
    for f in files {
        match std::fs::read_to_string(f) {
            Ok(t) => texts.push((f.as_str(), t)),
            Err(e) => {
                stderr.push_str(&format!("{f}: cannot read: {e}\n"));
                failed = true;
            }
        }
    }
    let refs: Vec<(&str, &str)> = texts.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let mut stdout = String::new();
    match activity::parse_all_with(&refs, &beside) {
        Ok(all) => {
            let mut warnings = 0;
            for a in &all {
                stdout.push_str(&format!("{}: ok: \"{}\" ({}: {})\n", a.file, a.id, items(a.items.len()), a.counts()));
                // What each predict item will accept, so that an item set a step too early (a
                // prompt that asks for a command whose next message is the server's reply) shows.
                for (n, item) in a.items.iter().enumerate() {
                    if let activity::Answer::Predicted(p) = &item.answer {
                        let (who, what) =
                            if p.command { ("the client's command", "verb") } else { ("the server's reply", "code") };
                        stdout.push_str(&format!(
                            "  item {} (line {}): predict after step {}: the next message is {who} \"{}\" ({}); its {what}, {}, is the answer\n",
                            n + 1,
                            item.line,
                            item.step.unwrap_or(0),
                            p.label,
                            p.protocol,
                            p.expected
                        ));
                    }
                }
                // The file is valid, but an item's answer is written where the learner reads
                // it before answering (the intro, an earlier item, the diagram up to its step).
                for leak in activity::leaks(a, &a.baseline()) {
                    stderr.push_str(&format!("{}: warning: {leak}\n", a.file));
                    warnings += 1;
                }
            }
            if warnings > 0 {
                let s = if warnings == 1 { "" } else { "s" };
                stderr.push_str(&format!("{warnings} warning{s}: an answer is given away before its item\n"));
                failed |= strict;
            }
        }
        Err(errors) => {
            for e in &errors {
                stderr.push_str(&format!("{e}\n"));
            }
            let n = errors.len();
            stderr.push_str(&format!("{n} error{} found\n", if n == 1 { "" } else { "s" }));
            failed = true;
        }
    }
    Outcome { stdout, stderr, code: u8::from(failed) }
}

fn list() -> String {
    let mut out = String::new();
    for a in activity::builtin() {
        out.push_str(&format!(
            "{:<22} {} ({}: {}; scenario {})\n",
            a.id,
            a.title,
            items(a.items.len()),
            a.counts(),
            a.scenario
        ));
        for g in &a.goals {
            out.push_str(&format!("{:<22}   goal: {g}\n", ""));
        }
    }
    out
}

fn export(args: &[String]) -> Outcome {
    let mut format = None;
    let mut target = None;
    let mut output = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" | "-f" => format = it.next().cloned(),
            s if s.starts_with("--format=") => format = Some(s["--format=".len()..].to_string()),
            "-o" | "--output" => output = it.next().cloned(),
            s if s.starts_with('-') => return Outcome::usage(format!("unknown option \"{s}\"")),
            s => target = Some(s.to_string()),
        }
    }
    match format.as_deref() {
        Some("gift") => {}
        Some(f) => return Outcome::usage(format!("unknown format \"{f}\" (gift)")),
        None => return Outcome::usage("export needs --format gift".into()),
    }
    let Some(target) = target else { return Outcome::usage("export needs a FILE or a built-in activity id".into()) };
    let parsed = match std::fs::read_to_string(&target) {
        Ok(text) => activity::parse_with(&target, &text, &|name| beside(&target, name)),
        Err(_) => match activity::builtin_by_id(&target) {
            Some(a) => Ok(a),
            None => {
                return Outcome {
                    stdout: String::new(),
                    stderr: format!("mailsim activity: no file and no built-in activity \"{target}\"\n"),
                    code: 1,
                }
            }
        },
    };
    let a = match parsed {
        Ok(a) => a,
        Err(errors) => {
            let stderr = errors.iter().map(|e| format!("{e}\n")).collect();
            return Outcome { stdout: String::new(), stderr, code: 1 };
        }
    };
    let text = gift::export(&a);
    let n = gift::questions(&a).len();
    let note = format!("{n} question{} exported (choice, multi and short items)\n", if n == 1 { "" } else { "s" });
    match output {
        Some(path) => match std::fs::write(&path, text) {
            Ok(()) => Outcome { stdout: String::new(), stderr: note, code: 0 },
            Err(e) => Outcome { stdout: String::new(), stderr: format!("cannot write {path}: {e}\n"), code: 1 },
        },
        None => Outcome { stdout: text, stderr: note, code: 0 },
    }
}

/// For instructors writing predict items: each step and the message that follows it.
fn steps(args: &[String]) -> Outcome {
    let [id] = args else { return Outcome::usage("steps needs one SCENARIO id".into()) };
    let Some(log) = scenario::run(id) else {
        return Outcome::usage(format!("no scenario \"{id}\" (mailsim run --list shows them)"));
    };
    let d = Diagram::from_log(&log);
    let mut out = format!("step  predict     next message ({} steps)\n", d.arrows.len());
    for a in &d.arrows {
        let step = a.step - 1;
        let predict = activity::expected_next(&log, step).map(|p| p.expected).unwrap_or_else(|_| "-".into());
        out.push_str(&format!("{step:>4}  {predict:<11} {} [{} :{}]\n", a.label, a.protocol, a.port));
    }
    out.push_str(&format!("{:>4}  -           (the end)\n", d.arrows.len()));
    Outcome::ok(out)
}

/// The text of the scenario file `name` in the folder of the activity file `activity`.
fn beside(activity: &str, name: &str) -> Option<String> {
    let dir = std::path::Path::new(activity).parent().unwrap_or(std::path::Path::new("."));
    std::fs::read_to_string(dir.join(name)).ok()
}

/// "1 item", "7 items".
fn items(n: usize) -> String {
    format!("{n} item{}", if n == 1 { "" } else { "s" })
}
