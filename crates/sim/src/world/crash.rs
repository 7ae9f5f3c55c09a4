//! A mail server's process dies and restarts (the `crash` and `crash-before-reply` faults).
//!
//! A crash resets every connection to or from the server: its sessions are gone, with
//! whatever they had not written yet, and each peer learns the connection is lost. What the
//! server had written to disk survives: its mailboxes and its queue (as Postfix's do). While
//! it is dead nothing answers on its ports (`down`), and its own timers and the datagrams
//! for it wait until it restarts (`up`), when it works through its queue again.
//!
//! `crash-before-reply` is the case RFC 5321 §6.1 is about: the server has taken the message
//! (end of DATA) and dies before its 250 reaches the client. The client cannot tell whether
//! the message was taken, so it must assume it was not and send it again: mail is delivered
//! at least once, and here twice.
//!
//! `shutdown` is the orderly stop (an administrator stops the mail service): the server tells
//! each open session it is going away, SMTP with `421 <domain> Service not available, closing
//! transmission channel` (RFC 5321 §3.8, §4.2.2; sent even between commands, as §3.8 allows),
//! POP3 with `-ERR`, IMAP with `* BYE`, and closes; then nothing answers until `up`. A sender's
//! queue keeps what it did not get a 250 for and tries again later (§4.5.4.1).

use super::*;

impl World {
    /// Whether `action` is for a server that is dead now (then it waits for the restart).
    pub(super) fn for_crashed(&self, action: &Action) -> bool {
        match action {
            Action::Task(node, Task::RunQueue) => self.nodes[*node].crashed,
            Action::Datagram { to, .. } => self.nodes[*to].crashed,
            _ => false,
        }
    }

    pub(super) fn crash_task(&mut self, node: NodeId, before_reply: bool) {
        if !matches!(self.nodes[node].kind, NodeKind::MailServer(_)) {
            return;
        }
        if before_reply {
            self.nodes[node].crash_armed = true;
        } else {
            self.crash_now(node, false);
        }
    }

    /// The mail service on `node` is stopped: every session gets its goodbye and is closed once
    /// it is written; from now on nothing answers (until `up`).
    pub(super) fn shut_down(&mut self, node: NodeId) {
        let now = self.now;
        let NodeKind::MailServer(h) = &mut self.nodes[node].kind else { return };
        let sessions = h.shutdown(now);
        let name = self.nodes[node].actor.name.clone();
        let text = format!(
            "{name} is shut down: it tells each open session that the service is closing (RFC 5321 §3.8), \
             and nothing answers until it is started again."
        );
        self.narrate(node, &text);
        self.nodes[node].down = true;
        for id in sessions {
            self.pump(id);
        }
    }

    /// Whether the mail host on `node` took a whole message since the log had `before` events.
    pub(super) fn took_message(&self, node: NodeId, before: usize) -> bool {
        let id = &self.nodes[node].actor.id;
        self.log[before..].iter().any(
            |e| matches!(e, Event::MessageStored { node: n, .. } | Event::MessageQueued { node: n, .. } if n == id),
        )
    }

    /// The process on `node` dies now.
    pub(super) fn crash_now(&mut self, node: NodeId, after_data: bool) {
        let name = self.nodes[node].actor.name.clone();
        self.nodes[node].down = true;
        self.nodes[node].crashed = true;
        self.nodes[node].crash_armed = false;
        let text = if after_data {
            format!(
                "{name} has written the message to disk, and crashes before its 250 reply goes out. \
                 The sender never hears that the message was taken (RFC 5321 §6.1)."
            )
        } else {
            format!("{name} crashes: its connections are reset and nothing answers on its ports until it restarts.")
        };
        self.narrate(node, &text);
        // A connection still being set up to it finds nobody when its SYN arrives (establish);
        // every other connection to or from it is reset now.
        let ids: Vec<u32> = self
            .conns
            .iter()
            .filter(|(_, c)| (c.server == node && c.open) || c.client == node)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let Some(c) = self.conns.remove(&id) else { continue };
            if c.server == node {
                self.reset_for_client(c, id, node);
            } else {
                self.reset_for_server(c, id, node);
            }
        }
    }

    /// The crashed node was the server of connection `id`: the client learns it is lost.
    fn reset_for_client(&mut self, mut c: Conn, id: u32, node: NodeId) {
        let now = self.now;
        let ended_data = ended_data(&c);
        if let (ServerSide::Host, NodeKind::MailServer(h)) = (&c.side, &mut self.nodes[node].kind) {
            h.close_session(now, id);
        }
        c.client_engine.wire().handle_close(now);
        self.log.push(Event::ConnectionClosed { t: now, conn: id, by: self.nodes[node].actor.id.clone() });
        let peer = format!("{}[{}]", self.nodes[node].actor.host, ip_string(self.nodes[node].ip));
        let while_ = if ended_data {
            "while sending end of data -- message may be sent more than once"
        } else {
            "during the SMTP dialog"
        };
        match c.purpose {
            Purpose::Relay { queue_id, leg } => {
                // Postfix's words for it; the queue tries again later (RFC 5321 §4.5.4.1).
                let why = format!("lost connection with {peer} {while_}");
                self.with_host(c.client, |h, ctx| h.relay_deferred(ctx, &queue_id, leg, &why));
            }
            Purpose::Submission if ended_data => self.narrate(
                c.client,
                "The user agent shows an error: the connection was lost before the server confirmed the message. \
                 It cannot tell whether the message was taken.",
            ),
            Purpose::Backend { http, reply } => self.finish_backend(c.client, http, reply, None),
            _ => self.narrate(c.client, &format!("The connection to {peer} was lost: the server crashed.")),
        }
    }

    /// The crashed node was the client of connection `id` (relaying out): the server drops
    /// the session, and the crashed queue will try again after the restart.
    fn reset_for_server(&mut self, c: Conn, id: u32, node: NodeId) {
        let now = self.now;
        if let (ServerSide::Host, NodeKind::MailServer(h)) = (&c.side, &mut self.nodes[c.server].kind) {
            h.close_session(now, id);
        }
        if c.open {
            self.log.push(Event::ConnectionClosed { t: now, conn: id, by: self.nodes[node].actor.id.clone() });
        }
        let sent_data = ended_data(&c);
        if let Purpose::Relay { queue_id, leg } = c.purpose {
            // Read from the queue file after the restart: the attempt never finished, so as
            // far as the queue knows the message is not delivered, even if the 250 was on
            // its way (then Bob gets it twice).
            let why = if sent_data {
                "delivery interrupted by a crash after the end of data -- message may be sent more than once"
            } else {
                "delivery interrupted by a crash"
            };
            self.with_host(node, |h, ctx| h.relay_deferred(ctx, &queue_id, leg, why));
        }
    }

    /// The server restarts: it answers again, and what waited for it happens now; its queue
    /// manager looks at the queue at once.
    pub(super) fn restart(&mut self, node: NodeId) {
        let n = &mut self.nodes[node];
        let was_crashed = n.crashed;
        (n.down, n.crashed, n.crash_armed) = (false, false, false);
        let name = n.actor.name.clone();
        if !was_crashed {
            return self.narrate(node, &format!("{name} is back up."));
        }
        self.narrate(node, &format!("{name} restarts: its mailboxes and its queue were on disk and are all there."));
        let held = std::mem::take(&mut self.held);
        let (mine, others): (Vec<Action>, Vec<Action>) = held.into_iter().partition(|a| match a {
            Action::Task(n, _) => *n == node,
            Action::Datagram { to, .. } => *to == node,
            _ => false,
        });
        self.held = others;
        for a in mine {
            self.push(self.now, a);
        }
        self.schedule(self.now, node, Task::RunQueue);
    }
}

/// The client of `c` has sent the message and its final "." and waits for the reply.
fn ended_data(c: &Conn) -> bool {
    c.client_engine.wire_ref().state().to_string().starts_with("sending the message")
}
