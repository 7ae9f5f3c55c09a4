"""Real mail programs with their usual settings against `mailsim serve` over real TLS.

Each client is configured as a user would for any provider (host, port, user, password, and
the self-signed certificate `serve` made, as the file to trust) and each test checks the end
state of the mailboxes over IMAP or POP3, not only exit codes and stderr.

Clients (Debian packages, installed by `scripts/install.sh --test`): msmtp, swaks, mbsync
(isync), offlineimap3, fetchmail, getmail6; and Python's smtplib, poplib and imaplib.
A client that is not installed is skipped, saying so. Run by scripts/test.sh:
    python3 -m unittest discover -s tests/interop -v
"""
import email
import imaplib
import os
import poplib
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MAILSIM", os.path.join(ROOT, "target", "debug", "mailsim"))
HOST = "localhost"  # the name the self-signed certificate is made for
ACCOUNTS = ["alice@alice.example", "bob@bob.example", "sync@bob.example", "pop@bob.example",
            "get@bob.example", "py@bob.example", "plain@bob.example"]
PASSWORDS = {a: a.split("@")[0] + "-secret" for a in ACCOUNTS}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def non_loopback_ip():
    """An address of this machine that is not loopback (for the plaintext-refusal tests)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.123", 9))  # no packet is sent
            ip = s.getsockname()[0]
            return None if ip.startswith("127.") else ip
    except OSError:
        return None


class Server:
    """`mailsim serve` on free ports, with its data directory (and certificate) in a temp dir."""

    def __init__(self, bind="127.0.0.1", extra=()):
        names = ["smtp", "submission", "pop3", "imap", "smtps", "imaps", "pop3s"]
        self.ports = {n: free_port() for n in names}
        self.data = tempfile.mkdtemp(prefix="mailsim-tls-")
        args = [BINARY, "serve", "--bind", bind, "--data-dir", self.data, "--idle-timeout", "20", *extra]
        for n in names:
            args += [f"--{n}-port", str(self.ports[n])]
        for a in ACCOUNTS:
            args += ["--user", f"{a}:{PASSWORDS[a]}"]
        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT)
        self.cert = os.path.join(self.data, "tls", "cert.pem")
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection((bind, self.ports["pop3s"]), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mailsim serve did not start")

    def output(self):
        self.out.seek(0)
        return self.out.read().decode(errors="replace")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        out = self.output()
        self.out.close()
        shutil.rmtree(self.data, ignore_errors=True)
        return code, out


SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server()


def tearDownModule():
    code, out = SERVER.stop()
    assert code == 0, f"Ctrl-C stops it cleanly (exit {code})\n{out}"


def context():
    return ssl.create_default_context(cafile=SERVER.cert)


def imap(user):
    m = imaplib.IMAP4_SSL(HOST, SERVER.ports["imaps"], ssl_context=context(), timeout=10)
    m.login(user, PASSWORDS[user])
    return m


def mailbox(user, folder="INBOX"):
    """{subject: flags} of a folder, read over IMAPS."""
    m = imap(user)
    typ, _ = m.select(f'"{folder}"', readonly=True)
    assert typ == "OK", (user, folder)
    found = {}
    typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    for item in data:
        if isinstance(item, tuple):
            flags = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
            subject = email.message_from_bytes(item[1])["Subject"]
            found[subject] = flags
    m.logout()
    return found


def pop_subjects(user):
    p = poplib.POP3_SSL(HOST, SERVER.ports["pop3s"], context=context(), timeout=10)
    p.user(user)
    p.pass_(PASSWORDS[user])
    subjects = []
    for i in range(1, p.stat()[0] + 1):
        head = b"\r\n".join(p.top(i, 0)[1])
        subjects.append(email.message_from_bytes(head)["Subject"])
    p.quit()
    return subjects


def empty(user):
    m = imap(user)
    for name in [line.decode().rsplit(' "/" ', 1)[-1].strip('"') for line in m.list()[1] if line]:
        m.select(f'"{name}"')
        m.store("1:*", "+FLAGS", "(\\Deleted)")
        m.expunge()
        if name != "INBOX":
            m.close()
            m.delete(f'"{name}"')
    m.logout()


def message(subject, to, body="Hello over TLS.\r\n"):
    return (f"From: Alice <alice@alice.example>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@alice.example>\r\n\r\n{body}")


def deliver(to, subject):
    with smtplib.SMTP_SSL(HOST, SERVER.ports["smtps"], context=context(), timeout=10) as s:
        s.login("alice@alice.example", PASSWORDS["alice@alice.example"])
        s.sendmail("alice@alice.example", [to], message(subject, to))


def need(program):
    if shutil.which(program) is None:
        raise unittest.SkipTest(f"{program} is not installed (scripts/install.sh --test installs it)")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def as_nobody(args, home):
    """fetchmail warns on stderr when run as root: run it as nobody, as a user would."""
    if os.geteuid() != 0:
        return args
    os.chown(home, 65534, 65534)
    for dirpath, dirs, files in os.walk(home):
        for n in dirs + files:
            os.chown(os.path.join(dirpath, n), 65534, 65534)
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *args]


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class Msmtp(unittest.TestCase):
    """msmtp with a default-style config: auth on, tls on, the generated certificate trusted."""

    def setUp(self):
        need("msmtp")
        empty("bob@bob.example")

    def send(self, subject, port, starttls):
        d = tempfile.mkdtemp()
        conf = os.path.join(d, "msmtprc")
        write(conf, f"""defaults
auth on
tls on
tls_trust_file {SERVER.cert}
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
        self.send("msmtp starttls", SERVER.ports["submission"], True)
        self.send("msmtp implicit", SERVER.ports["smtps"], False)
        self.assertEqual(set(mailbox("bob@bob.example")), {"msmtp starttls", "msmtp implicit"})


class Swaks(unittest.TestCase):
    """swaks over STARTTLS and implicit TLS, AUTH PLAIN and LOGIN, verifying the certificate."""

    def setUp(self):
        need("swaks")
        empty("bob@bob.example")

    def test_starttls_and_implicit_tls_with_plain_and_login(self):
        sent = set()
        for tls_flag, port in [("--tls", "submission"), ("--tls-on-connect", "smtps")]:
            for mech in ["PLAIN", "LOGIN"]:
                subject = f"swaks {port} {mech}"
                r = run(["swaks", "--server", HOST, "--port", str(SERVER.ports[port]), tls_flag,
                         "--tls-verify", "--tls-ca-path", SERVER.cert, "--auth", mech,
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
