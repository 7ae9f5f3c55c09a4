//! `mailsim`: the playground's scenarios on the command line, and its servers on sockets.
//!
//! ```text
//! mailsim run <scenario-id> [--format transcript|json|mermaid|plantuml|svg|pcapng] [-o FILE]
//! mailsim run --list                                     list the scenarios
//! mailsim serve [--bind ADDR] [--smtp-port N] [--submission-port N] [--pop3-port N]
//!               [--user ADDRESS:PASSWORD]... [--log FILE] [--idle-timeout SECS]
//! ```
//!
//! ## Layout
//! - `main.rs`: argument handling and `run`.
//! - [`serve`]: the tokio driver around the sans-IO engines.

mod activity;
mod serve;

use mailsim_sim::{diagram, export, scenario};
use std::process::ExitCode;

const USAGE: &str = "usage:
  mailsim run <scenario-id> [--format transcript|json|mermaid|plantuml|svg|pcapng] [-o FILE]
  mailsim run --list
  mailsim serve [--bind 127.0.0.1] [--smtp-port 2525] [--submission-port 2587] [--pop3-port 2110] [--imap-port 2143]
                [--user ADDRESS:PASSWORD]... [--log FILE] [--idle-timeout SECS] [--max-connections N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("activity") {
        return activity::main(&args[1..]);
    }
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
    let (out, file) = run_bytes(args)?;
    match file {
        Some(path) => {
            std::fs::write(&path, &out).map_err(|e| format!("cannot write {path}: {e}"))?;
            Ok(String::new())
        }
        None => {
            String::from_utf8(out).map_err(|_| "this format is binary: write it to a file with -o FILE".to_string())
        }
    }
}

/// The output of `run` as bytes, and the file to write it to (`-o`).
fn run_bytes(args: &[String]) -> Result<(Vec<u8>, Option<String>), String> {
    let (cmd, rest) = args.split_first().ok_or("no command given")?;
    if cmd != "run" {
        return Err(format!("unknown command \"{cmd}\""));
    }
    if rest.iter().any(|a| a == "--list") {
        return Ok((
            scenario::SCENARIOS
                .iter()
                .map(|s| format!("{:<16} {}: {}\n", s.id, s.title, s.summary))
                .collect::<String>()
                .into_bytes(),
            None,
        ));
    }
    let mut id = None;
    let mut file = None;
    let mut format = "transcript".to_string();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" | "-f" => format = it.next().ok_or("--format needs a value")?.clone(),
            s if s.starts_with("--format=") => format = s["--format=".len()..].to_string(),
            "-o" | "--output" => file = Some(it.next().ok_or("-o needs a file name")?.clone()),
            s if s.starts_with('-') => return Err(format!("unknown option \"{s}\"")),
            s => id = Some(s.to_string()),
        }
    }
    let id = id.ok_or("which scenario? (mailsim run --list shows them)")?;
    let log = scenario::run(&id).ok_or_else(|| format!("no scenario \"{id}\" (mailsim run --list shows them)"))?;
    let out = match format.as_str() {
        "transcript" => diagram::transcript(&log).into_bytes(),
        "json" => log.to_jsonl().into_bytes(),
        "mermaid" => export::mermaid(&log).into_bytes(),
        "plantuml" => export::plantuml(&log).into_bytes(),
        "svg" => export::svg(&log).into_bytes(),
        "pcapng" if file.is_none() => return Err("pcapng is binary: give a file with -o FILE".into()),
        "pcapng" => export::pcapng(&log),
        other => {
            return Err(format!("unknown format \"{other}\" (transcript, json, mermaid, plantuml, svg or pcapng)"))
        }
    };
    Ok((out, file))
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
        assert!(
            out.lines().next().unwrap().contains("Alice's server → Alice's UA  [SMTP :587]  220 mail.alice.example"),
            "{out}"
        );
        assert!(run(&args(&["run", "--list"])).unwrap().lines().any(|l| l.starts_with("alice-to-bob ")));
        assert!(run(&args(&["run", "nope"])).is_err());
        assert!(run(&args(&["run", "alice-to-bob", "--format", "xml"])).is_err());
        let json = run(&args(&["run", "alice-to-bob", "--format=json"])).unwrap();
        assert!(json.starts_with("{\"epoch\":1789376400,\"scenario\":\"alice-to-bob\""), "{json}");
    }
}
