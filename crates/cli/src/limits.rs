//! Per-connection limits of `mailsim serve`, each answered with its protocol's reply:
//! simultaneous connections in all and per client address (refused in place of the
//! greeting: SMTP `421 4.7.0`, RFC 5321 §3.1; POP3 `-ERR [SYS/TEMP]`, RFC 3206; IMAP
//! `* BYE [UNAVAILABLE]`, RFC 9051 §7.1.5 with RFC 5530), and a command rate (a client
//! faster than that is slowed down, not refused). Line lengths and message sizes are the
//! engines' limits; the idle timeout is the engines' timer.

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

/// Commands per second, as a token bucket holding one second's worth: a burst is served at
/// once, a client that keeps going faster waits before its next read.
pub struct Throttle {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Throttle {
    /// `rate` commands per second; 0: no limit.
    pub fn new(rate: u32) -> Self {
        Throttle { rate: f64::from(rate), tokens: f64::from(rate), last: Instant::now() }
    }

    /// `n` commands were read: how long to wait before reading more.
    pub fn spend(&mut self, n: u32) -> Option<Duration> {
        if self.rate <= 0.0 {
            return None;
        }
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.last = now;
        self.tokens = (self.tokens + refill).min(self.rate) - f64::from(n);
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
    fn throttle_allows_a_second_of_burst_then_paces() {
        let mut t = Throttle::new(100);
        assert_eq!(t.spend(100), None);
        let wait = t.spend(50).unwrap();
        assert!(wait > Duration::from_millis(450) && wait <= Duration::from_millis(500), "{wait:?}");
        assert_eq!(Throttle::new(0).spend(1_000_000), None, "0 means no limit");
    }

    #[test]
    fn internal_error_replies_follow_each_protocol() {
        assert!(internal_error("SMTP").starts_with(b"421 4.3.0 "));
        assert!(internal_error("POP3").starts_with(b"-ERR [SYS/TEMP] "));
        assert!(internal_error("IMAP").starts_with(b"* BYE [SERVERBUG] "));
    }
}
