//! Who is on each connection, and what in the event log is a credential.
//!
//! [`Tracker`] follows every connection's messages in log order (the same records as
//! `--log`). From the client's lines it learns the name a login is for (SMTP `AUTH` with
//! PLAIN, LOGIN, CRAM-MD5 or SCRAM, RFC 4954; POP3 `USER`/`PASS`, `APOP` and `AUTH`, RFC 1939
//! §7 and RFC 5034; IMAP `LOGIN` and `AUTHENTICATE`, RFC 9051 §6.2) and from the server's
//! answer whether it succeeded (`235`, `+OK`, the tagged `OK`): that is how a connection is
//! attributed to a user. The same pass finds the secrets (passwords, SASL responses that
//! carry one, SCRAM proofs, APOP and CRAM-MD5 digests) and, when asked, rewrites the record
//! without them: in the bytes, the diagram label and the explanation.
//!
//! No protocol engine is run here: this reads lines the engines already accepted and logged.

use base64::Engine as _;
use mailsim_sim::log::Event;
use std::collections::BTreeMap;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// A SASL exchange in progress on a connection.
#[derive(Debug, Clone)]
struct Sasl {
    mech: String,
    /// Client responses seen so far.
    step: usize,
}

#[derive(Debug, Default)]
struct Conn {
    protocol: String,
    client: String,
    sasl: Option<Sasl>,
    /// POP3 `USER` name, waiting for `PASS`.
    named: Option<String>,
    /// A login sent and not yet answered: the name it is for.
    pending: Option<String>,
    /// The IMAP tag of the login command.
    tag: Option<String>,
    /// The client's last line may have been a login without its password (IMAP `LOGIN`
    /// with one argument, POP3 `USER`): a next line that is no command may be the password
    /// typed alone.
    suspect_next: bool,
    /// Secrets of the client's last line: the server's answer may quote them (an IMAP `BAD`
    /// repeats what it took for a tag), so they are redacted there too.
    echoed: Vec<String>,
}

/// Follows every connection (see the module's documentation).
#[derive(Debug, Default)]
pub struct Tracker {
    conns: BTreeMap<u32, Conn>,
}

/// What one client line holds.
#[derive(Default)]
struct Found {
    secrets: Vec<String>,
    /// The whole line is secret (a SASL response): its redacted form.
    whole: Option<String>,
}

impl Tracker {
    /// Reads one record; with `redact`, removes the credentials it carries. Returns
    /// `(connection, login name as the client typed it)` when a login on a connection has
    /// just succeeded.
    pub fn observe(&mut self, e: &mut Event, redact: bool) -> Option<(u32, String)> {
        match e {
            Event::ConnectionOpened { conn, client, protocol, .. } => {
                let c = Conn { protocol: protocol.clone(), client: client.clone(), ..Conn::default() };
                self.conns.insert(*conn, c);
                None
            }
            Event::ConnectionClosed { conn, .. } => {
                self.conns.remove(conn);
                None
            }
            // Inside TLS too: the log keeps what was inside (the page shows it when decrypted).
            Event::MessageSent { conn: Some(id), from, raw, label, meaning, .. } => {
                let c = self.conns.get_mut(id)?;
                if *from == c.client {
                    let found = c.client_line(raw);
                    c.echoed = found.secrets.iter().filter(|s| s.len() >= 3).cloned().collect();
                    if redact {
                        apply(&found, raw, label, meaning);
                    }
                    None
                } else {
                    let echoed = std::mem::take(&mut c.echoed);
                    if redact && !echoed.is_empty() {
                        let text: String = raw.iter().map(|&b| b as char).collect();
                        if echoed.iter().any(|s| text.contains(s.as_str())) {
                            apply(&Found { secrets: echoed, whole: None }, raw, label, meaning);
                        }
                    }
                    c.server_reply(raw).map(|user| (*id, user))
                }
            }
            _ => None,
        }
    }
}

impl Conn {
    fn client_line(&mut self, raw: &[u8]) -> Found {
        let text: String = raw.iter().map(|&b| b as char).collect();
        let line = text.trim_end_matches(['\r', '\n']);
        if self.sasl.is_some() {
            return self.sasl_response(line);
        }
        if std::mem::take(&mut self.suspect_next) && self.no_command(line) {
            // A password typed alone after a login that lacked it (a learner's slip).
            return Found { secrets: vec![line.to_string()], whole: Some(REDACTED.to_string()) };
        }
        let mut words = line.split(' ');
        match self.protocol.as_str() {
            "SMTP" if words.next().is_some_and(|w| w.eq_ignore_ascii_case("AUTH")) => {
                return self.start_sasl(words.next().unwrap_or(""), words.next());
            }
            "POP3" => {
                let verb = words.next().unwrap_or("").to_ascii_uppercase();
                let rest = line.get(verb.len() + 1..).unwrap_or("");
                match verb.as_str() {
                    "USER" => {
                        // `USER name password` on one line: all after the name may be the password.
                        let (name, more) = rest.split_once(' ').unwrap_or((rest, ""));
                        self.named = Some(name.to_string());
                        if !more.trim().is_empty() {
                            return Found { secrets: vec![more.to_string()], whole: None };
                        }
                        self.suspect_next = true;
                    }
                    "PASS" => {
                        self.pending = self.named.clone();
                        return Found { secrets: vec![rest.to_string()], whole: None };
                    }
                    "APOP" => {
                        let (user, digest) = rest.rsplit_once(' ').unwrap_or((rest, ""));
                        self.pending = Some(user.to_string());
                        return Found { secrets: vec![digest.to_string()], whole: None };
                    }
                    "AUTH" => return self.start_sasl(words.next().unwrap_or(""), words.next()),
                    _ => {}
                }
            }
            "IMAP" => {
                let tag = words.next().unwrap_or("");
                let verb = words.next().unwrap_or("");
                // `a LOGIN user pass`, or `LOGIN user pass` with the tag forgotten.
                let untagged = tag.eq_ignore_ascii_case("LOGIN");
                if verb.eq_ignore_ascii_case("LOGIN") || untagged {
                    self.tag = Some(tag.to_string());
                    let before = tag.chars().count() + 1 + if untagged { 0 } else { verb.chars().count() + 1 };
                    let args = imap_strings(raw.get(before.min(raw.len())..).unwrap_or_default());
                    self.pending = args.first().map(|(v, _)| v.clone());
                    self.suspect_next = args.len() < 2;
                    // The password as written (quoted, or a literal) and as meant; and anything
                    // after it, in case the learner typed more.
                    let secrets = args.iter().skip(1).flat_map(|(v, w)| [w.clone(), v.clone()]).collect();
                    return Found { secrets, whole: None };
                }
                if verb.eq_ignore_ascii_case("AUTHENTICATE") {
                    self.tag = Some(tag.to_string());
                    return self.start_sasl(words.next().unwrap_or(""), words.next());
                }
            }
            _ => {}
        }
        Found::default()
    }

    /// Whether a line is no command of this protocol (so it may be a password typed alone).
    fn no_command(&self, line: &str) -> bool {
        let mut words = line.split_whitespace();
        match self.protocol.as_str() {
            // An IMAP command is a tag and a command name.
            "IMAP" => words.nth(1).is_none(),
            "POP3" => !words.next().is_some_and(|w| {
                const POP3: [&str; 14] = [
                    "USER", "PASS", "APOP", "AUTH", "QUIT", "CAPA", "STLS", "NOOP", "STAT", "LIST", "RETR", "DELE",
                    "RSET", "UIDL",
                ];
                POP3.iter().any(|c| w.eq_ignore_ascii_case(c))
            }),
            _ => false,
        }
    }

    fn start_sasl(&mut self, mech: &str, initial: Option<&str>) -> Found {
        self.sasl = Some(Sasl { mech: mech.to_ascii_uppercase(), step: 0 });
        match initial {
            // "=" is an empty initial response (RFC 4954 §4).
            Some(ir) if !ir.is_empty() && ir != "=" => {
                let mut f = self.sasl_response(ir);
                // Only the response is secret, not the command around it.
                f.whole = None;
                f
            }
            _ => Found::default(),
        }
    }

    /// A client response inside a SASL exchange (base64, RFC 4648).
    fn sasl_response(&mut self, line: &str) -> Found {
        let Some(sasl) = self.sasl.as_mut() else { return Found::default() };
        let step = sasl.step;
        sasl.step += 1;
        if line == "*" {
            return Found::default();
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(line.trim())
            .map(|b| b.iter().map(|&c| c as char).collect::<String>())
            .unwrap_or_default();
        let mut secrets = vec![line.to_string()];
        let mut whole = Some(REDACTED.to_string());
        match sasl.mech.as_str() {
            "PLAIN" => {
                // [authzid] NUL authcid NUL passwd (RFC 4616 §2)
                let parts: Vec<&str> = decoded.split('\0').collect();
                if let [_, user, pass] = parts.as_slice() {
                    self.pending = Some(user.to_string());
                    secrets.push(pass.to_string());
                }
            }
            "LOGIN" if step == 0 => {
                self.pending = Some(decoded.clone());
                // A user name, not a secret.
                return Found::default();
            }
            "LOGIN" => secrets.push(decoded),
            "CRAM-MD5" => {
                let (user, digest) = decoded.rsplit_once(' ').unwrap_or(("", &decoded));
                self.pending = Some(user.to_string());
                secrets.push(digest.to_string());
            }
            m if m.starts_with("SCRAM-") => {
                if let Some(user) = decoded.split(',').find_map(|a| a.strip_prefix("n=")) {
                    self.pending = Some(user.replace("=2C", ",").replace("=3D", "="));
                    return Found::default();
                }
                if let Some(proof) = decoded.split(',').find_map(|a| a.strip_prefix("p=")) {
                    secrets.push(proof.to_string());
                    whole = Some(format!("{REDACTED} (SCRAM client-final with its proof)"));
                } else {
                    return Found::default();
                }
            }
            _ => {}
        }
        Found { secrets, whole }
    }

    /// A server reply: ends a SASL exchange, and tells whether a login just succeeded.
    fn server_reply(&mut self, raw: &[u8]) -> Option<String> {
        let text: String = raw.iter().map(|&b| b as char).collect();
        for line in text.split("\r\n").filter(|l| !l.is_empty()) {
            let (continued, ok, done) = match self.protocol.as_str() {
                "SMTP" => (line.starts_with("334"), line.starts_with("235"), !line.starts_with("334")),
                "POP3" => (line.starts_with("+ "), line.starts_with("+OK"), !line.starts_with("+ ")),
                "IMAP" => {
                    let tag = self.tag.as_deref().unwrap_or("\u{0}");
                    let tagged = line.split(' ').next() == Some(tag);
                    let status = line.split(' ').nth(1).unwrap_or("");
                    (line.starts_with('+'), tagged && status.eq_ignore_ascii_case("OK"), tagged)
                }
                _ => (false, false, false),
            };
            if continued || !done || (self.sasl.is_none() && self.pending.is_none()) {
                continue;
            }
            self.sasl = None;
            self.tag = None;
            let user = self.pending.take();
            if ok {
                return user;
            }
        }
        None
    }
}

/// The strings of an IMAP command's arguments (atoms, quoted strings, literals; RFC 9051
/// §4.3), as (the value, as written), with bytes as the characters U+0000..U+00FF.
fn imap_strings(b: &[u8]) -> Vec<(String, String)> {
    let text = |r: &[u8]| r.iter().map(|&c| c as char).collect::<String>();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\r' | b'\n' => i += 1,
            b'"' => {
                let (start, mut v) = (i, Vec::new());
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    v.push(b[i]);
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push((text(&v), text(&b[start..i])));
            }
            b'{' | b'~' => {
                let Some(close) = b[i..].iter().position(|&c| c == b'}') else { break };
                let digits = text(&b[i..i + close]);
                let n: usize = digits.trim_matches(['{', '~', '+', '-']).parse().unwrap_or(0);
                let from = (i + close + 1..b.len()).find(|&k| b[k] == b'\n').map_or(b.len(), |k| k + 1);
                let to = from.saturating_add(n).min(b.len());
                out.push((text(&b[from..to]), text(&b[from..to])));
                i = to;
            }
            _ => {
                let start = i;
                while i < b.len() && !matches!(b[i], b' ' | b'\r' | b'\n') {
                    i += 1;
                }
                out.push((text(&b[start..i]), text(&b[start..i])));
            }
        }
    }
    out
}

/// Rewrites a client message without its secrets.
fn apply(found: &Found, raw: &mut Vec<u8>, label: &mut String, meaning: &mut String) {
    let secrets: Vec<&String> = found.secrets.iter().filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() && found.whole.is_none() {
        return;
    }
    let text: String = raw.iter().map(|&b| b as char).collect();
    let new_raw = match &found.whole {
        Some(w) => format!("{w}\r\n"),
        None => secrets.iter().fold(text, |t, s| t.replace(s.as_str(), REDACTED)),
    };
    *raw = new_raw.chars().map(|c| c as u32 as u8).collect();
    *label = new_raw.lines().next().unwrap_or("").chars().take(72).collect();
    // An explanation quotes what it explains (decoded): the secrets go there too, when they
    // can be found reliably; else the explanation says only what the line was.
    let plain = |s: &str| s.len() >= 4 && s.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
    if secrets.iter().all(|s| plain(s)) {
        *meaning = secrets.iter().fold(meaning.clone(), |m, s| m.replace(s.as_str(), REDACTED));
        meaning.push_str(" (Credentials are redacted: mailsim serve --show-credentials shows them.)");
    } else {
        *meaning = "This line carries the client's credentials; they are redacted \
                    (mailsim serve --show-credentials shows them)."
            .into();
    }
}

#[cfg(test)]
mod tests;
