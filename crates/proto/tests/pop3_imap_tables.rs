//! Malformed and hostile command lines for POP3 and IMAP, each with the reply it must get,
//! and the RFC 1939 example session as a table. No line may panic or end the session.

use mailsim_proto::imap::server::{answer_from_store, ImapConfig, ImapServer};
use mailsim_proto::pop3::{Pop3Config, Pop3Server, Pop3ServerEvent};
use mailsim_proto::store::MailStore;
#[allow(unused_imports)]
use mailsim_proto::store::Mailbox as _;
use mailsim_proto::store::StoredMessage;
use mailsim_proto::Engine;

fn pop3_logged_in() -> Pop3Server {
    let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
    s.handle_input(0, b"USER mrose\r\nPASS tanstaaf\r\n");
    while let Some(e) = s.poll_event() {
        if matches!(e, Pop3ServerEvent::LoginRequested { .. }) {
            s.grant(vec![
                StoredMessage { uid: 1, data: b"Subject: one\r\n\r\nbody one\r\n".to_vec(), ..Default::default() },
                StoredMessage { uid: 2, data: b"Subject: two\r\n\r\n.dotted\r\n".to_vec(), ..Default::default() },
            ]);
        }
    }
    while s.poll_transmit().is_some() {}
    s
}

fn pop3_say(s: &mut Pop3Server, line: &[u8]) -> String {
    s.handle_input(0, line);
    std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect()
}

#[test]
fn rfc1939_example_session_as_a_table() {
    let mut s = Pop3Server::new(Pop3Config::new("dewey"), 0);
    let greeting: String =
        std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
    assert!(greeting.starts_with("+OK dewey POP3 server ready"));
    assert!(pop3_say(&mut s, b"USER mrose\r\n").starts_with("+OK"));
    s.handle_input(0, b"PASS tanstaaf\r\n");
    while let Some(e) = s.poll_event() {
        if matches!(e, Pop3ServerEvent::LoginRequested { .. }) {
            s.grant(vec![
                StoredMessage {
                    uid: 1,
                    data: vec![b'x'; 118].into_iter().chain(*b"\r\n").collect(),
                    ..Default::default()
                },
                StoredMessage {
                    uid: 2,
                    data: vec![b'y'; 198].into_iter().chain(*b"\r\n").collect(),
                    ..Default::default()
                },
            ]);
        }
    }
    assert!(std::iter::from_fn(|| s.poll_transmit())
        .map(|t| String::from_utf8_lossy(&t.bytes).into_owned())
        .collect::<String>()
        .starts_with("+OK mrose's maildrop has 2 messages (320 octets)"));
    for (cmd, want) in [
        ("STAT\r\n", "+OK 2 320\r\n"),
        ("LIST\r\n", "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"),
        ("DELE 1\r\n", "+OK message 1 deleted\r\n"),
        ("QUIT\r\n", "+OK dewey POP3 server signing off (1 deleted, 1 left)\r\n"),
    ] {
        assert_eq!(pop3_say(&mut s, cmd.as_bytes()), want, "{cmd:?}");
    }
}

#[test]
fn pop3_corpus_of_malformed_lines() {
    let mut corpus: Vec<String> = Vec::new();
    for v in [
        "FOO",
        "HELO",
        "EHLO x",
        "USERS bob",
        "PAS x",
        "STATS",
        "LST",
        "RETRIEVE 1",
        "DEL 1",
        "QUITT",
        "NOOPS",
        "RSETT",
        "TOPP 1 1",
        "UIDLS",
        "CAPAB",
        "GET / HTTP/1.1",
        "A001 LOGIN a b",
        "MAIL FROM:<a@b.c>",
        "<script>",
        "'; DROP TABLE",
        "%n%n%n",
        "\u{1b}[0m",
        "\u{0}",
        "\t",
        " ",
        " STAT",
        "STAT ",
        "..",
        ".",
        "-1",
    ] {
        corpus.push(v.to_string());
    }
    for v in [
        "RETR",
        "RETR x",
        "RETR 0",
        "RETR -1",
        "RETR 1 2",
        "RETR 1.5",
        "RETR 99999999999",
        "RETR 3",
        "RETR +1",
        "RETR 0x1",
        "DELE",
        "DELE x",
        "DELE 0",
        "DELE 3",
        "DELE 1 1",
        "LIST x",
        "LIST 0",
        "LIST 3",
        "LIST 1 1",
        "TOP",
        "TOP 1",
        "TOP x 1",
        "TOP 1 x",
        "TOP 0 1",
        "TOP 3 1",
        "UIDL x",
        "UIDL 0",
        "UIDL 3",
        "STAT 1",
        "NOOP 1",
        "RSET 1",
        "USER",
        "USER a b",
        "PASS",
        "APOP bob 0123456789abcdef",
        "AUTH PLAIN",
        "STLS",
        "APOP bob",
        "APOP bob zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "list -5",
        "retr 1e3",
        "dele  1",
        "top 1  2",
    ] {
        corpus.push(v.to_string());
    }
    for n in [256, 300, 1000, 5000] {
        corpus.push(format!("NOOP {}", "x".repeat(n)));
    }
    for i in 0..40 {
        corpus.push(format!("X{i:02} garbage {}", "y".repeat(i)));
    }
    assert!(corpus.len() >= 100, "{}", corpus.len());
    for line in corpus {
        let mut s = pop3_logged_in();
        let out = pop3_say(&mut s, format!("{line}\r\n").as_bytes());
        assert!(out.starts_with("-ERR "), "{line:?} got {out:?}");
        assert!(out.len() > 6, "a helpful text for {line:?}");
        assert!(pop3_say(&mut s, b"STAT\r\n").starts_with("+OK 2 "), "the session goes on after {line:?}");
    }
}

/// The owner's side: the store answers the engine's folder requests.
fn owner(s: &mut ImapServer, store: &mut MailStore) {
    while let Some(e) = s.poll_event() {
        let _ = answer_from_store(s, store, e, 0);
    }
}

fn imap() -> (ImapServer, MailStore) {
    let mut store = MailStore::default();
    store.add_account("bob@b.example", "pw");
    store.deliver("bob@b.example", b"Subject: x\r\n\r\ny\r\n".to_vec());
    let mut s = ImapServer::new(
        ImapConfig {
            hostname: "h".into(),
            starttls: true,
            implicit_tls: false,
            login_requires_tls: false,
            accounts: vec![("bob@b.example".into(), "pw".into())].into(),
            scram_salt: vec![7; 16],
            scram_iterations: 4096,
            server_nonce: "n".into(),
            idle_timeout: None,
        },
        0,
    );
    s.handle_input(0, b"a LOGIN bob pw\r\n");
    owner(&mut s, &mut store);
    s.handle_input(0, b"b SELECT INBOX\r\n");
    owner(&mut s, &mut store);
    while s.poll_transmit().is_some() {}
    (s, store)
}

fn imap_say(s: &mut (ImapServer, MailStore), line: &str) -> String {
    s.0.handle_input(0, format!("{line}\r\n").as_bytes());
    owner(&mut s.0, &mut s.1);
    std::iter::from_fn(|| s.0.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect()
}

#[test]
fn imap_corpus_of_malformed_lines() {
    // (line, the status it must get: BAD for syntax, NO for a valid command that fails)
    let mut corpus: Vec<(String, &str)> = Vec::new();
    for v in [
        "t1 FROB",
        "t1 FETCH",
        "t1 FETCH 1",
        "t1 FETCH x FLAGS",
        "t1 FETCH 0 FLAGS",
        "t1 FETCH 1 FLAGZ",
        "t1 FETCH 1 (FLAGS",
        "t1 FETCH 1 FLAGS)",
        "t1 FETCH 1 BODY[MIME]",
        "t1 FETCH 1 BODY[]<0>",
        "t1 FETCH 1 BODY[]<a.b>",
        "t1 FETCH 1 \"FLAGS\"",
        "t1 FETCH 1 ((FLAGS))",
        "t1 STORE",
        "t1 STORE 1",
        "t1 STORE 1 FLAGZ (\\Seen)",
        "t1 STORE 1 +FLAGS (\\Bogus)",
        "t1 STORE x +FLAGS (\\Seen)",
        "t1 SELECT",
        "t1 SELECT a b",
        "t1 LIST",
        "t1 LIST \"\"",
        "t1 LOGIN",
        "t1 LOGIN bob",
        "t1 AUTHENTICATE",
        "t1 UID",
        "t1 UID FROB 1",
        "t1 NOOP now",
        "t1 CAPABILITY x",
        "t1 LOGOUT now",
        "t1 EXPUNGE 1",
        "t1 CLOSE x",
        "t1 CREATE",
        "t1 COPY 1",
        "t1 MOVE x Work",
        "t1 STATUS INBOX",
        "t1 APPEND INBOX",
        "t1 RENAME Work",
        "t1 IDLE now",
        "t1 \"quoted",
        "t1 SEARCH \"unterminated",
        "t1 (",
        "t1 )",
        "t1 LOGIN bob pw",
        "t1 AUTHENTICATE PLAIN",
        "t1 STARTTLS",
        "t1 ENABLE IMAP4rev2",
    ] {
        corpus.push((v.into(), "BAD"));
    }
    for v in [
        "t1 SELECT Work",
        "t1 EXAMINE Nonexistent",
        "t1 SELECT \"INBOX.Sent\"",
        "t1 COPY 1 Work",
        "t1 MOVE 1 Work",
        "t1 STATUS Nope (MESSAGES)",
        "t1 DELETE Nope",
        "t1 CREATE Sent",
        "t1 DELETE INBOX",
    ] {
        corpus.push((v.into(), "NO"));
    }
    for i in 0..60 {
        corpus.push((format!("t{i} X{i} {}", "z".repeat(i)), "BAD"));
    }
    assert!(corpus.len() >= 100, "{}", corpus.len());
    for (line, want) in corpus {
        let mut s = imap();
        let out = imap_say(&mut s, &line);
        let tagged = out.lines().last().unwrap_or("");
        assert_eq!(tagged.split(' ').nth(1), Some(want), "{line:?} got {out:?}");
        assert!(tagged.split(' ').count() > 3, "a helpful text for {line:?}: {tagged}");
        assert!(imap_say(&mut s, "z NOOP").ends_with("z OK NOOP completed\r\n"), "the session goes on after {line:?}");
    }
    // Lines without a usable tag get an untagged BAD.
    for line in ["", "*", "+ hello", "* FETCH 1 FLAGS"] {
        let mut s = imap();
        let out = imap_say(&mut s, line);
        assert!(out.starts_with("* BAD ") || out.contains(" BAD "), "{line:?}: {out:?}");
    }
}

/// RFC 3501 §8, the sample IMAP4rev1 connection, as a table: an IMAP4rev1 client logs in
/// with LOGIN (no ENABLE), so the answers are rev1's (SEARCH, not ESEARCH).
#[test]
fn rfc3501_example_session_as_a_table() {
    let mut store = MailStore::default();
    store.add_account("mrc@cac.washington.edu", "secret");
    const MSG12: &[u8] = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    for i in 1..=18 {
        let data = if i == 12 { MSG12.to_vec() } else { format!("Subject: message {i}\r\n\r\nbody\r\n").into_bytes() };
        // 17-Jul-1996 09:44:25 UTC is the RFC's 02:44:25 -0700.
        store.deliver_at("mrc@cac.washington.edu", data, 837_596_665, if i == 12 { &["\\Seen"] } else { &[] });
        if i == 16 {
            // An earlier session saw messages 1 to 16: 17 and 18 are \Recent, as in the RFC.
            store.take_recent("mrc@cac.washington.edu", "INBOX");
        }
    }
    let mut s = ImapServer::new(
        ImapConfig {
            hostname: "cac.washington.edu".into(),
            starttls: false,
            implicit_tls: false,
            login_requires_tls: false,
            accounts: vec![("mrc@cac.washington.edu".into(), "secret".into())].into(),
            scram_salt: vec![7; 16],
            scram_iterations: 4096,
            server_nonce: "n".into(),
            idle_timeout: None,
        },
        0,
    );
    let greeting: String =
        std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
    assert!(greeting.starts_with("* OK [CAPABILITY IMAP4rev1 IMAP4rev2"), "{greeting}");
    let mut st = (s, store);
    let table: &[(&str, &[&str])] = &[
        ("a001 login mrc secret", &["a001 OK [CAPABILITY IMAP4rev1 IMAP4rev2"]),
        ("a002 select inbox", &["* 18 EXISTS\r\n", "* 2 RECENT\r\n", "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n", "* OK [UIDVALIDITY ", "a002 OK [READ-WRITE] SELECT completed\r\n"]),
        ("a003 fetch 12 full", &[
            "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\" RFC822.SIZE 397 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))",
            "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 55 1))\r\n",
            "a003 OK FETCH completed\r\n",
        ]),
        ("a004 fetch 12 body[header]", &[ // already \Seen: no FLAGS added, as in the RFC
           "* 12 FETCH (BODY[HEADER] {342}\r\nDate: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n", "CHARSET=US-ASCII\r\n\r\n)\r\n", "a004 OK FETCH completed\r\n"]),
        ("a005 store 12 +flags \\deleted", &["* 12 FETCH (FLAGS (\\Deleted \\Seen))\r\n" /* a set: listed in one fixed order */, "a005 OK +FLAGS completed\r\n"]),
        ("a006 logout", &["* BYE ", "a006 OK LOGOUT completed\r\n"]),
    ];
    for (line, want) in table {
        let got = imap_say(&mut st, line);
        for w in *want {
            assert!(got.contains(w), "{line}: expected {w:?} in\n{got}");
        }
    }
}
