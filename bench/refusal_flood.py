"""A flood of refused connections against `mailsim serve --max-connections 2` (branch live19):
how fast the server refuses them, how a held session's NOOP round trip fares meanwhile, and
what the flood leaves in --log.

    MAILSIM=target/debug/mailsim python3 bench/refusal_flood.py [N=2000] [CLIENTS=4]

N connections in all, from CLIENTS threads that each connect, read the refusal and close, as
fast as they can. Prints one JSON line."""
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "interop"))
from serve_helper import Conn, Serve  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 4

log = os.path.join(tempfile.mkdtemp(), "serve.jsonl")
s = Serve(extra=["--max-connections", "2", "--log", log])
try:
    held = []
    while len(held) < 2:
        c = Conn(s.ports["smtp"])
        if c.line().startswith(b"220 "):
            held.append(c)
        else:
            c.close()
            time.sleep(0.05)
    stop = threading.Event()
    rtts = []

    def noops():
        c = held[0]
        while not stop.is_set():
            t = time.perf_counter()
            c.send(b"NOOP\r\n")
            c.line()
            rtts.append((time.perf_counter() - t) * 1000)
            time.sleep(0.01)

    refused = [0] * CLIENTS

    def flood(k):
        for _ in range(N // CLIENTS):
            x = socket.create_connection(("127.0.0.1", s.ports["imap"]), timeout=10)
            if x.recv(200).startswith(b"* BYE"):
                refused[k] += 1
            x.close()

    pinger = threading.Thread(target=noops)
    pinger.start()
    time.sleep(0.3)
    quiet = len(rtts)
    t0 = time.perf_counter()
    workers = [threading.Thread(target=flood, args=(k,)) for k in range(CLIENTS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    took = time.perf_counter() - t0
    during = rtts[quiet:]
    stop.set()
    pinger.join()
    time.sleep(1.5)
    for c in held:
        c.close()
finally:
    code, out = s.stop()
with open(log, encoding="latin-1") as f:
    lines = f.read().splitlines()
during.sort()
print(json.dumps({
    "refused": sum(refused), "seconds": round(took, 3), "refusals_per_s": round(sum(refused) / took),
    "noop_ms_p50": round(during[len(during) // 2], 2) if during else None,
    "noop_ms_max": round(during[-1], 2) if during else None, "noops": len(during),
    "log_lines": len(lines), "log_bytes": sum(len(x) + 1 for x in lines),
    "load": open("/proc/loadavg").read().split()[0],
}))
