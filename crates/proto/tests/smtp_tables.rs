//! SMTP server behaviour as tables: the example sessions of RFC 5321 Appendix D, and a
//! corpus of malformed or hostile command lines, each with the reply it must get.

use mailsim_proto::pdu::Pdu;
use mailsim_proto::smtp::{Role, ServerConfig, ServerEvent, SmtpServer};
use mailsim_proto::Engine;

fn server(role: Role) -> SmtpServer {
    let mut c =
        ServerConfig::basic("foo.com", role, &["foo.com"], &["smith@foo.com", "jones@foo.com", "brown@foo.com"]);
    c.max_message_size = 100_000;
    c.accounts = vec![("jones@foo.com".into(), "pw".into())].into();
    SmtpServer::new(c, 0)
}

/// Feeds `line` and returns the codes of the replies it caused, accepting any message.
fn send(s: &mut SmtpServer, line: &[u8]) -> Vec<u16> {
    s.handle_input(0, line);
    let mut codes = Vec::new();
    loop {
        let mut progressed = false;
        while let Some(t) = s.poll_transmit() {
            progressed = true;
            if let Pdu::SmtpReply { reply, .. } = t.pdu {
                codes.push(reply.code);
            }
        }
        while let Some(e) = s.poll_event() {
            progressed = true;
            match e {
                ServerEvent::MessageReceived(_) => s.accept_message("Q1"),
                ServerEvent::RecipientProposed { .. } => s.decide_recipient(None),
                _ => {}
            }
        }
        if !progressed {
            return codes;
        }
    }
}

/// Runs a session table: each client line with the reply codes it must get.
fn session(role: Role, table: &[(&str, &[u16])]) {
    let mut s = server(role);
    assert_eq!(send(&mut s, b""), vec![220]);
    for (i, (line, want)) in table.iter().enumerate() {
        let got = send(&mut s, line.as_bytes());
        assert_eq!(&got, want, "step {i}: {line:?}");
    }
}

#[test]
fn rfc5321_d1_a_typical_smtp_transaction() {
    session(
        Role::Relay,
        &[
            ("EHLO bar.com\r\n", &[250]),
            ("MAIL FROM:<Smith@bar.com>\r\n", &[250]),
            ("RCPT TO:<Jones@foo.com>\r\n", &[250]),
            ("RCPT TO:<Green@foo.com>\r\n", &[550]),
            ("RCPT TO:<Brown@foo.com>\r\n", &[250]),
            ("DATA\r\n", &[354]),
            ("Blah blah blah...\r\n...etc. etc. etc.\r\n", &[]),
            (".\r\n", &[250]),
            ("QUIT\r\n", &[221]),
        ],
    );
}

#[test]
fn rfc5321_d2_aborted_smtp_transaction() {
    session(
        Role::Relay,
        &[
            ("EHLO bar.com\r\n", &[250]),
            ("MAIL FROM:<Smith@bar.com>\r\n", &[250]),
            ("RCPT TO:<Jones@foo.com>\r\n", &[250]),
            ("RCPT TO:<Green@foo.com>\r\n", &[550]),
            ("RSET\r\n", &[250]),
            ("QUIT\r\n", &[221]),
        ],
    );
}

#[test]
fn rfc5321_d3_relayed_mail_needs_a_trusted_or_authenticated_client() {
    // Appendix D.3: foo.com relays for its users; here the relaying client logs in first.
    session(
        Role::Submission,
        &[
            ("EHLO bar.com\r\n", &[250]),
            ("AUTH PLAIN AGpvbmVzQGZvby5jb20AcHc=\r\n", &[235]),
            ("MAIL FROM:<jones@foo.com>\r\n", &[250]),
            ("RCPT TO:<Jones@XYZ.COM>\r\n", &[250]),
            ("DATA\r\n", &[354]),
            ("Date: Thu, 21 May 1998 05:33:29 -0700\r\nFrom: Jones@foo.com\r\n\r\nHello.\r\n.\r\n", &[250]),
            ("QUIT\r\n", &[221]),
        ],
    );
    // Without it, relaying is refused.
    session(
        Role::Relay,
        &[
            ("EHLO bar.com\r\n", &[250]),
            ("MAIL FROM:<Smith@bar.com>\r\n", &[250]),
            ("RCPT TO:<Jones@XYZ.COM>\r\n", &[554]),
        ],
    );
}

#[test]
fn rfc5321_d4_verifying_and_sending() {
    session(
        Role::Relay,
        &[
            ("EHLO bar.com\r\n", &[250]),
            ("VRFY Crispin\r\n", &[252]),
            ("MAIL FROM:<EAK@bar.com>\r\n", &[250]),
            ("RCPT TO:<Admin.MRC@foo.com>\r\n", &[550]),
            ("RCPT TO:<postmaster>\r\n", &[250]),
            ("DATA\r\n", &[354]),
            ("Blah\r\n.\r\n", &[250]),
            ("QUIT\r\n", &[221]),
        ],
    );
}

/// Where a corpus line is typed.
#[derive(Clone, Copy)]
enum At {
    /// Right after the greeting.
    Greeted,
    /// After EHLO.
    Ready,
    /// After EHLO and MAIL FROM.
    InMail,
}

fn corpus() -> Vec<(At, Vec<u8>, u16)> {
    use At::*;
    let mut c: Vec<(At, Vec<u8>, u16)> = Vec::new();
    let mut add = |at: At, line: &str, code: u16| c.push((at, line.as_bytes().to_vec(), code));
    // Unknown or mangled verbs: 500.
    for v in [
        "FOO",
        "HELLO x",
        "EHL0 x",
        "MAIL-FROM:<a@b.c>",
        "RCPTTO:<a@b.c>",
        "DAT",
        "DATAX",
        "QUITT",
        "GET / HTTP/1.1",
        "POST /login HTTP/1.0",
        "USER bob",
        "PASS secret",
        "A001 LOGIN bob pw",
        "SELECT * FROM users",
        "'; DROP TABLE mail;--",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "%s%s%s%n",
        "\x1b[31mred",
        "ls -la",
        "exit",
        "help!",
        "1234",
        "-",
        ".",
        "..",
        "\t",
        " ",
        " EHLO x",
        "\u{0}",
    ] {
        add(Ready, &format!("{v}\r\n"), 500);
    }
    add(Ready, "\r\n", 500);
    // Non-ASCII and control bytes in a command: 500; but UTF-8 addresses in MAIL and RCPT
    // parse (RFC 6531 §3.3), and are refused without SMTPUTF8 (553 5.6.7, §3.7.4.1).
    for v in ["EHLO caf\u{e9}.example", "NOOP \u{7f}", "VRFY \u{1}bob", "VRFY b\u{f6}b"] {
        add(Ready, &format!("{v}\r\n"), 500);
    }
    add(Ready, "MAIL FROM:<jörg@foo.com>\r\n", 553);
    add(Ready, "MAIL FROM:<jörg@foo.com> SMTPUTF8\r\n", 250);
    add(Ready, "RCPT TO:<бob@foo.com>\r\n", 503);
    // Overlong lines: 500 5.5.2.
    for n in [513, 600, 1000, 2000] {
        add(Ready, &format!("NOOP {}\r\n", "x".repeat(n)), 500);
    }
    add(Ready, &format!("MAIL FROM:<{}@foo.com>\r\n", "a".repeat(600)), 500);
    // Bad arguments: 501.
    for v in [
        "EHLO",
        "HELO",
        "EHLO a b",
        "EHLO -bad-.com",
        "EHLO foo..com",
        "EHLO foo_bar.com",
        "MAIL",
        "MAIL FROM",
        "MAIL FROM:",
        "MAIL FROM:a@b.c",
        "MAIL TO:<a@b.c>",
        "MAIL FROM:<a@b.c",
        "MAIL FROM:a@b.c>",
        "MAIL FROM:<a@>",
        "MAIL FROM:<@b.c>",
        "MAIL FROM:<a b@c.d>",
        "MAIL FROM:<a@b..c>",
        "MAIL FROM:<a..b@c.d>",
        "MAIL FROM:<.a@c.d>",
        "MAIL FROM:<a.@c.d>",
        "DATA now",
        "RSET all",
        "QUIT please",
        "VRFY",
        "AUTH",
        "AUTH PLAIN a b",
        "STARTTLS now",
        "MAIL FROM:<a@b.c> SIZE=big",
        "MAIL FROM:<a@b.c> SIZE=-1",
        "MAIL FROM:<a@b.c> SIZE=",
    ] {
        add(Ready, &format!("{v}\r\n"), 501);
    }
    for v in [
        "RCPT",
        "RCPT TO",
        "RCPT TO:",
        "RCPT TO:bob@foo.com",
        "RCPT FROM:<bob@foo.com>",
        "RCPT TO:<bob>",
        "RCPT TO:<bob@>",
        "RCPT TO:<@foo.com>",
        "RCPT TO:<bob@foo..com>",
        "RCPT TO:<>",
        "RCPT TO:<b o b@foo.com>",
        "RCPT TO:<bob@-foo.com>",
    ] {
        add(InMail, &format!("{v}\r\n"), 501);
    }
    // Known but not implemented: 502.
    for v in [
        "EXPN staff",
        "TURN",
        "ETRN foo.com",
        "ATRN foo.com",
        "SEND FROM:<a@b.c>",
        "SOML FROM:<a@b.c>",
        "SAML FROM:<a@b.c>",
    ] {
        add(Ready, &format!("{v}\r\n"), 502);
    }
    // Bad sequence: 503.
    for v in ["MAIL FROM:<a@b.c>", "RCPT TO:<jones@foo.com>", "DATA", "AUTH PLAIN AGpvbmVzQGZvby5jb20AcHc="] {
        add(Greeted, &format!("{v}\r\n"), 503);
    }
    for v in ["RCPT TO:<jones@foo.com>", "DATA"] {
        add(Ready, &format!("{v}\r\n"), 503);
    }
    add(InMail, "MAIL FROM:<a@b.c>\r\n", 503);
    add(InMail, "AUTH PLAIN AGpvbmVzQGZvby5jb20AcHc=\r\n", 503);
    // Unknown AUTH mechanism (504) and unknown parameters (555).
    for m in ["CRAM-MD5", "DIGEST-MD5", "GSSAPI", "XOAUTH2", "SCRAM-SHA-1"] {
        add(Ready, &format!("AUTH {m}\r\n"), 504);
    }
    for p in ["FOO=1", "XRET=HDRS", "AUTH=<>"] {
        add(Ready, &format!("MAIL FROM:<a@b.c> {p}\r\n"), 555);
    }
    add(InMail, "RCPT TO:<jones@foo.com> FOO=BAR\r\n", 555);
    // The parameters of DSN (RFC 3461), SMTPUTF8 (RFC 6531), BINARYMIME (RFC 3030): 250,
    // and 501 5.5.4 for a bad value.
    for p in ["RET=HDRS", "ENVID=x", "SMTPUTF8", "BODY=BINARYMIME", "RET=FULL ENVID=a+2Bb SMTPUTF8"] {
        add(Ready, &format!("MAIL FROM:<a@b.c> {p}\r\n"), 250);
    }
    for p in ["RET=ALL", "ENVID=a=b", "SMTPUTF8=1", "BODY=BIN", "RET=FULL RET=FULL"] {
        add(Ready, &format!("MAIL FROM:<a@b.c> {p}\r\n"), 501);
    }
    add(InMail, "RCPT TO:<jones@foo.com> NOTIFY=NEVER\r\n", 250);
    add(InMail, "RCPT TO:<jones@foo.com> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;jones@foo.com\r\n", 250);
    for p in ["NOTIFY=NEVER,FAILURE", "NOTIFY=", "ORCPT=jones", "ORCPT=rfc822;+zz"] {
        add(InMail, &format!("RCPT TO:<jones@foo.com> {p}\r\n"), 501);
    }
    // Policy: unknown local user (550), relaying (554), too big (552).
    for r in ["green@foo.com", "root@foo.com", "jones+tag@foo.com"] {
        add(InMail, &format!("RCPT TO:<{r}>\r\n"), 550);
    }
    for r in ["victim@gmail.example", "a@b.c", "jones@foo.com.evil.example", "jones@[192.0.2.1]"] {
        add(InMail, &format!("RCPT TO:<{r}>\r\n"), 554);
    }
    add(Ready, "MAIL FROM:<a@b.c> SIZE=100001\r\n", 552);
    // STARTTLS not offered here: 502.
    add(Ready, "STARTTLS\r\n", 502);
    // Harmless but odd, accepted: 250/252/214.
    add(Ready, "NOOP\r\n", 250);
    add(Ready, "noop anything at all\r\n", 250);
    add(Ready, "vrfy <postmaster>\r\n", 252);
    add(Greeted, "help\r\n", 214);
    add(Ready, "mAiL fRoM:<a@b.c>\r\n", 250);
    add(Ready, "MAIL FROM: <a@b.c>\r\n", 250);
    add(Ready, "MAIL FROM:<>\r\n", 250);
    add(InMail, "rcpt to:<JONES@FOO.COM>\r\n", 250);
    add(InMail, "RCPT TO:<@relay.example:jones@foo.com>\r\n", 250);
    // BDAT (RFC 3030 §2): out of sequence, 503 after the chunk is read; bad syntax, 501.
    add(Ready, "BDAT 3 LAST\r\nabc", 503);
    add(InMail, "BDAT 4\r\nNOOP", 554);
    add(Ready, "BDAT three\r\n", 501);
    add(Ready, "BDAT 3 FIRST\r\n", 501);
    c
}

#[test]
fn malformed_and_hostile_lines_get_the_prescribed_reply() {
    let corpus = corpus();
    assert!(corpus.len() >= 100, "the corpus has {} lines", corpus.len());
    for (at, line, want) in corpus {
        let mut s = server(Role::Relay);
        send(&mut s, b"");
        match at {
            At::Greeted => {}
            At::Ready => assert_eq!(send(&mut s, b"EHLO bar.com\r\n"), vec![250]),
            At::InMail => assert_eq!(send(&mut s, b"EHLO bar.com\r\nMAIL FROM:<smith@bar.com>\r\n"), vec![250, 250]),
        }
        let got = send(&mut s, &line);
        assert_eq!(got, vec![want], "{:?}", String::from_utf8_lossy(&line));
        // The session goes on: a NOOP still works (except after a 421).
        assert_eq!(send(&mut s, b"NOOP\r\n"), vec![250], "after {:?}", String::from_utf8_lossy(&line));
    }
}

#[test]
fn a_flood_of_errors_ends_in_421_and_silence() {
    let mut s = server(Role::Relay);
    send(&mut s, b"");
    let mut all = Vec::new();
    for _ in 0..25 {
        all.extend(send(&mut s, b"garbage\r\n"));
    }
    assert_eq!(all.len(), 21, "20 errors, one 421, then nothing");
    assert_eq!(all[20], 421);
    assert!(send(&mut s, b"NOOP\r\n").is_empty());
}

#[test]
fn binary_garbage_never_panics() {
    // A deterministic pseudo-random byte soup, split in odd places.
    let mut x: u32 = 12345;
    let mut bytes = Vec::new();
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
        if x % 17 == 0 {
            bytes.extend(b"\r\n");
        }
    }
    for role in [Role::Relay, Role::Submission] {
        let mut s = server(role);
        for chunk in bytes.chunks(97) {
            send(&mut s, chunk);
        }
    }
}

#[test]
fn smtp_smuggling_attempts_deliver_nothing_extra() {
    // Each tries to end DATA early with a lone LF or CR next to the dot, then start a second,
    // smuggled message. Only CRLF.CRLF ends the data; the message with the bare LF/CR is refused.
    for sneaky in [
        &b"Subject: a\r\n\r\nhi\n.\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<jones@foo.com>\r\nDATA\r\nsmuggled\r\n.\r\n"[..],
        b"Subject: a\r\n\r\nhi\r\n.\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<jones@foo.com>\r\nDATA\r\nsmuggled\r\n.\r\n",
        b"Subject: a\r\n\r\nhi\r.\rMAIL FROM:<evil@x.example>\r\nRCPT TO:<jones@foo.com>\r\nDATA\r\nsmuggled\r\n.\r\n",
    ] {
        let mut s = server(Role::Relay);
        send(&mut s, b"EHLO bar.com\r\nMAIL FROM:<smith@bar.com>\r\nRCPT TO:<jones@foo.com>\r\nDATA\r\n");
        s.handle_input(0, sneaky);
        let mut received = 0;
        let mut codes = Vec::new();
        while let Some(t) = s.poll_transmit() {
            if let Pdu::SmtpReply { reply, .. } = t.pdu {
                codes.push(reply.code);
            }
        }
        while let Some(e) = s.poll_event() {
            if matches!(e, ServerEvent::MessageReceived(_)) {
                received += 1;
            }
        }
        assert_eq!(received, 0, "{:?}", String::from_utf8_lossy(sneaky));
        assert_eq!(codes.last(), Some(&554), "one refusal, no smuggled transaction: {codes:?}");
    }
}
