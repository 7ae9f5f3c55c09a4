//! Message flags (RFC 9051 §2.3.2): the system flags and their canonical spelling.

/// The system flags, in the order the server lists them.
pub const SYSTEM_FLAGS: [&str; 5] = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];

/// A flag as the server spells it: system flags are case-insensitive (`\\seen` is `\\Seen`);
/// keywords are kept as given.
pub fn canonical_flag(f: &str) -> String {
    SYSTEM_FLAGS.iter().find(|s| s.eq_ignore_ascii_case(f)).map(|s| s.to_string()).unwrap_or_else(|| f.to_string())
}

/// Where a flag goes in a sorted flag list: system flags first, in [`SYSTEM_FLAGS`] order.
pub fn flag_order(f: &str) -> usize {
    SYSTEM_FLAGS.iter().position(|s| *s == f).unwrap_or(SYSTEM_FLAGS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_flags_are_canonical_and_sorted_first() {
        assert_eq!(canonical_flag("\\seen"), "\\Seen");
        assert_eq!(canonical_flag("$Junk"), "$Junk");
        assert!(flag_order("\\Answered") < flag_order("\\Draft") && flag_order("\\Draft") < flag_order("$Junk"));
    }
}
