//! Decimal text to the nearest `f64` and back: the same forms and results as
//! `str::parse::<f64>()` and `f64`'s `Display` (tested against them below), by exact
//! big-integer arithmetic. Only the error message about a float where an activity file wants
//! something else needs them; std's parser (its fast path and its 10 KB table of powers of
//! five) and float printing cost the page 21 KB gzipped, these about a tenth of that. Slow,
//! and it does not matter on that path.

use std::cmp::Ordering;

/// `s` as `str::parse::<f64>()` reads it: `[+-]` then `inf`, `infinity` or `nan` (any case),
/// or digits with at most one `.` (at least one digit) and an optional `e`/`E` exponent.
pub(crate) fn parse(s: &str) -> Option<f64> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let sign = |x: f64| if negative { -x } else { x };
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(sign(f64::INFINITY));
    }
    if rest.eq_ignore_ascii_case("nan") {
        return Some(sign(f64::NAN));
    }
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    // The exponent, saturated far beyond what can matter (as std does).
    let mut e: i64 = 0;
    if let Some(x) = exp {
        let (neg, digits) = match x.as_bytes().first() {
            Some(b'-') => (true, &x[1..]),
            Some(b'+') => (false, &x[1..]),
            _ => (false, x),
        };
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
        for b in digits.bytes() {
            e = (e * 10 + i64::from(b - b'0')).min(1 << 40);
        }
        if neg {
            e = -e;
        }
    }
    // value = D × 10^e, D the digits without leading or trailing zeros.
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let first = digits.iter().position(|&b| b != b'0');
    let Some(first) = first else { return Some(sign(0.0)) };
    let last = digits.iter().rposition(|&b| b != b'0').unwrap_or(first);
    let d = &digits[first..=last];
    let e = e - frac.len() as i64 + (digits.len() - 1 - last) as i64;
    let n = d.len() as i64;
    // 10^(e+n-1) <= value < 10^(e+n): beyond these bounds the result is certain.
    if e + n > 310 {
        return Some(sign(f64::INFINITY));
    }
    if e + n < -324 {
        return Some(sign(0.0));
    }
    let mut num = Big(vec![0]);
    for &b in d {
        num.mul_add(10, u32::from(b - b'0'));
    }
    let mut den = Big(vec![1]);
    for _ in 0..e.unsigned_abs() {
        if e > 0 { &mut num } else { &mut den }.mul_add(10, 0);
    }
    // value = q × 2^k with 2^52 <= q < 2^53 (fewer below the smallest normal, k = -1074).
    let mut k = num.bits() as i64 - den.bits() as i64 - 53;
    let (mut q, half) = loop {
        let k2 = k.max(-1074);
        let (a, b) = if k2 >= 0 { (num.clone(), den.shl(k2 as usize)) } else { (num.shl((-k2) as usize), den.clone()) };
        let (q, r) = a.div(&b);
        if q >= 1 << 53 && k2 == k {
            k += 1;
            continue;
        }
        k = k2;
        break (q, r.shl(1).cmp(&b));
    };
    if half == Ordering::Greater || (half == Ordering::Equal && q & 1 == 1) {
        q += 1;
        if q == 1 << 53 {
            q >>= 1;
            k += 1;
        }
    }
    let bits = if q < 1 << 52 {
        q
    } else {
        let biased = k + 52 + 1023;
        if biased >= 2047 {
            return Some(sign(f64::INFINITY));
        }
        ((biased as u64) << 52) | (q - (1 << 52))
    };
    Some(sign(f64::from_bits(bits)))
}

/// `x` as `f64`'s `Display` (`{}`) writes it: the fewest digits that read back as `x` (of two
/// such, the nearer), without exponent: "0.1", "1e23" as "100000000000000000000000", "-0",
/// "NaN", "inf". Tested against `Display` below.
pub(crate) fn display(x: f64) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    if x == 0.0 {
        return format!("{sign}0");
    }
    let bits = x.abs().to_bits();
    let (biased, fraction) = (bits >> 52, bits & ((1 << 52) - 1));
    let (m, e) = if biased == 0 { (fraction, -1074) } else { (fraction | (1 << 52), biased as i64 - 1075) };
    // |x| = m × 2^e = n × 10^-shift exactly; its decimal digits, then |x| = 0.DIGITS × 10^point.
    let mut n = Big(vec![m as u32, (m >> 32) as u32]);
    n.trim();
    let mut shift = 0i64;
    if e >= 0 {
        n = n.shl(e as usize);
    } else {
        for _ in 0..-e {
            n.mul_add(5, 0);
        }
        shift = -e;
    }
    let mut all = Vec::new();
    while n.0 != [0] {
        all.push(n.div_small(10));
    }
    all.reverse();
    let point = all.len() as i64 - shift;
    let reads_back = |d: &[u8], point: i64| {
        let text: String = d.iter().map(|&c| char::from(b'0' + c)).collect();
        parse(&format!("0.{text}e{point}")).map(f64::to_bits) == Some(bits)
    };
    let mut best = (all.clone(), point);
    for p in 1..all.len() {
        let down = all[..p].to_vec();
        let (mut up, mut up_point) = (down.clone(), point);
        match up.iter().rposition(|&c| c != 9) {
            Some(i) => {
                up[i] += 1;
                up[i + 1..].iter_mut().for_each(|c| *c = 0);
            }
            None => {
                up = vec![1];
                up_point += 1;
            }
        }
        let (down_ok, up_ok) = (reads_back(&down, point), reads_back(&up, up_point));
        // Nearer: the rest of the digits against one half of the last kept digit.
        let rest = &all[p..];
        let above_half = rest[0] > 5 || (rest[0] == 5 && rest[1..].iter().any(|&c| c != 0));
        let at_half = rest[0] == 5 && !above_half;
        if down_ok && (!up_ok || !(above_half || at_half)) {
            best = (down, point);
            break;
        }
        if up_ok {
            best = (up, up_point);
            break;
        }
    }
    let (mut d, point) = best;
    while d.len() > 1 && d.last() == Some(&0) {
        d.pop();
    }
    let text: String = d.iter().map(|&c| char::from(b'0' + c)).collect();
    let len = d.len() as i64;
    if point <= 0 {
        format!("{sign}0.{}{text}", "0".repeat(point.unsigned_abs() as usize))
    } else if point < len {
        format!("{sign}{}.{}", &text[..point as usize], &text[point as usize..])
    } else {
        format!("{sign}{text}{}", "0".repeat((point - len) as usize))
    }
}

/// An unsigned big integer, 32-bit limbs, least significant first, no high zero limbs
/// (except zero itself, `[0]`).
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn mul_add(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let x = u64::from(*limb) * u64::from(m) + carry;
            *limb = x as u32;
            carry = x >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    /// Divides by `d`, returns the remainder (a digit for `d` = 10).
    fn div_small(&mut self, d: u32) -> u8 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u8
    }

    fn bits(&self) -> usize {
        let top = self.0.last().copied().unwrap_or(0);
        (self.0.len() - 1) * 32 + (32 - top.leading_zeros() as usize)
    }

    fn shl(&self, n: usize) -> Big {
        let (limbs, bits) = (n / 32, n % 32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &x in &self.0 {
            out.push((x << bits) | carry);
            carry = if bits == 0 { 0 } else { x >> (32 - bits) };
        }
        out.push(carry);
        let mut b = Big(out);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.len() > 1 && self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`, `self >= other`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let x = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(x < 0);
            *limb = x.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    /// Quotient (which must fit in 60 bits) and remainder.
    fn div(mut self, d: &Big) -> (u64, Big) {
        let mut q = 0u64;
        for i in (0..60).rev() {
            let s = d.shl(i);
            if self.cmp(&s) != Ordering::Less {
                self.sub(&s);
                q |= 1 << i;
            }
        }
        (q, self)
    }
}

#[cfg(test)]
mod tests {
    use super::{display, parse};

    #[test]
    fn writes_what_display_writes() {
        for x in [
            0.1,
            0.2,
            0.3,
            1.5,
            100.0,
            1e23,
            1e21,
            1e22,
            123456789.125,
            5e-324,
            1e-7,
            f64::MAX,
            f64::MIN_POSITIVE,
            9007199254740992.0,
            9007199254740993.0,
            0.000001,
            2.5e-10,
            1.0 / 3.0,
            -2.0 / 3.0,
            4.35,
            0.3e-300,
        ] {
            assert_eq!(display(x), x.to_string());
            assert_eq!(display(-x), (-x).to_string());
        }
        for x in [0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(display(x), x.to_string());
        }
        let mut s = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..1_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Any bits; every tenth a short decimal (the usual case).
            let x = if i % 10 == 0 { (s % 100_000) as f64 / 1000.0 } else { f64::from_bits(s) };
            assert_eq!(display(x), x.to_string(), "{:#x}", x.to_bits());
        }
    }

    fn same(s: &str) {
        let want = s.parse::<f64>().ok();
        let got = parse(s);
        let eq = match (want, got) {
            (Some(a), Some(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (None, None) => true,
            _ => false,
        };
        assert!(eq, "{s:?}: std {want:?}, ours {got:?}");
    }

    #[test]
    fn reads_what_std_reads_as_std_does() {
        for s in [
            "",
            ".",
            "+",
            "-",
            "e5",
            "1e",
            "1e+",
            "1e-",
            ".e1",
            "-.e1",
            "1_0",
            " 1",
            "1 ",
            "0x10",
            "1.2.3",
            "1e5e5",
            "1.e5",
            "5.",
            ".5",
            "+.5",
            "-0",
            "-0.0",
            "0e99999999999999999999",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "inf",
            "+inf",
            "-inf",
            "Infinity",
            "-INFINITY",
            "infin",
            "nan",
            "-NaN",
            "+nan",
            "nana",
            "0.1",
            "0.2",
            "0.3",
            "1e23",
            "8.98846567431158e307",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "4.9e-324",
            "5e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "2.47032822920623272e-324",
            "1e-324",
            "3e-324",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "1.797693134862315808e308",
            "9007199254740993",
            "9007199254740992.5",
            "9007199254740994.0000000000000000000001",
            "123456789012345678901234567890",
            "0.000000000000000000000000000000000000000000001",
            "1.5",
            "100",
            "3.14159",
            "1E+2",
            "1e-2",
            "00012.500e0003",
        ] {
            same(s);
        }
    }

    #[test]
    fn random_numbers_and_junk_read_as_std_reads_them() {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..5_000 {
            let mut s = String::new();
            if next(4) == 0 {
                s.push(['+', '-'][next(2) as usize]);
            }
            let digits = if next(20) == 0 { 1 + next(400) } else { 1 + next(25) };
            let dot = next(digits + 2);
            for i in 0..digits {
                if i == dot {
                    s.push('.');
                }
                s.push(char::from(b'0' + next(10) as u8));
            }
            if next(2) == 0 {
                s.push(['e', 'E'][next(2) as usize]);
                match next(3) {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                s.push_str(&next(360).to_string());
            }
            same(&s);
            let junk: String = (0..next(8)).map(|_| b"0123456789.eE+-_infatyINF "[next(26) as usize] as char).collect();
            same(&junk);
            // Any double (subnormals and the largest too), shortest and longer than exact.
            let v = f64::from_bits((next(u64::MAX) << 20) ^ next(u64::MAX));
            if v.is_finite() {
                for t in [format!("{v:e}"), format!("{v:.16e}"), format!("{v:.30e}"), format!("{v}")] {
                    same(&t);
                }
            }
        }
    }
}
