"""A restart loses nothing acknowledged (issue 13): deliver over SMTP, flag and expunge over IMAP, kill -9,
start again on the same --maildir: the same messages, UIDs, flags and UIDVALIDITY, and POP3's UIDL the same; the same
CONDSTORE mod-sequences (RFC 7162), subscriptions, and QRESYNC's VANISHED (EARLIER) for what was expunged before."""
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

from serve_helper import HOST, USERS, Serve, send_until

ALICE = "alice@alice.example"


def highest_modseq(imap, folder="INBOX"):
    typ, data = imap.status(folder, "(HIGHESTMODSEQ)")
    return int(re.search(rb"HIGHESTMODSEQ (\d+)", data[0]).group(1))


def state(server):
    """What a client sees: UIDVALIDITY, UIDNEXT, {uid: (flags, modseq, body)}, POP3 UIDL, folder list,
    subscriptions (LSUB), HIGHESTMODSEQ of every folder."""
    imap = imaplib.IMAP4(HOST, server.ports["imap"], timeout=5)
    imap.login(ALICE, USERS[ALICE])
    imap.select("INBOX")
    validity = int(imap.response("UIDVALIDITY")[1][0])
    typ, data = imap.status("INBOX", "(UIDNEXT)")
    uid_next = int(re.search(rb"UIDNEXT (\d+)", data[0]).group(1))
    messages = {}
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS MODSEQ BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            flags = sorted(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).split())
            modseq = int(re.search(rb"MODSEQ \((\d+)\)", item[0]).group(1))
            messages[uid] = (flags, modseq, item[1])
    folders = sorted(line.decode().rsplit(" ", 1)[-1] for line in imap.list()[1])
    subscribed = sorted(line.decode().rsplit(" ", 1)[-1] for line in imap.lsub()[1] if line)
    highest = {f: highest_modseq(imap, f) for f in folders}
    imap.logout()
    pop = poplib.POP3(HOST, server.ports["pop3"], timeout=5)
    pop.user(ALICE)
    pop.pass_(USERS[ALICE])
    uidl = pop.uidl()[1]
    pop.quit()
    return validity, uid_next, messages, uidl, folders, subscribed, highest


def qresync_select(server, validity, modseq):
    """`SELECT INBOX (QRESYNC (validity modseq))` after ENABLE QRESYNC (RFC 7162 §3.2.5): the VANISHED (EARLIER) UIDs
    and the UIDs reported changed (FETCH lines), as raw imaplib commands."""
    imap = imaplib.IMAP4(HOST, server.ports["imap"], timeout=5)
    imap.login(ALICE, USERS[ALICE])
    typ, _ = imap._simple_command("ENABLE", "QRESYNC")
    assert typ == "OK"
    typ, _ = imap._simple_command("SELECT", f"INBOX (QRESYNC ({validity} {modseq}))")
    assert typ == "OK", typ
    vanished = [v.decode() for v in imap.untagged_responses.pop("VANISHED", [])]
    fetched = [int(re.search(rb"UID (\d+)", f).group(1)) for f in imap.untagged_responses.pop("FETCH", [])]
    imap.logout()
    return vanished, sorted(fetched)


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
            self.assertEqual(imap.unsubscribe("Trash")[0], "OK")
            imap.create("Archive")
            # Subscribed when created, and stays so when deleted (RFC 9051 §6.3.9).
            self.assertEqual(imap.delete("Archive")[0], "OK")
            imap.select("INBOX")
            imap.uid("STORE", "2", "+FLAGS", r"(\Flagged $Work)")
            imap.uid("STORE", "3", "+FLAGS", r"(\Seen)")
            imap.uid("COPY", "3", "Projects")
            imap.uid("STORE", "4", "+FLAGS", r"(\Deleted)")
            before_expunge = highest_modseq(imap)
            typ, _ = imap.expunge()
            self.assertEqual(typ, "OK")
            after_expunge = highest_modseq(imap)
            imap.logout()
            before = state(first)
            # Nothing more after the last acknowledgement: the kill comes at once.
        finally:
            first.stop(signal.SIGKILL)
        validity, uid_next, messages, uidl, folders, subscribed, highest = before
        self.assertEqual(sorted(messages), [1, 2, 3, 5])
        self.assertEqual(messages[2][0], [b"$Work", b"\\Flagged"])
        self.assertTrue(messages[1][2].endswith(b"\xe9\xff\r\n"), "mail is bytes")
        self.assertEqual(uid_next, 6)
        self.assertIn("Projects", folders)
        self.assertEqual(subscribed, ["Archive", "INBOX", "Projects", "Sent"])
        self.assertGreater(messages[2][1], messages[1][1], "UID 2's flags changed after UID 1 arrived")
        self.assertGreater(after_expunge, before_expunge)
        self.assertEqual(highest["INBOX"], after_expunge)

        second = Serve(maildir=self.dir)
        try:
            after = state(second)
            self.assertEqual(after, before, "same UIDs, flags, modseqs, bytes, UIDVALIDITY, UIDNEXT, UIDL, folders, "
                             "subscriptions and HIGHESTMODSEQ")
            self.assertIn("5 messages loaded", second.output())
            # QRESYNC across the restart: from before the expunge, UID 4 vanished (and UID 1:3,5 are unchanged
            # since their last change); from after it, nothing vanished and nothing changed.
            self.assertEqual(qresync_select(second, validity, before_expunge), (["(EARLIER) 4"], []))
            self.assertEqual(qresync_select(second, validity, after_expunge), ([], []))
            self.assertEqual(qresync_select(second, validity, messages[2][1] - 1), (["(EARLIER) 4"], [2, 3]))
            # New mail continues the UIDs, never reuses one.
            with smtplib.SMTP(HOST, second.ports["smtp"], timeout=5) as s:
                s.sendmail("carol@elsewhere.example", [ALICE], b"Subject: after\r\n\r\nafter\r\n")
            now = state(second)
            self.assertEqual(sorted(now[2]), [1, 2, 3, 5, 6])
            self.assertGreater(now[2][6][1], after_expunge, "mod-sequences go on from where they were")
        finally:
            code, out = second.stop(signal.SIGTERM)
        self.assertEqual(code, 0, out)

    def test_kill_9_in_the_middle_of_deliveries(self):
        first = Serve(maildir=self.dir)
        acknowledged = []
        stop = threading.Event()

        def deliver(n):
            send_until(first.ports["smtp"], stop, f"t{n}", acknowledged, limit=10_000)

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

    def test_kill_9_in_the_middle_of_flag_changes(self):
        """Every STORE whose tagged OK came is on disk with its mod-sequence (written and fsync'd before the OK)."""
        first = Serve(maildir=self.dir, extra=["--max-commands-per-second", "0"])
        for i in range(4):
            with smtplib.SMTP(HOST, first.ports["smtp"], timeout=5) as s:
                s.sendmail("carol@elsewhere.example", [ALICE], f"Subject: m{i}\r\n\r\nx\r\n".encode())
        acknowledged = {}  # uid -> (keywords set so far, highest modseq acknowledged)
        stop = threading.Event()

        def store(uid):
            try:
                imap = imaplib.IMAP4(HOST, first.ports["imap"], timeout=5)
                imap.login(ALICE, USERS[ALICE])
                imap._simple_command("ENABLE", "CONDSTORE")
                imap.select("INBOX")
                for k in range(10_000):
                    if stop.is_set():
                        return
                    typ, data = imap.uid("STORE", str(uid), "+FLAGS", f"($k{k})")
                    if typ != "OK":
                        return
                    modseq = max(int(m) for m in re.findall(rb"MODSEQ \((\d+)\)", b" ".join(d for d in data if d)))
                    keywords, _ = acknowledged.get(uid, (set(), 0))
                    acknowledged[uid] = (keywords | {f"$k{k}"}, modseq)
            except (OSError, imaplib.IMAP4.error):
                return

        threads = [threading.Thread(target=store, args=(uid,)) for uid in (1, 2, 3)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        first.stop(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(sorted(acknowledged), [1, 2, 3])
        second = Serve(maildir=self.dir)
        try:
            messages = state(second)[2]
            for uid, (keywords, modseq) in acknowledged.items():
                flags = {f.decode() for f in messages[uid][0]}
                self.assertLessEqual(keywords, flags, f"UID {uid}: every acknowledged keyword is kept")
                self.assertGreaterEqual(messages[uid][1], modseq, f"UID {uid}: its mod-sequence never goes back")
            print(f"({sum(len(k) for k, _ in acknowledged.values())} STOREs acknowledged before kill -9) ",
                  end="", flush=True)
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
            validity, uid_next, messages = state(second)[:3]
            self.assertEqual((uid_next, messages), (1, {}))
            self.assertGreater(validity, old, "UIDs start again under a new UIDVALIDITY: clients drop their caches")
        finally:
            second.stop()


if __name__ == "__main__":
    unittest.main()
