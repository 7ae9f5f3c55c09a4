"""Real mail programs with their usual settings against `mailsim serve` over real TLS.

Each client is configured as a user would for any provider (host, port, user, password, and
the self-signed certificate `serve` made, as the file to trust) and each test checks the end
state of the mailboxes over IMAP or POP3, not only exit codes and stderr.

Clients (Debian packages, installed by `scripts/install.sh --test`): msmtp, swaks, mbsync
(isync), offlineimap3, fetchmail, getmail6; and Python's smtplib, poplib and imaplib.
A client that is not installed is skipped, saying so. Run by scripts/test.sh:
    python3 -m unittest discover -s tests/interop -v
"""
import base64
import imaplib
import os
import poplib
import re
import shutil
import smtplib
import socket
import ssl
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


def login_plain(user):
    return base64.b64encode(f"\0{user}\0{PASSWORDS[user]}".encode()).decode()


class PythonStdlib(unittest.TestCase):
    """smtplib, poplib and imaplib over STARTTLS/STLS and over implicit TLS."""

    USER = "py@bob.example"

    def setUp(self):
        h.empty(self.USER)

    def test_smtplib_starttls_and_smtps(self):
        with smtplib.SMTP(HOST, h.SERVER.ports["submission"], timeout=10) as s:
            s.ehlo()
            self.assertTrue(s.has_extn("starttls"))
            s.starttls(context=h.context())
            s.ehlo()
            self.assertFalse(s.has_extn("starttls"), "no STARTTLS inside TLS (RFC 3207 §4.2)")
            self.assertEqual(s.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])
            s.login("alice@alice.example", PASSWORDS["alice@alice.example"])
            s.sendmail("alice@alice.example", [self.USER], message("smtplib starttls", self.USER))
        with smtplib.SMTP_SSL(HOST, h.SERVER.ports["smtps"], context=h.context(), timeout=10) as s:
            s.ehlo()
            self.assertFalse(s.has_extn("starttls"), "no STARTTLS on the implicit-TLS port")
            s.user, s.password = "alice@alice.example", PASSWORDS["alice@alice.example"]
            code, _ = s.auth("LOGIN", s.auth_login)
            self.assertEqual(code, 235)
            s.sendmail("alice@alice.example", [self.USER], message("smtplib smtps", self.USER))
        self.assertEqual(set(mailbox(self.USER)), {"smtplib starttls", "smtplib smtps"})
        # The relay port offers STARTTLS too (RFC 3207), and takes mail for local users inside it.
        with smtplib.SMTP(HOST, h.SERVER.ports["smtp"], timeout=10) as s:
            s.starttls(context=h.context())
            s.sendmail("someone@elsewhere.example", [self.USER], message("relay starttls", self.USER))
        self.assertIn("relay starttls", mailbox(self.USER))

    def test_poplib_stls_and_pop3s_with_stable_uidl(self):
        for i in (1, 2):
            h.deliver(self.USER, f"pop {i}")
        p = poplib.POP3(HOST, h.SERVER.ports["pop3"], timeout=10)
        self.assertIn("STLS", p.capa())
        p.stls(context=h.context())
        capa = p.capa()
        self.assertNotIn("STLS", capa)
        self.assertEqual(capa["SASL"], ["PLAIN", "LOGIN"])
        self.assertTrue(p._shortcmd("AUTH PLAIN " + login_plain(self.USER)).startswith(b"+OK"))
        ids = p.uidl()[1]
        with self.assertRaisesRegex(poplib.error_proto, "LAST is obsolete"):
            p._shortcmd("LAST")
        p.quit()
        p = poplib.POP3_SSL(HOST, h.SERVER.ports["pop3s"], context=h.context(), timeout=10)
        self.assertNotIn("STLS", p.capa())
        p.user(self.USER)
        p.pass_(PASSWORDS[self.USER])
        self.assertEqual(p.uidl()[1], ids, "the same unique-ids in the next session")
        p.dele(1)
        p.quit()
        self.assertEqual(h.pop_subjects(self.USER), ["pop 2"])
        self.assertEqual(set(mailbox(self.USER)), {"pop 2"})

    def test_imaplib_starttls_and_imaps(self):
        m = imaplib.IMAP4(HOST, h.SERVER.ports["imap"], timeout=10)
        self.assertIn("STARTTLS", m.capabilities)
        m.starttls(ssl_context=h.context())
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        m.login(self.USER, PASSWORDS[self.USER])
        m.append("INBOX", None, None, message("imap starttls", self.USER).encode())
        m.logout()
        m = imaplib.IMAP4_SSL(HOST, h.SERVER.ports["imaps"], ssl_context=h.context(), timeout=10)
        self.assertNotIn("STARTTLS", m.capabilities)
        m.authenticate("PLAIN", lambda _: f"\0{self.USER}\0{PASSWORDS[self.USER]}".encode())
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Flagged)")
        m.logout()
        self.assertEqual(mailbox(self.USER), {"imap starttls": {"\\Flagged"}})

    def test_an_untrusting_client_and_plain_text_on_a_tls_port_do_not_disturb_the_server(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(
                socket.create_connection((HOST, h.SERVER.ports["imaps"]), timeout=10), server_hostname=HOST)
        with socket.create_connection((HOST, h.SERVER.ports["pop3s"]), timeout=10) as raw:
            raw.sendall(b"USER bob\r\n")
            self.assertEqual(raw.recv(100)[:1], b"\x15", "a TLS alert, not a POP3 answer")
        self.assertIn("handshake with", h.SERVER.output())
        self.assertEqual(set(mailbox(self.USER)), set(), "still serving")


class PlaintextOffLoopback(unittest.TestCase):
    """From an address that is not loopback, passwords wait for TLS (unless the flag says so)."""

    USER = "plain@bob.example"

    def start(self, extra=()):
        ip = h.non_loopback_ip()
        if ip is None:
            self.skipTest("this machine has no address besides loopback")
        server = h.Server(bind=ip, extra=extra)
        self.addCleanup(server.stop)
        ctx = ssl.create_default_context(cafile=server.cert)
        ctx.check_hostname = False  # the certificate names localhost; the chain is still checked
        return ip, server, ctx

    def test_logins_in_the_clear_are_refused_and_work_after_starttls(self):
        ip, server, ctx = self.start()
        with smtplib.SMTP(ip, server.ports["submission"], timeout=10) as s:
            s.ehlo()
            self.assertTrue(s.has_extn("starttls"))
            self.assertFalse(s.has_extn("auth"), "AUTH is offered only inside TLS")
            code, text = s.docmd("AUTH", "PLAIN " + login_plain(self.USER))
            self.assertEqual(code, 538, text)
            self.assertTrue(text.startswith(b"5.7.11"), text)
            s.starttls(context=ctx)
            s.login(self.USER, PASSWORDS[self.USER])
        m = imaplib.IMAP4(ip, server.ports["imap"], timeout=10)
        self.assertIn("LOGINDISABLED", m.capabilities)
        self.assertNotIn("AUTH=PLAIN", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(self.USER, PASSWORDS[self.USER])
        m.starttls(ssl_context=ctx)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        m.login(self.USER, PASSWORDS[self.USER])
        m.logout()
        p = poplib.POP3(ip, server.ports["pop3"], timeout=10)
        capa = p.capa()
        self.assertNotIn("USER", capa)
        self.assertNotIn("SASL", capa)
        with self.assertRaisesRegex(poplib.error_proto, r"\[AUTH\] Plaintext authentication disallowed"):
            p.user(self.USER)
        p.stls(context=ctx)
        p.user(self.USER)
        p.pass_(PASSWORDS[self.USER])
        p.quit()

    def test_allow_plaintext_auth_lets_them_in_anywhere(self):
        ip, server, _ = self.start(extra=["--allow-plaintext-auth"])
        with smtplib.SMTP(ip, server.ports["submission"], timeout=10) as s:
            s.login(self.USER, PASSWORDS[self.USER])
        m = imaplib.IMAP4(ip, server.ports["imap"], timeout=10)
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        m.login(self.USER, PASSWORDS[self.USER])
        m.logout()
        p = poplib.POP3(ip, server.ports["pop3"], timeout=10)
        p.user(self.USER)
        p.pass_(PASSWORDS[self.USER])
        p.quit()


class Restart(unittest.TestCase):
    """The certificate and the POP3 unique-ids outlive a restart on the same mail directory."""

    def test_same_certificate_and_uidl_after_a_restart(self):
        d = tempfile.mkdtemp(prefix="mailsim-restart-")
        self.addCleanup(shutil.rmtree, d, True)
        user = "bob@bob.example"

        def uidl(server):
            ctx = ssl.create_default_context(cafile=os.path.join(d, "tls", "cert.pem"))
            p = poplib.POP3_SSL(HOST, server.ports["pop3s"], context=ctx, timeout=10)
            p.user(user)
            p.pass_(PASSWORDS[user])
            ids = p.uidl()[1]
            p.quit()
            return ids

        first = h.Server(data=d)
        ctx = ssl.create_default_context(cafile=first.cert)
        with smtplib.SMTP_SSL(HOST, first.ports["smtps"], context=ctx, timeout=10) as s:
            s.login("alice@alice.example", PASSWORDS["alice@alice.example"])
            for i in (1, 2):
                s.sendmail("alice@alice.example", [user], message(f"restart {i}", user))
        before = uidl(first)
        code, out = first.stop()
        self.assertEqual(code, 0, out)
        self.assertIn("(made now, self-signed)", out)
        fingerprint = re.search(r"SHA-256 fingerprint ([0-9A-F:]{95})", out).group(1)
        second = h.Server(data=d)
        self.addCleanup(second.stop)
        self.assertEqual(len(before), 2)
        self.assertEqual(uidl(second), before, "the same unique-ids after the restart")
        out = second.output()
        self.assertIn("(kept from before)", out)
        self.assertIn(f"SHA-256 fingerprint {fingerprint}", out)


class OwnCertificate(unittest.TestCase):
    """--tls-cert/--tls-key: the operator's own certificate (here made by openssl) is served."""

    def test_serves_the_given_certificate(self):
        h.need("openssl")
        d = tempfile.mkdtemp(prefix="mailsim-own-cert-")
        self.addCleanup(shutil.rmtree, d, True)
        cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        r = h.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                   "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert])
        self.assertEqual(r.returncode, 0, r.stderr)
        server = h.Server(extra=["--tls-cert", cert, "--tls-key", key])
        self.addCleanup(server.stop)
        self.assertFalse(os.path.exists(server.cert), "no self-signed certificate made")
        ctx = ssl.create_default_context(cafile=cert)
        m = imaplib.IMAP4_SSL(HOST, server.ports["imaps"], ssl_context=ctx, timeout=10)
        m.login("bob@bob.example", PASSWORDS["bob@bob.example"])
        m.logout()
        self.assertIn(f"certificate {cert} ", server.output())


class Curl(unittest.TestCase):
    """curl with --ssl-reqd (STARTTLS/STLS) and the implicit-TLS schemes, trusting the certificate."""

    USER = "bob@bob.example"

    def setUp(self):
        h.need("curl")
        h.empty(self.USER)

    def curl(self, *args, data=None):
        r = run(["curl", "--silent", "--show-error", "--cacert", h.SERVER.cert, *args], input=data)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)
        return r.stdout

    def test_send_over_both_tls_styles_and_read_back_over_pop3_and_imap(self):
        alice = f"alice@alice.example:{PASSWORDS['alice@alice.example']}"
        for url, subject in [(f"smtp://{HOST}:{h.SERVER.ports['submission']}", "curl starttls"),
                             (f"smtps://{HOST}:{h.SERVER.ports['smtps']}", "curl smtps")]:
            self.curl("--ssl-reqd", url, "--user", alice, "--mail-from", "alice@alice.example",
                      "--mail-rcpt", self.USER, "--upload-file", "-", data=message(subject, self.USER))
        self.assertEqual(set(mailbox(self.USER)), {"curl starttls", "curl smtps"})
        bob = f"{self.USER}:{PASSWORDS[self.USER]}"
        listing = self.curl("--ssl-reqd", f"pop3://{HOST}:{h.SERVER.ports['pop3']}/", "--user", bob)
        self.assertEqual(len(listing.splitlines()), 2, listing)
        first = self.curl(f"pop3s://{HOST}:{h.SERVER.ports['pop3s']}/1", "--user", bob)
        self.assertIn("Subject: curl starttls", first)
        found = self.curl(f"imaps://{HOST}:{h.SERVER.ports['imaps']}/INBOX", "--user", bob, "--request",
                          'SEARCH SUBJECT "curl smtps"')
        self.assertIn("* SEARCH 2", found)
        fetched = self.curl("--ssl-reqd", f"imap://{HOST}:{h.SERVER.ports['imap']}/INBOX;MAILINDEX=2", "--user", bob)
        self.assertIn("Subject: curl smtps", fetched)


if __name__ == "__main__":
    unittest.main()
