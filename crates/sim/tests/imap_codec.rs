//! Cross-check: every IMAP greeting, response and command in every scenario must parse with
//! `imap-codec`, an independent implementation of the RFC 3501/9051 grammar. A message it
//! rejects is either our bug or a gap in that crate; the few gaps are listed with reasons.
#![cfg(not(target_arch = "wasm32"))]

use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, GreetingCodec, ResponseCodec};
use mailsim_sim::log::Event;
use mailsim_sim::scenario;
use std::collections::BTreeMap;

#[derive(Default)]
struct Tally {
    greetings: usize,
    responses: usize,
    commands: usize,
    failures: Vec<String>,
    /// Messages of extensions `imap-codec` 1.0 does not implement, with the extension.
    skipped: Vec<&'static str>,
}

/// Extensions that imap-codec 1.0 (an IMAP4rev1 grammar) has no parser for; each is part of
/// IMAP4rev2 (RFC 9051) or an extension it advertises.
fn beyond_imap_codec(raw: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(raw).to_ascii_uppercase();
    let first = text.lines().next().unwrap_or_default().to_string();
    let words: Vec<&str> = first.split(' ').collect();
    match words.as_slice() {
        ["*", "ESEARCH", ..] => Some("ESEARCH response (RFC 4731, RFC 9051 §7.3.4)"),
        ["*", "NAMESPACE", ..] | [_, "NAMESPACE"] => Some("NAMESPACE (RFC 2342, RFC 9051 §6.3.10)"),
        [_, "LIST", ..] if first.contains(" RETURN (") => Some("LIST-EXTENDED RETURN options (RFC 5258)"),
        [_, "SEARCH" | "UID", ..] if first.contains(" RETURN (") => Some("SEARCH RETURN options (RFC 4731)"),
        [_, "STATUS", ..] if first.contains(" SIZE") => Some("STATUS SIZE (RFC 8438, RFC 9051 §6.3.11)"),
        _ => None,
    }
}

#[test]
fn every_imap_message_parses_with_imap_codec() {
    let mut t = Tally::default();
    for s in scenario::SCENARIOS.iter() {
        check(&s.id, &scenario::run(&s.id).unwrap(), &mut t);
    }
    // A typed session that reaches what the scenarios do not: rev2 ESEARCH, STATUS, partial
    // and structure fetches, folder commands.
    let lines = [
        "a STARTTLS",
        "b LOGIN bob bob-pw",
        "c ENABLE IMAP4rev2",
        "d LIST \"\" \"*\"",
        "e LIST \"\" \"%\" RETURN (SPECIAL-USE)",
        "f NAMESPACE",
        "g STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)",
        "h SELECT INBOX",
        "i SEARCH RETURN (MIN MAX COUNT) OR UNSEEN FLAGGED",
        "j UID SEARCH NOT SEEN SINCE 1-Jan-2020",
        "k FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)",
        "l FETCH 1 BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]",
        "m FETCH 1 BODY.PEEK[TEXT]<0.10>",
        "n FETCH 1 BODY.PEEK[1]",
        "o STORE 1 +FLAGS (\\Flagged)",
        "p CREATE Work",
        "q UID COPY 1:* Work",
        "r UID MOVE 1 Work",
        "s RENAME Work Archive",
        "t SUBSCRIBE Archive",
        "u EXAMINE Archive",
        "v UNSELECT",
        "w DELETE Archive",
        "x NOOP",
        "y CAPABILITY",
        "z LOGOUT",
    ];
    use mailsim_sim::actions::{Action, Attachment, ReadMode, SubmitMode};
    let with_attachment = Action::Compose {
        at: 0,
        sender: "alice".into(),
        to: "Bob <bob@bob.example>".into(),
        cc: String::new(),
        bcc: String::new(),
        subject: "Notes".into(),
        body: "Here they are.\n".into(),
        attachment: Some(Attachment {
            filename: "notes.txt".into(),
            content_type: "text/plain".into(),
            base64: "aGVsbG8=".into(),
        }),
        submit: SubmitMode::Starttls587,
        read: ReadMode::None,
    };
    let compose = mailsim_sim::actions::Action::Terminal {
        at: 60_000,
        client: "alice-ua".into(),
        host: "mail.bob.example".into(),
        port: 25,
        lines: [
            "EHLO me",
            "MAIL FROM:<a@alice.example>",
            "RCPT TO:<bob@bob.example>",
            "DATA",
            "Subject: typed",
            "",
            "by hand",
            ".",
            "QUIT",
        ]
        .map(String::from)
        .to_vec(),
    };
    let typed = mailsim_sim::actions::Action::Terminal {
        at: 120_000,
        client: "bob-ua".into(),
        host: "mail.bob.example".into(),
        port: 143,
        lines: lines.map(String::from).to_vec(),
    };
    let log = scenario::run_with("playground", &[with_attachment, compose, typed]).unwrap();
    let raws: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, .. } = e {
                Some(String::from_utf8_lossy(raw).into_owned())
            } else {
                None
            }
        })
        .collect();
    assert!(
        raws.iter().any(|r| r.starts_with("* ESEARCH (TAG \"i\") MIN 1 MAX 2 COUNT 2")),
        "the typed session ran: {raws:#?}"
    );
    assert!(raws.iter().any(|r| r.contains("z OK")), "{raws:#?}");
    for tag in ["d", "e", "f", "g", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w"] {
        assert!(
            raws.iter().any(|r| r.contains(&format!("\r\n{tag} OK")) || r.starts_with(&format!("{tag} OK"))),
            "{tag} succeeds: {raws:#?}"
        );
    }
    assert!(
        raws.iter().any(|r| r.contains("(\"ATTACHMENT\" (\"FILENAME\" \"notes.txt\"))")),
        "BODYSTRUCTURE shows the attachment"
    );
    check("typed session", &log, &mut t);
    let Tally { greetings, responses, commands, failures, skipped } = t;
    println!("imap-codec parsed {greetings} greetings, {responses} responses, {commands} commands; {} messages use extensions it lacks: {:?}", skipped.len(), skipped.iter().collect::<std::collections::BTreeSet<_>>());
    assert!(greetings >= 5 && responses >= 150 && commands >= 50, "the scenarios exercise IMAP");
    assert!(failures.is_empty(), "{} messages imap-codec rejects:\n{}", failures.len(), failures.join("\n"));
}

fn check(id: &str, log: &mailsim_sim::EventLog, t: &mut Tally) {
    let Tally { greetings, responses, commands, failures, .. } = t;
    {
        // Per connection: who the server is (it speaks first) and whether it asked for a
        // continuation (then the client's next line is data, not a command).
        let mut server_of: BTreeMap<u32, String> = BTreeMap::new();
        let mut continuation: BTreeMap<u32, bool> = BTreeMap::new();
        let mut idling = std::collections::BTreeSet::new();
        for e in &log.events {
            let Event::MessageSent { conn: Some(conn), from, protocol, raw, .. } = e else { continue };
            if protocol != "IMAP" {
                continue;
            }
            let first = !server_of.contains_key(conn);
            let server = server_of.entry(*conn).or_insert_with(|| from.clone());
            let show = || format!("{id}: {:?}", String::from_utf8_lossy(raw));
            if from == server {
                if first {
                    *greetings += 1;
                    if let Err(err) = GreetingCodec::default().decode(raw) {
                        failures.push(format!("greeting {} ({err:?})", show()));
                    }
                    continue;
                }
                let mut rest: &[u8] = raw;
                if let Some(why) = beyond_imap_codec(raw) {
                    t.skipped.push(why);
                    rest = &[];
                }
                while !rest.is_empty() {
                    *responses += 1;
                    match ResponseCodec::default().decode(rest) {
                        Ok((r, _)) => rest = r,
                        Err(err) => {
                            failures.push(format!("response {} ({err:?})", show()));
                            break;
                        }
                    }
                }
                continuation.insert(*conn, raw.starts_with(b"+ ") || raw.windows(3).any(|w| w == b"\n+ "));
            } else if raw == b"DONE\r\n" {
                // IDLE's terminator (RFC 2177) is not a command: only legal after IDLE's "+ idling".
                assert!(idling.remove(conn), "{id}: DONE outside IDLE");
            } else if let Some(why) = beyond_imap_codec(raw) {
                t.skipped.push(why);
            } else if !continuation.get(conn).copied().unwrap_or(false) {
                *commands += 1;
                if raw.to_ascii_uppercase().ends_with(b" IDLE\r\n") {
                    idling.insert(*conn);
                }
                if let Err(err) = CommandCodec::default().decode(raw) {
                    failures.push(format!("command {} ({err:?})", show()));
                }
            }
        }
    }
}
