//! `mailsim`: the playground's scenarios on the command line, and its servers on sockets.
//!
//! ```text
//! mailsim run <scenario-id> [--format transcript|json|mermaid|plantuml|svg|pcapng] [-o FILE]
//! mailsim run --file FILE.toml [--format ...] [-o FILE]   a scenario file (docs/scenarios.md)
//! mailsim run --list                                     list the scenarios
//! mailsim serve [--bind ADDR] [--smtp-port N] [--submission-port N] [--pop3-port N]
//!               [--smtps-port N] [--imaps-port N] [--pop3s-port N] [--tls-cert FILE --tls-key FILE]
//!               [--data-dir DIR] [--allow-plaintext-auth]
//!               [--user ADDRESS:PASSWORD]... [--log FILE] [--idle-timeout SECS]
//! ```
//!
//! ## Layout
//! - `main.rs`: argument handling and `run` (a built-in scenario by id, or a scenario file;
//!   a file with mistakes gets `FILE:LINE:COLUMN: what was expected` and exit code 1).
//! - [`serve`]: the tokio driver around the sans-IO engines.
//! - [`tls`]: rustls for `serve` (certificate, STARTTLS upgrade, implicit TLS).

mod activity;
mod serve;
mod tls;

use mailsim_sim::{diagram, export, scenario};
use std::process::ExitCode;

const USAGE: &str = "usage:
  mailsim run <scenario-id> [--format transcript|json|mermaid|plantuml|svg|pcapng] [-o FILE]
  mailsim run --file FILE.toml [--format ...] [-o FILE]
  mailsim run --list
  mailsim serve [--bind 127.0.0.1] [--smtp-port 2525] [--submission-port 2587] [--pop3-port 2110] [--imap-port 2143]
                [--smtps-port 2465] [--imaps-port 2993] [--pop3s-port 2995]
                [--tls-cert FILE --tls-key FILE] [--data-dir DIR] [--allow-plaintext-auth]
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
        Err(Failure::Usage(e)) => {
            eprintln!("mailsim: {e}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::File(e)) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Why `run` printed nothing.
#[derive(Debug)]
enum Failure {
    /// The command line is wrong: say so and show the usage (exit code 2).
    Usage(String),
    /// A file cannot be read or written, or a scenario file has a mistake (exit code 1).
    File(String),
}

impl From<&str> for Failure {
    fn from(e: &str) -> Self {
        Failure::Usage(e.into())
    }
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Usage(e)
    }
}

fn run(args: &[String]) -> Result<String, Failure> {
    let (out, file) = run_bytes(args)?;
    match file {
        Some(path) => {
            std::fs::write(&path, &out).map_err(|e| Failure::File(format!("mailsim: cannot write {path}: {e}")))?;
            Ok(String::new())
        }
        None => Ok(String::from_utf8(out).map_err(|_| "this format is binary: write it to a file with -o FILE")?),
    }
}

/// The output of `run` as bytes, and the file to write it to (`-o`).
fn run_bytes(args: &[String]) -> Result<(Vec<u8>, Option<String>), Failure> {
    let (cmd, rest) = args.split_first().ok_or("no command given")?;
    if cmd != "run" {
        return Err(format!("unknown command \"{cmd}\"").into());
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
    let mut scenario_file = None;
    let mut file = None;
    let mut format = "transcript".to_string();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" | "-f" => format = it.next().ok_or("--format needs a value")?.clone(),
            s if s.starts_with("--format=") => format = s["--format=".len()..].to_string(),
            "-o" | "--output" => file = Some(it.next().ok_or("-o needs a file name")?.clone()),
            "--file" => scenario_file = Some(it.next().ok_or("--file needs a scenario file")?.clone()),
            s if s.starts_with("--file=") => scenario_file = Some(s["--file=".len()..].to_string()),
            s if s.starts_with('-') => return Err(format!("unknown option \"{s}\"").into()),
            s => id = Some(s.to_string()),
        }
    }
    let log = match (id, scenario_file) {
        (Some(_), Some(_)) => return Err("give a scenario id or --file FILE, not both".into()),
        (None, None) => return Err("which scenario? (mailsim run --list shows them, or give --file FILE)".into()),
        (Some(id), None) => {
            scenario::run(&id).ok_or_else(|| format!("no scenario \"{id}\" (mailsim run --list shows them)"))?
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::File(format!("mailsim: cannot read {path}: {e}")))?;
            scenario::load(&path, &text).map_err(|e| Failure::File(e.to_string()))?.run()
        }
    };
    let out = match format.as_str() {
        "transcript" => diagram::transcript(&log).into_bytes(),
        "json" => log.to_jsonl().into_bytes(),
        "mermaid" => export::mermaid(&log).into_bytes(),
        "plantuml" => export::plantuml(&log).into_bytes(),
        "svg" => export::svg(&log).into_bytes(),
        "pcapng" if file.is_none() => return Err(Failure::Usage("pcapng is binary: give a file with -o FILE".into())),
        "pcapng" => export::pcapng(&log),
        other => {
            return Err(
                format!("unknown format \"{other}\" (transcript, json, mermaid, plantuml, svg or pcapng)").into()
            )
        }
    };
    Ok((out, file))
}

#[cfg(test)]
mod tests {
    use super::{run, Failure};

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

    fn temp(name: &str, text: &str) -> String {
        let dir = std::env::temp_dir().join(format!("mailsim-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn run_file_runs_a_scenario_file_like_the_built_in_one() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/greylisting.toml");
        let from_file = run(&args(&["run", "--file", root, "--format", "json"])).unwrap();
        assert_eq!(from_file, run(&args(&["run", "greylisting", "--format=json"])).unwrap());
        let copy = temp("mine.toml", &std::fs::read_to_string(root).unwrap());
        let mermaid = run(&args(&["run", &format!("--file={copy}"), "--format", "mermaid"])).unwrap();
        assert!(mermaid.starts_with("sequenceDiagram"), "{mermaid}");
        assert!(matches!(run(&args(&["run", "greylisting", "--file", root])), Err(Failure::Usage(_))));
        assert!(matches!(run(&args(&["run", "--file"])), Err(Failure::Usage(_))));
    }

    #[test]
    fn a_malformed_file_is_reported_with_its_place() {
        let path =
            temp("bad.toml", "[scenario]\nid = \"bad\"\ntitle = \"Bad\"\n\n[[action]]\nkind = \"faul\"\nat = 0\n");
        match run(&args(&["run", "--file", &path])) {
            Err(Failure::File(e)) => assert_eq!(
                e,
                format!("{path}:6:8: unknown action kind \"faul\"; expected one of compose, send, terminal, imap, check-mail, browse, fault, narrate")
            ),
            other => panic!("{other:?}"),
        }
        match run(&args(&["run", "--file", "/nonexistent/x.toml"])) {
            Err(Failure::File(e)) => assert!(e.starts_with("mailsim: cannot read /nonexistent/x.toml"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
