//! Delivery status notifications (RFC 3464, asked for with RFC 3461's parameters): the
//! bounce ("failed"), and, when a recipient asked with NOTIFY, "delivered", "relayed" and
//! "delayed" reports. Each is a multipart/report (RFC 6522) with a text for people, the
//! machine-readable `message/delivery-status`, and the original message (whole for RET=FULL,
//! else its header). For SMTPUTF8 mail the parts are `message/global-delivery-status` and
//! `message/global` (RFC 6533 §6), and non-ASCII addresses have the address type `utf-8`.
//!
//! A DSN travels with the null sender `<>` (RFC 3461 §6.2, RFC 5321 §4.5.5), so it never
//! causes another one.

use super::{Ctx, MailHost};
use crate::log::Millis;
use mailsim_proto::message;
use mailsim_proto::smtp::{MailParams, RcptParams, Ret};

/// What happened to one recipient (RFC 3464 §2.3.3 Action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Failed,
    Delayed,
    Delivered,
    /// Handed to a next hop that does not offer DSN: no further reports will come (§4.2).
    Relayed,
}

impl Action {
    fn word(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
        }
    }
}

/// One recipient a DSN reports on.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub address: String,
    pub params: RcptParams,
    pub action: Action,
    /// Enhanced status code, e.g. `5.1.1`, `2.0.0`.
    pub status: String,
    pub remote: Option<String>,
    pub diagnostic: Option<String>,
}

/// The message a DSN is about.
pub(super) struct About<'a> {
    pub sender: &'a str,
    pub params: &'a MailParams,
    pub arrival: Millis,
    pub original: &'a [u8],
}

/// `rfc822; a@b` or, for a non-ASCII address, `utf-8; a@b` (RFC 6533 §3).
fn typed_address(a: &str) -> String {
    if a.is_ascii() {
        format!("rfc822; {a}")
    } else {
        format!("utf-8; {a}")
    }
}

/// The DSN message for `lines` (all of one kind of report: failures, or successes, or delays).
pub(super) fn build(host: &str, about: &About, lines: &[Line], date: i64, arrival: i64, ids: (&str, &str)) -> Vec<u8> {
    let (message_id, boundary) = ids;
    let kind = lines.first().map_or(Action::Failed, |l| l.action);
    let global = about.params.smtputf8;
    let subject = match kind {
        Action::Failed => "Undelivered Mail Returned to Sender",
        Action::Delayed => "Delayed Mail (still being retried)",
        Action::Delivered | Action::Relayed => "Successful Mail Delivery Report",
    };
    let mut m = String::new();
    m.push_str(&format!("Date: {}\r\n", message::format_date(date)));
    m.push_str(&format!("From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n"));
    m.push_str(&format!("To: {}\r\n", about.sender));
    m.push_str(&format!("Subject: {subject}\r\n"));
    m.push_str(&format!("Message-ID: <{message_id}>\r\n"));
    m.push_str("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
    ));
    m.push_str("This is a MIME-encapsulated message.\r\n\r\n");
    let charset = if global { "utf-8" } else { "us-ascii" };
    m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset={charset}\r\n\r\n"));
    m.push_str(&format!("This is the mail system at host {host}.\r\n\r\n"));
    m.push_str(match kind {
        Action::Failed => {
            "I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
        }
        Action::Delayed => {
            "Your message could not be delivered yet to one or more recipients.\r\nIt is still in the queue and will be retried; you need not send it again.\r\n\r\n"
        }
        Action::Delivered => {
            "Your message was successfully delivered to the destination(s)\r\nlisted below, as you asked (NOTIFY=SUCCESS).\r\n\r\n"
        }
        Action::Relayed => {
            "Your message was relayed to the destination(s) listed below, as you\r\nasked (NOTIFY=SUCCESS). The next system does not report delivery,\r\nso no further notification will come from there.\r\n\r\n"
        }
    });
    for l in lines {
        let what = l.diagnostic.clone().unwrap_or_else(|| format!("{} ({})", l.action.word(), l.status));
        m.push_str(&format!("<{}>: {what}\r\n", l.address));
    }
    let status_type = if global { "message/global-delivery-status" } else { "message/delivery-status" };
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: {status_type}\r\n\r\n"));
    m.push_str(&format!("Reporting-MTA: dns; {host}\r\n"));
    if let Some(id) = &about.params.envid {
        m.push_str(&format!("Original-Envelope-Id: {id}\r\n"));
    }
    m.push_str(&format!("Arrival-Date: {}\r\n", message::format_date(arrival)));
    for l in lines {
        m.push_str("\r\n");
        if let Some((kind, addr)) = &l.params.orcpt {
            m.push_str(&format!("Original-Recipient: {kind}; {addr}\r\n"));
        }
        m.push_str(&format!(
            "Final-Recipient: {}\r\nAction: {}\r\nStatus: {}\r\n",
            typed_address(&l.address),
            l.action.word(),
            l.status
        ));
        if let Some(r) = &l.remote {
            m.push_str(&format!("Remote-MTA: dns; {r}\r\n"));
        }
        if let Some(d) = &l.diagnostic {
            m.push_str(&format!("Diagnostic-Code: smtp; {d}\r\n"));
        }
    }
    // RFC 3461 §4.3: RET=FULL returns the whole message (failures only); else the header.
    let full = kind == Action::Failed && about.params.ret == Some(Ret::Full);
    let part_type = match (full, global) {
        (true, true) => "message/global",
        (true, false) => "message/rfc822",
        (false, true) => "message/global-headers",
        (false, false) => "text/rfc822-headers",
    };
    m.push_str(&format!("\r\n--{boundary}\r\nContent-Type: {part_type}\r\n\r\n"));
    let o = about.original;
    let end = if full { o.len() } else { o.windows(4).position(|w| w == b"\r\n\r\n").map_or(o.len(), |i| i + 2) };
    // The original as it came, byte for byte (8-bit included): mail is bytes.
    let mut out = m.into_bytes();
    out.extend_from_slice(&o[..end]);
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

impl MailHost {
    /// Sends a DSN about `lines` to the message's sender, unless the sender is `<>`: a
    /// notification never causes another one (RFC 3461 §6.2).
    pub(super) fn send_dsn(&mut self, ctx: &mut Ctx, about: &About, lines: Vec<Line>) {
        if about.sender.is_empty() || lines.is_empty() {
            return;
        }
        let unix = ctx.unix();
        let host = self.hostname.clone();
        let arrival = ctx.epoch + (about.arrival / 1000) as i64;
        let message_id = format!("{}.{}@{host}", unix, ctx.rng.hex(8).to_ascii_lowercase());
        let boundary = format!("{}.{}/{host}", ctx.rng.hex(10), unix);
        let dsn = build(&host, about, &lines, unix, arrival, (&message_id, &boundary));
        let qid = ctx.rng.hex(10);
        let params = MailParams { smtputf8: about.params.smtputf8, ..Default::default() };
        let sender = about.sender.to_string();
        let env = super::queue::Envelope { params, rcpts: vec![] };
        self.enqueue(ctx, &qid, String::new(), vec![sender], dsn, env);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailsim_proto::smtp::Notify;

    fn line(action: Action, status: &str) -> Line {
        Line {
            address: "bob@bob.example".into(),
            params: RcptParams {
                notify: Some(Notify { success: true, failure: true, delay: false }),
                orcpt: Some(("rfc822".into(), "Bob@Bob.example".into())),
            },
            action,
            status: status.into(),
            remote: None,
            diagnostic: (action == Action::Failed).then(|| "550 5.1.1 no such user".to_string()),
        }
    }

    const ORIGINAL: &[u8] = b"Subject: hi\r\nFrom: a@a.example\r\n\r\nthe body\r\n";

    fn dsn(action: Action, ret: Option<Ret>) -> String {
        let params = MailParams { ret, envid: Some("QQ314159".into()), ..Default::default() };
        let about = About { sender: "alice@alice.example", params: &params, arrival: 0, original: ORIGINAL };
        let status = if action == Action::Failed { "5.1.1" } else { "2.0.0" };
        let b = build("mail.bob.example", &about, &[line(action, status)], 60, 0, ("id@x", "BOUND"));
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn a_failure_with_ret_full_returns_the_whole_message() {
        let d = dsn(Action::Failed, Some(Ret::Full));
        assert!(d.contains("Original-Envelope-Id: QQ314159\r\n"), "{d}");
        assert!(d.contains(
            "Original-Recipient: rfc822; Bob@Bob.example\r\nFinal-Recipient: rfc822; bob@bob.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        ));
        assert!(d.contains("Content-Type: message/rfc822\r\n\r\nSubject: hi\r\nFrom: a@a.example\r\n\r\nthe body\r\n"));
        use mail_parser::MimeHeaders;
        let parsed = mail_parser::MessageParser::default().parse(d.as_bytes()).unwrap();
        assert_eq!(parsed.content_type().unwrap().subtype(), Some("report"));
        assert_eq!(parsed.content_type().unwrap().attribute("report-type"), Some("delivery-status"));
        assert_eq!(parsed.parts.len(), 4, "the report and its three parts");
    }

    #[test]
    fn ret_hdrs_and_success_reports_return_only_the_header() {
        for d in [dsn(Action::Failed, Some(Ret::Hdrs)), dsn(Action::Delivered, Some(Ret::Full))] {
            assert!(d.contains(
                "Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: a@a.example\r\n\r\n--BOUND--"
            ));
            assert!(!d.contains("the body"));
        }
        let d = dsn(Action::Delivered, None);
        assert!(d.contains("Subject: Successful Mail Delivery Report\r\n"));
        assert!(d.contains("Action: delivered\r\nStatus: 2.0.0\r\n"));
    }
}
