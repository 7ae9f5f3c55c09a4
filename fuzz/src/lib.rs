//! What the fuzz targets share: splitting the input into chunks, draining engines (and
//! explaining every unit they produce, since the explanations parse too), and a mail host
//! driven as `mailsim serve` drives it, with accounts and mail in them.

use mailsim_proto::state::StateView;
use mailsim_proto::store::MailStore;
use mailsim_proto::{Decoded, Transmit, Wire};
use mailsim_sim::host::{Ctx, HostOutput, MailHost, ServerPolicy};
use mailsim_sim::rng::Rng;
use std::sync::OnceLock;

/// The input as the network would deliver it: the same bytes, cut anywhere, with a little
/// time between the pieces (sometimes enough for an idle timer).
#[derive(Debug)]
pub struct Chunks {
    pub pieces: Vec<(u64, Vec<u8>)>,
}

/// An engine target's input: `[mode, cut seed, wire bytes...]`. The wire bytes come first
/// and whole, so the seeds taken from the golden logs (scripts/fuzz-seeds.sh) are real
/// sessions; the cut seed picks where they are split (a small LCG), the mode picks the
/// target's variant.
pub fn split_input(data: &[u8]) -> Option<(u8, Chunks)> {
    let (&mode, rest) = data.split_first()?;
    let (&cut, wire) = rest.split_first()?;
    Some((mode, Chunks::cut(cut, wire)))
}

impl Chunks {
    /// `wire` cut at places chosen by `seed`: 0 keeps it whole, 1 gives one byte at a time.
    pub fn cut(seed: u8, wire: &[u8]) -> Chunks {
        let mut pieces = Vec::new();
        let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
        let mut rest = wire;
        while !rest.is_empty() {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let r = (state >> 16) as usize;
            let len = match seed {
                0 => rest.len(),
                1 => 1,
                _ if r % 8 == 0 => 1 + r % 2048,
                _ => 1 + r % 24,
            };
            let gap = if r % 97 == 0 { 600_000 } else { (r % 7) as u64 };
            let (a, b) = rest.split_at(len.min(rest.len()));
            pieces.push((gap, a.to_vec()));
            rest = b;
        }
        Chunks { pieces }
    }
}

/// Every unit's explanation is computed (the page shows it), and its bytes are returned.
pub fn explain(t: Transmit) -> Vec<u8> {
    let ex = t.pdu.explain();
    assert!(!ex.label.is_empty() || t.bytes.is_empty() || !ex.meaning.is_empty());
    t.bytes
}

/// Drains what a bare engine has to say; returns the bytes it wrote.
pub fn drain(e: &mut dyn Wire) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(t) = e.poll_received() {
        explain(t);
    }
    while let Some(t) = e.poll_transmit() {
        out.extend(explain(t));
    }
    out
}

/// The engine's state as the page shows it, rendered when it differs from `last` (the text
/// is a function of the `StateView` alone, so every state reached is still rendered once;
/// rendering it after every drain, twice a piece, was a fifth of a terminal run). Compared
/// by machine address, state and number: `StateView`'s `==` compares the whole tables.
fn show_state(e: &dyn Wire, last: &mut Option<StateView>) {
    let now = e.state();
    let same = last.is_some_and(|l| std::ptr::eq(l.machine, now.machine) && l.id == now.id && l.n == now.n);
    if !same {
        let _ = now.to_string();
        *last = Some(now);
    }
}

/// Feeds a bare engine `chunks` as its peer's bytes, with its timers; checks that nothing
/// comes out once it is closed.
pub fn feed(e: &mut dyn Wire, chunks: &Chunks, mut events: impl FnMut(&mut dyn Wire)) {
    let mut now = 0;
    let mut shown = None;
    drain(e);
    events(e);
    show_state(e, &mut shown);
    for (gap, bytes) in &chunks.pieces {
        now += gap;
        let closed = e.is_closed();
        if e.poll_timeout().is_some_and(|t| t <= now) {
            e.handle_timeout(now);
            show_state(e, &mut shown);
        }
        e.handle_input(now, bytes);
        let out = drain(e);
        show_state(e, &mut shown);
        events(e);
        let out2 = drain(e);
        show_state(e, &mut shown);
        assert!(!closed || (out.is_empty() && out2.is_empty()), "output after close: {out:?}{out2:?}");
    }
    e.handle_close(now);
    let _ = drain(e);
    show_state(e, &mut shown);
}

/// A line codec's round trip, for the command and reply targets: `data` is read unit after
/// unit as a server reads it (each decode takes at least one byte and at most what is
/// there); every unit that decodes re-encodes to bytes that decode to the same unit, using
/// all of them. `seen` gets each decoded unit (to explain it). Each unit is decoded once.
pub fn round_trips<T, E>(
    data: &[u8],
    decode: impl Fn(&[u8]) -> Decoded<T, E>,
    encode: impl Fn(&T) -> Vec<u8>,
    mut seen: impl FnMut(T),
) where
    T: PartialEq + std::fmt::Debug,
    E: std::fmt::Debug,
{
    let mut rest = data;
    loop {
        let (unit, n) = match decode(rest) {
            Decoded::Complete(unit, n) => (Some(unit), n),
            Decoded::Invalid(_, n) => (None, n),
            Decoded::Incomplete => break,
        };
        if let Some(unit) = unit {
            let wire = encode(&unit);
            match decode(&wire) {
                Decoded::Complete(again, used) => {
                    assert_eq!(again, unit, "{:?}", String::from_utf8_lossy(&wire));
                    assert_eq!(used, wire.len());
                }
                other => panic!("{unit:?} encodes to {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
            }
            seen(unit);
        }
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
}

/// A message for the mailboxes: a plain one and a MIME one.
pub const PLAIN: &[u8] = b"From: Alice <alice@alice.example>\r\nTo: bob@bob.example\r\nSubject: Hi\r\n\
Date: Mon, 14 Sep 2026 09:00:00 +0000\r\nMessage-ID: <1@alice.example>\r\n\r\nHello Bob.\r\n";
pub const MIME: &[u8] = b"From: a@alice.example\r\nTo: bob@bob.example\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
Body\r\n--b1\r\nContent-Type: application/octet-stream; name=x.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n\
AAEC\r\n--b1--\r\n";

/// An IMAP session that reads and changes the seeded mailbox (to check the host's copies).
const CHECK_SESSION: &[u8] = b"a LOGIN bob bob-pw\r\nb SELECT INBOX\r\nc FETCH 1:* (UID FLAGS BODY[])\r\n\
d APPEND INBOX {3+}\r\nabc\r\ne UID SEARCH ALL\r\nf LOGOUT\r\n";

/// A mail host as `mailsim serve` runs it (no TLS, loopback), with Bob's and Carol's
/// mailboxes holding two messages, driven one session at a time.
pub struct HostDriver {
    pub host: MailHost,
    pub rng: Rng,
    pub now: u64,
}

impl Default for HostDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl HostDriver {
    /// The host as every input starts it: made and seeded once per process (the two stored
    /// messages are parsed for the event log as they go in: a tenth of an input's time), then
    /// copied. The copy is the same state as making it again: the store and the randomness
    /// are plain values, and the seeding leaves no session, queue entry or timer behind.
    pub fn new() -> Self {
        static TEMPLATE: OnceLock<(MailStore, Rng)> = OnceLock::new();
        let (store, rng) = TEMPLATE.get_or_init(|| {
            let mut d = HostDriver::build();
            assert!(d.host.poll_output().is_none() && d.host.poll_timeout().is_none());
            let template = (d.host.store().clone(), d.rng.clone());
            // Once per process: a copy answers as a host made from scratch does.
            let script = Chunks { pieces: vec![(1, CHECK_SESSION.to_vec())] };
            let mut copy = HostDriver::from_template(&template.0, &template.1);
            let wire = copy.session(143, &script);
            assert!(wire.ends_with(b"f OK LOGOUT completed\r\n"), "{}", String::from_utf8_lossy(&wire));
            assert_eq!(wire, d.session(143, &script));
            assert_eq!(copy.host.store(), d.host.store());
            template
        });
        HostDriver::from_template(store, rng)
    }

    fn from_template(store: &MailStore, rng: &Rng) -> Self {
        let host = MailHost::with_store("server", "mail.bob.example", &["bob.example"], store.clone(), Self::policy());
        HostDriver { host, rng: rng.clone(), now: 0 }
    }

    fn policy() -> ServerPolicy {
        ServerPolicy { tls: false, queue_delay: 0, ..ServerPolicy::default() }
    }

    /// Made from scratch: the accounts, then the messages through the host.
    pub fn build() -> Self {
        let host = MailHost::new(
            "server",
            "mail.bob.example",
            &["bob.example"],
            &[("bob@bob.example", "bob-pw"), ("carol@bob.example", "carol-pw")],
            Self::policy(),
        );
        let mut d = HostDriver { host, rng: Rng::new(7), now: 0 };
        d.call(|h, ctx| {
            h.seed_message(ctx, "bob@bob.example", PLAIN.to_vec(), 1_789_376_000, &["\\Seen"]);
            h.seed_message(ctx, "bob@bob.example", MIME.to_vec(), 1_789_376_100, &[]);
        });
        d
    }

    pub fn call<R>(&mut self, f: impl FnOnce(&mut MailHost, &mut Ctx) -> R) -> R {
        let mut ctx = Ctx { now: self.now, epoch: 1_789_376_400, rng: &mut self.rng };
        let r = f(&mut self.host, &mut ctx);
        while let Some(o) = self.host.poll_output() {
            if let HostOutput::Relay { queue_id, leg, .. } = o {
                let mut ctx = Ctx { now: self.now, epoch: 1_789_376_400, rng: &mut self.rng };
                self.host.relay_deferred(&mut ctx, &queue_id, leg, "fuzz: no network");
            }
        }
        r
    }

    /// Drains session `sid` until it has nothing more to say; returns its bytes.
    pub fn pump(&mut self, sid: u32) -> Vec<u8> {
        let mut wire = Vec::new();
        loop {
            let mut any = false;
            while let Some(t) = self.host.poll_received(sid) {
                explain(t);
            }
            while let Some(t) = self.host.poll_transmit(sid) {
                wire.extend(explain(t));
                any = true;
            }
            any |= self.call(|h, ctx| h.drive(ctx, sid));
            if self.host.poll_timeout().is_some_and(|t| t <= self.now) {
                self.call(|h, ctx| h.run_queue(ctx));
            }
            if !any {
                break;
            }
        }
        let _ = self.host.session_state(sid);
        wire
    }

    /// Opens session 1 on `port`; `None` if the host offers nothing there.
    pub fn open(&mut self, port: u16) -> Option<Vec<u8>> {
        self.call(|h, ctx| h.accept(ctx, 1, port, "127.0.0.1"))?;
        Some(self.pump(1))
    }

    /// Session 1 reads `bytes` after `gap` ms (its timer first, if due); returns what it
    /// wrote. Nothing may come out once the session was closed.
    pub fn send(&mut self, gap: u64, bytes: &[u8]) -> Vec<u8> {
        let sid = 1;
        self.now += gap;
        let closed = self.host.session_closed(sid);
        if self.host.session_timeout(sid).is_some_and(|t| t <= self.now) {
            self.host.handle_timeout(self.now, sid);
        }
        self.host.handle_input(self.now, sid, bytes);
        let out = self.pump(sid);
        assert!(!closed || out.is_empty(), "output after close: {:?}", String::from_utf8_lossy(&out));
        out
    }

    /// One session on `port` fed `chunks`, then closed; returns all the bytes it wrote.
    pub fn session(&mut self, port: u16, chunks: &Chunks) -> Vec<u8> {
        let Some(mut wire) = self.open(port) else { return vec![] };
        for (gap, bytes) in &chunks.pieces {
            wire.extend(self.send(*gap, bytes));
        }
        self.host.close_session(self.now, 1);
        wire
    }
}
