"""The reserved mailbox "postmaster" (RFC 5321 §4.5.1) against `mailsim serve`, with smtplib:
`RCPT TO:<postmaster@bob.example>` (any case) and `RCPT TO:<Postmaster>` (no domain) are
accepted and the message arrives. Before, the first got 550 and the second 250 with the
message lost. The postmaster of a domain is its first account (bob.example's is Bob); the
bare form is the postmaster of the server's first domain (its first --user: Alice).

Run alone from the repository root:  python3 -m unittest discover -s tests/interop -p test_postmaster.py -v
"""
import imaplib
import os
import smtplib
import sys
import time
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


def subjects(user):
    m = imaplib.IMAP4(HOST, SERVE.ports["imap"])
    try:
        m.login(user, USERS[user])
        _, exists = m.select("INBOX", readonly=True)
        if int(exists[0]) == 0:
            return []
        _, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        return [p[1].decode().strip() for p in data if isinstance(p, tuple)]
    finally:
        m.logout()


def wait_for(user, subject, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = subjects(user).count(f"Subject: {subject}")
        if found:
            return found
        time.sleep(0.2)
    return 0


class Postmaster(unittest.TestCase):
    def test_postmaster_at_a_domain_and_bare_are_accepted_and_delivered(self):
        with smtplib.SMTP(HOST, SERVE.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example")
            refused = s.sendmail("carol@elsewhere.example", ["PostMaster@bob.example"],
                                 b"Subject: to bob.example's postmaster\r\n\r\nhello\r\n")
            self.assertEqual(refused, {})
            refused = s.sendmail("carol@elsewhere.example", ["postmaster"],
                                 b"Subject: to the bare postmaster\r\n\r\nhello\r\n")
            self.assertEqual(refused, {})
        self.assertEqual(wait_for(BOB, "to bob.example's postmaster"), 1)
        self.assertEqual(wait_for(ALICE, "to the bare postmaster"), 1)

    def test_the_alias_and_its_account_together_get_one_copy(self):
        with smtplib.SMTP(HOST, SERVE.ports["smtp"], timeout=10) as s:
            refused = s.sendmail("carol@elsewhere.example", ["postmaster@bob.example", BOB],
                                 b"Subject: once for bob\r\n\r\nhello\r\n")
            self.assertEqual(refused, {})
        self.assertEqual(wait_for(BOB, "once for bob"), 1)

    def test_another_unknown_local_user_is_still_550(self):
        with smtplib.SMTP(HOST, SERVE.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example")
            s.mail("carol@elsewhere.example")
            code, _ = s.rcpt("root@bob.example")
            self.assertEqual(code, 550)


if __name__ == "__main__":
    unittest.main()
