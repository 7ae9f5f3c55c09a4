"""tshark reads the pcapng that `mailsim run` exports and finds the scenario's commands."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MAILSIM", os.path.join(ROOT, "target", "debug", "mailsim"))


def commands_in_log(scenario):
    """The client commands of every SMTP and POP3 session, in order, from the JSON log."""
    out = subprocess.run([BINARY, "run", scenario, "--format", "json"], capture_output=True, check=True).stdout.decode()
    events = [json.loads(l) for l in out.split("\n")[1:] if l]
    clients = {e["conn"]: e["client"] for e in events if e["event"] == "connection_opened"}
    cmds = []
    for e in events:
        if e["event"] == "message_sent" and e["protocol"] in ("SMTP", "POP3") and e["conn"] in clients and e["from"] == clients[e["conn"]]:
            word = e["raw"].split(" ")[0].split("\r")[0]
            if not e["label"].startswith("message ("):
                cmds.append(word.upper())
    return cmds


@unittest.skipUnless(shutil.which("tshark"), "tshark is not installed (scripts/install.sh --test installs it)")
class Tshark(unittest.TestCase):
    def export(self, scenario):
        path = tempfile.NamedTemporaryFile(suffix=".pcapng", delete=False).name
        subprocess.run([BINARY, "run", scenario, "--format", "pcapng", "-o", path], check=True)
        return path

    def tshark(self, path, *args):
        r = subprocess.run(["tshark", "-r", path, *args], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_the_exact_command_sequence_of_each_scenario(self):
        # Scenarios of ordinary sessions (no hand-typed garbage, nothing inside TLS).
        for scenario in ["alice-to-bob", "cc-and-bcc", "unknown-user", "greylisting", "two-hops", "pipelining", "attachment"]:
            path = self.export(scenario)
            out = self.tshark(path, "-T", "fields", "-e", "smtp.req.command", "-e", "pop.request.command")
            seen = [w.upper() for line in out.splitlines() for w in line.split("\t") if w.strip()]
            self.assertEqual(seen, commands_in_log(scenario), scenario)

    def test_checksums_and_streams_are_consistent(self):
        path = self.export("alice-to-bob")
        bad = self.tshark(path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                          "-Y", "ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || tcp.analysis.flags")
        self.assertEqual(bad.strip(), "", "no bad checksums, no TCP analysis warnings")
        streams = self.tshark(path, "-T", "fields", "-e", "tcp.stream").split()
        self.assertEqual(len(set(streams)), 3, "submission, relay and POP3 are three TCP streams")
        dns = self.tshark(path, "-Y", "dns.flags.response == 1", "-T", "fields", "-e", "dns.mx.mail_exchange")
        self.assertEqual(dns.strip(), "mail.bob.example")
        imf = self.tshark(path, "-Y", "imf", "-T", "fields", "-e", "imf.subject")
        self.assertIn("Catch up this week?", imf)

    def test_timestamps_come_from_the_virtual_clock(self):
        path = self.export("alice-to-bob")
        first = self.tshark(path, "-c", "1", "-T", "fields", "-e", "frame.time_epoch").strip()
        self.assertTrue(first.startswith("1789376400."), first)  # Mon 14 Sep 2026 09:00:00 UTC


if __name__ == "__main__":
    unittest.main()
