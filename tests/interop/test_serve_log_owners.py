"""`mailsim serve --log` records each login that succeeds (issue 16, QA F19): an `owner` record
`{"event":"owner","conn":C,"user":ADDRESS}` after the server's reply, the same fact as the live
stream's `owner` entry, so that the log opened later names each student's lifeline as the live
view did. With the live view (its stream follows the logins) and without it (`--no-web`)."""
import imaplib
import json
import os
import poplib
import smtplib
import tempfile
import unittest

from serve_helper import HOST, USERS, Serve, free_port

ALICE, BOB = "alice@alice.example", "bob@bob.example"


class OwnerRecords(unittest.TestCase):
    def run_class(self, web):
        log = os.path.join(tempfile.mkdtemp(), "serve.jsonl")
        s = Serve(extra=["--log", log, *(["--web-port", str(free_port())] if web else ["--no-web"])])
        try:
            i = imaplib.IMAP4(HOST, s.ports["imap"], timeout=10)
            i.login(ALICE, USERS[ALICE])
            i.logout()
            p = poplib.POP3(HOST, s.ports["pop3"], timeout=10)
            p.user("bob")  # the short name: recorded as the account's address
            try:
                p.pass_("wrong")
            except poplib.error_proto:
                pass
            p.quit()
            p = poplib.POP3(HOST, s.ports["pop3"], timeout=10)
            p.user("bob")
            p.pass_(USERS[BOB])
            p.quit()
            m = smtplib.SMTP(HOST, s.ports["smtp"], timeout=10)
            m.ehlo("anon.example")
            m.quit()
        finally:
            code, out = s.stop()
        self.assertEqual(code, 0, out)
        with open(log, encoding="latin-1") as f:
            records = [json.loads(line) for line in f.read().splitlines()[1:] if line]
        conns = {r["conn"]: r["protocol"] for r in records if r["event"] == "connection_opened"}
        owners = [(conns[r["conn"]], r["user"]) for r in records if r["event"] == "owner"]
        self.assertEqual(owners, [("IMAP", ALICE), ("POP3", BOB)], "each login that succeeded, once")
        # Each right after the server's reply that accepted the login.
        for k, r in enumerate(records):
            if r["event"] == "owner":
                before = records[k - 1]
                self.assertEqual((before["event"], before["from"], before["conn"]), ("message_sent", "server", r["conn"]))
                self.assertRegex(before["label"], r"^(\S+ OK|\+OK)")

    def test_owner_records_without_the_live_view(self):
        self.run_class(web=False)

    def test_owner_records_with_the_live_view(self):
        self.run_class(web=True)


if __name__ == "__main__":
    unittest.main()
