//! POP3 on port 995 in the world (TLS from the first byte, RFC 8314 §3.1), a server that takes
//! no POP3 password in the clear (`disable-plaintext-auth`, RFC 2595 §2.3), and the orderly
//! `shutdown` fault (421 to open sessions, RFC 5321 §3.8; the sender's queue retries,
//! §4.5.4.1).
#![cfg(not(target_arch = "wasm32"))]

#[allow(unused_imports)]
use mailsim_proto as _;
use mailsim_sim::host::{Ctx, MailHost, ServerPolicy};
use mailsim_sim::log::{Event, EventLog};
use mailsim_sim::rng::Rng;
use mailsim_sim::scenario::{self, load};

/// (port, from, raw as text, inside TLS) of every TCP message.
fn messages(log: &EventLog) -> Vec<(u16, String, String, bool)> {
    log.events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { conn: Some(_), port, from, raw, tls, .. } => {
                Some((*port, from.clone(), String::from_utf8_lossy(raw).into_owned(), *tls))
            }
            _ => None,
        })
        .collect()
}

/// The first reply after the command that starts with `command`, on `port`.
fn answer_to(log: &EventLog, port: u16, command: &str) -> String {
    let m = messages(log);
    let i = m.iter().position(|(p, _, raw, _)| *p == port && raw.starts_with(command)).expect(command);
    m[i + 1].2.clone()
}

const HEAD: &str = "[scenario]\nid = \"t\"\ntitle = \"T\"\n\n";

fn run(text: &str) -> EventLog {
    load("t.toml", &format!("{HEAD}{text}")).unwrap_or_else(|e| panic!("{e}")).run()
}

fn terminal(port: u16, lines: &[&str]) -> String {
    let lines: Vec<String> = lines.iter().map(|l| format!("{l:?}")).collect();
    format!(
        "[[action]]\nkind = \"terminal\"\nat = 0\nclient = \"bob-ua\"\nhost = \"mail.bob.example\"\nport = {port}\nlines = [{}]\n",
        lines.join(", ")
    )
}

#[test]
fn the_world_serves_pop3_on_995_inside_tls_from_the_greeting() {
    let log = run(&terminal(995, &["USER bob", "PASS bob-pw", "STAT", "QUIT"]));
    assert!(log.events.iter().any(|e| matches!(
        e,
        Event::ConnectionOpened { port: 995, protocol, server, .. } if protocol == "POP3" && server == "bob-server"
    )));
    let m = messages(&log);
    assert_eq!(m.len(), 9, "{m:?}");
    assert!(m.iter().all(|(port, _, _, tls)| *port == 995 && *tls), "every byte on 995 is inside TLS: {m:?}");
    assert!(m[0].2.starts_with("+OK mail.bob.example POP3 server ready"), "{}", m[0].2);
    assert!(answer_to(&log, 995, "PASS").starts_with("+OK bob's maildrop"));
    // No STLS is offered where TLS is already on (RFC 2595 §4).
    let log = run(&terminal(995, &["CAPA", "STLS", "QUIT"]));
    let capa = answer_to(&log, 995, "CAPA");
    assert!(capa.contains("\r\nUSER\r\n") && !capa.contains("STLS"), "{capa}");
    assert!(answer_to(&log, 995, "STLS").starts_with("-ERR"));
}

#[test]
fn a_server_without_plaintext_logins_wants_stls_first_on_110() {
    let policy = "[actor.bob-server]\npolicy = { disable-plaintext-auth = true }\n\n";
    let lines = ["CAPA", "USER bob", "STLS", "CAPA", "USER bob", "PASS bob-pw", "QUIT"];
    let log = run(&format!("{policy}{}", terminal(110, &lines)));
    let m = messages(&log);
    let capa: Vec<&String> =
        m.iter().filter(|(_, f, raw, _)| f == "bob-server" && raw.contains("Capability")).map(|x| &x.2).collect();
    assert_eq!(capa.len(), 2);
    // In the clear: STLS, but neither USER nor SASL (RFC 2449 §6.2, RFC 2595 §4).
    assert!(capa[0].contains("STLS") && !capa[0].contains("USER") && !capa[0].contains("SASL"), "{}", capa[0]);
    assert!(capa[1].contains("USER") && !capa[1].contains("STLS"), "{}", capa[1]);
    let refused = answer_to(&log, 110, "USER");
    assert!(refused.starts_with("-ERR [AUTH] Plaintext authentication disallowed"), "{refused}");
    assert!(answer_to(&log, 110, "PASS").starts_with("+OK"));
    // Everything after STLS's +OK is inside TLS; nothing before it.
    let stls = m.iter().position(|(_, _, raw, _)| raw.starts_with("+OK Begin TLS")).unwrap();
    assert!(m[..=stls].iter().all(|x| !x.3) && m[stls + 1..].iter().all(|x| x.3), "{m:?}");
    // Without the key the world's POP3 takes USER and PASS in the clear (pop3-session).
    let log = run(&terminal(110, &["USER bob", "PASS bob-pw", "QUIT"]));
    assert!(answer_to(&log, 110, "USER").starts_with("+OK"));
}

#[test]
fn a_host_without_tls_offers_no_995() {
    let mut rng = Rng::new(1);
    for (tls, open) in [(false, None), (true, Some("POP3"))] {
        let policy = ServerPolicy { tls, ..ServerPolicy::default() };
        let mut h = MailHost::new("s", "mail.bob.example", &["bob.example"], &[("bob@bob.example", "pw")], policy);
        let mut ctx = Ctx { now: 0, epoch: 0, rng: &mut rng };
        assert_eq!(h.accept(&mut ctx, 1, 995, "192.0.2.10"), open, "tls {tls}");
    }
}

#[test]
fn shutdown_says_421_and_the_queue_delivers_after_the_restart() {
    let log = scenario::run("server-shutdown").expect("built in");
    let m = messages(&log);
    let i = m.iter().position(|(_, _, raw, _)| raw.starts_with("421 ")).expect("a 421");
    let (port, from, raw, _) = &m[i];
    assert_eq!((*port, from.as_str()), (25, "bob-server"));
    assert_eq!(raw, "421 4.3.2 mail.bob.example Service shutting down\r\n");
    // It came in the middle of a transaction: the client had sent DATA, and sends no QUIT
    // after a 421 (RFC 5321 §3.8).
    assert!(m[i - 1].2.starts_with("DATA"), "{:?}", m[i - 1]);
    assert!(m[i + 1].2.starts_with("220 "), "the next message is the retry's greeting: {:?}", m[i + 1]);
    let deferred: Vec<(&String, u64, u64)> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageDeferred { reason, t, retry_at, node, .. } if node == "alice-server" => {
                Some((reason, *t, *retry_at))
            }
            _ => None,
        })
        .collect();
    assert_eq!(deferred.len(), 1, "{deferred:?}");
    assert!(deferred[0].0.contains("421 4.3.2"), "{deferred:?}");
    assert_eq!(deferred[0].2 - deferred[0].1, 5 * 60_000, "the first retry delay");
    let stored: Vec<u64> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageStored { t, mailbox, .. } if mailbox == "bob@bob.example" => Some(*t),
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), 1, "delivered once");
    assert!(stored[0] > deferred[0].2, "after the retry time");
    assert!(log.events.iter().any(|e| matches!(e, Event::MessageDownloaded { node, .. } if node == "bob-ua")));
}

#[test]
fn shutdown_closes_pop3_and_imap_sessions_with_their_goodbyes() {
    let pop3 = terminal(110, &["USER bob", "PASS bob-pw"]);
    let imap =
        terminal(143, &["a starttls", "b login bob bob-pw", "c select inbox", "d idle"]).replace("at = 0", "at = 10");
    let down = "[[action]]\nkind = \"fault\"\nat = \"1 s\"\nserver = \"bob-server\"\nfault = \"shutdown\"\n";
    let after = terminal(110, &["USER bob"]).replace("at = 0", "at = \"2 s\"");
    let log = run(&format!("{pop3}\n{imap}\n{down}\n{after}"));
    let m = messages(&log);
    let from_server: Vec<&str> =
        m.iter().filter(|(_, f, _, _)| f == "bob-server").map(|(_, _, raw, _)| raw.as_str()).collect();
    assert!(from_server.iter().any(|r| r.starts_with("-ERR [SYS/TEMP]")), "{from_server:?}");
    assert!(from_server.iter().any(|r| r.starts_with("* BYE [UNAVAILABLE]")), "{from_server:?}");
    // Both connections are closed, and the terminal opened afterwards finds nobody there.
    let closed = log.events.iter().filter(|e| matches!(e, Event::ConnectionClosed { .. })).count();
    assert_eq!(closed, 2);
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e, Event::ConnectionRefused { server, port: 110, .. } if server == "bob-server")));
    // A fault file names it; loading and saving keep it.
    let text = mailsim_sim::actions::to_toml(&[mailsim_sim::actions::Action::Fault {
        at: 5,
        server: "bob-server".into(),
        fault: mailsim_sim::actions::Fault::Shutdown,
    }]);
    assert!(text.contains("fault = \"shutdown\""), "{text}");
    assert_eq!(mailsim_sim::actions::from_toml(&text).len(), 1);
}

/// Shut each server down at every moment of alice-to-bob (and start it again 90 s later): a
/// 421 never loses a message a server took, and never makes a second copy, since a server
/// that says 421 has not taken the transaction's message (RFC 5321 §3.8, §4.5.4.1).
#[test]
fn a_shutdown_at_any_moment_loses_nothing_and_duplicates_nothing() {
    use mailsim_sim::actions::{Action, Fault};
    let base = scenario::run("alice-to-bob").unwrap();
    let mut times: Vec<u64> = base.events.iter().map(Event::time).collect();
    times.dedup();
    let mut saw_421 = 0;
    for server in ["alice-server", "bob-server"] {
        for &t in &times {
            for at in [t, t + 1] {
                let actions = [
                    Action::Fault { at, server: server.into(), fault: Fault::Shutdown },
                    Action::Fault { at: at + 90_000, server: server.into(), fault: Fault::Up },
                ];
                let log = scenario::run_with("alice-to-bob", &actions).unwrap();
                let stored = log
                    .events
                    .iter()
                    .filter(|e| matches!(e, Event::MessageStored { mailbox, .. } if mailbox == "bob@bob.example"))
                    .count();
                let taken =
                    log.events.iter().any(|e| matches!(e, Event::MessageQueued { node, .. } if node == "alice-server"));
                assert_eq!(stored, usize::from(taken), "{server} shut down at {at}: {stored} copies, taken {taken}");
                saw_421 += messages(&log).iter().filter(|m| m.2.starts_with("421 4.3.2")).count();
            }
        }
    }
    assert!(saw_421 >= 40, "{saw_421} sessions were told 421");
}

/// What the world view says happened, over the whole log.
fn happenings(log: &EventLog) -> Vec<String> {
    mailsim_sim::diagram::snapshot(log, 0, log.events.len()).happenings.to_vec()
}

#[test]
fn port_2525_takes_submission_as_587_does() {
    // Every mail server of the world takes submission on 2525 too: the same service, the same replies.
    let on = |port: u16| {
        let lines: Vec<String> =
            ["EHLO laptop", "MAIL FROM:<bob@bob.example>", "RCPT TO:<alice@alice.example>", "QUIT"]
                .iter()
                .map(|l| format!("{l:?}"))
                .collect();
        let log = run(&format!(
            "[[action]]\nkind = \"terminal\"\nat = 0\nclient = \"bob-ua\"\nhost = \"mail.bob.example\"\nport = {port}\nlines = [{}]\n",
            lines.join(", ")
        ));
        let replies: Vec<String> = messages(&log)
            .into_iter()
            .filter(|(p, from, _, _)| *p == port && from == "bob-server")
            .map(|m| m.2)
            .collect();
        assert!(
            log.events.iter().any(
                |e| matches!(e, Event::ConnectionOpened { port: p, protocol, .. } if *p == port && protocol == "SMTP")
            ),
            "{port}: opened as SMTP"
        );
        replies
    };
    let (sub, alt) = (on(587), on(2525));
    assert_eq!(sub, alt, "2525 answers exactly as 587");
    // Submission, not relay: its EHLO offers AUTH, which port 25's does not.
    assert!(alt.iter().any(|r| r.starts_with("250-") && r.contains("AUTH")), "{alt:?}");
    assert!(!on(25).iter().any(|r| r.contains("AUTH")), "port 25 offers no AUTH");
    // A port where nothing listens: refused at once (a reset), no unanswered SYN.
    let log = run(&terminal(2526, &["EHLO laptop"]));
    assert!(log.events.iter().any(|e| matches!(e, Event::ConnectionRefused { port: 2526, t, .. } if *t < 1000)));
    assert!(!log.events.iter().any(|e| matches!(e, Event::MessageSent { protocol, .. } if protocol == "TCP")));
    assert!(
        happenings(&log).iter().any(|h| h.ends_with("could not connect to Bob's server port 2526")),
        "{:?}",
        happenings(&log)
    );
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e, Event::Narrated { text, .. } if text.ends_with("port 2526 (connection refused)."))));
}

#[test]
fn a_blocked_port_times_out_and_another_port_gets_through() {
    let log = scenario::run("port-blocked").unwrap();
    // One SYN to 587, never answered; 30 s later the user agent gives up.
    let syns: Vec<_> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { protocol, port, label, meaning, .. } if protocol == "TCP" => {
                Some((*port, label.clone(), meaning.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(syns.len(), 1, "{syns:?}");
    assert_eq!(syns[0].0, 587);
    assert!(syns[0].2.contains("firewall on the network of laptop.hotel.example"), "{}", syns[0].2);
    let refused = log.events.iter().find_map(|e| match e {
        Event::ConnectionRefused { t, port, .. } => Some((*t, *port)),
        _ => None,
    });
    assert_eq!(refused, Some((30_000, 587)), "the timeout, after 30 s");
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e, Event::Narrated { text, .. } if text.contains("port 587 (timed out: nothing answered)"))));
    // The same message through 2525 reaches Bob.
    let stored = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageStored { mailbox, .. } if mailbox == "bob@bob.example"))
        .count();
    assert_eq!(stored, 1);
    assert!(answer_to(&log, 2525, "AUTH PLAIN").starts_with("235"));
    // A server that is down times out the same way (server-down), and its queue says so.
    let down = scenario::run("server-down").unwrap();
    assert!(down
        .events
        .iter()
        .any(|e| matches!(e, Event::MessageDeferred { reason, .. } if reason.contains("Connection timed out"))));
}
