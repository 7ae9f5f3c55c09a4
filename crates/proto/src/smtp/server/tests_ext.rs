//! The extensions: SMTPUTF8 (RFC 6531), CHUNKING/BINARYMIME (RFC 3030), DSN (RFC 3461), and
//! an audit of the enhanced status codes (RFC 2034, 3463) on every reply path.

use super::tests::config;
use super::*;
use crate::engine::Engine;
use crate::pdu::Pdu;
use crate::smtp::command::Command;
use crate::smtp::params::{Body, Notify, Ret};

/// Every reply as (code, first line), and the received units' wire bytes.
fn replies(s: &mut SmtpServer) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit() {
        if let Pdu::SmtpReply { reply, .. } = t.pdu {
            out.push((reply.code, reply.lines.first().cloned().unwrap_or_default()))
        }
    }
    out
}

fn server() -> SmtpServer {
    let mut s = SmtpServer::new(config(Role::Relay), 0);
    replies(&mut s);
    s
}

fn codes_of(r: &[(u16, String)]) -> Vec<u16> {
    r.iter().map(|(c, _)| *c).collect()
}

fn received(s: &mut SmtpServer) -> ReceivedMessage {
    match s.poll_event() {
        Some(ServerEvent::MessageReceived(m)) => m,
        other => panic!("no message: {other:?}"),
    }
}

#[test]
fn ehlo_advertises_the_extensions() {
    let mut s = server();
    s.handle_input(0, b"EHLO c.example\r\n");
    let mut lines = Vec::new();
    while let Some(t) = s.poll_transmit() {
        if let Pdu::SmtpReply { reply, .. } = t.pdu {
            lines = reply.lines;
        }
    }
    for ext in ["ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", "BINARYMIME", "PIPELINING"] {
        assert!(lines.iter().any(|l| l == ext), "{ext} in {lines:?}");
    }
}

#[test]
fn smtputf8_addresses_need_the_parameter() {
    let mut s = server();
    s.handle_input(0, "EHLO c.example\r\nMAIL FROM:<jos\u{e9}@c.example>\r\n".as_bytes());
    let r = replies(&mut s);
    assert_eq!(r[1].0, 553);
    assert!(r[1].1.starts_with("5.6.7 "), "{r:?}");
    s.handle_input(0, b"MAIL FROM:<a@c.example>\r\n");
    s.handle_input(0, "RCPT TO:<b\u{f6}b@bob.example>\r\n".as_bytes());
    let r = replies(&mut s);
    assert_eq!((r[1].0, &r[1].1[..5]), (553, "5.6.7"), "{r:?}");
    s.handle_input(0, b"RSET\r\n");
    let mut cfg = config(Role::Relay);
    cfg.local_users = cfg.local_users.iter().cloned().chain(["b\u{f6}b@bob.example".to_string()]).collect();
    let mut s = SmtpServer::new(cfg, 0);
    let msg = "EHLO c.example\r\nMAIL FROM:<jos\u{e9}@c.example> SMTPUTF8\r\nRCPT TO:<b\u{f6}b@bob.example>\r\nDATA\r\nSubject: caf\u{e9}\r\n\r\nhi\r\n.\r\n";
    s.handle_input(0, msg.as_bytes());
    assert_eq!(codes_of(&replies(&mut s)), vec![220, 250, 250, 250, 354]);
    let m = received(&mut s);
    assert!(m.params.smtputf8);
    assert_eq!(m.rcpt_to, vec!["b\u{f6}b@bob.example".to_string()]);
    assert_eq!(m.data, "Subject: caf\u{e9}\r\n\r\nhi\r\n".as_bytes());
}

#[test]
fn bdat_reads_exactly_the_chunk_size_pipelined_and_binary() {
    let mut s = server();
    // Chunks hold ".\r\n" and a line that looks like a command: it is all data.
    let wire = b"EHLO c.example\r\nMAIL FROM:<a@c.example> BODY=BINARYMIME\r\nRCPT TO:<bob@bob.example>\r\nBDAT 9\r\n.\r\nQUIT\r\nBDAT 5 LAST\r\n\x00\xff\r\x0a\x0aNOOP\r\n";
    s.handle_input(0, wire);
    let r = replies(&mut s);
    assert_eq!(codes_of(&r), vec![250, 250, 250, 250]);
    assert!(r[3].1.starts_with("2.0.0 9 octets"), "{r:?}");
    let m = received(&mut s);
    assert_eq!(m.data, b".\r\nQUIT\r\n\x00\xff\r\n\n");
    assert_eq!(m.params.body, Body::BinaryMime);
    s.accept_message("Q1");
    assert_eq!(codes_of(&replies(&mut s)), vec![250, 250], "the LAST chunk's 250, then NOOP's");
    let units: Vec<Pdu> = std::iter::from_fn(|| s.poll_received()).map(|t| t.pdu).collect();
    assert!(units.contains(&Pdu::SmtpCommand(Command::Bdat { size: 5, last: true })));
}

#[test]
fn bdat_split_at_every_byte_gives_the_same_message() {
    let wire = b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<bob@bob.example>\r\nBDAT 12\r\nSubject: x\r\nBDAT 0\r\nBDAT 6 LAST\r\n\r\nhi\r\n";
    for cut in 0..wire.len() {
        let mut s = server();
        s.handle_input(0, &wire[..cut]);
        s.handle_input(0, &wire[cut..]);
        assert_eq!(codes_of(&replies(&mut s)), vec![250, 250, 250, 250, 250], "cut at {cut}");
        assert_eq!(received(&mut s).data, b"Subject: x\r\n\r\nhi\r\n", "cut at {cut}");
    }
}

#[test]
fn bdat_errors_come_after_the_chunk() {
    // Out of sequence: 503 after the 5 octets are read (they are not commands).
    let mut s = server();
    s.handle_input(0, b"EHLO c.example\r\nBDAT 6 LAST\r\nQUIT\r\nNOOP\r\n");
    let r = replies(&mut s);
    assert_eq!(codes_of(&r), vec![250, 503, 250]);
    assert!(r[1].1.starts_with("5.5.1 "));
    // No valid recipient: 554, and the transaction is over: the next chunk is 503.
    let mut s = server();
    s.handle_input(
        0,
        b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<x@bob.example>\r\nBDAT 3\r\nabcBDAT 1 LAST\r\nz",
    );
    assert_eq!(codes_of(&replies(&mut s)), vec![250, 250, 550, 554, 503]);
    // DATA after BDAT in one transaction: 503 5.5.1 (RFC 3030 §2).
    let mut s = server();
    s.handle_input(
        0,
        b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<bob@bob.example>\r\nBDAT 2\r\nabDATA\r\n",
    );
    let r = replies(&mut s);
    assert_eq!(codes_of(&r), vec![250, 250, 250, 250, 503]);
    assert!(r[4].1.starts_with("5.5.1 DATA after BDAT"));
    // BODY=BINARYMIME with DATA: 503 (RFC 3030 §3).
    let mut s = server();
    s.handle_input(
        0,
        b"EHLO c.example\r\nMAIL FROM:<a@c.example> BODY=BINARYMIME\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\n",
    );
    assert_eq!(codes_of(&replies(&mut s)), vec![250, 250, 250, 503]);
}

#[test]
fn bdat_over_the_size_limit_is_read_then_refused_with_552() {
    let mut s = server(); // limit 1000, kept up to 1000 + 64 KiB
    s.handle_input(0, b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<bob@bob.example>\r\n");
    let big = 200 * 1024;
    s.handle_input(0, format!("BDAT {big} LAST\r\n").as_bytes());
    for _ in 0..big / 1024 {
        s.handle_input(0, &[b'x'; 1024]);
    }
    s.handle_input(0, b"NOOP\r\n");
    let r = replies(&mut s);
    assert_eq!(codes_of(&r), vec![250, 250, 250, 552, 250]);
    assert!(r[3].1.starts_with("5.3.4 "));
    assert!(s.poll_event().is_none());
    // A message over the limit but within the kept slack: 552 5.3.4 at LAST as well.
    let mut s = server();
    s.handle_input(0, b"EHLO c.example\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<bob@bob.example>\r\nBDAT 1001 LAST\r\n");
    s.handle_input(0, &[b'y'; 1001]);
    assert_eq!(codes_of(&replies(&mut s)), vec![250, 250, 250, 552]);
}

#[test]
fn dsn_parameters_are_checked_and_carried() {
    let mut s = server();
    s.handle_input(
        0,
        b"EHLO c.example\r\nMAIL FROM:<a@c.example> RET=HDRS ENVID=QQ+2B1\r\nRCPT TO:<bob@bob.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@bob.example\r\nRCPT TO:<bob@bob.example> NOTIFY=NEVER,DELAY\r\nRCPT TO:<bob@bob.example> ORCPT=rfc822\r\nDATA\r\nSubject: s\r\n\r\n.\r\n",
    );
    let r = replies(&mut s);
    assert_eq!(codes_of(&r), vec![250, 250, 250, 501, 501, 354]);
    assert!(r[3].1.starts_with("5.5.4 ") && r[4].1.starts_with("5.5.4 "), "{r:?}");
    let m = received(&mut s);
    assert_eq!((m.params.ret, m.params.envid.as_deref()), (Some(Ret::Hdrs), Some("QQ+1")));
    let p = m.rcpt_params_of("bob@bob.example");
    assert_eq!(p.notify, Some(Notify { success: true, failure: true, delay: false }));
    assert_eq!(p.orcpt, Some(("rfc822".into(), "Bob@bob.example".into())));
    let mut s = server();
    s.handle_input(0, b"EHLO c.example\r\nMAIL FROM:<a@c.example> RET=SOME\r\nMAIL FROM:<a@c.example> FOO=1\r\n");
    assert_eq!(codes_of(&replies(&mut s)), vec![250, 501, 555]);
}

/// RFC 2034 §3 / RFC 3463: every 2yz, 4yz and 5yz reply after EHLO (except EHLO's own
/// reply) starts with an enhanced status code of the same class.
#[test]
fn every_reply_carries_an_enhanced_code_of_its_class() {
    let sessions: Vec<(ServerConfig, Vec<&[u8]>)> = {
        let mut relay = config(Role::Relay);
        relay.rules.max_errors = 1000;
        let sub = config(Role::Submission);
        let mut tls_sub = config(Role::Submission);
        tls_sub.trusted_peer = false;
        tls_sub.require_tls = true;
        tls_sub.starttls = true;
        let mut odd = config(Role::Relay);
        odd.rules.low_disk = true;
        odd.rules.forwards = vec![
            ("old@bob.example".into(), "new@x.example".into(), true),
            ("gone@bob.example".into(), "n@y.example".into(), false),
        ];
        odd.rules.tls_temporarily_unavailable = true;
        odd.starttls = true;
        odd.require_tls_inbound = false;
        let mut refuse = config(Role::Relay);
        refuse.rules.refuse_all = true;
        let mut enc = config(Role::Relay);
        enc.require_tls_inbound = true;
        let mut weak = config(Role::Submission);
        weak.rules.login_too_weak = true;
        weak.rules.password_transition = vec!["bob@bob.example".into()];
        let mut few = config(Role::Relay);
        few.rules.max_errors = 2;
        vec![
            (few, vec![b"EHLO c.example\r\n", b"FROB\r\n", b"FROB\r\n"]),
            (
                relay.clone(),
                vec![
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"EHLO c.example\r\n",
                    b"RCPT TO:<bob@bob.example>\r\n",
                    b"DATA\r\n",
                    b"MAIL FROM:<a@c.example> SIZE=99999\r\n",
                    b"MAIL FROM:<a@c.example> SIZE=x\r\n",
                    b"MAIL FROM:<a@c.example> FOO\r\n",
                    b"MAIL FROM:<a@c.example> RET=X\r\n",
                    "MAIL FROM:<\u{e9}@c.example>\r\n".as_bytes(),
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"DATA\r\n",
                    b"RCPT TO:<x@bob.example>\r\n",
                    b"RCPT TO:<x@far.example>\r\n",
                    b"RCPT TO:<bob@bob.example> NOTIFY=X\r\n",
                    b"RCPT TO:<bob@bob.example> FOO=1\r\n",
                    "RCPT TO:<\u{e9}@bob.example>\r\n".as_bytes(),
                    b"BDAT 1\r\nx",
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"RCPT TO:<bob@bob.example>\r\n",
                    b"BDAT 2\r\nab",
                    b"DATA\r\n",
                    b"BDAT 3 LAST\r\nabc",
                    b"RSET\r\n",
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"RCPT TO:<bob@bob.example>\r\n",
                    b"DATA\r\n",
                    b"a\nb\r\n.\r\n",
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"RCPT TO:<bob@bob.example>\r\n",
                    b"DATA\r\n",
                    &[b'x'; 2000],
                    b"\r\n.\r\n",
                    b"BDAT 0 LAST\r\n",
                    b"NOOP\r\n",
                    b"VRFY bob\r\n",
                    b"HELP\r\n",
                    b"HELP STATUS\r\n",
                    b"RSET\r\n",
                    b"STARTTLS\r\n",
                    b"AUTH PLAIN\r\n",
                    b"*\r\n",
                    b"AUTH PLAIN !!!\r\n",
                    b"AUTH PLAIN AGJvYkBib2IuZXhhbXBsZQB3cm9uZw==\r\n",
                    b"AUTH CRAM-MD5\r\n",
                    b"AUTH LOGIN\r\n",
                    b"Ym9iQGJvYi5leGFtcGxl\r\n",
                    b"cHc=\r\n",
                    b"AUTH PLAIN\r\n",
                    b"EXPN x\r\n",
                    b"FROB\r\n",
                    b"HELO\r\n",
                    b"DATA x\r\n",
                    b"BDAT x\r\n",
                    b"\xff\r\n",
                    b"QUIT\r\n",
                ],
            ),
            (
                sub,
                vec![
                    b"EHLO c.example\r\n",
                    b"AUTH PLAIN AGJvYkBib2IuZXhhbXBsZQBwdw==\r\n",
                    b"MAIL FROM:<x@c.example>\r\n",
                    b"MAIL FROM:<bob@bob.example>\r\n",
                    b"AUTH PLAIN x\r\n",
                    b"QUIT\r\n",
                ],
            ),
            (
                tls_sub,
                vec![
                    b"EHLO c.example\r\n",
                    b"AUTH PLAIN AGJvYkBib2IuZXhhbXBsZQBwdw==\r\n",
                    b"MAIL FROM:<bob@bob.example>\r\n",
                    b"STARTTLS\r\n",
                    b"EHLO c.example\r\n",
                    b"STARTTLS\r\n",
                    b"MAIL FROM:<bob@bob.example>\r\n",
                    b"QUIT\r\n",
                ],
            ),
            (
                odd,
                vec![
                    b"EHLO c.example\r\n",
                    b"STARTTLS\r\n",
                    b"MAIL FROM:<a@c.example> SIZE=10\r\n",
                    b"MAIL FROM:<a@c.example>\r\n",
                    b"RCPT TO:<bob@bob.example> NOTIFY=SUCCESS,FAILURE\r\n",
                    b"RCPT TO:<old@bob.example>\r\n",
                    b"RCPT TO:<gone@bob.example>\r\n",
                    b"QUIT\r\n",
                ],
            ),
            (refuse, vec![b"EHLO c.example\r\n", b"BDAT 1\r\nx", b"QUIT\r\n"]),
            (enc, vec![b"EHLO c.example\r\n", b"MAIL FROM:<a@c.example>\r\n", b"QUIT\r\n"]),
            (
                weak,
                vec![
                    b"EHLO c.example\r\n",
                    b"AUTH LOGIN\r\n",
                    b"AUTH PLAIN AGJvYkBib2IuZXhhbXBsZQBwdw==\r\n",
                    b"QUIT\r\n",
                ],
            ),
        ]
    };
    let mut seen = std::collections::BTreeSet::new();
    for (cfg, inputs) in sessions {
        let mut s = SmtpServer::new(cfg, 0);
        let mut all = Vec::new();
        for input in inputs {
            s.handle_input(0, input);
            while let Some(ServerEvent::MessageReceived(_)) | Some(ServerEvent::RecipientProposed { .. }) =
                s.poll_event()
            {
                s.accept_message("Q1");
            }
            while let Some(t) = s.poll_transmit() {
                if let Pdu::SmtpReply { reply, to } = t.pdu {
                    all.push((reply, to));
                }
            }
        }
        for (reply, to) in all {
            seen.insert(reply.code);
            if matches!(to, SmtpReplyTo::Greeting | SmtpReplyTo::Ehlo | SmtpReplyTo::Helo) || reply.code / 100 == 3 {
                continue;
            }
            for line in &reply.lines {
                let code = line.split(' ').next().unwrap_or("");
                let parts: Vec<&str> = code.split('.').collect();
                assert!(
                    parts.len() == 3
                        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                        && parts[0] == (reply.code / 100).to_string(),
                    "{} {line:?} ({to:?}) lacks an enhanced code of its class",
                    reply.code
                );
            }
        }
    }
    // The audit went through the interesting paths.
    for code in [
        211, 214, 221, 235, 250, 251, 252, 421, 452, 454, 455, 432, 500, 501, 502, 503, 504, 523, 530, 534, 535, 550,
        551, 552, 553, 554, 555,
    ] {
        assert!(seen.contains(&code), "no {code} seen: {seen:?}");
    }
}

/// HELP lists STARTTLS and AUTH only where EHLO offers them (QA: the relay port listed AUTH).
#[test]
fn help_lists_what_this_port_offers() {
    let help_and_ehlo = |c: ServerConfig| {
        let mut s = SmtpServer::new(c, 0);
        replies(&mut s);
        s.handle_input(0, b"EHLO c.example\r\nHELP\r\n");
        let mut lines = vec![];
        while let Some(t) = s.poll_transmit() {
            if let Pdu::SmtpReply { reply, .. } = t.pdu {
                lines.push(reply.lines);
            }
        }
        let has = |i: usize, w: &str| lines[i].iter().any(|l| l.split(' ').any(|x| x == w));
        (has(1, "STARTTLS"), has(1, "AUTH"), has(0, "STARTTLS"), lines[0].iter().any(|l| l.starts_with("AUTH ")))
    };
    let mut relay = config(Role::Relay);
    relay.accounts = vec![].into();
    assert_eq!(help_and_ehlo(relay), (false, false, false, false));
    let mut relay_tls = config(Role::Relay);
    relay_tls.accounts = vec![].into();
    relay_tls.starttls = true;
    assert_eq!(help_and_ehlo(relay_tls), (true, false, true, false));
    let mut sub = config(Role::Submission);
    sub.starttls = true;
    sub.require_tls = true;
    assert_eq!(help_and_ehlo(sub.clone()), (true, false, true, false), "AUTH only after STARTTLS");
    sub.require_tls = false;
    assert_eq!(help_and_ehlo(sub), (true, true, true, true));
}

/// Short of disk (QA F13): a declared SIZE that does not fit now is `452 4.3.1` (RFC 1870 §6.1,
/// which names its own code, so not 455); one over the fixed limit is still `552 5.3.4` (checked
/// first: it is permanent); NOTIFY=SUCCESS, whose definition names no code, is `455`
/// (RFC 5321 §4.1.1.11); without those parameters the transaction goes on.
#[test]
fn low_disk_size_is_452_and_an_unaccommodated_notify_is_455() {
    let mut c = config(Role::Relay);
    c.rules.low_disk = true;
    let mut s = SmtpServer::new(c, 0);
    replies(&mut s);
    s.handle_input(0, b"EHLO c.example\r\nMAIL FROM:<a@c.example> SIZE=500\r\n");
    s.handle_input(0, b"MAIL FROM:<a@c.example> SIZE=1001\r\n");
    s.handle_input(0, b"MAIL FROM:<a@c.example>\r\nRCPT TO:<bob@bob.example> NOTIFY=SUCCESS\r\n");
    s.handle_input(0, b"RCPT TO:<bob@bob.example> NOTIFY=FAILURE\r\n");
    let got = replies(&mut s);
    let codes: Vec<(u16, &str)> = got.iter().map(|(c, l)| (*c, l.split(' ').next().unwrap_or(""))).collect();
    assert_eq!(codes[1..], [(452, "4.3.1"), (552, "5.3.4"), (250, "2.1.0"), (455, "4.3.1"), (250, "2.1.5")], "{got:?}");
    assert!(got[1].1.contains("Insufficient system storage"), "{got:?}");
    assert!(got[4].1.contains("NOTIFY=SUCCESS"), "{got:?}");
}

/// RFC 5321 §4.1.1.11 / RFC 1869 §4.4: parameters are service extensions; after HELO there
/// are none, so MAIL and RCPT with parameters are 555, and the same commands without them go.
#[test]
fn parameters_after_helo_are_555() {
    let mut s = server();
    s.handle_input(
        0,
        b"HELO c.example\r\nMAIL FROM:<a@c.example> SIZE=10\r\nMAIL FROM:<a@c.example>\r\nRCPT TO:<bob@bob.example> NOTIFY=NEVER\r\nRCPT TO:<bob@bob.example>\r\n",
    );
    let r = replies(&mut s);
    assert_eq!(codes_of(&r), vec![250, 555, 250, 555, 250]);
    assert!(r[1].1.starts_with("5.5.4 MAIL FROM parameters") && r[1].1.contains("SIZE"), "{r:?}");
    assert!(r[3].1.contains("NOTIFY") && r[3].1.contains("EHLO"), "{r:?}");
}
