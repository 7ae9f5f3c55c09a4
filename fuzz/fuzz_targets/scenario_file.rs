//! A scenario file opened in the page ("Open…", `?scenario=URL`) or run with `mailsim run
//! --file`: any text loads without a panic, to a located error or a scenario; a scenario runs
//! to its end without a panic, twice to the same log (determinism), and the log it writes
//! reads again to the same events. Runs are bounded: a file with more than 40 actions or a
//! repeat is only loaded (the world's cost grows with what the file asks for, not with bugs).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_sim::{scenario, EventLog};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(s) = scenario::load("fuzz.toml", text) else { return };
    if text.matches("[[action]]").count() > 40 || text.contains("repeat") {
        return;
    }
    let log = s.run();
    assert_eq!(log.to_jsonl(), s.run().to_jsonl(), "the same file, the same log");
    let again = EventLog::from_jsonl(&log.to_jsonl()).expect("a written log reads again");
    assert_eq!(again.events.len(), log.events.len());
});
