//! The page's IMAP terminal (QA defect): every typed line goes out and gets its reply, as
//! `mailsim serve` answers it. FETCH/STORE in an empty mailbox are sent (the server says BAD,
//! RFC 9051 §9); `DONE` ends IDLE (RFC 2177 §3) and later lines still run.

use mailsim_sim::actions::Action;
use mailsim_sim::log::Event;
use mailsim_sim::scenario;

fn typed(lines: &[&str]) -> Vec<String> {
    let action = Action::Terminal {
        at: 1_000,
        client: "bob-ua".into(),
        host: "mail.bob.example".into(),
        port: 143,
        lines: lines.iter().map(|l| l.to_string()).collect(),
    };
    let log = scenario::run_with("playground", &[action]).unwrap();
    log.events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { raw, .. } => Some(String::from_utf8_lossy(raw).into_owned()),
            _ => None,
        })
        .collect()
}

fn has(raws: &[String], start: &str) -> bool {
    raws.iter().any(|r| r.starts_with(start) || r.contains(&format!("\r\n{start}")))
}

const LOGIN: [&str; 3] = ["a1 starttls", "a2 login bob bob-pw", "a3 select INBOX"];

#[test]
fn fetch_and_store_in_an_empty_mailbox_are_sent_and_answered() {
    let lines: Vec<&str> =
        LOGIN.iter().copied().chain(["a4 fetch 1:* flags", "a5 store 1 +flags (\\Deleted)", "a6 noop"]).collect();
    let raws = typed(&lines);
    assert!(has(&raws, "* 0 EXISTS"), "the mailbox is empty: {raws:#?}");
    assert!(has(&raws, "a4 fetch 1:* flags\r\n"), "FETCH is sent: {raws:#?}");
    assert!(has(&raws, "a4 BAD"), "FETCH is answered: {raws:#?}");
    assert!(has(&raws, "a5 store 1 +flags"), "STORE is sent: {raws:#?}");
    assert!(has(&raws, "a5 BAD"), "STORE is answered: {raws:#?}");
    assert!(has(&raws, "a6 OK"), "the session goes on: {raws:#?}");
}

#[test]
fn done_ends_idle_and_later_lines_still_run() {
    let lines: Vec<&str> = LOGIN.iter().copied().chain(["a6 idle"]).collect();
    let raws = typed(&lines);
    assert!(has(&raws, "+ idling"), "{raws:#?}");

    let lines: Vec<&str> = LOGIN.iter().copied().chain(["a6 idle", "done", "a7 noop", "a8 logout"]).collect();
    let raws = typed(&lines);
    assert!(has(&raws, "done\r\n"), "DONE is sent: {raws:#?}");
    assert!(has(&raws, "a6 OK IDLE terminated"), "{raws:#?}");
    assert!(has(&raws, "a7 OK"), "{raws:#?}");
    assert!(has(&raws, "a8 OK"), "{raws:#?}");
}
