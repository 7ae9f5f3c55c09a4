"""qa10's fixes against `mailsim serve`, with Python's smtplib and imaplib:

- AUTH after HELO (not EHLO) is refused with 503 and a text that says to send EHLO
  (RFC 4954 §3, RFC 5321 §2.2.1: HELO asks for no extensions, and AUTH is one; Exim answers
  the same). After EHLO the same credentials log in. Before, HELO then AUTH logged in.
- RENAME INBOX while INBOX is selected (RFC 9051 §6.3.6: INBOX is left empty): the session that
  renamed it gets `* n EXPUNGE` for each message before its tagged OK, and another session with
  INBOX selected hears them at its next command (§7.5.1). Nothing is lost: the new folder holds
  them all. Before, the renaming session was told nothing until it selected again.
- A refused MAIL or RCPT says what is wrong with it (RFC 5321 §4.1.1.2-3).

Run alone from the repository root:  python3 -m unittest discover -s tests/interop -p test_qa10.py -v
"""
import base64
import imaplib
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_helper import HOST, USERS, Serve  # noqa: E402

ALICE, BOB = "alice@alice.example", "bob@bob.example"
SERVE = None


def setUpModule():
    global SERVE
    SERVE = Serve()


def tearDownModule():
    SERVE.stop()


def plain(user):
    return base64.b64encode(f"\0{user}\0{USERS[user]}".encode()).decode()


class AuthAfterHelo(unittest.TestCase):
    def test_auth_after_helo_is_503_then_ehlo_logs_in(self):
        with smtplib.SMTP(HOST, SERVE.ports["submission"], timeout=10) as s:
            s.helo("laptop.example")
            code, text = s.docmd("AUTH", f"PLAIN {plain(ALICE)}")
            self.assertEqual(code, 503, text)
            self.assertIn(b"send EHLO first", text)
            s.ehlo("laptop.example")
            self.assertTrue(s.has_extn("auth"))
            code, text = s.docmd("AUTH", f"PLAIN {plain(ALICE)}")
            self.assertEqual(code, 235, text)

    def test_a_refused_path_says_what_is_wrong(self):
        with smtplib.SMTP(HOST, SERVE.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example")
            for line, why in [
                ("MAIL  FROM:<carol@elsewhere.example>", b"one space after the verb"),
                ("MAIL FROM:carol@elsewhere.example", b"angle brackets are required"),
            ]:
                code, text = s.docmd(line)
                self.assertEqual(code, 501, line)
                self.assertIn(why, text, line)
            self.assertEqual(s.docmd("MAIL FROM:<carol@elsewhere.example>")[0], 250)
            code, text = s.docmd("RCPT TO:<bob@bob.example")
            self.assertEqual((code, b"closing > is missing" in text), (501, True), text)


class RenameInbox(unittest.TestCase):
    def test_rename_inbox_while_selected_expunges_in_both_sessions(self):
        with smtplib.SMTP(HOST, SERVE.ports["smtp"], timeout=10) as s:
            for i in range(3):
                s.sendmail("carol@elsewhere.example", [BOB], f"Subject: keep {i}\r\n\r\nx\r\n".encode())
        other = imaplib.IMAP4(HOST, SERVE.ports["imap"])
        m = imaplib.IMAP4(HOST, SERVE.ports["imap"])
        try:
            other.login(BOB, USERS[BOB])
            m.login(BOB, USERS[BOB])
            n = int(m.select("INBOX")[1][0])
            self.assertGreaterEqual(n, 3)
            self.assertEqual(int(other.select("INBOX")[1][0]), n)
            typ, _ = m.rename("INBOX", "Kept")
            self.assertEqual(typ, "OK")
            # imaplib keeps untagged responses: one EXPUNGE per message, each "1".
            self.assertEqual(m.untagged_responses.get("EXPUNGE"), [b"1"] * n)
            with self.assertRaises(imaplib.IMAP4.error, msg="no message 1 any more"):
                m.fetch("1", "(FLAGS)")
            other.noop()
            self.assertEqual(len(other.untagged_responses.get("EXPUNGE", [])), n)
            self.assertEqual(m.status("Kept", "(MESSAGES)")[1][0], f"Kept (MESSAGES {n})".encode())
            self.assertEqual(int(m.select("INBOX")[1][0]), 0)
        finally:
            for c in (m, other):
                try:
                    c.logout()
                except imaplib.IMAP4.error:
                    pass


if __name__ == "__main__":
    unittest.main()
