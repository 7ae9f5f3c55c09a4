//! The POP3 server on its own: the RFC 1939 examples, deletions at UPDATE only, APOP
//! and STLS.

use super::*;

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
    assert!(o.contains("+OK Capability list follows\r\nUSER\r\n"));
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
