"""A student's walk-through by hand (branch live20): what bob's page is sent while he types SMTP,
POP3 and IMAP sessions from his own address (mistakes included) and then opens more connections
than `--max-connections 3` allows, with alice busy at another address meanwhile. His stream has
every line he typed and every reply, in order, each with its meaning; his refusals (new: they
never log in, and belong to the students seen at their address); nothing of alice's."""
import base64
import json
import os
import socket
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from serve_helper import HOST, USERS, Serve, free_port  # noqa: E402

BOB, ALICE = "127.0.0.5", "127.0.0.6"


class Client:
    """A socket from `source`, spoken to by hand: `say` sends bytes and returns what came back."""

    def __init__(self, port, source):
        self.s = socket.create_connection((HOST, port), source_address=(source, 0), timeout=5)
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline().decode("latin-1")

    def until(self, done):
        lines = [self.line()]
        while not done(lines[-1]):
            lines.append(self.line())
        return lines

    def close(self):
        self.f.close()
        self.s.close()


class StudentWalk(unittest.TestCase):
    def setUp(self):
        self.web = free_port()
        self.serve = Serve(extra=["--web-port", str(self.web), "--allow-plaintext-auth", "--max-connections", "3"])

    def tearDown(self):
        self.serve.stop()

    def login(self, user, password):
        body = json.dumps({"user": user, "password": password}).encode()
        req = urllib.request.Request(f"http://{HOST}:{self.web}/login", data=body, method="POST")
        return json.loads(urllib.request.urlopen(req, timeout=5).read())["session"]

    def stream(self, session, out):
        s = socket.create_connection((HOST, self.web))
        s.sendall(f"GET /events?session={session} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        buf = b""
        while True:
            try:
                d = s.recv(65536)
            except OSError:
                return
            if not d:
                return
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.startswith(b"data: "):
                    out.append(json.loads(line[6:]))

    def test_a_student_sees_all_they_did_in_order_and_nothing_of_another(self):
        got = []
        threading.Thread(target=self.stream, args=(self.login("bob", USERS["bob@bob.example"]), got), daemon=True).start()
        ports = self.serve.ports
        smtp_lines = [
            b"EHLO bob-laptop\r\n",
            b"AUTH PLAIN " + base64.b64encode(b"\0bob@bob.example\0wrong") + b"\r\n",
            b"RCPT TO:<alice@alice.example>\r\n",
            b"AUTH PLAIN " + base64.b64encode(b"\0bob@bob.example\0" + USERS["bob@bob.example"].encode()) + b"\r\n",
            b"RCPT TO:<alice@alice.example>\r\n",
            b"NOOP\n",
            b"X" * 2000 + b"\r\n",
            b"MAIL FROM:<bob@bob.example>\r\n",
            b"RCPT TO:<alice@alice.example>\r\n",
            b"RCPT TO:<bob@bob.example>\r\n",
            b"DATA\r\n",
            b"Subject: by hand\r\n\r\nhello\r\n.\r\n",
            b"QUIT\r\n",
        ]
        c = Client(ports["submission"], BOB)
        codes = [c.line()[:3]]
        for cmd in smtp_lines:
            c.s.sendall(cmd)
            codes.append(c.until(lambda l: l[3:4] == " ")[-1][:3])
        c.close()
        self.assertEqual(codes, ["220", "250", "535", "503", "235", "503", "500", "500", "250", "250", "250", "354", "250", "221"])
        # Alice, meanwhile, at her own address.
        a = Client(ports["pop3"], ALICE)
        a.line()
        for cmd in [b"USER alice@alice.example\r\n", f"PASS {USERS['alice@alice.example']}\r\n".encode(), b"QUIT\r\n"]:
            a.s.sendall(cmd)
            self.assertTrue(a.line().startswith("+OK"))
        a.close()
        p = Client(ports["pop3"], BOB)
        p.line()
        for cmd, ok in [(b"USER bob@bob.example\r\n", "+OK"), (b"PASS nope\r\n", "-ERR"), (b"USER bob@bob.example\r\n", "+OK"),
                        (f"PASS {USERS['bob@bob.example']}\r\n".encode(), "+OK"), (b"STAT\r\n", "+OK"), (b"QUIT\r\n", "+OK")]:
            p.s.sendall(cmd)
            self.assertTrue(p.line().startswith(ok), cmd)
        p.close()
        i = Client(ports["imap"], BOB)
        i.line()
        for cmd, tagged in [(b"a1 SELECT INBOX\r\n", "a1 BAD"), (f"a2 LOGIN bob@bob.example {USERS['bob@bob.example']}\r\n".encode(), "a2 OK"),
                            (b"a3 SELECT INBOX\r\n", "a3 OK"), (b"a4 BOGUS\r\n", "a4 BAD"), (b"a5 LOGOUT\r\n", "a5 OK")]:
            i.s.sendall(cmd)
            self.assertTrue(i.until(lambda l: not l.startswith("*"))[-1].startswith(tagged), cmd)
        i.close()
        # Five connections from bob's address: three greeted, two refused; alice's refused too.
        # Once his three sessions are closed in the stream, their slots are freed a moment later
        # (by their tasks, after the close is recorded).
        deadline = time.time() + 10
        while sum(e.get("event", {}).get("event") == "connection_closed" for e in got) < 3 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        held = [Client(ports["pop3"], BOB) for _ in range(5)]
        firsts = [h.line() for h in held]
        self.assertEqual([f[:4] for f in firsts], ["+OK "] * 3 + ["-ERR"] * 2, firsts)
        refused_ports = [h.s.getsockname()[1] for h, f in zip(held, firsts) if f.startswith("-ERR")]
        held_ports = [h.s.getsockname()[1] for h, f in zip(held, firsts) if f.startswith("+OK")]
        extra = Client(ports["imap"], ALICE)
        self.assertTrue(extra.line().startswith("* BYE [UNAVAILABLE]"))
        alice_port = extra.s.getsockname()[1]
        extra.close()
        for h in held:
            h.close()
        # The last refusal recorded (alice's) comes after bob's in the stream's order: wait for
        # the close of bob's second one, then a moment for anything that should not come.
        deadline = time.time() + 10
        while time.time() < deadline:
            opened = [e["event"] for e in got if e.get("event", {}).get("event") == "connection_opened"]
            # (Each refusal is recorded by its own task once answered: in either order.)
            if sorted(o["client_port"] for o in opened if o["client_port"] in refused_ports + held_ports) == sorted(refused_ports + held_ports):
                conns = {o["conn"] for o in opened if o["client_port"] in refused_ports}
                if all(any(e.get("event", {}).get("event") == "connection_closed" and e["event"]["conn"] == c for e in got) for c in conns):
                    break
            time.sleep(0.05)
        events = [e["event"] for e in got if "event" in e]
        owners = [e for e in got if "user" in e]
        # Nothing twice.
        seqs = [e["seq"] for e in got]
        self.assertEqual(len(seqs), len(set(seqs)))
        # Three sessions of his (SMTP, POP3, IMAP), each logged in as him; then the three POP3
        # connections that only read the greeting (no login: his, as the one student seen at his
        # address) and the two refusals.
        self.assertEqual([o["user"] for o in owners], ["bob@bob.example"] * 3)
        opened = [e for e in events if e["event"] == "connection_opened"]
        self.assertEqual([o["protocol"] for o in opened], ["SMTP", "POP3", "IMAP"] + ["POP3"] * 5)
        self.assertEqual(sorted(o["client_port"] for o in opened[3:]), sorted(refused_ports + held_ports))
        self.assertNotIn(alice_port, [o["client_port"] for o in opened])
        # Every client the stream names is at bob's address.
        clients = [e["actor"] for e in events if e["event"] == "actor_joined" and e["actor"]["id"] != "server"]
        self.assertEqual({a["ip"] for a in clients}, {BOB})
        # The SMTP session: every line he typed, in order, then each reply; each with a meaning.
        smtp = opened[0]["conn"]
        msgs = [e for e in events if e["event"] == "message_sent" and e["conn"] == smtp]
        typed = [m["raw"] for m in msgs if m["to"] == "server"]
        self.assertEqual(len(typed), len(smtp_lines))
        for raw, sent in zip(typed, smtp_lines):
            if b"AUTH" in sent:
                self.assertEqual(raw, "AUTH PLAIN [redacted]\r\n")
            else:
                self.assertEqual(raw.encode("latin-1"), sent)
        self.assertEqual([m["raw"][:3] for m in msgs if m["from"] == "server"], codes)
        self.assertTrue(all(m["meaning"] for m in msgs))
        bare = next(m for m in msgs if m["raw"] == "NOOP\n")
        self.assertIn("bare LF", bare["meaning"])
        # His refusals, each with its limit.
        refusals = [e for e in events if e["event"] == "message_sent" and e["from_state"] == "refused"]
        self.assertEqual(len(refusals), 2)
        for r in refusals:
            self.assertIn("Refused by --max-connections 3: 3 connections are open", r["meaning"])
        # The three open connections that refusal counts are in his view, each with its greeting.
        held_conns = {o["conn"] for o in opened if o["client_port"] in held_ports}
        greetings = [e for e in events if e["event"] == "message_sent" and e["conn"] in held_conns]
        self.assertEqual(len(greetings), 3)
        self.assertTrue(all(g["raw"].startswith("+OK") for g in greetings), greetings)
        # His mailbox only: the message he sent himself is stored; alice's copy is not shown.
        stored = [e["mailbox"] for e in events if e["event"] == "message_stored"]
        self.assertEqual(stored, ["bob@bob.example"])
        self.assertFalse(any("alice-secret" in json.dumps(e) or "bob-secret" in json.dumps(e) for e in events))


if __name__ == "__main__":
    unittest.main()
