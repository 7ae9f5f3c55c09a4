//! The client against the real server, in memory: delivery, partial refusals, HELO
//! fallback, STARTTLS and AUTH, pipelining, greylisting.

use super::*;
use crate::smtp::server::{Role, ServerConfig, ServerEvent, SmtpServer};

fn job(rcpts: &[&str]) -> SmtpJob {
    SmtpJob {
        helo: "mail.alice.example".into(),
        mail_from: "alice@alice.example".into(),
        rcpt_to: rcpts.iter().map(|s| s.to_string()).collect(),
        message: b"Subject: hi\r\n\r\n.leading dot\r\n".to_vec(),
        ..Default::default()
    }
}

fn server() -> SmtpServer {
    SmtpServer::new(ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]), 0)
}

/// Drives a client and a server against each other in memory until both are quiet.
fn pair(job: SmtpJob) -> (Vec<ClientEvent>, Vec<ReceivedMessage>, Vec<String>) {
    pair_with(job, server())
}

fn pair_with(job: SmtpJob, s: SmtpServer) -> (Vec<ClientEvent>, Vec<ReceivedMessage>, Vec<String>) {
    use crate::smtp::server::ReceivedMessage as _R;
    let (mut c, mut s) = (SmtpClient::new(job), s);
    let (mut cev, mut received, mut wire) = (vec![], vec![], vec![]);
    for _ in 0..100 {
        let mut quiet = true;
        while let Some(t) = s.poll_transmit() {
            quiet = false;
            wire.push(format!("S: {}", String::from_utf8_lossy(&t.bytes)));
            c.handle_input(0, &t.bytes);
        }
        while let Some(t) = c.poll_transmit() {
            quiet = false;
            wire.push(format!("C: {}", String::from_utf8_lossy(&t.bytes)));
            s.handle_input(0, &t.bytes);
        }
        while let Some(e) = s.poll_event() {
            match e {
                ServerEvent::MessageReceived(m) => {
                    let _: &_R = &m;
                    received.push(m);
                    s.accept_message("Q1");
                    quiet = false;
                }
                ServerEvent::RecipientProposed { rcpt, .. } => {
                    s.decide_recipient(
                        (rcpt == "bob@bob.example").then(|| Reply::enhanced(450, "4.2.0", "greylisted")),
                    );
                    quiet = false;
                }
                _ => {}
            }
        }
        while let Some(e) = c.poll_event() {
            cev.push(e);
        }
        if quiet {
            break;
        }
    }
    (cev, received, wire)
}
use crate::smtp::server::ReceivedMessage;

#[test]
fn delivers_a_message_end_to_end() {
    let (events, received, wire) = pair(job(&["bob@bob.example"]));
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].data, b"Subject: hi\r\n\r\n.leading dot\r\n");
    assert!(matches!(&events[0], ClientEvent::Sent { accepted, .. } if accepted == &["bob@bob.example"]));
    assert_eq!(events[1], ClientEvent::Closed);
    assert!(wire.iter().any(|l| l.starts_with("C: MAIL FROM:<alice@alice.example> SIZE=29")), "{wire:?}");
    assert!(wire.iter().any(|l| l == "C: Subject: hi\r\n\r\n..leading dot\r\n.\r\n"), "{wire:?}");
}

#[test]
fn goes_on_with_the_accepted_recipients_and_reports_the_rest() {
    let (events, received, _) = pair(job(&["nobody@bob.example", "bob@bob.example"]));
    assert_eq!(received[0].rcpt_to, vec!["bob@bob.example"]);
    let ClientEvent::Sent { rejected, .. } = &events[0] else { panic!("{events:?}") };
    assert_eq!(rejected[0].0, "nobody@bob.example");
    assert_eq!(rejected[0].1.code, 550);
}

#[test]
fn all_recipients_refused_is_a_permanent_failure() {
    let (events, received, wire) = pair(job(&["nobody@bob.example"]));
    assert!(received.is_empty());
    assert!(matches!(&events[0], ClientEvent::Failed { permanent: true, reply, .. } if reply.code == 550));
    assert!(wire.iter().any(|l| l == "C: QUIT\r\n"));
}

#[test]
fn falls_back_to_helo() {
    let mut c = SmtpClient::new(job(&["bob@bob.example"]));
    c.handle_input(0, b"220 old.example\r\n");
    assert_eq!(c.poll_transmit().unwrap().bytes, b"EHLO mail.alice.example\r\n");
    c.handle_input(0, b"502 5.5.1 what?\r\n");
    assert_eq!(c.poll_transmit().unwrap().bytes, b"HELO mail.alice.example\r\n");
    c.handle_input(0, b"250 old.example\r\n");
    assert_eq!(c.poll_transmit().unwrap().bytes, b"MAIL FROM:<alice@alice.example>\r\n");
}

#[test]
fn replies_split_at_every_byte_give_the_same_commands() {
    let replies = b"220 s\r\n250-s\r\n250 SIZE 100\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n";
    let run = |cut: usize| {
        let mut c = SmtpClient::new(job(&["bob@bob.example"]));
        let mut out = Vec::new();
        for part in [&replies[..cut], &replies[cut..]] {
            c.handle_input(0, part);
            while let Some(t) = c.poll_transmit() {
                out.extend(t.bytes);
            }
        }
        (out, std::iter::from_fn(|| c.poll_event()).collect::<Vec<_>>())
    };
    let whole = run(replies.len());
    assert_eq!(whole.1.len(), 2);
    for cut in 0..replies.len() {
        assert_eq!(run(cut), whole, "cut {cut}");
    }
}

fn submission() -> SmtpServer {
    let mut c =
        ServerConfig::basic("mail.alice.example", Role::Submission, &["alice.example"], &["alice@alice.example"]);
    c.accounts = vec![("alice@alice.example".into(), "pw".into())].into();
    c.starttls = true;
    c.require_tls = true;
    SmtpServer::new(c, 0)
}

#[test]
fn starttls_then_auth_then_pipelined_transaction() {
    let mut j = job(&["bob@bob.example", "carol@carol.example"]);
    j.starttls = true;
    j.auth = Some(("alice@alice.example".into(), "pw".into()));
    j.pipelining = true;
    let (events, received, wire) = pair_with(j, submission());
    let cmds: Vec<&str> =
        wire.iter().filter(|l| l.starts_with("C: ")).map(|l| l[3..].split([' ', '\r']).next().unwrap()).collect();
    assert_eq!(cmds, ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", "Subject:", "QUIT"]);
    assert!(wire[2].contains("STARTTLS") && !wire[2].contains("AUTH"), "AUTH is offered only inside TLS: {}", wire[2]);
    assert!(wire.iter().any(|l| l.starts_with("S: 250-") && l.contains("AUTH PLAIN LOGIN")));
    assert!(wire.iter().any(|l| l == "C: AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAcHc=\r\n"), "{wire:?}");
    assert_eq!(events[0], ClientEvent::TlsStarted);
    assert!(matches!(&events[1], ClientEvent::Sent { accepted, .. } if accepted.len() == 2));
    assert_eq!(received[0].authenticated.as_deref(), Some("alice@alice.example"));
    assert!(received[0].tls);
}

#[test]
fn wrong_password_is_a_permanent_failure() {
    let mut j = job(&["bob@bob.example"]);
    j.starttls = true;
    j.auth = Some(("alice@alice.example".into(), "wrong".into()));
    let (events, received, wire) = pair_with(j, submission());
    assert!(received.is_empty());
    assert!(wire.iter().any(|l| l.starts_with("S: 535 5.7.8")));
    assert!(
        matches!(&events[1], ClientEvent::Failed { permanent: true, reply, .. } if reply.code == 535),
        "{events:?}"
    );
    assert_eq!(wire.last().map(|l| &l[..6]), Some("S: 221"));
}

#[test]
fn no_auth_on_submission_is_530() {
    let mut s =
        ServerConfig::basic("mail.alice.example", Role::Submission, &["alice.example"], &["alice@alice.example"]);
    s.accounts = vec![("alice@alice.example".into(), "pw".into())].into();
    let (events, _, _) = pair_with(job(&["bob@bob.example"]), SmtpServer::new(s, 0));
    assert!(matches!(&events[0], ClientEvent::Failed { reply, .. } if reply.code == 530), "{events:?}");
}

#[test]
fn greylisting_is_a_transient_failure_even_when_pipelined() {
    let mut relay = ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]);
    relay.ask_owner_about_recipients = true;
    for pipelining in [false, true] {
        let mut j = job(&["bob@bob.example"]);
        j.pipelining = pipelining;
        let (events, received, wire) = pair_with(j, SmtpServer::new(relay.clone(), 0));
        assert!(received.is_empty());
        assert!(
            matches!(&events[0], ClientEvent::Failed { permanent: false, reply, .. } if reply.code == 450),
            "{events:?} {wire:?}"
        );
        assert_eq!(wire.last().map(|l| &l[..6]), Some("S: 221"), "{wire:?}");
    }
}

#[test]
fn auth_login_and_cancel_on_the_server() {
    let mut s = submission();
    s.handle_input(0, b"EHLO c\r\nSTARTTLS\r\n");
    s.handle_input(0, b"EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n");
    let out: Vec<String> =
        std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8(t.bytes).unwrap()).collect();
    assert_eq!(out[out.len() - 3], "334 VXNlcm5hbWU6\r\n");
    assert_eq!(out[out.len() - 2], "334 UGFzc3dvcmQ6\r\n");
    assert_eq!(out[out.len() - 1], "235 2.7.0 Authentication successful\r\n");
    let mut s = submission();
    s.handle_input(0, b"EHLO c\r\nAUTH PLAIN\r\nSTARTTLS\r\nMAIL FROM:<x@y.example>\r\n");
    s.handle_input(0, b"EHLO c\r\nAUTH PLAIN\r\n*\r\nAUTH CRAM-MD5\r\n");
    let codes: Vec<u16> = std::iter::from_fn(|| s.poll_transmit())
        .filter_map(|t| if let Pdu::SmtpReply { reply, .. } = t.pdu { Some(reply.code) } else { None })
        .collect();
    // 538 before TLS; the MAIL pipelined behind STARTTLS is discarded (RFC 3207 §4.2).
    assert_eq!(codes, vec![220, 250, 538, 220, 250, 334, 501, 504]);
}

/// The client against a scripted server: `replies` are fed one by one, each after the
/// client's previous output; returns what the client sent and its events.
fn scripted(job: SmtpJob, replies: &[&str]) -> (String, Vec<ClientEvent>) {
    let mut c = SmtpClient::new(job);
    let mut sent = String::new();
    for r in replies {
        c.handle_input(0, r.as_bytes());
        while let Some(t) = c.poll_transmit() {
            sent.push_str(&String::from_utf8_lossy(&t.bytes));
        }
    }
    (sent, std::iter::from_fn(|| c.poll_event()).collect())
}

fn utf8_job() -> SmtpJob {
    SmtpJob {
        mail_from: "jos\u{e9}@alice.example".into(),
        params: crate::smtp::MailParams { smtputf8: true, ..Default::default() },
        ..job(&["bob@bob.example"])
    }
}

#[test]
fn smtputf8_mail_goes_only_to_a_server_that_offers_it() {
    // RFC 6531 §3.2: the next hop does not offer SMTPUTF8: the message fails for good (5.6.7).
    let (sent, events) = scripted(utf8_job(), &["220 old.example\r\n", "250-old.example\r\n250 8BITMIME\r\n"]);
    assert!(!sent.contains("MAIL FROM"), "{sent}");
    assert!(
        matches!(&events[0], ClientEvent::Failed { permanent: true, reply, .. } if reply.code == 550 && reply.lines[0].starts_with("5.6.7")),
        "{events:?}"
    );
    // Its text goes into the bounce's Diagnostic-Code (message/delivery-status, 7-bit text).
    assert!(matches!(&events[0], ClientEvent::Failed { reply, .. } if reply.lines.iter().all(|l| l.is_ascii())));
    // Our own server offers it: MAIL carries SMTPUTF8 and the message arrives.
    let (events, received, _) = pair(utf8_job());
    assert!(matches!(&events[0], ClientEvent::Sent { .. }), "{events:?}");
    assert!(received[0].params.smtputf8);
    // SMTPUTF8 asked for but not needed (all ASCII): sent without it to an old server.
    let ascii = SmtpJob { mail_from: "alice@alice.example".into(), ..utf8_job() };
    let (sent, _) = scripted(ascii, &["220 old.example\r\n", "250-old.example\r\n250 8BITMIME\r\n"]);
    assert!(sent.contains("MAIL FROM:<alice@alice.example>\r\n"), "{sent}");
}

#[test]
fn dsn_parameters_go_on_to_a_dsn_server_and_the_event_says_so() {
    let p = crate::smtp::RcptParams {
        notify: Some(crate::smtp::Notify { success: true, failure: true, delay: false }),
        orcpt: Some(("rfc822".into(), "Bob+x@bob.example".into())),
    };
    let dsn_job = || SmtpJob {
        params: crate::smtp::MailParams {
            ret: Some(crate::smtp::Ret::Hdrs),
            envid: Some("id=1".into()),
            ..Default::default()
        },
        rcpt_params: vec![p.clone()],
        ..job(&["bob@bob.example"])
    };
    let (events, received, wire) = pair(dsn_job());
    assert!(
        wire.iter().any(|l| l == "C: MAIL FROM:<alice@alice.example> SIZE=29 RET=HDRS ENVID=id+3D1\r\n"),
        "{wire:?}"
    );
    assert!(wire
        .iter()
        .any(|l| l == "C: RCPT TO:<bob@bob.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Bx@bob.example\r\n"));
    assert!(matches!(&events[0], ClientEvent::Sent { dsn: true, .. }), "{events:?}");
    assert_eq!(received[0].rcpt_params, vec![p.clone()]);
    assert_eq!(received[0].params.envid.as_deref(), Some("id=1"));
    // A server without DSN gets no parameters, and the event says so (the relay then says "relayed").
    let (sent, events) = scripted(
        dsn_job(),
        &["220 old.example\r\n", "250 old.example\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 queued\r\n"],
    );
    assert!(
        sent.contains("MAIL FROM:<alice@alice.example>\r\nRCPT TO:<bob@bob.example>\r\n")
            || sent.contains("MAIL FROM:<alice@alice.example>\r\n"),
        "{sent}"
    );
    assert!(!sent.contains("NOTIFY") && !sent.contains("RET="), "{sent}");
    assert!(matches!(&events[0], ClientEvent::Sent { dsn: false, .. }), "{events:?}");
}

#[test]
fn binarymime_travels_in_one_bdat_chunk() {
    let msg =
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\xff\n.\r\n".to_vec();
    let job = SmtpJob {
        message: msg.clone(),
        params: crate::smtp::MailParams { body: crate::smtp::Body::BinaryMime, ..Default::default() },
        pipelining: true,
        ..job(&["bob@bob.example"])
    };
    let (events, received, wire) = pair(job.clone());
    assert!(matches!(&events[0], ClientEvent::Sent { .. }), "{events:?} {wire:?}");
    assert_eq!(received[0].data, msg);
    assert!(wire.iter().any(|l| l.starts_with(&format!("C: BDAT {} LAST\r\n", msg.len()))), "{wire:?}");
    // A server without CHUNKING: the message cannot go (5.6.3, conversion needed).
    let (_, events) = scripted(job, &["220 old.example\r\n", "250-old.example\r\n250 8BITMIME\r\n"]);
    assert!(
        matches!(&events[0], ClientEvent::Failed { permanent: true, reply, .. } if reply.code == 554 && reply.lines.iter().all(|l| l.is_ascii())),
        "{events:?}"
    );
}

#[test]
fn recipients_refused_as_too_many_go_in_a_second_transaction() {
    // RFC 5321 §4.5.3.1.10: the server's 452 4.5.3 for b, a 452 4.3.1 (storage) for c.
    let (sent, events) = scripted(
        job(&["a@bob.example", "b@bob.example", "c@bob.example"]),
        &[
            "220 mail.bob.example ESMTP\r\n",
            "250-mail.bob.example\r\n250 ENHANCEDSTATUSCODES\r\n",
            "250 2.1.0 OK\r\n",
            "250 2.1.5 OK\r\n",
            "452 4.5.3 Too many recipients\r\n",
            "452 4.3.1 Insufficient system storage\r\n",
            "354 go ahead\r\n",
            "250 2.0.0 queued as 1\r\n",
            // The second transaction: MAIL, RCPT b, DATA, the message.
            "250 2.1.0 OK\r\n",
            "250 2.1.5 OK\r\n",
            "354 go ahead\r\n",
            "250 2.0.0 queued as 2\r\n",
            "221 bye\r\n",
        ],
    );
    assert_eq!(sent.matches("MAIL FROM:<alice@alice.example>").count(), 2, "{sent}");
    assert_eq!(sent.matches("RCPT TO:<b@bob.example>").count(), 2, "{sent}");
    assert_eq!(sent.matches("RCPT TO:<c@bob.example>").count(), 1, "storage is not retried at once: {sent}");
    assert_eq!(sent.matches("DATA\r\n").count(), 2, "{sent}");
    assert!(sent.ends_with("QUIT\r\n"), "{sent}");
    let [ClientEvent::Sent { accepted: first, rejected, .. }, ClientEvent::Sent { accepted: second, rejected: none, .. }, ClientEvent::Closed] =
        &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(first, &["a@bob.example"]);
    assert_eq!(rejected.len(), 1, "only c is reported refused: {rejected:?}");
    assert_eq!((rejected[0].0.as_str(), rejected[0].1.code), ("c@bob.example", 452));
    assert_eq!(second, &["b@bob.example"]);
    assert!(none.is_empty());
    // A 452 without 4.5.3 to every recipient is a transient failure, with no second round.
    let (sent, events) = scripted(
        job(&["b@bob.example"]),
        &["220 x\r\n", "250 x\r\n", "250 OK\r\n", "452 4.3.1 Insufficient system storage\r\n", "221 bye\r\n"],
    );
    assert_eq!(sent.matches("MAIL FROM").count(), 1, "{sent}");
    assert!(matches!(&events[0], ClientEvent::Failed { permanent: false, .. }), "{events:?}");
}
