"""The SMTP extensions against `mailsim serve`: SMTPUTF8 (RFC 6531), CHUNKING/BDAT and
BINARYMIME (RFC 3030), DSN (RFC 3461, reports per RFC 3464), with Python's smtplib and raw
sockets; each test checks the mailbox afterwards over IMAP or POP3, not just the reply codes.

Run by scripts/test.sh (python3 -m unittest discover -s tests/interop), or alone from the
repository root:  python3 -m unittest discover -s tests/interop -p test_smtp_extensions.py -v
"""
import email
import email.policy
import imaplib
import poplib
import smtplib
import socket
import time
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_helper import HOST, USERS, Serve  # noqa: E402

ALICE, BOB = "alice@alice.example", "bob@bob.example"


class Raw:
    """A raw SMTP connection: send bytes, read whole replies."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=10)
        self.buf = b""
        self.reply()  # the greeting

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """One reply: (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError(f"closed after {lines!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), [l[4:] for l in lines]

    def cmd(self, line):
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.cmd("QUIT")
        finally:
            self.s.close()


def imap_messages(user):
    """Every message in the user's INBOX, as bytes, oldest first."""
    m = imaplib.IMAP4(HOST, SERVE.ports["imap"])
    try:
        m.login(user, USERS[user])
        m.select("INBOX")
        _, data = m.uid("SEARCH", None, "ALL")
        out = []
        for uid in data[0].split():
            _, parts = m.uid("FETCH", uid, "(BODY.PEEK[])")
            out.append(parts[0][1])
        return out
    finally:
        m.logout()


def wait_for(user, n, timeout=15):
    """Waits until the user's INBOX holds at least n messages (the queue runs on its own)."""
    deadline = time.time() + timeout
    while True:
        msgs = imap_messages(user)
        if len(msgs) >= n or time.time() > deadline:
            return msgs
        time.sleep(0.2)


SERVE = None


def setUpModule():
    global SERVE
    SERVE = Serve()


def tearDownModule():
    SERVE.stop()


class Ehlo(unittest.TestCase):
    def test_both_ports_advertise_the_extensions(self):
        for port in ("smtp", "submission"):
            with smtplib.SMTP(HOST, SERVE.ports[port], timeout=10) as s:
                s.ehlo("client.example")
                for ext in ("smtputf8", "chunking", "binarymime", "dsn", "enhancedstatuscodes", "8bitmime"):
                    self.assertTrue(s.has_extn(ext), f"{ext} on {port}")


class SmtpUtf8(unittest.TestCase):
    def test_utf8_sender_and_header_with_smtputf8_arrive_intact(self):
        before = len(imap_messages(BOB))
        msg = "From: Jörg <jörg@alice.example>\r\nTo: bob@bob.example\r\nSubject: Grüße aus Köln\r\n\r\nHallo, schöne Grüße!\r\n"
        with smtplib.SMTP(HOST, SERVE.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example")
            refused = s.sendmail("jörg@alice.example", [BOB], msg.encode("utf-8"), mail_options=["SMTPUTF8"])
            self.assertEqual(refused, {})
        msgs = wait_for(BOB, before + 1)
        self.assertEqual(len(msgs), before + 1)
        got = msgs[-1]
        self.assertIn("Subject: Grüße aus Köln\r\n".encode(), got)
        self.assertIn("Return-Path: <jörg@alice.example>".encode(), got)
        self.assertIn(b" with UTF8SMTP id ", got, "RFC 6531 §4.3 protocol type in Received:")
        self.assertTrue(got.endswith("Hallo, schöne Grüße!\r\n".encode()))

    def test_utf8_address_without_the_parameter_is_553_5_6_7(self):
        r = Raw(SERVE.ports["smtp"])
        try:
            self.assertEqual(r.cmd("EHLO client.example")[0], 250)
            code, lines = r.cmd("MAIL FROM:<jörg@alice.example>")
            self.assertEqual(code, 553)
            self.assertTrue(lines[0].startswith("5.6.7 "), lines)
            self.assertEqual(r.cmd("MAIL FROM:<alice@alice.example>")[0], 250)
            code, lines = r.cmd("RCPT TO:<böb@bob.example>")
            self.assertEqual((code, lines[0][:5]), (553, "5.6.7"))
        finally:
            r.close()


class Chunking(unittest.TestCase):
    def test_pipelined_bdat_chunks_are_the_message_byte_for_byte(self):
        before = len(imap_messages(BOB))
        part1 = b"Subject: chunks\r\nFrom: alice@alice.example\r\n\r\n.a line with a dot\r\n"
        part2 = b".\r\nQUIT\r\nstill the message\r\n"
        r = Raw(SERVE.ports["smtp"])
        try:
            self.assertEqual(r.cmd("EHLO client.example")[0], 250)
            # Everything in one write: MAIL, RCPT, two chunks (one empty), the last chunk.
            r.send(b"MAIL FROM:<alice@alice.example>\r\nRCPT TO:<bob@bob.example>\r\n"
                   + b"BDAT %d\r\n" % len(part1) + part1 + b"BDAT 0\r\n"
                   + b"BDAT %d LAST\r\n" % len(part2) + part2 + b"NOOP\r\n")
            codes = [r.reply()[0] for _ in range(6)]
            self.assertEqual(codes, [250, 250, 250, 250, 250, 250])
        finally:
            r.close()
        msgs = wait_for(BOB, before + 1)
        self.assertTrue(msgs[-1].endswith(part1 + part2), msgs[-1][-200:])

    def test_binarymime_with_nul_bytes_over_bdat_reaches_pop3(self):
        body = b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nSubject: bin\r\n\r\n\x00\x01\xff\xfe\r\n"
        r = Raw(SERVE.ports["smtp"])
        try:
            r.cmd("EHLO client.example")
            self.assertEqual(r.cmd("MAIL FROM:<alice@alice.example> BODY=BINARYMIME")[0], 250)
            self.assertEqual(r.cmd("RCPT TO:<bob@bob.example>")[0], 250)
            # DATA may not carry BINARYMIME (RFC 3030 §3).
            code, lines = r.cmd("DATA")
            self.assertEqual((code, lines[0][:5]), (503, "5.5.1"))
            r.send(b"BDAT %d LAST\r\n" % len(body) + body)
            self.assertEqual(r.reply()[0], 250)
        finally:
            r.close()
        p = poplib.POP3(HOST, SERVE.ports["pop3"], timeout=10)
        try:
            p.user(BOB)
            p.pass_(USERS[BOB])
            n = len(p.list()[1])
            # poplib splits on CRLF: join it back and compare the octets.
            got = b"\r\n".join(p.retr(n)[1]) + b"\r\n"
            self.assertTrue(got.endswith(body), got[-80:])
        finally:
            p.quit()

    def test_errors_come_after_the_chunk_and_data_after_bdat_is_503(self):
        r = Raw(SERVE.ports["smtp"])
        try:
            r.cmd("EHLO client.example")
            # No transaction: the 8 octets are read (not taken as a command), then 503.
            r.send(b"BDAT 8 LAST\r\nQUIT\r\n\r\nNOOP\r\n")
            code, lines = r.reply()
            self.assertEqual((code, lines[0][:5]), (503, "5.5.1"))
            self.assertEqual(r.reply()[0], 250)  # the NOOP: the session is in step
            r.cmd("MAIL FROM:<alice@alice.example>")
            r.cmd("RCPT TO:<bob@bob.example>")
            r.send(b"BDAT 3\r\nabc")
            self.assertEqual(r.reply()[0], 250)
            code, lines = r.cmd("DATA")
            self.assertEqual((code, lines[0][:5]), (503, "5.5.1"))
            self.assertEqual(r.cmd("RSET")[0], 250)
            # Syntax: 501 5.5.4.
            code, lines = r.cmd("BDAT lots")
            self.assertEqual((code, lines[0][:5]), (501, "5.5.4"))
        finally:
            r.close()


class Dsn(unittest.TestCase):
    def report(self, raw):
        m = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(m.get_content_type(), "multipart/report")
        self.assertEqual(m.get_param("report-type"), "delivery-status")
        parts = list(m.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts][:2], ["text/plain", "message/delivery-status"])
        return m, parts

    def test_notify_success_gives_a_delivered_report_with_envid_and_orcpt(self):
        before = len(imap_messages(ALICE))
        r = Raw(SERVE.ports["smtp"])
        try:
            r.cmd("EHLO client.example")
            self.assertEqual(r.cmd("MAIL FROM:<alice@alice.example> RET=HDRS ENVID=QQ+2B314")[0], 250)
            code, _ = r.cmd("RCPT TO:<bob@bob.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Bbox@bob.example")
            self.assertEqual(code, 250)
            code, lines = r.cmd("RCPT TO:<bob@bob.example> NOTIFY=NEVER,SUCCESS")
            self.assertEqual((code, lines[0][:5]), (501, "5.5.4"))
            self.assertEqual(r.cmd("DATA")[0], 354)
            r.send(b"Subject: please confirm\r\nFrom: alice@alice.example\r\n\r\nsecret body\r\n.\r\n")
            self.assertEqual(r.reply()[0], 250)
        finally:
            r.close()
        msgs = wait_for(ALICE, before + 1)
        self.assertEqual(len(msgs), before + 1, "one delivered report")
        m, parts = self.report(msgs[-1])
        self.assertEqual(m["Subject"], "Successful Mail Delivery Report")
        status = parts[1].as_bytes().decode()
        self.assertIn("Original-Envelope-Id: QQ+314", status)
        self.assertIn("Original-Recipient: rfc822; Bob+box@bob.example", status)
        self.assertIn("Final-Recipient: rfc822; bob@bob.example", status)
        self.assertIn("Action: delivered", status)
        self.assertIn("Status: 2.0.0", status)
        self.assertIn(b"Subject: please confirm", msgs[-1])
        self.assertNotIn(b"secret body", msgs[-1], "only the header comes back")

    def test_submission_with_smtplib_rcpt_options_reports_delivery_through_the_queue(self):
        before = len(imap_messages(ALICE))
        with smtplib.SMTP(HOST, SERVE.ports["submission"], timeout=10) as s:
            s.ehlo("client.example")
            s.login(ALICE, USERS[ALICE])
            msg = b"Subject: queued\r\nFrom: alice@alice.example\r\nTo: bob@bob.example\r\n\r\nhi\r\n"
            s.sendmail(ALICE, [BOB], msg, mail_options=["RET=FULL"], rcpt_options=["NOTIFY=SUCCESS"])
        msgs = wait_for(ALICE, before + 1)
        self.assertEqual(len(msgs), before + 1)
        m, parts = self.report(msgs[-1])
        self.assertIn("Action: delivered", parts[1].as_bytes().decode())
        # NOTIFY=NEVER: no report at all (the message itself still arrives).
        bob_before = len(imap_messages(BOB))
        with smtplib.SMTP(HOST, SERVE.ports["submission"], timeout=10) as s:
            s.login(ALICE, USERS[ALICE])
            s.sendmail(ALICE, [BOB], b"Subject: quiet\r\n\r\nhi\r\n", rcpt_options=["NOTIFY=NEVER"])
        self.assertEqual(len(wait_for(BOB, bob_before + 1)), bob_before + 1)
        time.sleep(1.5)
        self.assertEqual(len(imap_messages(ALICE)), before + 1, "no report for NOTIFY=NEVER")


if __name__ == "__main__":
    unittest.main()
