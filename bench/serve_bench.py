"""`scripts/bench.sh serve`: throughput of `mailsim serve` (issue 13): 1, 8, 64 and 200 concurrent SMTP clients
deliver 200, 1,000 and 5,000 messages through the relay port, with --log on and the mail kept on disk (--maildir,
every message fsync'd before its 250); then every message is checked over POP3 (count, UIDL, each one's Subject
with TOP) and IMAP (EXISTS, each one's Subject). Prints a table and writes bench/serve-results.json, with the
machine's load average before and after and the server's CPU time for each run's deliveries (ms a message: flat if
no cost grows with the mailbox).

The server runs without the per-connection command rate limit (--max-commands-per-second 0): the figures are the
server's and the disk's. BENCH_SERVE_RATE=N[/BURST] runs with a limit instead (500/100 is the classroom default).
Every cell is measured BENCH_SERVE_REPEAT times (3), the rounds one after another (every cell once, then again),
and the table gives each cell's median with the slowest and fastest run: a run of 200 messages lasts well under a
second, and each fsync waits for the file system's journal, which every other process's writes share; one run is a
sample of the machine's disk at that moment, not a rate. BENCH_SERVE_SIZES / BENCH_SERVE_CLIENTS (comma lists)
narrow the run; BENCH_SERVE_OUT names the JSON file; MAILSIM picks the binary."""
import imaplib
import json
import os
import poplib
import re
import shutil
import smtplib
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "interop"))
from serve_helper import HOST, Serve  # noqa: E402

ALICE, PASSWORD = "alice@alice.example", "alice-secret"
SIZES = [int(x) for x in os.environ.get("BENCH_SERVE_SIZES", "200,1000,5000").split(",")]
CLIENTS = [int(x) for x in os.environ.get("BENCH_SERVE_CLIENTS", "1,8,64,200").split(",")]
STORE = os.environ.get("BENCH_SERVE_STORE", "maildir")  # or "memory"
RATE, _, BURST = os.environ.get("BENCH_SERVE_RATE", "0").partition("/")
TICK = os.sysconf("SC_CLK_TCK")
REPEAT = int(os.environ.get("BENCH_SERVE_REPEAT", "3"))


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def load():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def body(n):
    return (f"From: bench@elsewhere.example\r\nTo: {ALICE}\r\nSubject: bench-{n}\r\n\r\n" + "x" * 900 + "\r\n").encode()


def deliver(server, total, clients):
    """`clients` connections deliver `total` messages between them; returns the seconds it took."""
    errors = []
    share = [list(range(c, total, clients)) for c in range(clients)]
    start = threading.Barrier(clients + 1)

    def run(numbers):
        try:
            with smtplib.SMTP(HOST, server.ports["smtp"], timeout=120) as s:
                start.wait()
                for n in numbers:
                    s.sendmail("bench@elsewhere.example", [ALICE], body(n))
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(repr(e))

    threads = [threading.Thread(target=run, args=(numbers,)) for numbers in share]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[:3]}")
    return elapsed


def check(server, total):
    """Every message is there: over POP3 and over IMAP, by Subject."""
    want = {f"bench-{n}" for n in range(total)}
    pop = poplib.POP3(HOST, server.ports["pop3"], timeout=60)
    pop.user(ALICE)
    pop.pass_(PASSWORD)
    count = pop.stat()[0]
    uidl = pop.uidl()[1]
    subjects = set()
    for i in range(1, count + 1):
        for line in pop.top(i, 0)[1]:
            if line.startswith(b"Subject: "):
                subjects.add(line[9:].decode())
    pop.quit()
    assert count == total and len(set(uidl)) == total and subjects == want, f"POP3: {count} of {total}"
    imap = imaplib.IMAP4(HOST, server.ports["imap"], timeout=60)
    imap.login(ALICE, PASSWORD)
    exists = int(imap.select("INBOX")[1][0])
    typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = {re.search(rb"Subject: (\S+)", d[1]).group(1).decode() for d in data if isinstance(d, tuple)}
    imap.logout()
    assert exists == total and subjects == want, f"IMAP: {exists} of {total}"


def main():
    rows = []
    load_before = load()
    print(f"load average before: {load_before}", flush=True)
    cells = [(clients, total) for clients in CLIENTS for total in SIZES]
    for round_ in range(REPEAT):
        for clients, total in cells:
            tmp = tempfile.mkdtemp(prefix="mailsim-bench-")
            log = os.path.join(tmp, "events.jsonl")
            extra = ["--log", log, "--max-connections", "512", "--max-connections-per-address", "512",
                     "--max-commands-per-second", RATE] + (["--command-burst", BURST] if BURST else [])
            server = Serve(maildir=os.path.join(tmp, "mail") if STORE == "maildir" else None, extra=extra)
            try:
                cpu0 = cpu_seconds(server.proc.pid)
                seconds = deliver(server, total, clients)
                cpu = cpu_seconds(server.proc.pid) - cpu0
                check(server, total)
            finally:
                code, out = server.stop()
            log_lines = sum(1 for _ in open(log, encoding="utf-8"))
            shutil.rmtree(tmp, ignore_errors=True)
            assert code == 0, out[-2000:]
            rate = total / seconds
            rows.append({"round": round_ + 1, "clients": clients, "messages": total, "seconds": round(seconds, 3),
                         "msgs_per_s": round(rate, 1), "log_lines": log_lines,
                         "server_cpu_ms_per_msg": round(1000 * cpu / total, 3)})
            print(f"{clients:>4} clients {total:>5} messages  {seconds:8.2f} s  {rate:8.1f} msg/s  "
                  f"server CPU {1000 * cpu / total:.2f} ms/msg  "
                  f"(all {total} checked over POP3 and IMAP; log {log_lines} lines)", flush=True)
    print(f"\nMedian of {REPEAT} (slowest–fastest), msg/s:\n")
    print("| clients | " + " | ".join(f"{n:,} msgs" for n in SIZES) + " | rate at " + f"{SIZES[-1]:,} / {SIZES[0]} |")
    print("|---:|" + "---:|" * (len(SIZES) + 1))
    for clients in CLIENTS:
        r = {n: sorted(row["msgs_per_s"] for row in rows if row["clients"] == clients and row["messages"] == n)
             for n in SIZES}
        med = {n: statistics.median(v) for n, v in r.items()}
        ratio = med[SIZES[-1]] / med[SIZES[0]]
        print(f"| {clients} | " + " | ".join(f"{med[n]:.0f} ({r[n][0]:.0f}–{r[n][-1]:.0f})" for n in SIZES)
              + f" | {ratio:.2f}× |")
    load_after = load()
    print(f"load average before: {load_before}; after: {load_after}")
    out = os.environ.get("BENCH_SERVE_OUT") or os.path.join(os.path.dirname(__file__), "serve-results.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"store": STORE, "max_commands_per_second": int(RATE), "command_burst": int(BURST or 100),
                   "repeat": REPEAT,
                   "load_before": load_before, "load_after": load_after, "runs": rows}, f, indent=1)
    print(f"written {out}")


if __name__ == "__main__":
    main()
