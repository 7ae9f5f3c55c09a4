//! What several integration tests drive the same way: an IMAP server engine whose owner is
//! the store (`answer_from_store`), fed bytes and drained until it is quiet.
#![allow(dead_code)] // each test file uses a part

use mailsim_proto::imap::server::{answer_from_store, ImapConfig, ImapServer};
use mailsim_proto::store::MailStore;
use mailsim_proto::Engine;

/// The account every session here logs in to.
pub const USER: &str = "bob@b.example";

/// A store holding `USER` (password `pw`) with `messages` in its INBOX.
pub fn store_with(messages: &[&[u8]]) -> MailStore {
    let mut st = MailStore::default();
    st.add_account(USER, "pw");
    for m in messages {
        st.deliver(USER, m.to_vec());
    }
    st
}

/// An IMAP session on a plain connection (LOGIN allowed without TLS) with its owner.
pub struct ImapSession {
    pub s: ImapServer,
    pub st: MailStore,
}

impl ImapSession {
    /// A new session; the greeting is read and dropped.
    pub fn new(st: MailStore) -> ImapSession {
        let mut config = ImapConfig::new("h", vec![(USER.into(), "pw".into())], vec![7; 16], "n");
        config.login_requires_tls = false;
        let mut imap = ImapSession { s: ImapServer::new(config, 0), st };
        imap.send(b"");
        imap
    }

    /// Logged in, INBOX selected.
    pub fn selected(st: MailStore) -> ImapSession {
        let mut imap = ImapSession::new(st);
        let out = imap.text(b"a LOGIN bob pw\r\nb SELECT INBOX\r\n");
        assert!(out.contains("b OK [READ-WRITE]"), "{out}");
        imap
    }

    /// Feeds `bytes` in one read; returns all the server wrote until it had nothing more to
    /// say, the store answering its requests meanwhile.
    pub fn send(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.s.handle_input(0, bytes);
        let mut out = Vec::new();
        loop {
            let mut quiet = true;
            while let Some(t) = self.s.poll_transmit() {
                out.extend_from_slice(&t.bytes);
                quiet = false;
            }
            while let Some(e) = self.s.poll_event() {
                quiet = false;
                let _ = answer_from_store(&mut self.s, &mut self.st, e, 0);
            }
            if quiet {
                return out;
            }
        }
    }

    pub fn text(&mut self, bytes: &[u8]) -> String {
        String::from_utf8_lossy(&self.send(bytes)).into_owned()
    }
}
