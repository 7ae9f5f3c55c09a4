"""Connections refused over a limit are recorded (branch live19): the refused client gets its protocol's
"try again later" in place of the greeting, the event log (`--log`, the live stream) has it as a
connection of its own with the server's reply and why (the limit and its flag), the refused connection
takes no slot, and a flood of them is all counted but recorded at most ten a second, the rest summed up."""
import json
import os
import re
import tempfile
import time
import unittest

from serve_helper import GREETING, Conn, Serve


def records(log):
    with open(log, encoding="latin-1") as f:
        return [json.loads(line) for line in f.read().splitlines()[1:] if line]


def refusals(recs):
    """(the refused connection's opening, the server's reply to it, its close), in order."""
    opened = {r["conn"]: r for r in recs if r["event"] == "connection_opened"}
    closed = {r["conn"]: r for r in recs if r["event"] == "connection_closed"}
    return [(opened.get(r["conn"]), r, closed.get(r["conn"])) for r in recs
            if r["event"] == "message_sent" and r["from_state"] == "refused"]


class Refusals(unittest.TestCase):
    def test_a_refused_client_is_answered_and_recorded_and_the_server_keeps_serving(self):
        log = os.path.join(tempfile.mkdtemp(), "serve.jsonl")
        s = Serve(extra=["--max-connections", "2", "--log", log])
        try:
            # Two connections hold the two slots (the start-up probe's slot may take a moment to free).
            deadline = time.time() + 10
            held = []
            while len(held) < 2:
                c = Conn(s.ports["smtp"])
                first = c.line()
                if first.startswith(GREETING["smtp"]):
                    held.append(c)
                else:
                    c.close()
                    self.assertLess(time.time(), deadline, "a slot is still taken")
                    time.sleep(0.05)
            third = Conn(s.ports["pop3"])
            third_port = third.s.getsockname()[1]
            self.assertEqual(third.line(), b"-ERR [SYS/TEMP] too many connections, try again later")
            self.assertTrue(third.closed())
            third.close()
            # The held sessions go on.
            held[0].send(b"NOOP\r\n")
            self.assertTrue(held[0].line().startswith(b"250"))
            # A flood of 60 refused connections: each answered, all counted.
            for _ in range(60):
                c = Conn(s.ports["imap"])
                self.assertTrue(c.line().startswith(b"* BYE [UNAVAILABLE]"))
                c.close()
            held[1].send(b"NOOP\r\n")
            self.assertTrue(held[1].line().startswith(b"250"), "served during and after the flood")
            # The flood is over: its note comes within a second or so.
            deadline = time.time() + 10
            while not any(r["event"] == "narrated" for r in records(log)):
                self.assertLess(time.time(), deadline, "no note of the refusals not recorded")
                time.sleep(0.1)
            # A slot freed: a new client is greeted.
            held.pop().close()
            deadline = time.time() + 10
            while True:
                c = Conn(s.ports["pop3"])
                first = c.line()
                c.close()
                if first.startswith(GREETING["pop3"]):
                    break
                self.assertLess(time.time(), deadline, "the closed connection's slot was not freed")
                time.sleep(0.05)
            held[0].close()
        finally:
            code, out = s.stop()
        self.assertEqual(code, 0, out)
        recs = records(log)
        refused = refusals(recs)
        # The POP3 client's refusal, as any other server message: its own connection, from its port.
        opened, sent, closed = next(r for r in refused if r[0]["client_port"] == third_port)
        self.assertEqual((opened["protocol"], opened["client_port"]), ("POP3", third_port))
        self.assertEqual((sent["from"], sent["to"], sent["protocol"]), ("server", opened["client"], "POP3"))
        self.assertEqual(sent["raw"], "-ERR [SYS/TEMP] too many connections, try again later\r\n")
        self.assertIn("--max-connections 2: 2 connections are open", sent["meaning"])
        self.assertIn("RFC 3206", sent["rfc"])
        self.assertEqual(closed["by"], "server")
        client = next(r["actor"] for r in recs if r["event"] == "actor_joined" and r["actor"]["id"] == opened["client"])
        self.assertEqual(client["ip"], "127.0.0.1", "its lane is by address")
        # The flood: every refusal counted (recorded, or summed up in a recorded one or the note).
        imap = [sent for _, sent, _ in refused if sent["protocol"] == "IMAP"]
        self.assertTrue(all(s["raw"].startswith("* BYE [UNAVAILABLE]") for s in imap))
        more = sum(int(m) for s in imap for m in re.findall(r"\+(\d+) more refused", s["meaning"]))
        notes = [r["text"] for r in recs if r["event"] == "narrated"]
        noted = sum(int(m.group(1)) for t in notes if (m := re.match(r"(\d+) more connections were refused", t)))
        # The address's own note (for the students seen there): every refusal of it not drawn.
        # (A flood may end in two notes if it paused for a second.)
        own = [re.fullmatch(r"(\d+) connections? from 127\.0\.0\.1 (?:was|were) refused over the limits and not drawn "
                            r"\(at most 10 a second are\)\.", t) for t in notes if " from 127.0.0.1 " in t]
        self.assertTrue(own and all(own), notes)
        self.assertEqual(sum(int(m.group(1)) for m in own), 60 - len(imap), notes)
        self.assertLess(len(imap), 60, "not every refusal of the flood drawn")
        self.assertEqual(len(imap) + more + noted, 60, (len(imap), more, noted))
        # Refusals recorded per second, at most ten (t: milliseconds since the start).
        per_second = {}
        for s_ in imap:
            per_second.setdefault(s_["t"] // 1000, 0)
            per_second[s_["t"] // 1000] += 1
        self.assertLessEqual(max(per_second.values()), 20, per_second)
        # The refused connections never took a slot: the console says how many there were.
        self.assertGreaterEqual(int(re.search(r"(\d+) connections? refused over the limits", out).group(1)), 61, out)


if __name__ == "__main__":
    unittest.main()
