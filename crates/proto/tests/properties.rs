//! Properties of the codecs (issue 13): decoding what was encoded gives it back, using every
//! byte, and every proper prefix of an encoding is `Incomplete` (a unit is never taken before
//! its last byte arrived, wherever the network cut it). The engines' side of "split
//! anywhere" is in crates/sim/tests/properties.rs, where the mail host drives them.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use mailsim_proto::dns::{DnsMessage, Question, RData, Record, TYPE_A, TYPE_MX};
use mailsim_proto::http::{self, url_decode, url_encode, HttpMessage};
use mailsim_proto::imap::scram::{ScramClient, ScramServer};
use mailsim_proto::pop3::{self, Response};
use mailsim_proto::smtp::{self, Reply};
use mailsim_proto::Decoded;
use proptest::collection::vec;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

/// `decode(encode(x)) == x` using all of it, and every proper prefix is `Incomplete`.
fn round_trip<T: PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    value: &T,
    wire: &[u8],
    decode: impl Fn(&[u8]) -> Decoded<T, E>,
) -> Result<(), TestCaseError> {
    match decode(wire) {
        Decoded::Complete(v, used) => {
            prop_assert_eq!(&v, value, "{:?}", String::from_utf8_lossy(wire));
            prop_assert_eq!(used, wire.len());
        }
        other => prop_assert!(false, "{:?} reads as {:?}", String::from_utf8_lossy(wire), other),
    }
    for cut in 0..wire.len() {
        let d = decode(&wire[..cut]);
        prop_assert!(matches!(d, Decoded::Incomplete), "prefix {:?} reads as {:?}", &wire[..cut], d);
    }
    Ok(())
}

fn domain() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z][a-z0-9]{0,8}){1,3}"
}

fn address() -> impl Strategy<Value = String> {
    ("[a-z0-9+_-]{1,8}(\\.[a-z0-9+_-]{1,6}){0,2}", domain()).prop_map(|(l, d)| format!("{l}@{d}"))
}

fn smtp_command() -> impl Strategy<Value = smtp::Command> {
    use smtp::Command as C;
    let param = prop_oneof![
        (1u32..50_000_000).prop_map(|n| format!("SIZE={n}")),
        Just("BODY=8BITMIME".to_string()),
        Just("SMTPUTF8".to_string()),
    ];
    prop_oneof![
        domain().prop_map(|domain| C::Helo { domain }),
        domain().prop_map(|domain| C::Ehlo { domain }),
        (address(), vec(param.clone(), 0..3)).prop_map(|(from, params)| C::Mail { from, params }),
        Just(C::Mail { from: String::new(), params: vec![] }),
        (address(), vec(param, 0..2)).prop_map(|(to, params)| C::Rcpt { to, params }),
        Just(C::Data),
        Just(C::Rset),
        Just(C::Noop),
        Just(C::Quit),
        Just(C::StartTls),
        "[a-z]{1,12}".prop_map(|what| C::Vrfy { what }),
        ("PLAIN|LOGIN", proptest::option::of("[A-Za-z0-9+/]{4,40}={0,2}"))
            .prop_map(|(mechanism, initial)| C::Auth { mechanism, initial }),
    ]
}

fn pop3_command() -> impl Strategy<Value = pop3::Command> {
    use pop3::Command as C;
    prop_oneof![
        "[a-z][a-z0-9.@]{0,20}".prop_map(C::User),
        "[!-~]{1,30}".prop_map(C::Pass),
        Just(C::Stat),
        proptest::option::of(1u32..100_000).prop_map(C::List),
        (1u32..100_000).prop_map(C::Retr),
        (1u32..100_000).prop_map(C::Dele),
        Just(C::Noop),
        Just(C::Rset),
        Just(C::Quit),
        (1u32..1000, 0u32..1000).prop_map(|(n, l)| C::Top(n, l)),
        proptest::option::of(1u32..100_000).prop_map(C::Uidl),
        Just(C::Capa),
        ("[a-z]{1,10}", "[0-9a-f]{32}").prop_map(|(n, d)| C::Apop(n, d)),
        Just(C::Stls),
    ]
}

/// Printable text without CR and LF, as a reply or status line holds.
fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,60}"
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn smtp_commands_round_trip(cmd in smtp_command()) {
        round_trip(&cmd, &cmd.encode(), smtp::command::decode)?;
    }

    #[test]
    fn smtp_replies_round_trip(code in 200u16..600, lines in vec("[!-~][ -~]{0,50}", 1..5)) {
        let reply = Reply { code, lines };
        round_trip(&reply, &reply.encode(), smtp::reply::decode)?;
    }

    /// Any bytes at all: dot-stuffing is undone exactly, and only the final `.` line ends
    /// the data (a message line holding a dot is stuffed, RFC 5321 §4.5.2).
    #[test]
    fn mail_data_round_trips(message in vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), any::<u8>()], 0..300)) {
        let wire = smtp::data::encode(&message);
        let mut expected = message.clone();
        if !expected.is_empty() && !expected.ends_with(b"\r\n") {
            expected.extend_from_slice(b"\r\n");
        }
        match smtp::data::decode(&wire) {
            Decoded::Complete(m, used) => {
                prop_assert_eq!(m.message, expected);
                prop_assert_eq!(used, wire.len());
            }
            other => prop_assert!(false, "{:?}", other),
        }
        for cut in 0..wire.len() {
            prop_assert!(matches!(smtp::data::decode(&wire[..cut]), Decoded::Incomplete));
        }
    }

    /// The incremental DATA reader (what the server uses) agrees with the one-shot decoder,
    /// wherever the bytes were cut: same end, same message, same longest line and bare CR/LF.
    #[test]
    fn data_reader_split_anywhere_agrees_with_decode(
        wire in vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()], 0..200),
        cuts in vec(any::<usize>(), 0..8),
    ) {
        let mut wire = wire;
        wire.extend_from_slice(b"\r\n.\r\n");
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).chain([0, wire.len()]).collect();
        at.sort_unstable();
        at.dedup();
        let mut reader = smtp::data::DataReader::new(usize::MAX);
        let mut end = None;
        for w in at.windows(2) {
            if let Some(n) = reader.feed(&wire[w[0]..w[1]]) {
                end = Some(w[0] + n);
                break;
            }
        }
        match smtp::data::decode(&wire) {
            Decoded::Complete(m, used) => {
                prop_assert_eq!(end, Some(used));
                prop_assert_eq!(reader.finish(), m);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn pop3_commands_round_trip(cmd in pop3_command()) {
        round_trip(&cmd, &cmd.encode(), pop3::command::decode)?;
    }

    #[test]
    fn pop3_responses_round_trip(ok in any::<bool>(), text in text(), body in proptest::option::of(vec("[ -~]{0,30}", 0..6))) {
        let text = text.trim_start().to_string();
        let multiline = body.is_some() && ok;
        let r = match body {
            Some(lines) if ok => Response::multi(text, lines.iter().map(|l| format!("{l}\r\n")).collect::<String>().into_bytes()),
            _ if ok => Response::ok(text),
            _ => Response::err(text),
        };
        round_trip(&r, &r.encode(), |b| pop3::response::decode(b, multiline))?;
    }

    #[test]
    fn dns_messages_round_trip(
        id in any::<u16>(),
        name in domain(),
        mx in vec((any::<u16>(), domain(), any::<u32>()), 0..4),
        a in vec((any::<[u8; 4]>(), any::<u32>()), 0..3),
        rcode in 0u8..6,
    ) {
        let mut m = DnsMessage::query(id, &name, if a.is_empty() { TYPE_MX } else { TYPE_A });
        m.questions.push(Question { name: name.clone(), qtype: TYPE_MX });
        m.response = true;
        m.authoritative = true;
        m.rcode = rcode;
        m.answers = mx.into_iter().map(|(preference, exchange, ttl)| Record { name: name.clone(), ttl, data: RData::Mx { preference, exchange } }).collect();
        m.additional = a.into_iter().map(|(ip, ttl)| Record { name: name.clone(), ttl, data: RData::A(ip) }).collect();
        let wire = m.encode();
        prop_assert_eq!(DnsMessage::decode(&wire), Ok(m));
    }

    #[test]
    fn http_messages_round_trip(
        request in any::<bool>(),
        path in "/[a-z0-9/._-]{0,30}",
        headers in vec(("[A-Z][a-z]{1,10}(-[A-Z][a-z]{1,8})?", "[!-~]([ -~]{0,30}[!-~])?"), 0..5),
        body in vec(any::<u8>(), 0..200),
    ) {
        let mut headers: Vec<(String, String)> = headers.into_iter().filter(|(k, _)| !["content-length", "transfer-encoding", "host"].contains(&k.to_ascii_lowercase().as_str())).collect();
        if request {
            headers.push(("Host".into(), "www.example".into()));
        }
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let m = if request {
            HttpMessage::request("POST", &path, "HTTP/1.1", &h, &body)
        } else {
            HttpMessage::response("HTTP/1.1", 200, "OK", &h, &body)
        };
        round_trip(&m, &m.encode(), |b| http::decode(b, request))?;
    }

    #[test]
    fn url_encoding_round_trips(s in any::<String>()) {
        prop_assert_eq!(url_decode(&url_encode(&s)), s);
    }

    /// SCRAM-SHA-256 (RFC 5802 §5): with the same password both ends prove themselves; with
    /// another, the server refuses the proof.
    #[test]
    fn scram_ends_agree(user in "[a-z]{1,8}", pw in "[ -~]{1,20}", other in "[ -~]{1,20}", cnonce in "[A-Za-z0-9]{8,24}", snonce in "[A-Za-z0-9]{8,24}", salt in vec(any::<u8>(), 1..20)) {
        let mut client = ScramClient::new(&user, &pw, &cnonce);
        let (server, server_first) = ScramServer::start(&client.client_first(), &snonce, &salt, 64).expect("client-first reads");
        prop_assert_eq!(&server.user, &user);
        let client_final = client.client_final(&server_first).expect("server-first reads");
        let server_final = server.finish(&client_final, &pw).expect("the proof verifies");
        prop_assert!(client.verify_server_final(&server_final));
        if other != pw {
            prop_assert!(server.finish(&client_final, &other).is_err());
        }
    }
}

/// Found while writing the SCRAM fuzz target: the client computed whatever iteration count the
/// server sent (`i=4294967295`: hours of PBKDF2). It now refuses past MAX_SCRAM_ITERATIONS.
#[test]
fn scram_client_refuses_a_huge_iteration_count() {
    use mailsim_proto::imap::scram::MAX_SCRAM_ITERATIONS;
    let mut client = ScramClient::new("bob", "pw", "clientnonce");
    let start = std::time::Instant::now();
    assert_eq!(client.client_final("r=clientnoncesrv,s=c2FsdA==,i=4294967295"), None);
    assert_eq!(client.client_final(&format!("r=clientnoncesrv,s=c2FsdA==,i={}", MAX_SCRAM_ITERATIONS + 1)), None);
    assert_eq!(client.client_final("r=clientnoncesrv,s=c2FsdA==,i=0"), None);
    assert!(start.elapsed().as_secs() < 1);
    assert!(client.client_final("r=clientnoncesrv,s=c2FsdA==,i=4096").is_some());
}

/// Found by the `dns` fuzz target (fuzz/regressions/dns-label-not-text.bin): a name whose
/// labels held bytes that are not text was decoded lossily (U+FFFD, three octets each), and
/// a label length byte of 0x40..0xBF (reserved label types) was read as a length, so the
/// decoded message re-encoded to bytes that did not decode. Both are now refused.
#[test]
fn dns_names_that_cannot_be_written_back_are_refused() {
    let found = include_bytes!("../../../fuzz/regressions/dns-label-not-text.bin");
    if let Ok(m) = DnsMessage::decode(found) {
        assert_eq!(DnsMessage::decode(&m.encode()), Ok(m));
    }
    let mut q = DnsMessage::query(7, "bob.example", TYPE_MX).encode();
    let at = q.iter().position(|&b| b == b'b').unwrap();
    q[at] = 0xff;
    assert_eq!(DnsMessage::decode(&q), Err("a label that is not a host name".to_string()));
    let mut q = DnsMessage::query(7, "bob.example", TYPE_MX).encode();
    q[12] = 0x43;
    assert_eq!(DnsMessage::decode(&q), Err("unknown label type".to_string()));
}

/// Found by the `imap_client` fuzz target (fuzz/regressions/imap-client-literal-overflow.bin):
/// a server line announcing a literal of usize::MAX octets overflowed the client's framing
/// (a panic; in a release build, a wrapped index and an abort).
#[test]
fn imap_client_survives_a_literal_too_large_to_exist() {
    use mailsim_proto::imap::client::{ImapClient, ImapStep};
    use mailsim_proto::Engine;
    for input in [
        &include_bytes!("../../../fuzz/regressions/imap-client-literal-overflow.bin")[2..],
        &b"* OK ready\r\n* 1 FETCH (BODY[] {18446744073709551615}\r\nabc\r\n"[..],
        &b"* OK ready\r\n* 1 FETCH (BODY[] {99999999999}\r\nabc\r\na1 OK done\r\n"[..],
    ] {
        let mut c = ImapClient::new(vec![ImapStep::Line("a1 NOOP".into()), ImapStep::Line("a2 LOGOUT".into())]);
        c.handle_input(0, input);
        while c.poll_transmit().is_some() {}
        while c.poll_event().is_some() {}
    }
}

/// Found by the `imap_client` fuzz target (fuzz/regressions/imap-client-done-after-close.bin):
/// the client wrote `DONE` after its session was over. Now nothing comes out once it is closed.
#[test]
fn imap_client_writes_nothing_after_it_closed() {
    use mailsim_proto::imap::client::{ImapClient, ImapStep};
    use mailsim_proto::Engine;
    let input = &include_bytes!("../../../fuzz/regressions/imap-client-done-after-close.bin")[2..];
    let steps = vec![
        ImapStep::Scram { tag: "a1".into(), user: "bob".into(), password: "pw".into(), nonce: "abc".into() },
        ImapStep::Line("a2 SELECT INBOX".into()),
        ImapStep::Line("a3 FETCH 1:* (FLAGS BODY.PEEK[])".into()),
        ImapStep::IdleUntilNews("a4".into()),
        ImapStep::Line("a5 LOGOUT".into()),
    ];
    let mut c = ImapClient::new(steps);
    for byte in input.chunks(1) {
        let closed = c.is_closed();
        c.handle_input(0, byte);
        let mut out = Vec::new();
        while let Some(t) = c.poll_transmit() {
            out.extend(t.bytes);
        }
        assert!(!closed || out.is_empty(), "{:?} after close", String::from_utf8_lossy(&out));
    }
}

/// Found by the `smtp_command` fuzz target (fuzz/regressions/smtp-command-path-then-text.bin):
/// `MAIL FROM:<>''2 ...` was read as the path `<>` and a parameter `''2`, and written back as
/// `MAIL FROM:<> ''2 ...`: one octet longer, so a 512-octet line came back too long to read.
/// RFC 5321 §4.1.1.2 and §4.1.1.3 put a space between the path and the parameters.
#[test]
fn smtp_a_path_with_text_right_after_it_is_a_syntax_error() {
    use mailsim_proto::smtp::command::{decode, Command};
    let line = include_bytes!("../../../fuzz/regressions/smtp-command-path-then-text.bin");
    assert_eq!(line.len(), 512);
    for bad in
        [&line[..], b"MAIL FROM:<>x\r\n", b"MAIL FROM:<a@b.example>SIZE=10\r\n", b"RCPT TO:<bob@bob.example>x\r\n"]
    {
        match decode(bad) {
            Decoded::Invalid(e, n) => assert_eq!((e.code, n), (501, bad.len()), "{}", String::from_utf8_lossy(bad)),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(bad)),
        }
    }
    let params = vec!["SIZE=10".to_string()];
    for (good, from) in
        [(&b"MAIL FROM:<a@b.example> SIZE=10\r\n"[..], "a@b.example"), (b"MAIL FROM:<> SIZE=10\r\n", "")]
    {
        let Decoded::Complete(cmd, n) = decode(good) else { panic!("{}", String::from_utf8_lossy(good)) };
        assert_eq!((cmd.clone(), n), (Command::Mail { from: from.into(), params: params.clone() }, good.len()));
        assert_eq!(cmd.encode(), good);
    }
    let Decoded::Complete(cmd, _) = decode(b"RCPT TO:<bob@bob.example>\r\n") else { panic!() };
    assert_eq!(cmd, Command::Rcpt { to: "bob@bob.example".into(), params: vec![] });
}

/// Found by the `imap_session` fuzz target (seventh run, after 746,669 executions of its second
/// process; fuzz/regressions/imap-session-uid-authenticate.bin): `UID  AUTHENTICATE PLAIN`
/// was read as AUTHENTICATE, whatever command followed `UID` was; the server sent `+ ` and
/// waited for a SASL response, so the command got no tagged reply (RFC 9051 §2.2.2). Only
/// FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE (§6.4.9) and SORT, THREAD (RFC 5256 §3) take the
/// prefix; after it anything else is `BAD`, at once.
#[test]
fn imap_uid_prefixes_only_the_commands_that_have_uid_forms() {
    use mailsim_proto::imap::command::decode;
    let mut imap = support::ImapSession::selected(support::store_with(&[b"Subject: x\r\n\r\nx\r\n"]));
    for line in [
        "t000 UID  AUTHENTICATE PLAIN",
        "t001 UID AUTHENTICATE PLAIN",
        "t002 UID LOGIN bob pw",
        "t003 UID NOOP",
        "t004 UID IDLE",
        "t005 UID UID FETCH 1 FLAGS",
        "t006 uid select INBOX",
        "t007 UID LOGOUT",
    ] {
        let wire = format!("{line}\r\n");
        assert!(matches!(decode(wire.as_bytes()), Decoded::Invalid(..)), "{line}");
        let out = imap.text(wire.as_bytes());
        assert!(out.starts_with(&format!("{} BAD ", &line[..4])) && out.matches("\r\n").count() == 1, "{line}: {out}");
    }
    for line in [
        "t100 UID FETCH 1 FLAGS",
        "t101 uid store 1 +FLAGS (\\Seen)",
        "t102 UID SEARCH ALL",
        "t103 UID COPY 1 Trash",
        "t104 UID SORT (DATE) UTF-8 ALL",
        "t105 UID THREAD REFERENCES UTF-8 ALL",
        "t106 UID MOVE 1 Trash",
        "t107 UID EXPUNGE 1",
    ] {
        let out = imap.text(format!("{line}\r\n").as_bytes());
        assert!(out.contains(&format!("{} OK ", &line[..4])), "{line}: {out}");
    }
}
