//! The POP3 server on its own: the RFC 1939 examples, deletions at UPDATE only, APOP
//! and STLS.

use super::*;
use crate::engine::Engine;

fn drop_of(msgs: &[&str]) -> Vec<StoredMessage> {
    msgs.iter()
        .enumerate()
        .map(|(i, m)| StoredMessage { uid: i as u32 + 10, data: m.as_bytes().to_vec(), ..Default::default() })
        .collect()
}

fn out(s: &mut Pop3Server) -> String {
    let mut v = Vec::new();
    while let Some(t) = s.poll_transmit() {
        v.extend(t.bytes);
    }
    String::from_utf8(v).unwrap()
}

fn logged_in(msgs: &[&str]) -> Pop3Server {
    let mut s = Pop3Server::new(Pop3Config::new("mail.bob.example"), 0);
    s.handle_input(0, b"USER bob\r\nPASS secret\r\n");
    assert_eq!(s.poll_event(), Some(Pop3ServerEvent::LoginRequested { user: "bob".into(), pass: "secret".into() }));
    s.grant(drop_of(msgs));
    out(&mut s);
    s
}

#[test]
fn rfc1939_example_session() {
    let mut s = logged_in(&["From: a\r\n\r\nhello\r\n", "From: b\r\n\r\n.dot\r\n"]);
    s.handle_input(0, b"STAT\r\nLIST\r\nRETR 2\r\nDELE 1\r\nRETR 1\r\nLIST 1\r\nUIDL\r\nQUIT\r\n");
    let o = out(&mut s);
    assert_eq!(
        o,
        "+OK 2 35\r\n+OK 2 messages (35 octets)\r\n1 18\r\n2 17\r\n.\r\n+OK 17 octets\r\nFrom: b\r\n\r\n..dot\r\n.\r\n\
         +OK message 1 deleted\r\n-ERR message 1 already deleted\r\n-ERR message 1 already deleted\r\n\
         +OK unique-id listing follows\r\n2 11\r\n.\r\n+OK mail.bob.example POP3 server signing off (1 deleted, 1 left)\r\n"
    );
    assert_eq!(s.poll_event(), Some(Pop3ServerEvent::Commit { user: "bob".into(), deleted: vec![10] }));
    assert_eq!(s.poll_event(), Some(Pop3ServerEvent::Closed));
}

#[test]
fn deletions_wait_for_quit_and_rset_undoes_them() {
    let mut s = logged_in(&["a\r\n", "b\r\n"]);
    s.handle_input(0, b"DELE 1\r\nRSET\r\nDELE 2\r\n");
    assert_eq!(s.poll_event(), None, "nothing is committed before QUIT");
    s.handle_close(0);
    assert_eq!(s.poll_event(), None);
    assert_eq!(s.state(), Pop3State::Closed.view());
}

#[test]
fn wrong_state_and_bad_arguments_get_err() {
    let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
    out(&mut s);
    s.handle_input(0, b"STAT\r\nPASS x\r\nRETR 1\r\nFOO\r\nCAPA\r\n");
    let o = out(&mut s);
    assert_eq!(o.matches("-ERR").count(), 4, "{o}");
    assert!(o.contains("+OK Capability list follows\r\nTOP\r\n") && o.contains("\r\nUSER\r\nSASL PLAIN LOGIN\r\n"));
    s.handle_input(0, b"USER bob\r\nPASS bad\r\n");
    assert!(matches!(s.poll_event(), Some(Pop3ServerEvent::LoginRequested { .. })));
    s.deny("[AUTH] invalid user name or password");
    assert!(out(&mut s).ends_with("-ERR [AUTH] invalid user name or password\r\n"));
    assert_eq!(s.state(), Pop3State::Authorization.view());
}

#[test]
fn top_gives_headers_and_some_lines() {
    let mut s = logged_in(&["Subject: x\r\n\r\nl1\r\nl2\r\nl3\r\n"]);
    s.handle_input(0, b"TOP 1 1\r\nTOP 1 0\r\n");
    assert_eq!(out(&mut s), "+OK top of message follows\r\nSubject: x\r\n\r\nl1\r\n.\r\n+OK top of message follows\r\nSubject: x\r\n\r\n.\r\n");
}

#[test]
fn input_split_at_every_byte_gives_the_same_output() {
    let input = b"STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n";
    let run = |cut: usize| {
        let mut s = logged_in(&["Subject: x\r\n\r\n.hi\r\n"]);
        s.handle_input(0, &input[..cut]);
        s.handle_input(0, &input[cut..]);
        (out(&mut s), std::iter::from_fn(|| s.poll_event()).collect::<Vec<_>>())
    };
    let whole = run(input.len());
    for cut in 0..input.len() {
        assert_eq!(run(cut), whole);
    }
}

mod apop_tests {
    use super::*;

    /// RFC 1939 §7's example: the digest of "<1896.697170952@dbc.mtview.ca.us>tanstaaf".
    #[test]
    fn rfc1939_apop_example_and_stls() {
        assert_eq!(
            crate::pop3::apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
        let mut s = Pop3Server::new(
            Pop3Config {
                timestamp: Some("<1896.697170952@dbc.mtview.ca.us>".into()),
                stls: true,
                ..Pop3Config::new("dbc")
            },
            0,
        );
        let greet: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert_eq!(greet, "+OK dbc POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
        s.handle_input(0, b"STLS\r\n");
        assert_eq!(s.poll_event(), Some(Pop3ServerEvent::TlsStarted));
        s.handle_input(0, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
        assert_eq!(
            s.poll_event(),
            Some(Pop3ServerEvent::ApopRequested {
                user: "mrose".into(),
                digest: "c4c9334bac560ecc979e58001b3e22fb".into(),
                timestamp: "<1896.697170952@dbc.mtview.ca.us>".into()
            })
        );
        s.grant(vec![]);
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert!(
            out.contains("+OK Begin TLS negotiation\r\n")
                && out.ends_with("+OK mrose's maildrop has 0 messages (0 octets)\r\n"),
            "{out}"
        );
    }
}

mod sasl_and_tls {
    use super::*;

    fn fresh(config: Pop3Config) -> Pop3Server {
        let mut s = Pop3Server::new(config, 0);
        out(&mut s);
        s
    }

    fn login_asked(s: &mut Pop3Server) -> Option<(String, String)> {
        match s.poll_event() {
            Some(Pop3ServerEvent::LoginRequested { user, pass }) => Some((user, pass)),
            _ => None,
        }
    }

    #[test]
    fn auth_plain_with_and_without_an_initial_response() {
        // base64("\0bob\0secret") and base64("bob\0bob\0secret")
        for input in ["AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n", "AUTH PLAIN\r\nYm9iAGJvYgBzZWNyZXQ=\r\n"] {
            let mut s = fresh(Pop3Config::new("h"));
            s.handle_input(0, input.as_bytes());
            assert_eq!(login_asked(&mut s), Some(("bob".into(), "secret".into())), "{input}");
            s.grant(drop_of(&["a\r\n"]));
            let o = out(&mut s);
            assert!(o.ends_with("+OK bob's maildrop has 1 message (3 octets)\r\n"), "{o}");
            assert_eq!(o.starts_with("+ \r\n"), input.contains("\r\nYm"), "{o}");
            assert_eq!(s.state(), Pop3State::Transaction.view());
        }
    }

    #[test]
    fn auth_login_asks_for_user_then_password() {
        let mut s = fresh(Pop3Config::new("h"));
        s.handle_input(0, b"auth login\r\nYm9i\r\n");
        assert_eq!(out(&mut s), "+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n");
        s.handle_input(0, b"c2VjcmV0\r\n");
        assert_eq!(login_asked(&mut s), Some(("bob".into(), "secret".into())));
        s.deny("[AUTH] invalid user name or password");
        assert_eq!(out(&mut s), "-ERR [AUTH] invalid user name or password\r\n");
        assert_eq!(s.state(), Pop3State::Authorization.view());
        // The response received is shown as a SASL line, not as an unknown command.
        let received: Vec<Pdu> = std::iter::from_fn(|| s.poll_received()).map(|t| t.pdu).collect();
        assert_eq!(received[1], Pdu::Pop3Command(Command::SaslResponse("Ym9i".into())));
    }

    #[test]
    fn auth_failures_cancel_and_the_mechanism_list() {
        let mut s = fresh(Pop3Config::new("h"));
        s.handle_input(
            0,
            b"AUTH PLAIN\r\n*\r\nAUTH PLAIN !!!\r\nAUTH CRAM-MD5\r\nAUTH PLAIN Ym9iAHNlY3JldA==\r\nAUTH\r\n",
        );
        let o = out(&mut s);
        let lines: Vec<&str> = o.split("\r\n").collect();
        assert_eq!(lines[0], "+ ");
        assert!(lines[1].starts_with("-ERR AUTH cancelled"), "{o}");
        assert!(lines[2].starts_with("-ERR AUTH failed: the response is not valid base64"), "{o}");
        assert!(lines[3].starts_with("-ERR Unsupported authentication mechanism CRAM-MD5"), "{o}");
        assert!(lines[4].starts_with("-ERR [AUTH] AUTH PLAIN expects"), "{o}");
        assert_eq!(&lines[5..], ["+OK Supported SASL mechanisms follow", "PLAIN", "LOGIN", ".", ""]);
        assert_eq!(s.poll_event(), None);
        // A response line that never ends is cut off, and the session goes on.
        s.handle_input(0, b"AUTH PLAIN\r\n");
        s.handle_input(0, &vec![b'A'; auth::MAX_SASL_LINE + 1]);
        assert!(out(&mut s).ends_with("-ERR AUTH failed: response line too long\r\n"));
        s.handle_input(0, b"AAAA\r\nNOOP\r\n");
        assert!(out(&mut s).starts_with("-ERR not logged in"), "the long line's end is skipped, NOOP is a command");
    }

    #[test]
    fn without_tls_passwords_wait_for_stls_where_the_owner_says_so() {
        let config = Pop3Config { stls: true, plaintext_auth: false, ..Pop3Config::new("h") };
        let mut s = fresh(config);
        s.handle_input(0, b"AUTH\r\n");
        assert_eq!(out(&mut s), "+OK Supported SASL mechanisms follow\r\n.\r\n", "none usable before TLS");
        s.handle_input(0, b"CAPA\r\nUSER bob\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n");
        let o = out(&mut s);
        assert_eq!(
            o.split("\r\n").take(8).collect::<Vec<_>>(),
            [
                "+OK Capability list follows",
                "TOP",
                "UIDL",
                "RESP-CODES",
                "AUTH-RESP-CODE",
                "PIPELINING",
                "STLS",
                "IMPLEMENTATION Mailsim"
            ]
        );
        assert_eq!(o.matches("-ERR [AUTH] Plaintext authentication disallowed").count(), 2, "{o}");
        assert_eq!(s.poll_event(), None);
        s.handle_input(0, b"STLS\r\n");
        assert_eq!(s.poll_event(), Some(Pop3ServerEvent::TlsStarted));
        assert_eq!(out(&mut s), "+OK Begin TLS negotiation\r\n");
        s.handle_input(0, b"CAPA\r\nUSER bob\r\nPASS secret\r\n");
        let o = out(&mut s);
        assert!(o.contains("USER\r\nSASL PLAIN LOGIN\r\nIMPLEMENTATION Mailsim\r\n.\r\n"), "{o}");
        assert!(!o.contains("STLS"), "no STLS once inside TLS (RFC 2595 §4): {o}");
        assert_eq!(login_asked(&mut s), Some(("bob".into(), "secret".into())));
    }

    #[test]
    fn implicit_tls_offers_no_stls_and_takes_passwords() {
        let config = Pop3Config { stls: true, plaintext_auth: false, implicit_tls: true, ..Pop3Config::new("h") };
        let mut s = fresh(config);
        assert!(s.is_tls());
        s.handle_input(0, b"CAPA\r\nSTLS\r\nUSER bob\r\n");
        let o = out(&mut s);
        assert!(!o.contains("\r\nSTLS\r\n") && o.contains("SASL PLAIN LOGIN"), "{o}");
        assert!(o.contains("-ERR STLS is not available") && o.ends_with("+OK bob accepted: send PASS\r\n"), "{o}");
    }

    #[test]
    fn last_is_refused_with_the_reason_in_every_state() {
        let mut s = fresh(Pop3Config::new("h"));
        s.handle_input(0, b"LAST\r\n");
        let o = out(&mut s);
        assert!(o.starts_with("-ERR LAST is obsolete: RFC 1725 removed it") && o.contains("UIDL"), "{o}");
        let mut s = logged_in(&["a\r\n"]);
        s.handle_input(0, b"LAST\r\n");
        assert!(out(&mut s).starts_with("-ERR LAST is obsolete"));
        let ex = Pdu::Pop3Command(Command::Last).explain();
        assert!(ex.rfc.contains("RFC 1725"), "{ex:?}");
    }

    #[test]
    fn uidl_ids_carry_uid_and_uidvalidity() {
        let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
        s.handle_input(0, b"USER bob\r\nPASS secret\r\n");
        s.set_uid_validity(0x6543_21AB);
        s.grant(drop_of(&["a\r\n", "b\r\n"]));
        out(&mut s);
        s.handle_input(0, b"UIDL\r\nUIDL 2\r\n");
        assert_eq!(
            out(&mut s),
            "+OK unique-id listing follows\r\n1 0000000A654321AB\r\n2 0000000B654321AB\r\n.\r\n+OK 2 0000000B654321AB\r\n"
        );
    }

    #[test]
    fn a_person_typing_auth_plain_at_a_terminal() {
        use crate::pop3::typed::Pop3Typed;
        let lines = ["AUTH PLAIN", "AGJvYgBzZWNyZXQ=", "QUIT"].map(String::from).to_vec();
        let mut typed = Pop3Typed::new(lines);
        let mut server = Pop3Server::new(Pop3Config::new("h"), 0);
        let mut sent = Vec::new();
        for _ in 0..10 {
            while let Some(t) = server.poll_transmit() {
                typed.handle_input(0, &t.bytes);
            }
            while let Some(t) = typed.poll_transmit() {
                sent.push(t.pdu.clone());
                server.handle_input(0, &t.bytes);
            }
            if let Some(Pop3ServerEvent::LoginRequested { .. }) = server.poll_event() {
                server.grant(vec![]);
            }
        }
        assert_eq!(sent[1], Pdu::Pop3Command(Command::SaslResponse("AGJvYgBzZWNyZXQ=".into())));
        assert_eq!(sent[2], Pdu::Pop3Line { cmd: Command::Quit, line: "QUIT".into() });
        assert_eq!(sent[0].explain().label, "AUTH PLAIN");
        assert!(typed.is_closed());
    }

    /// A typed command's label is the line as sent: `user bob` stays lower case (F2).
    #[test]
    fn a_typed_command_is_labelled_as_typed() {
        use crate::pop3::typed::Pop3Typed;
        let mut typed = Pop3Typed::new(vec!["user bob".into(), "Quit".into()]);
        typed.handle_input(0, b"+OK ready\r\n");
        let t = typed.poll_transmit().unwrap();
        assert_eq!(t.bytes, b"user bob\r\n");
        assert_eq!(t.pdu.explain().label, "user bob");
        assert!(t.pdu.explain().rfc.contains("RFC 1939"));
        typed.handle_input(0, b"+OK bob\r\n");
        assert_eq!(typed.poll_transmit().unwrap().pdu.explain().label, "Quit");
    }

    #[test]
    fn every_new_line_has_an_explanation_naming_its_rfc() {
        let cases = [
            Pdu::Pop3Command(Command::Auth(None, None)),
            Pdu::Pop3Command(Command::Auth(Some("PLAIN".into()), Some("AGJvYgBzZWNyZXQ=".into()))),
            Pdu::Pop3Command(Command::Auth(Some("LOGIN".into()), None)),
            Pdu::Pop3Command(Command::SaslResponse("Ym9i".into())),
            Pdu::Pop3Command(Command::SaslResponse("*".into())),
            Pdu::Pop3Response { response: Response::challenge("VXNlcm5hbWU6"), to: Pop3ReplyTo::AuthChallenge },
            Pdu::Pop3Response { response: Response::ok("bob's maildrop has 0 messages"), to: Pop3ReplyTo::Auth },
            Pdu::Pop3Response { response: Response::multi("list", b"PLAIN\r\n".to_vec()), to: Pop3ReplyTo::AuthList },
            Pdu::Pop3Response {
                response: Response::err(
                    "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections",
                ),
                to: Pop3ReplyTo::Pass,
            },
        ];
        for pdu in cases {
            let ex = pdu.explain();
            assert!(ex.rfc.starts_with("RFC "), "{pdu:?}: {ex:?}");
            assert!(!ex.meaning.is_empty() && !ex.label.is_empty(), "{pdu:?}");
        }
        let ex = Pdu::Pop3Command(Command::SaslResponse("Ym9i".into())).explain();
        assert!(ex.meaning.contains("\"bob\""), "{ex:?}");
        let ex = Pdu::Pop3Response { response: Response::challenge("VXNlcm5hbWU6"), to: Pop3ReplyTo::AuthChallenge }
            .explain();
        assert!(ex.meaning.contains("Username:") && ex.label == "+ VXNlcm5hbWU6", "{ex:?}");
    }
}

/// Response text is ASCII (RFC 2449 §9: `CHAR` is 7-bit): the refusals that cited a section as
/// `§` (UTF-8 on the wire) write "section" (live20's walk-through).
#[test]
fn responses_that_cite_an_rfc_are_ascii() {
    let long = "X".repeat(300);
    for input in [
        vec![format!("{long}\r\n")],
        vec![long.clone(), "\r\n".into()],
        vec!["AUTH PLAIN\r\n".into(), "!!not base64!!\r\n".into()],
        // "no nul here", in base64: not authzid NUL authcid NUL password.
        vec!["AUTH PLAIN bm8gbnVsIGhlcmU=\r\n".into()],
    ] {
        let mut s = Pop3Server::new(Pop3Config::new("mail.bob.example"), 0);
        out(&mut s);
        for piece in &input {
            s.handle_input(0, piece.as_bytes());
        }
        let o = out(&mut s);
        assert!(o.is_ascii() && o.contains("-ERR") && o.contains("RFC"), "{input:?}: {o}");
    }
}

/// What a response echoes of the client's own bytes (a user name or a verb typed in UTF-8 or
/// Latin-1, a control character) reaches the client as printable ASCII (RFC 2449 section 9:
/// `CHAR` is 7-bit, `CTL` excluded): found typing into `mailsim serve`'s POP3 port.
#[test]
fn echoed_client_bytes_are_printable_ascii() {
    let mut s = Pop3Server::new(Pop3Config::new("mail.bob.example"), 0);
    out(&mut s);
    for line in [&b"FR\xc3\xa9B\r\n"[..], b"FR\x01B\r\n", b"USER \xc3\xa9\r\n"] {
        s.handle_input(0, line);
    }
    let o = out(&mut s);
    assert!(o.bytes().all(|b| b == b' ' || b == b'\r' || b == b'\n' || b.is_ascii_graphic()), "{o:?}");
    assert!(o.contains("-ERR unknown command \"FR?B\"\r\n-ERR unknown command \"FR?B\"\r\n+OK ? accepted"), "{o}");
}
