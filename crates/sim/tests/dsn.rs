//! Delivery status notifications (RFC 3461 parameters, RFC 3464 reports) from the mail host,
//! driven sans-IO as `mailsim serve` drives it; every report is read back with an
//! independent MIME parser (mail-parser).

use mail_parser::{MessageParser, MimeHeaders, PartType};
use mailsim_proto::smtp::{ClientEvent, Reply};
use mailsim_sim::host::{Ctx, HostOutput, MailHost, ServerPolicy};
use mailsim_sim::log::Event;
use mailsim_sim::rng::Rng;

struct Driver {
    host: MailHost,
    rng: Rng,
    now: u64,
    log: Vec<Event>,
}

impl Driver {
    fn new() -> Self {
        let policy = ServerPolicy {
            tls: false,
            queue_delay: 0,
            trusted_ips: vec!["192.0.2.1".into()],
            ..ServerPolicy::default()
        };
        let host = MailHost::new("server", "mail.bob.example", &["bob.example"], &[("bob@bob.example", "pw")], policy);
        Driver { host, rng: Rng::new(7), now: 0, log: vec![] }
    }

    fn call<R>(&mut self, f: impl FnOnce(&mut MailHost, &mut Ctx) -> R) -> R {
        let mut ctx = Ctx { now: self.now, epoch: 1_789_376_400, rng: &mut self.rng };
        let r = f(&mut self.host, &mut ctx);
        while let Some(o) = self.host.poll_output() {
            if let HostOutput::Log(e) = o {
                self.log.push(e);
            }
        }
        r
    }

    fn pump(&mut self, sid: u32) {
        loop {
            let mut any = false;
            while self.host.poll_transmit(sid).is_some() {
                any = true;
            }
            any |= self.call(|h, ctx| h.drive(ctx, sid));
            self.run_queue();
            if !any {
                break;
            }
        }
    }

    fn run_queue(&mut self) {
        if self.host.poll_timeout().is_some_and(|t| t <= self.now) {
            self.call(|h, ctx| h.run_queue(ctx));
        }
    }

    /// Submits one message on port 587 from a trusted address; returns its queue id.
    fn submit(&mut self, mail: &str, rcpts: &[&str]) -> String {
        let sid = self.log.len() as u32 + 100;
        self.call(|h, ctx| h.accept(ctx, sid, 587, "192.0.2.1"));
        self.pump(sid);
        let mut lines = vec!["EHLO client.example".to_string(), mail.to_string()];
        lines.extend(rcpts.iter().map(|r| r.to_string()));
        lines.push("DATA".into());
        for l in lines {
            self.now += 10;
            self.host.handle_input(self.now, sid, format!("{l}\r\n").as_bytes());
            self.pump(sid);
        }
        self.now += 10;
        self.host.handle_input(
            self.now,
            sid,
            b"Subject: report me\r\nFrom: bob@bob.example\r\n\r\nthe body\r\n.\r\nQUIT\r\n",
        );
        self.pump(sid);
        self.log
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::MessageQueued { queue_id, mail_from, .. } if !mail_from.is_empty() => Some(queue_id.clone()),
                _ => None,
            })
            .expect("queued")
    }

    /// Lets the queue deliver what it holds for local mailboxes.
    fn settle(&mut self) {
        for _ in 0..5 {
            self.now += 1000;
            self.run_queue();
        }
    }

    /// Every message stored for bob (the sender, who gets the reports).
    fn reports(&self) -> Vec<Vec<u8>> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Event::MessageStored { mailbox, raw, .. } if mailbox == "bob@bob.example" => Some(raw.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The report's parts as (content type, text), after checking it is a delivery-status report.
fn parts(raw: &[u8]) -> Vec<(String, String)> {
    let m = MessageParser::default().parse(raw).expect("parses");
    let ct = m.content_type().expect("content type");
    assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
    assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    let mut out = Vec::new();
    for p in m.parts.iter().skip(1) {
        let ct = p.content_type().map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))).unwrap_or_default();
        let text = match &p.body {
            PartType::Text(t) => t.to_string(),
            PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
            _ => String::from_utf8_lossy(&raw[p.offset_body as usize..p.offset_end as usize]).into_owned(),
        };
        out.push((ct, text));
    }
    out
}

#[test]
fn a_bounce_carries_envid_and_orcpt_and_only_the_header_for_ret_hdrs() {
    let mut d = Driver::new();
    let qid = d.submit(
        "MAIL FROM:<bob@bob.example> RET=HDRS ENVID=env+2B42",
        &["RCPT TO:<x@far.example> NOTIFY=FAILURE ORCPT=rfc822;X+2Btag@far.example"],
    );
    d.call(|h, ctx| h.relay_failed(ctx, &qid, 0, "5.1.2", "Host or domain name not found"));
    d.settle();
    let reports = d.reports();
    assert_eq!(reports.len(), 1);
    let p = parts(&reports[0]);
    assert_eq!(p[0].0, "text/plain");
    assert_eq!(p[1].0, "message/delivery-status");
    for field in [
        "Reporting-MTA: dns; mail.bob.example",
        "Original-Envelope-Id: env+42",
        "Original-Recipient: rfc822; X+tag@far.example",
        "Final-Recipient: rfc822; x@far.example",
        "Action: failed",
        "Status: 5.1.2",
        "Diagnostic-Code: smtp; Host or domain name not found",
    ] {
        assert!(p[1].1.contains(field), "{field} in {}", p[1].1);
    }
    assert_eq!(p[2].0, "text/rfc822-headers");
    assert!(p[2].1.contains("Subject: report me"));
    assert!(!String::from_utf8_lossy(&reports[0]).contains("the body"), "RET=HDRS: no body");
}

#[test]
fn ret_full_returns_the_whole_message_and_notify_never_suppresses_the_bounce() {
    let mut d = Driver::new();
    let qid = d.submit(
        "MAIL FROM:<bob@bob.example> RET=FULL",
        &["RCPT TO:<x@far.example>", "RCPT TO:<y@far.example> NOTIFY=NEVER"],
    );
    d.call(|h, ctx| h.relay_failed(ctx, &qid, 0, "5.4.4", "nobody there"));
    d.settle();
    let reports = d.reports();
    assert_eq!(reports.len(), 1, "one bounce, for x only");
    let p = parts(&reports[0]);
    assert!(p[1].1.contains("Final-Recipient: rfc822; x@far.example"));
    assert!(!p[1].1.contains("y@far.example"), "NOTIFY=NEVER: y is not reported");
    assert_eq!(p[2].0, "message/rfc822");
    assert!(p[2].1.contains("the body"));
    // Only NEVER recipients: no bounce at all.
    let mut d = Driver::new();
    let qid = d.submit("MAIL FROM:<bob@bob.example>", &["RCPT TO:<y@far.example> NOTIFY=NEVER"]);
    d.call(|h, ctx| h.relay_failed(ctx, &qid, 0, "5.4.4", "nobody there"));
    d.settle();
    assert!(d.reports().is_empty());
    assert!(d.log.iter().any(|e| matches!(e, Event::QueueEntryRemoved { outcome, .. } if outcome.contains("failed"))));
}

#[test]
fn success_is_reported_delivered_locally_and_relayed_to_a_next_hop_without_dsn() {
    // Local: delivered.
    let mut d = Driver::new();
    d.submit("MAIL FROM:<bob@bob.example>", &["RCPT TO:<bob@bob.example> NOTIFY=SUCCESS"]);
    d.settle();
    let reports = d.reports();
    assert_eq!(reports.len(), 2, "the message itself, then the report");
    let p = parts(&reports[1]);
    assert!(p[1].1.contains("Action: delivered\r\nStatus: 2.0.0"), "{}", p[1].1);
    // Relayed to a server without DSN: "relayed" (RFC 3461 §4.2); with DSN: nothing from here.
    for (dsn, want) in [(false, 1), (true, 0)] {
        let mut d = Driver::new();
        let qid = d.submit("MAIL FROM:<bob@bob.example>", &["RCPT TO:<x@far.example> NOTIFY=SUCCESS,FAILURE"]);
        let sent = ClientEvent::Sent {
            accepted: vec!["x@far.example".into()],
            rejected: vec![],
            reply: Reply::enhanced(250, "2.0.0", "ok"),
            dsn,
        };
        d.call(|h, ctx| h.relay_outcome(ctx, &qid, 0, "mx.far.example", sent));
        d.settle();
        let reports = d.reports();
        assert_eq!(reports.len(), want, "dsn={dsn}");
        if want == 1 {
            let p = parts(&reports[0]);
            assert!(p[1].1.contains("Action: relayed\r\nStatus: 2.0.0\r\nRemote-MTA: dns; mx.far.example"));
            // message/delivery-status is 7-bit text (RFC 3464 section 2): its diagnostic cites
            // the RFC as "section", not with a UTF-8 '§'.
            assert!(p[1].1.contains("Diagnostic-Code: smtp; relayed to mx.far.example"), "{}", p[1].1);
            assert!(reports[0].is_ascii(), "{}", String::from_utf8_lossy(&reports[0]));
        }
    }
}

#[test]
fn notify_delay_gives_one_delayed_report() {
    let mut d = Driver::new();
    let qid = d.submit("MAIL FROM:<bob@bob.example>", &["RCPT TO:<x@far.example> NOTIFY=DELAY,FAILURE"]);
    d.call(|h, ctx| h.relay_deferred(ctx, &qid, 0, "connection refused"));
    d.call(|h, ctx| h.relay_deferred(ctx, &qid, 0, "connection refused again"));
    d.settle();
    let reports = d.reports();
    assert_eq!(reports.len(), 1, "one delayed report, not one per retry");
    let p = parts(&reports[0]);
    assert!(p[1].1.contains("Action: delayed\r\nStatus: 4.0.0"), "{}", p[1].1);
    // Without DELAY (the default), a delay is not reported.
    let mut d = Driver::new();
    let qid = d.submit("MAIL FROM:<bob@bob.example>", &["RCPT TO:<x@far.example>"]);
    d.call(|h, ctx| h.relay_deferred(ctx, &qid, 0, "connection refused"));
    d.settle();
    assert!(d.reports().is_empty());
}

#[test]
fn the_dsn_scenario_gives_alice_a_delivered_report_and_a_bounce_but_none_for_ghost() {
    let log = mailsim_sim::scenario::run("dsn").unwrap();
    let reports: Vec<Vec<u8>> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageStored { mailbox, raw, .. } if mailbox == "alice@alice.example" => Some(raw.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 2);
    let status: Vec<String> = reports.iter().map(|r| parts(r)[1].1.clone()).collect();
    assert!(status.iter().any(|s| s.contains("Original-Recipient: rfc822; Nobody@bob.example")
        && s.contains("Action: failed")
        && s.contains("Original-Envelope-Id: QQ314159")));
    assert!(status.iter().any(|s| s.contains("Final-Recipient: rfc822; bob@bob.example\r\nAction: delivered")));
    assert!(status.iter().all(|s| !s.contains("ghost")), "NOTIFY=NEVER");
    assert!(reports.iter().all(|r| !String::from_utf8_lossy(r).contains("Please confirm")), "RET=HDRS");
}
