//! Web servers: a static site, and a provider's webmail front end, which answers the
//! browser's HTTP by submitting over SMTP and reading over IMAP from its own mail server.

use super::*;
use mailsim_proto::message;
use mailsim_proto::smtp::SmtpJob;

impl World {
    pub(super) fn respond_http(&mut self, conn: u32, resp: HttpMessage) {
        if let Some(ServerSide::Http(e)) = self.conns.get_mut(&conn).map(|c| &mut c.side) {
            e.respond(resp);
        }
        self.pump(conn);
    }

    /// A web server answers a request: static objects at once; webmail pages may first need
    /// an SMTP or IMAP session with the provider's mail server.
    pub(super) fn serve_http(&mut self, server: NodeId, conn: u32, req: HttpMessage) {
        let html = |s: &str| {
            ("Content-Type", if s.starts_with('<') { "text/html; charset=utf-8" } else { "text/plain; charset=utf-8" })
        };
        let NodeKind::WebServer(site) = &mut self.nodes[server].kind else { return };
        let resp = match site {
            Site::Static(pages) => match pages.iter().find(|(p, _, _)| p == req.target()) {
                Some((_, ct, body)) if req.method() == "GET" => {
                    HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", ct)], body)
                }
                Some(_) => HttpMessage::response("HTTP/1.1", 405, "Method Not Allowed", &[("Allow", "GET")], b""),
                None => HttpMessage::response(
                    "HTTP/1.1",
                    404,
                    "Not Found",
                    &[("Content-Type", "text/plain")],
                    b"no such object\n",
                ),
            },
            Site::Webmail { mail_server, sessions } => {
                let mail_server = mail_server.clone();
                let session =
                    req.cookie("session").and_then(|t| sessions.iter().find(|(tok, _, _)| *tok == t).cloned());
                let needs_login =
                    ["/compose", "/inbox", "/send"].contains(&req.target()) || req.target().starts_with("/message/");
                let form = req.form();
                let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
                match (req.method(), req.target()) {
                    ("GET", "/") => {
                        let page = "<form method=\"post\" action=\"/login\">User <input name=\"user\"> Password <input type=\"password\" name=\"password\"> <button>Log in</button></form>\n";
                        HttpMessage::response("HTTP/1.1", 200, "OK", &[html(page)], page.as_bytes())
                    }
                    ("POST", "/login") => {
                        let (user, password) = (field("user"), field("password"));
                        let Some(ms_node) = self.node_by_actor(&mail_server) else { return };
                        let NodeKind::MailServer(ms) = &self.nodes[ms_node].kind else { return };
                        let address = ms.store().resolve_login(&user);
                        let ok = address.as_ref().and_then(|a| ms.store().password(a)).is_some_and(|p| p == password);
                        if let (true, Some(address)) = (ok, address) {
                            let token = self.rng.hex(16).to_ascii_lowercase();
                            let next = if address.starts_with("alice") { "/compose" } else { "/inbox" };
                            if let NodeKind::WebServer(Site::Webmail { sessions, .. }) = &mut self.nodes[server].kind {
                                sessions.push((token.clone(), address, password));
                            }
                            let cookie = format!("session={token}; HttpOnly; Path=/");
                            HttpMessage::response(
                                "HTTP/1.1",
                                303,
                                "See Other",
                                &[("Location", next), ("Set-Cookie", &cookie)],
                                b"",
                            )
                        } else {
                            HttpMessage::response(
                                "HTTP/1.1",
                                403,
                                "Forbidden",
                                &[("Content-Type", "text/plain")],
                                b"wrong user name or password\n",
                            )
                        }
                    }
                    (_, "/login") => {
                        HttpMessage::response("HTTP/1.1", 405, "Method Not Allowed", &[("Allow", "POST")], b"")
                    }
                    _ if needs_login && session.is_none() => {
                        HttpMessage::response("HTTP/1.1", 303, "See Other", &[("Location", "/")], b"")
                    }
                    ("GET", "/compose") => {
                        let page = "<form method=\"post\" action=\"/send\">To <input name=\"to\"> Subject <input name=\"subject\"> <textarea name=\"text\"></textarea> <button>Send</button></form>\n";
                        HttpMessage::response("HTTP/1.1", 200, "OK", &[html(page)], page.as_bytes())
                    }
                    ("POST", "/send") => {
                        let (_, address, password) = session.expect("checked above");
                        return self.webmail_send(
                            server,
                            conn,
                            &mail_server,
                            &address,
                            &password,
                            &field("to"),
                            &field("subject"),
                            &field("text"),
                        );
                    }
                    ("GET", "/inbox") => {
                        let (_, address, password) = session.expect("checked above");
                        return self.webmail_imap(
                            server,
                            conn,
                            &mail_server,
                            &address,
                            &password,
                            BackendReply::Inbox(address.clone()),
                        );
                    }
                    ("GET", t) if t.starts_with("/message/") => {
                        let (_, address, password) = session.expect("checked above");
                        let n: usize = t["/message/".len()..].parse().unwrap_or(0);
                        if n == 0 {
                            HttpMessage::response(
                                "HTTP/1.1",
                                404,
                                "Not Found",
                                &[("Content-Type", "text/plain")],
                                b"no such message\n",
                            )
                        } else {
                            return self.webmail_imap(
                                server,
                                conn,
                                &mail_server,
                                &address,
                                &password,
                                BackendReply::Message(address.clone(), n),
                            );
                        }
                    }
                    (_, "/compose" | "/inbox" | "/send") => HttpMessage::response(
                        "HTTP/1.1",
                        405,
                        "Method Not Allowed",
                        &[("Allow", if req.target() == "/send" { "POST" } else { "GET" })],
                        b"",
                    ),
                    _ => HttpMessage::response(
                        "HTTP/1.1",
                        404,
                        "Not Found",
                        &[("Content-Type", "text/plain")],
                        b"no such page\n",
                    ),
                }
            }
        };
        self.respond_http(conn, resp);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn webmail_send(
        &mut self,
        server: NodeId,
        http: u32,
        mail_server: &str,
        address: &str,
        password: &str,
        to: &str,
        subject: &str,
        text: &str,
    ) {
        let Some(ms) = self.node_by_actor(mail_server) else { return };
        let name = address
            .split('@')
            .next()
            .map(|n| {
                let mut c = n.chars();
                c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
            })
            .unwrap_or_default();
        let token = self.rng.hex(8).to_ascii_lowercase();
        let domain = address.split('@').nth(1).unwrap_or("");
        let draft = Draft {
            from: message::Person::new(&name, address),
            to: to.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| message::Person::new("", t)).collect(),
            cc: vec![],
            bcc: vec![],
            subject: subject.into(),
            body: text.into(),
            date: self.unix_now(),
            message_id: format!("{}.{token}@webmail.{domain}", self.unix_now()),
        };
        let job = SmtpJob {
            helo: self.nodes[server].actor.host.clone(),
            mail_from: address.into(),
            rcpt_to: draft.envelope_recipients(),
            message: draft.to_bytes(),
            auth: Some((address.into(), password.into())),
            starttls: false,
            pipelining: false,
            ..Default::default()
        };
        self.connect(
            server,
            ms,
            587,
            ClientEngine::Smtp(SmtpClient::new(job)),
            Purpose::Backend { http, reply: BackendReply::Sent },
        );
    }

    pub(super) fn webmail_imap(
        &mut self,
        server: NodeId,
        http: u32,
        mail_server: &str,
        address: &str,
        password: &str,
        reply: BackendReply,
    ) {
        let Some(ms) = self.node_by_actor(mail_server) else { return };
        let user = address.split('@').next().unwrap_or("").to_string();
        let fetch = match &reply {
            BackendReply::Message(_, n) => format!("w3 fetch {n} body[]"),
            _ => "w3 fetch 1:* (flags envelope)".to_string(),
        };
        let steps = vec![
            ImapStep::Scram { tag: "w1".into(), user, password: password.into(), nonce: self.rng.hex(16) },
            ImapStep::Line("w2 select inbox".into()),
            ImapStep::Line(fetch),
            ImapStep::Line("w4 logout".into()),
        ];
        self.connect(server, ms, 143, ClientEngine::Imap(ImapClient::new(steps)), Purpose::Backend { http, reply });
    }

    /// The backend session is over: answer the browser.
    pub(super) fn finish_backend(&mut self, client: NodeId, http: u32, reply: BackendReply, outcome: Option<String>) {
        // A JSON string, escaped by serde_json (quotes, backslashes and control characters).
        let json = |s: &str| serde_json::Value::from(s).to_string();
        let NodeKind::WebServer(Site::Webmail { mail_server, .. }) = &self.nodes[client].kind else { return };
        let Some(ms) = self.node_by_actor(&mail_server.clone()) else { return };
        let NodeKind::MailServer(ms) = &self.nodes[ms].kind else { return };
        let resp = match reply {
            BackendReply::Sent => match outcome {
                Some(ok) => HttpMessage::response(
                    "HTTP/1.1",
                    200,
                    "OK",
                    &[("Content-Type", "application/json")],
                    format!("{{\"sent\": true, \"server\": {}}}\n", json(&ok)).as_bytes(),
                ),
                None => HttpMessage::response(
                    "HTTP/1.1",
                    502,
                    "Bad Gateway",
                    &[("Content-Type", "application/json")],
                    b"{\"sent\": false}\n",
                ),
            },
            BackendReply::Inbox(address) => {
                let items: Vec<String> = ms
                    .store()
                    .mailbox(&address)
                    .map(|m| {
                        m.messages
                            .iter()
                            .enumerate()
                            .map(|(i, x)| {
                                let h = |n: &str| json(&message::header(&x.data, n).unwrap_or_default());
                                format!(
                                    "{{\"n\": {}, \"from\": {}, \"subject\": {}, \"seen\": {}}}",
                                    i + 1,
                                    h("From"),
                                    h("Subject"),
                                    x.flags.iter().any(|f| f == "\\Seen")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                HttpMessage::response(
                    "HTTP/1.1",
                    200,
                    "OK",
                    &[("Content-Type", "application/json")],
                    format!("[{}]\n", items.join(", ")).as_bytes(),
                )
            }
            BackendReply::Message(address, n) => match ms.store().mailbox(&address).and_then(|m| m.messages.get(n - 1))
            {
                Some(x) => HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", "message/rfc822")], &x.data),
                None => HttpMessage::response(
                    "HTTP/1.1",
                    404,
                    "Not Found",
                    &[("Content-Type", "text/plain")],
                    b"no such message\n",
                ),
            },
        };
        self.respond_http(http, resp);
    }
}
