//! The world natively, timed the way the page gets it (bench/diagram.mjs, "World, wasm
//! against native"): a scenario file run `RUNS` times in one process, and for each run
//!
//! - `run_ms`: `Scenario::run` alone (what `mailsim run --time` prints);
//! - `to_jsonl_ms`: the engine module writing the log as JSON lines (its `run` export's reply);
//! - `from_jsonl_ms`: the page reading them back (`EventLog::from_jsonl`, src/engine.rs);
//!
//! so that the page's `window.mailsimRunMs` (all three, plus the strings crossing between the
//! two wasm modules) has a native figure doing the same work. The first run is the cold one
//! (nothing kept from an earlier run), the rest are warm, as the page's first and warm runs.
//! One JSON object per run on standard output.
//!
//! ```sh
//! cargo run --release -p mailsim-engine-wasm --example world_phases -- FILE.toml [RUNS]
//! ```

use mailsim_sim::{scenario, EventLog};
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: world_phases FILE.toml [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(7);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("world_phases: cannot read {path}: {e}");
        std::process::exit(1);
    });
    let s = scenario::load(&path, &text).unwrap_or_else(|e| {
        eprintln!("world_phases: {e}");
        std::process::exit(1);
    });
    for i in 0..runs {
        let t = Instant::now();
        let log = s.run();
        let run_ms = ms(t);
        let t = Instant::now();
        let jsonl = log.to_jsonl();
        let to_jsonl_ms = ms(t);
        let t = Instant::now();
        let back = EventLog::from_jsonl(&jsonl).expect("the log reads back");
        let from_jsonl_ms = ms(t);
        assert_eq!(back.events.len(), log.events.len(), "every event reads back");
        let messages = log.events.iter().filter(|e| matches!(e, mailsim_sim::log::Event::MessageSent { .. })).count();
        println!(
            "{{\"run\":{i},\"messages\":{messages},\"bytes\":{},\"run_ms\":{run_ms:.3},\"to_jsonl_ms\":{to_jsonl_ms:.3},\"from_jsonl_ms\":{from_jsonl_ms:.3}}}",
            jsonl.len()
        );
    }
}
