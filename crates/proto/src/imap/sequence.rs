//! Sequence sets (RFC 9051 §9 `sequence-set`: `1:5,7,9:*`): reading, testing, writing.

/// Is `n` in the sequence set `set`, where `*` stands for `max`? Ranges go either way.
pub fn set_contains(set: &str, n: u32, max: u32) -> bool {
    let num = |s: &str| if s == "*" { max } else { s.parse().unwrap_or(0) };
    set.split(',').any(|r| {
        let (a, b) = r.split_once(':').map(|(a, b)| (num(a), num(b))).unwrap_or((num(r), num(r)));
        (a.min(b)..=a.max(b)).contains(&n)
    })
}

/// The ranges of `set` (with `*` as `max`), sorted and merged: read once, then
/// [`in_ranges`] answers for each message in O(log ranges).
pub fn ranges(set: &str, max: u32) -> Vec<(u32, u32)> {
    let num = |s: &str| if s == "*" { max } else { s.parse().unwrap_or(0) };
    let mut out: Vec<(u32, u32)> = set
        .split(',')
        .map(|r| {
            let (a, b) = r.split_once(':').map(|(a, b)| (num(a), num(b))).unwrap_or((num(r), num(r)));
            (a.min(b), a.max(b))
        })
        .collect();
    out.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(out.len());
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Is `n` in `ranges` (from [`ranges`])?
pub fn in_ranges(ranges: &[(u32, u32)], n: u32) -> bool {
    let i = ranges.partition_point(|&(_, b)| b < n);
    ranges.get(i).is_some_and(|&(a, _)| a <= n)
}

/// Is `s` a sequence set (RFC 9051 `sequence-set`: `1:5,7,9:*`)?
pub fn valid_set(s: &str) -> bool {
    !s.is_empty()
        && s.split(',').all(|r| {
            let ok =
                |n: &str| n == "*" || (n.parse::<u32>().is_ok_and(|v| v > 0) && n.bytes().all(|b| b.is_ascii_digit()));
            match r.split_once(':') {
                Some((a, b)) => ok(a) && ok(b),
                None => ok(r),
            }
        })
}

/// Does `s` (a would-be sequence set) name the number 0? Message numbers and UIDs start at 1
/// (RFC 9051 §9: `seq-number = nz-number / "*"`), a common slip of a learner typing by hand.
pub fn names_zero(s: &str) -> bool {
    s.split([',', ':']).any(|n| !n.is_empty() && n.bytes().all(|b| b == b'0'))
}

/// A sequence set, or `$`: the result saved by the last `SEARCH RETURN (SAVE)` (RFC 5182 §2.1).
pub fn valid_set_or_saved(s: &str) -> bool {
    s == "$" || valid_set(s)
}

/// Does the sequence set name a message number above `exists`? Sequence numbers run from 1
/// to EXISTS; any other is a protocol error: BAD (RFC 9051 §9, seq-number), "`*`" included
/// when the mailbox is empty (then 0 is returned).
pub fn beyond(set: &str, exists: u32) -> Option<u32> {
    if exists == 0 && set != "$" {
        return Some(0);
    }
    set.split(',').flat_map(|r| r.split(':')).filter(|n| *n != "*" && *n != "$").find_map(|n| {
        let v: u32 = n.parse().unwrap_or(u32::MAX);
        (v > exists).then_some(v)
    })
}

/// Ascending numbers as a compact sequence set: 1,2,3,5 → 1:3,5.
pub fn compact(ids: &[u32]) -> String {
    fn run_text((a, b): (u32, u32)) -> String {
        if a == b {
            a.to_string()
        } else {
            format!("{a}:{b}")
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for &id in ids {
        run = match run {
            Some((a, b)) if b.checked_add(1) == Some(id) => Some((a, id)),
            Some(done) => {
                out.push(run_text(done));
                Some((id, id))
            }
            None => Some((id, id)),
        };
    }
    out.extend(run.map(run_text));
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_read_test_and_write() {
        assert!(valid_set("1:5,7,9:*") && !valid_set("") && !valid_set("0") && !valid_set("1:x") && !valid_set("+1"));
        assert!(set_contains("1:3,7", 2, 9) && set_contains("5:*", 9, 9) && set_contains("*:5", 6, 6));
        assert!(!set_contains("1:3,7", 5, 9));
        assert_eq!(compact(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(compact(&[]), "");
        assert_eq!(beyond("5:2", 1), Some(5));
        assert_eq!(beyond("1:*", 1), None);
        assert_eq!(beyond("1,3", 2), Some(3));
        assert_eq!(beyond("*", 0), Some(0), "* in an empty mailbox");
        assert_eq!(beyond("1:*", 0), Some(0));
        assert!(valid_set_or_saved("$") && !valid_set("$"));
        let r = ranges("9:7,1,2,*,3:4", 20);
        assert_eq!(r, vec![(1, 4), (7, 9), (20, 20)]);
        for n in 0..=21 {
            assert_eq!(in_ranges(&r, n), set_contains("9:7,1,2,*,3:4", n, 20), "{n}");
        }
    }
}
