//! The live view's students, in the World panel: one compact line per student (their login,
//! else their client's address), grouped as the lanes are (one lane per name and host, see
//! [`crate::layout`]): connected or not, the protocols in use, and the messages they sent,
//! have in their mailbox and have read, as of the step shown.
//!
//! Cheap at 200 students: what the shown log gained is folded once ([`Tally::extend`], its
//! cost, not the log's) into per-connection and per-mailbox histories; a line as of a step is
//! then a binary search per connection and mailbox, whatever the log's length. Names come
//! from the diagram's actors when drawn, so a login (which renames an actor) moves a
//! connection to its student without folding anything again.

use crate::growing::Src;
use mailsim_sim::diagram::Diagram;
use mailsim_sim::log::Event;
use mailsim_sim::EventLog;
use std::collections::BTreeMap;
use yew::prelude::*;

/// A value along the log: (the index of the event from which it holds, the value), in order.
#[derive(Clone, Debug, Default)]
struct History<T>(Vec<(usize, T)>);

impl<T: Copy + Default + PartialEq> History<T> {
    fn now(&self) -> T {
        self.0.last().map_or_else(T::default, |x| x.1)
    }

    fn set(&mut self, at: usize, v: T) {
        if self.now() != v {
            self.0.push((at, v));
        }
    }

    /// The value once the first `events` events have happened.
    fn at(&self, events: usize) -> T {
        match self.0.partition_point(|x| x.0 < events) {
            0 => T::default(),
            i => self.0[i - 1].1,
        }
    }
}

/// A client connection: its client's actor id, protocol, and when it was open.
#[derive(Debug)]
struct Conn {
    client: String,
    protocol: String,
    opened: usize,
    open: History<bool>,
}

/// A mailbox: each message's `\Seen`, and the counts along the log.
#[derive(Debug, Default)]
struct Mailbox {
    seen: BTreeMap<u32, bool>,
    stored: History<u32>,
    read: History<u32>,
}

/// What the shown log says about each connection and mailbox, folded by appending.
#[derive(Debug, Default)]
pub struct Tally {
    /// Events folded.
    upto: usize,
    conns: BTreeMap<u32, Conn>,
    /// Lowercased address → its mailbox.
    mailboxes: BTreeMap<String, Mailbox>,
    /// Lowercased sender → messages queued from it.
    sent: BTreeMap<String, History<u32>>,
}

/// One student's line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    /// Their login, else `client ADDRESS`.
    pub name: String,
    pub host: String,
    /// Connections open, and made, as of the step.
    pub open: usize,
    pub connections: usize,
    /// Protocols of the open connections, else of all of them, in first use order.
    pub protocols: Vec<String>,
    pub sent: u32,
    pub stored: u32,
    pub read: u32,
}

fn is_served_client(id: &str) -> bool {
    id.strip_prefix("client-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Sorts names as a class list is read: `s2` before `s10`.
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && digits <= 18 {
            out.push((std::mem::take(&mut text), rest[..digits].parse().unwrap_or(0)));
            rest = &rest[digits..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push((text, 0));
    out
}

impl Tally {
    /// Folds the events `log` gained since the last call.
    pub fn extend(&mut self, log: &EventLog) {
        let from = self.upto.min(log.events.len());
        for (i, e) in log.events.iter().enumerate().skip(from) {
            match e {
                Event::ConnectionOpened { conn, client, protocol, .. } if is_served_client(client) => {
                    let mut open = History::default();
                    open.set(i, true);
                    let c = Conn { client: client.clone(), protocol: protocol.clone(), opened: i, open };
                    self.conns.insert(*conn, c);
                }
                Event::ConnectionClosed { conn, .. } => {
                    if let Some(c) = self.conns.get_mut(conn) {
                        c.open.set(i, false);
                    }
                }
                Event::MessageQueued { mail_from, .. } => {
                    let h = self.sent.entry(mail_from.to_ascii_lowercase()).or_default();
                    h.set(i, h.now() + 1);
                }
                Event::MessageStored { mailbox, uid, .. } => {
                    let m = self.mailboxes.entry(mailbox.to_ascii_lowercase()).or_default();
                    if m.seen.insert(*uid, false).is_none() {
                        m.stored.set(i, m.stored.now() + 1);
                    }
                }
                Event::FlagsChanged { mailbox, uid, flags, .. } => {
                    if let Some(m) = self.mailboxes.get_mut(&mailbox.to_ascii_lowercase()) {
                        let seen = flags.iter().any(|f| f.eq_ignore_ascii_case("\\Seen"));
                        if let Some(was) = m.seen.get_mut(uid) {
                            if *was != seen {
                                *was = seen;
                                let n = m.read.now();
                                m.read.set(i, if seen { n + 1 } else { n.saturating_sub(1) });
                            }
                        }
                    }
                }
                Event::MessageDeleted { mailbox, uid, .. } => {
                    if let Some(m) = self.mailboxes.get_mut(&mailbox.to_ascii_lowercase()) {
                        if let Some(seen) = m.seen.remove(uid) {
                            m.stored.set(i, m.stored.now().saturating_sub(1));
                            if seen {
                                m.read.set(i, m.read.now().saturating_sub(1));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        self.upto = log.events.len();
    }

    /// The students' lines once the first `events` events have happened, the names and hosts
    /// as `d` has them now; sorted by name (`s2` before `s10`).
    pub fn lines(&self, d: &Diagram, events: usize) -> Vec<Line> {
        let actors: BTreeMap<&str, (&str, &str)> =
            d.actors.iter().map(|a| (a.id.as_str(), (a.name.as_str(), a.host.as_str()))).collect();
        let mut by_student: BTreeMap<(&str, &str), Line> = BTreeMap::new();
        for c in self.conns.values().filter(|c| c.opened < events) {
            let Some(&(name, host)) = actors.get(c.client.as_str()) else { continue };
            let line = by_student.entry((name, host)).or_default();
            line.connections += 1;
            let open = c.open.at(events);
            if open {
                if line.open == 0 {
                    line.protocols.clear();
                }
                line.open += 1;
            }
            if (open || line.open == 0) && !line.protocols.contains(&c.protocol) {
                line.protocols.push(c.protocol.clone());
            }
        }
        let mut lines: Vec<Line> = by_student
            .into_iter()
            .map(|((name, host), mut line)| {
                line.name = name.to_string();
                line.host = host.to_string();
                let key = name.to_ascii_lowercase();
                line.sent = self.sent.get(&key).map_or(0, |h| h.at(events));
                if let Some(m) = self.mailboxes.get(&key) {
                    (line.stored, line.read) = (m.stored.at(events), m.read.at(events));
                }
                line
            })
            .collect();
        lines.sort_by_cached_key(|l| natural_key(&l.name));
        lines
    }
}

#[derive(Properties, PartialEq)]
pub struct StudentsProps {
    pub log: Src<EventLog>,
    pub diagram: Src<Diagram>,
    pub step: usize,
    /// A student's own view: the lines are their login's and their addresses' (a connection
    /// without a login, a refusal), all theirs, not other students.
    #[prop_or_default]
    pub mine: bool,
}

/// Students' lines shown at most: the list does not grow with the class (1,000 students made
/// 3,542 elements). In a class larger than that, the list shows the students connected (the
/// first [`PAGE`] of them) and a count of the others; the live filters (a user, an address or
/// login) find any one.
pub const PAGE: usize = 25;

/// The students' lines, for the World panel: sorted as a class list (a line keeps its place
/// when its student connects or leaves); in a class larger than [`PAGE`], those connected.
#[function_component(Students)]
pub fn students(props: &StudentsProps) -> Html {
    let tally = use_mut_ref(|| (None::<Src<EventLog>>, Tally::default()));
    let lines = {
        let mut t = tally.borrow_mut();
        let log = props.log.get();
        if !t.0.as_ref().is_some_and(|s| s.same(&props.log)) {
            t.1 = Tally::default();
        }
        t.0 = Some(props.log.clone());
        t.1.extend(&log);
        let d = props.diagram.get();
        t.1.lines(&d, d.events_at_step(props.step))
    };
    let n = lines.len();
    let online = lines.iter().filter(|l| l.open > 0).count();
    let big = n > PAGE;
    let more = n - if big { online.min(PAGE) } else { n };
    html! {
        <div id="live-students" class="box students">
            <h3>{ format!("{}: {n} seen, {online} connected", if props.mine { "Your clients" } else { "Students" }) }</h3>
            if n == 0 { <p class="empty">{"nobody yet"}</p> }
            // Keyed by student: a newcomer's line is inserted where it sorts, and the lines after
            // it neither draw again nor change.
            <ul>{ for lines.into_iter().filter(|l| !big || l.open > 0).take(PAGE).map(|l| (format!("{}@{}", l.name, l.host), l)).map(|(key, l)| html! { <Student {key} line={l} /> }) }</ul>
            if more > 0 { <p id="students-more" class="empty">{ format!("{more} more: the filters above find one.") }</p> }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StudentProps {
    line: Line,
}

/// One line: drawn again only when it changed.
#[function_component(Student)]
fn student(p: &StudentProps) -> Html {
    let l = &p.line;
    let state = match l.open {
        0 => "offline".to_string(),
        1 => "connected".to_string(),
        n => format!("connected ({n})"),
    };
    // Offline: the protocols they used; connected: those in use.
    let protocols = if l.protocols.is_empty() { String::new() } else { format!(" · {}", l.protocols.join(", ")) };
    let text = format!(" {} · {state}{protocols} · sent {} · mailbox {} · read {}", l.name, l.sent, l.stored, l.read);
    let title = format!("{text} (from {}; {} connections in all)", l.host, l.connections);
    html! {
        <li class={classes!("student", (l.open > 0).then_some("on"))} data-student={l.name.clone()} {title}>
            <span class="dot" aria-hidden="true">{ if l.open > 0 { "●" } else { "○" } }</span>{ text }
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(id: &str, name: &str) -> Event {
        Event::ActorJoined { actor: crate::layout::test_actor(id, name) }
    }

    fn opened(conn: u32, protocol: &str) -> Event {
        Event::ConnectionOpened {
            t: 0,
            conn,
            client: format!("client-{conn}"),
            client_port: 40000,
            server: "server".into(),
            port: 25,
            protocol: protocol.into(),
        }
    }

    fn stored(mailbox: &str, uid: u32) -> Event {
        let (node, from, subject, raw) = ("server".into(), String::new(), String::new(), vec![]);
        Event::MessageStored { t: 0, node, mailbox: mailbox.into(), uid, from, subject, raw }
    }

    #[test]
    fn one_line_per_student_as_of_each_step() {
        let queued = Event::MessageQueued {
            t: 0,
            node: "server".into(),
            queue_id: "q1".into(),
            mail_from: "S2@class.example".into(),
            rcpt_to: vec!["s2@class.example".into()],
            size: 10,
            subject: "Hi".into(),
        };
        let seen = Event::FlagsChanged {
            t: 0,
            node: "server".into(),
            mailbox: "s2@class.example".into(),
            uid: 1,
            flags: vec!["\\Seen".into()],
        };
        let events = vec![
            actor("client-1", "s2@class.example"),
            opened(1, "SMTP"),
            queued,
            stored("s2@class.example", 1),
            Event::ConnectionClosed { t: 0, conn: 1, by: "client".into() },
            actor("client-2", "s2@class.example"),
            opened(2, "IMAP"),
            seen,
            actor("client-3", "s10@class.example"),
            opened(3, "POP3"),
            actor("client-4", "client 127.0.0.1"),
            opened(4, "IMAP"),
            actor("client-5", "client 127.0.0.1"),
            opened(5, "SMTP"),
        ];
        let log = EventLog { scenario: "live".into(), seed: 0, epoch: 0, events };
        let d = mailsim_sim::diagram::Builder::empty();
        let mut d = d;
        d.actors = log
            .events
            .iter()
            .filter_map(|e| match e {
                Event::ActorJoined { actor } => Some(actor.clone()),
                _ => None,
            })
            .collect();
        let mut t = Tally::default();
        t.extend(&EventLog { events: log.events[..7].to_vec(), ..log.clone() });
        t.extend(&log);
        let all = t.lines(&d, log.events.len());
        let names: Vec<&str> = all.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["client 127.0.0.1", "s2@class.example", "s10@class.example"]);
        let s2 = &all[1];
        assert_eq!((s2.open, s2.connections, s2.protocols.clone()), (1, 2, vec!["IMAP".to_string()]));
        assert_eq!((s2.sent, s2.stored, s2.read), (1, 1, 1), "the sender is matched without case");
        assert_eq!((all[0].open, all[0].protocols.clone()), (2, vec!["IMAP".to_string(), "SMTP".to_string()]));
        // As of the SMTP session's end: offline, what it used, nothing read yet.
        let early = t.lines(&d, 5);
        assert_eq!(early.len(), 1);
        assert_eq!((early[0].open, early[0].protocols.clone()), (0, vec!["SMTP".to_string()]));
        assert_eq!((early[0].sent, early[0].stored, early[0].read), (1, 1, 0));
        assert!(t.lines(&d, 0).is_empty());
    }

    #[test]
    fn names_sort_as_a_class_list() {
        let mut v = vec!["s10", "s2", "a", "s1"];
        v.sort_by_cached_key(|s| natural_key(s));
        assert_eq!(v, ["a", "s1", "s2", "s10"]);
    }
}
