//! `mailsim`: the playground's scenarios on the command line.
//!
//! ```text
//! mailsim run <scenario-id> [--format transcript|json]   print a scenario
//! mailsim run --list                                     list the scenarios
//! ```

use mailsim_sim::{diagram, scenario};
use std::process::ExitCode;

const USAGE: &str = "usage:
  mailsim run <scenario-id> [--format transcript|json]
  mailsim run --list";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mailsim: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let (cmd, rest) = args.split_first().ok_or("no command given")?;
    if cmd != "run" {
        return Err(format!("unknown command \"{cmd}\""));
    }
    if rest.iter().any(|a| a == "--list") {
        return Ok(scenario::SCENARIOS.iter().map(|s| format!("{:<16} {}: {}\n", s.id, s.title, s.summary)).collect());
    }
    let mut id = None;
    let mut format = "transcript".to_string();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" | "-f" => format = it.next().ok_or("--format needs a value")?.clone(),
            s if s.starts_with("--format=") => format = s["--format=".len()..].to_string(),
            s if s.starts_with('-') => return Err(format!("unknown option \"{s}\"")),
            s => id = Some(s.to_string()),
        }
    }
    let id = id.ok_or("which scenario? (mailsim run --list shows them)")?;
    let log = scenario::run(&id).ok_or_else(|| format!("no scenario \"{id}\" (mailsim run --list shows them)"))?;
    match format.as_str() {
        "transcript" => Ok(diagram::transcript(&log)),
        "json" => Ok(log.to_jsonl()),
        other => Err(format!("unknown format \"{other}\" (transcript or json)")),
    }
}

#[cfg(test)]
mod tests {
    use super::run;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn run_prints_the_transcript_and_lists() {
        let out = run(&args(&["run", "alice-to-bob"])).unwrap();
        assert!(out.lines().next().unwrap().contains("Alice's server → Alice's UA  [SMTP :587]  220 mail.alice.example"), "{out}");
        assert!(run(&args(&["run", "--list"])).unwrap().starts_with("alice-to-bob"));
        assert!(run(&args(&["run", "nope"])).is_err());
        assert!(run(&args(&["run", "alice-to-bob", "--format", "xml"])).is_err());
        let json = run(&args(&["run", "alice-to-bob", "--format=json"])).unwrap();
        assert!(json.starts_with("{\"epoch\":1789376400,\"scenario\":\"alice-to-bob\""), "{json}");
    }
}
