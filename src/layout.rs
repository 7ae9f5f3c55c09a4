//! The diagram's layout: which lanes (lifelines) there are and which row holds what. Computed
//! once per log and view (filters, collapsed connections, expanded groups), never per step,
//! in one pass over the arrows: stepping through the log only picks rows out of it.
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

#[derive(Debug, Clone, PartialEq)]
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

impl Layout {
    pub fn build(d: &Diagram, v: &ViewOptions, expanded: &[String]) -> Layout {
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
        let keys: Vec<Option<String>> = d.actors.iter().map(group_key).collect();
        // (key, members, its lane once made): few distinct keys, so a list.
        let mut groups: Vec<(&str, usize, Option<usize>)> = Vec::new();
        for (k, _) in keys.iter().zip(&used).filter(|(_, u)| **u) {
            if let Some(k) = k {
                match groups.iter_mut().find(|g| g.0 == k) {
                    Some(g) => g.1 += 1,
                    None => groups.push((k, 1, None)),
                }
            }
        }
        let mut lanes: Vec<Lane> = Vec::new();
        let mut lane_of = vec![0; n];
        for (i, a) in d.actors.iter().enumerate() {
            if !used[i] {
                continue;
            }
            let group = keys[i]
                .as_deref()
                .and_then(|k| groups.iter().position(|g| g.0 == k))
                .filter(|&g| groups[g].1 >= GROUP_MIN);
            match group {
                Some(g) if !expanded.iter().any(|e| e == groups[g].0) => {
                    if let Some(l) = groups[g].2 {
                        lane_of[i] = l;
                        continue;
                    }
                    let (k, members, _) = groups[g];
                    let ip = k.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b':');
                    lanes.push(Lane {
                        name: if ip {
                            format!("{members} client connections")
                        } else {
                            format!("{members} user agents")
                        },
                        host: if ip { k.to_string() } else { format!("*.{k}") },
                        kind: a.kind.clone(),
                        group: Some(k.to_string()),
                        members,
                    });
                    groups[g].2 = Some(lanes.len() - 1);
                }
                _ => lanes.push(Lane {
                    name: a.name.clone(),
                    host: a.host.clone(),
                    kind: a.kind.clone(),
                    group: group.map(|g| groups[g].0.to_string()),
                    members: 1,
                }),
            }
            lane_of[i] = lanes.len() - 1;
        }

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
        Layout { lanes, lane_of, rows, row_of_step, track }
    }

    /// The lane of actor `i`.
    pub fn lane(&self, i: usize) -> usize {
        self.lane_of.get(i).copied().unwrap_or(0)
    }
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
