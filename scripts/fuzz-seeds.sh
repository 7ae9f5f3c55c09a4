#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/TARGET/) from the golden event logs
# (crates/sim/tests/golden/*.jsonl): every connection's bytes per direction and protocol,
# every command and reply line, every DNS datagram and every stored message. The engine
# targets read [mode, cut seed, wire...] (fuzz/src/lib.rs, split_input), so their seeds get
# two leading bytes. Idempotent: files are named by their content's hash.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import glob, hashlib, json, os

def put(target, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def lines(b):
    out, start = [], 0
    while True:
        i = b.find(b"\r\n", start)
        if i < 0:
            return out
        out.append(b[start:i + 2])
        start = i + 2

counts = {}
for path in sorted(glob.glob("crates/sim/tests/golden/*.jsonl")):
    conns, streams = {}, {}
    for row in open(path, encoding="utf-8"):
        e = json.loads(row)
        ev = e.get("event")
        if ev == "connection_opened":
            conns[e["conn"]] = (e["server"], e["protocol"], e["port"])
        elif ev == "message_sent":
            raw = e["raw"].encode("latin-1")
            if e["protocol"] == "DNS":
                put("dns", raw)
                continue
            c = e.get("conn")
            if c not in conns:
                continue
            server, proto, port = conns[c]
            to_server = e["to"] == server
            streams.setdefault((c, to_server), [proto, port, b""])[2] += raw
        elif ev == "message_stored":
            put("mime", e["raw"].encode("latin-1"))
    for (c, to_server), (proto, port, wire) in streams.items():
        mode = b"\x01" if port == 587 else b"\x00"
        if proto == "SMTP":
            if to_server:
                put("smtp_server", mode + b"\x00" + wire)
                put("smtp_server", mode + b"\x05" + wire)
                put("smtp_data", wire)
                for l in lines(wire):
                    put("smtp_command", l)
            else:
                put("smtp_client", b"\x07\x00" + wire)
                put("typed_terminals", b"\x01\x03" + wire)
                put("smtp_reply", wire)
        elif proto == "POP3":
            if to_server:
                put("pop3_server", b"\x00\x00" + wire)
                for l in lines(wire):
                    put("pop3_command", l)
            else:
                put("pop3_client", b"\x01\x00" + wire)
                put("typed_terminals", b"\x00\x03" + wire)
                put("pop3_response", b"\x01" + wire)
        elif proto == "IMAP":
            if to_server:
                put("imap_server", b"\x00\x00" + wire)
                put("imap_command", wire)
                for l in lines(wire):
                    put("imap_parts", l.rstrip(b"\r\n").split(b" ", 2)[-1])
            else:
                put("imap_client", b"\x00\x00" + wire)
                put("imap_client", b"\x01\x09" + wire)
        elif proto == "HTTP":
            put("http", wire)
            put("http_engines", (b"\x01" if to_server else b"\x00") + b"\x00" + wire)
# Logs as the page opens them (log_read): the golden logs' first 40 lines (kept small, so
# that each run is quick) and a `mailsim serve --log` sample with owner records.
for path in sorted(glob.glob("crates/sim/tests/golden/*.jsonl")) + ["crates/sim/src/log/read/serve-sample.jsonl"]:
    rows = open(path, "rb").read().split(b"\n")
    put("log_read", b"\n".join(rows[:40]) + b"\n")
# Scenario files (scenario_file): the built-in ones and the malformed test files.
for path in sorted(glob.glob("scenarios/*.toml")) + sorted(glob.glob("crates/sim/tests/malformed/*.toml")):
    put("scenario_file", open(path, "rb").read())
# SCRAM messages as the scram target reads them (client-first \n client-final).
put("scram", b"n,,n=bob,r=rOprNGfwEbeRWgbNEkqO\nc=biws,r=rOprNGfwEbeRWgbNEkqOsrvnonce,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
put("scram", b"r=clientnoncesrv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096\nv=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
# Chunked bodies (RFC 9112 §7.1), which no golden log has: a request with extensions and a
# trailer, a pipelined request after it, and a chunked response for the client.
chunked_req = (b"POST /send HTTP/1.1\r\nHost: webmail.alice.example\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;a=b\r\nto=bo\r\n1\r\nb\r\n0\r\nX-Sum: 1\r\n\r\nGET /inbox HTTP/1.1\r\nHost: x\r\n\r\n")
chunked_resp = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n"
                b"4\r\n<p>h\r\n5\r\ni</p>\r\n0\r\n\r\n"
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
put("http", chunked_req)
put("http", chunked_resp)
for mode, cut in [(1, 0), (1, 1), (0x37, 7), (0x75, 3)]:
    put("http_engines", bytes([mode, cut]) + chunked_req)
put("http_engines", b"\x00\x00" + chunked_resp)
put("http_engines", b"\x00\x05" + chunked_resp)
for target in sorted(os.listdir("fuzz/corpus")):
    print(target, len(os.listdir(os.path.join("fuzz/corpus", target))))
PY
