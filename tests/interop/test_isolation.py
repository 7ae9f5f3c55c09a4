"""One session's panic never touches another (issue 13): `mailsim serve --panic-on TEXT` is a test hook
that panics the server inside the step of any session whose input holds TEXT."""
import time
import unittest

from serve_helper import GREETING, USERS, Conn, Serve

ALICE = "alice@alice.example"

TRIGGER = "PANIC-NOW-7f3a"


class Isolation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Serve(extra=["--panic-on", TRIGGER])

    @classmethod
    def tearDownClass(cls):
        code, out = cls.server.stop()
        assert code == 0, out

    def test_a_panicking_session_is_closed_and_the_others_go_on(self):
        s = self.server
        imap = Conn(s.ports["imap"])
        imap.line()
        imap.send(b"a1 LOGIN alice@alice.example alice-secret\r\n")
        self.assertTrue(imap.until(b"a1 ")[-1].startswith(b"a1 OK"))
        imap.send(b"a2 SELECT INBOX\r\n")
        imap.until(b"a2 OK")
        smtp = Conn(s.ports["smtp"])
        smtp.line()
        smtp.send(b"EHLO x.example\r\nMAIL FROM:<eve@x.example>\r\nRCPT TO:<alice@alice.example>\r\n")
        smtp.until(b"250 ")
        self.assertTrue(smtp.line().startswith(b"250"))
        self.assertTrue(smtp.line().startswith(b"250"))
        # Each protocol's victim gets its internal-error goodbye and is closed.
        for port, hello, login, answer in [
            ("imap", b"", b"x1 NOOP " + TRIGGER.encode() + b"\r\n", b"* BYE [SERVERBUG]"),
            ("pop3", b"", b"USER " + TRIGGER.encode() + b"\r\n", b"-ERR [SYS/TEMP]"),
            ("submission", b"", b"EHLO " + TRIGGER.encode() + b"\r\n", b"421 4.3.0"),
        ]:
            v = Conn(s.ports[port])
            v.line()
            v.send(login)
            self.assertTrue(v.line().startswith(answer), port)
            self.assertTrue(v.closed(), f"{port}: the failed session is closed")
            v.close()
        # The sessions that were open go on where they were.
        smtp.send(b"DATA\r\n")
        self.assertTrue(smtp.line().startswith(b"354"))
        smtp.send(b"Subject: still here\r\n\r\nhello\r\n.\r\n")
        self.assertTrue(smtp.line().startswith(b"250"))
        smtp.send(b"QUIT\r\n")
        smtp.close()
        imap.send(b"a3 NOOP\r\n")
        lines = imap.until(b"a3 ")
        self.assertTrue(lines[-1].startswith(b"a3 OK"), lines)
        self.assertIn(b"* 1 EXISTS", lines, "the delivery made while another session failed is seen")
        imap.send(b"a4 LOGOUT\r\n")
        imap.close()
        s.all_ports_answer(self)
        self.assertIn("failed", s.output())
        self.assertIn("alice@alice.example", USERS)


if __name__ == "__main__":
    unittest.main()


class LogWhileServing(unittest.TestCase):
    def test_the_log_is_readable_while_it_grows(self):
        import json
        import tempfile
        import time
        log = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
        s = Serve(extra=["--log", log])

        def closes():
            with open(log, encoding="utf-8") as f:
                lines = [json.loads(line) for line in f if line.strip()]
            return lines, [e for e in lines[1:] if e.get("event") == "connection_closed" and e.get("conn") in mine]

        mine = []
        try:
            for n in range(3):
                c = Conn(s.ports["pop3"])
                mine.append(int(c.line().split(b"<")[1].split(b".")[0]))  # the APOP timestamp <sid.time@host>
                c.send(b"QUIT\r\n")
                c.line()
                c.closed()
                c.close()
                # Flushed per connection: the close is in the file while the server runs.
                deadline = time.time() + 2
                while time.time() < deadline:
                    lines, closed = closes()
                    if len(closed) == n + 1:
                        break
                    time.sleep(0.02)
                self.assertEqual(len(closed), n + 1, lines[-3:])
            self.assertEqual(lines[0].get("scenario"), "serve")
        finally:
            code, out = s.stop()
        self.assertEqual(code, 0, out)


class Drain(unittest.TestCase):
    def test_sigterm_and_ctrl_c_drain_every_session_and_exit_0(self):
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig):
                s = Serve()
                smtp = Conn(s.ports["submission"])
                smtp.line()
                smtp.send(b"EHLO x.example\r\n")
                smtp.until(b"250 ")
                imap = Conn(s.ports["imap"])
                imap.line()
                imap.send(f"a LOGIN {ALICE} {USERS[ALICE]}\r\n".encode())
                imap.until(b"a OK")
                pop = Conn(s.ports["pop3"])
                pop.line()
                code, out = s.stop(sig)
                self.assertEqual(code, 0, out)
                self.assertTrue(smtp.line().startswith(b"421 4.3.2"))
                self.assertTrue(imap.line().startswith(b"* BYE"))
                self.assertTrue(pop.line().startswith(b"-ERR"))
                for c in (smtp, imap, pop):
                    self.assertTrue(c.closed())
                    c.close()


class Limits(unittest.TestCase):
    def test_connections_per_address_are_refused_with_each_protocols_reply(self):
        s = Serve(extra=["--max-connections-per-address", "2"])
        busy_replies = {"smtp": b"421 4.7.0", "pop3": b"-ERR [SYS/TEMP]", "imap": b"* BYE [UNAVAILABLE]"}

        def greeted(port, busy, within=10.0):
            """A connection the server greeted normally. A slot is freed when the server notices a close, which
            takes a moment on a loaded machine (its readiness probes, the last subtest's connections): until
            then a new connection may still be refused, so it is tried again (this was a fixed sleep of 0.2 s,
            which failed under load)."""
            deadline = time.time() + within
            while True:
                c = Conn(s.ports[port])
                first = c.line()
                if not first.startswith(busy):
                    return c, first
                c.close()
                self.assertLess(time.time(), deadline, f"{port}: a slot is still taken {within} s after its close")
                time.sleep(0.05)

        try:
            for port, busy in busy_replies.items():
                with self.subTest(port=port):
                    held = [greeted(port, busy)[0] for _ in range(2)]
                    third = Conn(s.ports[port])
                    self.assertTrue(third.line().startswith(busy))
                    self.assertTrue(third.closed())
                    third.close()
                    for c in held:
                        c.close()
            # Closed connections free their slots: each port greets again.
            for port, busy in busy_replies.items():
                c, first = greeted(port, busy)
                self.assertTrue(first.startswith(GREETING[port]), first)
                c.close()
            self.assertTrue(s.alive(), "the server is still running")
        finally:
            s.stop()

    def test_a_client_faster_than_the_command_rate_is_slowed_not_refused(self):
        import time
        s = Serve(extra=["--max-commands-per-second", "100"])
        try:
            c = Conn(s.ports["smtp"], timeout=10)
            c.line()
            t = time.time()
            c.send(b"NOOP\r\n" * 300)
            for _ in range(300):
                self.assertTrue(c.line().startswith(b"250"))
            # A burst of 100 (--command-burst's default), the rest at 100 a second: the 300 are read
            # in one go and answered, then the server reads nothing more for the 2 seconds the 200
            # beyond the burst are worth.
            c.send(b"NOOP\r\n")
            self.assertTrue(c.line().startswith(b"250"))
            self.assertGreater(time.time() - t, 1.8)
            c.close()
            s.all_ports_answer(self)
        finally:
            s.stop()


class PipelinedBatch(unittest.TestCase):
    def test_a_megabyte_of_pipelined_commands_does_not_hold_up_other_clients(self):
        """LOGIN, SELECT and 20,000 NOOPs (1 MB) in one write: the server takes a bounded number of commands per
        turn of the store lock, so another client's greeting comes while the batch is being answered."""
        import threading
        import time
        s = Serve(extra=["--max-commands-per-second", "0"])
        try:
            c = Conn(s.ports["imap"], timeout=30)
            c.line()
            n = 20_000
            batch = f"a LOGIN {ALICE} {USERS[ALICE]}\r\nb SELECT INBOX\r\n".encode()
            batch += b"".join(f"n{i:0>42} NOOP\r\n".encode() for i in range(n))
            done = {}

            def read_all():
                oks = 0
                while True:
                    line = c.line()
                    if line.startswith(b"n") and line.endswith(b" OK NOOP completed"):
                        oks += 1
                        if oks == n:
                            done["t"], done["oks"] = time.time(), oks
                            return

            reader = threading.Thread(target=read_all)
            reader.start()
            started = time.time()
            threading.Thread(target=c.send, args=(batch,), daemon=True).start()
            greetings = []
            while reader.is_alive() and time.time() - started < 60:
                t = time.time()
                g = s.greets("pop3", within=5)
                greetings.append((time.time() - t, t))
                self.assertTrue(g.startswith(b"+OK"), g)
                time.sleep(0.02)
            reader.join(timeout=60)
            self.assertEqual(done.get("oks"), n, "every NOOP answered")
            during = [d for d, t in greetings if t + d < done["t"]]
            print(f"(batch {done['t'] - started:.2f} s; {len(during)} greetings during it, slowest "
                  f"{max(during or [0]) * 1000:.0f} ms) ", end="", flush=True)
            self.assertGreater(len(during), 0, "a greeting came before the batch was answered")
            self.assertLess(max(during), 0.5, "each greeting came at once (generous bound for a loaded machine)")
            c.close()
        finally:
            s.stop()


class StartTlsInjection(unittest.TestCase):
    def test_commands_after_starttls_in_the_same_write_are_thrown_away(self):
        """The server reads a long write in pieces (64 lines a turn of its lock): what follows STARTTLS in the same
        write was sent in the clear and must never be read as if it came inside TLS (RFC 9051 §6.2.1, RFC 3207
        §4.2), however far behind STARTTLS it is."""
        import ssl
        s = Serve(extra=["--max-commands-per-second", "0"])
        try:
            for before in (0, 63, 200):
                with self.subTest(before=before):
                    c = Conn(s.ports["imap"])
                    c.line()
                    injected = f"b LOGIN {ALICE} {USERS[ALICE]}\r\n".encode() + b"c NOOP\r\n" * 100
                    c.send(b"x NOOP\r\n" * before + b"a STARTTLS\r\n" + injected)
                    self.assertTrue(c.until(b"a ")[-1].startswith(b"a OK"))
                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                    c.s = ctx.wrap_socket(c.s, server_hostname="localhost")
                    c.buf = b""
                    c.send(b"d SELECT INBOX\r\n")
                    lines = c.until(b"d ")
                    self.assertEqual([ln for ln in lines if ln[:2] in (b"b ", b"c ")], [], "nothing injected ran")
                    self.assertTrue(lines[-1].startswith(b"d BAD"), f"not logged in: {lines[-1]!r}")
                    c.close()
            # SMTP too (submission): an injected HELP would answer 214 inside TLS.
            for before in (0, 63):
                with self.subTest(smtp=before):
                    c = Conn(s.ports["submission"])
                    c.line()
                    c.send(b"EHLO x.example\r\n" + b"NOOP\r\n" * before + b"STARTTLS\r\n" + b"HELP\r\n" * 100)
                    self.assertTrue(c.until(b"220 ")[-1].startswith(b"220"))
                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                    c.s = ctx.wrap_socket(c.s, server_hostname="localhost")
                    c.buf = b""
                    c.send(b"NOOP\r\n")
                    self.assertTrue(c.line().startswith(b"250"), "the first reply inside TLS is NOOP's")
                    c.close()
        finally:
            s.stop()


class LineLimits(unittest.TestCase):
    def test_max_line_length_raises_imap_and_pop3_limits_not_below_the_rfcs(self):
        s = Serve(extra=["--max-line-length", "imap=20000", "--max-line-length", "pop3=1000"])
        try:
            imap = Conn(s.ports["imap"])
            imap.line()
            imap.send(f"a LOGIN {ALICE} {USERS[ALICE]}\r\nb SELECT INBOX\r\n".encode())
            imap.until(b"b OK")
            imap.send(b"c SEARCH SUBJECT " + b"x" * 12_000 + b"\r\n")
            self.assertTrue(imap.until(b"c ")[-1].startswith(b"c OK"), "12,000 octets: under the raised limit")
            imap.send(b"d SEARCH SUBJECT " + b"x" * 25_000 + b"\r\ne NOOP\r\n")
            self.assertEqual(imap.until(b"d ")[-1], b"d BAD Command line too long: the limit is 20000 octets")
            self.assertTrue(imap.until(b"e ")[-1].startswith(b"e OK"))
            imap.close()
            pop = Conn(s.ports["pop3"])
            pop.line()
            pop.send(b"USER " + b"x" * 900 + b"\r\n")
            self.assertTrue(pop.line().startswith(b"+OK"), "900 octets: under the raised limit")
            pop.send(b"USER " + b"x" * 1100 + b"\r\n")
            self.assertIn(b"the limit is 1000 octets", pop.line())
            pop.close()
            s.all_ports_answer(self)
        finally:
            s.stop()
        for bad in ["imap=8000", "pop3=100", "smtp=2000"]:
            with self.subTest(bad), self.assertRaises(RuntimeError) as e:
                Serve(extra=["--max-line-length", bad])
            self.assertIn("invalid value", str(e.exception))
