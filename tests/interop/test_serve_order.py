"""What a session is sent arrives in the order the server decided it, and its goodbye before
its close (issue 13: in the 200-client benchmark, Python's imaplib ended some LOGOUTs with
`socket error: EOF`, no `* BYE` and no tagged OK before the connection closed).

The cause: each step of the server ran under the host's lock, but handed its output to the
sessions' sockets after releasing it. A delivery made by another client refreshes every IMAP
session (`notify_imap`), and a session whose engine has ended (after LOGOUT) is then told to
close; when the delivery's step handed over its "close" before the LOGOUT's step handed over
`* BYE` and the tagged OK, the socket closed without them. `--slow-step-on TEXT` is a test hook
that makes the step acting on input holding TEXT pause right after it released the lock, which
turns that rare interleaving into a certain one; `--slow-disk MS` slows the disk thread's writes
(with a maildir, every reply waits for the writes queued before it, and steps whose waits end
together used to resume in any order).

Also: over TLS, every write is flushed (tokio-rustls keeps ciphertext it could not write at once
until the next write or flush; a reply's tail could wait for a command the client never sends).
The test below is the real-client check (a big RETR over POP3S to a slow reader, poplib's DELE
and QUIT); the deterministic one is `tls::tests::a_reply_is_written_whole_over_tls` (a 4 KB
pipe: here the kernel's buffers are too large to make the tail wait every time).
"""
import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import tempfile
import threading
import time
import unittest

from serve_helper import HOST, USERS, Conn, Serve

ALICE, BOB = "alice@alice.example", "bob@bob.example"


def deliver(port, to, subject, body="hello\r\n"):
    s = smtplib.SMTP(HOST, port, timeout=10)
    s.sendmail("eve@x.example", [to], f"Subject: {subject}\r\n\r\n{body}")
    s.quit()


class LogoutRace(unittest.TestCase):
    def race(self, maildir):
        # With a maildir, a slow disk too: every step's output waits for the writes before it.
        slow_disk = ["--slow-disk", "100"] if maildir else []
        s = Serve(maildir=maildir, extra=["--slow-step-on", "LOGOUT", *slow_disk])
        try:
            clients = []
            for i in range(4):
                c = Conn(s.ports["imap"])
                c.line()
                c.send(f"a1 LOGIN {BOB} {USERS[BOB]}\r\na2 SELECT INBOX\r\n".encode())
                c.until(b"a2 ")
                clients.append(c)
            for c in clients:
                c.send(b"a3 LOGOUT\r\n")
            # While the LOGOUTs' steps pause after the lock, deliveries touch every IMAP session.
            time.sleep(0.05)
            for i in range(3):
                deliver(s.ports["smtp"], ALICE, f"meanwhile {i}")
            for c in clients:
                lines = c.until(b"a3 ")
                self.assertTrue(any(line.startswith(b"* BYE") for line in lines), lines)
                self.assertTrue(lines[-1].startswith(b"a3 OK"), lines)
                self.assertTrue(c.closed(), "closed after the goodbye")
                c.close()
            # imaplib's own LOGOUT, as in the benchmark.
            m = imaplib.IMAP4(HOST, s.ports["imap"], timeout=10)
            m.login(BOB, USERS[BOB])
            m.select("INBOX")
            t = threading.Thread(target=deliver, args=(s.ports["smtp"], ALICE, "during logout"))
            t.start()
            typ, _ = m.logout()
            t.join()
            self.assertIn(typ, ("BYE", "OK"))
        finally:
            code, out = s.stop()
        self.assertEqual(code, 0, out)

    def test_logout_is_answered_before_the_close_in_memory(self):
        self.race(None)

    def test_logout_is_answered_before_the_close_with_a_maildir(self):
        with tempfile.TemporaryDirectory() as d:
            self.race(d)


class TlsFlush(unittest.TestCase):
    def test_a_big_reply_over_tls_arrives_whole_to_a_slow_reader(self):
        s = Serve()
        try:
            body = "".join(f"line {i:06d} of a big message, 64 octets long............\r\n" for i in range(60000))
            deliver(s.ports["smtp"], ALICE, "big", body)
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw = socket.socket()
            # A small receive window: the server's writes block while the client does not read.
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.settimeout(10)
            raw.connect((HOST, s.ports["pop3s"]))
            t = ctx.wrap_socket(raw)
            f = t.makefile("rb")
            self.assertTrue(f.readline().startswith(b"+OK"))
            t.sendall(f"USER {ALICE}\r\nPASS {USERS[ALICE]}\r\n".encode())
            self.assertTrue(f.readline().startswith(b"+OK"))
            self.assertTrue(f.readline().startswith(b"+OK"))
            for _ in range(3):
                t.sendall(b"RETR 1\r\n")
                time.sleep(0.5)  # the server fills every buffer meanwhile
                self.assertTrue(f.readline().startswith(b"+OK"))
                last = b""
                while True:
                    line = f.readline()  # a missing tail times out (10 s)
                    self.assertTrue(line, "EOF inside the reply")
                    if line == b".\r\n":
                        break
                    last = line
                self.assertTrue(last.startswith(b"line 059999 "), last)
            t.sendall(b"QUIT\r\n")
            self.assertTrue(f.readline().startswith(b"+OK"))
            t.close()
            # Also poplib over TLS, whole messages, deleted at the end (what getmail does).
            p = poplib.POP3_SSL(HOST, s.ports["pop3s"], context=ctx, timeout=10)
            p.user(ALICE)
            p.pass_(USERS[ALICE])
            _, lines, _ = p.retr(1)
            self.assertEqual(lines[-1][:12], b"line 059999 ")
            p.dele(1)
            self.assertTrue(p.quit().startswith(b"+OK"))
        finally:
            code, out = s.stop()
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    unittest.main()
