"""Shared by the real-client tests over TLS: `mailsim serve` on free ports with its own data
directory (and so its own self-signed certificate), and ways to read the mailboxes back.
Not a test module itself (unittest discovery looks for test*.py).
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

    def __init__(self, bind="127.0.0.1", extra=(), data=None):
        # A directory given by the caller outlives the server (restart tests).
        self.keep = data is not None
        self.data = data or tempfile.mkdtemp(prefix="mailsim-tls-")
        self.cert = os.path.join(self.data, "tls", "cert.pem")
        # A free port can be taken by another process between free_port() and the server's
        # bind (the fresh-clone run of session 13 saw it once): new ports, up to three times.
        for _ in range(3):
            if self._start(bind, extra):
                return
            if "Address already in use" not in self.output():
                break
        raise RuntimeError("mailsim serve did not start:\n" + self.output())

    def _start(self, bind, extra):
        names = ["smtp", "submission", "pop3", "imap", "smtps", "imaps", "pop3s"]
        self.ports = {n: free_port() for n in names}
        args = [BINARY, "serve", "--bind", bind, "--maildir", self.data, "--idle-timeout", "20", *extra]
        for n in names:
            args += [f"--{n}-port", str(self.ports[n])]
        for a in ACCOUNTS:
            args += ["--user", f"{a}:{PASSWORDS[a]}"]
        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection((bind, self.ports["pop3s"]), timeout=0.2).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                time.sleep(0.05)
        self.proc.kill()  # up but not listening in time: not left behind
        self.proc.wait()
        return False

    def output(self):
        self.out.seek(0)
        return self.out.read().decode(errors="replace")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        out = self.output()
        self.out.close()
        if not self.keep:
            shutil.rmtree(self.data, ignore_errors=True)
        return code, out


SERVER = None


def start():
    """For a test module's setUpModule: one server for the module's tests."""
    global SERVER
    SERVER = Server()
    return SERVER


def stop():
    """For tearDownModule: Ctrl-C must stop it cleanly."""
    code, out = SERVER.stop()
    assert code == 0, f"Ctrl-C stops it cleanly (exit {code})\n{out}"
    return out


def context():
    return ssl.create_default_context(cafile=SERVER.cert)


def imap(user):
    m = imaplib.IMAP4_SSL(HOST, SERVER.ports["imaps"], ssl_context=context(), timeout=10)
    m.login(user, PASSWORDS[user])
    return m


def mailbox(user, folder="INBOX"):
    """{subject: flags} of a folder, read over IMAPS."""
    m = imap(user)
    typ, data = m.select(f'"{folder}"', readonly=True)
    assert typ == "OK", (user, folder, data)
    found = {}
    if int(data[0]) > 0:
        typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for item in data:
            if isinstance(item, tuple):
                flags = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split())
                subject = email.message_from_bytes(item[1])["Subject"]
                found[subject] = flags
    m.logout()
    return found


def folders(user):
    m = imap(user)
    names = [line.decode().rsplit(' "/" ', 1)[-1].strip('"') for line in m.list()[1] if line]
    m.logout()
    return names


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
    """Every folder emptied; folders other than INBOX removed where the server allows it."""
    m = imap(user)
    for name in folders(user):
        typ, data = m.select(f'"{name}"')
        if int(data[0]) > 0:
            m.store("1:*", "+FLAGS", "(\\Deleted)")
            m.expunge()
        m.close()
        if name != "INBOX":
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
    """A real client, given a minute. If it hangs, the failure shows what the server said last
    (its console has every session's lines) and what the client had printed."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)
    except subprocess.TimeoutExpired as e:
        said = SERVER.output().splitlines()[-80:] if SERVER else []
        out = lambda b: (b.decode(errors="replace") if isinstance(b, bytes) else b or "")[-2000:]
        raise AssertionError(f"{args[-1] if args else ''}: no end after {e.timeout} s\n"
                             f"client stdout: {out(e.stdout)}\nclient stderr: {out(e.stderr)}\n"
                             "the server's last lines:\n" + "\n".join(said)) from None


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
