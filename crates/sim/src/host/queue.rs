//! The outgoing queue: one entry per accepted message, one leg per destination domain. A
//! queue run looks each domain's MX up (or uses the relayhost), hands legs to relay
//! connections, retries what failed for now with growing delays, and bounces what failed
//! for good (RFC 3464), unless the sender is the null sender.

use super::dsn::{Action, Line};
use super::{Ctx, HostOutput, MailHost, RelayTarget};
use crate::log::{Event, Millis};
use mailsim_proto::dns::{self, DnsMessage, RData};
use mailsim_proto::message::{self, FailedRecipient};
use mailsim_proto::smtp::{ClientEvent, MailParams, RcptParams, Reply, SmtpJob};

/// The envelope parameters a queued message keeps (RFC 3461, RFC 6531, RFC 3030): MAIL
/// FROM's, and each recipient's NOTIFY and ORCPT.
#[derive(Debug, Clone, Default)]
pub(super) struct Envelope {
    pub params: MailParams,
    pub rcpts: Vec<(String, RcptParams)>,
}

impl Envelope {
    pub fn of(&self, rcpt: &str) -> RcptParams {
        self.rcpts.iter().find(|(a, _)| a.eq_ignore_ascii_case(rcpt)).map(|(_, p)| p.clone()).unwrap_or_default()
    }
}

/// A DSN to send after a queue run: (sender, MAIL parameters, arrival, original, lines).
type Report = (String, MailParams, Millis, Vec<u8>, Vec<Line>);

#[derive(Debug)]
pub(super) struct QueueEntry {
    id: String,
    mail_from: String,
    data: Vec<u8>,
    legs: Vec<Leg>,
    arrival: Millis,
    /// Delivery attempts that ended in a transient failure.
    deferrals: usize,
    failed: Vec<FailedRecipient>,
    delivered: Vec<String>,
    env: Envelope,
    /// A "delayed" DSN went out already (one per message is enough).
    delay_reported: bool,
}

#[derive(Debug)]
struct Leg {
    domain: String,
    rcpts: Vec<String>,
    state: LegState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LegState {
    Waiting,
    /// Asked DNS for the domain's MX records (query id).
    Resolving(u16),
    /// No MX records: asked for the domain's address instead (RFC 5321 §5.1).
    ResolvingA(u16),
    Sending,
    /// Waiting for the next attempt after a transient failure.
    Deferred,
    Done,
}

impl MailHost {
    /// Puts a message in the outgoing queue, one leg per destination domain.
    pub(super) fn enqueue(
        &mut self,
        ctx: &Ctx,
        qid: &str,
        mail_from: String,
        rcpt_to: Vec<String>,
        data: Vec<u8>,
        env: Envelope,
    ) {
        let mut legs: Vec<Leg> = Vec::new();
        for r in &rcpt_to {
            let domain = r.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_else(|| self.domain());
            match legs.iter_mut().find(|l| l.domain == domain) {
                Some(l) => l.rcpts.push(r.clone()),
                None => legs.push(Leg { domain, rcpts: vec![r.clone()], state: LegState::Waiting }),
            }
        }
        let subject = message::header(&data, "Subject").unwrap_or_default();
        let (t, node, size) = (ctx.now, self.id.clone(), data.len());
        let (queue_id, from) = (qid.to_string(), mail_from.clone());
        self.log(Event::MessageQueued { t, node, queue_id, mail_from: from, rcpt_to, size, subject });
        let entry = QueueEntry {
            id: qid.into(),
            mail_from,
            data,
            legs,
            arrival: ctx.now,
            deferrals: 0,
            failed: vec![],
            delivered: vec![],
            env,
            delay_reported: false,
        };
        self.queue.push(entry);
        // The queue manager picks new mail up after a short moment.
        self.wake_at(ctx.now, ctx.now + self.policy.queue_delay);
    }

    /// A queue run: local legs are delivered, the others are looked up in DNS (or handed to
    /// the relayhost); entries past their lifetime expire.
    pub fn run_queue(&mut self, ctx: &mut Ctx) {
        if self.run_at.is_some_and(|t| t <= ctx.now) {
            self.run_at = None;
        }
        let now = ctx.now;
        let own = self.domains.clone();
        let relayhost = self.policy.relayhost.clone();
        let lifetime = self.policy.queue_lifetime;
        let (mut queries, mut direct, mut expired, mut stored) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut reports: Vec<Report> = Vec::new();
        for entry in &mut self.queue {
            if entry.legs.iter().any(|l| l.state == LegState::Deferred) && now >= entry.arrival + lifetime {
                expired.push(entry.id.clone());
                continue;
            }
            for (li, leg) in entry.legs.iter_mut().enumerate() {
                if !matches!(leg.state, LegState::Waiting | LegState::Deferred) {
                    continue;
                }
                if own.contains(&leg.domain) {
                    // Local recipients: straight into their mailboxes.
                    let data = message::prepend_field(&format!("Return-Path: <{}>\r\n", entry.mail_from), &entry.data);
                    let mut lines = Vec::new();
                    // One copy per mailbox (the postmaster and the account it is an alias of).
                    let mut boxes: Vec<String> = Vec::new();
                    for r in &leg.rcpts {
                        // The postmaster's mail goes to the account it is an alias of (RFC 5321 §4.5.1).
                        let mailbox = super::mailbox_of(&own, &self.store, r);
                        let at = ctx.epoch + (now / 1000) as i64;
                        if boxes.contains(&mailbox) {
                            entry.delivered.push(r.clone());
                            lines.extend(success_line(r, entry.env.of(r), Action::Delivered, None));
                        } else if let Some(uid) = self.store.deliver_at(&mailbox, data.clone(), at, &[]) {
                            boxes.push(mailbox.clone());
                            stored.push((mailbox, uid, data.clone()));
                            entry.delivered.push(r.clone());
                            lines.extend(success_line(r, entry.env.of(r), Action::Delivered, None));
                        }
                    }
                    if !lines.is_empty() {
                        let (from, params) = (entry.mail_from.clone(), entry.env.params.clone());
                        reports.push((from, params, entry.arrival, entry.data.clone(), lines));
                    }
                    leg.state = LegState::Done;
                } else if let Some(host) = &relayhost {
                    leg.state = LegState::Sending;
                    direct.push((entry.id.clone(), li, host.clone()));
                } else {
                    let q = ctx.rng.below(65536) as u16;
                    leg.state = LegState::Resolving(q);
                    queries.push(DnsMessage::query(q, &leg.domain, dns::TYPE_MX));
                }
            }
        }
        for (mailbox, uid, data) in stored {
            self.mailbox_changed(&mailbox);
            self.log_stored(ctx, &mailbox, uid, data);
        }
        for (sender, params, arrival, original, lines) in reports {
            let about = super::dsn::About { sender: &sender, params: &params, arrival, original: &original };
            self.send_dsn(ctx, &about, lines);
        }
        let ids: Vec<String> = self.queue.iter().map(|e| e.id.clone()).collect();
        for id in expired {
            self.expire(ctx, &id);
        }
        for id in ids {
            self.maybe_remove_entry(ctx, &id);
        }
        for (qid, li, host) in direct {
            let if_unknown = ("5.4.4".to_string(), format!("relay host {host} not found"));
            self.relay(&qid, li, RelayTarget { ip: None, host: Some(host), if_unknown });
        }
        for query in queries {
            self.out.push_back(HostOutput::Resolve { query, state: "resolver: waiting for the answer".into() });
        }
        self.notify_imap(None);
    }

    /// Asks the driver to open a relay connection for leg `li` of entry `qid`.
    fn relay(&mut self, qid: &str, li: usize, target: RelayTarget) {
        let Some(entry) = self.queue.iter_mut().find(|e| e.id == qid) else { return };
        let leg = &mut entry.legs[li];
        leg.state = LegState::Sending;
        let job = SmtpJob {
            helo: self.hostname.clone(),
            mail_from: entry.mail_from.clone(),
            rcpt_to: leg.rcpts.clone(),
            message: entry.data.clone(),
            auth: None,
            starttls: self.policy.relay_starttls,
            pipelining: self.policy.relay_pipelining,
            params: entry.env.params.clone(),
            rcpt_params: leg.rcpts.iter().map(|r| entry.env.of(r)).collect(),
        };
        self.out.push_back(HostOutput::Relay { queue_id: qid.into(), leg: li, target, job });
    }

    fn find_leg(&self, pred: impl Fn(&LegState) -> bool) -> Option<(String, usize, String)> {
        self.queue.iter().find_map(|e| {
            e.legs.iter().position(|l| pred(&l.state)).map(|li| (e.id.clone(), li, e.legs[li].domain.clone()))
        })
    }

    /// An answer from DNS: to a recipient check, or to a queue run's MX or A query.
    pub fn on_dns_answer(&mut self, ctx: &mut Ctx, answer: DnsMessage) {
        let id = answer.id;
        if self.finish_rcpt_check(&answer) {
            return;
        }
        if let Some((qid, li, domain)) = self.find_leg(|s| *s == LegState::Resolving(id)) {
            if answer.rcode == 3 {
                let diag = format!(
                    "Host or domain name not found. Name service error for name={domain} type=MX: Host not found"
                );
                return self.fail_leg(ctx, &qid, li, "5.1.2", &diag);
            }
            let mut mx: Vec<(u16, String)> = answer
                .answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                    _ => None,
                })
                .collect();
            mx.sort();
            if mx.len() == 1 && matches!(mx[0].1.as_str(), "" | ".") {
                // RFC 7505 §4.3: a null MX says the domain takes no mail at all.
                let diag =
                    format!("556 5.1.10 Recipient address rejected: Domain {domain} does not accept mail (null MX)");
                return self.fail_leg(ctx, &qid, li, "5.1.10", &diag);
            }
            let Some((_, host)) = mx.first().cloned() else {
                // No MX records: the domain's own address is the implicit MX (RFC 5321 §5.1).
                let q = ctx.rng.below(65536) as u16;
                self.set_leg(&qid, li, LegState::ResolvingA(q));
                let query = DnsMessage::query(q, &domain, dns::TYPE_A);
                self.out
                    .push_back(HostOutput::Resolve { query, state: "resolver: no MX, asking for the A record".into() });
                return;
            };
            let glue = answer.additional.iter().find_map(|r| match r.data {
                RData::A(ip) if r.name.eq_ignore_ascii_case(&host) => Some(ip),
                _ => None,
            });
            let if_unknown = ("5.4.4".to_string(), format!("mail exchanger {host} has no address"));
            self.relay(&qid, li, RelayTarget { ip: glue, host: Some(host), if_unknown });
        } else if let Some((qid, li, domain)) = self.find_leg(|s| *s == LegState::ResolvingA(id)) {
            let ip = answer.answers.iter().find_map(|r| if let RData::A(ip) = r.data { Some(ip) } else { None });
            let diag = format!("Host or domain name not found: {domain} has neither MX nor A records");
            match ip {
                Some(ip) => {
                    self.relay(&qid, li, RelayTarget { ip: Some(ip), host: None, if_unknown: ("5.1.2".into(), diag) })
                }
                None => self.fail_leg(ctx, &qid, li, "5.1.2", &diag),
            }
        }
    }

    fn set_leg(&mut self, qid: &str, li: usize, state: LegState) {
        if let Some(e) = self.queue.iter_mut().find(|e| e.id == qid) {
            e.legs[li].state = state;
        }
    }

    /// How a relay connection for leg `li` of `qid` to `remote` ended (the SMTP client's
    /// final event).
    pub fn relay_outcome(&mut self, ctx: &mut Ctx, qid: &str, li: usize, remote: &str, event: ClientEvent) {
        match event {
            ClientEvent::Sent { rejected, accepted, dsn, .. } => {
                if !dsn {
                    // RFC 3461 §4.2: the next hop does not offer DSN, so it will never report
                    // success: this MTA says "relayed" to whoever asked for NOTIFY=SUCCESS.
                    self.report_relayed(ctx, qid, &accepted, remote);
                }
                // RFC 5321 §4.2.1, §4.5.4.1: a recipient refused with 4yz (a full mailbox, too
                // many recipients, greylisting) stays queued for the next attempt; only 5yz fails.
                let (later, refused): (Vec<_>, Vec<_>) =
                    rejected.iter().partition(|(_, why)| why.is_transient_failure());
                let failed = refused.iter().map(|(r, why)| failure(r, remote, why)).collect();
                if later.is_empty() {
                    self.finish_leg(ctx, qid, li, accepted, failed);
                } else {
                    let (r, why) = later[0];
                    let reason = format!("host {remote} said about <{r}>: {} {}", why.code, why.text());
                    if let Some(e) = self.queue.iter_mut().find(|e| e.id == qid) {
                        e.delivered.extend(accepted);
                        e.legs[li].rcpts.retain(|x| later.iter().any(|(l, _)| l == x));
                    }
                    self.defer_leg(ctx, qid, li, &reason, failed);
                }
            }
            ClientEvent::Failed { reply, permanent, rejected } => {
                let why = format!("host {remote} said: {} {}", reply.code, reply.text());
                let mut failed: Vec<FailedRecipient> = rejected
                    .iter()
                    .filter(|(_, r)| r.is_permanent_failure())
                    .map(|(r, why)| failure(r, remote, why))
                    .collect();
                if permanent {
                    for r in self.leg_rcpts(qid, li) {
                        if !failed.iter().any(|f| f.address == r) {
                            failed.push(failure(&r, remote, &reply));
                        }
                    }
                    self.finish_leg(ctx, qid, li, vec![], failed);
                } else {
                    self.defer_leg(ctx, qid, li, &why, failed);
                }
            }
            ClientEvent::TlsStarted | ClientEvent::Closed => {}
        }
    }

    /// The relay connection could not be made (refused, timed out): try again later.
    pub fn relay_deferred(&mut self, ctx: &mut Ctx, qid: &str, li: usize, why: &str) {
        self.defer_leg(ctx, qid, li, why, vec![]);
    }

    /// The relay target does not exist: the leg fails with `status` and `diagnostic`.
    pub fn relay_failed(&mut self, ctx: &mut Ctx, qid: &str, li: usize, status: &str, diagnostic: &str) {
        self.fail_leg(ctx, qid, li, status, diagnostic);
    }

    fn leg_rcpts(&self, qid: &str, li: usize) -> Vec<String> {
        self.queue.iter().find(|e| e.id == qid).map(|e| e.legs[li].rcpts.clone()).unwrap_or_default()
    }

    /// A leg ended: `delivered` got it, `failed` will be in the bounce.
    fn finish_leg(
        &mut self,
        ctx: &mut Ctx,
        qid: &str,
        li: usize,
        delivered: Vec<String>,
        failed: Vec<FailedRecipient>,
    ) {
        if let Some(e) = self.queue.iter_mut().find(|e| e.id == qid) {
            e.legs[li].state = LegState::Done;
            e.delivered.extend(delivered);
            e.failed.extend(failed);
        }
        self.maybe_remove_entry(ctx, qid);
    }

    fn fail_leg(&mut self, ctx: &mut Ctx, qid: &str, li: usize, status: &str, diagnostic: &str) {
        let failed = self
            .leg_rcpts(qid, li)
            .iter()
            .map(|r| FailedRecipient {
                address: r.clone(),
                status: status.into(),
                remote: None,
                diagnostic: diagnostic.into(),
            })
            .collect();
        self.finish_leg(ctx, qid, li, vec![], failed);
    }

    /// A transient failure: the leg waits for the next attempt, with a growing delay
    /// (RFC 5321 §4.5.4.1 asks for at least 30 minutes; scenarios use shorter, stated delays).
    fn defer_leg(&mut self, ctx: &mut Ctx, qid: &str, li: usize, reason: &str, permanent: Vec<FailedRecipient>) {
        let now = ctx.now;
        let delays = self.policy.retry_delays.clone();
        let Some(e) = self.queue.iter_mut().find(|e| e.id == qid) else { return };
        let l = &mut e.legs[li];
        l.rcpts.retain(|r| !permanent.iter().any(|f| &f.address == r));
        l.state = if l.rcpts.is_empty() { LegState::Done } else { LegState::Deferred };
        e.failed.extend(permanent);
        let delay = delays.get(e.deferrals).or(delays.last()).copied().unwrap_or(5 * 60_000);
        e.deferrals += 1;
        let retry_at = now + delay;
        // NOTIFY=DELAY (RFC 3461 §4.1): one "delayed" report per message, at the first delay.
        let mut delayed = Vec::new();
        if !e.delay_reported && !e.mail_from.is_empty() {
            for r in &e.legs[li].rcpts {
                let params = e.env.of(r);
                if params.wants_delay() {
                    let diagnostic = Some(reason.to_string());
                    let status = "4.0.0".to_string();
                    delayed.push(Line {
                        address: r.clone(),
                        params,
                        action: Action::Delayed,
                        status,
                        remote: None,
                        diagnostic,
                    });
                }
            }
        }
        let about_delay = (!delayed.is_empty()).then(|| {
            e.delay_reported = true;
            (e.mail_from.clone(), e.env.params.clone(), e.arrival, e.data.clone())
        });
        let (node, queue_id) = (self.id.clone(), qid.to_string());
        self.log(Event::MessageDeferred { t: now, node, queue_id, reason: reason.into(), retry_at });
        if let Some((sender, params, arrival, original)) = about_delay {
            let about = super::dsn::About { sender: &sender, params: &params, arrival, original: &original };
            self.send_dsn(ctx, &about, delayed);
        }
        self.wake_at(now, retry_at);
        self.maybe_remove_entry(ctx, qid);
    }

    /// The queue lifetime ran out: every leg still waiting fails (4.4.7).
    fn expire(&mut self, ctx: &mut Ctx, qid: &str) {
        let Some(e) = self.queue.iter_mut().find(|e| e.id == qid) else { return };
        for l in e.legs.iter_mut().filter(|l| l.state == LegState::Deferred) {
            for r in &l.rcpts {
                e.failed.push(FailedRecipient {
                    address: r.clone(),
                    status: "4.4.7".into(),
                    remote: None,
                    diagnostic: "delivery time expired: the message stayed in the queue too long".into(),
                });
            }
            l.state = LegState::Done;
        }
        self.maybe_remove_entry(ctx, qid);
    }

    fn maybe_remove_entry(&mut self, ctx: &mut Ctx, id: &str) {
        if self.queue.iter().any(|e| e.id == id && e.legs.iter().all(|l| l.state == LegState::Done)) {
            self.remove_entry(ctx, id);
        }
    }

    /// The entry is finished: log it, and bounce what failed to the sender (RFC 3464), unless
    /// the sender is the null sender (a bounce never bounces, RFC 5321 §4.5.5).
    fn remove_entry(&mut self, ctx: &mut Ctx, id: &str) {
        let Some(pos) = self.queue.iter().position(|e| e.id == id) else { return };
        let e = self.queue.remove(pos);
        let mut parts = Vec::new();
        if !e.delivered.is_empty() {
            let to: Vec<String> = e.delivered.iter().map(|r| format!("<{r}>")).collect();
            parts.push(format!("delivered to {}", to.join(", ")));
        }
        for f in &e.failed {
            parts.push(format!("<{}> failed: {}", f.address, f.diagnostic));
        }
        let (node, queue_id) = (self.id.clone(), e.id.clone());
        self.log(Event::QueueEntryRemoved { t: ctx.now, node, queue_id, outcome: parts.join("; ") });
        // RFC 3461 §4.1: a recipient with NOTIFY=NEVER (or without FAILURE) gets no bounce.
        let lines: Vec<Line> = e
            .failed
            .iter()
            .map(|f| (f, e.env.of(&f.address)))
            .filter(|(_, p)| p.wants_failure())
            .map(|(f, params)| Line {
                address: f.address.clone(),
                params,
                action: Action::Failed,
                status: f.status.clone(),
                remote: f.remote.clone(),
                diagnostic: Some(f.diagnostic.clone()),
            })
            .collect();
        let about =
            super::dsn::About { sender: &e.mail_from, params: &e.env.params, arrival: e.arrival, original: &e.data };
        self.send_dsn(ctx, &about, lines);
    }

    /// "relayed" reports for the `accepted` recipients of `qid` that asked for NOTIFY=SUCCESS.
    fn report_relayed(&mut self, ctx: &mut Ctx, qid: &str, accepted: &[String], remote: &str) {
        let Some(e) = self.queue.iter().find(|e| e.id == qid) else { return };
        let lines: Vec<Line> = accepted
            .iter()
            .filter_map(|r| success_line(r, e.env.of(r), Action::Relayed, Some(remote.to_string())))
            .collect();
        if lines.is_empty() {
            return;
        }
        let (sender, params, arrival, original) =
            (e.mail_from.clone(), e.env.params.clone(), e.arrival, e.data.clone());
        let about = super::dsn::About { sender: &sender, params: &params, arrival, original: &original };
        self.send_dsn(ctx, &about, lines);
    }
}

/// The report line for a recipient that asked for NOTIFY=SUCCESS (else none).
pub(super) fn success_line(rcpt: &str, params: RcptParams, action: Action, remote: Option<String>) -> Option<Line> {
    if !params.wants_success() {
        return None;
    }
    let diagnostic =
        remote.as_ref().map(|r| format!("relayed to {r}, which does not offer DSN (RFC 3461 section 4.2)"));
    Some(Line { address: rcpt.to_string(), params, action, status: "2.0.0".into(), remote, diagnostic })
}

fn failure(rcpt: &str, remote: &str, reply: &Reply) -> FailedRecipient {
    let status = reply
        .lines
        .first()
        .and_then(|l| l.split(' ').next())
        .filter(|s| s.len() >= 5 && s.as_bytes()[1] == b'.')
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}.0.0", reply.code / 100));
    let diagnostic = format!("host {remote} said: {} {}", reply.code, reply.text());
    FailedRecipient { address: rcpt.into(), status, remote: Some(remote.into()), diagnostic }
}
