//! `mailsim`: the playground's scenarios on the command line, and its servers on sockets.
//!
//! ```text
//! mailsim run <scenario-id> [--format transcript|json]   print a scenario
//! mailsim run --list                                     list the scenarios
//! mailsim serve [--bind ADDR] [--smtp-port N] [--submission-port N] [--pop3-port N]
//!               [--user ADDRESS:PASSWORD]... [--log FILE] [--idle-timeout SECS]
//! ```
//!
//! ## Layout
//! - `main.rs`: argument handling and `run`.
//! - [`serve`]: the tokio driver around the sans-IO engines.

mod serve;

use mailsim_sim::{diagram, scenario};
use std::process::ExitCode;

const USAGE: &str = "usage:
  mailsim run <scenario-id> [--format transcript|json]
  mailsim run --list
  mailsim serve [--bind 127.0.0.1] [--smtp-port 2525] [--submission-port 2587] [--pop3-port 2110]
                [--user ADDRESS:PASSWORD]... [--log FILE] [--idle-timeout SECS] [--max-connections N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let opts = match serve::parse(&args[1..]) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("mailsim: {e}\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
        return match rt.block_on(serve::run(opts)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("mailsim: {e}");
                ExitCode::FAILURE
            }
        };
    }
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
