//! The world's only source of randomness: SplitMix64, seeded per scenario. Same seed, same
//! numbers, on every platform.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `digits` upper-case hex digits, like a Postfix queue id.
    pub fn hex(&mut self, digits: usize) -> String {
        let v = self.next_u64();
        format!("{v:016X}")[..digits.min(16)].to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_seed_same_numbers() {
        let (mut a, mut b) = (super::Rng::new(7), super::Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_eq!(super::Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}
