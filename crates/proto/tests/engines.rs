//! Every engine through the [`Engine`] trait only: client and server engines driven against
//! each other in memory by one generic driver; the servers' own timeout, shutdown and busy
//! replies (bytes and typed meaning); and the state texts the event log has always stored.

use mailsim_proto::http::{HttpClient, HttpClientEvent, HttpMessage, HttpServer, HttpServerEvent};
use mailsim_proto::imap::client::{ImapClient, ImapClientEvent, ImapStep};
use mailsim_proto::imap::server::{self as imap_server, answer_from_store, ImapConfig, ImapServer, ImapServerEvent};
use mailsim_proto::pdu::{Pdu, Pop3ReplyTo, SmtpReplyTo};
use mailsim_proto::pop3::typed::Pop3Typed;
use mailsim_proto::pop3::{self, Pop3Client, Pop3ClientEvent, Pop3Config, Pop3Job, Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::typed::{self, TypedSession};
use mailsim_proto::smtp::{self, ClientEvent, Role, ServerConfig, ServerEvent, SmtpClient, SmtpJob, SmtpServer};
use mailsim_proto::store::MailStore;
use mailsim_proto::{Closing, Engine, Millis, Transmit};

/// What one side wrote, as text, with the state of the writer after writing it.
type Wire = Vec<(char, String, String)>;

/// Drives `c` and `s` against each other with the trait's calls only, in the documented
/// order, until both are quiet; `owner` answers the server's events. Time advances one
/// millisecond per delivery. Returns what crossed the wire (`C`/`S`).
fn drive<C: Engine, S: Engine>(
    c: &mut C,
    s: &mut S,
    mut owner: impl FnMut(&mut S, S::Event),
    mut client_events: impl FnMut(C::Event),
) -> Wire {
    let mut wire = Vec::new();
    let mut now: Millis = 0;
    for _ in 0..500 {
        let mut quiet = true;
        while let Some(t) = s.poll_transmit() {
            quiet = false;
            now += 1;
            wire.push(('S', text(&t), s.state().to_string()));
            c.handle_input(now, &t.bytes);
        }
        while let Some(e) = s.poll_event() {
            quiet = false;
            owner(s, e);
        }
        while let Some(t) = c.poll_transmit() {
            quiet = false;
            now += 1;
            wire.push(('C', text(&t), c.state().to_string()));
            s.handle_input(now, &t.bytes);
        }
        while let Some(e) = c.poll_event() {
            quiet = false;
            client_events(e);
        }
        if quiet {
            break;
        }
    }
    if c.is_closed() && !s.is_closed() {
        s.handle_close(now);
    }
    wire
}

fn text(t: &Transmit) -> String {
    String::from_utf8_lossy(&t.bytes).into_owned()
}

fn store() -> MailStore {
    let mut st = MailStore::default();
    st.add_account("bob@bob.example", "pw");
    st.deliver("bob@bob.example", b"From: alice@alice.example\r\nSubject: hi\r\n\r\nhello\r\n".to_vec());
    st
}

#[test]
fn smtp_client_and_server_through_the_trait() {
    let job = SmtpJob {
        helo: "mail.alice.example".into(),
        mail_from: "alice@alice.example".into(),
        rcpt_to: vec!["bob@bob.example".into()],
        message: b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
        pipelining: true,
        ..Default::default()
    };
    let mut c = SmtpClient::new(job);
    let config = ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]);
    let mut s = SmtpServer::new(config, 0);
    let mut got = Vec::new();
    let mut sent = false;
    let wire = drive(
        &mut c,
        &mut s,
        |s, e| {
            if let ServerEvent::MessageReceived(m) = e {
                got.push(m.data);
                s.accept_message("Q1");
            }
        },
        |e| sent |= matches!(e, ClientEvent::Sent { .. }),
    );
    assert_eq!(got, vec![b"Subject: hi\r\n\r\nhello\r\n".to_vec()]);
    assert!(sent && c.is_closed() && s.is_closed(), "{wire:?}");
    assert_eq!(wire.last().unwrap().1, "221 2.0.0 mail.bob.example closing connection\r\n");
    assert_eq!(wire[1].2, "sending EHLO, then waiting for the extension list", "the client's state after EHLO");
    assert_eq!(s.state().label(), "Closed");
    assert_eq!(s.poll_timeout(), None, "a closed session has no timer");
}

#[test]
fn smtp_terminal_and_server_through_the_trait() {
    let config = ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]);
    let mut s = SmtpServer::new(config, 0);
    let mut c = TypedSession::new(typed::lines(["EHLO me.example", "frob", "QUIT"]));
    let wire = drive(&mut c, &mut s, |_, _| {}, |_| {});
    let codes: Vec<&str> = wire.iter().filter(|w| w.0 == 'S').map(|w| &w.1[..3]).collect();
    assert_eq!(codes, ["220", "250", "500", "221"]);
    assert!(c.is_closed());
    assert_eq!(c.state().to_string(), "terminal: session over");
}

#[test]
fn pop3_client_and_server_through_the_trait() {
    let mut st = store();
    let mut c = Pop3Client::new(Pop3Job { user: "bob".into(), pass: "pw".into(), delete: true, known: vec![] });
    let mut s = Pop3Server::new(Pop3Config::new("mail.bob.example"), 0);
    let mut login = None;
    let mut downloaded = Vec::new();
    drive(
        &mut c,
        &mut s,
        |s, e| match e {
            Pop3ServerEvent::LoginRequested { user, pass } => login = s.answer_login(st.login_user(&user, &pass)),
            Pop3ServerEvent::Commit { deleted, .. } => {
                st.logout(login.as_deref().unwrap_or_default(), &deleted);
            }
            _ => {}
        },
        |e| {
            if let Pop3ClientEvent::Retrieved { data, .. } = e {
                downloaded.push(data)
            }
        },
    );
    assert_eq!(downloaded.len(), 1);
    assert!(st.mailbox("bob@bob.example").unwrap().messages.is_empty(), "deleted at UPDATE");
    assert!(s.is_closed() && c.is_closed());
}

#[test]
fn pop3_terminal_and_apop_through_the_trait() {
    let mut st = store();
    let ts = "<1.2@mail.bob.example>";
    let digest = pop3::apop_digest(ts, "pw");
    let config = Pop3Config { timestamp: Some(ts.into()), ..Pop3Config::new("mail.bob.example") };
    let mut s = Pop3Server::new(config, 0);
    let mut c = Pop3Typed::new(vec![format!("APOP bob {digest}"), "STAT".into(), "QUIT".into()]);
    let wire = drive(
        &mut c,
        &mut s,
        |s, e| {
            if let Pop3ServerEvent::ApopRequested { user, digest, timestamp } = e {
                s.answer_login(pop3::login_apop(&mut st, &user, &digest, &timestamp));
            }
        },
        |_| {},
    );
    assert!(wire.iter().any(|w| w.1 == "+OK 1 49\r\n"), "{wire:?}");
    assert!(c.is_closed() && s.is_closed());
}

#[test]
fn imap_client_and_server_through_the_trait() {
    let mut st = store();
    let mut config =
        ImapConfig::new("mail.bob.example", vec![("bob@bob.example".into(), "pw".into())], vec![7; 16], "n");
    config.login_requires_tls = false;
    let mut s = ImapServer::new(config, 0);
    let steps =
        ["a LOGIN bob pw", "b SELECT INBOX", "c FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])", "d LOGOUT"];
    let mut c = ImapClient::new(steps.iter().map(|l| ImapStep::Line(l.to_string())).collect());
    let mut closed = false;
    let wire = drive(
        &mut c,
        &mut s,
        |s, e| {
            let _ = answer_from_store(s, &mut st, e, 0);
        },
        |e| closed |= e == ImapClientEvent::Closed,
    );
    let all: String = wire.iter().map(|w| w.1.as_str()).collect();
    assert!(
        // An IMAP4rev1 session, the first to select: the message is \Recent to it (RFC 3501 §2.3.2).
        all.contains("* 1 FETCH (FLAGS (\\Recent) BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: hi\r\n\r\n)\r\nc OK"),
        "{all}"
    );
    let states: Vec<&str> = wire.iter().filter(|w| w.0 == 'S').map(|w| w.2.as_str()).collect();
    assert_eq!(states, ["Not Authenticated", "Authenticated", "Selected", "Selected", "Logout"]);
    assert!(closed && c.is_closed() && s.is_closed());
}

#[test]
fn http_client_and_server_through_the_trait() {
    let get = |t: &str| HttpMessage::request("GET", t, "HTTP/1.1", &[("Host", "web.example")], b"");
    let mut c = HttpClient::new(vec![get("/a"), get("/b")]);
    let mut s = HttpServer::new();
    let mut answers = Vec::new();
    drive(
        &mut c,
        &mut s,
        |s, e| {
            if let HttpServerEvent::Request(r) = e {
                let body = r.target().to_string();
                s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], body.as_bytes()));
            }
        },
        |e| {
            if let HttpClientEvent::Response { response, .. } = e {
                answers.push(response.body)
            }
        },
    );
    assert_eq!(answers, vec![b"/a".to_vec(), b"/b".to_vec()]);
    assert!(c.is_closed());
    assert_eq!(s.state().to_string(), "closed", "the client went away: handle_close");
}

/// Drains a server and returns (bytes, explanation label, meaning, rfc) of each transmit.
fn drained(s: &mut impl Engine) -> Vec<Transmit> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

#[test]
fn smtp_server_times_out_with_421_after_five_minutes_of_silence() {
    let config = ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]);
    let mut s = SmtpServer::new(config, 1_000);
    let _ = drained(&mut s);
    assert_eq!(s.poll_timeout(), Some(301_000));
    s.handle_input(61_000, b"EHLO x.example\r\n");
    assert_eq!(s.poll_timeout(), Some(361_000), "measured from the last input");
    let _ = drained(&mut s);
    s.handle_timeout(360_999);
    assert!(drained(&mut s).is_empty() && !s.is_closed(), "too early: nothing");
    s.handle_timeout(361_000);
    let out = drained(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].bytes, b"421 4.4.2 mail.bob.example Error: timeout exceeded\r\n");
    assert!(
        matches!(&out[0].pdu, Pdu::SmtpReply { reply, to: SmtpReplyTo::Closing(Closing::IdleTimeout) } if reply.code == 421)
    );
    let e = out[0].pdu.explain();
    assert!(e.rfc.starts_with("RFC 5321 §4.5.3.2"), "{e:?}");
    assert!(e.meaning.contains("too long"), "{e:?}");
    assert_eq!(s.poll_event(), Some(ServerEvent::Closed));
    assert!(s.is_closed() && s.poll_timeout().is_none());
    assert_eq!(s.state().to_string(), "closed");
    s.handle_input(400_000, b"NOOP\r\n");
    assert!(drained(&mut s).is_empty(), "a closed session reads nothing");
}

#[test]
fn pop3_server_times_out_without_update() {
    let mut st = store();
    let mut s = Pop3Server::new(Pop3Config::new("mail.bob.example"), 0);
    s.handle_input(5, b"USER bob\r\nPASS pw\r\nDELE 1\r\n");
    while let Some(e) = s.poll_event() {
        if let Pop3ServerEvent::LoginRequested { user, pass } = e {
            s.answer_login(st.login_user(&user, &pass));
        }
    }
    let _ = drained(&mut s);
    assert_eq!(s.poll_timeout(), Some(5 + 600_000), "RFC 1939 §3: at least ten minutes");
    s.handle_timeout(600_005);
    let out = drained(&mut s);
    assert_eq!(out[0].bytes, b"-ERR [SYS/TEMP] idle timeout, closing\r\n");
    assert!(matches!(out[0].pdu, Pdu::Pop3Response { to: Pop3ReplyTo::Closing(Closing::IdleTimeout), .. }));
    let e = out[0].pdu.explain();
    assert!(e.rfc.starts_with("RFC 1939 §3") && e.meaning.contains("UPDATE"), "{e:?}");
    assert_eq!(s.poll_event(), Some(Pop3ServerEvent::Closed), "no Commit: nothing is deleted");
    assert_eq!(s.state().to_string(), "closed");
}

#[test]
fn imap_server_times_out_with_bye() {
    let config = ImapConfig::new("mail.bob.example", vec![], vec![7; 16], "n");
    let mut s = ImapServer::new(config, 0);
    let _ = drained(&mut s);
    assert_eq!(s.poll_timeout(), Some(30 * 60 * 1000), "RFC 9051 §5.4: at least 30 minutes");
    s.handle_timeout(30 * 60 * 1000);
    let out = drained(&mut s);
    assert_eq!(out[0].bytes, b"* BYE Autologout; idle for too long\r\n");
    assert!(matches!(out[0].pdu, Pdu::ImapClosing { reason: Closing::IdleTimeout, .. }));
    let e = out[0].pdu.explain();
    assert_eq!(e.label, "* BYE Autologout; idle for too long");
    assert!(e.rfc.starts_with("RFC 9051 §5.4"), "{e:?}");
    assert_eq!(s.poll_event(), Some(ImapServerEvent::Closed));
    assert_eq!(s.state().to_string(), "Logout");
}

#[test]
fn no_idle_timeout_means_no_deadline() {
    let mut config = ServerConfig::basic("h.example", Role::Relay, &["h.example"], &[]);
    config.idle_timeout = None;
    let mut s = SmtpServer::new(config, 0);
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(u64::MAX);
    assert!(!s.is_closed());
}

#[test]
fn shutdown_and_busy_replies_are_typed() {
    let config = ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &[]);
    let mut s = SmtpServer::new(config, 0);
    let _ = drained(&mut s);
    s.shutdown(10);
    let out = drained(&mut s);
    assert_eq!(out[0].bytes, b"421 4.3.2 mail.bob.example Service shutting down\r\n");
    assert!(s.is_closed());
    s.shutdown(11);
    assert!(drained(&mut s).is_empty(), "only once");

    let mut p = Pop3Server::new(Pop3Config::new("h"), 0);
    let _ = drained(&mut p);
    p.shutdown(1);
    assert_eq!(drained(&mut p)[0].bytes, b"-ERR [SYS/TEMP] server shutting down\r\n");

    let mut i = ImapServer::new(ImapConfig::new("h", vec![], vec![1; 16], "n"), 0);
    let _ = drained(&mut i);
    i.shutdown(1);
    assert_eq!(drained(&mut i)[0].bytes, b"* BYE [UNAVAILABLE] Server shutting down\r\n");

    let busy = [
        (smtp::server::closing_reply("h", Closing::Busy), &b"421 4.7.0 Too many connections, try again later\r\n"[..]),
        (pop3::closing_response(Closing::Busy), b"-ERR [SYS/TEMP] too many connections, try again later\r\n"),
        (
            imap_server::closing_response(Closing::Busy),
            b"* BYE [UNAVAILABLE] too many connections, try again later\r\n",
        ),
    ];
    for (t, bytes) in busy {
        assert_eq!(t.bytes, bytes);
        let e = t.pdu.explain();
        assert!(e.meaning.contains("too many connections"), "{e:?}");
        assert!(e.rfc.starts_with("RFC "));
    }
}

#[test]
fn pop3_close_before_quit_commits_nothing() {
    let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
    s.handle_input(1, b"USER bob\r\nPASS pw\r\n");
    while let Some(e) = s.poll_event() {
        if matches!(e, Pop3ServerEvent::LoginRequested { .. }) {
            s.answer_login(Ok(("bob@b.example".into(), vec![])));
        }
    }
    s.handle_input(2, b"DELE 1\r\n");
    s.handle_close(3);
    assert!(s.is_closed());
    assert!(std::iter::from_fn(|| s.poll_event()).all(|e| !matches!(e, Pop3ServerEvent::Commit { .. })));
}

/// The texts golden event logs store as `from_state`/`to_state`: they must never change.
#[test]
fn state_texts_are_the_ones_the_logs_store() {
    use mailsim_proto::imap::client::ImapClientState as Ic;
    use mailsim_proto::imap::server::ImapState as Is;
    use mailsim_proto::pop3::{Pop3ClientState as Pc, Pop3State as Ps};
    use mailsim_proto::smtp::typed::TypedState as T;
    use mailsim_proto::smtp::{ClientState as Sc, ServerState as Ss};
    let texts: Vec<(String, &str)> = vec![
        (Ss::Greeted.to_string(), "greeted: waiting for EHLO/HELO"),
        (Ss::Ready.to_string(), "ready: waiting for MAIL FROM"),
        (Ss::MailFrom.to_string(), "transaction open: waiting for RCPT TO"),
        (Ss::RcptTo.to_string(), "recipients known: waiting for RCPT TO or DATA"),
        (Ss::Data.to_string(), "receiving the message (until CRLF.CRLF)"),
        (Ss::Deciding.to_string(), "message received: deciding"),
        (Ss::CheckingRecipient.to_string(), "checking the recipient"),
        (Ss::Authenticating.to_string(), "AUTH exchange: waiting for the client's response"),
        (Ss::Closed.to_string(), "closed"),
        (Sc::AwaitGreeting.to_string(), "connected: waiting for the 220 greeting"),
        (Sc::AwaitEhlo.to_string(), "sending EHLO, then waiting for the extension list"),
        (Sc::AwaitHelo.to_string(), "sending HELO, then waiting for 250"),
        (Sc::AwaitStartTls.to_string(), "sending STARTTLS, then waiting for 220"),
        (Sc::AwaitAuth.to_string(), "logging in (AUTH): waiting for the server"),
        (Sc::AwaitMail.to_string(), "sending MAIL FROM, then waiting for 250"),
        (Sc::AwaitRcpt(0).to_string(), "sending RCPT TO #1, then waiting for 250"),
        (Sc::AwaitRcpt(11).to_string(), "sending RCPT TO #12, then waiting for 250"),
        (Sc::AwaitDataGo.to_string(), "sending DATA, then waiting for 354"),
        (Sc::AwaitDataEnd.to_string(), "sending the message, then waiting for 250"),
        (Sc::AwaitQuit.to_string(), "sending QUIT, then waiting for 221"),
        (Sc::Done.to_string(), "done: connection closing"),
        (T::Waiting.to_string(), "terminal: waiting for the server's reply"),
        (T::Done.to_string(), "terminal: session over"),
        (Ps::Authorization.to_string(), "AUTHORIZATION"),
        (Ps::CheckingPassword.to_string(), "AUTHORIZATION (checking password)"),
        (Ps::Transaction.to_string(), "TRANSACTION"),
        (Ps::Update.to_string(), "UPDATE"),
        (Ps::Closed.to_string(), "closed"),
        (Pc::AwaitGreeting.to_string(), "connected: waiting for +OK greeting"),
        (Pc::AwaitUser.to_string(), "sending USER, then waiting"),
        (Pc::AwaitPass.to_string(), "sending PASS, then waiting"),
        (Pc::AwaitStat.to_string(), "sending STAT, then waiting"),
        (Pc::AwaitList.to_string(), "sending LIST, then waiting for the scan listing"),
        (Pc::AwaitUidl.to_string(), "sending UIDL: which messages are new?"),
        (Pc::AwaitRetr(3).to_string(), "sending RETR 3, then downloading"),
        (Pc::AwaitDele(3).to_string(), "sending DELE 3, then waiting"),
        (Pc::AwaitQuit.to_string(), "sending QUIT, then waiting"),
        (Pc::Done.to_string(), "done: connection closing"),
        (Is::NotAuthenticated.to_string(), "Not Authenticated"),
        (Is::Authenticated.to_string(), "Authenticated"),
        (Is::Selected.to_string(), "Selected"),
        (Is::Logout.to_string(), "Logout"),
        (Ic::AwaitGreeting.to_string(), "connected: waiting for the greeting"),
        (Ic::AwaitTagged.to_string(), "waiting for the tagged response"),
        (Ic::Authenticating.to_string(), "SCRAM exchange in progress"),
        (Ic::Done.to_string(), "done: connection closing"),
    ];
    for (got, want) in &texts {
        assert_eq!(got, want);
    }
    let mut p = Pop3Typed::new(vec![]);
    assert_eq!(p.state().to_string(), "terminal: waiting for the server's response");
    p.handle_close(0);
    assert_eq!(p.state().to_string(), "terminal: session over");
    let mut h = HttpServer::new();
    assert_eq!(h.state().to_string(), "waiting for a request");
    h.handle_input(0, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(h.state().to_string(), "working on the request");
    h.handle_close(1);
    assert_eq!(h.state().to_string(), "closed");
    let mut hc = HttpClient::new(vec![]);
    assert_eq!(hc.state().to_string(), "waiting for the response");
    hc.handle_close(0);
    assert_eq!(hc.state().to_string(), "done: connection closing");
    // And back: every logged text finds its state in its machine.
    for (text, _) in &texts {
        let found = mailsim_proto::machines::all().iter().filter_map(|m| m.find(text)).count();
        assert!(found >= 1, "{text}");
    }
    let rcpt = mailsim_proto::smtp::client::MACHINE.find("sending RCPT TO #12, then waiting for 250").unwrap();
    assert_eq!((rcpt.label(), rcpt.n), ("RCPT", Some(12)));
}
