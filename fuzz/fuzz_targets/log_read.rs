//! A log opened in the page ("Open log…", a kept log, the engine module's bytes): any text is
//! read without a panic, and what it reads draws (the diagram, the transcript, the state at
//! the middle step and at the end), exports (Mermaid, PlantUML, SVG, pcapng) and writes again
//! to a log that reads to the same events.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_sim::diagram::{self, Diagram};
use mailsim_sim::{export, EventLog};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(log) = EventLog::from_jsonl(text) else { return };
    let d = Diagram::from_log(&log);
    let n = log.events.len();
    let _ = diagram::snapshot(&log, 0, n / 2);
    let _ = diagram::snapshot(&log, 0, n);
    let _ = diagram::transcript(&log);
    let _ = (export::mermaid(&log), export::plantuml(&log), export::svg(&log), export::pcapng(&log));
    let _ = d.events_at_step(d.arrows.len());
    let again = EventLog::from_jsonl(&log.to_jsonl()).expect("a written log reads again");
    assert_eq!(again.events.len(), log.events.len());
    assert_eq!(again.to_jsonl(), log.to_jsonl(), "reading what was written changes nothing");
});
