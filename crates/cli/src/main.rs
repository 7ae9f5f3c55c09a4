//! `mailsim`: the playground's scenarios on the command line, and its servers on sockets.
//!
//! ```text
//! mailsim run <scenario-id> [--format transcript|json|mermaid|plantuml|svg|pcapng] [-o FILE]
//! mailsim run --file FILE.toml [--format ...] [-o FILE]   a scenario file (docs/scenarios.md)
//! mailsim run --list                                     list the scenarios
//! mailsim serve [--bind ADDR] [--smtp-port N] [--submission-port N] [--pop3-port N] [--imap-port N]
//!               [--user ADDRESS:PASSWORD]... [--log FILE] [--maildir DIR | --memory] ...
//!               [--smtps-port N] [--imaps-port N] [--pop3s-port N] [--tls-cert FILE --tls-key FILE] [--allow-plaintext-auth]
//! mailsim activity check|list|export|steps ...
//! ```
//! `mailsim --help`, `mailsim run --help` and `mailsim serve --help` say the rest.
//!
//! ## Layout
//! - `main.rs`: the command line (clap) and `run` (a built-in scenario by id, or a scenario
//!   file; a file with mistakes gets `FILE:LINE:COLUMN: what was expected` and exit code 1).
//! - [`serve`]: the tokio driver around the sans-IO engines.
//! - [`tls`]: rustls for `serve` (certificate, STARTTLS upgrade, implicit TLS).

mod activity;
mod eventlog;
mod hub;
mod limits;
mod maildir;
mod serve;
mod tls;
mod web;

use clap::{Parser, Subcommand, ValueEnum};
use mailsim_sim::{diagram, export, scenario};
use std::process::ExitCode;

/// Mailsim: the e-mail playground's scenarios and mail servers on the command line.
#[derive(Parser, Debug)]
#[command(name = "mailsim", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario of the playground and print what happened (a transcript by default).
    Run(RunArgs),
    /// Serve SMTP (relay and submission), POP3 and IMAP on loopback sockets, with the same
    /// engines as the playground, for real clients.
    Serve(Box<serve::Options>),
    /// Check, list and export in-class activity files (`mailsim activity --help`).
    #[command(disable_help_flag = true)]
    Activity {
        /// check FILE... | list | export --format gift FILE|ID [-o OUT] | steps SCENARIO
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  mailsim run alice-to-bob\n  mailsim run greylisting --format svg -o g.svg\n  mailsim run --file mine.toml --format json"
)]
struct RunArgs {
    /// A built-in scenario (`mailsim run --list` shows them).
    #[arg(value_name = "SCENARIO-ID", conflicts_with = "file", required_unless_present_any = ["file", "list"])]
    id: Option<String>,
    /// Run a scenario file instead (docs/scenarios.md).
    #[arg(long, value_name = "FILE.toml")]
    file: Option<String>,
    /// What to print.
    #[arg(short, long, value_enum, default_value_t = Format::Transcript)]
    format: Format,
    /// Write it to this file instead of standard output (needed for pcapng).
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// List the built-in scenarios.
    #[arg(long, conflicts_with_all = ["id", "file"])]
    list: bool,
    /// Print to standard error how long running the scenario took, in milliseconds (only
    /// the run, as the page times it: not reading the file nor writing the output).
    #[arg(long)]
    time: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Transcript,
    Json,
    Mermaid,
    Plantuml,
    Svg,
    Pcapng,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and succeed; mistakes go to stderr, exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Activity { args } => {
            if matches!(args.first().map(String::as_str), Some("--help" | "-h" | "help")) {
                println!("{}", activity::USAGE);
                return ExitCode::SUCCESS;
            }
            activity::main(&args)
        }
        Command::Serve(opts) => serve::main(*opts),
        Command::Run(args) => match run(&args) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(Failure::Usage(e)) => {
                eprintln!("mailsim: {e}\n(mailsim run --help says more)");
                ExitCode::from(2)
            }
            Err(Failure::File(e)) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Why `run` printed nothing.
#[derive(Debug)]
enum Failure {
    /// The command line is wrong: say so (exit code 2).
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

fn run(args: &RunArgs) -> Result<String, Failure> {
    let out = run_bytes(args)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &out).map_err(|e| Failure::File(format!("mailsim: cannot write {path}: {e}")))?;
            Ok(String::new())
        }
        None => Ok(String::from_utf8(out).map_err(|_| "this format is binary: write it to a file with -o FILE")?),
    }
}

/// The output of `run` as bytes.
fn run_bytes(args: &RunArgs) -> Result<Vec<u8>, Failure> {
    if args.list {
        return Ok(scenario::SCENARIOS
            .iter()
            .map(|s| format!("{:<16} {}: {}\n", s.id, s.title, s.summary))
            .collect::<String>()
            .into_bytes());
    }
    let s = match (&args.id, &args.file) {
        (Some(_), Some(_)) => return Err("give a scenario id or --file FILE, not both".into()),
        (None, None) => return Err("which scenario? (mailsim run --list shows them, or give --file FILE)".into()),
        (Some(id), None) => std::borrow::Cow::Borrowed(
            scenario::info_of(id).ok_or_else(|| format!("no scenario \"{id}\" (mailsim run --list shows them)"))?,
        ),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::File(format!("mailsim: cannot read {path}: {e}")))?;
            std::borrow::Cow::Owned(scenario::load(path, &text).map_err(|e| Failure::File(e.to_string()))?)
        }
    };
    let t0 = std::time::Instant::now();
    let log = s.run();
    if args.time {
        eprintln!("mailsim: ran {} in {:.1} ms", s.id, t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(match args.format {
        Format::Transcript => diagram::transcript(&log).into_bytes(),
        Format::Json => log.to_jsonl().into_bytes(),
        Format::Mermaid => export::mermaid(&log).into_bytes(),
        Format::Plantuml => export::plantuml(&log).into_bytes(),
        Format::Svg => export::svg(&log).into_bytes(),
        Format::Pcapng if args.output.is_none() => {
            return Err(Failure::Usage("pcapng is binary: give a file with -o FILE".into()))
        }
        Format::Pcapng => export::pcapng(&log),
    })
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command, Failure};
    use clap::Parser;

    /// Parses `mailsim ARGS` (a command-line mistake is a `Failure::Usage`) and runs it.
    fn run(a: &[&str]) -> Result<String, Failure> {
        let cli = Cli::try_parse_from(std::iter::once("mailsim").chain(a.iter().copied()))
            .map_err(|e| Failure::Usage(e.to_string()))?;
        match cli.command {
            Command::Run(r) => super::run(&r),
            other => panic!("{other:?}"),
        }
    }

    fn args<'a>(a: &[&'a str]) -> Vec<&'a str> {
        a.to_vec()
    }

    #[test]
    fn help_everywhere_and_clear_errors() {
        for a in [&["--help"][..], &["run", "--help"], &["serve", "--help"]] {
            let e = Cli::try_parse_from(std::iter::once("mailsim").chain(a.iter().copied())).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{a:?}");
            assert!(e.to_string().contains("Usage: mailsim"), "{e}");
        }
        let e = Cli::try_parse_from(["mailsim", "serve", "--smtp-port", "70000"]).unwrap_err().to_string();
        assert!(e.contains("70000") && e.contains("--smtp-port"), "{e}");
        let e = Cli::try_parse_from(["mailsim", "serve", "--user", "nobody"]).unwrap_err().to_string();
        assert!(e.contains("ADDRESS:PASSWORD"), "{e}");
        let e = Cli::try_parse_from(["mailsim", "serve", "--smpt-port", "1"]).unwrap_err().to_string();
        assert!(e.contains("--smtp-port"), "suggests the flag meant: {e}");
        assert!(Cli::try_parse_from(["mailsim", "serve", "--maildir", "/tmp/x", "--memory"]).is_err());
        assert!(Cli::try_parse_from(["mailsim", "nope"]).is_err());
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
