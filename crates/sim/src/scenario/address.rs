//! Addresses as a scenario file and the page's composer write them: `local@domain` or
//! `Name <local@domain>`. Part of the feature `model`: the composer checks its recipients
//! without the engine.

use mailsim_proto::message::Person;

/// `"Name <local@domain>"` or `"local@domain"`, as the page's composer reads it.
pub(crate) fn person(s: &str) -> Option<Person> {
    let s = s.trim();
    let p = match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b && s[b + 1..].trim().is_empty() => {
            Person::new(s[..a].trim().trim_matches('"'), s[a + 1..b].trim())
        }
        _ => Person::new("", s),
    };
    is_address(&p.address).then_some(p)
}

pub(crate) fn is_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else { return false };
    let bad = |c: char| c.is_whitespace() || "<>,;:\"()[]\\@".contains(c);
    !local.is_empty() && !domain.is_empty() && !local.chars().any(bad) && !domain.chars().any(bad)
}

pub(crate) fn not_address(s: &str) -> String {
    format!("\"{s}\" is not an address; expected local@domain or Name <local@domain>")
}

/// Whether a comma-separated list of recipients, as the page's composer takes it, holds only
/// addresses (a scenario file must); the error says which one is not.
pub fn check_recipients(list: &str) -> Result<(), String> {
    match list.split(',').map(str::trim).find(|x| !x.is_empty() && person(x).is_none()) {
        Some(x) => Err(not_address(x)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recipient_lists_are_checked_entry_by_entry() {
        assert_eq!(super::check_recipients(""), Ok(()));
        assert_eq!(super::check_recipients(" bob@bob.example , \"Carol\" <carol@bob.example>,"), Ok(()));
        let e = super::check_recipients("bob@bob.example, bob at home").unwrap_err();
        assert!(e.starts_with("\"bob at home\" is not an address"), "{e}");
        assert!(super::check_recipients("Bob <bob@bob.example> x").is_err());
    }
}
