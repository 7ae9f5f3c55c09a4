"""A restart loses nothing acknowledged (issue 13): deliver over SMTP, flag and expunge over IMAP, kill -9,
start again on the same --maildir: the same messages, UIDs, flags and UIDVALIDITY, and POP3's UIDL the same."""
import imaplib
import poplib
import re
import shutil
import signal
import smtplib
import tempfile
import threading
import time
import unittest

from serve_helper import HOST, USERS, Serve

ALICE = "alice@alice.example"


def state(server):
    """What a client sees: UIDVALIDITY, UIDNEXT, {uid: (flags, body)}, POP3 UIDL, folder list."""
    imap = imaplib.IMAP4(HOST, server.ports["imap"], timeout=5)
    imap.login(ALICE, USERS[ALICE])
    imap.select("INBOX")
    validity = int(imap.response("UIDVALIDITY")[1][0])
    typ, data = imap.status("INBOX", "(UIDNEXT)")
    uid_next = int(re.search(rb"UIDNEXT (\d+)", data[0]).group(1))
    messages = {}
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            flags = sorted(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).split())
            messages[uid] = (flags, item[1])
    folders = sorted(line.decode().rsplit(" ", 1)[-1] for line in imap.list()[1])
    imap.logout()
    pop = poplib.POP3(HOST, server.ports["pop3"], timeout=5)
    pop.user(ALICE)
    pop.pass_(USERS[ALICE])
    uidl = pop.uidl()[1]
    pop.quit()
    return validity, uid_next, messages, uidl, folders


class Restart(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mailsim-restart-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_kill_9_loses_nothing_acknowledged(self):
        first = Serve(maildir=self.dir)
        try:
            for i in range(5):
                with smtplib.SMTP(HOST, first.ports["smtp"], timeout=5) as s:
                    body = f"Subject: message {i}\r\n\r\nbody {i}\r\n".encode() + bytes([0xE9, 0xFF])
                    s.sendmail("carol@elsewhere.example", [ALICE], body)
            imap = imaplib.IMAP4(HOST, first.ports["imap"], timeout=5)
            imap.login(ALICE, USERS[ALICE])
            imap.create("Projects")
            imap.select("INBOX")
            imap.uid("STORE", "2", "+FLAGS", r"(\Flagged $Work)")
            imap.uid("STORE", "3", "+FLAGS", r"(\Seen)")
            imap.uid("COPY", "3", "Projects")
            imap.uid("STORE", "4", "+FLAGS", r"(\Deleted)")
            typ, _ = imap.expunge()
            self.assertEqual(typ, "OK")
            imap.logout()
            before = state(first)
            # Nothing more after the last acknowledgement: the kill comes at once.
        finally:
            first.stop(signal.SIGKILL)
        validity, uid_next, messages, uidl, folders = before
        self.assertEqual(sorted(messages), [1, 2, 3, 5])
        self.assertEqual(messages[2][0], [b"$Work", b"\\Flagged"])
        self.assertTrue(messages[1][1].endswith(b"\xe9\xff\r\n"), "mail is bytes")
        self.assertEqual(uid_next, 6)
        self.assertIn("Projects", folders)

        second = Serve(maildir=self.dir)
        try:
            after = state(second)
            self.assertEqual(after, before, "same UIDs, flags, bytes, UIDVALIDITY, UIDNEXT, UIDL and folders")
            self.assertIn("5 messages loaded", second.output())
            # New mail continues the UIDs, never reuses one.
            with smtplib.SMTP(HOST, second.ports["smtp"], timeout=5) as s:
                s.sendmail("carol@elsewhere.example", [ALICE], b"Subject: after\r\n\r\nafter\r\n")
            self.assertEqual(sorted(state(second)[2]), [1, 2, 3, 5, 6])
        finally:
            code, out = second.stop(signal.SIGTERM)
        self.assertEqual(code, 0, out)

    def test_kill_9_in_the_middle_of_deliveries(self):
        first = Serve(maildir=self.dir)
        acknowledged = []
        stop = threading.Event()

        def deliver(n):
            try:
                with smtplib.SMTP(HOST, first.ports["smtp"], timeout=5) as s:
                    for i in range(10_000):
                        if stop.is_set():
                            return
                        subject = f"t{n}-{i}"
                        s.sendmail("carol@elsewhere.example", [ALICE], f"Subject: {subject}\r\n\r\nx\r\n".encode())
                        acknowledged.append(subject)
            except (OSError, smtplib.SMTPException):
                return

        threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        first.stop(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acknowledged), 10)
        print(f"({len(acknowledged)} deliveries acknowledged before kill -9) ", end="", flush=True)
        second = Serve(maildir=self.dir)
        try:
            imap = imaplib.IMAP4(HOST, second.ports["imap"], timeout=5)
            imap.login(ALICE, USERS[ALICE])
            imap.select("INBOX")
            typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            stored = [re.search(rb"Subject: (\S+)", item[1]).group(1).decode() for item in data if isinstance(item, tuple)]
            imap.logout()
            missing = set(acknowledged) - set(stored)
            self.assertEqual(missing, set(), f"{len(acknowledged)} acknowledged, {len(stored)} stored")
        finally:
            second.stop()

    def test_one_server_per_directory(self):
        first = Serve(maildir=self.dir)
        try:
            with self.assertRaises(RuntimeError) as e:
                Serve(maildir=self.dir)
            self.assertIn("another mailsim serve", str(e.exception))
        finally:
            first.stop(signal.SIGKILL)
        # A killed server's claim is taken over.
        Serve(maildir=self.dir).stop()

    def test_a_lost_store_gets_a_new_uid_validity(self):
        first = Serve(maildir=self.dir)
        with smtplib.SMTP(HOST, first.ports["smtp"], timeout=5) as s:
            s.sendmail("carol@elsewhere.example", [ALICE], b"Subject: x\r\n\r\nx\r\n")
        old = state(first)[0]
        first.stop(signal.SIGKILL)
        shutil.rmtree(self.dir)
        # UIDVALIDITY comes from the clock (seconds) when nothing is remembered, and the first
        # server gave 6 values (2 accounts x INBOX, Sent, Trash) from its start second on: a
        # server that lost everything is above them once that many seconds have passed.
        time.sleep(7)
        second = Serve(maildir=self.dir)
        try:
            validity, uid_next, messages, _, _ = state(second)
            self.assertEqual((uid_next, messages), (1, {}))
            self.assertGreater(validity, old, "UIDs start again under a new UIDVALIDITY: clients drop their caches")
        finally:
            second.stop()


if __name__ == "__main__":
    unittest.main()
