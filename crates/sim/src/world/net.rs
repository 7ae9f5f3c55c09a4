//! The network: TCP connections between nodes (handshake, in-order delivery with latency,
//! close), UDP datagrams for DNS, and the SYN a host that is down never answers.

use super::*;
use mailsim_proto::http::HttpServerEvent;
use mailsim_proto::Pdu;

impl World {
    pub(super) fn connect(
        &mut self,
        client: NodeId,
        server: NodeId,
        port: u16,
        engine: ClientEngine,
        purpose: Purpose,
    ) {
        let id = self.next_conn;
        self.next_conn += 1;
        let lat = self.latency(client, server);
        let rtt = lat * 2;
        if self.nodes[server].down || self.blocked(client, port) {
            // No SYN-ACK will come: connect() gives up after its timeout.
            let client_port = 49152 + self.rng.below(16384) as u16;
            self.push(self.now + lat, Action::SynLost { conn: id, sent_at: self.now, client_port });
            self.conns.insert(
                id,
                Conn {
                    client,
                    server,
                    port,
                    client_engine: engine,
                    side: ServerSide::Listening,
                    protocol: "",
                    timer: None,
                    server_closed: false,
                    purpose,
                    last: [0, 0],
                    open: false,
                    tls: false,
                },
            );
            self.push(self.now + CONNECT_TIMEOUT, Action::Establish(id));
            return;
        }
        self.conns.insert(
            id,
            Conn {
                client,
                server,
                port,
                client_engine: engine,
                side: ServerSide::Listening,
                protocol: "",
                timer: None,
                server_closed: false,
                purpose,
                last: [0, 0],
                open: false,
                tls: port == 465 || port == 995 || port == 993,
            },
        );
        self.push(self.now + rtt, Action::Establish(id));
    }

    pub(super) fn establish(&mut self, id: u32) {
        // A connection whose client crashed while it was being set up is gone already.
        let Some(c) = self.conns.get(&id) else { return };
        let (server, port, client) = (c.server, c.port, c.client);
        let peer_ip = ip_string(self.nodes[client].ip);
        let refused = self.nodes[server].down || self.blocked(client, port) || self.conns[&id].open;
        let accepted = match (&self.nodes[server].kind, port) {
            _ if refused => None,
            (NodeKind::WebServer(_), 80) => Some((ServerSide::Http(HttpServer::new()), "HTTP")),
            (NodeKind::MailServer(_), _) => {
                // 2525: no IANA port, but where some providers also take submission, for
                // networks that block 587 (CPSC 317); every mail server of the world does.
                let service = if port == 2525 { 587 } else { port };
                let protocol = self.with_host(server, |h, ctx| h.accept(ctx, id, service, &peer_ip)).flatten();
                protocol.map(|p| (ServerSide::Host, p))
            }
            _ => None,
        };
        let Some((side, protocol)) = accepted else {
            let c = self.conns.remove(&id).expect("connection exists");
            self.connection_failed(c);
            return;
        };
        let client_port = 49152 + self.rng.below(16384) as u16;
        self.log.push(Event::ConnectionOpened {
            t: self.now,
            conn: id,
            client: self.nodes[client].actor.id.clone(),
            client_port,
            server: self.nodes[server].actor.id.clone(),
            port,
            protocol: protocol.into(),
        });
        let c = self.conns.get_mut(&id).expect("connection exists");
        c.side = side;
        c.protocol = protocol;
        c.open = true;
        self.pump(id);
    }

    pub(super) fn syn_lost(&mut self, id: u32, sent_at: Millis, client_port: u16) {
        let Some(c) = self.conns.get(&id) else { return };
        let (client, server, port) = (c.client, c.server, c.port);
        let seq = self.rng.next_u64() as u32;
        let raw = tcp_syn(self.nodes[client].ip, self.nodes[server].ip, client_port, port, seq);
        let host = self.nodes[server].actor.host.clone();
        let why = if self.nodes[server].down {
            "The host is down".to_string()
        } else {
            format!("A firewall on the network of {} drops connections to port {port}", self.nodes[client].actor.host)
        };
        self.log.push(Event::MessageSent {
            t_sent: sent_at,
            t: self.now,
            conn: Some(id),
            from: self.nodes[client].actor.id.clone(),
            to: self.nodes[server].actor.id.clone(),
            protocol: "TCP".into(),
            port,
            raw,
            label: format!("SYN (open a connection to port {port})"),
            meaning: format!(
                "A TCP segment with the SYN flag: the first step of the three-way handshake, asking {host} to open a connection to port {port}. \
                 {why}, so no SYN-ACK comes back; the sender retransmits and gives up after {} seconds.",
                CONNECT_TIMEOUT / 1000
            ),
            rfc: "RFC 9293 §3.5".into(),
            from_state: "SYN-SENT: waiting for SYN-ACK".into(),
            to_state: if self.nodes[server].down { "down: no answer".into() } else { "never reached: the SYN was dropped".into() },
            tls: false,
        });
    }

    /// The network `client` is on drops its connections to `port` (a user agent's `blocked-ports`).
    pub(super) fn blocked(&self, client: NodeId, port: u16) -> bool {
        self.nodes[client].blocked_ports.contains(&port)
    }

    pub(super) fn states(&self, id: u32) -> (String, String) {
        let c = &self.conns[&id];
        let client = state_text(c.client_engine.wire_ref().state());
        let server = match &c.side {
            ServerSide::Host => self.host(c.server).map(|h| h.session_state(id)).unwrap_or_default(),
            ServerSide::Http(e) => state_text(e.state()),
            ServerSide::Listening => "listening".into(),
        };
        (client, server)
    }

    pub(super) fn deliver(&mut self, id: u32, to_server: bool, transmit: Transmit, sent_at: Millis, tls: bool) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if !c.open {
            return;
        }
        let (server, now) = (c.server, self.now);
        match (to_server, &mut c.side) {
            (true, ServerSide::Host) => {
                if let NodeKind::MailServer(h) = &mut self.nodes[server].kind {
                    h.handle_input(now, id, &transmit.bytes);
                }
            }
            (true, ServerSide::Http(e)) => e.handle_input(now, &transmit.bytes),
            (true, ServerSide::Listening) => {}
            (false, _) => c.client_engine.wire().handle_input(now, &transmit.bytes),
        }
        let c = &self.conns[&id];
        let imap_server = to_server && c.protocol == "IMAP";
        let (cs, ss) = self.states(id);
        let (from_state, to_state) = if to_server { (cs, ss) } else { (ss, cs) };
        let (a, b) = if to_server { (c.client, c.server) } else { (c.server, c.client) };
        let ex = transmit.pdu.explain();
        self.log.push(Event::MessageSent {
            t_sent: sent_at,
            t: self.now,
            conn: Some(id),
            from: self.nodes[a].actor.id.clone(),
            to: self.nodes[b].actor.id.clone(),
            protocol: transmit.pdu.protocol().into(),
            port: c.port,
            raw: transmit.bytes,
            label: ex.label,
            meaning: ex.meaning,
            rfc: ex.rfc,
            from_state,
            to_state,
            tls,
        });
        let logged = self.log.len() - 1;
        self.pump(id);
        // IMAP folder work (SELECT...) is the owner's and happens at once: show the state the
        // server is in once it is done (Selected, not "waiting for the folder").
        if imap_server && self.conns.contains_key(&id) {
            let (_, now) = self.states(id);
            if let Event::MessageSent { to_state, .. } = &mut self.log[logged] {
                *to_state = now;
            }
        }
    }

    /// Drains both engines of a connection: events are acted on, bytes are scheduled.
    pub(super) fn pump(&mut self, id: u32) {
        loop {
            let mut progressed = false;
            let Some(c) = self.conns.get_mut(&id) else { return };
            let (client, server) = (c.client, c.server);
            let mut out = std::mem::take(&mut self.outbox);
            let wire = c.client_engine.wire();
            out.extend(std::iter::from_fn(|| wire.poll_transmit()).map(|t| (true, t)));
            match &mut c.side {
                ServerSide::Host => {
                    if let NodeKind::MailServer(h) = &mut self.nodes[server].kind {
                        out.extend(std::iter::from_fn(|| h.poll_transmit(id)).map(|t| (false, t)));
                    }
                }
                ServerSide::Http(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (false, t))),
                ServerSide::Listening => {}
            }
            for (to_server, transmit) in out.drain(..) {
                progressed = true;
                let lat = self.latency(client, server);
                let c = self.conns.get_mut(&id).expect("connection exists");
                let dir = usize::from(!to_server);
                let at = (self.now + lat).max(c.last[dir] + 1);
                c.last[dir] = at;
                let tls = c.tls;
                self.push(at, Action::Deliver { conn: id, to_server, transmit, sent_at: self.now, tls });
            }
            self.outbox = out;
            progressed |= self.handle_server_events(id);
            progressed |= self.handle_client_events(id);
            if !progressed {
                break;
            }
        }
        self.watch(id);
    }

    /// After a connection was drained: a server end that closed the session closes the TCP
    /// connection once its last bytes are out; an engine's next deadline (an idle timer) is
    /// put on the agenda.
    fn watch(&mut self, id: u32) {
        let Some(c) = self.conns.get(&id) else { return };
        let server_closed = match &c.side {
            ServerSide::Host => self.host(c.server).is_some_and(|h| h.session_closed(id)),
            ServerSide::Http(e) => e.is_closed(),
            ServerSide::Listening => false,
        };
        let server_deadline = match &c.side {
            ServerSide::Host => self.host(c.server).and_then(|h| h.session_timeout(id)),
            ServerSide::Http(e) => e.poll_timeout(),
            ServerSide::Listening => None,
        };
        let deadline = match (c.client_engine.wire_ref().poll_timeout(), server_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let after_last = c.last[1].max(self.now) + 1;
        let (closing, timer) = (server_closed && !c.server_closed, deadline.filter(|d| c.timer != Some(*d)));
        let c = self.conns.get_mut(&id).expect("connection exists");
        if closing {
            c.server_closed = true;
            self.push(after_last, Action::ServerClosed(id));
        }
        if let Some(d) = timer {
            let c = self.conns.get_mut(&id).expect("connection exists");
            c.timer = Some(d);
            self.push(d, Action::Timeout(id));
        }
    }

    /// An engine's deadline came: the engines whose deadline it is handle it.
    pub(super) fn timeout(&mut self, id: u32) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.timer.is_none_or(|d| d > now) {
            return;
        }
        c.timer = None;
        let server = c.server;
        if c.client_engine.wire_ref().poll_timeout().is_some_and(|d| d <= now) {
            c.client_engine.wire().handle_timeout(now);
        }
        match &mut c.side {
            ServerSide::Host => {
                if let NodeKind::MailServer(h) = &mut self.nodes[server].kind {
                    if h.session_timeout(id).is_some_and(|d| d <= now) {
                        h.handle_timeout(now, id);
                    }
                }
            }
            ServerSide::Http(e) => {
                if e.poll_timeout().is_some_and(|d| d <= now) {
                    e.handle_timeout(now)
                }
            }
            ServerSide::Listening => {}
        }
        self.pump(id);
    }

    /// The server closed the connection and its last bytes have arrived: the client learns
    /// of it (its engine ends), and the connection is gone, if the client has not already
    /// closed it.
    pub(super) fn server_closed(&mut self, id: u32) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.client_engine.wire().handle_close(now);
        let server = c.server;
        self.pump(id);
        if self.conns.contains_key(&id) {
            self.close(id, server);
        }
    }

    /// Acts on what the server end decided: a mail host's session is driven by its host; a
    /// web server answers requests here.
    pub(super) fn handle_server_events(&mut self, id: u32) -> bool {
        let Some(c) = self.conns.get_mut(&id) else { return false };
        let server = c.server;
        match &mut c.side {
            ServerSide::Host => {
                let before = self.log.len();
                let any = self.with_host(server, |h, ctx| h.drive(ctx, id)).unwrap_or(false);
                if self.nodes[server].crash_armed && self.took_message(server, before) {
                    self.crash_now(server, true);
                }
                any
            }
            ServerSide::Http(engine) => {
                let events: Vec<HttpServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
                let any = !events.is_empty();
                for ev in events {
                    if let HttpServerEvent::Request(req) = ev {
                        self.serve_http(server, id, req);
                    }
                }
                any
            }
            ServerSide::Listening => false,
        }
    }

    pub(super) fn close(&mut self, id: u32, by: NodeId) {
        let Some(mut c) = self.conns.remove(&id) else { return };
        c.open = false;
        if let (ServerSide::Host, NodeKind::MailServer(h)) = (&c.side, &mut self.nodes[c.server].kind) {
            h.close_session(self.now, id);
        }
        self.log.push(Event::ConnectionClosed { t: self.now, conn: id, by: self.nodes[by].actor.id.clone() });
    }

    /// Nothing answered: a user agent reports it; a queue defers the delivery.
    pub(super) fn connection_failed(&mut self, c: Conn) {
        self.log.push(Event::ConnectionRefused {
            t: self.now,
            client: self.nodes[c.client].actor.id.clone(),
            server: self.nodes[c.server].actor.id.clone(),
            port: c.port,
        });
        let host = self.nodes[c.server].actor.host.clone();
        let timed_out = self.nodes[c.server].down || self.blocked(c.client, c.port);
        let what = if timed_out { "Connection timed out" } else { "Connection refused" };
        match c.purpose {
            Purpose::Relay { queue_id, leg } => {
                let why = format!("connect to {host}[{}]:{}: {what}", ip_string(self.nodes[c.server].ip), c.port);
                self.with_host(c.client, |h, ctx| h.relay_deferred(ctx, &queue_id, leg, &why));
            }
            _ => {
                let text = if timed_out {
                    format!("The user agent shows an error: cannot connect to {host} port {} (timed out: nothing answered).", c.port)
                } else {
                    format!(
                        "The user agent shows an error: cannot connect to {host} port {} (connection refused).",
                        c.port
                    )
                };
                self.narrate(c.client, &text);
            }
        }
    }

    pub(super) fn send_datagram(&mut self, from: NodeId, to: NodeId, msg: DnsMessage, from_state: String) {
        let lat = self.latency(from, to);
        let bytes = msg.encode();
        self.push(self.now + lat, Action::Datagram { from, to, msg, bytes, sent_at: self.now, from_state });
    }

    pub(super) fn datagram(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: DnsMessage,
        bytes: Vec<u8>,
        sent_at: Millis,
        from_state: String,
    ) {
        // The receiver reads the wire bytes, as a real one would.
        let parsed = DnsMessage::decode(&bytes).unwrap_or(msg);
        let to_state = if parsed.response { "answer received" } else { "answering" };
        let ex = Pdu::Dns(parsed.clone()).explain();
        self.log.push(Event::MessageSent {
            t_sent: sent_at,
            t: self.now,
            conn: None,
            from: self.nodes[from].actor.id.clone(),
            to: self.nodes[to].actor.id.clone(),
            protocol: "DNS".into(),
            port: 53,
            raw: bytes,
            label: ex.label,
            meaning: ex.meaning,
            rfc: ex.rfc,
            from_state,
            to_state: to_state.into(),
            tls: false,
        });
        if !parsed.response {
            if let NodeKind::Dns { zone } = &self.nodes[to].kind {
                let answer = super::dns::answer_query(zone, &parsed);
                self.send_datagram(to, from, answer, "answered".into());
            }
        } else {
            self.with_host(to, |h, ctx| h.on_dns_answer(ctx, parsed));
        }
    }
}

/// How long connect() waits for a SYN-ACK before giving up.
const CONNECT_TIMEOUT: Millis = 30_000;

/// A real TCP SYN segment (RFC 9293 §3.1): header only, with the checksum over the IPv4
/// pseudo-header.
fn tcp_syn(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(20);
    h.extend(sport.to_be_bytes());
    h.extend(dport.to_be_bytes());
    h.extend(seq.to_be_bytes());
    h.extend(0u32.to_be_bytes()); // acknowledgment number: none yet
    h.push(5 << 4); // data offset: 5 words, no options
    h.push(0x02); // flags: SYN
    h.extend(64240u16.to_be_bytes()); // window
    h.extend([0, 0]); // checksum, filled in below
    h.extend([0, 0]); // urgent pointer
    let mut sum: u32 = 0;
    let mut add =
        |b: &[u8]| b.chunks(2).for_each(|c| sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])));
    add(&src);
    add(&dst);
    add(&[0, 6]);
    add(&(h.len() as u16).to_be_bytes());
    add(&h);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    h[16..18].copy_from_slice(&ck.to_be_bytes());
    h
}

/// What `state.to_string()` writes, without the formatting machinery when the state's text has
/// no `{n}` to fill in (most states; this runs twice for every message delivered).
fn state_text(state: mailsim_proto::state::StateView) -> String {
    let text = state.state().text;
    if text.contains("{n}") {
        state.to_string()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    pub(super) fn syn_checksum_verifies() {
        let h = super::tcp_syn([192, 0, 2, 25], [198, 51, 100, 25], 50000, 25, 0x0102_0304);
        assert_eq!(h.len(), 20);
        assert_eq!(h[13], 0x02);
        // Summing everything again, checksum included, gives 0xffff.
        let mut sum: u32 = 0;
        for c in [&[192u8, 0, 2, 25][..], &[198, 51, 100, 25], &[0, 6], &[0, 20], &h] {
            for w in c.chunks(2) {
                sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
            }
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff);
    }
}
