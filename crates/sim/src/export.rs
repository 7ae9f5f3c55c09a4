//! Exports of a log, each a pure function of it: an SVG picture, Mermaid and PlantUML sequence diagrams, and
//! a pcapng capture that Wireshark and tshark dissect.
//!
//! The capture is synthetic but consistent: every TCP connection gets its three-way
//! handshake, sequence and acknowledgment numbers that add up, segments of at most one MSS,
//! and FIN/ACK at the end; DNS travels in UDP. Addresses are the actors' IPs, ports the
//! scenario's real ones, timestamps the virtual clock (milliseconds, `if_tsresol` = 3).
//! Messages sent inside TLS are written as the TLS records an observer would see.

use crate::diagram::{tls_record, Diagram};
use crate::log::{Event, EventLog};
use std::collections::BTreeMap;

fn ident(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// A Mermaid `sequenceDiagram`.
pub fn mermaid(log: &EventLog) -> String {
    let d = Diagram::from_log(log);
    let mut out = String::from("sequenceDiagram\n");
    for a in &d.actors {
        out.push_str(&format!(
            "    participant {} as {}<br/>{}\n",
            ident(&a.id),
            a.name.replace('#', "#35;").replace(';', "#59;"),
            a.host
        ));
    }
    for a in &d.arrows {
        let text = a.label.replace('#', "#35;").replace(';', "#59;").replace('<', "#lt;").replace('>', "#gt;");
        let arrow = if a.protocol == "DNS" { "-->>" } else { "->>" };
        let tls = if a.tls { " [TLS]" } else { "" };
        out.push_str(&format!(
            "    {}{arrow}{}: {}{tls} ({} :{})\n",
            ident(&d.actors[a.from].id),
            ident(&d.actors[a.to].id),
            text,
            a.protocol,
            a.port
        ));
    }
    out
}

/// A PlantUML sequence diagram.
pub fn plantuml(log: &EventLog) -> String {
    let d = Diagram::from_log(log);
    let mut out = format!("@startuml\ntitle {}\n", log.scenario);
    for a in &d.actors {
        out.push_str(&format!("participant \"{}\\n{}\" as {}\n", a.name, a.host, ident(&a.id)));
    }
    for a in &d.arrows {
        let arrow = if a.protocol == "DNS" { "-->" } else { "->" };
        let tls = if a.tls { " [TLS]" } else { "" };
        // `~` escapes creole markup, so `<CR><LF>` and `<alice@...>` print as typed.
        let text = a.label.replace('~', "~~").replace('<', "~<");
        out.push_str(&format!(
            "{} {arrow} {} : {}{tls} ({} :{})\n",
            ident(&d.actors[a.from].id),
            ident(&d.actors[a.to].id),
            text,
            a.protocol,
            a.port
        ));
    }
    out.push_str("@enduml\n");
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A standalone SVG of the whole sequence diagram (inline styles, no fonts from elsewhere).
pub fn svg(log: &EventLog) -> String {
    let d = Diagram::from_log(log);
    // Whole pixels, in integers: no float printing in the page (docs/benchmarks.md).
    let (col, left, head, row) = (176i64, 70i64, 58i64, 36i64);
    let x = |i: usize| left + col * i as i64 + col / 2;
    let width = left + col * d.actors.len() as i64 + 10;
    let height = head + row * d.arrows.len() as i64 + 24;
    let color = |p: &str| match p {
        "SMTP" => "#1d4ed8",
        "POP3" => "#15803d",
        "IMAP" => "#0f766e",
        "DNS" => "#c2410c",
        _ => "#5b6470",
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    );
    out.push_str("<defs>");
    for p in ["SMTP", "POP3", "IMAP", "DNS", "TCP"] {
        out.push_str(&format!("<marker id=\"h{p}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"11\" markerHeight=\"11\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{}\"/></marker>", color(p)));
    }
    out.push_str("</defs>\n");
    for (i, a) in d.actors.iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"6\" width=\"160\" height=\"46\" rx=\"8\" fill=\"#f7f8fa\" stroke=\"#d5dae1\"/><text x=\"{}\" y=\"25\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{}</text><text x=\"{}\" y=\"42\" text-anchor=\"middle\" font-size=\"10\" fill=\"#5b6470\">{}</text>\n",
            x(i) - 80, x(i), xml(&a.name), x(i), xml(&a.host)
        ));
        out.push_str(&format!(
            "<line x1=\"{0}\" y1=\"{head}\" x2=\"{0}\" y2=\"{height}\" stroke=\"#d5dae1\" stroke-dasharray=\"4 4\"/>\n",
            x(i)
        ));
    }
    for a in &d.arrows {
        let y = head + row * (a.step as i64 - 1) + 22;
        let (x1, x2) = (x(a.from), x(a.to));
        let c = color(&a.protocol);
        let room = (((x2 - x1).abs() - 12) as f64 / 6.7).max(8.0) as usize;
        let label: String = if a.label.chars().count() > room {
            a.label.chars().take(room - 1).collect::<String>() + "…"
        } else {
            a.label.clone()
        };
        out.push_str(&format!(
            "<text x=\"6\" y=\"{}\" font-size=\"10\" fill=\"#5b6470\" font-family=\"monospace\">{}</text><line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{c}\" stroke-width=\"1.6\" marker-end=\"url(#h{})\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" font-family=\"monospace\">{}</text>\n",
            y + 3, crate::diagram::format_time(a.t), a.protocol, (x1 + x2) / 2, y - 6, xml(&label)
        ));
    }
    out.push_str("</svg>\n");
    out
}

fn checksum(chunks: &[&[u8]]) -> u16 {
    // u64: a log opened by hand may carry a datagram of any size (no u32 overflow).
    let mut sum: u64 = 0;
    for c in chunks {
        for w in c.chunks(2) {
            sum += u64::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
        }
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ip_of(s: &str) -> [u8; 4] {
    let mut ip = [0u8; 4];
    for (i, p) in s.split('.').take(4).enumerate() {
        ip[i] = p.parse().unwrap_or(0);
    }
    ip
}

struct Pcap {
    out: Vec<u8>,
    ip_id: u16,
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;
const MSS: usize = 1460;

impl Pcap {
    fn new() -> Self {
        let mut p = Pcap { out: Vec::new(), ip_id: 1 };
        // Section Header Block.
        p.block(0x0A0D_0D0A, &[0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        // Interface Description Block: Ethernet, snaplen 0xffff, if_tsresol = 3 (ms).
        let mut idb = vec![1, 0, 0, 0, 0xff, 0xff, 0, 0];
        idb.extend([9, 0, 1, 0, 3, 0, 0, 0]); // option 9 (if_tsresol), length 1, value 3, padding
        idb.extend([0, 0, 0, 0]); // opt_endofopt
        p.block(1, &idb);
        p
    }

    fn block(&mut self, kind: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        self.out.extend(kind.to_le_bytes());
        self.out.extend(len.to_le_bytes());
        self.out.extend(body);
        self.out.extend(std::iter::repeat_n(0, pad));
        self.out.extend(len.to_le_bytes());
    }

    fn packet(&mut self, ms: u64, src: [u8; 4], dst: [u8; 4], proto: u8, l4: &[u8]) {
        let mut frame = Vec::with_capacity(34 + l4.len());
        frame.extend([0x02, 0, dst[0], dst[1], dst[2], dst[3]]); // locally administered MACs
        frame.extend([0x02, 0, src[0], src[1], src[2], src[3]]);
        frame.extend([0x08, 0x00]);
        let total = (20 + l4.len()) as u16;
        let mut ip = vec![0x45, 0];
        ip.extend(total.to_be_bytes());
        ip.extend(self.ip_id.to_be_bytes());
        self.ip_id = self.ip_id.wrapping_add(1);
        ip.extend([0x40, 0, 64, proto, 0, 0]);
        ip.extend(src);
        ip.extend(dst);
        let ck = checksum(&[&ip]);
        ip[10..12].copy_from_slice(&ck.to_be_bytes());
        frame.extend(ip);
        frame.extend(l4);
        let mut epb = vec![0u8; 4];
        epb.extend(((ms >> 32) as u32).to_le_bytes());
        epb.extend((ms as u32).to_le_bytes());
        epb.extend((frame.len() as u32).to_le_bytes());
        epb.extend((frame.len() as u32).to_le_bytes());
        epb.extend(frame);
        self.block(6, &epb);
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        ms: u64,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let mut h = Vec::with_capacity(20 + payload.len());
        h.extend(src.1.to_be_bytes());
        h.extend(dst.1.to_be_bytes());
        h.extend(seq.to_be_bytes());
        h.extend(if flags & ACK != 0 { ack } else { 0 }.to_be_bytes());
        h.extend([5 << 4, flags]);
        h.extend(64240u16.to_be_bytes());
        h.extend([0, 0, 0, 0]);
        h.extend(payload);
        let len = (h.len() as u16).to_be_bytes();
        let ck = checksum(&[&src.0, &dst.0, &[0, 6], &len, &h]);
        h[16..18].copy_from_slice(&ck.to_be_bytes());
        self.packet(ms, src.0, dst.0, 6, &h);
    }

    fn udp(&mut self, ms: u64, src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) {
        let mut h = Vec::with_capacity(8 + payload.len());
        h.extend(src.1.to_be_bytes());
        h.extend(dst.1.to_be_bytes());
        h.extend(((8 + payload.len()) as u16).to_be_bytes());
        h.extend([0, 0]);
        h.extend(payload);
        let len = (h.len() as u16).to_be_bytes();
        let ck = checksum(&[&src.0, &dst.0, &[0, 17], &len, &h]);
        h[6..8].copy_from_slice(&(if ck == 0 { 0xffff } else { ck }).to_be_bytes());
        self.packet(ms, src.0, dst.0, 17, &h);
    }
}

/// One TCP connection's endpoints and next sequence numbers ([client, server]).
struct Stream {
    ends: [([u8; 4], u16); 2],
    client: String,
    next: [u32; 2],
}

/// The log as a pcapng capture.
pub fn pcapng(log: &EventLog) -> Vec<u8> {
    let ips: BTreeMap<String, [u8; 4]> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::ActorJoined { actor } = e {
                Some((actor.id.clone(), ip_of(&actor.ip)))
            } else {
                None
            }
        })
        .collect();
    let ip = |id: &str| ips.get(id).copied().unwrap_or([127, 0, 0, 1]);
    // Saturating: a log opened by hand may have any epoch and times (the fuzz target
    // `log_read` found an epoch of 1.3e17 s overflowing).
    let base = (log.epoch.max(0) as u64).saturating_mul(1000);
    let at = |t: &u64| base.saturating_add(*t);
    let mut p = Pcap::new();
    let mut streams: BTreeMap<u32, Stream> = BTreeMap::new();
    let diagram = Diagram::from_log(log);
    for (index, e) in log.events.iter().enumerate() {
        match e {
            Event::ConnectionOpened { t, conn, client, client_port, server, port, .. } => {
                let isn = [conn.wrapping_mul(0x9E37_79B9) ^ 0x1000_0000, conn.wrapping_mul(0x85EB_CA6B) ^ 0x2000_0000];
                let s = Stream {
                    ends: [(ip(client), *client_port), (ip(server), *port)],
                    client: client.clone(),
                    next: [isn[0].wrapping_add(1), isn[1].wrapping_add(1)],
                };
                let ms = at(t);
                p.tcp(ms.saturating_sub(2), s.ends[0], s.ends[1], isn[0], 0, SYN, &[]);
                p.tcp(ms.saturating_sub(1), s.ends[1], s.ends[0], isn[1], s.next[0], SYN | ACK, &[]);
                p.tcp(ms, s.ends[0], s.ends[1], s.next[0], s.next[1], ACK, &[]);
                streams.insert(*conn, s);
            }
            Event::MessageSent { t, conn: Some(conn), from, to, protocol, raw, tls, .. } => {
                if protocol == "TCP" {
                    // A lone SYN (the host was down): its bytes are already a TCP header.
                    let mut ips = [0u8; 8];
                    ips[..4].copy_from_slice(&ip(from));
                    ips[4..].copy_from_slice(&ip(to));
                    p.packet(at(t), ip(from), ip(to), 6, raw);
                    continue;
                }
                let Some(s) = streams.get_mut(conn) else { continue };
                let dir = usize::from(*from != s.client);
                let payload = if *tls {
                    tls_record(
                        raw,
                        *conn,
                        diagram.arrows.iter().find(|a| a.event == index).map(|a| a.step).unwrap_or(0),
                    )
                } else {
                    raw.clone()
                };
                let (src, dst) = (s.ends[dir], s.ends[1 - dir]);
                for chunk in payload.chunks(MSS) {
                    let (seq, ack) = (s.next[dir], s.next[1 - dir]);
                    s.next[dir] = s.next[dir].wrapping_add(chunk.len() as u32);
                    p.tcp(at(t), src, dst, seq, ack, PSH | ACK, chunk);
                }
                let _ = to;
            }
            Event::MessageSent { t, conn: None, from, to, raw, .. } => {
                // DNS: the query goes from an ephemeral port to 53, the answer back.
                let id = u16::from_be_bytes([raw[0], raw.get(1).copied().unwrap_or(0)]);
                let eph = 32768 + id % 28000;
                let is_response = raw.get(2).is_some_and(|b| b & 0x80 != 0);
                let (sp, dp) = if is_response { (53, eph) } else { (eph, 53) };
                p.udp(at(t), (ip(from), sp), (ip(to), dp), raw);
            }
            Event::ConnectionClosed { t, conn, by } => {
                let Some(mut s) = streams.remove(conn) else { continue };
                let first = usize::from(*by != s.client);
                let ms = at(t);
                let (a, b) = (first, 1 - first);
                p.tcp(ms, s.ends[a], s.ends[b], s.next[a], s.next[b], FIN | ACK, &[]);
                s.next[a] = s.next[a].wrapping_add(1);
                p.tcp(ms.saturating_add(1), s.ends[b], s.ends[a], s.next[b], s.next[a], FIN | ACK, &[]);
                s.next[b] = s.next[b].wrapping_add(1);
                p.tcp(ms.saturating_add(2), s.ends[a], s.ends[b], s.next[a], s.next[b], ACK, &[]);
            }
            _ => {}
        }
    }
    p.out
}

#[cfg(all(test, feature = "engine"))]
mod tests {
    use super::*;

    /// A log opened by hand with an epoch and times at the ends of their ranges (the fuzz
    /// target `log_read` found `epoch × 1000` overflowing): the capture is still written.
    #[test]
    fn a_capture_of_times_at_the_ends_of_their_ranges() {
        let mut log = crate::scenario::run("alice-to-bob").unwrap();
        log.epoch = i64::MAX;
        for e in &mut log.events {
            if let Event::MessageSent { t, .. }
            | Event::ConnectionOpened { t, .. }
            | Event::ConnectionClosed { t, .. } = e
            {
                *t = u64::MAX - 1;
            }
        }
        let cap = pcapng(&log);
        assert!(cap.len() > 1_000 && cap.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]));
    }

    #[test]
    fn exports_have_their_shapes() {
        let log = crate::scenario::run("alice-to-bob").unwrap();
        let m = mermaid(&log);
        assert!(m.starts_with("sequenceDiagram\n    participant alice_ua as Alice's UA<br/>laptop.alice.example\n"));
        assert!(m.contains("    alice_ua->>alice_server: EHLO laptop.alice.example (SMTP :587)\n"));
        assert!(m.contains("alice_server-->>dns: query MX bob.example? (DNS :53)"));
        let strip = |l: &str| {
            let mut out = String::new();
            let mut rest = l;
            while let Some(i) = rest.find('#') {
                out.push_str(&rest[..i]);
                rest = rest[i..].find(';').map(|j| &rest[i + j + 1..]).unwrap_or("");
            }
            out + rest
        };
        assert!(!m.lines().skip(1).any(|l| strip(l).contains(';')), "semicolons only inside entity codes");
        let u = plantuml(&log);
        assert!(u.starts_with("@startuml\n") && u.ends_with("@enduml\n"));
        assert!(u.contains("alice_ua -> alice_server : MAIL FROM:~<alice@alice.example> SIZE="), "{u}");
        let picture = svg(&log);
        assert!(picture.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && picture.ends_with("</svg>\n"));
        assert!(picture.contains("MAIL FROM:&lt;alice@alice.example&gt;"), "labels are escaped as XML");
        let cap = pcapng(&log);
        assert_eq!(&cap[..4], &[0x0A, 0x0D, 0x0D, 0x0A]);
        assert_eq!(&cap[8..12], &[0x4D, 0x3C, 0x2B, 0x1A]);
        assert_eq!(cap.len() % 4, 0);
        assert_eq!(cap, pcapng(&log), "deterministic");
    }
}
