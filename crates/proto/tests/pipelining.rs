//! Pipelined commands in one read (issue 13): a server takes each command from the front of
//! its input by moving a cursor (`codec::InBuf`), so a megabyte of commands costs O(size),
//! not a shift of the rest per command. Each test feeds 20,000 NOOPs (IMAP and SMTP: 50 octets
//! each, 1 MB) in one `handle_input` and counts the replies; `bench_engine` (ignored) prints the time.

mod support;
use support::{store_with, ImapSession};

use mailsim_proto::pop3::{Pop3Config, Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::{Role, ServerConfig, SmtpServer};
use mailsim_proto::store::MailStore;
use mailsim_proto::Engine;

/// How many commands, and the command `i` (50 octets: a long tag for IMAP).
pub const COMMANDS: usize = 20_000;

pub fn imap_noop(i: usize) -> String {
    format!("n{i:0>42} NOOP\r\n")
}

/// Runs an IMAP server logged in with INBOX selected, then feeds it `input` in one read;
/// returns everything it wrote after the SELECT.
pub fn imap_after_select(input: &[u8]) -> Vec<u8> {
    ImapSession::selected(store_with(&[b"Subject: hi\r\n\r\nhi\r\n"])).send(input)
}

#[test]
fn imap_20000_pipelined_noops_in_one_read_get_20000_tagged_oks() {
    let input: String = (0..COMMANDS).map(imap_noop).collect();
    assert_eq!(input.len(), 1_000_000);
    let out = String::from_utf8(imap_after_select(input.as_bytes())).unwrap();
    let oks: Vec<&str> = out.lines().filter(|l| l.contains(" OK NOOP completed")).collect();
    assert_eq!(oks.len(), COMMANDS);
    // In order, each with its own tag.
    for (i, l) in oks.iter().enumerate() {
        assert!(l.starts_with(imap_noop(i).trim_end().trim_end_matches(" NOOP")), "{i}: {l}");
    }
}

#[test]
fn pop3_20000_pipelined_noops_in_one_read_get_20000_oks() {
    let mut st = MailStore::default();
    st.add_account("bob@b.example", "pw");
    let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
    s.handle_input(0, b"USER bob\r\nPASS pw\r\n");
    while let Some(e) = s.poll_event() {
        if let Pop3ServerEvent::LoginRequested { user, pass } = e {
            s.answer_login(st.login_user(&user, &pass));
        }
    }
    while s.poll_transmit().is_some() {}
    // POP3's NOOP takes no argument (RFC 1939 §5): 6 octets each, 120 KB.
    let input = b"NOOP\r\n".repeat(COMMANDS);
    s.handle_input(0, &input);
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit() {
        out.extend_from_slice(&t.bytes);
    }
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().filter(|l| l.starts_with("+OK")).count(), COMMANDS, "{}", &out[..out.len().min(300)]);
}

#[test]
fn smtp_20000_pipelined_noops_in_one_read_get_20000_replies() {
    let mut s = SmtpServer::new(ServerConfig::basic("h", Role::Relay, &["b.example"], &["bob@b.example"]), 0);
    s.handle_input(0, b"EHLO c.example\r\n");
    while s.poll_transmit().is_some() {}
    // NOOP may take a string argument (RFC 5321 §4.1.1.9): 50 octets a line.
    let input = format!("NOOP {}\r\n", "x".repeat(43)).repeat(COMMANDS);
    assert_eq!(input.len(), 1_000_000);
    s.handle_input(0, input.as_bytes());
    let mut out = Vec::new();
    while let Some(t) = s.poll_transmit() {
        out.extend_from_slice(&t.bytes);
    }
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().filter(|l| l.starts_with("250 ")).count(), COMMANDS, "{}", &out[..out.len().min(300)]);
}
