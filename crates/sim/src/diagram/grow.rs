//! The diagram and the world's checkpoints of a log that grows (the page's live view appends
//! records as they arrive): each new event is looked at once, whatever came before it.

use super::{Arrow, Diagram, Fold, Snapshots};
use crate::log::{Event, EventLog};
use mailsim_proto::smtp::{self, Phase};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Builds a [`Diagram`] event by event ([`Diagram::from_log`] is one call). An arrow's ends
/// are the lifelines of the actors of those ids that joined before it. Every log written by the
/// world or by `mailsim serve` has its actors join first; in a log edited by hand an id that
/// has not joined gets a lifeline of its own, named by the id (so every arrow's ends are
/// lifelines of the diagram: the transcript, the exports and the page index them).
#[derive(Debug, Clone, Default)]
pub struct Builder {
    /// Actor id → lifeline (the first actor of that id).
    col: BTreeMap<String, usize>,
    /// Per connection: its client and its current SMTP phase (one map, one copy of its code).
    conns: BTreeMap<u32, (Option<String>, Option<Phase>)>,
}

impl Builder {
    /// An empty diagram, to [`Builder::extend`].
    pub fn empty() -> Diagram {
        Diagram { actors: Vec::new(), arrows: Vec::new(), events: 0 }
    }

    /// Adds to `d` the events of `log` it has not seen (from `d.events` on).
    pub fn extend(&mut self, d: &mut Diagram, log: &EventLog) {
        for (i, e) in log.events.iter().enumerate().skip(d.events) {
            match e {
                Event::ActorJoined { actor } => {
                    self.col.entry(actor.id.clone()).or_insert(d.actors.len());
                    d.actors.push(actor.clone());
                }
                Event::ConnectionOpened { conn, client, .. } => {
                    self.conns.entry(*conn).or_default().0 = Some(client.clone());
                }
                Event::MessageSent { t_sent, t, conn, from, to, protocol, port, label, tls, raw, .. } => {
                    let phase = match (protocol.as_str(), conn) {
                        ("SMTP", Some(c)) => {
                            let entry = self.conns.entry(*c).or_default();
                            let to_server = entry.0.as_ref() == Some(from);
                            let current = entry.1;
                            let now = smtp::phase_of(raw, to_server).or(current).unwrap_or(Phase::FIRST);
                            entry.1 = Some(now);
                            (current != Some(now)).then_some(now.as_str())
                        }
                        _ => None,
                    };
                    let (from, to) = (self.lifeline(d, from), self.lifeline(d, to));
                    d.arrows.push(Arrow {
                        step: d.arrows.len() + 1,
                        event: i,
                        from,
                        to,
                        protocol: protocol.clone(),
                        port: *port,
                        conn: *conn,
                        label: label.clone(),
                        t_sent: *t_sent,
                        t: *t,
                        tls: *tls,
                        size: raw.len(),
                        phase,
                    });
                }
                _ => {}
            }
        }
        d.events = log.events.len();
    }

    /// The lifeline of actor `id`: the first actor of that id that joined, or one made for it.
    fn lifeline(&mut self, d: &mut Diagram, id: &str) -> usize {
        if let Some(&c) = self.col.get(id) {
            return c;
        }
        let actor = crate::log::Actor {
            id: id.to_string(),
            name: id.to_string(),
            host: String::new(),
            ip: String::new(),
            kind: "ua".to_string(),
            mailboxes: Vec::new(),
        };
        self.col.insert(id.to_string(), d.actors.len());
        d.actors.push(actor);
        d.actors.len() - 1
    }
}

impl Snapshots {
    /// Folds the events of `log` added since these checkpoints were made or last extended
    /// (the log must have grown by appending).
    pub fn extend(&mut self, log: &EventLog) {
        self.extend_to(log, log.events.len());
    }

    /// Folds the events of `log` before event `end` (at most its length) that these
    /// checkpoints have not folded yet: a long log's world is made as far as it is shown
    /// ([`Snapshots::empty`] and then this, rather than [`Snapshots::new`]).
    pub fn extend_to(&mut self, log: &EventLog, end: usize) {
        let end = end.min(log.events.len());
        if self.len >= end {
            return;
        }
        let start = self.len;
        for (i, e) in log.events.iter().enumerate().take(end).skip(start) {
            match e {
                Event::ActorJoined { actor } => {
                    self.names.entry(actor.id.clone()).or_insert_with(|| actor.name.clone());
                }
                Event::Narrated { .. } => self.narrations.push(i),
                _ => {}
            }
        }
        let mut f =
            Fold { s: std::mem::take(&mut self.tail), names: BTreeMap::new(), all: &self.names, happened: vec![] };
        let mut checkpoints = Vec::new();
        // How many happenings come before each new event (the last entry, the total, is
        // replaced).
        let base = self.happened.len();
        let mut before = Vec::new();
        for (i, e) in log.events.iter().enumerate().take(end).skip(start) {
            before.push((base + f.happened.len()) as u32);
            f.apply(e, true);
            if (i + 1) % self.every == 0 {
                checkpoints.push(f.s.clone());
            }
        }
        self.tail = f.s;
        Rc::make_mut(&mut self.happened).extend(f.happened);
        self.happened_before.truncate(start);
        self.happened_before.extend(before);
        self.happened_before.push(self.happened.len() as u32);
        self.checkpoints.append(&mut checkpoints);
        self.len = end;
    }

    /// How many events of the log have been folded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event has been folded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What actor `id` is called from now on (a live connection's owner became known).
    pub fn rename(&mut self, id: &str, name: &str) {
        self.renamed = true;
        self.names.insert(id.to_string(), name.to_string());
    }
}

#[cfg(all(test, feature = "engine"))]
mod tests {
    use super::*;
    use crate::diagram::snapshot;

    /// A log edited by hand whose messages name actors that never joined (found by the fuzz
    /// target `log_read`: the transcript indexed an empty list of actors): each id gets a
    /// lifeline of its own, and the transcript and the exports draw it.
    #[test]
    fn a_message_between_actors_that_never_joined_gets_lifelines() {
        let text = concat!(
            "{\"scenario\":\"x\",\"seed\":1,\"epoch\":0}\n",
            "{\"event\":\"message_sent\",\"t_sent\":0,\"t\":5,\"conn\":1,\"from\":\"bob-ua\",\"to\":\"bob-server\",",
            "\"protocol\":\"POP3\",\"port\":110,\"raw\":\"quit\\r\\n\",\"label\":\"quit\",\"meaning\":\"\",\"rfc\":\"\",",
            "\"from_state\":\"\",\"to_state\":\"\"}\n",
            "{\"event\":\"message_sent\",\"t_sent\":5,\"t\":9,\"conn\":1,\"from\":\"bob-server\",\"to\":\"bob-ua\",",
            "\"protocol\":\"POP3\",\"port\":110,\"raw\":\"+OK\\r\\n\",\"label\":\"+OK\",\"meaning\":\"\",\"rfc\":\"\",",
            "\"from_state\":\"\",\"to_state\":\"\"}\n",
        );
        let log = EventLog::from_jsonl(text).unwrap();
        let d = Diagram::from_log(&log);
        let names: Vec<&str> = d.actors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["bob-ua", "bob-server"]);
        assert_eq!((d.arrows[0].from, d.arrows[0].to, d.arrows[1].from, d.arrows[1].to), (0, 1, 1, 0));
        let t = crate::diagram::transcript(&log);
        assert!(t.contains("bob-ua → bob-server") && t.contains("bob-server → bob-ua"), "{t}");
        let _ = crate::export::mermaid(&log);
    }

    /// Grown a few events at a time, the diagram and the checkpoints are those made at once.
    #[test]
    fn growing_gives_what_making_at_once_gives() {
        for s in crate::scenario::SCENARIOS
            .iter()
            .filter(|s| ["two-devices", "greylisting", "imap-session", "alice-to-bob"].contains(&s.id.as_str()))
        {
            let log = s.run();
            let whole = Diagram::from_log(&log);
            for chunk in [1, 5, 64] {
                let mut part = EventLog { events: vec![], ..log.clone() };
                let mut d = Builder::empty();
                let mut b = Builder::default();
                let mut snaps = Snapshots::every(&part, 7);
                for events in log.events.chunks(chunk) {
                    part.events.extend_from_slice(events);
                    b.extend(&mut d, &part);
                    snaps.extend(&part);
                }
                assert_eq!(d, whole, "{} in chunks of {chunk}", s.id);
                // Folded as far as asked, a few events at a time, from nothing.
                let mut lazy = Snapshots::empty(7);
                let mut upto = 0;
                while upto < log.events.len() {
                    upto += chunk;
                    lazy.extend_to(&log, upto);
                }
                assert_eq!(lazy.len(), log.events.len());
                assert_eq!(snaps.len(), log.events.len());
                for step in (0..=d.arrows.len()).step_by(3) {
                    let since = if step == 0 { 0 } else { d.arrows[step - 1].event };
                    let n = d.events_at_step(step);
                    assert_eq!(snaps.at(&log, since, n), snapshot(&log, since, n), "{} step {step}", s.id);
                    assert_eq!(lazy.at(&log, since, n), snapshot(&log, since, n), "{} step {step}, lazily", s.id);
                    let narr = log.events[..since].iter().rposition(|e| matches!(e, Event::Narrated { .. }));
                    assert_eq!(snaps.narration_before(since), narr);
                }
            }
        }
    }
}
