"""mbsync and offlineimap, with their usual settings, against `mailsim serve`'s IMAP (loopback,
no TLS: the TLS side is tested elsewhere). Each test checks the end state of both sides.
Skipped when the program is not installed (scripts/install.sh --test installs them).
"""
import imaplib
import os
import shutil
import smtplib
import subprocess
import tempfile
import unittest

from serve_helper import HOST, USERS, Serve

PW = USERS["bob@bob.example"]


def deliver(serve, n):
    for i in range(n):
        with smtplib.SMTP(HOST, serve.ports["smtp"], timeout=5) as s:
            s.sendmail("a@x.example", ["bob@bob.example"],
                       f"From: Alice <a@x.example>\r\nTo: bob@bob.example\r\nSubject: test {i}\r\n"
                       f"Message-ID: <m{i}@x.example>\r\n\r\nbody {i}\r\n")


def server_state(serve):
    """{folder: [(subject, flags)]} as IMAP shows it."""
    m = imaplib.IMAP4(HOST, serve.ports["imap"])
    m.login("bob@bob.example", PW)
    out = {}
    for line in m.list()[1]:
        name = line.decode().rsplit(' "/" ', 1)[1].strip('"')
        typ, data = m.select(f'"{name}"')
        msgs = []
        if int(data[0]) > 0:
            typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for item in data:
                if isinstance(item, tuple):
                    flags = item[0].split(b"FLAGS (")[1].split(b")")[0].decode().replace("\\Recent", "").split()
                    msgs.append((item[1].decode().strip().removeprefix("Subject: "), sorted(flags)))
        out[name] = sorted(msgs)
    m.logout()
    return out


def run(args, home):
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": home})
    return p.returncode, p.stdout, p.stderr


@unittest.skipUnless(shutil.which("mbsync"), "mbsync is not installed")
class Mbsync(unittest.TestCase):
    def test_two_way_sync_with_flags_uploads_expunges_and_a_new_folder(self):
        serve = Serve()
        tmp = tempfile.mkdtemp()
        try:
            deliver(serve, 3)
            local = os.path.join(tmp, "mail")
            os.makedirs(local)
            rc = os.path.join(tmp, "mbsyncrc")
            with open(rc, "w") as f:
                f.write(f"IMAPAccount ms\nHost {HOST}\nPort {serve.ports['imap']}\nUser bob@bob.example\nPass {PW}\n"
                        "SSLType None\nAuthMechs LOGIN\n\nIMAPStore remote\nAccount ms\n\n"
                        f"MaildirStore local\nPath {local}/\nInbox {local}/INBOX\nSubFolders Verbatim\n\n"
                        "Channel ch\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\n")
            code, out, err = run(["mbsync", "-c", rc, "ch"], tmp)
            self.assertEqual(code, 0, out + err)
            self.assertNotIn("BAD", out + err)
            inbox = os.path.join(local, "INBOX")
            files = sorted(os.listdir(os.path.join(inbox, "new")))
            self.assertEqual(len(files), 3, files)
            # Locally: read one, delete one, write one, and a new folder with a flagged message.
            def file_for(uid):
                return next(f for f in files if f",U={uid}:" in f)
            os.rename(os.path.join(inbox, "new", file_for(1)), os.path.join(inbox, "cur", file_for(1) + "S"))
            os.rename(os.path.join(inbox, "new", file_for(2)), os.path.join(inbox, "cur", file_for(2) + "T"))
            with open(os.path.join(inbox, "new", "1.local:2,"), "w") as f:
                f.write("From: bob@bob.example\r\nSubject: written here\r\n\r\nup\r\n")
            for d in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(local, "Projects", d))
            with open(os.path.join(local, "Projects", "new", "2.local:2,F"), "w") as f:
                f.write("Subject: in projects\r\n\r\nP\r\n")
            # And on the server: a flag set by another client.
            m = imaplib.IMAP4(HOST, serve.ports["imap"])
            m.login("bob@bob.example", PW)
            m.select("INBOX")
            m.uid("STORE", "3", "+FLAGS", "(\\Flagged)")
            m.logout()
            code, out, err = run(["mbsync", "-c", rc, "ch"], tmp)
            self.assertEqual(code, 0, out + err)
            state = server_state(serve)
            self.assertEqual(state["INBOX"], [("test 0", ["\\Seen"]), ("test 2", ["\\Flagged"]), ("written here", [])])
            self.assertEqual(state["Projects"], [("in projects", ["\\Flagged"])])
            flagged = [f for f in os.listdir(os.path.join(inbox, "cur")) + os.listdir(os.path.join(inbox, "new"))
                       if f.endswith(",F") or ":2,F" in f]
            self.assertEqual(len(flagged), 1, "the server's flag came down")
            # A third run changes nothing and says nothing wrong.
            code, out, err = run(["mbsync", "-c", rc, "ch"], tmp)
            self.assertEqual(code, 0, out + err)
            self.assertEqual(server_state(serve), state)
        finally:
            serve.stop()
            shutil.rmtree(tmp, ignore_errors=True)


@unittest.skipUnless(shutil.which("offlineimap"), "offlineimap is not installed")
class Offlineimap(unittest.TestCase):
    def test_sync_down_then_up_with_flags_and_a_deletion(self):
        serve = Serve()
        tmp = tempfile.mkdtemp()
        try:
            deliver(serve, 3)
            rc = os.path.join(tmp, "offlineimaprc")
            mail = os.path.join(tmp, "mail")
            with open(rc, "w") as f:
                f.write(f"[general]\naccounts = ms\nmetadata = {tmp}/meta\n\n[Account ms]\nlocalrepository = local\n"
                        f"remoterepository = remote\n\n[Repository local]\ntype = Maildir\nlocalfolders = {mail}\n\n"
                        f"[Repository remote]\ntype = IMAP\nremotehost = {HOST}\nremoteport = {serve.ports['imap']}\n"
                        f"remoteuser = bob@bob.example\nremotepass = {PW}\nssl = no\nstarttls = no\n")
            args = ["offlineimap", "-c", rc, "-o", "-u", "basic"]
            code, out, err = run(args, tmp)
            self.assertEqual(code, 0, out + err)
            self.assertEqual(err.strip(), "")
            inbox = os.path.join(mail, "INBOX")
            files = sorted(os.listdir(os.path.join(inbox, "new")))
            self.assertEqual(len(files), 3, files)
            first = next(f for f in files if ",U=1," in f)
            os.rename(os.path.join(inbox, "new", first), os.path.join(inbox, "cur", first + "FS"))
            os.remove(os.path.join(inbox, "new", next(f for f in files if ",U=2," in f)))
            with open(os.path.join(inbox, "new", "5555.local"), "w") as f:
                f.write("Subject: from offlineimap\r\n\r\nhello\r\n")
            code, out, err = run(args, tmp)
            self.assertEqual(code, 0, out + err)
            self.assertEqual(err.strip(), "")
            state = server_state(serve)
            self.assertEqual(state["INBOX"], [("from offlineimap", []), ("test 0", ["\\Flagged", "\\Seen"]), ("test 2", [])])
        finally:
            serve.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
