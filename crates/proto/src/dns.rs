//! DNS messages in RFC 1035 wire format (§4.1), enough to ask where a domain's mail goes:
//! MX records (RFC 1035 §3.3.9, used per RFC 5321 §5.1) and A records. Names are written
//! without compression; compressed names are read.

use crate::explain::{ex, shortened, Explanation};
use std::fmt;

pub const TYPE_A: u16 = 1;
pub const TYPE_MX: u16 = 15;
const CLASS_IN: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    A([u8; 4]),
    Mx { preference: u16, exchange: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub ttl: u32,
    pub data: RData,
}

/// A query or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub authoritative: bool,
    pub recursion_desired: bool,
    /// 0 no error, 3 NXDOMAIN (RFC 1035 §4.1.1).
    pub rcode: u8,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub additional: Vec<Record>,
}

pub fn type_name(t: u16) -> String {
    match t {
        TYPE_A => "A".into(),
        TYPE_MX => "MX".into(),
        other => format!("TYPE{other}"),
    }
}

impl DnsMessage {
    pub fn query(id: u16, name: &str, qtype: u16) -> Self {
        DnsMessage {
            id,
            response: false,
            authoritative: false,
            recursion_desired: true,
            rcode: 0,
            questions: vec![Question { name: name.into(), qtype }],
            answers: vec![],
            additional: vec![],
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend(self.id.to_be_bytes());
        let flags: u16 = (u16::from(self.response) << 15)
            | (u16::from(self.authoritative) << 10)
            | (u16::from(self.recursion_desired) << 8)
            | u16::from(self.rcode & 0xf);
        out.extend(flags.to_be_bytes());
        for n in [self.questions.len(), self.answers.len(), 0, self.additional.len()] {
            out.extend((n as u16).to_be_bytes());
        }
        for q in &self.questions {
            put_name(&mut out, &q.name);
            out.extend(q.qtype.to_be_bytes());
            out.extend(CLASS_IN.to_be_bytes());
        }
        for r in self.answers.iter().chain(&self.additional) {
            put_name(&mut out, &r.name);
            let (t, rdata) = match &r.data {
                RData::A(ip) => (TYPE_A, ip.to_vec()),
                RData::Mx { preference, exchange } => {
                    let mut d = preference.to_be_bytes().to_vec();
                    put_name(&mut d, exchange);
                    (TYPE_MX, d)
                }
            };
            out.extend(t.to_be_bytes());
            out.extend(CLASS_IN.to_be_bytes());
            out.extend(r.ttl.to_be_bytes());
            out.extend((rdata.len() as u16).to_be_bytes());
            out.extend(rdata);
        }
        out
    }

    pub fn decode(buf: &[u8]) -> Result<DnsMessage, String> {
        let mut r = Reader { buf, pos: 0 };
        let id = r.u16()?;
        let flags = r.u16()?;
        let (qd, an, ns, ar) = (r.u16()?, r.u16()?, r.u16()?, r.u16()?);
        let mut m = DnsMessage {
            id,
            response: flags & 0x8000 != 0,
            authoritative: flags & 0x0400 != 0,
            recursion_desired: flags & 0x0100 != 0,
            rcode: (flags & 0xf) as u8,
            questions: vec![],
            answers: vec![],
            additional: vec![],
        };
        for _ in 0..qd {
            let name = r.name()?;
            let qtype = r.u16()?;
            r.u16()?;
            m.questions.push(Question { name, qtype });
        }
        let (an, ns, ar) = (usize::from(an), usize::from(ns), usize::from(ar));
        for i in 0..an.saturating_add(ns).saturating_add(ar) {
            let name = r.name()?;
            let (t, _class, ttl, len) = (r.u16()?, r.u16()?, r.u32()?, r.u16()? as usize);
            let end = r.pos.saturating_add(len);
            let data = match t {
                TYPE_A if len == 4 => RData::A([r.u8()?, r.u8()?, r.u8()?, r.u8()?]),
                TYPE_MX => RData::Mx { preference: r.u16()?, exchange: r.name()? },
                _ => {
                    r.pos = end;
                    continue;
                }
            };
            if r.pos != end {
                return Err("record data length does not match its content".into());
            }
            let rec = Record { name, ttl, data };
            if i < an {
                m.answers.push(rec)
            } else if i >= an.saturating_add(ns) {
                m.additional.push(rec)
            }
        }
        Ok(m)
    }
}

fn put_name(out: &mut Vec<u8>, name: &str) {
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend(label.as_bytes());
    }
    out.push(0);
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> Result<u8, String> {
        let b = *self.buf.get(self.pos).ok_or("message ends early")?;
        self.pos = self.pos.saturating_add(1);
        Ok(b)
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from(self.u16()?) << 16 | u32::from(self.u16()?))
    }
    fn name(&mut self) -> Result<String, String> {
        let mut labels = Vec::new();
        let mut pos = self.pos;
        let mut jumped = false;
        for _ in 0..128 {
            let len = *self.buf.get(pos).ok_or("name runs past the end")? as usize;
            if len & 0xc0 == 0xc0 {
                let lo = *self.buf.get(pos.saturating_add(1)).ok_or("name runs past the end")? as usize;
                if !jumped {
                    self.pos = pos.saturating_add(2);
                }
                jumped = true;
                pos = (len & 0x3f) << 8 | lo;
                continue;
            }
            if len & 0xc0 != 0 {
                // 01 and 10 are reserved label types (RFC 1035 §4.1.4, RFC 6891 §5).
                return Err("unknown label type".into());
            }
            if len == 0 {
                if !jumped {
                    self.pos = pos.saturating_add(1);
                }
                return Ok(labels.join("."));
            }
            let start = pos.saturating_add(1);
            let label = self.buf.get(start..start.saturating_add(len)).ok_or("label runs past the end")?;
            // Mail domains are host names (RFC 5321 §2.3.5): a label of other octets (a dot
            // inside it, bytes that are not text) could not be written back the same.
            if !label.iter().all(|&b| b.is_ascii_graphic() && b != b'.') {
                return Err("a label that is not a host name".into());
            }
            labels.push(String::from_utf8_lossy(label).into_owned());
            pos = start.saturating_add(len);
        }
        Err("name has too many labels or a pointer loop".into())
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.data {
            RData::A(ip) => write!(f, "{} A {}.{}.{}.{}", self.name, ip[0], ip[1], ip[2], ip[3]),
            RData::Mx { preference, exchange } if exchange.is_empty() || exchange == "." => {
                write!(f, "{} MX {preference} . (null MX: no mail)", self.name)
            }
            RData::Mx { preference, exchange } => write!(f, "{} MX {preference} {exchange}", self.name),
        }
    }
}

/// A one-line summary, e.g. `query MX bob.example?` or `bob.example MX 10 mail.bob.example`.
impl fmt::Display for DnsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.response {
            let q = self.questions.first();
            return write!(
                f,
                "query {} {}?",
                q.map(|q| type_name(q.qtype)).unwrap_or_default(),
                q.map(|q| q.name.as_str()).unwrap_or("")
            );
        }
        if self.rcode == 3 {
            return f.write_str("NXDOMAIN (no such domain)");
        }
        if self.answers.is_empty() {
            return f.write_str("no records of that type");
        }
        let parts: Vec<String> = self.answers.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join("; "))
    }
}

/// What a DNS message means, for the learner.
pub fn explain(m: &DnsMessage) -> Explanation {
    let label = shortened(m.to_string(), 72);
    if !m.response {
        let q = m.questions.first();
        let (name, t) = (q.map(|q| q.name.clone()).unwrap_or_default(), q.map(|q| q.qtype).unwrap_or(0));
        let meaning = if t == TYPE_MX {
            format!("Which hosts accept mail for {name}? The sending server asks DNS for the domain's MX (mail exchanger) records, over UDP port 53.")
        } else {
            format!("What is the IP address of {name}? A DNS query for its A record, over UDP port 53.")
        };
        return ex(label, meaning, "RFC 5321 §5.1; RFC 1035 §4.1");
    }
    // RFC 7505 §3: a single MX 0 "." says the domain accepts no mail at all.
    let null = m
        .answers
        .iter()
        .any(|r| matches!(&r.data, RData::Mx { exchange, .. } if exchange.is_empty() || exchange == "."));
    let mut meaning = if m.rcode == 3 {
        "The domain does not exist (NXDOMAIN): the mail cannot be delivered.".to_string()
    } else if null {
        format!(
            "{} has a null MX (preference 0, host \".\"): the domain accepts no mail, so a sender fails the message at once and tries no host.",
            m.questions.first().map(|q| q.name.as_str()).unwrap_or("")
        )
    } else {
        let mx: Vec<String> = m
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Mx { preference, exchange } => Some(format!("{exchange} (preference {preference})")),
                _ => None,
            })
            .collect();
        if mx.is_empty() {
            format!("The answer: {m}.")
        } else {
            format!(
                "Mail for {} goes to {}; lower preference values are tried first.",
                m.questions.first().map(|q| q.name.as_str()).unwrap_or(""),
                mx.join(", ")
            )
        }
    };
    if !m.additional.is_empty() {
        let extra: Vec<String> = m.additional.iter().map(|r| r.to_string()).collect();
        meaning.push_str(&format!(" The additional section already gives the address: {}.", extra.join("; ")));
    }
    ex(label, meaning, if null { "RFC 7505 §3; RFC 5321 §5.1" } else { "RFC 5321 §5.1; RFC 1035 §3.3.9, §4.1" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mx_response_round_trips_in_wire_format() {
        let q = DnsMessage::query(0x1234, "bob.example", TYPE_MX);
        let wire = q.encode();
        assert_eq!(&wire[..12], &[0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&wire[12..], b"\x03bob\x07example\x00\x00\x0f\x00\x01");
        assert_eq!(DnsMessage::decode(&wire).unwrap(), q);
        let mut resp = q.clone();
        resp.response = true;
        resp.authoritative = true;
        resp.answers.push(Record {
            name: "bob.example".into(),
            ttl: 3600,
            data: RData::Mx { preference: 10, exchange: "mail.bob.example".into() },
        });
        resp.additional.push(Record { name: "mail.bob.example".into(), ttl: 3600, data: RData::A([198, 51, 100, 25]) });
        let wire = resp.encode();
        assert_eq!(DnsMessage::decode(&wire).unwrap(), resp);
        assert_eq!(resp.to_string(), "bob.example MX 10 mail.bob.example");
        assert_eq!(q.to_string(), "query MX bob.example?");
    }

    /// qa16: a null MX (RFC 7505) was explained as "Mail for nomail.example goes to  (preference
    /// 0)", an empty host.
    #[test]
    fn a_null_mx_is_explained_as_no_mail() {
        let mut resp = DnsMessage::query(7, "nomail.example", TYPE_MX);
        resp.response = true;
        resp.answers.push(Record {
            name: "nomail.example".into(),
            ttl: 3600,
            data: RData::Mx { preference: 0, exchange: String::new() },
        });
        let e = explain(&resp);
        assert_eq!(
            e.meaning,
            "nomail.example has a null MX (preference 0, host \".\"): the domain accepts no mail, so a sender fails the message at once and tries no host."
        );
        assert_eq!(e.rfc, "RFC 7505 §3; RFC 5321 §5.1");
    }

    #[test]
    fn reads_compressed_names_and_rejects_truncation() {
        // header, question bob.example MX, answer with a pointer to offset 12.
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend(b"\x03bob\x07example\x00\x00\x0f\x00\x01");
        m.extend([0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 5, 0xc0, 12]);
        let d = DnsMessage::decode(&m).unwrap();
        assert_eq!(d.answers[0].data, RData::Mx { preference: 5, exchange: "bob.example".into() });
        for n in 0..m.len() {
            assert!(DnsMessage::decode(&m[..n]).is_err(), "prefix {n}");
        }
    }
}
