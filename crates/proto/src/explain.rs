//! What the learner reads about one arrow: [`Explanation`], derived from the typed message
//! (each protocol's `explain` module says what its messages mean), never by re-parsing text.

use std::borrow::Cow;

/// A text that is most often one of the program's own (a state's text, an RFC section, a
/// fixed sentence) and only sometimes made for the occasion: borrowed when it is static, so
/// that the event log of a world run allocates nothing for it.
pub type Text = Cow<'static, str>;

/// What the learner reads about one arrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// A short text for the arrow.
    pub label: Text,
    /// One or two sentences.
    pub meaning: Text,
    /// The section that defines it, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: Text,
}

pub(crate) fn ex(label: impl Into<Text>, meaning: impl Into<Text>, rfc: &'static str) -> Explanation {
    Explanation { label: label.into(), meaning: meaning.into(), rfc: Cow::Borrowed(rfc) }
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
