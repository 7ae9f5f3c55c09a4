"""Mailbox synchronisers and fetchers against `mailsim serve` over real TLS, as a user would
set them up (host, port, user, password, the generated certificate as the file to trust):

- mbsync (isync): a full two-way sync over STARTTLS: download, upload by APPEND, flag changes
  both ways, expunge both ways, a second folder; nothing on stderr; a third run changes nothing.
- offlineimap3 on the same account over implicit TLS: its Maildir mirrors the server, and a
  local change reaches the server.
- fetchmail over POP3 with STLS (its default when the server offers it) and the certificate
  checked: keep (a second run finds nothing new, by UIDL), then fetch all and delete.
- getmail6 over POP3S: download and keep (a second run skips what it has), then delete.

Each test checks the end state of the mailboxes on the server (over IMAP or POP3) and in the
client's local store. Run by scripts/test.sh: python3 -m unittest discover -s tests/interop -v
"""
import email
import glob
import os
import shutil
import tempfile
import unittest

import tls_helpers as h
from tls_helpers import HOST, PASSWORDS, as_nobody, deliver, mailbox, need, pop_subjects, run, write

def setUpModule():
    h.start()


def tearDownModule():
    h.stop()


def maildir(path):
    """{subject: maildir flags} of the messages in a Maildir folder (new/ and cur/)."""
    found = {}
    for f in glob.glob(os.path.join(path, "new", "*")) + glob.glob(os.path.join(path, "cur", "*")):
        with open(f, "rb") as fh:
            subject = email.message_from_binary_file(fh)["Subject"]
        found[subject] = f.rsplit(":2,", 1)[1] if ":2," in f else ""
    return found


def maildir_file(path, subject):
    for f in glob.glob(os.path.join(path, "*", "*")):
        with open(f, "rb") as fh:
            if email.message_from_binary_file(fh)["Subject"] == subject:
                return f
    raise AssertionError(f"{subject} not in {path}")


def put(path, subject):
    """A new message in a Maildir folder, as a mail program would store it."""
    os.makedirs(os.path.join(path, "new"), exist_ok=True)
    name = os.path.join(path, "new", f"1700000000.{abs(hash(subject))}.local")
    write(name, f"From: bob@bob.example\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(subject))}@l>\r\n\r\nhi\r\n")


def server_change(user, folder, uid_of_subject=None, flag=None, append=None, expunge=None):
    m = h.imap(user)
    m.select(f'"{folder}"')
    if append:
        m.append(f'"{folder}"', None, None, f"Subject: {append}\r\nMessage-ID: <{abs(hash(append))}@s>\r\n\r\nx\r\n".encode())
    for subject, op in [(flag, "+FLAGS (\\Seen)"), (expunge, "+FLAGS (\\Deleted)")]:
        if subject:
            typ, data = m.search(None, "SUBJECT", f'"{subject}"')
            assert typ == "OK" and data[0], (subject, data)
            m.store(data[0].decode().replace(" ", ","), *op.split(" ", 1))
    if expunge:
        m.expunge()
    m.logout()


def check_imap_client(test, r, what):
    """Exit 0 and nothing on stderr (IMAP4rev1 commands such as CHECK are all there now)."""
    test.assertEqual((r.returncode, r.stderr), (0, ""), f"{what}\n{r.stdout}")


USER = "sync@bob.example"


class Mbsync(unittest.TestCase):
    def setUp(self):
        need("mbsync")
        h.empty(USER)
        for i in (1, 2, 3):
            deliver(USER, f"sync {i}")
        m = h.imap(USER)
        m.create("Archive")
        m.logout()
        server_change(USER, "Archive", append="archived 1")
        self.dir = tempfile.mkdtemp(prefix="mbsync-")
        self.local = os.path.join(self.dir, "mail")
        os.makedirs(self.local)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, extra=""):
        conf = os.path.join(self.dir, "mbsyncrc")
        write(conf, f"""IMAPAccount mailsim
Host {HOST}
Port {h.SERVER.ports["imap"]}
User {USER}
Pass {PASSWORDS[USER]}
SSLType STARTTLS
CertificateFile {h.SERVER.cert}
{extra}

IMAPStore remote
Account mailsim

MaildirStore local
Path {self.local}/
Inbox {self.local}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")
        return conf

    def test_default_authentication_mechanism(self):
        # No AuthMechs: mbsync picks the strongest SASL mechanism offered (SCRAM-SHA-256
        # through Cyrus SASL, which sends an authorization identity, RFC 5802 §7 gs2-header).
        r = run(["mbsync", "-c", self.config(), "-l", "sync"])
        check_imap_client(self, r, "mbsync -l")
        self.assertEqual(set(r.stdout.split()), {"INBOX", "Archive"})

    def test_full_two_way_sync(self):
        # mbsync's defaults: SCRAM-SHA-256 inside STARTTLS, the generated certificate trusted.
        conf = self.config()
        inbox, archive = os.path.join(self.local, "INBOX"), os.path.join(self.local, "Archive")
        check_imap_client(self, run(["mbsync", "-c", conf, "-a"]), "mbsync, first run")
        self.assertEqual(maildir(inbox), {"sync 1": "", "sync 2": "", "sync 3": ""})
        self.assertEqual(maildir(archive), {"archived 1": ""})
        # Local: flag one, delete one, a new message in each folder (uploaded by APPEND).
        f = maildir_file(inbox, "sync 1")
        os.rename(f, f.replace("/new/", "/cur/") + "F")
        os.remove(maildir_file(inbox, "sync 2"))
        put(inbox, "uploaded 1")
        put(archive, "uploaded 2")
        # Server: mark one seen, a new message and an expunge in the second folder.
        server_change(USER, "INBOX", flag="sync 3")
        server_change(USER, "Archive", append="archived 2", expunge="archived 1")
        check_imap_client(self, run(["mbsync", "-c", conf, "-a"]), "mbsync, second run")
        self.assertEqual(mailbox(USER), {"sync 1": {"\\Flagged"}, "sync 3": {"\\Seen"}, "uploaded 1": set()})
        self.assertEqual(set(mailbox(USER, "Archive")), {"archived 2", "uploaded 2"})
        self.assertEqual(maildir(inbox), {"sync 1": "F", "sync 3": "S", "uploaded 1": ""})
        self.assertEqual(set(maildir(archive)), {"archived 2", "uploaded 2"})
        # Nothing left to do: a third run changes nothing on either side.
        check_imap_client(self, run(["mbsync", "-c", conf, "-a"]), "mbsync, third run")
        self.assertEqual(set(mailbox(USER)), {"sync 1", "sync 3", "uploaded 1"})
        self.assertEqual(set(maildir(inbox)), {"sync 1", "sync 3", "uploaded 1"})


class Offlineimap(unittest.TestCase):
    """Runs after Mbsync (alphabetical order) on the same account, whatever state it left."""

    def setUp(self):
        need("offlineimap")
        deliver(USER, "for offlineimap")
        self.dir = tempfile.mkdtemp(prefix="offlineimap-")
        self.local = os.path.join(self.dir, "mail")
        self.conf = os.path.join(self.dir, "offlineimaprc")
        write(self.conf, f"""[general]
accounts = mailsim
metadata = {self.dir}/meta

[Account mailsim]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {self.local}

[Repository remote]
type = IMAP
remotehost = {HOST}
remoteport = {h.SERVER.ports["imaps"]}
remoteuser = {USER}
remotepass = {PASSWORDS[USER]}
ssl = yes
sslcacertfile = {h.SERVER.cert}
""")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def sync(self):
        check_imap_client(self, run(["offlineimap", "-c", self.conf, "-o", "-u", "quiet"]), "offlineimap")

    def test_mirrors_the_account_and_uploads_a_local_change(self):
        self.sync()
        for folder in h.folders(USER):
            self.assertEqual(set(maildir(os.path.join(self.local, folder))), set(mailbox(USER, folder)), folder)
        self.assertIn("for offlineimap", maildir(os.path.join(self.local, "INBOX")))
        f = maildir_file(os.path.join(self.local, "INBOX"), "for offlineimap")
        os.rename(f, f.replace("/new/", "/cur/") + ("F" if ":2," in f else ":2,F"))
        put(os.path.join(self.local, "INBOX"), "from offlineimap")
        self.sync()
        inbox = mailbox(USER)
        self.assertEqual(inbox["for offlineimap"], {"\\Flagged"})
        self.assertIn("from offlineimap", inbox)


class Fetchmail(unittest.TestCase):
    USER = "pop@bob.example"

    def setUp(self):
        need("fetchmail")
        h.empty(self.USER)
        for i in (1, 2):
            deliver(self.USER, f"fetch {i}")
        self.dir = tempfile.mkdtemp(prefix="fetchmail-")
        os.chmod(self.dir, 0o755)
        # The certificate saved beside the configuration, as a user would keep it.
        self.cert = shutil.copy(h.SERVER.cert, os.path.join(self.dir, "mailsim.pem"))
        self.mbox = os.path.join(self.dir, "mbox")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def fetch(self, options):
        rc = os.path.join(self.dir, "fetchmailrc")
        # Port 110: fetchmail starts TLS by itself when the server offers STLS; sslcertck
        # makes it check the certificate against the generated one.
        write(rc, f"""set no syslog
poll {HOST} protocol POP3 port {h.SERVER.ports["pop3"]}
  user "{self.USER}" password "{PASSWORDS[self.USER]}"
  sslcertck sslcertfile "{self.cert}"
  {options}
  mda "/bin/sh -c 'cat >> {self.mbox}'"
""")
        args = ["fetchmail", "-f", rc, "-i", os.path.join(self.dir, "fetchids")]
        return run(as_nobody(args, self.dir), env={**os.environ, "HOME": self.dir})

    def delivered(self):
        if not os.path.exists(self.mbox):
            return []
        with open(self.mbox, "rb") as f:
            return [line.split(b": ", 1)[1].strip().decode() for line in f if line.startswith(b"Subject: ")]

    def test_keep_then_delete_over_stls(self):
        r = self.fetch("keep")
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)
        self.assertEqual(sorted(self.delivered()), ["fetch 1", "fetch 2"])
        self.assertEqual(pop_subjects(self.USER), ["fetch 1", "fetch 2"], "kept on the server")
        # Nothing new: UIDL (LAST is refused as obsolete) tells fetchmail what it has (exit 1 = no mail).
        r = self.fetch("keep")
        self.assertEqual((r.returncode, r.stderr), (1, ""), r.stdout)
        self.assertEqual(len(self.delivered()), 2)
        deliver(self.USER, "fetch 3")
        r = self.fetch("nokeep")
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)
        self.assertEqual(sorted(self.delivered()), ["fetch 1", "fetch 2", "fetch 3"])
        self.assertIn("flushed", r.stdout)
        r = self.fetch("nokeep fetchall")
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)
        self.assertEqual(pop_subjects(self.USER), [], "deleted from the server")
        self.assertEqual(sorted(set(self.delivered())), ["fetch 1", "fetch 2", "fetch 3"])
        log = h.SERVER.output()
        self.assertIn("C: STLS", log)
        self.assertIn("-ERR LAST is obsolete", log)


class Getmail(unittest.TestCase):
    USER = "get@bob.example"

    def setUp(self):
        need("getmail")
        h.empty(self.USER)
        for i in (1, 2):
            deliver(self.USER, f"getmail {i}")
        self.dir = tempfile.mkdtemp(prefix="getmail-")
        os.chmod(self.dir, 0o755)
        self.cert = shutil.copy(h.SERVER.cert, os.path.join(self.dir, "mailsim.pem"))
        self.mbox = os.path.join(self.dir, "mbox")
        write(self.mbox, "")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def get(self, delete):
        rc = os.path.join(self.dir, "getmailrc")
        write(rc, f"""[retriever]
type = SimplePOP3SSLRetriever
server = {HOST}
port = {h.SERVER.ports["pop3s"]}
username = {self.USER}
password = {PASSWORDS[self.USER]}
ca_certs = {self.cert}

[destination]
type = Mboxrd
path = {self.mbox}

[options]
delete = {str(delete).lower()}
read_all = {str(delete).lower()}
""")
        # getmail refuses to deliver to an mbox as root: run it as a user would.
        args = ["getmail", "--quiet", "--rcfile", rc, "--getmaildir", self.dir]
        r = run(as_nobody(args, self.dir), env={**os.environ, "HOME": self.dir})
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)

    def delivered(self):
        with open(self.mbox, "rb") as f:
            return sorted(line.split(b": ", 1)[1].strip().decode() for line in f if line.startswith(b"Subject: "))

    def test_keep_then_delete_over_pop3s(self):
        self.get(delete=False)
        self.assertEqual(self.delivered(), ["getmail 1", "getmail 2"])
        self.assertEqual(pop_subjects(self.USER), ["getmail 1", "getmail 2"])
        deliver(self.USER, "getmail 3")
        self.get(delete=False)
        self.assertEqual(self.delivered(), ["getmail 1", "getmail 2", "getmail 3"], "only the new one again")
        self.get(delete=True)
        self.assertEqual(pop_subjects(self.USER), [])
        self.assertEqual(sorted(set(self.delivered())), ["getmail 1", "getmail 2", "getmail 3"])


if __name__ == "__main__":
    unittest.main()
