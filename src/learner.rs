//! "Try it yourself": the learner composes mail, types at a terminal, or breaks a server.
//! Each action is data sent to the player (`Action::Learn`), which replays the scenario with
//! it; nothing here speaks a protocol. Everything typed is shown back as text.

use crate::state::{Action, Player};
use mailsim_sim::actions::{Action as Learn, Attachment, Fault, ReadMode, SubmitMode};
use mailsim_sim::log::Event;
use mailsim_sim::proto::imap::client::SCRAM_HELPER;
use mailsim_sim::proto::imap::explain::scram_fields;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LearnerProps {
    pub player: Rc<Player>,
    pub dispatch: Callback<Action>,
    /// Start open (e.g. while an activity's task is on screen).
    #[prop_or_default]
    pub open: bool,
}

fn value(r: &NodeRef) -> String {
    if let Some(i) = r.cast::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    if let Some(t) = r.cast::<web_sys::HtmlTextAreaElement>() {
        return t.value();
    }
    r.cast::<web_sys::HtmlSelectElement>().map(|s| s.value()).unwrap_or_default()
}

#[function_component(LearnerPanel)]
pub fn learner_panel(props: &LearnerProps) -> Html {
    let tab = use_state(|| "compose");
    let p = &props.player;
    if p.scenario.id == "imported" {
        return html! {};
    }
    let tabs = ["compose", "terminal", "faults"].iter().map(|t| {
        let tab2 = tab.clone();
        let title = match *t {
            "compose" => "Compose",
            "terminal" => "Terminal",
            _ => "Faults",
        };
        html! {
            <button role="tab" id={format!("tab-{t}")} aria-selected={(*tab == *t).to_string()} class={classes!("tab", (*tab == *t).then_some("active"))}
                onclick={Callback::from(move |_| tab2.set(t))}>{ title }</button>
        }
    });
    let forget = {
        let d = props.dispatch.clone();
        Callback::from(move |_| d.emit(Action::Forget))
    };
    html! {
        <details id="learn" class="panel learn" open={props.open || p.scenario.id == "playground" || !p.actions.is_empty()}>
            <summary><h2>{"Try it yourself"}</h2><span class="hint">{" compose, type commands, break things"}</span></summary>
            <div role="tablist" class="tabs">{ for tabs }</div>
            { match *tab {
                "compose" => html! { <Composer player={p.clone()} dispatch={props.dispatch.clone()} /> },
                "terminal" => html! { <Terminal player={p.clone()} dispatch={props.dispatch.clone()} /> },
                _ => html! { <Faults player={p.clone()} dispatch={props.dispatch.clone()} /> },
            } }
            if !p.actions.is_empty() {
                <p class="mine">{ format!("You added {} action{} to this scenario (kept in this browser). ", p.actions.len(), if p.actions.len() == 1 { "" } else { "s" }) }
                    <button id="forget" onclick={forget}>{"Reset my changes"}</button></p>
            }
        </details>
    }
}

#[function_component(Composer)]
fn composer(props: &LearnerProps) -> Html {
    let (from, to, cc, bcc, subject) = (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let (body, file, submit, read) = (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    // A recipient that is no address: the message is not sent (a saved scenario must be right).
    let problem = use_state(String::new);
    // Defaults are set once, when the form appears; afterwards the fields are the learner's.
    {
        let (to, subject, body) = (to.clone(), subject.clone(), body.clone());
        use_effect_with((), move |_| {
            if let Some(i) = to.cast::<web_sys::HtmlInputElement>() {
                i.set_value("Bob <bob@bob.example>");
            }
            if let Some(i) = subject.cast::<web_sys::HtmlInputElement>() {
                i.set_value("Hello");
            }
            if let Some(t) = body.cast::<web_sys::HtmlTextAreaElement>() {
                t.set_value("Hi Bob,\n\nhow are you?\n");
            }
        });
    }
    let onsubmit = {
        let (d, at, problem) = (props.dispatch.clone(), props.player.end_time() + 1000, problem.clone());
        let (from, to, cc, bcc, subject, body, file, submit, read) = (
            from.clone(),
            to.clone(),
            cc.clone(),
            bcc.clone(),
            subject.clone(),
            body.clone(),
            file.clone(),
            submit.clone(),
            read.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let checked = [&to, &cc, &bcc].iter().try_for_each(|f| crate::engine::check_recipients(&value(f)));
            problem.set(checked.clone().err().unwrap_or_default());
            if checked.is_err() {
                return;
            }
            let submit_mode = match value(&submit).as_str() {
                "starttls-587" => SubmitMode::Starttls587,
                "tls-465" => SubmitMode::Tls465,
                _ => SubmitMode::Plain587,
            };
            let read_mode = match value(&read).as_str() {
                "pop3-keep" => ReadMode::Pop3Keep,
                "imap" => ReadMode::Imap,
                "none" => ReadMode::None,
                _ => ReadMode::Pop3Delete,
            };
            let mut action = Learn::Compose {
                at,
                sender: value(&from),
                to: value(&to),
                cc: value(&cc),
                bcc: value(&bcc),
                subject: value(&subject),
                body: value(&body),
                attachment: None,
                submit: submit_mode,
                read: read_mode,
            };
            let chosen = file.cast::<web_sys::HtmlInputElement>().and_then(|i| i.files()).and_then(|f| f.get(0));
            let d = d.clone();
            match chosen {
                None => d.emit(Action::Learn(action)),
                Some(f) => wasm_bindgen_futures::spawn_local(async move {
                    use base64::Engine as _;
                    let buf = wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await.ok();
                    let bytes = buf.map(|b| js_sys_bytes(&b)).unwrap_or_default();
                    if let Learn::Compose { attachment, .. } = &mut action {
                        let ct = if f.type_().is_empty() { "application/octet-stream".to_string() } else { f.type_() };
                        *attachment = Some(Attachment {
                            filename: f.name(),
                            content_type: ct,
                            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                        });
                    }
                    d.emit(Action::Learn(action));
                }),
            }
        })
    };
    html! {
        <form id="composer" class="composer" onsubmit={onsubmit}>
            <label>{"From "}<select ref={from} id="c-from"><option value="alice" selected=true>{"Alice <alice@alice.example>"}</option><option value="bob">{"Bob <bob@bob.example>"}</option></select></label>
            <label>{"To "}<input ref={to} id="c-to" /></label>
            <label>{"Cc "}<input ref={cc} id="c-cc" placeholder="carol@bob.example" /></label>
            <label>{"Bcc "}<input ref={bcc} id="c-bcc" /></label>
            <label>{"Subject "}<input ref={subject} id="c-subject" /></label>
            <label class="wide">{"Message "}<textarea ref={body} id="c-body" rows="4" /></label>
            <label class="wide">{"Attachment "}<input ref={file} id="c-file" type="file" /></label>
            <label>{"Send through "}<select ref={submit} id="c-submit">
                <option value="plain-587" selected=true>{"587, AUTH"}</option>
                <option value="starttls-587">{"587, STARTTLS + AUTH"}</option>
                <option value="tls-465">{"465, implicit TLS + AUTH"}</option>
            </select></label>
            <label>{"Recipient reads with "}<select ref={read} id="c-read">
                <option value="pop3-delete" selected=true>{"POP3, download and delete"}</option>
                <option value="pop3-keep">{"POP3, download and keep"}</option>
                <option value="imap">{"IMAP"}</option>
                <option value="none">{"(does not read yet)"}</option>
            </select></label>
            <button id="c-send" class="primary" type="submit">{"Send"}</button>
            if !problem.is_empty() { <p id="c-error" class="error" role="alert">{ (*problem).clone() }</p> }
        </form>
    }
}

fn js_sys_bytes(v: &wasm_bindgen::JsValue) -> Vec<u8> {
    // An ArrayBuffer, copied out through a Uint8Array view.
    let arr = web_sys::js_sys::Uint8Array::new(v);
    arr.to_vec()
}

#[function_component(Terminal)]
fn terminal(props: &LearnerProps) -> Html {
    let p = &props.player;
    let (client, host, port, line) = (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let history_pos = use_state(|| None::<usize>);
    let current = p.actions.iter().rev().find_map(|a| {
        if let Learn::Terminal { at, client, host, port, lines } = a {
            Some((*at, client.clone(), host.clone(), *port, lines.clone()))
        } else {
            None
        }
    });
    let clients: Vec<(String, String)> =
        p.diagram.actors.iter().filter(|a| a.kind == "ua").map(|a| (a.id.clone(), a.name.clone())).collect();
    let hosts: Vec<(String, String)> =
        p.diagram.actors.iter().filter(|a| a.kind == "server").map(|a| (a.host.clone(), a.name.clone())).collect();
    let open = {
        let (d, at) = (props.dispatch.clone(), p.end_time() + 1000);
        let (client, host, port) = (client.clone(), host.clone(), port.clone());
        Callback::from(move |_| {
            let port: u16 = value(&port).parse().unwrap_or(25);
            d.emit(Action::Learn(Learn::Terminal {
                at,
                client: value(&client),
                host: value(&host),
                port,
                lines: vec![],
            }));
        })
    };
    let onkeydown = {
        let (d, line_ref, current, hp) = (props.dispatch.clone(), line.clone(), current.clone(), history_pos.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Some(input) = line_ref.cast::<web_sys::HtmlInputElement>() else { return };
            let Some((at, client, host, port, lines)) = current.clone() else { return };
            match e.key().as_str() {
                "Enter" => {
                    e.prevent_default();
                    // A paste of several lines arrives as one value with newlines: each is a line.
                    let typed = input.value();
                    let mut lines = lines.clone();
                    lines.extend(typed.split(['\n']).map(|l| l.trim_end_matches('\r').to_string()));
                    input.set_value("");
                    hp.set(None);
                    d.emit(Action::Learn(Learn::Terminal { at, client, host, port, lines }));
                }
                "ArrowUp" | "ArrowDown" if !lines.is_empty() => {
                    e.prevent_default();
                    let last = lines.len() - 1;
                    let pos = match (*hp, e.key().as_str()) {
                        (None, "ArrowUp") => Some(last),
                        (Some(i), "ArrowUp") => Some(i.saturating_sub(1)),
                        (Some(i), _) if i < last => Some(i + 1),
                        _ => None,
                    };
                    input.set_value(pos.map(|i| lines[i].as_str()).unwrap_or(""));
                    hp.set(pos);
                }
                _ => {}
            }
        })
    };
    let onpaste = {
        let line_ref = line.clone();
        Callback::from(move |e: yew::Event| {
            // Let multi-line text land in the field as is (an <input> drops newlines).
            if let (Some(ce), Some(input)) =
                (e.dyn_ref::<web_sys::ClipboardEvent>(), line_ref.cast::<web_sys::HtmlInputElement>())
            {
                if let Some(text) = ce.clipboard_data().and_then(|d| d.get_data("text").ok()) {
                    if text.contains('\n') {
                        e.prevent_default();
                        input.set_value(&(input.value() + &text));
                    }
                }
            }
        })
    };
    // The session's transcript, from the log: everything on its connection.
    let transcript = current.as_ref().map(|(at, client, _, port, _)| session_text(&p.log.events, *at, client, *port));
    let (transcript, waiting) = match transcript {
        Some((t, w)) => (Some(t), w),
        None => (None, Waiting::Command),
    };
    let helper = {
        let (d, current) = (props.dispatch.clone(), current.clone());
        Callback::from(move |_| {
            let Some((at, client, host, port, mut lines)) = current.clone() else { return };
            lines.push(SCRAM_HELPER.to_string());
            d.emit(Action::Learn(Learn::Terminal { at, client, host, port, lines }));
        })
    };
    let account = current
        .as_ref()
        .and_then(|c| p.diagram.actors.iter().find(|a| a.id == c.1))
        .map(|a| a.name.clone())
        .unwrap_or_default();
    // Like a terminal, keep the newest lines in view as the session grows.
    let out_ref = use_node_ref();
    {
        let out_ref = out_ref.clone();
        use_effect_with(transcript.clone(), move |_| {
            if let Some(el) = out_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    // Each menu names its default with `selected`: Yew inserts a list's options from the last
    // one up, and Firefox keeps the first option inserted selected (the last one), where
    // Chromium and WebKit select the first in order (tests/e2e/engines.test.mjs).
    html! {
        <div id="terminal" class="terminal">
            <div class="row">
                <label>{"From "}<select ref={client} id="t-client">{ for clients.iter().enumerate().map(|(i, (id, n))| html! { <option value={id.clone()} selected={i == 0}>{ n.clone() }</option> }) }</select></label>
                <label>{"to "}<select ref={host} id="t-host">{ for hosts.iter().enumerate().map(|(i, (h, n))| html! { <option value={h.clone()} selected={i == 0}>{ format!("{h} ({n})") }</option> }) }</select></label>
                <label>{"port "}<select ref={port} id="t-port">
                    { for [("25", "25 SMTP"), ("587", "587 submission"), ("465", "465 SMTPS"), ("2525", "2525 submission"), ("110", "110 POP3"), ("143", "143 IMAP"), ("993", "993 IMAPS"), ("995", "995 POP3S")].iter().map(|(v, n)| html! { <option value={*v} selected={*v == "25"}>{ *n }</option> }) }
                </select></label>
                <button id="t-open" onclick={open}>{"Open session"}</button>
            </div>
            if let Some((_, client, host, port, _)) = &current {
                <p class="session">{ format!("telnet {host} {port}  (from {client})") }</p>
                // A student typing the lecture's POP3 or IMAP session needs the password: in
                // the built-in worlds it is the user's name and -pw (sim's standard cast).
                if *port != 25 {
                    <p class="hint" id="t-login-hint">{"Password: the user name and -pw (bob, bob-pw)."}</p>
                }
                <pre ref={out_ref} id="t-out" class="raw term-out" aria-live="polite">{ transcript.unwrap_or_default() }</pre>
                if let Waiting::Scram(next) = waiting {
                    <p class="hint scram-helper">
                        <button id="t-scram" onclick={helper}>{ format!("Mail client: {next}") }</button>
                        { format!(" Nobody types SCRAM by hand: {account}, the mail program, computes this message from the account's password (PBKDF2, HMAC, SHA-256; RFC 5802 §3) and sends it as base64. Same as typing {SCRAM_HELPER}. The terminal shows each message decoded, field by field.") }
                    </p>
                }
                if waiting == Waiting::Message {
                    <p class="hint" id="t-data-hint">{"You are the client: each line goes out as typed, and a line holding only . ends the message. The server removes the first dot of any line that starts with one (RFC 5321 §4.5.2), so to send a line starting with . type it with two (..like this)."}</p>
                }
                <input ref={line} id="t-line" class="term-in" placeholder="Type a command and press Enter (↑/↓: history; after DATA, end the message with a line holding only .; after BDAT n, the next line is the chunk, its CRLF counted only if n = its length + 2)"
                    onkeydown={onkeydown} onpaste={onpaste} aria-label="Command line" autocomplete="off" spellcheck="false" />
            } else {
                <p class="hint">{"Choose a client, a server and a port, then open a session: like telnet, you type the protocol yourself. \
                    25 is server-to-server SMTP, 587 submission (RFC 6409) and 465 submission over TLS (RFC 8314); 2525 is no IANA port, \
                    only a fallback for submission some providers open when 587 is blocked, as the servers here do (mailsim serve uses 2525 for its port 25). \
                    110/995 are POP3 and POP3 over TLS, 143/993 IMAP and IMAP over TLS."}</p>
            }
        </div>
    }
}

/// What the server of a terminal session waits for after its last line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Command,
    /// The lines of a message, after `354`.
    Message,
    /// The next message of an AUTHENTICATE SCRAM-SHA-256 exchange (what the helper computes).
    Scram(&'static str),
}

/// The session's lines (`C: ` / `S: `), from the log: everything on the terminal's connection,
/// empty lines included (the blank line between header and body), each base64 line of an
/// authentication exchange followed by what it decodes to. Also what the server waits for.
fn session_text(events: &[Event], at: u64, client: &str, port: u16) -> (String, Waiting) {
    let conn = events.iter().find_map(|e| match e {
        Event::ConnectionOpened { t, conn, client: c, port: pt, .. } if c == client && *pt == port && *t >= at => {
            Some(*conn)
        }
        _ => None,
    });
    let (mut out, mut waiting) = (String::new(), Waiting::Command);
    // A `+`/`334` challenge was the server's last line; the command that opened it was SCRAM.
    let (mut challenge, mut scram) = (false, false);
    for e in events {
        let Event::MessageSent { conn: Some(c), from, raw, .. } = e else { continue };
        if Some(*c) != conn {
            continue;
        }
        let text = String::from_utf8_lossy(raw);
        let mine = from == client;
        let lines: Vec<&str> = text.strip_suffix("\r\n").unwrap_or(&text).split("\r\n").collect();
        for l in &lines {
            out.push_str(if mine { "C: " } else { "S: " });
            out.push_str(l);
            out.push('\n');
            let payload = match (mine, challenge) {
                (true, true) => Some(l.trim()),
                (false, _) => l.strip_prefix("+ ").or_else(|| l.strip_prefix("334 ")).map(str::trim),
                _ => None,
            };
            if let Some(decoded) = payload.and_then(decode_base64) {
                out.push_str(&format!("     base64 of \"{}\"\n", decoded.replace('\0', "\\0")));
                for (field, what) in scram_fields(&decoded) {
                    out.push_str(&format!("       {field}  {what}\n"));
                }
            }
        }
        let last = lines.last().copied().unwrap_or_default();
        if mine {
            let upper = last.to_ascii_uppercase();
            if upper.contains(" AUTHENTICATE ") || upper.starts_with("AUTH ") {
                scram = upper.contains("SCRAM-SHA-256");
            }
            challenge = false;
        } else {
            challenge = last == "+" || last.starts_with("+ ") || last.starts_with("334 ");
            waiting = if last.starts_with("354") {
                Waiting::Message
            } else if challenge && scram && matches!(port, 143 | 993) {
                let decoded = decode_base64(last.trim_start_matches('+').trim()).unwrap_or_default();
                Waiting::Scram(if decoded.starts_with("v=") {
                    "check the server's signature v= (then answer with an empty line)"
                } else if decoded.starts_with("r=") {
                    "compute client-final, with the proof p="
                } else {
                    "compute client-first (user name and nonce)"
                })
            } else {
                Waiting::Command
            };
        }
    }
    if conn.is_none() {
        out.push_str("(no connection: nothing answers on that port)\n");
    }
    (out, waiting)
}

/// Text that is base64 of something readable (NULs allowed, as in AUTH PLAIN).
fn decode_base64(s: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok().filter(|b| !b.is_empty())?;
    let text = String::from_utf8(bytes).ok()?;
    text.chars().all(|c| c == '\0' || !c.is_control()).then_some(text)
}

#[function_component(Faults)]
fn faults(props: &LearnerProps) -> Html {
    let p = &props.player;
    let at = p.now() + 1;
    let button = |server: &str, fault: Fault, text: &str, id: String| {
        let d = props.dispatch.clone();
        let server = server.to_string();
        html! { <button id={id} onclick={Callback::from(move |_| d.emit(Action::Learn(Learn::Fault { at, server: server.clone(), fault })))}>{ text.to_string() }</button> }
    };
    html! {
        <div id="faults" class="faults">
            <p class="hint">{ format!("Faults happen at the current step (t = {}), and the world replays from there.", mailsim_sim::diagram::format_time(p.now())) }</p>
            { for p.diagram.actors.iter().filter(|a| a.kind == "server").map(|a| html! {
                <div class="fault-row">
                    <strong>{ a.name.clone() }</strong>
                    { button(&a.id, Fault::Down, "Take down", format!("f-down-{}", a.id)) }
                    { button(&a.id, Fault::Shutdown, "Shut down (421)", format!("f-shutdown-{}", a.id)) }
                    { button(&a.id, Fault::Up, "Bring back", format!("f-up-{}", a.id)) }
                    { button(&a.id, Fault::GreylistOn, "Greylist on", format!("f-grey-{}", a.id)) }
                    { button(&a.id, Fault::GreylistOff, "Greylist off", format!("f-ungrey-{}", a.id)) }
                    { button(&a.id, Fault::MailboxFull, "Fill mailboxes", format!("f-full-{}", a.id)) }
                    { button(&a.id, Fault::MailboxRoom, "Make room", format!("f-room-{}", a.id)) }
                </div>
            }) }
        </div>
    }
}
