//! The people's side: what a user agent (or a browser, or a terminal) starts, and what it
//! does when its client engine reports back.

use super::*;
use mailsim_proto::http::HttpClientEvent;
use mailsim_proto::imap::client::{is_helper, ImapClientEvent};
use mailsim_proto::message;
use mailsim_proto::pop3::{Pop3ClientEvent, Pop3Job};
use mailsim_proto::smtp::typed::TypedEvent;
use mailsim_proto::smtp::{ClientEvent, SmtpJob};

impl World {
    pub(super) fn start_task(&mut self, node: NodeId, task: Task) {
        match task {
            Task::Submit(sub) => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let target = match &sub.server {
                    Some(host) => self.node_by_host(host),
                    None => self.node_by_actor(&server.clone()),
                };
                let Some(target) = target else { return };
                let helo = self.nodes[node].actor.host.clone();
                let job = SmtpJob {
                    helo,
                    mail_from: sub.mail_from,
                    rcpt_to: sub.rcpt_to,
                    message: sub.message,
                    auth: sub.auth,
                    starttls: sub.starttls,
                    pipelining: sub.pipelining,
                    ..Default::default()
                };
                let engine = SmtpClient::with_tls(job, sub.port == 465);
                self.connect(node, target, sub.port, ClientEngine::Smtp(engine), Purpose::Submission);
            }
            Task::CheckMailPop3 { delete } => {
                let NodeKind::UserAgent { address, password, server } = &self.nodes[node].kind else { return };
                let user = address.split('@').next().unwrap_or_default().to_string();
                let known = if delete { vec![] } else { self.pop3_seen.get(&node).cloned().unwrap_or_default() };
                let job = Pop3Job { user, pass: password.clone(), delete, known };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 110, ClientEngine::Pop3(Pop3Client::new(job)), Purpose::Retrieval);
            }
            Task::RunQueue => {
                self.with_host(node, |h, ctx| h.run_queue(ctx));
            }
            Task::TypePop3(lines) => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 110, ClientEngine::Pop3Typed(Pop3Typed::new(lines)), Purpose::Terminal);
            }
            Task::Browse { server, mut requests, per_object } => {
                let Some(target) = self.node_by_host(&server) else { return };
                if requests.is_empty() {
                    return;
                }
                let (now, rest) = if per_object { (vec![requests.remove(0)], requests) } else { (requests, vec![]) };
                self.connect(node, target, 80, ClientEngine::Http(HttpClient::new(now)), Purpose::Browse { rest });
            }
            Task::TypeLines { server, port, lines } => {
                let Some(target) = self.node_by_host(&server) else { return };
                let engine = match port {
                    110 | 995 => ClientEngine::Pop3Typed(Pop3Typed::new(lines)),
                    143 | 993 => ClientEngine::Imap(self.typed_imap(node, lines)),
                    // After DATA, the lines up to "." are the message (if DATA is answered 354).
                    _ => ClientEngine::Typed(TypedSession::new(mailsim_proto::smtp::typed::group(lines))),
                };
                self.connect(node, target, port, engine, Purpose::Terminal);
            }
            Task::Imap(steps) => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 143, ClientEngine::Imap(ImapClient::new(steps)), Purpose::Retrieval);
            }
            Task::Type { server, port, script } => {
                let Some(target) = self.node_by_host(&server) else { return };
                self.connect(node, target, port, ClientEngine::Typed(TypedSession::new(script)), Purpose::Terminal);
            }
            Task::SetGreylist(g) => {
                let name = self.nodes[node].actor.name.clone();
                if let NodeKind::MailServer(h) = &mut self.nodes[node].kind {
                    h.set_greylist(g);
                }
                let text = if g.is_some() {
                    format!("{name} turns greylisting on.")
                } else {
                    format!("{name} turns greylisting off.")
                };
                self.narrate(node, &text);
            }
            Task::SetQuota(q) => {
                let name = self.nodes[node].actor.name.clone();
                if let NodeKind::MailServer(h) = &mut self.nodes[node].kind {
                    h.set_quota(q);
                }
                let text = if q.is_some() {
                    format!("The mailboxes on {name} are full.")
                } else {
                    format!("{name} has room in its mailboxes again.")
                };
                self.narrate(node, &text);
            }
            Task::Crash { before_reply } => self.crash_task(node, before_reply),
            Task::Shutdown => self.shut_down(node),
            Task::SetDown(false) if self.nodes[node].crashed || self.nodes[node].crash_armed => self.restart(node),
            Task::SetDown(down) => {
                self.nodes[node].down = down;
                let name = self.nodes[node].actor.name.clone();
                let text = if down {
                    format!("{name} crashes: nothing answers on its ports.")
                } else {
                    format!("{name} is back up.")
                };
                self.narrate(node, &text);
            }
        }
    }

    /// A typed IMAP session. Its SCRAM helper (a line `!scram` after a `+`) computes for the
    /// user agent's own account, as its mail program would; the client nonce is drawn only
    /// when the helper is used, so sessions without it replay as before.
    fn typed_imap(&mut self, node: NodeId, lines: Vec<String>) -> ImapClient {
        let account = match &self.nodes[node].kind {
            NodeKind::UserAgent { address, password, .. } => {
                Some((address.split('@').next().unwrap_or_default().to_string(), password.clone()))
            }
            _ => None,
        };
        match account {
            Some((user, password)) if lines.iter().any(|l| is_helper(l)) => {
                let nonce = self.rng.hex(16);
                ImapClient::typed_with_helper(lines, &user, &password, &nonce)
            }
            _ => ImapClient::typed(lines),
        }
    }

    pub(super) fn handle_client_events(&mut self, id: u32) -> bool {
        let Some(c) = self.conns.get_mut(&id) else { return false };
        let (client, server, purpose) = (c.client, c.server, c.purpose.clone());
        let mut closed = false;
        let any;
        match &mut c.client_engine {
            ClientEngine::Smtp(e) => {
                let events: Vec<ClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                for ev in events {
                    match ev {
                        ClientEvent::Closed => closed = true,
                        ClientEvent::TlsStarted => {}
                        ClientEvent::Sent { reply, rejected, accepted, dsn } => {
                            if let Purpose::Backend { http, reply: back } = &purpose {
                                let text = format!("{} {}", reply.code, reply.text());
                                self.finish_backend(client, *http, back.clone(), Some(text));
                                continue;
                            }
                            if matches!(purpose, Purpose::Submission) {
                                let text =
                                    format!("The user agent reports: message sent ({} {}).", reply.code, reply.text());
                                self.narrate(client, &text);
                            }
                            if let Purpose::Relay { queue_id, leg } = &purpose {
                                let ev = ClientEvent::Sent { reply, rejected, accepted, dsn };
                                let remote = self.nodes[server].actor.host.clone();
                                self.with_host(client, |h, ctx| h.relay_outcome(ctx, queue_id, *leg, &remote, ev));
                            }
                        }
                        ClientEvent::Failed { reply, permanent, rejected } => {
                            if let Purpose::Backend { http, reply: back } = &purpose {
                                self.finish_backend(client, *http, back.clone(), None);
                                continue;
                            }
                            if matches!(purpose, Purpose::Submission) {
                                let text = format!(
                                    "The user agent shows an error: the server said {} {}.",
                                    reply.code,
                                    reply.text()
                                );
                                self.narrate(client, &text);
                                continue;
                            }
                            if let Purpose::Relay { queue_id, leg } = &purpose {
                                let ev = ClientEvent::Failed { reply, permanent, rejected };
                                let remote = self.nodes[server].actor.host.clone();
                                self.with_host(client, |h, ctx| h.relay_outcome(ctx, queue_id, *leg, &remote, ev));
                            }
                        }
                    }
                }
            }
            ClientEngine::Imap(e) => {
                let events: Vec<ImapClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                closed = events.contains(&ImapClientEvent::Closed);
                if let (true, Purpose::Backend { http, reply }) = (closed, &purpose) {
                    // The IMAP session fetched what the page needs: answer the browser.
                    self.finish_backend(client, *http, reply.clone(), Some(String::new()));
                }
            }
            ClientEngine::Pop3Typed(e) => {
                any = std::iter::from_fn(|| e.poll_event()).count() > 0;
                closed = e.is_closed();
            }
            ClientEngine::Http(e) => {
                let events: Vec<HttpClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                closed = events.contains(&HttpClientEvent::Closed);
            }
            ClientEngine::Typed(e) => {
                let events: Vec<TypedEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                closed = events.contains(&TypedEvent::Closed);
            }
            ClientEngine::Pop3(e) => {
                let events: Vec<Pop3ClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                for ev in events {
                    match ev {
                        Pop3ClientEvent::Closed => closed = true,
                        Pop3ClientEvent::Retrieved { data, uid, .. } => {
                            if let Some(uid) = uid {
                                self.pop3_seen.entry(client).or_default().push(uid);
                            }
                            let from = message::header(&data, "From").unwrap_or_default();
                            let subject = message::header(&data, "Subject").unwrap_or_default();
                            let node = self.nodes[client].actor.id.clone();
                            self.log.push(Event::MessageDownloaded {
                                t: self.now,
                                node,
                                from,
                                subject,
                                size: data.len(),
                            });
                        }
                        Pop3ClientEvent::LoginFailed { .. } => {}
                    }
                }
            }
        }
        if closed {
            self.close(id, client);
            if let Purpose::Browse { rest } = purpose {
                if !rest.is_empty() {
                    // HTTP/1.0: the next object needs a new TCP connection.
                    let mut rest = rest;
                    let now = vec![rest.remove(0)];
                    self.connect(
                        client,
                        server,
                        80,
                        ClientEngine::Http(HttpClient::new(now)),
                        Purpose::Browse { rest },
                    );
                }
            }
        }
        any
    }
}
