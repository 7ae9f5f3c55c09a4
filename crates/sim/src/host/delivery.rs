//! What a mail host does with a message that arrived whole, and with a recipient proposed in
//! RCPT TO: the trace field, local mailboxes, the queue; greylisting, quotas, and the DNS
//! check of a recipient's domain.

use super::dsn::{About, Action};
use super::queue::{success_line, Envelope};
use super::{Ctx, HostOutput, MailHost, SessionId};
use mailsim_proto::dns::{DnsMessage, RData};
use mailsim_proto::message::{self, Trace};
use mailsim_proto::smtp::{ReceivedMessage, Reply};

impl MailHost {
    /// A server decides on a message that arrived whole (RFC 5321 §4.1.1.4): on port 25, mail
    /// for its own users is stored at once; everything else (mail for elsewhere, and all
    /// submitted mail) goes into the outgoing queue.
    pub(super) fn take_message(
        &mut self,
        ctx: &mut Ctx,
        service: u16,
        peer_ip: &str,
        qid: &str,
        m: ReceivedMessage,
    ) -> Result<(), Reply> {
        if self.policy.storage_fails {
            return Err(Reply::enhanced(451, "4.3.0", "Error: queue file write error (disk full?)"));
        }
        // RFC 3848: ESMTP, plus S for TLS and A for an authenticated client; UTF8SMTP for
        // mail sent with SMTPUTF8 (RFC 6531 §4.3).
        let with = match (m.esmtp, m.params.smtputf8, m.tls, m.authenticated.is_some()) {
            (false, _, _, _) => "SMTP",
            (true, false, false, false) => "ESMTP",
            (true, false, true, false) => "ESMTPS",
            (true, false, false, true) => "ESMTPA",
            (true, false, true, true) => "ESMTPSA",
            (true, true, false, false) => "UTF8SMTP",
            (true, true, true, false) => "UTF8SMTPS",
            (true, true, false, true) => "UTF8SMTPA",
            (true, true, true, true) => "UTF8SMTPSA",
        };
        // The same recipient named twice gets one copy (as Postfix's duplicate filter does).
        let mut m = m;
        let mut seen: Vec<String> = Vec::new();
        m.rcpt_to.retain(|r| {
            let key = r.to_ascii_lowercase();
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
        let single = (m.rcpt_to.len() == 1).then(|| m.rcpt_to[0].as_str());
        let trace =
            Trace { helo: &m.helo, peer_ip, by: &self.hostname, with, id: qid, for_rcpt: single, date: ctx.unix() };
        let data = message::prepend_field(&message::received_field(&trace), &m.data);
        let (local, mut remote): (Vec<String>, Vec<String>) = if service == 25 {
            m.rcpt_to.iter().cloned().partition(|r| self.is_local(r) || r.eq_ignore_ascii_case("postmaster"))
        } else {
            (vec![], m.rcpt_to.clone())
        };
        // A moved user this server forwards for (251): the message goes on to the new address.
        // The DSN parameters travel with each recipient (RFC 3461 §4); a forwarded one keeps
        // its original address as ORCPT.
        let mut env = Envelope { params: m.params.clone(), rcpts: vec![] };
        for r in &m.rcpt_to {
            env.rcpts.push((r.clone(), m.rcpt_params_of(r)));
        }
        let forwards = self.policy.smtp.forwards.clone();
        let local: Vec<String> = local
            .into_iter()
            .filter(|r| match forwards.iter().find(|(a, _, fwd)| *fwd && a.eq_ignore_ascii_case(r)) {
                Some((_, new, _)) => {
                    let mut p = m.rcpt_params_of(r);
                    p.orcpt.get_or_insert_with(|| ("rfc822".into(), r.clone()));
                    env.rcpts.push((new.clone(), p));
                    remote.push(new.clone());
                    false
                }
                None => true,
            })
            .collect();
        let mut delivered = Vec::new();
        if !local.is_empty() {
            let data = message::prepend_field(&format!("Return-Path: <{}>\r\n", m.mail_from), &data);
            // One copy per mailbox: the postmaster and the account it is an alias of, named
            // both, share one (as Postfix's duplicate filter does after alias expansion).
            let mut stored: Vec<String> = Vec::new();
            for r in &local {
                let mailbox = self.mailbox_of(r);
                if stored.contains(&mailbox) {
                    delivered.extend(success_line(r, env.of(r), Action::Delivered, None));
                } else if let Some(uid) = self.store.deliver_at(&mailbox, data.clone(), ctx.unix(), &[]) {
                    self.mailbox_changed(&mailbox);
                    self.log_stored(ctx, &mailbox, uid, data.clone());
                    delivered.extend(success_line(r, env.of(r), Action::Delivered, None));
                    stored.push(mailbox);
                }
            }
        }
        // NOTIFY=SUCCESS (RFC 3461 §4.1): this host made the final delivery, so it reports it.
        let about = About { sender: &m.mail_from, params: &m.params, arrival: ctx.now, original: &data };
        self.send_dsn(ctx, &about, delivered);
        if !remote.is_empty() {
            self.enqueue(ctx, qid, m.mail_from, remote, data, env);
        }
        self.notify_imap(None);
        Ok(())
    }

    /// Greylisting and quotas, for a recipient the SMTP engine found acceptable.
    pub(super) fn check_recipient_policy(
        &mut self,
        ctx: &Ctx,
        peer_ip: &str,
        mail_from: &str,
        rcpt: &str,
    ) -> Option<Reply> {
        if let Some(delay) = self.policy.greylist {
            let key = (peer_ip.to_string(), mail_from.to_ascii_lowercase(), rcpt.to_ascii_lowercase());
            let first = *self.greylist.entry(key).or_insert(ctx.now);
            if ctx.now < first + delay {
                let wait = (first + delay - ctx.now).div_ceil(1000);
                let text =
                    format!("<{rcpt}>: Recipient address rejected: Greylisted, please try again in {wait} seconds");
                return Some(Reply::enhanced(450, "4.2.0", text));
            }
        }
        if let Some(quota) = self.policy.quota {
            let used: usize =
                self.store.mailbox(rcpt).map(|m| m.messages.iter().map(|x| x.data.len()).sum()).unwrap_or(0);
            if used >= quota {
                // A quota of 0 is the playground's "Fill mailboxes": no octet counts to show.
                let text = if quota == 0 {
                    format!("<{rcpt}>: Mailbox full: no room for new mail, try again later")
                } else {
                    format!("<{rcpt}>: Mailbox full: {used} octets stored, quota {quota} octets")
                };
                return Some(Reply::enhanced(452, "4.2.2", text));
            }
        }
        None
    }

    /// The DNS answer to a recipient check, if it was one: decide the waiting RCPT TO.
    pub(super) fn finish_rcpt_check(&mut self, answer: &DnsMessage) -> bool {
        let Some(i) = self.rcpt_checks.iter().position(|(q, _, _)| *q == answer.id) else { return false };
        let (_, sid, domain): (u16, SessionId, String) = self.rcpt_checks.remove(i);
        let null_mx = answer.answers.len() == 1
            && matches!(&answer.answers[0].data, RData::Mx { exchange, .. } if exchange.is_empty() || exchange == ".");
        let refusal = if null_mx {
            let text = format!("Recipient address rejected: Domain {domain} does not accept mail (null MX)");
            Some(Reply::enhanced(556, "5.1.10", text))
        } else if answer.rcode == 3 {
            Some(Reply::enhanced(550, "5.1.2", format!("Recipient address rejected: Domain {domain} not found")))
        } else {
            None
        };
        if let Some(e) = self.smtp(sid) {
            e.decide_recipient(refusal);
        }
        self.out.push_back(HostOutput::Touched(sid));
        true
    }
}
