//! The parameters of MAIL FROM and RCPT TO that this server knows, parsed and checked:
//! SIZE (RFC 1870), BODY (RFC 6152, RFC 3030 §3), SMTPUTF8 (RFC 6531 §3.4), RET and ENVID
//! (RFC 3461 §4.3, §4.4), NOTIFY and ORCPT (RFC 3461 §4.1, §4.2); and xtext (RFC 3461 §4).
//!
//! A bad value is `501 5.5.4` (RFC 3461 §4: "syntax error in parameters"); a parameter the
//! server does not know is `555 5.5.4` (RFC 5321 §4.1.1.11).

use super::reply::Reply;

/// The body type a client announced with `BODY=` (RFC 6152, RFC 3030 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Body {
    /// No BODY parameter, or `BODY=7BIT`.
    #[default]
    SevenBit,
    /// `BODY=8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BODY=BINARYMIME` (RFC 3030 §3): may only be sent with BDAT.
    BinaryMime,
}

/// What a DSN returns of the message (RFC 3461 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// `RET=FULL`: the whole message.
    Full,
    /// `RET=HDRS`: only its header.
    Hdrs,
}

/// When a recipient wants a DSN (RFC 3461 §4.1): `NEVER`, or any of the three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notify {
    pub success: bool,
    pub failure: bool,
    pub delay: bool,
}

impl Notify {
    /// `NOTIFY=NEVER`.
    pub const NEVER: Notify = Notify { success: false, failure: false, delay: false };

    /// The parameter's value, e.g. `SUCCESS,FAILURE`.
    pub fn value(&self) -> String {
        let words: Vec<&str> = [(self.success, "SUCCESS"), (self.failure, "FAILURE"), (self.delay, "DELAY")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| *w)
            .collect();
        if words.is_empty() {
            "NEVER".into()
        } else {
            words.join(",")
        }
    }
}

/// The envelope parameters of one message (MAIL FROM).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailParams {
    pub body: Body,
    /// `SMTPUTF8` was given (RFC 6531 §3.4): addresses and header fields may be UTF-8.
    pub smtputf8: bool,
    pub ret: Option<Ret>,
    /// `ENVID=`, decoded from xtext (RFC 3461 §4.4).
    pub envid: Option<String>,
    /// `SIZE=` (RFC 1870).
    pub size: Option<usize>,
}

/// The DSN parameters of one recipient (RCPT TO).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RcptParams {
    /// `None`: not given (the MTA's default: failures only, RFC 3461 §4.1).
    pub notify: Option<Notify>,
    /// `ORCPT=addr-type;address`, the address decoded from xtext (RFC 3461 §4.2).
    pub orcpt: Option<(String, String)>,
}

impl RcptParams {
    /// Whether a DSN is wanted for this outcome: failure unless NEVER (the default).
    pub fn wants_failure(&self) -> bool {
        self.notify.is_none_or(|n| n.failure)
    }
    pub fn wants_success(&self) -> bool {
        self.notify.is_some_and(|n| n.success)
    }
    /// A "delayed" DSN only when asked for explicitly (Postfix sends none by default).
    pub fn wants_delay(&self) -> bool {
        self.notify.is_some_and(|n| n.delay)
    }
}

/// The wire parameters for a next hop that advertises DSN (RFC 3461 §4).
pub fn rcpt_wire(p: &RcptParams) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = p.notify {
        out.push(format!("NOTIFY={}", n.value()));
    }
    if let Some((kind, addr)) = &p.orcpt {
        out.push(format!("ORCPT={kind};{}", xtext_encode(addr)));
    }
    out
}

/// xtext (RFC 3461 §4): `+XX` for `+`, `=` and octets outside `!`..`~`.
pub fn xtext_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// Decodes xtext; `None` if it is not xtext (a bad `+XX`, a character outside `!`..`~`, `=`)
/// or the result is not UTF-8.
pub fn xtext_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => {
                let hex = [bytes.next()?, bytes.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                if !hex.bytes().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
            }
            b'=' => return None,
            b'!'..=b'~' => out.push(b),
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

fn bad(text: impl AsRef<str>) -> Reply {
    Reply::enhanced(501, "5.5.4", text)
}

fn unknown(cmd: &str, p: &str) -> Reply {
    Reply::enhanced(555, "5.5.4", format!("{cmd} parameter not recognized or not implemented: {p}"))
}

fn twice(p: &str) -> Reply {
    bad(format!("Parameter given twice: {p} (RFC 5321 section 4.1.1.11)"))
}

/// Parses MAIL FROM's parameters. SIZE is checked for syntax only here (the limit is the
/// server's business).
pub fn parse_mail(params: &[String]) -> Result<MailParams, Reply> {
    let mut m = MailParams::default();
    let mut seen: Vec<String> = Vec::new();
    for p in params {
        let (key, value) = p.split_once('=').map_or((p.as_str(), None), |(k, v)| (k, Some(v)));
        let key = key.to_ascii_uppercase();
        if seen.contains(&key) {
            return Err(twice(p));
        }
        seen.push(key.clone());
        match (key.as_str(), value) {
            ("SIZE", Some(v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                // A number too large for this machine is still a number: too big.
                m.size = Some(v.parse::<usize>().unwrap_or(usize::MAX));
            }
            ("SIZE", _) => return Err(bad("Syntax: SIZE=<number of octets> (RFC 1870)")),
            ("BODY", Some(v)) => {
                m.body = match v.to_ascii_uppercase().as_str() {
                    "7BIT" => Body::SevenBit,
                    "8BITMIME" => Body::EightBitMime,
                    "BINARYMIME" => Body::BinaryMime,
                    _ => return Err(bad("Syntax: BODY=7BIT, BODY=8BITMIME or BODY=BINARYMIME (RFC 6152, RFC 3030)")),
                };
            }
            ("SMTPUTF8", None) => m.smtputf8 = true,
            ("SMTPUTF8", Some(_)) => return Err(bad("Syntax: SMTPUTF8 takes no value (RFC 6531 section 3.4)")),
            ("RET", Some(v)) if v.eq_ignore_ascii_case("FULL") => m.ret = Some(Ret::Full),
            ("RET", Some(v)) if v.eq_ignore_ascii_case("HDRS") => m.ret = Some(Ret::Hdrs),
            ("RET", _) => return Err(bad("Syntax: RET=FULL or RET=HDRS (RFC 3461 section 4.3)")),
            ("ENVID", Some(v)) => match xtext_decode(v) {
                Some(id) if !v.is_empty() && v.len() <= 100 => m.envid = Some(id),
                _ => return Err(bad("Syntax: ENVID=<xtext, at most 100 characters> (RFC 3461 section 4.4)")),
            },
            _ => return Err(unknown("MAIL FROM", p)),
        }
    }
    Ok(m)
}

/// Parses RCPT TO's parameters.
pub fn parse_rcpt(params: &[String]) -> Result<RcptParams, Reply> {
    let mut r = RcptParams::default();
    let mut seen: Vec<String> = Vec::new();
    for p in params {
        let (key, value) = p.split_once('=').map_or((p.as_str(), None), |(k, v)| (k, Some(v)));
        let key = key.to_ascii_uppercase();
        if seen.contains(&key) {
            return Err(twice(p));
        }
        seen.push(key.clone());
        match (key.as_str(), value) {
            ("NOTIFY", Some(v)) => r.notify = Some(parse_notify(v)?),
            ("ORCPT", Some(v)) => {
                let (kind, addr) = v.split_once(';').ok_or_else(orcpt_syntax)?;
                let atom =
                    |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
                let addr = xtext_decode(addr).filter(|a| !a.is_empty() && atom(kind) && v.len() <= 500);
                r.orcpt = Some((kind.to_ascii_lowercase(), addr.ok_or_else(orcpt_syntax)?));
            }
            _ => return Err(unknown("RCPT TO", p)),
        }
    }
    Ok(r)
}

fn orcpt_syntax() -> Reply {
    bad("Syntax: ORCPT=addr-type;xtext, e.g. ORCPT=rfc822;bob@bob.example (RFC 3461 section 4.2)")
}

fn parse_notify(v: &str) -> Result<Notify, Reply> {
    let syntax = || bad("Syntax: NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 section 4.1)");
    if v.eq_ignore_ascii_case("NEVER") {
        return Ok(Notify::NEVER);
    }
    let mut n = Notify::default();
    for w in v.split(',') {
        let flag = match w.to_ascii_uppercase().as_str() {
            "SUCCESS" => &mut n.success,
            "FAILURE" => &mut n.failure,
            "DELAY" => &mut n.delay,
            _ => return Err(syntax()),
        };
        if *flag {
            return Err(syntax());
        }
        *flag = true;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn xtext_round_trips_and_refuses_bad_input() {
        assert_eq!(xtext_encode("a+b=c d@\u{e9}.example"), "a+2Bb+3Dc+20d@+C3+A9.example");
        assert_eq!(xtext_decode("a+2Bb+3Dc+20d@+C3+A9.example").as_deref(), Some("a+b=c d@\u{e9}.example"));
        for bad in ["a+2", "a+zz", "a=b", "a b", "+2b", "+FF"] {
            assert_eq!(xtext_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn mail_parameters() {
        let m = parse_mail(&v(&["SMTPUTF8", "ret=hdrs", "ENVID=QQ+2B1", "BODY=BINARYMIME", "SIZE=10"])).unwrap();
        assert_eq!(
            m,
            MailParams {
                body: Body::BinaryMime,
                smtputf8: true,
                ret: Some(Ret::Hdrs),
                envid: Some("QQ+1".into()),
                size: Some(10)
            }
        );
        for (p, code) in [
            ("RET=ALL", 501),
            ("RET", 501),
            ("ENVID=a=b", 501),
            ("SMTPUTF8=yes", 501),
            ("BODY=9BIT", 501),
            ("SIZE=x", 501),
            ("FOO=1", 555),
        ] {
            let e = parse_mail(&v(&[p])).unwrap_err();
            assert_eq!((e.code, e.lines[0].split(' ').next().unwrap()), (code, "5.5.4"), "{p}");
        }
        assert_eq!(parse_mail(&v(&["RET=FULL", "ret=HDRS"])).unwrap_err().code, 501);
        assert_eq!(parse_mail(&v(&[&format!("ENVID={}", "x".repeat(101))])).unwrap_err().code, 501);
    }

    #[test]
    fn rcpt_parameters() {
        let r = parse_rcpt(&v(&["NOTIFY=success,FAILURE", "ORCPT=rfc822;b+2Bx@b.example"])).unwrap();
        assert_eq!(r.notify, Some(Notify { success: true, failure: true, delay: false }));
        assert_eq!(r.orcpt, Some(("rfc822".into(), "b+x@b.example".into())));
        assert_eq!(rcpt_wire(&r), v(&["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;b+2Bx@b.example"]));
        assert!(!parse_rcpt(&v(&["NOTIFY=NEVER"])).unwrap().wants_failure());
        assert!(parse_rcpt(&[]).unwrap().wants_failure());
        for p in
            ["NOTIFY=NEVER,SUCCESS", "NOTIFY=", "NOTIFY=SUCCESS,SUCCESS", "NOTIFY=sometimes", "ORCPT=bob", "ORCPT=;b@b"]
        {
            let e = parse_rcpt(&v(&[p])).unwrap_err();
            assert_eq!(e.code, 501, "{p}");
        }
        assert_eq!(parse_rcpt(&v(&["FOO"])).unwrap_err().code, 555);
    }
}
