//! Time as engines see it: a number the driver passes in, and the servers' idle timer.

/// Milliseconds of time as the driver counts it (virtual in the world, wall-clock in
/// `serve`). Engines never read a clock: `now` is always an argument.
pub type Millis = u64;

/// The idle timer of a server engine: a deadline measured from the last input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdleTimer {
    pub limit: Option<Millis>,
    pub last: Millis,
}

impl IdleTimer {
    pub fn new(limit: Option<Millis>, now: Millis) -> Self {
        IdleTimer { limit, last: now }
    }

    pub fn touch(&mut self, now: Millis) {
        self.last = self.last.max(now);
    }

    pub fn deadline(&self) -> Option<Millis> {
        self.limit.map(|l| self.last.saturating_add(l))
    }

    pub fn expired(&self, now: Millis) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }
}

/// Five minutes: RFC 5321 §4.5.3.2.7's server timeout.
pub const SMTP_IDLE_TIMEOUT: Millis = 5 * 60 * 1000;
/// Ten minutes: RFC 1939 §3's shortest allowed autologout timer.
pub const POP3_IDLE_TIMEOUT: Millis = 10 * 60 * 1000;
/// Thirty minutes: RFC 9051 §5.4's shortest allowed autologout timer after login.
pub const IMAP_IDLE_TIMEOUT: Millis = 30 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_timer_counts_from_the_last_input() {
        let mut t = IdleTimer::new(Some(100), 5);
        assert_eq!(t.deadline(), Some(105));
        t.touch(50);
        assert!(!t.expired(149) && t.expired(150));
        t.touch(10);
        assert_eq!(t.deadline(), Some(150), "time never goes back");
        assert_eq!(IdleTimer::new(None, 0).deadline(), None);
    }
}
