//! The panels beside the diagram: what the current message is (bytes, meaning, RFC,
//! states of both ends) and what the world holds as of this step (queues, mailboxes,
//! downloads, open connections). Everything that came from a user (subjects, bodies) is
//! rendered as text nodes, never as HTML.

use crate::inspector::MessageInspector;
use crate::state::Info;
use crate::states::StateDiagram;
use mailsim_sim::diagram::{self, carried_message, envelope, raw_view, tls_record, Diagram, RawView};
use mailsim_sim::log::Event;
use mailsim_sim::proto::message::header;
use mailsim_sim::EventLog;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DetailsProps {
    pub log: Rc<EventLog>,
    pub diagram: Rc<Diagram>,
    pub step: usize,
    pub info: Rc<Info>,
    pub decrypted: bool,
}

/// A line of visible bytes: the control-character glyphs get their own style.
fn raw_line(line: &str) -> Html {
    let mut parts: Vec<Html> = Vec::new();
    let mut text = String::new();
    for c in line.chars() {
        if matches!(c, '␍' | '␊' | '⇥') {
            if !text.is_empty() {
                parts.push(html! { { std::mem::take(&mut text) } });
            }
            let title = match c {
                '␍' => "CR, byte 0x0D",
                '␊' => "LF, byte 0x0A",
                _ => "TAB, byte 0x09",
            };
            // Shown as the escapes \r \n \t, which every font has.
            let shown = match c {
                '␍' => "\\r",
                '␊' => "\\n",
                _ => "\\t",
            };
            parts.push(html! { <span class="ctl" title={title}>{ shown }</span> });
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        parts.push(html! { { text } });
    }
    html! { <span class="raw-line">{ for parts }{"\n"}</span> }
}

#[function_component(Details)]
pub fn details(props: &DetailsProps) -> Html {
    let d = &props.diagram;
    let name =
        |id: &str| d.actors.iter().find(|a| a.id == id).map(|a| a.name.clone()).unwrap_or_else(|| id.to_string());
    if props.step == 0 {
        let narration = props
            .log
            .events
            .iter()
            .take(d.events_at_step(0))
            .filter_map(|e| if let Event::Narrated { text, .. } = e { Some(text.clone()) } else { None })
            .next_back();
        return html! {
            <section id="details" class="panel details" aria-label="Details">
                <h2>{ props.info.title.clone() }</h2>
                <p class="description">{ props.info.description.clone() }</p>
                { for narration.map(|n| html! { <p class="narration">{ n }</p> }) }
                <p class="hint">{"Press "}<kbd>{"→"}</kbd>{" or "}<strong>{"Next"}</strong>{" to see the first message, "}<kbd>{"space"}</kbd>{" to play."}</p>
            </section>
        };
    }
    let arrow = &d.arrows[props.step - 1];
    let Event::MessageSent {
        t_sent,
        t,
        from,
        to,
        protocol,
        port,
        raw,
        meaning,
        rfc,
        from_state,
        to_state,
        conn,
        tls,
        ..
    } = &props.log.events[arrow.event]
    else {
        return html! {};
    };
    // The story so far: the last narration before this message.
    let narration = props.log.events[..arrow.event].iter().rev().find_map(|e| {
        if let Event::Narrated { text, .. } = e {
            Some(text.clone())
        } else {
            None
        }
    });
    let snap = diagram::snapshot(&props.log, arrow.event, d.events_at_step(props.step));
    let transport = if conn.is_some() { "TCP" } else { "UDP" };
    let hidden = *tls && !props.decrypted;
    let wire = if hidden { tls_record(raw, conn.unwrap_or(0), props.step) } else { raw.clone() };
    let raw_html = if hidden {
        html! {
            <>
                <figcaption>{ format!("Bytes on the wire: {} bytes of TLS, what anyone on the network sees: an application-data record (17 03 03, then the length) of ciphertext. Tick \"show decrypted\" to see the {} inside.", wire.len(), protocol) }</figcaption>
                <pre id="raw" class="raw hex">{ match raw_view(&wire) { RawView::Hex(l) | RawView::Text(l) => l.join("\n") } }</pre>
            </>
        }
    } else {
        match raw_view(&wire) {
            RawView::Text(lines) => html! {
                <>
                    <figcaption>{ format!("Bytes on the wire: {} bytes. ", raw.len()) }<span class="ctl">{"\\r\\n"}</span>{" marks the two bytes CR LF that end every line."}</figcaption>
                    <pre id="raw" class="raw">{ for lines.iter().map(|l| raw_line(l)) }</pre>
                </>
            },
            RawView::Hex(lines) => html! {
                <>
                    <figcaption>{ format!("Bytes on the wire: {} bytes, binary ({}), shown in hex.", raw.len(), match protocol.as_str() {
                        "DNS" => "a DNS message in RFC 1035 format",
                        "TCP" => "a TCP header: ports, sequence number, flags, window, checksum",
                        _ => "not text",
                    }) }</figcaption>
                    <pre id="raw" class="raw hex">{ lines.join("\n") }</pre>
                </>
            },
        }
    };
    html! {
        <section id="details" class="panel details" aria-label="Details of the current message">
            { for narration.map(|n| html! { <p class="narration">{ n }</p> }) }
            <h2>{ format!("Step {}: {} → {}", props.step, name(from), name(to)) }</h2>
            <p class="meta">
                <span class={classes!("badge", protocol.to_ascii_lowercase())}>{ protocol.clone() }</span>
                if *tls { {" "}<span class="badge tls" title="Sent inside TLS">{"TLS"}</span> }
                { format!(" {transport} port {port} · sent at {} · arrived at {}", diagram::format_time(*t_sent), diagram::format_time(*t)) }
            </p>
            <p id="meaning" class="meaning">{ if *tls { format!("Inside TLS: {meaning}") } else { meaning.clone() } }</p>
            <p class="rfc">{"Defined in "}<cite>{ rfc.clone() }</cite></p>
            <figure class="bytes">{ raw_html }</figure>
            { for (!hidden).then(|| carried_message(protocol, &arrow.label, raw)).flatten().zip(envelope(&props.log, arrow.event)).map(|(m, (from, rcpts))| html! {
                <table id="envelope" class="envelope">
                    <caption>{"Envelope and header: SMTP delivers to the envelope"}</caption>
                    <tr><th></th><th scope="col">{"Envelope (SMTP commands)"}</th><th scope="col">{"Header (inside the message)"}</th></tr>
                    <tr><th scope="row">{"Sender"}</th><td>{ format!("MAIL FROM:<{from}>") }</td><td>{ format!("From: {}", header(&m, "From").unwrap_or_default()) }</td></tr>
                    <tr><th scope="row">{"Recipients"}</th>
                        <td>{ rcpts.iter().map(|r| format!("RCPT TO:<{r}>")).collect::<Vec<_>>().join("\n") }</td>
                        <td>{ ["To", "Cc", "Bcc"].iter().filter_map(|h| header(&m, h).map(|v| format!("{h}: {v}"))).collect::<Vec<_>>().join("\n") }</td></tr>
                </table>
            }) }
            { for (!hidden).then(|| carried_message(protocol, &arrow.label, raw)).flatten().map(|m| html! {
                <details class="carried" open=true>
                    <summary>{"The message inside: header fields and MIME parts"}</summary>
                    <MessageInspector raw={Rc::new(m)} />
                </details>
            }) }
            <table id="states" class="states">
                <caption>{"Protocol state after this message"}</caption>
                <tr><th scope="row">{ name(from) }<small>{" (sender)"}</small></th><td>{ from_state.clone() }</td></tr>
                <tr><th scope="row">{ name(to) }<small>{" (receiver)"}</small></th><td>{ to_state.clone() }</td></tr>
            </table>
            <StateDiagram protocol={protocol.clone()} states={(from_state.clone(), to_state.clone())} />
            if !snap.happenings.is_empty() {
                <div class="happenings">
                    <h3>{"Meanwhile"}</h3>
                    <ul>{ for snap.happenings.iter().map(|h| html! { <li>{ h.clone() }</li> }) }</ul>
                </div>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct WorldProps {
    pub log: Rc<EventLog>,
    pub diagram: Rc<Diagram>,
    pub step: usize,
}

#[function_component(WorldPanel)]
pub fn world_panel(props: &WorldProps) -> Html {
    let d = &props.diagram;
    let name =
        |id: &str| d.actors.iter().find(|a| a.id == id).map(|a| a.name.clone()).unwrap_or_else(|| id.to_string());
    let snap = diagram::snapshot(&props.log, 0, d.events_at_step(props.step));
    html! {
        <section id="world" class="panel world" aria-label="Mailboxes and queues as of this step">
            <h2>{ format!("The world at step {}", props.step) }</h2>
            <div class="queues">
                { for snap.queues.iter().map(|q| html! {
                    <div class="box queue" data-server={q.server.clone()}>
                        <h3>{ format!("{}: outgoing queue", name(&q.server)) }</h3>
                        if q.entries.is_empty() { <p class="empty">{"empty"}</p> }
                        <ul>{ for q.entries.iter().map(|e| html! {
                            <li><code>{ e.id.clone() }</code>{ format!(" from <{}> to {} · {} bytes · ", e.mail_from, e.rcpt_to.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(", "), e.size) }<q>{ e.subject.clone() }</q>
                                <br /><small class="status">{ e.status.clone() }</small></li>
                        }) }</ul>
                    </div>
                }) }
            </div>
            <div class="mailboxes">
                { for snap.mailboxes.iter().map(|m| html! {
                    <div class="box mailbox" data-mailbox={m.address.clone()}>
                        <h3>{ format!("{}: mailbox of {}", name(&m.server), m.address) }</h3>
                        if m.messages.is_empty() { <p class="empty">{"empty"}</p> }
                        { for m.messages.iter().map(|msg| html! {
                            <details class="stored">
                                <summary>
                                    { format!("UID {} · ", msg.uid) }
                                    if !msg.flags.is_empty() { <code class="flags">{ format!("({})", msg.flags.join(" ")) }</code>{" · "} }
                                    { format!("{} · ", msg.from) }<q>{ msg.subject.clone() }</q>
                                </summary>
                                <MessageInspector raw={Rc::new(msg.raw.clone())} />
                            </details>
                        }) }
                    </div>
                }) }
                { for snap.inboxes.iter().map(|b| html! {
                    <div class="box inbox" data-agent={b.agent.clone()}>
                        <h3>{ format!("{}: downloaded messages", name(&b.agent)) }</h3>
                        if b.messages.is_empty() { <p class="empty">{"none yet"}</p> }
                        <ul>{ for b.messages.iter().map(|(from, subject)| html! { <li>{ format!("{from} · ") }<q>{ subject.clone() }</q></li> }) }</ul>
                    </div>
                }) }
            </div>
            <div class="box connections">
                <h3>{"Open TCP connections"}</h3>
                if snap.connections.is_empty() { <p class="empty">{"none"}</p> }
                <ul>{ for snap.connections.iter().map(|c| html! {
                    <li>{ format!("{} :{} → {} :{} ({})", name(&c.client), c.client_port, name(&c.server), c.port, c.protocol) }</li>
                }) }</ul>
            </div>
        </section>
    }
}
