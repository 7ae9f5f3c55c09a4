//! Per-connection limits of `mailsim serve`, each answered with its protocol's reply:
//! simultaneous connections in all and per client address (refused in place of the
//! greeting: SMTP `421 4.7.0`, RFC 5321 §3.1; POP3 `-ERR [SYS/TEMP]`, RFC 3206; IMAP
//! `* BYE [UNAVAILABLE]`, RFC 9051 §7.1.5 with RFC 5530), and a command rate ([`Throttle`]).
//! Line lengths and message sizes are the engines' limits; the idle timeout is the engines'
//! timer.
//!
//! The command rate has no reply of its own: a client faster than the rate is slowed down,
//! not refused. Every command it sent is answered as its protocol says, in order; the
//! server only waits before it reads more of the client's input (TCP's flow control holds
//! the client back meanwhile). None of the protocols has a "too fast" reply for a command
//! that is otherwise fine (SMTP's 421 and 4.7.0 close the session or refuse a transaction,
//! RFC 5321 §3.8 and RFC 3463; IMAP and POP3 have none), and the waits stay far below the
//! protocols' timeouts (RFC 5321 §4.5.3.2: minutes; RFC 9051 §5.4: 30 minutes).

use mailsim_proto::pdu::Transmit;
use mailsim_proto::Closing;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// The protocol's "try again later" in place of a greeting (`service`: the well-known port
/// whose rules apply): what [`busy`] writes, and what the event log records.
pub fn busy_reply(service: u16) -> Transmit {
    match service {
        110 | 995 => mailsim_proto::pop3::closing_response(Closing::Busy),
        143 | 993 => mailsim_proto::imap::server::closing_response(Closing::Busy),
        _ => mailsim_proto::smtp::closing_reply("localhost", Closing::Busy),
    }
}

/// Writes `reply` (a [`busy_reply`]), then closes.
pub async fn busy<S: tokio::io::AsyncWrite + Unpin>(mut stream: S, reply: &[u8]) {
    let _ = stream.write_all(reply).await;
    let _ = stream.shutdown().await;
}

/// Refused connections recorded per second at most (the event log, `--log`, the live view);
/// the others are counted, and the next one recorded says how many were not (as does a note
/// once the flood is over, see [`Refusals::quiet`]). A flood of refused connections then
/// costs the log, the live stream and the page ten arrows a second, and no lock more.
pub const REFUSALS_RECORDED_PER_SECOND: u32 = 10;

/// Every refused connection counted; which ones are recorded (see
/// [`REFUSALS_RECORDED_PER_SECOND`]).
#[derive(Default)]
pub struct Refusals {
    total: AtomicU64,
    /// (the current second's start, refusals recorded in it, refusals not recorded since the
    /// last one recorded)
    window: Mutex<Option<(Instant, u32, u64)>>,
    /// Refusals not recorded since the last note, by client address (for the students seen
    /// there); at most [`NOTED_ADDRESSES`] addresses.
    unrecorded: Mutex<BTreeMap<IpAddr, u64>>,
}

/// Addresses whose unrecorded refusals a flood's end notes one by one (the most refused
/// first); the total covers every address.
pub const NOTED_ADDRESSES: usize = 32;

/// What a flood left unrecorded, once it is over ([`Refusals::quiet`]).
#[derive(Debug, PartialEq)]
pub struct Unrecorded {
    /// Not recorded since the last refusal that was (its "+k more" counted the ones before).
    pub since_last: u64,
    /// Not recorded since the last note, by client address, the most refused first.
    pub by_address: Vec<(IpAddr, u64)>,
}

impl Refusals {
    /// One more refusal, from `ip` at `now`: `Some(k)` to record it (`k`: how many before it
    /// were not recorded since the last one that was), `None` to count it only.
    pub fn refused(&self, now: Instant, ip: IpAddr) -> Option<u64> {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let (start, shown, hidden) = w.get_or_insert((now, 0, 0));
        if now.saturating_duration_since(*start) >= Duration::from_secs(1) {
            (*start, *shown) = (now, 0);
        }
        if *shown >= REFUSALS_RECORDED_PER_SECOND {
            *hidden += 1;
            let mut by = self.unrecorded.lock().unwrap_or_else(|e| e.into_inner());
            // Bounded: an address first refused when 1,024 are counted goes in the total only.
            if by.len() < 1024 || by.contains_key(&ip) {
                *by.entry(ip).or_default() += 1;
            }
            return None;
        }
        *shown += 1;
        Some(std::mem::take(hidden))
    }

    /// What was not recorded, once a second has gone by without room for more (the flood is
    /// over): taken, for notes saying how many.
    pub fn quiet(&self, now: Instant) -> Option<Unrecorded> {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let mut by = self.unrecorded.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *w {
            Some((start, _, hidden))
                if (*hidden > 0 || !by.is_empty())
                    && now.saturating_duration_since(*start) >= Duration::from_secs(1) =>
            {
                let mut by_address: Vec<_> = std::mem::take(&mut *by).into_iter().collect();
                by_address.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                by_address.truncate(NOTED_ADDRESSES);
                Some(Unrecorded { since_last: std::mem::take(hidden), by_address })
            }
            _ => None,
        }
    }

    /// Connections refused since the start.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// What a client hears when its session failed inside the server (a caught panic): SMTP
/// `421 4.3.0` (RFC 5321 §3.8, RFC 3463 "other or undefined mail system status"), POP3
/// `-ERR [SYS/TEMP]` (RFC 3206), IMAP `* BYE [SERVERBUG]` (RFC 5530 §3).
pub fn internal_error(protocol: &str) -> Vec<u8> {
    match protocol {
        "POP3" => b"-ERR [SYS/TEMP] internal server error, closing\r\n".to_vec(),
        "IMAP" => b"* BYE [SERVERBUG] internal server error, closing\r\n".to_vec(),
        _ => b"421 4.3.0 localhost internal server error, closing connection\r\n".to_vec(),
    }
}

/// Connections per client address.
#[derive(Clone)]
pub struct PerAddress {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection counted for its address until dropped.
pub struct AddressSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddress {
    pub fn new(max: usize) -> Self {
        PerAddress { max, open: Arc::default() }
    }

    /// A slot for one more connection from `ip`, or `None` if it has `max` already.
    pub fn enter(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot { ip, open: self.open.clone() })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Commands per second, as a token bucket: it holds at most `burst` commands and fills at
/// `rate` a second. A burst is served at once; a client that keeps going faster than `rate`
/// waits before its next read, so over any stretch of time it gets `rate` commands a second
/// plus one burst, however long it goes on.
pub struct Throttle {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

/// The bucket's size when none is given: RFC 5321 §4.5.3.1.8's 100 recipients of one
/// message, pipelined (RFC 2920), go through at once.
pub const DEFAULT_BURST: u32 = 100;

impl Throttle {
    /// `rate` commands per second (0: no limit), at most `burst` at once (at least 1).
    pub fn new(rate: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Throttle { rate: f64::from(rate), burst, tokens: burst, last: Instant::now() }
    }

    /// `n` commands were read (the bucket may go below empty: they were read already): how
    /// long to wait before reading more, if at all.
    pub fn spend(&mut self, n: u32) -> Option<Duration> {
        self.spend_at(Instant::now(), n)
    }

    fn spend_at(&mut self, now: Instant, n: u32) -> Option<Duration> {
        if self.rate <= 0.0 {
            return None;
        }
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * self.rate;
        self.last = self.last.max(now);
        self.tokens = (self.tokens + refill).min(self.burst) - f64::from(n);
        (self.tokens < 0.0).then(|| Duration::from_secs_f64(-self.tokens / self.rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_all_counted_and_ten_a_second_recorded() {
        let r = Refusals::default();
        let t0 = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let n = REFUSALS_RECORDED_PER_SECOND as usize;
        // The first second: n recorded, then 3 from a and 2 from b counted only.
        let first: Vec<_> = (0..n + 5)
            .map(|i| r.refused(t0 + Duration::from_millis(i as u64), if i % 2 == 0 { a } else { b }))
            .collect();
        assert!(first[..n].iter().all(|k| *k == Some(0)), "{first:?}");
        assert!(first[n..].iter().all(Option::is_none), "{first:?}");
        assert_eq!(r.quiet(t0 + Duration::from_millis(500)), None, "the second is not over");
        // The next second: the first one recorded says how many were not.
        assert_eq!(r.refused(t0 + Duration::from_millis(1000), a), Some(5));
        assert_eq!(r.refused(t0 + Duration::from_millis(1001), a), Some(0));
        for i in 0..n {
            r.refused(t0 + Duration::from_millis(1002 + i as u64), b);
        }
        assert_eq!(r.total(), (n + 5 + 2 + n) as u64);
        // The flood is over: a note takes the rest, once; each address's own count too (all
        // not recorded since the last note: b's 2 of the first second and its 2 of the second).
        assert_eq!(r.quiet(t0 + Duration::from_millis(1500)), None);
        let left = r.quiet(t0 + Duration::from_millis(2000)).expect("a note");
        assert_eq!(left, Unrecorded { since_last: 2, by_address: vec![(b, 4), (a, 3)] });
        assert_eq!(r.quiet(t0 + Duration::from_millis(2500)), None);
        assert_eq!(r.refused(t0 + Duration::from_millis(3000), a), Some(0));
        // A flood whose last refusal was drawn (nothing since it) still notes each address's.
        for i in 0..n + 1 {
            r.refused(t0 + Duration::from_millis(4000 + i as u64), a);
        }
        assert_eq!(r.refused(t0 + Duration::from_millis(5000), a), Some(1));
        let left = r.quiet(t0 + Duration::from_millis(6000)).expect("a note");
        assert_eq!(left, Unrecorded { since_last: 0, by_address: vec![(a, 1)] });
        // Many addresses: the most refused are noted, NOTED_ADDRESSES of them.
        for i in 0..n {
            r.refused(t0 + Duration::from_millis(7000 + i as u64), a);
        }
        for i in 0..100u32 {
            let ip = IpAddr::from([10, 1, (i / 200) as u8, (i % 200) as u8]);
            for _ in 0..=(i % 3) {
                r.refused(t0 + Duration::from_millis(7100), ip);
            }
        }
        let left = r.quiet(t0 + Duration::from_millis(8000)).expect("a note");
        assert_eq!(left.by_address.len(), NOTED_ADDRESSES);
        assert!(left.by_address.iter().all(|(_, k)| *k == 3), "{:?}", left.by_address);
        assert_eq!(left.since_last, 199, "34 × 1 + 33 × 2 + 33 × 3");
    }

    #[test]
    fn per_address_counts_and_releases() {
        let p = PerAddress::new(2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let a = p.enter(ip).unwrap();
        let _b = p.enter(ip).unwrap();
        assert!(p.enter(ip).is_none(), "a third from the same address is refused");
        assert!(p.enter([10, 0, 0, 2].into()).is_some(), "another address is not");
        drop(a);
        assert!(p.enter(ip).is_some(), "a closed connection frees its slot");
    }

    #[test]
    fn throttle_serves_a_burst_then_paces() {
        let t0 = Instant::now();
        let mut t = Throttle::new(100, 20);
        assert_eq!(t.spend_at(t0, 20), None, "the burst at once");
        let wait = t.spend_at(t0, 50).unwrap();
        assert_eq!(wait, Duration::from_millis(500), "50 beyond it: half a second at 100 a second");
        assert_eq!(Throttle::new(0, 1).spend(1_000_000), None, "0 means no limit");
    }

    /// The rate a client gets does not depend on how long it goes on: N commands sent as
    /// fast as the throttle lets them take (N - burst) / rate seconds, for any N.
    #[test]
    fn throttle_paces_long_and_short_runs_alike() {
        for (rate, burst) in [(500, 100), (100, 1), (1_000, 1_000)] {
            for n in [200u32, 1_000, 5_000, 20_000] {
                let t0 = Instant::now();
                let mut t = Throttle::new(rate, burst);
                let mut now = t0;
                // A client that sends 4 commands at a time, as soon as it may.
                for _ in 0..n / 4 {
                    if let Some(wait) = t.spend_at(now, 4) {
                        now += wait;
                    }
                }
                let took = now.duration_since(t0).as_secs_f64();
                let want = f64::from(n.saturating_sub(burst)) / f64::from(rate);
                assert!((took - want).abs() < 0.01 + f64::from(4) / f64::from(rate), "{rate}/{burst} {n}: {took}");
            }
        }
        // Idle time refills the bucket up to its size, not beyond.
        let t0 = Instant::now();
        let mut t = Throttle::new(10, 5);
        assert_eq!(t.spend_at(t0, 5), None);
        assert_eq!(t.spend_at(t0 + Duration::from_secs(60), 5), None);
        assert_eq!(t.spend_at(t0 + Duration::from_secs(60), 1), Some(Duration::from_millis(100)));
    }

    #[test]
    fn internal_error_replies_follow_each_protocol() {
        assert!(internal_error("SMTP").starts_with(b"421 4.3.0 "));
        assert!(internal_error("POP3").starts_with(b"-ERR [SYS/TEMP] "));
        assert!(internal_error("IMAP").starts_with(b"* BYE [SERVERBUG] "));
    }
}
