"""Starting and stopping `mailsim serve` for the robustness tests (hostile input, restart, isolation).

Each server gets free loopback ports and its own mail directory (or --memory), so runs share no state.
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MAILSIM", os.path.join(ROOT, "target", "debug", "mailsim"))
HOST = "127.0.0.1"
USERS = {"alice@alice.example": "alice-secret", "bob@bob.example": "bob-secret"}
# The self-signed certificate of every server of the run (made by the first, reused after).
TLS_DIR = tempfile.mkdtemp(prefix="mailsim-tls-")
GREETING = {"smtp": b"220 ", "submission": b"220 ", "pop3": b"+OK", "imap": b"* OK"}


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]



def send_until(port, stop, prefix, acknowledged, to="alice@alice.example", limit=100_000):
    """One SMTP connection that sends `Subject: PREFIX-i` messages until `stop` is set (or the server goes away),
    appending each subject to `acknowledged` once its 250 came: what a crash test may then demand to find."""
    import smtplib

    try:
        with smtplib.SMTP(HOST, port, timeout=5) as s:
            for i in range(limit):
                if stop.is_set():
                    return
                subject = f"{prefix}-{i}"
                s.sendmail("carol@elsewhere.example", [to], f"Subject: {subject}\r\n\r\nx\r\n".encode())
                acknowledged.append(subject)
    except (OSError, smtplib.SMTPException):
        return

class Serve:
    """`mailsim serve` on free ports; `maildir=None` means --memory."""

    def __init__(self, maildir=None, extra=(), ports=None):
        # A port found free may be taken by someone else before the server binds it: try again
        # with other ports then.
        for attempt in range(5):
            try:
                return self._start(maildir, extra, ports)
            except RuntimeError as e:
                if ports or "Address already in use" not in str(e) or attempt == 4:
                    raise

    def _start(self, maildir, extra, ports):
        self.ports = ports or {k: free_port() for k in ("smtp", "submission", "pop3", "imap", "smtps", "imaps", "pop3s")}
        args = [BINARY, "serve", "--quiet", "--smtp-port", str(self.ports["smtp"]),
                "--submission-port", str(self.ports["submission"]), "--pop3-port", str(self.ports["pop3"]),
                "--imap-port", str(self.ports["imap"]), "--smtps-port", str(self.ports["smtps"]),
                "--imaps-port", str(self.ports["imaps"]), "--pop3s-port", str(self.ports["pop3s"]), "--tls-dir", TLS_DIR]
        args += ["--maildir", maildir] if maildir else ["--memory"]
        for a, p in USERS.items():
            args += ["--user", f"{a}:{p}"]
        args += list(extra)
        self.out = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection((HOST, self.ports["imap"]), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        out = self.output()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.out.close()
        raise RuntimeError("mailsim serve did not start:\n" + out)

    def output(self):
        self.out.seek(0)
        return self.out.read().decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=15)
        out = self.output()
        self.out.close()
        return code, out

    def greets(self, name, within=1.0):
        """Connects to port `name` and returns its greeting line, which must come within `within` s."""
        with socket.create_connection((HOST, self.ports[name]), timeout=within) as s:
            s.settimeout(within)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data

    def all_ports_answer(self, test, within=10.0):
        """Every port greets (within `within` seconds): the server is neither down nor frozen by what another
        session sent. The bound catches a freeze (an input that holds the server took 40 s or never returned);
        how fast a greeting comes is a figure of the benchmark, not of this test: on a loaded 2-core machine a
        greeting took over 1 s without anything being wrong."""
        test.assertTrue(self.alive(), "the server is still running")
        for name, prefix in GREETING.items():
            t = time.time()
            g = self.greets(name, within)
            test.assertTrue(g.startswith(prefix), f"{name} greets: {g[:80]!r}")
            test.assertLess(time.time() - t, within, f"{name} greets within {within} s")


class Conn:
    """A raw line-oriented client."""

    def __init__(self, port, timeout=5.0):
        self.s = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def until(self, prefix):
        """Lines up to and including the first that starts with `prefix`."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(prefix):
                return lines

    def closed(self):
        """True if the server closed the connection (after whatever it still sent)."""
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except OSError:
            return False

    def close(self):
        self.s.close()
