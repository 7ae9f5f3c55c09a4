"""Real clients against `mailsim serve` on loopback ports chosen free at run time.

Python's smtplib and poplib and curl (smtp://, pop3://) talk to the same sans-IO engines
the playground uses. Run by scripts/test.sh:  python3 -m unittest discover -s tests/interop -v
"""
import imaplib
import json
import os
import poplib
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MAILSIM", os.path.join(ROOT, "target", "debug", "mailsim"))
HOST = "127.0.0.1"
USERS = {"alice@alice.example": "alice-secret", "bob@bob.example": "bob-secret", "carol@bob.example": "carol-secret"}
MAX_SIZE = 20000


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.ports = {"smtp": free_port(), "submission": free_port(), "pop3": free_port(), "imap": free_port(),
                      "smtps": free_port(), "imaps": free_port(), "pop3s": free_port()}
        self.data = tempfile.mkdtemp(prefix="mailsim-interop-")
        self.log = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
        args = [BINARY, "serve", "--memory", "--smtp-port", str(self.ports["smtp"]), "--submission-port", str(self.ports["submission"]),
                "--pop3-port", str(self.ports["pop3"]), "--imap-port", str(self.ports["imap"]),
                "--smtps-port", str(self.ports["smtps"]), "--imaps-port", str(self.ports["imaps"]), "--pop3s-port", str(self.ports["pop3s"]), "--tls-dir", self.data, "--log", self.log, "--idle-timeout", "2", "--max-message-size", str(MAX_SIZE)]
        for a, p in USERS.items():
            args += ["--user", f"{a}:{p}"]
        self.out = tempfile.TemporaryFile()  # closed in stop()
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection((HOST, self.ports["pop3"]), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mailsim serve did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        self.out.seek(0)
        out = self.out.read().decode()
        self.out.close()
        return code, out


SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server()


def tearDownModule():
    code, out = SERVER.stop()
    assert code == 0, f"Ctrl-C stops it cleanly (exit {code})\n{out}"
    assert "stopped" in out


def submission():
    return smtplib.SMTP(HOST, SERVER.ports["submission"], timeout=5)


def relay():
    return smtplib.SMTP(HOST, SERVER.ports["smtp"], timeout=5)


def pop(user):
    p = poplib.POP3(HOST, SERVER.ports["pop3"], timeout=5)
    p.user(user)
    p.pass_(USERS[user])
    return p


def empty_mailbox(user):
    p = pop(user)
    for i in range(1, p.stat()[0] + 1):
        p.dele(i)
    p.quit()


def message(subject, body="Hello.\r\n", to="bob@bob.example"):
    return f"From: Alice <alice@alice.example>\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}"


class Smtplib(unittest.TestCase):
    def setUp(self):
        empty_mailbox("bob@bob.example")

    def test_ehlo_lists_the_extensions(self):
        with submission() as s:
            code, _ = s.ehlo("client.example")
            self.assertEqual(code, 250)
            for ext in ["pipelining", "size", "8bitmime", "enhancedstatuscodes", "auth"]:
                self.assertTrue(s.has_extn(ext), ext)
            self.assertEqual(s.esmtp_features["size"], str(MAX_SIZE))
            self.assertEqual(s.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])

    def test_auth_plain_and_a_line_starting_with_a_dot(self):
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])  # smtplib picks PLAIN
            refused = s.sendmail("alice@alice.example", ["bob@bob.example"], message("dots", ".leading dot\r\n..two dots\r\n.\r\nend\r\n"))
            self.assertEqual(refused, {})
        p = pop("bob@bob.example")
        lines = p.retr(1)[1]
        p.quit()
        body = lines[lines.index(b"") + 1:]
        self.assertEqual(body, [b".leading dot", b"..two dots", b".", b"end"])

    def test_auth_login(self):
        with submission() as s:
            s.ehlo()
            s.user, s.password = "alice@alice.example", USERS["alice@alice.example"]
            code, text = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235, text)

    def test_wrong_password_is_535(self):
        with submission() as s:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                s.login("alice@alice.example", "wrong")
            self.assertEqual(e.exception.smtp_code, 535)

    def test_submission_without_auth_is_530(self):
        with submission() as s:
            with self.assertRaises(smtplib.SMTPSenderRefused) as e:
                s.sendmail("alice@alice.example", ["bob@bob.example"], message("no auth"))
            self.assertEqual(e.exception.smtp_code, 530)

    def test_several_recipients_and_one_unknown(self):
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            refused = s.sendmail("alice@alice.example", ["bob@bob.example", "carol@bob.example", "nobody@bob.example"], message("to many"))
            self.assertEqual(list(refused), ["nobody@bob.example"])
            self.assertEqual(refused["nobody@bob.example"][0], 550)
        for user in ["bob@bob.example", "carol@bob.example"]:
            p = pop(user)
            self.assertEqual(p.stat()[0], 1, user)
            p.quit()
        empty_mailbox("carol@bob.example")

    def test_relay_is_refused_on_port_25(self):
        with relay() as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                s.sendmail("mallory@mallory.example", ["victim@elsewhere.example"], message("spam", to="victim@elsewhere.example"))
            code, text = e.exception.recipients["victim@elsewhere.example"]
            self.assertEqual(code, 554)
            self.assertIn(b"Relay access denied", text)

    def test_port_25_accepts_mail_for_its_own_users_from_anyone(self):
        with relay() as s:
            self.assertEqual(s.sendmail("someone@elsewhere.example", ["bob@bob.example"], message("from outside")), {})

    def test_a_too_large_message_is_refused_by_size(self):
        big = message("big", "x" * 70 + "\r\n") * 400
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            with self.assertRaises(smtplib.SMTPSenderRefused) as e:
                s.sendmail("alice@alice.example", ["bob@bob.example"], big)  # smtplib sends SIZE=
            self.assertEqual(e.exception.smtp_code, 552)

    def test_a_too_large_message_without_size_is_refused_after_data(self):
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            self.assertEqual(s.mail("alice@alice.example")[0], 250)
            self.assertEqual(s.rcpt("bob@bob.example")[0], 250)
            code, _ = s.data(("x" * 70 + "\r\n") * 400)
            self.assertEqual(code, 552)
            self.assertEqual(s.noop()[0], 250, "the session goes on")


class Poplib(unittest.TestCase):
    def setUp(self):
        empty_mailbox("bob@bob.example")
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            for i in (1, 2):
                s.sendmail("alice@alice.example", ["bob@bob.example"], message(f"number {i}", f"Line one of {i}.\r\n.dotted\r\nLine three.\r\n"))

    def test_session_stat_list_uidl_top_retr_dele_quit(self):
        p = pop("bob@bob.example")
        count, size = p.stat()
        self.assertEqual(count, 2)
        resp, listing, _ = p.list()
        self.assertTrue(resp.startswith(b"+OK"))
        sizes = [int(l.split()[1]) for l in listing]
        self.assertEqual(sum(sizes), size)
        uids = [l.split()[1] for l in p.uidl()[1]]
        self.assertEqual(len(set(uids)), 2)
        top = p.top(1, 1)[1]
        self.assertIn(b"Subject: number 1", top)
        self.assertEqual(top[-1], b"Line one of 1.", "TOP 1 1 gives the header and one body line")
        retr = p.retr(2)[1]
        self.assertEqual(retr[-2:], [b".dotted", b"Line three."])
        self.assertTrue(p.dele(1).startswith(b"+OK"))
        with self.assertRaises(poplib.error_proto):
            p.retr(1)
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        # A second session shows the deletion, and the UIDs are stable.
        p = pop("bob@bob.example")
        self.assertEqual(p.stat()[0], 1)
        self.assertEqual(p.uidl()[1][0].split()[1], uids[1])
        p.quit()

    def test_a_dropped_session_deletes_nothing(self):
        p = pop("bob@bob.example")
        p.dele(1)
        p.dele(2)
        p.file.close()  # no QUIT: the connection just drops, so there is no UPDATE state
        p.sock.close()
        time.sleep(0.3)
        p = pop("bob@bob.example")
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_a_second_session_finds_the_maildrop_locked(self):
        p = pop("bob@bob.example")
        with self.assertRaises(poplib.error_proto) as e:
            pop("bob@bob.example")
        self.assertIn(b"[IN-USE]", e.exception.args[0])
        p.quit()

    def test_wrong_password(self):
        p = poplib.POP3(HOST, SERVER.ports["pop3"], timeout=5)
        p.user("bob")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("nope")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.quit()

    def test_apop_login_with_the_greeting_timestamp(self):
        # poplib computes MD5(timestamp + secret) from the banner itself (RFC 1939 section 7).
        p = poplib.POP3(HOST, SERVER.ports["pop3"], timeout=5)
        self.assertRegex(p.getwelcome(), rb"<[^<>]+@localhost>$")
        self.assertTrue(p.apop("bob", USERS["bob@bob.example"]).startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 2)  # setUp's two messages
        self.assertIn(b"Subject: number 1", b"\r\n".join(p.retr(1)[1]))
        p.quit()
        p = poplib.POP3(HOST, SERVER.ports["pop3"], timeout=5)
        with self.assertRaises(poplib.error_proto) as e:
            p.apop("bob", "wrong")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.quit()


def imap(user="bob@bob.example"):
    m = imaplib.IMAP4(HOST, SERVER.ports["imap"], timeout=5)
    m.login(user.split("@")[0], USERS[user])
    return m


class Imaplib(unittest.TestCase):
    def setUp(self):
        empty_mailbox("bob@bob.example")
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            s.sendmail("alice@alice.example", ["bob@bob.example"], message("first", "One.\r\n"))
            s.sendmail("alice@alice.example", ["bob@bob.example"], message("second about lunch", "Lunch at noon?\r\n"))

    def test_capability_login_list_select(self):
        m = imaplib.IMAP4(HOST, SERVER.ports["imap"], timeout=5)
        self.assertIn("IMAP4REV1", m.capabilities, "imaplib needs IMAP4rev1 next to IMAP4rev2")
        self.assertIn("IMAP4REV2", m.capabilities)
        self.assertIn("STARTTLS", m.capabilities)
        typ, _ = m.login("bob", USERS["bob@bob.example"])
        self.assertEqual(typ, "OK")
        # RFC 9051 §6.2: STARTTLS and AUTH= belong to the not authenticated state only.
        typ, caps = m.capability()
        self.assertEqual(typ, "OK")
        self.assertIn(b"IDLE", caps[0].split())
        self.assertNotIn(b"STARTTLS", caps[0].split())
        self.assertFalse([c for c in caps[0].split() if c.startswith(b"AUTH=")], caps)
        typ, boxes = m.list()
        self.assertEqual(typ, "OK")
        self.assertIn(b'"/" INBOX', boxes[0])
        typ, count = m.select("INBOX")
        self.assertEqual((typ, count), ("OK", [b"2"]))
        self.assertEqual(m.select("Nope")[0], "NO")
        m.logout()

    def test_wrong_password(self):
        m = imaplib.IMAP4(HOST, SERVER.ports["imap"], timeout=5)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login("bob", "nope")
        self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
        m.logout()

    def test_search_fetch_store_expunge(self):
        m = imap()
        m.select("INBOX")
        self.assertEqual(m.search(None, "ALL"), ("OK", [b"1 2"]))
        self.assertEqual(m.search(None, "SUBJECT", '"lunch"'), ("OK", [b"2"]))
        self.assertEqual(m.search(None, "UNSEEN"), ("OK", [b"1 2"]))
        self.assertEqual(m.search(None, "OR", "SUBJECT", '"lunch"', "FLAGGED"), ("OK", [b"2"]))
        self.assertEqual(m.search(None, "NOT", "(SUBJECT lunch)", "SINCE", "1-Jan-2000", "LARGER", "10"), ("OK", [b"1"]))
        self.assertEqual(m.search(None, "BEFORE", "1-Jan-2000"), ("OK", [b""]))
        self.assertEqual(m.search("UTF-8", "SUBJECT", "lunch"), ("OK", [b"2"]))
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.search(None, "FROMM", "alice")
        self.assertIn("unknown search key FROMM", str(e.exception))
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: first\r\n\r\n")
        typ, data = m.status("INBOX", "(MESSAGES SIZE)")
        self.assertRegex(data[0], rb"INBOX \(MESSAGES 2 SIZE \d+\)")
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Subject: first", data[0][1])
        self.assertTrue(data[0][1].endswith(b"\r\n\r\n"))
        self.assertEqual(m.search(None, "UNSEEN"), ("OK", [b"1 2"]), "PEEK does not set \\Seen")
        typ, data = m.fetch("1", "(RFC822)")
        self.assertTrue(data[0][0].endswith(b"(RFC822 {%d}" % len(data[0][1])) or b"RFC822" in data[0][0], data[0][0])
        self.assertIn(b"One.\r\n", data[0][1])
        self.assertEqual(m.search(None, "SEEN"), ("OK", [b"1"]), "fetching the body set \\Seen")
        # imaplib speaks IMAP4rev1: a session that first saw a message also sees \Recent
        # (RFC 3501 §2.3.2), which depends on which test selected INBOX first.
        unrecent = lambda d: [x.replace(b"\\Recent ", b"").replace(b"(\\Recent)", b"()") for x in d]
        typ, data = m.fetch("1:2", "(FLAGS)")
        self.assertEqual(unrecent(data), [b"1 (FLAGS (\\Seen))", b"2 (FLAGS ())"])
        typ, data = m.store("2", "+FLAGS", "(\\Deleted)")
        self.assertEqual(unrecent(data), [b"2 (FLAGS (\\Deleted))"])
        typ, data = m.expunge()
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertEqual(m.select("INBOX")[1], [b"1"])
        m.logout()
        p = pop("bob@bob.example")
        self.assertEqual(p.stat()[0], 1, "POP3 sees the expunge: one store for both protocols")
        p.quit()

    def test_uid_fetch_and_uid_search(self):
        m = imap()
        m.select("INBOX")
        typ, data = m.uid("SEARCH", "ALL")
        uids = data[0].split()
        self.assertEqual(len(uids), 2)
        typ, data = m.uid("FETCH", uids[1].decode(), "(FLAGS)")
        self.assertIn(b"UID " + uids[1], data[0])
        m.logout()

    def test_create_append_copy_move_status_and_folders(self):
        m = imap()
        self.assertEqual(m.create("Work")[0], "OK")
        self.assertEqual(m.create("Work")[0], "NO", "ALREADYEXISTS")
        typ, boxes = m.list()
        names = [b.split(b'"/" ')[1] for b in boxes]
        self.assertEqual(names, [b"INBOX", b"Sent", b"Trash", b"Work"])
        self.assertIn(b"\\Sent", boxes[1], "special-use attributes")
        msg = b"From: bob@bob.example\r\nSubject: draft notes\r\n\r\nAppended with a literal.\r\n"
        typ, data = m.append("Work", "(\\Seen)", imaplib.Time2Internaldate(time.time()), msg)
        self.assertEqual(typ, "OK")
        self.assertIn(b"APPENDUID", data[0])
        m.select("INBOX")
        self.assertEqual(m.copy("1", "Work")[0], "OK")
        self.assertEqual(m.copy("1", "Nowhere")[0], "NO", "TRYCREATE")
        typ, data = m._simple_command("MOVE", "2", "Work")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.select("INBOX")[1], [b"1"], "MOVE took message 2 out of the INBOX")
        typ, data = m.status("Work", "(MESSAGES UNSEEN)")
        self.assertEqual(data, [b"Work (MESSAGES 3 UNSEEN 2)"])
        m.select("Work")
        typ, data = m.search(None, "SUBJECT", '"draft"')
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
        self.assertEqual(data[0][1], b"Appended with a literal.\r\n")
        m.close()
        self.assertEqual(m.rename("Work", "Projects")[0], "OK")
        self.assertEqual(m.delete("Projects")[0], "OK")
        self.assertEqual(m.delete("INBOX")[0], "NO")
        m.logout()

    def test_two_sessions_see_each_others_flag_changes(self):
        laptop, phone = imap(), imap()
        laptop.select("INBOX")
        phone.select("INBOX")
        laptop.store("1", "+FLAGS", "(\\Flagged)")
        typ, _ = phone.noop()
        self.assertEqual(typ, "OK")
        self.assertIn(b"1 (FLAGS (\\Flagged))", phone.untagged_responses.get("FETCH", []))
        # New mail shows up in an open session too.
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            s.sendmail("alice@alice.example", ["bob@bob.example"], message("third"))
        phone.noop()
        self.assertIn(b"3", phone.untagged_responses.get("EXISTS", []))
        laptop.logout()
        phone.logout()

    def test_an_idling_session_is_told_of_new_mail_at_once(self):
        # RFC 2177 / RFC 9051 §6.3.13: the server pushes EXISTS to a client in IDLE, on the
        # connection it already has open, without being asked again.
        with socket.create_connection((HOST, SERVER.ports["imap"]), timeout=5) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"a LOGIN bob " + USERS["bob@bob.example"].encode() + b"\r\n")
            while not f.readline().startswith(b"a OK"):
                pass
            s.sendall(b"b SELECT INBOX\r\nc IDLE\r\n")
            while not f.readline().startswith(b"+"):
                pass
            with submission() as smtp:
                smtp.login("alice@alice.example", USERS["alice@alice.example"])
                smtp.sendmail("alice@alice.example", ["bob@bob.example"], message("while you idle"))
            self.assertEqual(f.readline(), b"* 3 EXISTS\r\n")
            # An IMAP4rev1 session also hears how many messages are recent to it (RFC 3501 §7.3.2).
            self.assertRegex(f.readline(), rb"^\* \d+ RECENT\r\n$")
            s.sendall(b"DONE\r\n")
            self.assertTrue(f.readline().startswith(b"c OK"))

    def test_the_trace_field_says_how_the_message_came(self):
        # RFC 3848: ESMTPA for an authenticated submission, as in the playground's world.
        m = imap()
        m.select("INBOX")
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (RECEIVED)])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"with ESMTPA id", data[0][1])
        m.logout()


def curl(*args, data=None):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", *args], input=data, capture_output=True)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


@unittest.skipUnless(subprocess.run(["which", "curl"], capture_output=True).returncode == 0, "curl is not installed")
class Curl(unittest.TestCase):
    def setUp(self):
        empty_mailbox("bob@bob.example")

    def test_send_list_retrieve_delete(self):
        msg = message("via curl", ".a dot line\r\nbye\r\n").encode()
        code, _, err = curl(f"smtp://{HOST}:{SERVER.ports['submission']}", "--mail-from", "alice@alice.example", "--mail-rcpt", "bob@bob.example",
                            "--user", f"alice@alice.example:{USERS['alice@alice.example']}", "-T", "-", data=msg)
        self.assertEqual(code, 0, err)
        base = f"pop3://{HOST}:{SERVER.ports['pop3']}"
        user = ["--user", f"bob:{USERS['bob@bob.example']}"]
        code, out, err = curl(f"{base}/", *user)
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"^1 \d+\r?\n$")
        code, out, _ = curl(f"{base}/1", *user)
        self.assertIn("Subject: via curl", out)
        self.assertIn("\r\n.a dot line\r\nbye\r\n", out)
        code, _, err = curl(f"{base}/1", *user, "-X", "DELE", "-I")
        self.assertEqual(code, 0, err)
        code, out, _ = curl(f"{base}/", *user)
        self.assertEqual(out.strip(), "", "the maildrop is empty after DELE")

    def test_imap_list_fetch_search(self):
        with submission() as s:
            s.login("alice@alice.example", USERS["alice@alice.example"])
            s.sendmail("alice@alice.example", ["bob@bob.example"], message("for curl imap", "Hello IMAP.\r\n"))
        base = f"imap://{HOST}:{SERVER.ports['imap']}"
        user = ["--user", f"bob:{USERS['bob@bob.example']}"]
        code, out, err = curl(f"{base}/", *user)
        self.assertEqual(code, 0, err)
        self.assertIn("INBOX", out)
        code, out, err = curl(f"{base}/INBOX;UID=1", *user)
        self.assertEqual(code, 0, err)
        self.assertIn("Subject: for curl imap", out)
        code, out, err = curl(f"{base}/INBOX?SUBJECT%20curl", *user)
        self.assertEqual(code, 0, err)
        self.assertIn("SEARCH 1", out)

    def test_curl_relay_refused(self):
        code, _, err = curl(f"smtp://{HOST}:{SERVER.ports['smtp']}", "--mail-from", "x@elsewhere.example", "--mail-rcpt", "y@elsewhere.example", "-T", "-", data=b"Subject: x\r\n\r\nx\r\n")
        self.assertNotEqual(code, 0)
        self.assertIn("554", err)


class Robustness(unittest.TestCase):
    def raw(self, port, payload, read_after=0.3):
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.recv(1024)
            s.sendall(payload)
            time.sleep(read_after)
            s.settimeout(1)
            chunks = []
            try:
                while True:
                    c = s.recv(65536)
                    if not c:
                        break
                    chunks.append(c)
            except socket.timeout:
                pass
            return b"".join(chunks)

    def test_garbage_gets_errors_then_421(self):
        out = self.raw(SERVER.ports["smtp"], b"\x00\xff garbage\r\n" * 30)
        self.assertIn(b"500 5.5", out)
        self.assertIn(b"421 4.7.0", out)

    def test_disconnect_mid_data_loses_nothing_accepted(self):
        empty_mailbox("bob@bob.example")
        with relay() as s:
            s.sendmail("a@elsewhere.example", ["bob@bob.example"], message("accepted first"))
        self.raw(SERVER.ports["smtp"], b"EHLO x\r\nMAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\nSubject: half\r\n\r\nno end", read_after=0.1)
        p = pop("bob@bob.example")
        self.assertEqual(p.stat()[0], 1, "the half message is not stored; the accepted one is intact")
        self.assertIn(b"Subject: accepted first", p.retr(1)[1])
        p.quit()

    def test_idle_pop3_and_imap_sessions_get_their_protocols_goodbye(self):
        # The engines write their own timeout replies (RFC 1939 §3, RFC 9051 §5.4).
        for port, bye in ((SERVER.ports["pop3"], b"-ERR [SYS/TEMP] idle timeout"), (SERVER.ports["imap"], b"* BYE Autologout")):
            with socket.create_connection((HOST, port), timeout=5) as s:
                s.recv(1024)
                s.settimeout(5)
                self.assertIn(bye, s.recv(1024))

    def test_idle_connections_are_closed_with_421(self):
        with socket.create_connection((HOST, SERVER.ports["smtp"]), timeout=5) as s:
            s.recv(1024)
            s.settimeout(5)
            self.assertIn(b"421 4.4.2", s.recv(1024))

    def test_the_log_is_the_playground_format(self):
        with relay() as s:
            s.noop()
        time.sleep(0.2)
        with open(SERVER.log) as f:
            lines = [json.loads(l) for l in f.read().split("\n") if l.strip()]
        self.assertIn("scenario", lines[0])
        kinds = {l.get("event") for l in lines[1:]}
        self.assertTrue({"actor_joined", "connection_opened", "message_sent", "connection_closed"} <= kinds, kinds)
        sent = [l for l in lines if l.get("event") == "message_sent"]
        self.assertTrue(all(l["rfc"].startswith("RFC ") for l in sent))


if __name__ == "__main__":
    unittest.main()
