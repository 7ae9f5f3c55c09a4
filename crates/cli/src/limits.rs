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

use mailsim_proto::Closing;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// The protocol's "try again later" in place of a greeting, then close.
pub async fn busy<S: tokio::io::AsyncWrite + Unpin>(mut stream: S, service: u16) {
    let reply = match service {
        110 | 995 => mailsim_proto::pop3::closing_response(Closing::Busy),
        143 | 993 => mailsim_proto::imap::server::closing_response(Closing::Busy),
        _ => mailsim_proto::smtp::closing_reply("localhost", Closing::Busy),
    };
    let _ = stream.write_all(&reply.bytes).await;
    let _ = stream.shutdown().await;
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
