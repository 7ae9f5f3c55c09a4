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

/// The lecture's IMAP slide typed at the terminal (CPSC 317): STARTTLS, AUTHENTICATE
/// SCRAM-SHA-256 with the client's messages computed by the helper (`!scram`), ENABLE,
/// SELECT, FETCH FULL, FETCH BODY[HEADER], STORE +FLAGS \Deleted, LOGOUT.
#[test]
fn the_scram_helper_logs_in_as_the_user_agent() {
    use base64::Engine as _;
    let b64 = |s: &str| String::from_utf8(base64::engine::general_purpose::STANDARD.decode(s.trim()).unwrap()).unwrap();
    let auth = ["a000 starttls", "a001 AUTHENTICATE SCRAM-SHA-256"];
    // Only the command so far: the server's empty `+` waits for client-first.
    let raws = typed(&auth);
    assert_eq!(raws.last().map(String::as_str), Some("+ \r\n"), "{raws:#?}");
    // The helper, step by step: client-first, then client-final once server-first is in.
    let lines: Vec<&str> = auth.iter().copied().chain(["!scram"]).collect();
    let raws = typed(&lines);
    let first = &raws[raws.len() - 2];
    assert!(b64(first).starts_with("n,,n=bob,r="), "client-first: {raws:#?}");
    let server_first = b64(raws.last().unwrap().trim_start_matches("+ "));
    assert!(server_first.starts_with(&format!("r={}", &b64(first)[11..])), "{server_first}");
    let lines: Vec<&str> = auth.iter().copied().chain(["!scram", "!SCRAM", "!scram"]).collect();
    let raws = typed(&lines);
    assert!(raws.iter().any(|r| r.starts_with("+ ") && b64(&r[2..]).starts_with("v=")), "server-final: {raws:#?}");
    assert!(has(&raws, "a001 OK"), "authenticated: {raws:#?}");
    let session = [
        "a002 ENABLE IMAP4rev2",
        "a003 SELECT INBOX",
        "a004 FETCH 1 FULL",
        "a004 FETCH 1 BODY[HEADER]",
        "a004 STORE 1 +FLAGS \\Deleted",
        "a005 LOGOUT",
    ];
    let lines: Vec<&str> = lines.iter().copied().chain(session).collect();
    let raws = typed(&lines);
    assert!(has(&raws, "a002 OK"), "{raws:#?}");
    assert!(has(&raws, "a005 OK"), "the session reaches LOGOUT: {raws:#?}");
    // The same lines give the same bytes (the client nonce comes from the world's seed).
    assert_eq!(raws, typed(&lines));
    // Typed without the helper, `!scram` is sent as typed and the server says so.
    let raws = typed(&["a1 noop", "!scram"]);
    assert!(has(&raws, "!scram\r\n") && has(&raws, "!scram BAD"), "{raws:#?}");
}
