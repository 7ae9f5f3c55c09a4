//! Every engine's state machine, in one list: what the page draws and what a logged state
//! text is looked up in. Each table lives next to its state enum (`smtp::server::MACHINE`...).

use crate::state::{Side, StateMachine};
use crate::{http, imap, pop3, smtp};

/// Every machine, servers first within each protocol.
pub fn all() -> &'static [&'static StateMachine] {
    static ALL: [&StateMachine; 10] = [
        &smtp::server::MACHINE,
        &smtp::client::MACHINE,
        &smtp::typed::MACHINE,
        &pop3::server::MACHINE,
        &pop3::client::MACHINE,
        &pop3::typed::MACHINE,
        &imap::server::MACHINE,
        &imap::client::MACHINE,
        &http::server::MACHINE,
        &http::client::MACHINE,
    ];
    &ALL
}

/// The machine of `protocol` for `side`, if there is one.
pub fn of(protocol: &str, side: Side) -> Option<&'static StateMachine> {
    all().iter().copied().find(|m| m.protocol == protocol && m.side == side)
}

/// The server's machine of `protocol`, if there is one: what the page draws. Only the four
/// servers' tables are linked where this is the one lookup (the page: the clients' and the
/// terminals' texts stay out of its wasm).
pub fn server(protocol: &str) -> Option<&'static StateMachine> {
    static SERVERS: [&StateMachine; 4] =
        [&smtp::server::MACHINE, &pop3::server::MACHINE, &imap::server::MACHINE, &http::server::MACHINE];
    SERVERS.iter().copied().find(|m| m.protocol == protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{StateId, StateView};

    #[test]
    fn every_state_text_round_trips_through_find() {
        for m in all() {
            for (i, s) in m.states.iter().enumerate() {
                let id = StateId(i as u8);
                let view = if s.text.contains("{n}") { StateView::with_n(m, id, 3) } else { StateView::new(m, id) };
                let text = view.to_string();
                assert_eq!(m.find(&text), Some(view), "{} {}: {text}", m.protocol, s.label);
                assert!(s.text.matches("{n}").count() <= 1);
            }
        }
    }

    #[test]
    fn server_finds_every_servers_machine() {
        for m in all() {
            let want = of(m.protocol, Side::Server).map(|m| m as *const StateMachine);
            assert_eq!(server(m.protocol).map(|m| m as *const StateMachine), want, "{}", m.protocol);
            assert!(server(m.protocol).is_some_and(|s| s.side == Side::Server));
        }
        assert_eq!(all().iter().filter(|m| m.side == Side::Server).count(), 4, "every server is in `server`");
        assert!(server("DNS").is_none());
    }

    #[test]
    fn tables_are_well_formed() {
        for m in all() {
            assert!(!m.states.is_empty() && m.states.len() < 256);
            for t in m.transitions {
                assert!(t.from.index() < m.states.len() && t.to.index() < m.states.len(), "{}", m.title);
                if t.drawn {
                    assert!(m.state(t.from).part_of.is_none() && m.state(t.to).part_of.is_none(), "{t:?}");
                }
            }
            for s in m.states {
                if let Some(p) = s.part_of {
                    assert!(m.state(p).part_of.is_none(), "one level of sub-states: {}", s.label);
                }
            }
            // A "from any state" arrow stands for transitions the table has: every other drawn
            // state reaches its target by a trigger naming its command.
            if let Some((to, verb)) = m.from_any {
                for (from, _) in m.drawn_states().filter(|(id, _)| *id != to) {
                    assert!(
                        m.transitions.iter().any(|t| t.from == from && t.to == to && t.trigger.contains(verb)),
                        "{}: no {verb} from {}",
                        m.title,
                        m.state(from).label
                    );
                }
            }
            // Greetings lead into drawn states (the arrows end on boxes).
            for &(to, greeting, _) in m.entries {
                assert!(m.states.get(to.index()).is_some_and(|s| s.part_of.is_none()), "{}: {greeting}", m.title);
            }
            // Texts are distinct within a machine, so that find is unambiguous.
            for (i, a) in m.states.iter().enumerate() {
                for b in &m.states[i + 1..] {
                    assert_ne!(a.text, b.text, "{}", m.title);
                }
            }
        }
    }
}
