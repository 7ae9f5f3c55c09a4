//! What the learner reads about one arrow: [`Explanation`], derived from the typed message
//! (each protocol's `explain` module says what its messages mean), never by re-parsing text.

/// What the learner reads about one arrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// A short text for the arrow.
    pub label: String,
    /// One or two sentences.
    pub meaning: String,
    /// The section that defines it, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: String,
}

pub(crate) fn ex(label: String, meaning: impl Into<String>, rfc: &str) -> Explanation {
    Explanation { label, meaning: meaning.into(), rfc: rfc.into() }
}

/// `s` cut to `n` characters, the last of them `…` when it was longer.
pub(crate) fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// [`shorten`] of a string made for it: kept as it is (no copy) when it is short enough.
pub(crate) fn shortened(s: String, n: usize) -> String {
    if s.chars().count() <= n {
        s
    } else {
        shorten(&s, n)
    }
}
