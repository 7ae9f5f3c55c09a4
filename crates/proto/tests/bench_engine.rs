//! Engine time per command on the worst inputs within the limits of
//! `mailsim_proto::limits` (issue 13: no command within the line limits may take more than
//! 10 ms of engine time). A measurement, not a timed assertion:
//!
//! `nice -n 19 cargo test --release -p mailsim-proto --test bench_engine -- --ignored --nocapture`

use mailsim_proto::limits::{IMAP_LINE, IMAP_NESTING, SEARCH_NESTING, SMTP_COMMAND_LINE};
use mailsim_proto::pop3::{Pop3Config, Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::{Role, ServerConfig, ServerEvent, SmtpServer};
use mailsim_proto::store::MailStore;
use mailsim_proto::Engine;
use std::time::{Duration, Instant};

mod support;
use support::ImapSession;

/// A session with the time its engine took for each read.
struct Imap(ImapSession);

impl Imap {
    fn new(st: MailStore) -> Imap {
        Imap(ImapSession::new(st))
    }

    fn send(&mut self, bytes: &[u8]) -> (Duration, Vec<u8>) {
        let started = Instant::now();
        let out = self.0.send(bytes);
        (started.elapsed(), out)
    }
}

fn nested_multipart(depth: usize) -> Vec<u8> {
    let mut m = b"Subject: deep\r\n".to_vec();
    for i in 0..depth {
        m.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n").as_bytes());
    }
    m.extend_from_slice(b"Content-Type: text/plain\r\n\r\nthe bottom\r\n");
    for i in (0..depth).rev() {
        m.extend_from_slice(format!("--b{i}--\r\n").as_bytes());
    }
    m
}

fn nested_rfc822(depth: usize) -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..depth {
        m.extend_from_slice(format!("Subject: level {i}\r\nContent-Type: message/rfc822\r\n\r\n").as_bytes());
    }
    m.extend_from_slice(b"Subject: bottom\r\n\r\nthe bottom\r\n");
    m
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
fn engine_time_per_command() {
    let mut st = MailStore::default();
    st.add_account("bob@b.example", "pw");
    // A mailbox of ordinary mail, and the hostile messages anyone can deliver.
    for i in 0..200 {
        let body = format!("Subject: message {i}\r\nFrom: a{i}@x.example\r\n\r\n{}\r\n", "text ".repeat(400));
        st.deliver("bob@b.example", body.into_bytes());
    }
    st.deliver("bob@b.example", nested_multipart(30_000));
    st.deliver("bob@b.example", nested_rfc822(30_000));
    // An ordinary large message for comparison: 10 MB, five base64 attachments.
    let mut big = b"Subject: big\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n".to_vec();
    for i in 0..5 {
        big.extend_from_slice(
            format!(
                "--z\r\nContent-Type: application/pdf; name=\"f{i}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            )
            .as_bytes(),
        );
        big.extend(
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n".repeat(2_000_000 / 74),
        );
    }
    big.extend_from_slice(b"--z--\r\n");
    st.deliver("bob@b.example", big);
    let mut imap = Imap::new(st);
    imap.send(b"a LOGIN bob pw\r\n");
    let long_name = "x".repeat(IMAP_LINE - 40);
    imap.send(format!("c CREATE {long_name}\r\n").as_bytes());
    imap.send(b"b SELECT INBOX\r\n");
    let stars = "*%".repeat((IMAP_LINE - 40) / 2);
    let parens = format!("{}FLAGS{}", "(".repeat(IMAP_NESTING - 1), ")".repeat(IMAP_NESTING - 1));
    let ors = format!("{}SEEN", "OR SEEN ".repeat(SEARCH_NESTING - 2));
    let fill = |s: String| {
        let mut s = s;
        s.truncate(IMAP_LINE - 2);
        s
    };
    let commands: Vec<(&str, String)> = vec![
        ("LIST many wildcards, long name", format!("l LIST \"\" \"{stars}\"")),
        ("LIST * ", "l LIST \"\" *".into()),
        ("FETCH nested lists", format!("f FETCH 1 {parens}")),
        ("FETCH 1:* FLAGS (203 messages)", "f FETCH 1:* (FLAGS UID RFC822.SIZE)".into()),
        ("FETCH 1:200 ENVELOPE", "f FETCH 1:200 ENVELOPE".into()),
        ("FETCH 201 BODYSTRUCTURE (30,000 multiparts)", "f FETCH 201 BODYSTRUCTURE".into()),
        ("FETCH 201 BODY[1.1.1...] (100 deep)", format!("f FETCH 201 BODY.PEEK[{}]", vec!["1"; 100].join("."))),
        ("FETCH 202 BODYSTRUCTURE (30,000 message/rfc822)", "f FETCH 202 BODYSTRUCTURE".into()),
        ("FETCH 202 BODY[1.1.1...] (100 deep)", format!("f FETCH 202 BODY.PEEK[{}]", vec!["1"; 100].join("."))),
        ("FETCH 203 BODYSTRUCTURE (10 MB, 5 attachments)", "f FETCH 203 BODYSTRUCTURE".into()),
        ("FETCH 203 BODY.PEEK[3] (10 MB, 5 attachments)", "f FETCH 203 BODY.PEEK[3]<0.100>".into()),
        ("SEARCH nested ORs", format!("s SEARCH {ors}")),
        ("SEARCH TEXT over the mailbox", "s SEARCH TEXT needle".into()),
        ("SEARCH long sequence set", fill(format!("s SEARCH {}", "1:2,".repeat(IMAP_LINE)))),
        ("UID FETCH long set", {
            let mut set = "4294967295,1:3,".repeat(IMAP_LINE / 15);
            set.truncate(IMAP_LINE - 40);
            format!("s UID FETCH {}1 UID", set.trim_end_matches(|c: char| c != ','))
        }),
        ("line of 8 KB junk", fill(format!("j {}", "\u{FF}(\"".repeat(IMAP_LINE)))),
        ("NOOP", "n NOOP".into()),
    ];
    let mut worst = (Duration::ZERO, "");
    for (name, line) in &commands {
        let mut bytes = line.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        let mut best = Duration::MAX;
        let mut answer = Vec::new();
        for _ in 0..5 {
            let (t, out) = imap.send(&bytes);
            best = best.min(t);
            answer = out;
        }
        let tail = String::from_utf8_lossy(&answer[answer.len().saturating_sub(60)..]).replace("\r\n", " ");
        println!("IMAP {name:<48} {:>9.3} ms  …{}", best.as_secs_f64() * 1e3, tail.trim());
        if best > worst.0 {
            worst = (best, name);
        }
    }

    // SMTP: commands at the line limit, and a 16 KB read of DATA.
    let mut s = SmtpServer::new(ServerConfig::basic("h", Role::Relay, &["b.example"], &["bob@b.example"]), 0);
    let mut smtp = |bytes: &[u8]| {
        let started = Instant::now();
        s.handle_input(0, bytes);
        while s.poll_transmit().is_some() {}
        while let Some(e) = s.poll_event() {
            if matches!(e, ServerEvent::MessageReceived(_)) {
                s.accept_message("Q");
            }
        }
        started.elapsed()
    };
    smtp(b"EHLO c.example\r\n");
    let long_mail = format!("MAIL FROM:<{}@c.example>\r\n", "a".repeat(SMTP_COMMAND_LINE - 30));
    let lines: Vec<(&str, Vec<u8>)> = vec![
        ("MAIL at the line limit", long_mail.into_bytes()),
        ("RCPT", b"RCPT TO:<bob@b.example>\r\n".to_vec()),
        ("DATA", b"DATA\r\n".to_vec()),
        ("16 KB of DATA", [b"0123456789abcde\n".repeat(1024 - 1), b"0123456789abc\r\n".to_vec()].concat()),
        ("end of data", b".\r\n".to_vec()),
        ("junk at the line limit", vec![0xFF; SMTP_COMMAND_LINE + 10]),
    ];
    for (name, bytes) in &lines {
        let t = smtp(bytes);
        println!("SMTP {name:<48} {:>9.3} ms", t.as_secs_f64() * 1e3);
        if t > worst.0 {
            worst = (t, name);
        }
    }
    // Pipelining: many commands in one read (a driver reads 16 KB at a time; 1 MB shows
    // whether the cost per command depends on what follows it in the buffer).
    for kb in [16usize, 1024] {
        let noops = b"p NOOP\r\n".repeat(kb * 1024 / 8);
        let (t, _) = imap.send(&noops);
        let per = t.as_secs_f64() * 1e3 / (noops.len() / 8) as f64;
        println!(
            "IMAP {:<48} {:>9.3} ms  ({per:.4} ms per command)",
            format!("{kb} KB of pipelined NOOPs"),
            t.as_secs_f64() * 1e3
        );
        let mut s = SmtpServer::new(ServerConfig::basic("h", Role::Relay, &["b.example"], &["bob@b.example"]), 0);
        let rsets = b"RSET\r\n".repeat(kb * 1024 / 6);
        let started = Instant::now();
        s.handle_input(0, b"EHLO c.example\r\n");
        s.handle_input(0, &rsets);
        while s.poll_transmit().is_some() {}
        let t = started.elapsed();
        let per = t.as_secs_f64() * 1e3 / (rsets.len() / 6) as f64;
        println!(
            "SMTP {:<48} {:>9.3} ms  ({per:.4} ms per command)",
            format!("{kb} KB of pipelined RSETs"),
            t.as_secs_f64() * 1e3
        );
    }
    // 20,000 pipelined NOOPs in one read (tests/pipelining.rs checks their replies): IMAP
    // with 43-octet tags (1 MB), POP3 after login.
    let noops: String = (0..20_000).map(|i| format!("n{i:0>42} NOOP\r\n")).collect();
    let (t, out) = imap.send(noops.as_bytes());
    let oks = String::from_utf8_lossy(&out).matches(" OK NOOP completed").count();
    println!("IMAP {:<48} {:>9.3} ms  ({oks} tagged OKs)", "20,000 NOOPs, 1 MB, one read", t.as_secs_f64() * 1e3);
    let mut st = MailStore::default();
    st.add_account("bob@b.example", "pw");
    let mut pop = Pop3Server::new(Pop3Config::new("h"), 0);
    pop.handle_input(0, b"USER bob\r\nPASS pw\r\n");
    while let Some(e) = pop.poll_event() {
        if let Pop3ServerEvent::LoginRequested { user, pass } = e {
            pop.answer_login(st.login_user(&user, &pass));
        }
    }
    while pop.poll_transmit().is_some() {}
    let started = Instant::now();
    pop.handle_input(0, &b"NOOP\r\n".repeat(20_000));
    let mut oks = 0;
    while let Some(t) = pop.poll_transmit() {
        oks += t.bytes.windows(3).filter(|w| w == b"+OK").count();
    }
    let t = started.elapsed();
    println!("POP3 {:<48} {:>9.3} ms  ({oks} +OKs)", "20,000 NOOPs, 120 KB, one read", t.as_secs_f64() * 1e3);
    // What a driver does before each read of a session (`MailHost::detach`, under its store
    // lock): the session's view brought up to date with the folder, here 10,000 messages
    // with one flag changed by another session.
    let mut big = MailStore::default();
    big.add_account("bob@b.example", "pw");
    for i in 0..10_000 {
        big.deliver("bob@b.example", format!("Subject: {i}\r\n\r\nx\r\n").into_bytes());
    }
    let mut viewer = Imap::new(big);
    viewer.send(b"a LOGIN bob pw\r\nb SELECT INBOX\r\n");
    viewer.0.st.set_flags("bob@b.example", 5_000, &["\\Seen".into()]);
    let latest = viewer.0.st.mailbox("bob@b.example").map(|m| m.messages.clone()).unwrap_or_default();
    let started = Instant::now();
    viewer.0.s.refresh(&latest);
    let t = started.elapsed();
    let (_, out) = viewer.send(b"c NOOP\r\n");
    let out = String::from_utf8_lossy(&out).into_owned();
    let fetch = out.starts_with("* 5000 FETCH (FLAGS (\\Recent \\Seen))");
    println!("IMAP {:<48} {:>9.3} ms  (change reported: {fetch})", "refresh of 10,000 messages", t.as_secs_f64() * 1e3);
    println!("worst: {} at {:.3} ms", worst.1, worst.0.as_secs_f64() * 1e3);
}
