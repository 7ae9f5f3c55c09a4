"""The live classroom as an instructor runs it (issue 16, session 18's QA): the README's recipe takes a
class, and a student typing through `nc` (lines ending in a bare LF) gets an answer, not silence."""
import os
import re
import socket
import unittest

from serve_helper import HOST, ROOT, Serve


def recipe_flags():
    """The flags of the README's classroom command (`target/release/mailsim serve ...`), without --bind and
    --memory (the helper adds it)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        line = re.search(r"^target/release/mailsim serve (.*)$", f.read(), re.M).group(1)
    words = line.split()
    if "--bind" in words:
        i = words.index("--bind")
        del words[i:i + 2]
    return [w for w in words if w != "--memory"]


def line(s):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class Classroom(unittest.TestCase):
    def test_the_readme_recipe_takes_thirty_students_with_five_imap_connections_each(self):
        # Thunderbird keeps up to five IMAP connections per account; the recipe's server must greet them all
        # (with serve's default of 64 connections in all, the 65th got `* BYE [UNAVAILABLE]`).
        serve = Serve(extra=recipe_flags() + ["--web-port", "0"])
        socks = []
        try:
            for student in range(30):
                for _ in range(5):
                    s = socket.create_connection((HOST, serve.ports["imap"]), timeout=10,
                                                 source_address=(f"127.0.3.{student + 1}", 0))
                    socks.append(s)
                    greeting = line(s)
                    self.assertTrue(greeting.startswith(b"* OK"), f"connection {len(socks)}: {greeting!r}")
        finally:
            for s in socks:
                s.close()
            serve.stop()

    def test_a_line_ended_by_a_bare_lf_is_answered_at_once_on_every_protocol(self):
        # `nc HOST PORT` sends "\n" at Enter: the server used to wait for a CRLF that never came, and the
        # student saw nothing at all.
        serve = Serve()
        try:
            for name, typed, then, ok in [
                ("pop3", b"capa\n", b"CAPA\r\n", b"+OK"),
                ("imap", b"a1 noop\n", b"a2 NOOP\r\n", b"a2 OK"),
                ("submission", b"ehlo laptop\n", b"EHLO laptop\r\n", b"250"),
            ]:
                with socket.create_connection((HOST, serve.ports[name]), timeout=5) as s:
                    line(s)
                    s.sendall(typed)
                    reply = line(s)
                    self.assertRegex(reply, rb"^(-ERR|a1 BAD|500 5\.5\.2) Line ended with a bare LF", f"{name}: {reply!r}")
                    s.sendall(then)
                    self.assertTrue(line(s).startswith(ok), f"{name}: the next line with its CRLF is a fresh command")
        finally:
            serve.stop()


if __name__ == "__main__":
    unittest.main()
