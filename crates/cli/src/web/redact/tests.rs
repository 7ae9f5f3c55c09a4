use super::*;
use mailsim_sim::log::Event;

fn opened(conn: u32, protocol: &str) -> Event {
    crate::web::test_events::opened(conn, protocol, 0)
}

fn sent(conn: u32, to_server: bool, raw: &str, label: &str, meaning: &str) -> Event {
    crate::web::test_events::sent(conn, to_server, ("X", 0), raw.as_bytes(), label, meaning)
}

/// Feeds a dialog (`C:`/`S:` lines, the meaning quoting the line) and returns what the
/// client lines became (raw, label, meaning) and the logins seen.
type Rewritten = Vec<(String, String, String)>;

fn dialog(protocol: &str, lines: &[&str], redact: bool) -> (Rewritten, Vec<(u32, String)>) {
    let mut t = Tracker::default();
    t.observe(&mut opened(7, protocol), redact);
    let (mut out, mut logins) = (vec![], vec![]);
    for l in lines {
        let (to_server, text) = (l.starts_with("C: "), &l[3..]);
        let raw = format!("{text}\r\n");
        let mut e = sent(7, to_server, &raw, text, &format!("It reads \"{text}\"."));
        logins.extend(t.observe(&mut e, redact));
        if let (true, Event::MessageSent { raw, label, meaning, .. }) = (to_server, e) {
            out.push((String::from_utf8(raw).unwrap(), label, meaning));
        }
    }
    (out, logins)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn assert_clean(out: &[(String, String, String)], secrets: &[&str]) {
    for (raw, label, meaning) in out {
        for s in secrets {
            for f in [raw, label, meaning] {
                assert!(!f.contains(s), "{s:?} left in {f:?}");
            }
        }
    }
}

#[test]
fn smtp_auth_plain_login_and_cram_are_redacted_and_attributed() {
    let plain = b64("\0alice@alice.example\0s3cret-pw");
    let (out, logins) = dialog("SMTP", &["S: 220 hi", &format!("C: AUTH PLAIN {plain}"), "S: 235 2.7.0 ok"], true);
    assert_eq!(out[0].0, "AUTH PLAIN [redacted]\r\n");
    assert_eq!(out[0].1, "AUTH PLAIN [redacted]");
    assert_clean(&out, &[&plain, "s3cret-pw"]);
    assert_eq!(logins, vec![(7, "alice@alice.example".to_string())]);

    let lines = ["C: AUTH PLAIN", "S: 334 ", &format!("C: {plain}"), "S: 535 5.7.8 no"];
    let (out, logins) = dialog("SMTP", &lines, true);
    assert_eq!(out[1].0, "[redacted]\r\n");
    assert_clean(&out, &[&plain, "s3cret-pw"]);
    assert!(logins.is_empty(), "a refused login attributes nothing");

    let (user, pass) = (b64("bob"), b64("hunter22"));
    let lines = [
        "C: AUTH LOGIN",
        "S: 334 VXNlcm5hbWU6",
        &format!("C: {user}"),
        "S: 334 UGFzc3dvcmQ6",
        &format!("C: {pass}"),
        "S: 235 ok",
    ];
    let (out, logins) = dialog("SMTP", &lines, true);
    assert_eq!(out[1].0, format!("{user}\r\n"), "the user name is not a secret");
    assert_eq!(out[2].0, "[redacted]\r\n");
    assert_clean(&out, &[&pass, "hunter22"]);
    assert_eq!(logins, vec![(7, "bob".to_string())]);

    let cram = b64("bob 0123456789abcdef0123456789abcdef");
    let (out, logins) =
        dialog("SMTP", &["C: AUTH CRAM-MD5", "S: 334 PDEyMz4=", &format!("C: {cram}"), "S: 235 ok"], true);
    assert_clean(&out, &[&cram, "0123456789abcdef0123456789abcdef"]);
    assert_eq!(logins, vec![(7, "bob".to_string())]);
    // A message after the exchange is not touched.
    let (out, _) =
        dialog("SMTP", &["C: AUTH PLAIN", "S: 334 ", &format!("C: {plain}"), "S: 235 ok", "C: MAIL FROM:<a@b>"], true);
    assert_eq!(out[2].0, "MAIL FROM:<a@b>\r\n");
}

#[test]
fn pop3_pass_apop_and_imap_login_scram_are_redacted() {
    let (out, logins) =
        dialog("POP3", &["C: USER bob", "S: +OK", "C: PASS open sesame", "S: +OK maildrop locked"], true);
    assert_eq!(out[0].0, "USER bob\r\n");
    assert_eq!((out[1].0.as_str(), out[1].1.as_str()), ("PASS [redacted]\r\n", "PASS [redacted]"));
    assert_clean(&out, &["open sesame"]);
    assert_eq!(logins, vec![(7, "bob".to_string())]);
    let (out, logins) = dialog("POP3", &["C: APOP bob c4c9334bac560ecc979e58001b3e22fb", "S: -ERR no"], true);
    assert_clean(&out, &["c4c9334bac560ecc979e58001b3e22fb"]);
    assert!(logins.is_empty());

    let (out, logins) = dialog("IMAP", &["C: a1 LOGIN bob \"pa ss\\\"w\"", "S: a1 OK LOGIN completed"], true);
    assert_eq!(out[0].0, "a1 LOGIN bob [redacted]\r\n");
    assert_clean(&out, &["pa ss", "\\\"w"]);
    assert!(out[0].2.contains("redacted"), "{}", out[0].2);
    assert_eq!(logins, vec![(7, "bob".to_string())]);
    let (out, logins) =
        dialog("IMAP", &["C: a1 LOGIN {3}\r\nbob {8}\r\nliteral!", "S: a1 NO [AUTHENTICATIONFAILED] no"], true);
    assert_clean(&out, &["literal!"]);
    assert!(logins.is_empty());

    let first = b64("n,,n=bob,r=abcdef");
    let last = b64("c=biws,r=abcdefXYZ,p=PROOFPROOFPROOF=");
    let lines = [
        "C: a2 AUTHENTICATE SCRAM-SHA-256",
        "S: + ",
        &format!("C: {first}"),
        "S: + cj1hYmNkZWZYWVo=",
        &format!("C: {last}"),
        "S: + dj1zaWc=",
        "C: ",
        "S: a2 OK done",
    ];
    let (out, logins) = dialog("IMAP", &lines, true);
    assert_eq!(out[1].0, format!("{first}\r\n"), "client-first holds no secret");
    assert!(out[2].0.starts_with("[redacted]"), "{}", out[2].0);
    assert_clean(&out, &[&last, "PROOFPROOFPROOF="]);
    assert_eq!(logins, vec![(7, "bob".to_string())]);
}

#[test]
fn inside_tls_credentials_are_redacted_too() {
    let mut t = Tracker::default();
    t.observe(&mut opened(7, "POP3"), true);
    let mut e = sent(7, true, "PASS tls-secret\r\n", "PASS tls-secret", "");
    if let Event::MessageSent { tls, .. } = &mut e {
        *tls = true;
    }
    t.observe(&mut e, true);
    let Event::MessageSent { raw, label, .. } = e else { unreachable!() };
    assert_eq!((raw.as_slice(), label.as_str()), (&b"PASS [redacted]\r\n"[..], "PASS [redacted]"));
}

#[test]
fn with_show_credentials_nothing_changes() {
    let (out, logins) = dialog("POP3", &["C: USER bob", "S: +OK", "C: PASS pw", "S: +OK"], false);
    assert_eq!(out[1].0, "PASS pw\r\n");
    assert_eq!(logins.len(), 1);
    // Short secrets are not searched for in the explanation: it is replaced.
    let (out, _) = dialog("POP3", &["C: USER bob", "S: +OK", "C: PASS pw", "S: +OK"], true);
    assert!(!out[1].2.contains("pw\""), "{}", out[1].2);
}

#[test]
fn imap_strings_read_atoms_quoted_and_literals() {
    let got = imap_strings(b"bob \"a \\\"b\\\\\" {3+}\r\nxyz ~{2}\r\nqq");
    let values: Vec<&str> = got.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(values, ["bob", "a \"b\\", "xyz", "qq"]);
    assert_eq!(imap_strings(b"{99}\r\nab"), vec![("ab".to_string(), "ab".to_string())]);
    assert!(imap_strings(b"{").is_empty());
}

/// Every line of a dialog as it became (client and server lines alike).
fn all_lines(protocol: &str, lines: &[&str]) -> Vec<(String, String, String)> {
    let mut t = Tracker::default();
    t.observe(&mut opened(7, protocol), true);
    lines
        .iter()
        .map(|l| {
            let (to_server, text) = (l.starts_with("C: "), &l[3..]);
            let mut e = sent(7, to_server, &format!("{text}\r\n"), text, &format!("It reads \"{text}\"."));
            t.observe(&mut e, true);
            let Event::MessageSent { raw, label, meaning, .. } = e else { unreachable!() };
            (String::from_utf8(raw).unwrap(), label, meaning)
        })
        .collect()
}

/// What learners type by mistake still keeps the password off the projector: a login with
/// its tag forgotten, `USER name password` on one line, the password alone on the line after
/// a login that lacked it, and the server's reply that repeats that line as a tag.
#[test]
fn slips_that_carry_a_password_are_redacted_too() {
    let out = all_lines("IMAP", &["C: login ben maple3", "S: login BAD unknown command ben"]);
    assert_eq!(out[0].0, "login ben [redacted]\r\n");
    assert_clean(&out, &["maple3"]);

    let out = all_lines("POP3", &["C: USER ben maple3", "S: -ERR USER takes one name: ben maple3"]);
    assert_eq!(out[0].0, "USER ben [redacted]\r\n");
    assert_clean(&out, &["maple3"]);

    let out = all_lines(
        "IMAP",
        &[
            "C: a1 login ben@class.example",
            "S: a1 BAD LOGIN needs a user name and a password",
            "C: maple3",
            "S: maple3 BAD missing command after the tag",
            "C: a2 NOOP",
            "S: a2 OK NOOP completed",
        ],
    );
    assert_eq!(out[2].0, "[redacted]\r\n");
    assert_eq!(out[3].0, "[redacted] BAD missing command after the tag\r\n");
    assert_eq!(out[4].0, "a2 NOOP\r\n", "a command after the slip is itself");
    assert_eq!(out[5].0, "a2 OK NOOP completed\r\n");
    assert_clean(&out, &["maple3"]);

    let out = all_lines("POP3", &["C: USER ben", "S: +OK", "C: maple3", "S: -ERR unknown command maple3", "C: STAT"]);
    assert_eq!(out[2].0, "[redacted]\r\n");
    assert_clean(&out, &["maple3"]);
    assert_eq!(out[4].0, "STAT\r\n");
}
