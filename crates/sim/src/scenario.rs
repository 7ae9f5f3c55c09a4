//! The scenarios the playground offers: each builds a world, schedules what the people in
//! it do, and runs it to an [`EventLog`]. Same id, same log, on every platform.
//!
//! To add one: an entry in [`SCENARIOS`] (what it teaches, in a paragraph), an arm in
//! [`run`], and its golden log (`BLESS=1 cargo test -p mailsim-sim`).

use crate::actions::{Action, Fault, ReadMode, SubmitMode};
use crate::log::{Event, EventLog, Millis};
use crate::world::{ServerPolicy, Submission, Task, UserSpec, World};
use mailsim_proto::dns::{RData, Record};
use mailsim_proto::message::{self, Attachment, Draft, Person};

/// A real PNG file: one pixel, 67 bytes.
const TINY_PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What the scenario picker shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub topic: &'static str,
    /// One line, for `mailsim run --list`.
    pub summary: &'static str,
    /// One paragraph: what it teaches.
    pub description: &'static str,
}

const fn info(
    id: &'static str,
    topic: &'static str,
    title: &'static str,
    summary: &'static str,
    description: &'static str,
) -> ScenarioInfo {
    ScenarioInfo { id, title, topic, summary, description }
}

pub const SCENARIOS: &[ScenarioInfo] = &[
    info("playground", "Your own", "Your own mail: compose, type, break things",
        "An empty world: write messages, type commands, take servers down",
        "Nothing happens here until you act. Compose a message as Alice or Bob and choose how it is submitted and how it is read; \
         open a terminal to any server and port and type SMTP, POP3 or IMAP yourself; take a server down, turn greylisting on or \
         fill a mailbox, and see what the protocols do about it. What you do is kept in this browser until you press Reset."),
    info("alice-to-bob", "Basics", "Alice sends Bob an e-mail",
        "Submission (SMTP :587), MX lookup, relay (SMTP :25), retrieval (POP3 :110)",
        "The lectures' walk-through. Alice's user agent submits her message to her own mail server over SMTP on port 587 \
         (from the office network, which the server trusts); the server queues it, asks DNS for the MX record of bob.example, and relays it \
         over SMTP on port 25 to Bob's server, which stores it in Bob's mailbox. Later Bob's user agent downloads it over POP3 and \
         deletes it from the server, which happens only when the session ends with QUIT. Watch the three phases of each SMTP dialog \
         (handshake, transfer, closure), the envelope (MAIL FROM, RCPT TO) next to the message's own header fields, and the Received: \
         lines each server adds."),
    info("cc-and-bcc", "Envelope and header", "To, Cc and Bcc: the envelope decides",
        "Three RCPT TO for one message; Bcc appears in no header",
        "Alice writes to Bob, copies Carol (Cc) and blind-copies Dave (Bcc), all at bob.example. Her user agent gives the server one \
         RCPT TO per recipient, and Alice's server relays the message once with three RCPT TO lines. The message's header has To: and \
         Cc: but no Bcc: field, so neither Bob nor Carol can see that Dave got it; yet Dave's mailbox holds the same message. \
         SMTP delivers to the envelope, never to the header."),
    info("spoofed-from", "Envelope and header", "A forged From: line",
        "MAIL FROM and From: disagree; port 25 accepts mail for its users from anyone",
        "Mallory connects straight to Bob's server on port 25 and sends a message whose From: header says it comes from Alice, \
         while the envelope (MAIL FROM) names Mallory. Bob's server accepts it: on port 25 it must take mail for its own users from \
         any server on the Internet, and SMTP itself checks neither the envelope nor the header. Compare the MAIL FROM line with the \
         From: field in Bob's mailbox. SPF, DKIM and DMARC (not modelled here) were invented to catch exactly this."),
    info("unknown-user", "Failures", "Unknown user: the message bounces",
        "550 5.1.1 at RCPT TO, a delivery status notification back to Alice",
        "Alice mistypes Bob's address as nobody@bob.example. Bob's server refuses the recipient with 550 5.1.1, a permanent failure, \
         so Alice's server gives up on it and writes a bounce: a delivery status notification (RFC 3464, a multipart/report message) \
         sent with the null sender <> so that it can never bounce itself. Two minutes later Alice's user agent downloads the bounce \
         over POP3."),
    info("greylisting", "Failures", "Greylisting: try again later",
        "450 4.2.0, the message waits in the queue, the retry gets through",
        "Bob's server greylists: the first time it sees a (client, sender, recipient) triple it answers 450 4.2.0, a transient failure. \
         Alice's server keeps the message in its queue and tries again five minutes later; now Bob's server accepts it. Spam programs \
         that never retry are left out, real mail servers only lose a few minutes. Watch the queue between the two attempts."),
    info("server-down", "Failures", "Bob's server is down",
        "Connection refused, queued, retried with a growing delay, delivered",
        "Bob's server has crashed when Alice sends her message. Alice's server finds the MX record but the connection to port 25 is \
         refused, so the message stays in the queue, deferred. Bob's server comes back after three minutes; the next attempt, five \
         minutes after the first, delivers the message. Store-and-forward at work: the sender never noticed."),
    info("too-big", "Failures", "Message too big",
        "SIZE=n in MAIL FROM, 552 5.3.4 before any data is sent, a bounce",
        "Alice sends a long report to Bob. Bob's server advertises SIZE 16384 in its EHLO reply, and Alice's server announces the \
         message's size in MAIL FROM (RFC 1870). Bob's server refuses at once with 552 5.3.4, before a single byte of the message is \
         sent, and Alice gets a bounce."),
    info("relay-denied", "Security", "Relay access denied",
        "Mallory tries to use Bob's server as an open relay: 554 5.7.1",
        "Mallory connects to Bob's server on port 25 and asks it to deliver mail to carol@carol.example, a domain that is not Bob's \
         server's. A server that relayed for anyone (an open relay) would be abused by spammers within hours, so Bob's server refuses \
         with 554 5.7.1 Relay access denied and Mallory gives up."),
    info("starttls-auth", "Security", "Submission with STARTTLS and AUTH",
        "Alice on the road: EHLO, STARTTLS, EHLO again, AUTH PLAIN, then the message",
        "Alice sends from a café, a network her server does not trust, so the submission port wants her to log in, and only inside \
         TLS. Her user agent sees STARTTLS in the first EHLO reply, upgrades the connection, greets again (the first EHLO is \
         forgotten), sees AUTH offered now, and logs in with AUTH PLAIN. Everything after the 220 to STARTTLS was ciphertext on the \
         wire: turn on \"show decrypted\" to read it, and notice that the password is only base64-encoded."),
    info("implicit-tls", "Security", "Submission over implicit TLS (port 465)",
        "TLS from the first byte on port 465, then AUTH and the message",
        "The same submission as with STARTTLS, but on port 465, where TLS starts before any SMTP is spoken (RFC 8314 prefers this). \
         Every byte of the session is ciphertext on the wire, the greeting included; no STARTTLS step is needed."),
    info("auth-failure", "Security", "Wrong password",
        "AUTH PLAIN answered 535 5.7.8: nothing is sent",
        "Alice, on the road, types her password wrong. After STARTTLS her user agent logs in with AUTH PLAIN and the server answers \
         535 5.7.8 Authentication credentials invalid; the user agent quits and shows her the error, and no message is sent."),
    info("two-hops", "Routing", "Through an outgoing relay",
        "Alice's server hands mail to her provider's outbound relay, which finds the MX",
        "Alice's provider sends all outgoing mail through one outbound relay (a smarthost). Alice's server hands her message to \
         relay.alice.example on port 25; the relay trusts Alice's server, queues the message, asks DNS for bob.example's MX and \
         delivers it. Every server on the way adds its own Received: line at the top: read them bottom-up in Bob's mailbox to trace \
         the message's path."),
    info("null-mx", "Routing", "A domain that takes no mail (null MX)",
        "MX 0 . (RFC 7505): Alice's server bounces at once with 556 5.1.10",
        "Alice writes to info@nomail.example. That domain publishes a null MX record (preference 0, exchange \".\") to say that it \
         accepts no mail at all. Alice's server learns this from DNS and bounces the message at once, without trying to connect \
         anywhere."),
    info("no-mx", "Routing", "No MX record: the A record is used",
        "MX query empty, A query answered: the domain's own host is the mail server",
        "Alice writes to someone at old.example, a domain that publishes no MX record. RFC 5321 §5.1 says to treat the domain's own \
         address record as an implicit MX with preference 0, so Alice's server asks DNS for the A record of old.example and delivers \
         there."),
    info("attachment", "Message format", "A message with an attachment",
        "MIME: multipart/mixed with text, HTML and a base64-encoded picture",
        "Alice sends Bob a picture. SMTP carries only lines of text, so her user agent builds a MIME message (RFC 2045-2049): \
         a multipart/mixed body whose first part is a multipart/alternative (the text and an HTML version of it) and whose second \
         part is the picture, encoded in base64. Open the message in Bob's mailbox to see the MIME tree and the decoded parts; the \
         HTML part is shown as its source text, never rendered."),
    info("reply-codes", "SMTP replies", "Every reply code, typed by hand",
        "telnet-style sessions to five servers: 211 214 220 221 235 250 251 252 334 354 421 432 451 452 454 455 500-504 521 523 530 534 535 550 551 554 556",
        "Like the lecture's SMTP demo, Alice opens terminal sessions and types SMTP herself. On Bob's server (port 25) she asks for \
         help and status (214, 211), gets 252 for VRFY, makes the four kinds of protocol error (500 unknown command, 501 bad syntax, \
         502 not implemented, 503 bad sequence), and meets 550 (no such user), 554 (relay denied), 551 and 251 (moved users). On her \
         own submission port she is refused without AUTH (530), sees STARTTLS fail for now (454), tries an unknown mechanism (504), a \
         weak one (534), a wrong password (535), an account that must change its password (432), then logs in through a 334 \
         challenge (235) and has recipients checked in DNS (556 null MX, 550 no such domain). A host that takes no mail answers 521; \
         old.example is short of disk (455, 452, 451); the outbound relay wants TLS (523); and a flood of garbage ends in 421. \
         Meanwhile the copy Bob's server forwards to old.example is refused again and again (455) until it has been queued for an \
         hour: then it expires (4.4.7) and a bounce goes back to Alice. Greylisting (450), SIZE (552) and the other codes appear in \
         their own scenarios."),
    info("imap-session", "Reading mail", "The lecture's IMAP session",
        "STARTTLS, AUTHENTICATE SCRAM-SHA-256, ENABLE, SELECT, FETCH FULL, FETCH BODY[HEADER], STORE +FLAGS \\Deleted, LOGOUT",
        "The IMAP4rev2 example from the lecture, command for command, against Bob's server with 18 messages in his INBOX. Bob's mail \
         program upgrades to TLS, then logs in with SCRAM-SHA-256: client and server each prove that they know the password, computed \
         for real with PBKDF2, HMAC and SHA-256, and the password itself never crosses the network. It enables IMAP4rev2, selects the \
         INBOX (18 EXISTS, the flags, UIDVALIDITY), fetches message 12's FULL data (flags, date, size, ENVELOPE, BODY structure) \
         without downloading it, then only its header, and marks it \\Deleted. Unlike POP3, everything stays on the server, with its \
         state: watch the flags change in Bob's mailbox."),
    info("pop3-session", "Reading mail", "The lecture's POP3 session",
        "list, retr of a message with lines starting with \".\", dele, quit",
        "The POP3 example from the lecture, typed by hand: Bob logs in with USER and PASS (in the clear: this is why POP3 runs over TLS \
         in practice), asks for the scan listing, retrieves message 1, whose body has lines starting with a dot (sent byte-stuffed with \
         a second dot), marks it deleted and quits. Only at QUIT does the server enter the UPDATE state and really remove the message: \
         watch Bob's mailbox."),
    info("two-devices", "Reading mail", "Two devices: POP3 versus IMAP",
        "POP3 download-and-delete leaves the phone nothing; with IMAP the phone in IDLE hears at once that the laptop read a message",
        "Why people moved to IMAP. Bob's laptop fetches his mail with POP3 in download-and-delete mode; when his phone checks a minute \
         later, the maildrop is empty: the mail now lives on the laptop only. Then Alice writes again, and this time both devices use \
         IMAP. The phone logs in (SCRAM-SHA-256), selects the INBOX and waits in IDLE. The laptop reads the new message, which sets \
         \\Seen on the server, and the idling phone is told at once with an untagged FETCH: the state lives on the server, shared by \
         every device."),
    info("headers-only", "Reading mail", "Headers only: POP3 TOP versus IMAP FETCH",
        "TOP 1 0 and FETCH BODY.PEEK[HEADER]: read the header without downloading the attachment",
        "Bob's mailbox holds a message with a picture attached. To show a list of mails a client needs only the headers. With POP3 \
         that is TOP 1 0 (the header and zero body lines); with IMAP it is FETCH with RFC822.SIZE and BODY.PEEK[HEADER], which also \
         leaves the \\Seen flag alone. Compare the sizes of the answers with the size of the whole message."),
    info("webmail", "Web-based e-mail", "Webmail: HTTP at both ends, SMTP in the middle",
        "Alice's browser POSTs to her webmail, which submits over SMTP; Bob's webmail reads over IMAP and answers his GETs",
        "Web-based e-mail, as both lectures end. Alice logs in to her provider's webmail in her browser and sends a message: her \
         browser only speaks HTTP (a login form, a session cookie, a POST with the message). The webmail front end then submits the \
         message over SMTP to its own mail server, which relays it over SMTP to Bob's server exactly as before. Bob reads his mail \
         in his browser with HTTP GET requests; his provider's front end fetches it over IMAP from its mail server. The point: \
         between providers, the protocol is still SMTP."),
    info("smtp-vs-http", "Web-based e-mail", "SMTP next to HTTP",
        "HTTP/1.0 (a connection per object), persistent HTTP/1.1, and SMTP sending three messages on one connection",
        "The comparison from the lecture. A browser fetches a page and its two objects with HTTP/1.0, one TCP connection per object, \
         then again with HTTP/1.1 over one persistent connection. Next to it a mail server pushes three messages to another over one \
         SMTP connection. HTTP pulls, SMTP pushes; SMTP has always used one persistent connection for many messages; SMTP content must \
         be 7-bit ASCII lines (a PNG needs base64), HTTP carries any bytes; both are command/response protocols with human-readable \
         commands and status codes; both are stateless across sessions (webmail needs a cookie to remember you)."),
    info("organizing", "Reading mail", "Organizing mail on the server (IMAP)",
        "CREATE a folder, SEARCH on the server, MOVE the results, LIST and STATUS",
        "IMAP keeps mail organized on the server, where every device sees it. Bob creates a folder Projects, asks the server to \
         search his INBOX for messages from Alice (only the numbers come back, nothing is downloaded), moves them into Projects with \
         MOVE, lists his folders (Sent and Trash carry special-use attributes) and asks for the new folder's STATUS. Watch the \
         untagged EXPUNGE responses as the moved messages leave the INBOX."),
    info("pipelining", "SMTP extensions", "Pipelining (RFC 2920)",
        "MAIL, RCPT and DATA sent together, replies read in order",
        "Alice writes to Bob and Carol. Alice's server relays with PIPELINING, which Bob's server advertises: it sends MAIL FROM, both \
         RCPT TO and DATA in one go, without waiting, and then reads the four replies in order. On a slow link this saves three round \
         trips. Compare the timing with Alice sends Bob an e-mail."),
];

/// Unix time at the start of every scenario: Monday 14 September 2026, 09:00:00 UTC.
pub const EPOCH: i64 = 1_789_376_400;

pub fn info_of(id: &str) -> Option<&'static ScenarioInfo> {
    SCENARIOS.iter().find(|s| s.id == id)
}

/// Runs the scenario `id`; `None` if there is no such scenario.
pub fn run(id: &str) -> Option<EventLog> {
    run_with(id, &[])
}

/// Runs the scenario `id` with what a learner added (composed mail, terminal lines, faults).
pub fn run_with(id: &str, actions: &[Action]) -> Option<EventLog> {
    let info = info_of(id)?;
    let mut s = Stage::new(info.id);
    match info.id {
        "alice-to-bob" => {
            s.build(Cast::default());
            let d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            s.alice_sends(0, d, "Alice writes to bob@bob.example and clicks Send: her user agent submits the message to her provider's server on port 587.");
            s.check_mail("bob-ua", 60_000, "A minute later Bob opens his mail program: it downloads new mail over POP3 and deletes it from the server.");
        }
        "cc-and-bcc" => {
            s.build(Cast { bob_users: &["bob", "carol", "dave"], ..Cast::default() });
            let d = s.draft(
                &[("Bob", "bob@bob.example")],
                &[("Carol", "carol@bob.example")],
                &[("Dave", "dave@bob.example")],
            );
            s.alice_sends(0, d, "Alice writes to Bob, with Carol in Cc and Dave in Bcc: nobody but Alice will know that Dave got a copy.");
            s.check_mail(
                "bob-ua",
                60_000,
                "Bob downloads his mail: the header shows To: Bob and Cc: Carol, and no trace of Dave.",
            );
        }
        "spoofed-from" => {
            s.build(Cast { mallory: true, ..Cast::default() });
            let mut d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            d.subject = "Urgent: send me the exam answers".into();
            d.body = "Hi Bob,\n\nPlease reply with the answers to tomorrow's exam. Thanks!\n\nAlice\n".into();
            d.message_id = d.message_id.replace("alice.example", "mallory.example");
            let sub = Submission {
                mail_from: "mallory@mallory.example".into(),
                rcpt_to: vec!["bob@bob.example".into()],
                port: 25,
                server: Some("mail.bob.example".into()),
                ..Submission::of(&d)
            };
            s.submit("mallory", 0, sub, "Mallory writes a message that claims to be from Alice and hands it straight to Bob's server on port 25.");
            s.check_mail("bob-ua", 60_000, "Bob downloads his mail: it looks like a message from Alice.");
        }
        "unknown-user" => {
            s.build(Cast::default());
            let d = s.draft(&[("Bob", "nobody@bob.example")], &[], &[]);
            s.alice_sends(0, d, "Alice writes to nobody@bob.example, a typo: Bob's address is bob@bob.example.");
            s.check_mail("alice-ua", 120_000, "Two minutes later Alice checks her mail and finds the bounce.");
        }
        "greylisting" => {
            s.build(Cast {
                bob_policy: ServerPolicy { greylist: Some(4 * 60_000), ..ServerPolicy::default() },
                ..Cast::default()
            });
            let d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            s.alice_sends(
                0,
                d,
                "Alice writes to Bob. Bob's server greylists mail from senders it has not seen before.",
            );
            s.check_mail("bob-ua", 10 * 60_000, "Ten minutes later Bob checks his mail: the message is there.");
        }
        "server-down" => {
            s.build(Cast::default());
            let bob = s.world.node("bob-server");
            s.world.schedule(0, bob, Task::SetDown(true));
            s.world.schedule(3 * 60_000, bob, Task::SetDown(false));
            let d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            s.alice_sends(10, d, "Alice writes to Bob, not knowing that Bob's server is down.");
            s.check_mail("bob-ua", 10 * 60_000, "Ten minutes later Bob checks his mail: the message made it.");
        }
        "too-big" => {
            s.build(Cast {
                bob_policy: ServerPolicy { max_message_size: 16_384, ..ServerPolicy::default() },
                ..Cast::default()
            });
            let mut d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            d.subject = "The full lab report".into();
            d.body = (1..=300)
                .map(|i| {
                    format!(
                        "Measurement {i:03}: throughput {} kbit/s, delay {} ms, loss {}.{}%\n",
                        900 + i * 7 % 100,
                        20 + i % 13,
                        i % 3,
                        i % 10
                    )
                })
                .collect();
            s.alice_sends(
                0,
                d,
                "Alice sends Bob a long report (about 20 KB); Bob's small provider takes at most 16 KB per message.",
            );
            s.check_mail("alice-ua", 120_000, "Alice checks her mail and finds the bounce.");
        }
        "relay-denied" => {
            s.build(Cast { mallory: true, ..Cast::default() });
            let mut d = s.draft(&[("Carol", "carol@carol.example")], &[], &[]);
            d.from = Person::new("Mallory", "mallory@mallory.example");
            d.subject = "Cheap watches".into();
            d.body = "Buy now!\n".into();
            let sub = Submission { port: 25, server: Some("mail.bob.example".into()), ..Submission::of(&d) };
            s.submit(
                "mallory",
                0,
                sub,
                "Mallory, a spammer, tries to send mail to carol@carol.example through Bob's server.",
            );
        }
        "starttls-auth" | "implicit-tls" | "auth-failure" => {
            let roaming = ServerPolicy { starttls: true, require_tls_on_submission: true, ..ServerPolicy::default() };
            s.build(Cast { alice_roaming: true, alice_policy: roaming, ..Cast::default() });
            let password = if info.id == "auth-failure" { "alice-pw-typo" } else { "alice-pw" };
            let port = if info.id == "implicit-tls" { 465 } else { 587 };
            let sub = Submission {
                port,
                starttls: true,
                auth: Some(("alice@alice.example".into(), password.into())),
                ..Submission::of(&s.draft(&[("Bob", "bob@bob.example")], &[], &[]))
            };
            let text = match info.id {
                "auth-failure" => "Alice, in a café, sends a message; her user agent has a mistyped password.",
                "implicit-tls" => "Alice, in a café, sends a message through port 465: TLS from the first byte.",
                _ => "Alice, in a café, sends a message: her user agent must encrypt and log in first.",
            };
            s.submit("alice-ua", 0, sub, text);
            if info.id != "auth-failure" {
                s.check_mail("bob-ua", 60_000, "Bob downloads his mail.");
            }
        }
        "two-hops" => {
            let alice = ServerPolicy { relayhost: Some("relay.alice.example".into()), ..ServerPolicy::default() };
            s.build(Cast { alice_policy: alice, outbound_relay: true, ..Cast::default() });
            let d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            s.alice_sends(
                0,
                d,
                "Alice writes to Bob. Her provider sends all outgoing mail through its outbound relay.",
            );
            s.check_mail("bob-ua", 60_000, "Bob downloads his mail: three Received: lines tell the path.");
        }
        "null-mx" => {
            s.build(Cast::default());
            let d = s.draft(&[("", "info@nomail.example")], &[], &[]);
            s.alice_sends(0, d, "Alice writes to info@nomail.example.");
            s.check_mail("alice-ua", 60_000, "Alice checks her mail and finds the bounce.");
        }
        "no-mx" => {
            s.build(Cast { old_server: true, ..Cast::default() });
            let d = s.draft(&[("Olga", "olga@old.example")], &[], &[]);
            s.alice_sends(0, d, "Alice writes to olga@old.example, whose domain publishes no MX record.");
        }
        "attachment" => {
            s.build(Cast::default());
            let mut d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
            d.subject = "Photo from the hike".into();
            d.body = "Hi Bob,\n\nhere is the photo from Saturday (a very small one).\n\nAlice\n".into();
            let html =
                "<p>Hi Bob,</p>\n<p>here is the photo from <b>Saturday</b> (a very small one).</p>\n<p>Alice</p>";
            let photo =
                Attachment { filename: "hike.png".into(), content_type: "image/png".into(), data: TINY_PNG.to_vec() };
            let boundary = s.world.rng().hex(12);
            let message = message::build_mime(&d, Some(html), &[photo], &boundary);
            let sub = Submission { message, ..Submission::of(&d) };
            s.submit(
                "alice-ua",
                0,
                sub,
                "Alice attaches a photo and sends it to Bob: her user agent builds a MIME message.",
            );
            s.check_mail("bob-ua", 60_000, "Bob downloads his mail, picture included.");
        }
        "reply-codes" => reply_codes(&mut s),
        "webmail" => webmail(&mut s),
        "smtp-vs-http" => smtp_vs_http(&mut s),
        "imap-session" => imap_session(&mut s),
        "organizing" => organizing(&mut s),
        "pop3-session" => pop3_session(&mut s),
        "two-devices" => two_devices(&mut s),
        "headers-only" => headers_only(&mut s),
        "pipelining" => {
            let alice = ServerPolicy { relay_pipelining: true, ..ServerPolicy::default() };
            s.build(Cast { alice_policy: alice, bob_users: &["bob", "carol"], ..Cast::default() });
            let d = s.draft(&[("Bob", "bob@bob.example"), ("Carol", "carol@bob.example")], &[], &[]);
            s.alice_sends(0, d, "Alice writes to Bob and Carol; her server pipelines when relaying.");
        }
        "playground" => {
            let tls = || ServerPolicy { starttls: true, ..ServerPolicy::default() };
            s.build(Cast { alice_policy: tls(), bob_policy: tls(), ..Cast::default() })
        }
        _ => return None,
    }
    s.apply(actions);
    Some(s.finish())
}

/// Who and what is in a scenario's world.
struct Cast {
    alice_policy: ServerPolicy,
    bob_policy: ServerPolicy,
    /// Local parts of the accounts on Bob's server.
    bob_users: &'static [&'static str],
    /// Alice's UA is in a café (not on her provider's trusted network).
    alice_roaming: bool,
    mallory: bool,
    outbound_relay: bool,
    old_server: bool,
    relay_policy: ServerPolicy,
    old_policy: ServerPolicy,
    /// The host at nomail.example, which takes no mail (RFC 7504).
    nomail_host: bool,
    /// Extra accounts on Alice's server.
    alice_accounts: &'static [(&'static str, &'static str)],
    /// Bob also reads mail on his phone.
    bob_phone: bool,
}

impl Default for Cast {
    fn default() -> Self {
        Cast {
            alice_policy: ServerPolicy::default(),
            bob_policy: ServerPolicy::default(),
            bob_users: &["bob"],
            alice_roaming: false,
            mallory: false,
            outbound_relay: false,
            old_server: false,
            relay_policy: ServerPolicy::default(),
            old_policy: ServerPolicy::default(),
            nomail_host: false,
            alice_accounts: &[],
            bob_phone: false,
        }
    }
}

const ALICE_UA_IP: [u8; 4] = [192, 0, 2, 10];
const CAFE_IP: [u8; 4] = [203, 0, 113, 7];
const ALICE_SERVER_IP: [u8; 4] = [192, 0, 2, 25];
const RELAY_IP: [u8; 4] = [192, 0, 2, 26];
const BOB_SERVER_IP: [u8; 4] = [198, 51, 100, 25];
const OLD_SERVER_IP: [u8; 4] = [198, 51, 100, 80];

/// A scenario being set up: the world, and the story told alongside it.
struct Stage {
    world: World,
    id: &'static str,
    /// Narrations to insert at their times after the run.
    story: Vec<(Millis, String, String)>,
    counter: u32,
}

impl Stage {
    fn new(id: &'static str) -> Self {
        Stage { world: World::new(id, 2026, EPOCH), id, story: vec![], counter: 0 }
    }

    fn build(&mut self, c: Cast) {
        let w = &mut self.world;
        let alice_ip = if c.alice_roaming { CAFE_IP } else { ALICE_UA_IP };
        let alice_host = if c.alice_roaming { "laptop.cafe.example" } else { "laptop.alice.example" };
        // Lifelines in the order of the lectures' picture: sender left, DNS in the middle.
        if c.mallory {
            w.add_user_agent(
                UserSpec {
                    id: "mallory",
                    name: "Mallory",
                    host: "mx.mallory.example",
                    ip: [203, 0, 113, 66],
                    address: "mallory@mallory.example",
                    password: "",
                },
                "",
            );
        }
        w.add_user_agent(
            UserSpec {
                id: "alice-ua",
                name: "Alice's UA",
                host: alice_host,
                ip: alice_ip,
                address: "alice@alice.example",
                password: "alice-pw",
            },
            "alice-server",
        );
        let mut alice_policy = c.alice_policy;
        alice_policy.trusted_ips.push("192.0.2.10".into());
        let mut alice_accounts = vec![("alice@alice.example", "alice-pw")];
        alice_accounts.extend_from_slice(c.alice_accounts);
        w.add_mail_server_with(
            "alice-server",
            "Alice's server",
            "mail.alice.example",
            ALICE_SERVER_IP,
            "alice.example",
            &alice_accounts,
            alice_policy,
        );
        if c.outbound_relay {
            let relay = ServerPolicy { trusted_ips: vec!["192.0.2.25".into()], ..c.relay_policy };
            w.add_mail_server_with(
                "relay",
                "Outbound relay",
                "relay.alice.example",
                RELAY_IP,
                "relay.alice.example",
                &[],
                relay,
            );
        }
        let mut zone = vec![
            Record {
                name: "alice.example".into(),
                ttl: 3600,
                data: RData::Mx { preference: 10, exchange: "mail.alice.example".into() },
            },
            Record { name: "mail.alice.example".into(), ttl: 3600, data: RData::A(ALICE_SERVER_IP) },
            Record { name: "relay.alice.example".into(), ttl: 3600, data: RData::A(RELAY_IP) },
            Record {
                name: "bob.example".into(),
                ttl: 3600,
                data: RData::Mx { preference: 10, exchange: "mail.bob.example".into() },
            },
            Record { name: "mail.bob.example".into(), ttl: 3600, data: RData::A(BOB_SERVER_IP) },
            Record {
                name: "nomail.example".into(),
                ttl: 3600,
                data: RData::Mx { preference: 0, exchange: ".".into() },
            },
            Record { name: "nomail.example".into(), ttl: 3600, data: RData::A([198, 51, 100, 99]) },
            Record { name: "old.example".into(), ttl: 3600, data: RData::A(OLD_SERVER_IP) },
        ];
        zone.sort_by(|a, b| a.name.cmp(&b.name));
        w.add_dns("dns", "DNS", "ns.example", [192, 0, 2, 53], zone);
        let accounts: Vec<(String, String)> =
            c.bob_users.iter().map(|u| (format!("{u}@bob.example"), format!("{u}-pw"))).collect();
        let refs: Vec<(&str, &str)> = accounts.iter().map(|(a, p)| (a.as_str(), p.as_str())).collect();
        w.add_mail_server_with(
            "bob-server",
            "Bob's server",
            "mail.bob.example",
            BOB_SERVER_IP,
            "bob.example",
            &refs,
            c.bob_policy,
        );
        if c.old_server {
            w.add_mail_server_with(
                "old-server",
                "old.example",
                "old.example",
                OLD_SERVER_IP,
                "old.example",
                &[("olga@old.example", "olga-pw")],
                c.old_policy,
            );
        }
        if c.nomail_host {
            let refuse = ServerPolicy { refuse_all: true, ..ServerPolicy::default() };
            w.add_mail_server_with(
                "nomail",
                "nomail.example",
                "nomail.example",
                [198, 51, 100, 99],
                "nomail.example",
                &[],
                refuse,
            );
        }
        let bob_name = if c.bob_phone { "Bob's laptop" } else { "Bob's UA" };
        w.add_user_agent(
            UserSpec {
                id: "bob-ua",
                name: bob_name,
                host: "pc.bob.example",
                ip: [198, 51, 100, 10],
                address: "bob@bob.example",
                password: "bob-pw",
            },
            "bob-server",
        );
        if c.bob_phone {
            w.add_user_agent(
                UserSpec {
                    id: "bob-phone",
                    name: "Bob's phone",
                    host: "phone.bob.example",
                    ip: [198, 51, 100, 11],
                    address: "bob@bob.example",
                    password: "bob-pw",
                },
                "bob-server",
            );
        }
    }

    /// A message from Alice, dated now, with a fresh Message-ID.
    fn draft(&mut self, to: &[(&str, &str)], cc: &[(&str, &str)], bcc: &[(&str, &str)]) -> Draft {
        self.counter += 1;
        let people = |v: &[(&str, &str)]| v.iter().map(|(n, a)| Person::new(n, a)).collect::<Vec<_>>();
        let token = self.world.rng().hex(8).to_ascii_lowercase();
        let first = to.first().map(|(n, _)| *n).filter(|n| !n.is_empty()).unwrap_or("there");
        Draft {
            from: Person::new("Alice", "alice@alice.example"),
            to: people(to),
            cc: people(cc),
            bcc: people(bcc),
            subject: "Catch up this week?".into(),
            body: format!("Hi {first},\n\nShall we catch up this week? Thursday at 10 works for me.\n.NET meetup is on Friday, if you'd rather go there.\n\nAlice\n"),
            date: self.world.unix_now(),
            message_id: format!("20260914090000.{token}.{}@alice.example", self.counter),
        }
    }

    fn submit(&mut self, actor: &str, at: Millis, sub: Submission, text: &str) {
        let node = self.world.node(actor);
        self.story.push((at, actor.into(), text.into()));
        self.world.schedule(at, node, Task::Submit(sub));
    }

    fn alice_sends(&mut self, at: Millis, draft: Draft, text: &str) {
        self.submit("alice-ua", at, Submission::of(&draft), text);
    }

    fn check_mail(&mut self, actor: &str, at: Millis, text: &str) {
        let node = self.world.node(actor);
        self.story.push((at, actor.into(), text.into()));
        self.world.schedule(at, node, Task::CheckMailPop3 { delete: true });
    }

    /// Adds what a learner did, each at its time.
    fn apply(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::Compose { at, sender, to, cc, bcc, subject, body, attachment, submit, read } => {
                    let (ua, address, name, password) = if sender == "bob" {
                        ("bob-ua", "bob@bob.example", "Bob", "bob-pw")
                    } else {
                        ("alice-ua", "alice@alice.example", "Alice", "alice-pw")
                    };
                    let Some(node) = self.world.find(ua) else { continue };
                    let people = |list: &str| -> Vec<Person> {
                        list.split(',')
                            .map(str::trim)
                            .filter(|x| !x.is_empty())
                            .map(|x| match (x.find('<'), x.rfind('>')) {
                                (Some(a), Some(b)) if a < b => {
                                    Person::new(x[..a].trim().trim_matches('"'), x[a + 1..b].trim())
                                }
                                _ => Person::new("", x),
                            })
                            .collect()
                    };
                    let token = self.world.rng().hex(8).to_ascii_lowercase();
                    let draft = Draft {
                        from: Person::new(name, address),
                        to: people(to),
                        cc: people(cc),
                        bcc: people(bcc),
                        subject: subject.clone(),
                        body: body.clone(),
                        date: EPOCH + (*at / 1000) as i64,
                        message_id: format!(
                            "{}.{token}@{}",
                            EPOCH + (*at / 1000) as i64,
                            address.split('@').nth(1).unwrap_or("")
                        ),
                    };
                    let message = match attachment {
                        Some(att) => {
                            use base64::Engine as _;
                            let data =
                                base64::engine::general_purpose::STANDARD.decode(&att.base64).unwrap_or_default();
                            let boundary = self.world.rng().hex(12);
                            message::build_mime(
                                &draft,
                                None,
                                &[Attachment {
                                    filename: att.filename.clone(),
                                    content_type: att.content_type.clone(),
                                    data,
                                }],
                                &boundary,
                            )
                        }
                        None => draft.to_bytes(),
                    };
                    let port = if *submit == SubmitMode::Tls465 { 465 } else { 587 };
                    let sub = Submission {
                        message,
                        mail_from: address.into(),
                        rcpt_to: draft.envelope_recipients(),
                        port,
                        server: None,
                        starttls: *submit == SubmitMode::Starttls587,
                        auth: Some((address.into(), password.into())),
                        pipelining: false,
                    };
                    let how = match submit {
                        SubmitMode::Plain587 => "port 587 with AUTH",
                        SubmitMode::Starttls587 => "port 587 with STARTTLS and AUTH",
                        SubmitMode::Tls465 => "port 465 (implicit TLS) with AUTH",
                    };
                    self.story.push((
                        *at,
                        ua.into(),
                        format!(
                            "{name} sends \"{subject}\" to {} through {how}.",
                            draft.envelope_recipients().join(", ")
                        ),
                    ));
                    self.world.schedule(*at, node, Task::Submit(sub));
                    // The first recipient who has a mail program here reads it two minutes later.
                    let reader =
                        draft.envelope_recipients().into_iter().find_map(|r| match r.to_ascii_lowercase().as_str() {
                            "bob@bob.example" => Some("bob-ua"),
                            "alice@alice.example" => Some("alice-ua"),
                            _ => None,
                        });
                    if let (Some(reader), false) =
                        (reader.and_then(|r| self.world.find(r).map(|n| (r, n))), *read == ReadMode::None)
                    {
                        let (rid, rnode) = reader;
                        let when = *at + 120_000;
                        let task = match read {
                            ReadMode::Pop3Delete => Task::CheckMailPop3 { delete: true },
                            ReadMode::Pop3Keep => Task::CheckMailPop3 { delete: false },
                            _ => {
                                use mailsim_proto::imap::client::ImapStep;
                                let user = if rid == "bob-ua" { "bob" } else { "alice" };
                                Task::Imap(vec![
                                    ImapStep::Scram {
                                        tag: "r1".into(),
                                        user: user.into(),
                                        password: format!("{user}-pw"),
                                        nonce: self.world.rng().hex(16),
                                    },
                                    ImapStep::Line("r2 select inbox".into()),
                                    ImapStep::Line("r3 fetch 1:* (flags envelope)".into()),
                                    ImapStep::Line("r4 fetch * body[]".into()),
                                    ImapStep::Line("r5 logout".into()),
                                ])
                            }
                        };
                        self.story.push((
                            when,
                            rid.into(),
                            "Two minutes later the recipient's mail program checks for new mail.".into(),
                        ));
                        self.world.schedule(when, rnode, task);
                    }
                }
                Action::Terminal { at, client, host, port, lines } => {
                    let Some(node) = self.world.find(client) else { continue };
                    self.story.push((
                        *at,
                        client.clone(),
                        format!("A terminal session to {host} port {port}, typed by hand."),
                    ));
                    self.world.schedule(
                        *at,
                        node,
                        Task::TypeLines { server: host.clone(), port: *port, lines: lines.clone() },
                    );
                }
                Action::Fault { at, server, fault } => {
                    let Some(node) = self.world.find(server) else { continue };
                    let task = match fault {
                        Fault::Down => Task::SetDown(true),
                        Fault::Up => Task::SetDown(false),
                        Fault::GreylistOn => Task::SetGreylist(Some(4 * 60_000)),
                        Fault::GreylistOff => Task::SetGreylist(None),
                        Fault::MailboxFull => Task::SetQuota(Some(0)),
                        Fault::MailboxRoom => Task::SetQuota(None),
                    };
                    self.world.schedule(*at, node, task);
                }
            }
        }
    }

    fn finish(self) -> EventLog {
        let _ = self.id;
        let mut log = self.world.run();
        // Each narration goes just before the first event at or after its time.
        for (t, actor, text) in self.story {
            let at = log
                .events
                .iter()
                .position(|e| !matches!(e, Event::ActorJoined { .. }) && e.time() >= t)
                .unwrap_or(log.events.len());
            log.events.insert(at, Event::Narrated { t, actor, text });
        }
        log
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn reply_codes(s: &mut Stage) {
    use mailsim_proto::smtp::typed::{lines, Typed};
    let alice = ServerPolicy {
        starttls: true,
        verify_recipient_domains: true,
        login_too_weak: true,
        tls_temporarily_unavailable: true,
        password_transition: vec!["trainee@alice.example".into()],
        ..ServerPolicy::default()
    };
    let bob = ServerPolicy {
        max_errors: 10,
        // Short, so the forwarded copy that old.example keeps refusing expires within the hour.
        retry_delays: vec![5 * 60_000, 10 * 60_000, 20 * 60_000],
        queue_lifetime: 60 * 60_000,
        forwards: vec![
            ("olga@bob.example".into(), "olga@old.example".into(), true),
            ("oldbob@bob.example".into(), "bob@bob.example".into(), false),
        ],
        ..ServerPolicy::default()
    };
    let old = ServerPolicy { low_disk: true, quota: Some(0), storage_fails: true, ..ServerPolicy::default() };
    let relay = ServerPolicy { require_tls_inbound: true, ..ServerPolicy::default() };
    s.build(Cast {
        alice_roaming: true,
        alice_policy: alice,
        bob_policy: bob,
        outbound_relay: true,
        relay_policy: relay,
        old_server: true,
        old_policy: old,
        nomail_host: true,
        alice_accounts: &[("trainee@alice.example", "trainee-pw")],
        ..Cast::default()
    });
    let d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
    let mut bob_session = lines([
        "HELP",
        "HELP STATUS",
        "EHLO laptop.cafe.example",
        "VRFY bob",
        "FROB",
        "MAIL alice@alice.example",
        "EXPN staff",
        "RCPT TO:<bob@bob.example>",
        "MAIL FROM:<alice@alice.example>",
        "RCPT TO:<nobody@bob.example>",
        "RCPT TO:<carol@carol.example>",
        "RCPT TO:<oldbob@bob.example>",
        "RCPT TO:<olga@bob.example>",
        "RCPT TO:<bob@bob.example>",
        "DATA",
    ]);
    bob_session.push(Typed::Message(d.to_bytes()));
    bob_session.push(Typed::Line("QUIT".into()));
    let minute = 60_000;
    let sessions: Vec<(&str, u16, Vec<Typed>, &str)> = vec![
        (
            "mail.bob.example",
            25,
            bob_session,
            "Alice opens a terminal (telnet mail.bob.example 25) and types SMTP by hand.",
        ),
        (
            "mail.alice.example",
            587,
            lines([
                "EHLO laptop.cafe.example",
                "MAIL FROM:<alice@alice.example>",
                "STARTTLS",
                "AUTH CRAM-MD5",
                "AUTH LOGIN",
                &format!("AUTH PLAIN {}", b64("\0alice@alice.example\0guess")),
                &format!("AUTH PLAIN {}", b64("\0trainee@alice.example\0trainee-pw")),
                "AUTH PLAIN",
                &b64("\0alice@alice.example\0alice-pw"),
                "MAIL FROM:<alice@alice.example>",
                "RCPT TO:<info@nomail.example>",
                "RCPT TO:<someone@nowhere.example>",
                "QUIT",
            ]),
            "Next she tries her own provider's submission port, 587.",
        ),
        (
            "nomail.example",
            25,
            lines(["EHLO laptop.cafe.example", "QUIT"]),
            "She connects to nomail.example, a host that takes no mail.",
        ),
        (
            "old.example",
            25,
            {
                let mut l = lines([
                    "EHLO laptop.cafe.example",
                    "MAIL FROM:<alice@alice.example> SIZE=2048",
                    "MAIL FROM:<alice@alice.example>",
                    "RCPT TO:<olga@old.example>",
                    "RCPT TO:<postmaster>",
                    "DATA",
                ]);
                l.push(Typed::Message(d.to_bytes()));
                l.push(Typed::Line("QUIT".into()));
                l
            },
            "old.example is a small server that has run out of disk.",
        ),
        (
            "relay.alice.example",
            25,
            lines(["EHLO laptop.cafe.example", "MAIL FROM:<alice@alice.example>", "QUIT"]),
            "Her provider's outbound relay takes mail only over TLS.",
        ),
        (
            "mail.bob.example",
            25,
            lines(["hello?", "HELLO", "helo", "ls", "GET / HTTP/1.1", "quit now", "exit", "^C", "DATA", "MAIL"]),
            "Finally she types garbage at Bob's server until it gives up on her.",
        ),
    ];
    for (i, (server, port, script, text)) in sessions.into_iter().enumerate() {
        let node = s.world.node("alice-ua");
        let at = i as u64 * minute;
        s.story.push((at, "alice-ua".into(), text.into()));
        s.world.schedule(at, node, Task::Type { server: server.into(), port, script });
    }
}

/// The message of RFC 3501 §6.4.5's example, the one the lecture fetches.
const TERRY_GRAY: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev2 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nMinutes of the IMAP4rev2 working group meeting.\r\nAttendees: see below.\r\n";

fn imap_session(s: &mut Stage) {
    use mailsim_proto::imap::client::ImapStep;
    s.build(Cast::default());
    let bob = s.world.node("bob-server");
    let subjects = [
        "Welcome to bob.example mail",
        "Your library books are due",
        "Lab 3 groups",
        "Re: lunch?",
        "Seminar: DNS at scale",
        "Photos from Saturday",
        "Invoice 2026-0912",
        "Midterm review session",
        "Re: Re: project idea",
        "Bike for sale",
        "Office hours moved",
    ];
    for (i, subject) in subjects.iter().enumerate() {
        let data = format!(
            "Date: Mon, {:02} Sep 2026 10:{:02}:00 +0000\r\nFrom: Sender {} <sender{}@example.org>\r\nTo: bob@bob.example\r\nSubject: {subject}\r\nMessage-ID: <seed{}@example.org>\r\n\r\nMessage {} of Bob's inbox.\r\n",
            i % 7 + 1, i * 3, i + 1, i + 1, i + 1, i + 1
        );
        s.world.seed_message(bob, "bob@bob.example", data.into_bytes(), EPOCH - 86_400 * (20 - i as i64), &["\\Seen"]);
    }
    s.world.seed_message(bob, "bob@bob.example", TERRY_GRAY.as_bytes().to_vec(), 837_570_265, &["\\Seen"]);
    for i in 13..=18 {
        let data = format!("Date: Sun, 13 Sep 2026 2{}:00:00 +0000\r\nFrom: Newsletter <news@example.org>\r\nTo: bob@bob.example\r\nSubject: Weekly digest {i}\r\nMessage-ID: <digest{i}@example.org>\r\n\r\nNews.\r\n", i % 4);
        s.world.seed_message(bob, "bob@bob.example", data.into_bytes(), EPOCH - 3600 * (20 - i as i64), &[]);
    }
    let nonce = s.world.rng().hex(16);
    let steps = vec![
        ImapStep::Line("a000 starttls".into()),
        ImapStep::Scram { tag: "a001".into(), user: "bob".into(), password: "bob-pw".into(), nonce },
        ImapStep::Line("babc ENABLE IMAP4rev2".into()),
        ImapStep::Line("a002 select inbox".into()),
        ImapStep::Line("a003 fetch 12 full".into()),
        ImapStep::Line("a004 fetch 12 body[header]".into()),
        ImapStep::Line("a005 store 12 +flags \\deleted".into()),
        ImapStep::Line("a006 logout".into()),
    ];
    let node = s.world.node("bob-ua");
    s.story.push((
        0,
        "bob-ua".into(),
        "Bob's mail program connects to his server over IMAP (port 143) and types the lecture's session.".into(),
    ));
    s.world.schedule(0, node, Task::Imap(steps));
}

fn pop3_session(s: &mut Stage) {
    s.build(Cast::default());
    let bob = s.world.node("bob-server");
    let norm = "From: Norm <norm@cs.ubc.ca>\r\nTo: John Doe <john.doe@example.com>\r\nSubject: Some boring mail\r\n\r\nSome data\r\n.A line that starts with a .\r\n.. Another one\r\n";
    s.world.seed_message(bob, "bob@bob.example", norm.as_bytes().to_vec(), EPOCH - 7200, &[]);
    for (i, subject) in ["Course schedule", "Re: assignment 2", "Photos", "Reminder", "Thanks!"].iter().enumerate() {
        let body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n".repeat(2 + i * 7);
        let data = format!(
            "From: Friend {i} <friend{i}@example.org>\r\nTo: bob@bob.example\r\nSubject: {subject}\r\n\r\n{body}"
        );
        s.world.seed_message(bob, "bob@bob.example", data.into_bytes(), EPOCH - 3600, &[]);
    }
    let node = s.world.node("bob-ua");
    s.story.push((0, "bob-ua".into(), "Bob connects to his server on port 110 (telnet mail.bob.example 110) and types POP3 by hand, as in the lecture.".into()));
    let lines = ["user bob", "pass bob-pw", "list", "retr 1", "dele 1", "quit"].iter().map(|l| l.to_string()).collect();
    s.world.schedule(0, node, Task::TypePop3(lines));
}

fn two_devices(s: &mut Stage) {
    use mailsim_proto::imap::client::ImapStep;
    s.build(Cast { bob_phone: true, ..Cast::default() });
    let d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
    s.alice_sends(0, d, "Alice writes to Bob.");
    let (laptop, phone) = (s.world.node("bob-ua"), s.world.node("bob-phone"));
    s.story.push((60_000, "bob-ua".into(), "Bob's laptop fetches mail with POP3, download-and-delete.".into()));
    s.world.schedule(60_000, laptop, Task::CheckMailPop3 { delete: true });
    s.story.push((
        120_000,
        "bob-phone".into(),
        "A minute later Bob checks his phone, also with POP3: nothing there. The message lives on the laptop now."
            .into(),
    ));
    s.world.schedule(120_000, phone, Task::CheckMailPop3 { delete: true });
    let mut d2 = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
    d2.subject = "Did you get my last mail?".into();
    s.alice_sends(180_000, d2, "Alice writes again. This time Bob uses IMAP on both devices.");
    let nonce = |s: &mut Stage| s.world.rng().hex(16);
    let phone_steps = vec![
        ImapStep::Scram { tag: "p1".into(), user: "bob".into(), password: "bob-pw".into(), nonce: nonce(s) },
        ImapStep::Line("p2 select inbox".into()),
        ImapStep::IdleUntilNews("p3".into()),
        ImapStep::Line("p4 logout".into()),
    ];
    s.story.push((
        240_000,
        "bob-phone".into(),
        "The phone logs in over IMAP, selects the INBOX and waits in IDLE for news.".into(),
    ));
    s.world.schedule(240_000, phone, Task::Imap(phone_steps));
    let laptop_steps = vec![
        ImapStep::Scram { tag: "l1".into(), user: "bob".into(), password: "bob-pw".into(), nonce: nonce(s) },
        ImapStep::Line("l2 select inbox".into()),
        ImapStep::Line("l3 fetch 1 body[]".into()),
        ImapStep::Line("l4 logout".into()),
    ];
    s.story.push((300_000, "bob-ua".into(), "A minute later Bob reads the message on his laptop: the server sets \\Seen, and the idling phone is told at once.".into()));
    s.world.schedule(300_000, laptop, Task::Imap(laptop_steps));
}

fn headers_only(s: &mut Stage) {
    use mailsim_proto::imap::client::ImapStep;
    s.build(Cast::default());
    let bob = s.world.node("bob-server");
    let mut d = s.draft(&[("Bob", "bob@bob.example")], &[], &[]);
    d.subject = "Photo from the hike".into();
    d.body = "Hi Bob,\n\nhere is the photo.\n\nAlice\n".into();
    let photo: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let message = message::build_mime(
        &d,
        None,
        &[Attachment { filename: "hike.jpg".into(), content_type: "image/jpeg".into(), data: photo }],
        "HDR1",
    );
    s.world.seed_message(bob, "bob@bob.example", message, EPOCH - 600, &[]);
    let node = s.world.node("bob-ua");
    s.story.push((
        0,
        "bob-ua".into(),
        "Bob's mail program wants only the header of the message, first with POP3.".into(),
    ));
    let lines = ["USER bob", "PASS bob-pw", "LIST", "TOP 1 0", "QUIT"].iter().map(|l| l.to_string()).collect();
    s.world.schedule(0, node, Task::TypePop3(lines));
    let nonce = s.world.rng().hex(16);
    let steps = vec![
        ImapStep::Scram { tag: "h1".into(), user: "bob".into(), password: "bob-pw".into(), nonce },
        ImapStep::Line("h2 select inbox".into()),
        ImapStep::Line("h3 fetch 1 (rfc822.size body.peek[header])".into()),
        ImapStep::Line("h4 fetch 1 flags".into()),
        ImapStep::Line("h5 logout".into()),
    ];
    s.story.push((60_000, "bob-ua".into(), "Then the same with IMAP.".into()));
    s.world.schedule(60_000, node, Task::Imap(steps));
}

fn http_get(host: &str, path: &str, version: &str) -> mailsim_proto::http::HttpMessage {
    mailsim_proto::http::HttpMessage::request(
        "GET",
        path,
        version,
        &[("Host", host), ("User-Agent", "Mailsim-Browser/1.0")],
        b"",
    )
}

fn http_post(host: &str, path: &str, form: &[(&str, &str)]) -> mailsim_proto::http::HttpMessage {
    use mailsim_proto::http::url_encode;
    let body: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v))).collect();
    mailsim_proto::http::HttpMessage::request(
        "POST",
        path,
        "HTTP/1.1",
        &[("Host", host), ("Content-Type", "application/x-www-form-urlencoded")],
        body.join("&").as_bytes(),
    )
}

fn webmail(s: &mut Stage) {
    use crate::world::Site;
    let w = &mut s.world;
    w.add_user_agent(
        UserSpec {
            id: "alice-browser",
            name: "Alice's browser",
            host: "laptop.alice.example",
            ip: ALICE_UA_IP,
            address: "alice@alice.example",
            password: "alice-pw",
        },
        "alice-server",
    );
    w.add_web_server(
        "alice-web",
        "Alice's webmail",
        "webmail.alice.example",
        [192, 0, 2, 80],
        Site::Webmail { mail_server: "alice-server".into(), sessions: vec![] },
    );
    let alice_policy = ServerPolicy { trusted_ips: vec!["192.0.2.80".into()], ..ServerPolicy::default() };
    w.add_mail_server_with(
        "alice-server",
        "Alice's server",
        "mail.alice.example",
        ALICE_SERVER_IP,
        "alice.example",
        &[("alice@alice.example", "alice-pw")],
        alice_policy,
    );
    let mut zone = vec![
        Record {
            name: "bob.example".into(),
            ttl: 3600,
            data: RData::Mx { preference: 10, exchange: "mail.bob.example".into() },
        },
        Record { name: "mail.bob.example".into(), ttl: 3600, data: RData::A(BOB_SERVER_IP) },
        Record {
            name: "alice.example".into(),
            ttl: 3600,
            data: RData::Mx { preference: 10, exchange: "mail.alice.example".into() },
        },
        Record { name: "mail.alice.example".into(), ttl: 3600, data: RData::A(ALICE_SERVER_IP) },
    ];
    zone.sort_by(|a, b| a.name.cmp(&b.name));
    w.add_dns("dns", "DNS", "ns.example", [192, 0, 2, 53], zone);
    w.add_mail_server(
        "bob-server",
        "Bob's server",
        "mail.bob.example",
        BOB_SERVER_IP,
        "bob.example",
        &[("bob@bob.example", "bob-pw")],
    );
    w.add_web_server(
        "bob-web",
        "Bob's webmail",
        "webmail.bob.example",
        [198, 51, 100, 80],
        Site::Webmail { mail_server: "bob-server".into(), sessions: vec![] },
    );
    w.add_user_agent(
        UserSpec {
            id: "bob-browser",
            name: "Bob's browser",
            host: "pc.bob.example",
            ip: [198, 51, 100, 10],
            address: "bob@bob.example",
            password: "bob-pw",
        },
        "bob-server",
    );
    let (alice, bob) = (w.node("alice-browser"), w.node("bob-browser"));
    let ah = "webmail.alice.example";
    let alice_requests = vec![
        http_get(ah, "/", "HTTP/1.1"),
        http_post(ah, "/login", &[("user", "alice"), ("password", "alice-pw")]),
        http_post(
            ah,
            "/send",
            &[
                ("to", "bob@bob.example"),
                ("subject", "Lunch on Friday?"),
                ("text", "Hi Bob,\n\nlunch on Friday at noon?\n\nAlice"),
            ],
        ),
    ];
    s.story.push((
        0,
        "alice-browser".into(),
        "Alice opens her webmail in a browser, logs in and sends a message: only HTTP leaves her browser.".into(),
    ));
    s.world.schedule(0, alice, Task::Browse { server: ah.into(), requests: alice_requests, per_object: false });
    let bh = "webmail.bob.example";
    let bob_requests = vec![
        http_post(bh, "/login", &[("user", "bob"), ("password", "bob-pw")]),
        http_get(bh, "/message/1", "HTTP/1.1"),
    ];
    s.story.push((
        60_000,
        "bob-browser".into(),
        "A minute later Bob logs in to his webmail: the inbox and the message come to his browser by HTTP GET.".into(),
    ));
    s.world.schedule(60_000, bob, Task::Browse { server: bh.into(), requests: bob_requests, per_object: false });
}

fn smtp_vs_http(s: &mut Stage) {
    use crate::world::Site;
    use mailsim_proto::smtp::typed::Typed;
    let w = &mut s.world;
    w.add_user_agent(
        UserSpec {
            id: "browser",
            name: "Browser",
            host: "laptop.alice.example",
            ip: ALICE_UA_IP,
            address: "alice@alice.example",
            password: "",
        },
        "",
    );
    let page = b"<html><head><link rel=\"stylesheet\" href=\"/style.css\"></head><body><img src=\"/logo.png\"> Welcome!</body></html>\n".to_vec();
    let pages = vec![
        ("/index.html".to_string(), "text/html".to_string(), page),
        ("/logo.png".to_string(), "image/png".to_string(), TINY_PNG.to_vec()),
        ("/style.css".to_string(), "text/css".to_string(), b"body { font-family: sans-serif; }\n".to_vec()),
    ];
    w.add_web_server("www", "Web server", "www.example", [203, 0, 113, 80], Site::Static(pages));
    w.add_mail_server(
        "alice-server",
        "Alice's server",
        "mail.alice.example",
        ALICE_SERVER_IP,
        "alice.example",
        &[("alice@alice.example", "alice-pw")],
    );
    w.add_mail_server(
        "bob-server",
        "Bob's server",
        "mail.bob.example",
        BOB_SERVER_IP,
        "bob.example",
        &[("bob@bob.example", "bob-pw")],
    );
    let browser = w.node("browser");
    let objects = |v: &str| {
        ["/index.html", "/logo.png", "/style.css"].iter().map(|p| http_get("www.example", p, v)).collect::<Vec<_>>()
    };
    s.story.push((
        0,
        "browser".into(),
        "HTTP/1.0: the browser pulls the page and its two objects, opening a new TCP connection for each one.".into(),
    ));
    s.world.schedule(
        0,
        browser,
        Task::Browse { server: "www.example".into(), requests: objects("HTTP/1.0"), per_object: true },
    );
    s.story.push((10_000, "browser".into(), "HTTP/1.1: the same three objects over one persistent connection.".into()));
    s.world.schedule(
        10_000,
        browser,
        Task::Browse { server: "www.example".into(), requests: objects("HTTP/1.1"), per_object: false },
    );
    let mut script = vec![Typed::Line("EHLO mail.alice.example".into())];
    for (i, subject) in ["Agenda", "Minutes", "Slides"].iter().enumerate() {
        script.push(Typed::Line("MAIL FROM:<alice@alice.example>".into()));
        script.push(Typed::Line("RCPT TO:<bob@bob.example>".into()));
        script.push(Typed::Line("DATA".into()));
        let m = format!("From: Alice <alice@alice.example>\r\nTo: Bob <bob@bob.example>\r\nSubject: {subject}\r\nMessage-ID: <push{i}@alice.example>\r\n\r\nPart {} of 3.\r\n", i + 1);
        script.push(Typed::Message(m.into_bytes()));
    }
    script.push(Typed::Line("QUIT".into()));
    let alice_server = s.world.node("alice-server");
    s.story.push((
        20_000,
        "alice-server".into(),
        "SMTP: Alice's server pushes three messages to Bob's server over one persistent connection.".into(),
    ));
    s.world.schedule(20_000, alice_server, Task::Type { server: "mail.bob.example".into(), port: 25, script });
}

fn organizing(s: &mut Stage) {
    use mailsim_proto::imap::client::ImapStep;
    s.build(Cast::default());
    let bob = s.world.node("bob-server");
    let mail = [
        ("Alice <alice@alice.example>", "Project kickoff"),
        ("Newsletter <news@example.org>", "Weekly digest"),
        ("Alice <alice@alice.example>", "Re: project budget"),
        ("Carol <carol@bob.example>", "Lunch?"),
        ("Alice <alice@alice.example>", "Slides for Friday"),
    ];
    for (i, (from, subject)) in mail.iter().enumerate() {
        let data = format!("From: {from}\r\nTo: bob@bob.example\r\nSubject: {subject}\r\nMessage-ID: <org{i}@example.org>\r\n\r\nMessage {}.\r\n", i + 1);
        s.world.seed_message(bob, "bob@bob.example", data.into_bytes(), EPOCH - 3600 * (10 - i as i64), &[]);
    }
    let nonce = s.world.rng().hex(16);
    let steps = vec![
        ImapStep::Scram { tag: "o1".into(), user: "bob".into(), password: "bob-pw".into(), nonce },
        ImapStep::Line("o2 ENABLE IMAP4rev2".into()),
        ImapStep::Line("o3 CREATE Projects".into()),
        ImapStep::Line("o4 SELECT INBOX".into()),
        ImapStep::Line("o5 SEARCH FROM alice".into()),
        ImapStep::Line("o6 MOVE 1,3,5 Projects".into()),
        ImapStep::Line("o7 LIST \"\" \"*\"".into()),
        ImapStep::Line("o8 STATUS Projects (MESSAGES UNSEEN)".into()),
        ImapStep::Line("o9 LOGOUT".into()),
    ];
    let node = s.world.node("bob-ua");
    s.story.push((
        0,
        "bob-ua".into(),
        "Bob tidies his mailbox from his mail program: a new folder, a search on the server, a move.".into(),
    ));
    s.world.schedule(0, node, Task::Imap(steps));
}
