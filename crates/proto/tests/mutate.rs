//! A small mutation fuzzer on stable Rust, in the normal suite: sessions of real commands,
//! mutated (bytes flipped, inserted, deleted, spliced, repeated) and fed to every server
//! engine in random chunks. No input may panic an engine (overflow checks are on in tests).
//! Deterministic: a fixed seed, so a failure is reproducible.

use mailsim_proto::imap::server::{answer_from_store, ImapConfig, ImapServer};
use mailsim_proto::pop3::{Pop3Config, Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::{Role, ServerConfig, ServerEvent, SmtpServer};
use mailsim_proto::store::MailStore;
use mailsim_proto::Engine;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const DICT: &[&[u8]] = &[
    b"\r\n",
    b"{",
    b"}",
    b"{4294967296}",
    b"{18446744073709551615+}",
    b"(",
    b")",
    b"\"",
    b"\\",
    b"*",
    b"%",
    b":",
    b"4294967296",
    b"0",
    b"*:1",
    b"BODY[1.2.3.MIME]",
    b"<1.18446744073709551615>",
    b"\0",
    b"\xFF",
    b"\xC3",
    b"\r\n.\r\n",
    b".",
    b"\n",
    b"\r",
    b"OR ",
    b"NOT ",
    b"UID ",
    b"=?utf-8?b?",
    b"--b\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(v.len().saturating_add(1));
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 => v.splice(at..at, DICT[rng.below(DICT.len())].iter().copied()).for_each(drop),
            2 if at < v.len() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            3 => {
                let piece: Vec<u8> = v[at..(at + rng.below(32)).min(v.len())].to_vec();
                for _ in 0..rng.below(64) {
                    v.splice(at..at, piece.iter().copied()).for_each(drop);
                }
            }
            4 => v.insert(at, b"({\"*%)\r\n"[rng.below(8)]),
            _ => v.splice(at..at, DICT[rng.below(DICT.len())].repeat(rng.below(200))).for_each(drop),
        }
    }
    v
}

fn chunks<'a>(rng: &mut Rng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len().min(64));
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

fn store() -> MailStore {
    let mut st = MailStore::default();
    st.add_account("bob@b.example", "pw");
    st.deliver("bob@b.example", b"Subject: one\r\nFrom: a@x.example\r\n\r\nbody\r\n".to_vec());
    let mime = b"Subject: two\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\n";
    st.deliver("bob@b.example", mime.to_vec());
    st
}

const IMAP_SEED: &[u8] = b"a LOGIN bob pw\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[1.1] BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.5>)\r\nd SEARCH OR UNSEEN (FROM \"a\" NOT DELETED) UID 1:*\r\ne STORE 1 +FLAGS (\\Seen $Work)\r\nf LIST \"\" \"*\"\r\ng STATUS INBOX (MESSAGES UIDNEXT)\r\nh CREATE Work\r\ni COPY 1 Work\r\nj APPEND Work (\\Seen) {11}\r\nSubject: z\r\nk UID FETCH 1:* FLAGS\r\nl EXPUNGE\r\nm IDLE\r\nDONE\r\nn AUTHENTICATE PLAIN\r\nAGJvYgBwdw==\r\no LOGOUT\r\n";
const SMTP_SEED: &[u8] = b"EHLO c.example\r\nMAIL FROM:<a@c.example> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<bob@b.example>\r\nDATA\r\nSubject: s\r\n\r\n..x\r\n.\r\nAUTH PLAIN AGJvYgBwdw==\r\nVRFY bob\r\nRSET\r\nNOOP\r\nQUIT\r\n";
const POP3_SEED: &[u8] =
    b"CAPA\r\nUSER bob\r\nPASS pw\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 1\r\nTOP 2 1\r\nDELE 1\r\nRSET\r\nNOOP\r\nQUIT\r\n";

#[test]
fn mutated_sessions_never_panic_a_server() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let rounds: usize = std::env::var("MUTATE_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    for round in 0..rounds {
        let input = mutate(&mut rng, IMAP_SEED);
        let mut st = store();
        let mut config = ImapConfig::new("h", vec![("bob@b.example".into(), "pw".into())], vec![7; 16], "n");
        config.login_requires_tls = false;
        let mut s = ImapServer::new(config, 0);
        for c in chunks(&mut rng, &input) {
            s.handle_input(round as u64, c);
            for _ in 0..100 {
                let mut quiet = s.poll_transmit().is_none();
                while s.poll_transmit().is_some() {}
                while let Some(e) = s.poll_event() {
                    quiet = false;
                    let _ = answer_from_store(&mut s, &mut st, e, 0);
                }
                if quiet {
                    break;
                }
            }
        }

        let input = mutate(&mut rng, SMTP_SEED);
        let mut config = ServerConfig::basic("h", Role::Relay, &["b.example"], &["bob@b.example"]);
        config.accounts = vec![("bob@b.example".into(), "pw".into())].into();
        let mut s = SmtpServer::new(config, 0);
        for c in chunks(&mut rng, &input) {
            s.handle_input(0, c);
            while s.poll_transmit().is_some() {}
            while let Some(e) = s.poll_event() {
                if let ServerEvent::MessageReceived(_) = e {
                    s.accept_message("Q");
                }
            }
        }

        let input = mutate(&mut rng, POP3_SEED);
        let mut st = store();
        let mut s = Pop3Server::new(Pop3Config::new("h"), 0);
        for c in chunks(&mut rng, &input) {
            s.handle_input(0, c);
            while s.poll_transmit().is_some() {}
            while let Some(e) = s.poll_event() {
                if let Pop3ServerEvent::LoginRequested { user, pass } = e {
                    s.answer_login(st.login_user(&user, &pass));
                }
            }
        }
    }
}
