//! Raised line limits (`mailsim serve --max-line-length`): process-wide, so in a test binary
//! of their own, one test that sets them in order.

use mailsim_proto::imap::server::{ImapConfig, ImapServer};
use mailsim_proto::limits;
use mailsim_proto::pop3::{Pop3Config, Pop3Server};
use mailsim_proto::Engine;

fn imap(line: &[u8]) -> String {
    let mut config = ImapConfig::new("h", vec![], vec![7; 16], "n");
    config.login_requires_tls = false;
    let mut s = ImapServer::new(config, 0);
    while s.poll_transmit().is_some() {}
    s.handle_input(0, line);
    s.handle_input(0, b"z NOOP\r\n");
    std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect()
}

fn pop3(line: &[u8]) -> String {
    let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
    while s.poll_transmit().is_some() {}
    s.handle_input(0, line);
    s.handle_input(0, b"NOOP\r\n");
    std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect()
}

#[test]
fn line_limits_can_be_raised_not_lowered_below_the_rfcs() {
    let long_imap = format!("t CAPABILITY {}\r\n", "x".repeat(12_000));
    let long_pop3 = format!("USER {}\r\n", "x".repeat(900));
    // The defaults.
    assert_eq!((limits::imap_line(), limits::pop3_command_line()), (limits::IMAP_LINE, limits::POP3_COMMAND_LINE));
    assert!(imap(long_imap.as_bytes()).starts_with("t BAD Command line too long: the limit is 8192 octets"));
    assert!(pop3(long_pop3.as_bytes()).starts_with("-ERR command line too long (the limit is 255 octets"));
    // Below the RFCs' minimums, or past 1 MiB: refused, nothing changes.
    assert!(limits::set_imap_line(8191).unwrap_err().contains("RFC 7162 §4"));
    assert!(limits::set_pop3_command_line(254).unwrap_err().contains("RFC 2449 §4"));
    assert!(limits::set_imap_line(limits::LINE_MAX + 1).is_err());
    assert_eq!((limits::imap_line(), limits::pop3_command_line()), (8192, 255));
    // Raised: the long lines are commands now (CAPABILITY takes no argument: BAD, but not for
    // its length), and past the new limit the reply names it.
    limits::set_imap_line(20_000).unwrap();
    limits::set_pop3_command_line(1_000).unwrap();
    let out = imap(long_imap.as_bytes());
    assert!(!out.contains("too long") && out.ends_with("z OK NOOP completed\r\n"), "{out}");
    let out = imap(format!("t NOOP {}\r\n", "x".repeat(25_000)).as_bytes());
    assert!(out.starts_with("t BAD Command line too long: the limit is 20000 octets"), "{out}");
    assert!(out.ends_with("z OK NOOP completed\r\n"), "the rest of the line skipped: {out}");
    let out = pop3(long_pop3.as_bytes());
    assert!(out.starts_with("+OK"), "{out}");
    let out = pop3(format!("USER {}\r\n", "x".repeat(2_000)).as_bytes());
    assert!(out.starts_with("-ERR command line too long (the limit is 1000 octets"), "{out}");
    assert_eq!(out.lines().count(), 2, "then NOOP is read as a fresh command: {out}");
}
