//! The diagram's layout: which lanes (lifelines) there are and which row holds what. Computed
//! once per log and view (filters, collapsed connections, expanded groups), never per step,
//! in one pass over the arrows: stepping through the log only picks rows out of it. A log that
//! grows (the live view) is laid out by appending ([`Layout::append`]): the rows of the new
//! arrows, and the lanes again (they depend on the actors only).
//!
//! Lanes: only actors that send or receive something get one; many user agents from one place
//! (the connections `mailsim serve` logs from one client address, or the students of a class
//! on `*.class.example`) share one group lane until it is expanded.

use crate::diagram::ViewOptions;
use mailsim_sim::diagram::Diagram;
use mailsim_sim::log::Actor;

/// A group lane stands for at least this many user agents.
pub const GROUP_MIN: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub name: String,
    pub host: String,
    pub kind: String,
    /// For a group lane, and for each lane of an expanded group: the group's key.
    pub group: Option<String>,
    /// How many actors the lane stands for (1 unless it is a collapsed group).
    pub members: usize,
}

/// One row of the diagram; actor indexes, as in the [`Diagram`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Row {
    /// `d.arrows[idx]`; `first`: the first arrow shown of its connection.
    Arrow { idx: usize, first: bool },
    /// A TCP segment of a connection's handshake or teardown.
    Segment { from: usize, to: usize, text: &'static str, t: u64 },
    /// A collapsed connection: its first arrow and how many messages it holds.
    Collapsed { idx: usize, n: usize },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    pub lanes: Vec<Lane>,
    /// Actor index → lane index.
    pub lane_of: Vec<usize>,
    pub rows: Vec<Row>,
    /// Step (1-based, index `step - 1`) → the row that shows it (its collapsed row if it is in
    /// a collapsed connection), or `None` if it is filtered out.
    pub row_of_step: Vec<Option<u32>>,
    /// The scroll track's bands: (protocol class, from, to per mille of the run).
    pub track: Vec<(&'static str, u16, u16)>,
    /// The first row the last [`Layout::append`] added or changed (a collapsed connection's
    /// count); rows before it are as they were (0 after a build).
    pub changed_from: usize,
    /// Some arrow opens an SMTP phase (the diagram keeps room for the phase's name).
    pub phases: bool,
    /// What [`Layout::append`] goes on from.
    grow: Grow,
}

/// The state of a layout made by appending: the arrows laid out, the actors that take part,
/// and each connection's (id, first row shown, messages), sorted by id.
#[derive(Debug, Clone, PartialEq, Default)]
struct Grow {
    arrows: usize,
    used: Vec<bool>,
    conns: Vec<(u32, Option<u32>, u32)>,
}

/// What several user agents have in common to share a lane: the client address (`mailsim
/// serve` logs one actor per connection) or the domain above their host names.
pub fn group_key(a: &Actor) -> Option<String> {
    if a.kind != "ua" {
        return None;
    }
    let h = a.host.as_str();
    if h.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b':') || h.contains(':') {
        return Some(h.to_string());
    }
    let (_, rest) = h.split_once('.')?;
    rest.contains('.').then(|| rest.to_string())
}

/// Whether `d` is a log named as the live view names its lanes: client connections that
/// `mailsim serve` logged (`client-N`) named by their student's login or their address (a log
/// the live view saved, or a `--log` file with owner records, see `EventLog::from_jsonl`).
/// Such a log is drawn as the live view drew it, with [`ViewOptions::by_name`]; an older
/// `--log` file names each connection by its port (`client :PORT`), and is drawn as before.
pub fn named_clients(d: &Diagram) -> bool {
    d.actors.iter().any(|a| {
        a.kind == "ua"
            && a.id.strip_prefix("client-").is_some_and(|n| n.parse::<u32>().is_ok())
            && !a.name.starts_with("client :")
    })
}

impl Layout {
    pub fn build(d: &Diagram, v: &ViewOptions, expanded: &[String]) -> Layout {
        if !v.tcp {
            let mut l = Layout::default();
            l.append(d, v, expanded);
            return l;
        }
        let n = d.actors.len();
        let mut used = vec![false; n];
        for a in &d.arrows {
            if let Some(u) = used.get_mut(a.from) {
                *u = true;
            }
            if let Some(u) = used.get_mut(a.to) {
                *u = true;
            }
        }
        if !used.contains(&true) {
            used = vec![true; n];
        }
        let (lanes, lane_of) = lanes(d, &used, v, expanded);

        // Each connection's first and last arrow and size, in one pass; connections are found
        // by their place in the sorted list of ids.
        let mut ids: Vec<u32> = d.arrows.iter().filter_map(|a| a.conn).collect();
        ids.sort_unstable();
        ids.dedup();
        let slot = |c: u32| ids.binary_search(&c).unwrap_or(0);
        // (first arrow, last arrow, messages, first row shown)
        let mut conns: Vec<(usize, usize, usize, Option<u32>)> = vec![(0, 0, 0, None); ids.len()];
        for (i, a) in d.arrows.iter().enumerate() {
            if let Some(c) = a.conn {
                let e = &mut conns[slot(c)];
                if e.2 == 0 {
                    e.0 = i;
                }
                e.1 = i;
                e.2 += 1;
            }
        }
        let mut rows = Vec::with_capacity(d.arrows.len());
        let mut row_of_step = vec![None; d.arrows.len()];
        for (i, a) in d.arrows.iter().enumerate() {
            if v.hidden.contains(&a.protocol) || v.only_conn.is_some_and(|c| a.conn != Some(c)) {
                continue;
            }
            let first = a.conn.is_some_and(|c| conns[slot(c)].3.is_none());
            if let Some(c) = a.conn {
                let k = slot(c);
                if first {
                    conns[k].3 = Some(rows.len() as u32);
                }
                if v.collapsed.contains(&c) {
                    if first {
                        rows.push(Row::Collapsed { idx: i, n: conns[k].2 });
                    }
                    row_of_step[i] = conns[k].3;
                    continue;
                }
            }
            // Client and server: the server is whoever sent the first message (HTTP: the client).
            if v.tcp && first && a.protocol != "TCP" {
                let head = &d.arrows[a.conn.map(|c| conns[slot(c)].0).unwrap_or(i)];
                let client_first =
                    head.protocol == "HTTP" || head.label.starts_with("GET") || head.label.starts_with("POST");
                let (client, server) = if client_first { (a.from, a.to) } else { (a.to, a.from) };
                rows.push(Row::Segment { from: client, to: server, text: "SYN", t: a.t_sent.saturating_sub(2) });
                rows.push(Row::Segment { from: server, to: client, text: "SYN, ACK", t: a.t_sent.saturating_sub(1) });
                rows.push(Row::Segment { from: client, to: server, text: "ACK", t: a.t_sent });
            }
            row_of_step[i] = Some(rows.len() as u32);
            rows.push(Row::Arrow { idx: i, first });
            let last = a.conn.is_some_and(|c| conns[slot(c)].1 == i);
            if v.tcp && last && a.protocol != "TCP" {
                rows.push(Row::Segment { from: a.to, to: a.from, text: "FIN, ACK", t: a.t });
                rows.push(Row::Segment { from: a.from, to: a.to, text: "FIN, ACK", t: a.t + 1 });
                rows.push(Row::Segment { from: a.to, to: a.from, text: "ACK", t: a.t + 2 });
            }
        }
        let track = track(d, &rows);
        let phases = d.arrows.iter().any(|a| a.phase.is_some());
        Layout { lanes, lane_of, rows, row_of_step, track, changed_from: 0, phases, grow: Grow::default() }
    }

    /// Lays out the arrows of `d` added since this layout was made or last appended to (`d`
    /// must have grown by appending, with the same view), and the lanes again: the cost is
    /// that of the new arrows and of the actors, not of the whole log. Without TCP segments
    /// only (a connection's closing segments wait for its last arrow): with them, build.
    pub fn append(&mut self, d: &Diagram, v: &ViewOptions, expanded: &[String]) {
        let g = &mut self.grow;
        self.changed_from = self.rows.len();
        for (i, a) in d.arrows.iter().enumerate().skip(g.arrows) {
            self.phases |= a.phase.is_some();
            for end in [a.from, a.to] {
                if g.used.len() <= end {
                    g.used.resize(end + 1, false);
                }
                g.used[end] = true;
            }
            // This arrow's connection: the first row shown of it, and its messages so far.
            let conn = a.conn.map(|c| match g.conns.binary_search_by_key(&c, |e| e.0) {
                Ok(k) => k,
                Err(k) => {
                    g.conns.insert(k, (c, None, 0));
                    k
                }
            });
            if let Some(k) = conn {
                g.conns[k].2 += 1;
                // A collapsed connection's row counts it.
                if let (Some(r), true) = (g.conns[k].1, v.collapsed.contains(&g.conns[k].0)) {
                    if let Some(Row::Collapsed { n, .. }) = self.rows.get_mut(r as usize) {
                        *n += 1;
                        self.changed_from = self.changed_from.min(r as usize);
                    }
                }
            }
            self.row_of_step.push(None);
            if v.hidden.contains(&a.protocol) || v.only_conn.is_some_and(|c| a.conn != Some(c)) {
                continue;
            }
            let row = self.rows.len() as u32;
            let first = conn.is_some_and(|k| g.conns[k].1.is_none());
            if let Some(k) = conn {
                if first {
                    g.conns[k].1 = Some(row);
                }
                if v.collapsed.contains(&g.conns[k].0) {
                    if first {
                        self.rows.push(Row::Collapsed { idx: i, n: g.conns[k].2 as usize });
                    }
                    self.row_of_step[i] = g.conns[k].1;
                    continue;
                }
            }
            self.row_of_step[i] = Some(row);
            self.rows.push(Row::Arrow { idx: i, first });
        }
        g.arrows = d.arrows.len();
        let mut used = g.used.clone();
        used.resize(d.actors.len(), false);
        (self.lanes, self.lane_of) = lanes(d, &used, v, expanded);
        self.track = track(d, &self.rows);
    }

    /// The lane of actor `i`.
    pub fn lane(&self, i: usize) -> usize {
        self.lane_of.get(i).copied().unwrap_or(0)
    }
}

/// The lanes of the actors that take part (`used`; all of them if none does), and each
/// actor's lane. Actors with a group key share a group lane while there are at least
/// [`GROUP_MIN`] of them, unless the group is `expanded`; with `v.by_name`, actors of the same
/// name and host share one lane (the live view: a student's connections).
fn lanes(d: &Diagram, used: &[bool], v: &ViewOptions, expanded: &[String]) -> (Vec<Lane>, Vec<usize>) {
    let n = d.actors.len();
    let mut used = used.to_vec();
    if !used.contains(&true) {
        used = vec![true; n];
    }
    let keys: Vec<Option<String>> = d.actors.iter().map(group_key).collect();
    // The members of each group: actors, or with `by_name` the distinct names.
    let mut members: Vec<(&str, &str)> = Vec::new();
    for (i, k) in keys.iter().enumerate().filter(|(i, _)| used[*i]) {
        if let Some(k) = k {
            members.push((k, if v.by_name { d.actors[i].name.as_str() } else { "" }));
        }
    }
    members.sort_unstable();
    if v.by_name {
        members.dedup();
    }
    // (key, members, its lane once made): few distinct keys, so a list.
    let mut groups: Vec<(&str, usize, Option<usize>)> = Vec::new();
    for (k, _) in members {
        match groups.last_mut() {
            Some(g) if g.0 == k => g.1 += 1,
            _ => groups.push((k, 1, None)),
        }
    }
    // With `by_name`: (name, host, lane) of the lanes made, sorted.
    let mut named: Vec<(&str, &str, usize)> = Vec::new();
    let mut lanes: Vec<Lane> = Vec::new();
    let mut lane_of = vec![0; n];
    for (i, a) in d.actors.iter().enumerate() {
        if !used[i] {
            continue;
        }
        let group =
            keys[i].as_deref().and_then(|k| groups.iter().position(|g| g.0 == k)).filter(|&g| groups[g].1 >= GROUP_MIN);
        match group {
            Some(g) if !expanded.iter().any(|e| e == groups[g].0) => {
                if let Some(l) = groups[g].2 {
                    lane_of[i] = l;
                    continue;
                }
                let (k, members, _) = groups[g];
                let ip = k.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b':');
                lanes.push(Lane {
                    name: match (ip, v.by_name) {
                        (true, false) => format!("{members} client connections"),
                        (true, true) => format!("{members} clients"),
                        _ => format!("{members} user agents"),
                    },
                    host: if ip { k.to_string() } else { format!("*.{k}") },
                    kind: a.kind.clone(),
                    group: Some(k.to_string()),
                    members,
                });
                groups[g].2 = Some(lanes.len() - 1);
            }
            _ => {
                if v.by_name {
                    let key = (a.name.as_str(), a.host.as_str());
                    match named.binary_search_by(|e| (e.0, e.1).cmp(&key)) {
                        Ok(k) => {
                            lane_of[i] = named[k].2;
                            continue;
                        }
                        Err(k) => named.insert(k, (key.0, key.1, lanes.len())),
                    }
                }
                lanes.push(Lane {
                    name: a.name.clone(),
                    host: a.host.clone(),
                    kind: a.kind.clone(),
                    group: group.map(|g| groups[g].0.to_string()),
                    members: 1,
                })
            }
        }
        lane_of[i] = lanes.len() - 1;
    }
    (lanes, lane_of)
}

/// The scroll track's bands: (CSS class, first and last per mille of the run), one per
/// stretch of rows coloured by the protocol it carries; the whole run at a glance.
fn track(d: &Diagram, rows: &[Row]) -> Vec<(&'static str, u16, u16)> {
    const BANDS: usize = 100;
    if rows.is_empty() {
        return Vec::new();
    }
    let class = |r: &Row| match r {
        Row::Arrow { idx, .. } | Row::Collapsed { idx, .. } => match d.arrows[*idx].protocol.as_str() {
            "SMTP" => "smtp",
            "POP3" => "pop3",
            "IMAP" => "imap",
            "HTTP" => "http",
            "DNS" => "dns",
            _ => "tcp",
        },
        Row::Segment { .. } => "tcp",
    };
    let bands = rows.len().min(BANDS);
    let mut out: Vec<(&'static str, u16, u16)> = Vec::new();
    for b in 0..bands {
        let c = class(&rows[(b * 2 + 1) * rows.len() / (bands * 2)]);
        let end = ((b + 1) * 1000 / bands) as u16;
        match out.last_mut() {
            Some((last, _, e)) if *last == c => *e = end,
            _ => out.push((c, (b * 1000 / bands) as u16, end)),
        }
    }
    out
}

/// An actor on loopback, for tests: a user agent, or a server if it is named `server`.
#[cfg(test)]
pub(crate) fn test_actor(id: &str, name: &str) -> Actor {
    Actor {
        id: id.into(),
        name: name.into(),
        host: "127.0.0.1".into(),
        ip: "127.0.0.1".into(),
        kind: if name == "server" { "server".into() } else { "ua".into() },
        mailboxes: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailsim_sim::diagram::Builder;

    /// Appending a log's arrows a few at a time lays out what building at once does.
    #[test]
    fn appending_lays_out_what_building_does() {
        for id in ["class", "two-devices", "greylisting", "imap-session"] {
            let Some(s) = mailsim_sim::scenario::SCENARIOS.iter().find(|s| s.id == id) else { continue };
            let log = s.run();
            let whole = Diagram::from_log(&log);
            let conns: Vec<u32> = whole.arrows.iter().filter_map(|a| a.conn).take(40).step_by(7).collect();
            let views = [
                ViewOptions::default(),
                ViewOptions { collapsed: conns.clone(), ..ViewOptions::default() },
                ViewOptions { hidden: vec!["DNS".into()], by_name: true, ..ViewOptions::default() },
                ViewOptions { only_conn: conns.first().copied(), ..ViewOptions::default() },
            ];
            for v in &views {
                let built = Layout::build(&whole, v, &[]);
                let mut part = mailsim_sim::EventLog { events: vec![], ..log.clone() };
                let (mut d, mut b) = (Builder::empty(), Builder::default());
                let mut l = Layout::default();
                for events in log.events.chunks(13) {
                    part.events.extend_from_slice(events);
                    b.extend(&mut d, &part);
                    l.append(&d, v, &[]);
                }
                assert_eq!(l.rows, built.rows, "{id}");
                assert_eq!(l.row_of_step, built.row_of_step, "{id}");
                assert_eq!(l.lanes, built.lanes, "{id}");
                assert_eq!(l.lane_of, built.lane_of, "{id}");
                assert_eq!(l.track, built.track, "{id}");
            }
        }
    }

    /// With `by_name`, one lane per name and host; groups count names, not actors.
    #[test]
    fn by_name_lanes_merge_a_students_connections() {
        let actor = test_actor;
        let names = ["server", "ann", "bob", "ann", "client 127.0.0.1", "bob"];
        let actors: Vec<Actor> = names.iter().enumerate().map(|(i, n)| actor(&format!("a{i}"), n)).collect();
        let d = Diagram { actors, arrows: vec![], events: 0 };
        let v = ViewOptions { by_name: true, ..ViewOptions::default() };
        let (lanes, lane_of) = lanes(&d, &[true; 6], &v, &[]);
        assert_eq!(
            lanes.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["server", "ann", "bob", "client 127.0.0.1"]
        );
        assert_eq!(lane_of, [0, 1, 2, 1, 3, 2]);
        let d2 = Diagram { actors: [d.actors.clone(), vec![actor("a6", "cy")]].concat(), ..d };
        let (lanes, lane_of) = super::lanes(&d2, &[true; 7], &v, &[]);
        assert_eq!(lanes.len(), 2, "four names from one address: one group lane");
        assert_eq!(lanes[1].name, "4 clients");
        assert_eq!(lane_of, [0, 1, 1, 1, 1, 1, 1]);
        let (lanes, _) = super::lanes(&d2, &[true; 7], &v, &["127.0.0.1".into()]);
        assert_eq!(lanes.len(), 5, "expanded: one lane per name");
    }

    /// A log saved by the live view (client actors named by login or address) is drawn by
    /// name; an older one of `mailsim serve --log` (each connection named by its port) and a
    /// scenario's are not.
    #[test]
    fn named_clients_tells_a_saved_live_log() {
        let actor = test_actor;
        let d = |a: Vec<Actor>| Diagram { actors: a, arrows: vec![], events: 0 };
        assert!(named_clients(&d(vec![actor("client-1", "ana"), actor("client-2", "ben"), actor("client-3", "ana")])));
        // Each student on one connection, or anonymous ones named by their address: by name too.
        assert!(named_clients(&d(vec![actor("client-1", "ana"), actor("client-2", "ben")])));
        assert!(named_clients(&d(vec![actor("client-1", "client 127.0.0.1"), actor("client-2", "client :5002")])));
        assert!(!named_clients(&d(vec![actor("client-1", "client :5001"), actor("client-2", "client :5002")])));
        assert!(!named_clients(&d(vec![actor("alice-ua", "Alice"), actor("alice-ua2", "Alice")])));
        let log = mailsim_sim::scenario::SCENARIOS[0].run();
        assert!(!named_clients(&Diagram::from_log(&log)));
    }
}
