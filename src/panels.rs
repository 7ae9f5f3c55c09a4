//! The panels beside the diagram: what the current message is (bytes, meaning, RFC,
//! states of both ends) and what the world holds as of this step (queues, mailboxes,
//! downloads, open connections). Everything that came from a user (subjects, bodies) is
//! rendered as text nodes, never as HTML.

use crate::growing::Src;
use crate::inspector::MessageInspector;
use crate::state::Info;
use crate::states::StateDiagram;
use mailsim_sim::diagram::{self, carried_message, envelope, raw_view, tls_record, Diagram, RawView, Snapshots};
use mailsim_sim::log::Event;
use mailsim_sim::proto::message::header;
use mailsim_sim::EventLog;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

thread_local! {
    /// The checkpoints of the log last shown (both panels ask for the same log).
    static SNAPSHOTS: std::cell::RefCell<Option<(Src<EventLog>, Rc<Snapshots>)>> = const { std::cell::RefCell::new(None) };
}

/// The world checkpoints of `log`. A growing log's are made at once and extended by what it
/// gained; a log made once (a scenario's run, an opened file) is folded only as far as it is
/// shown (at least to event `upto`, in steps of [`AHEAD`] events): opening a long log does
/// not wait for its whole world. The world at a step is then a copy of the checkpoint before
/// it and a few events, however long the log.
fn snapshots_to(src: &Src<EventLog>, log: &EventLog, upto: usize) -> Rc<Snapshots> {
    SNAPSHOTS.with(|c| {
        let mut c = c.borrow_mut();
        let growing = matches!(src, Src::Growing { .. });
        let s = match &mut *c {
            Some((l, s)) if l.same(src) => {
                *l = src.clone();
                s
            }
            _ => {
                let s = if growing { Snapshots::new(log) } else { Snapshots::empty(128) };
                &mut c.insert((src.clone(), Rc::new(s))).1
            }
        };
        if growing && s.len() != log.events.len() {
            Rc::make_mut(s).extend(log);
        }
        if s.len() < upto.min(log.events.len()) {
            Rc::make_mut(s).extend_to(log, upto.next_multiple_of(AHEAD));
        }
        s.clone()
    })
}

/// Events folded at a time when a step needs more of the world.
const AHEAD: usize = 512;

/// The checkpoints as far as they are made ([`snapshots_to`]); a world asked of them beyond is
/// folded from the last checkpoint (the details panel, drawn first, asks for its step).
fn snapshots(src: &Src<EventLog>, log: &EventLog) -> Rc<Snapshots> {
    snapshots_to(src, log, 0)
}

/// A world panel lists at most this many boxes of a kind (a class has hundreds); the ones
/// the current message touches first.
const BOXES: usize = 8;

#[derive(Properties, PartialEq)]
pub struct DetailsProps {
    pub log: Src<EventLog>,
    pub diagram: Src<Diagram>,
    pub step: usize,
    pub info: Rc<Info>,
    pub decrypted: bool,
    /// An activity's open question closes the future at this step: the protocol states after
    /// the message are held back, since a receiver's state is taken after it has reacted (a
    /// client that got 250 for MAIL is already "sent RCPT TO"), which would answer it; and at
    /// step 0 no "press Next" hint is given.
    #[prop_or_default]
    pub states_hidden: bool,
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
    let (d, log) = (&*props.diagram.get(), &*props.log.get());
    let name =
        |id: &str| d.actors.iter().find(|a| a.id == id).map(|a| a.name.clone()).unwrap_or_else(|| id.to_string());
    if props.step == 0 {
        let narration = log
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
                // Not while an activity holds the stepping here: Next is disabled (qa8 P3).
                if !props.states_hidden {
                    <p class="hint">{"Press "}<kbd>{"→"}</kbd>{" or "}<strong>{"Next"}</strong>{" to see the first message, "}<kbd>{"space"}</kbd>{" to play."}</p>
                }
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
    } = &log.events[arrow.event]
    else {
        return html! {};
    };
    // The story so far: the last narration before this message.
    let snaps = snapshots_to(&props.log, log, d.events_at_step(props.step));
    let narration = snaps.narration_before(arrow.event).and_then(|i| match &log.events[i] {
        Event::Narrated { text, .. } => Some(text.clone()),
        _ => None,
    });
    let snap = snaps.at(log, arrow.event, d.events_at_step(props.step));
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
            { for (!hidden).then(|| carried_message(protocol, &arrow.label, raw)).flatten().zip(envelope(log, arrow.event)).map(|(m, (from, rcpts))| html! {
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
            if props.states_hidden {
                <p id="states-hidden" class="states-hidden">
                    {"Protocol states after this message: shown once you have answered (they tell what comes next)."}
                </p>
            } else {
                <table id="states" class="states">
                    <caption>{"Protocol state after this message"}</caption>
                    <tr><th scope="row">{ name(from) }<small>{" (sender)"}</small></th><td>{ shown_state(from, from_state) }</td></tr>
                    <tr><th scope="row">{ name(to) }<small>{" (receiver)"}</small></th><td>{ shown_state(to, to_state) }</td></tr>
                </table>
                <StateDiagram protocol={protocol.clone()} states={(from_state.clone(), to_state.clone())} />
            }
            if !snap.happenings.is_empty() {
                <div class="happenings">
                    <h3>{"Meanwhile"}</h3>
                    <ul>{ for snap.happenings.iter().map(|h| html! { <li>{ h.clone() }</li> }) }</ul>
                </div>
            }
        </section>
    }
}

/// Whether actor `id` is a client connection that `mailsim serve` logged (`client-N`): a real
/// mail program, whose downloads the server does not see (it logs no `message_downloaded`).
fn served_client(id: &str) -> bool {
    id.strip_prefix("client-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What the states table says of actor `id`'s state: a real client of `mailsim serve` keeps
/// its state to itself (QA F9: the log's placeholder `client` is no state).
fn shown_state(id: &str, state: &str) -> String {
    if served_client(id) {
        REAL_CLIENT_STATE.to_string()
    } else {
        state.to_string()
    }
}

const REAL_CLIENT_STATE: &str = "a real client: its state is not known to the server";

/// A connection's client end: its name and port, once (a `mailsim serve` client's name is
/// already `client :PORT`).
fn client_end(name: &str, port: u16) -> String {
    if name.ends_with(&format!(":{port}")) {
        name.to_string()
    } else {
        format!("{name} :{port}")
    }
}

#[derive(Properties, PartialEq)]
pub struct WorldProps {
    pub log: Src<EventLog>,
    pub diagram: Src<Diagram>,
    pub step: usize,
    /// Shown first (the live view's students).
    #[prop_or_default]
    pub children: Html,
}

#[function_component(WorldPanel)]
pub fn world_panel(props: &WorldProps) -> Html {
    let (d, log) = (&*props.diagram.get(), &*props.log.get());
    let name =
        |id: &str| d.actors.iter().find(|a| a.id == id).map(|a| a.name.clone()).unwrap_or_else(|| id.to_string());
    let snap = snapshots(&props.log, log).at(log, 0, d.events_at_step(props.step));
    // The ends of the current message come first when there are more boxes than are shown.
    let ends: Vec<&str> = props
        .step
        .checked_sub(1)
        .and_then(|s| d.arrows.get(s))
        .map(|a| [a.from, a.to].iter().filter_map(|&i| d.actors.get(i)).map(|x| x.id.as_str()).collect())
        .unwrap_or_default();
    let pick = |ids: Vec<(&str, bool)>| -> (Vec<usize>, usize) {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        if ids.len() > BOXES {
            order.sort_by_key(|&i| (!ends.contains(&ids[i].0), ids[i].1));
        }
        let more = order.len().saturating_sub(BOXES);
        order.truncate(BOXES);
        order.sort_unstable();
        (order, more)
    };
    let (queues, more_queues) = pick(snap.queues.iter().map(|q| (q.server.as_str(), q.entries.is_empty())).collect());
    let (mailboxes, more_mailboxes) =
        pick(snap.mailboxes.iter().map(|m| (m.server.as_str(), m.messages.is_empty())).collect());
    // A real client of `mailsim serve` has no box: what it downloaded is known only to it.
    let agents: Vec<&diagram::InboxView> = snap.inboxes.iter().filter(|b| !served_client(&b.agent)).collect();
    let (inboxes, more_inboxes) = pick(agents.iter().map(|b| (b.agent.as_str(), b.messages.is_empty())).collect());
    let more = |n: usize, what: &str| -> Html {
        if n == 0 {
            html! {}
        } else {
            html! { <p class="more">{ format!("and {n} more {what}, not involved in this step") }</p> }
        }
    };
    html! {
        <section id="world" class="panel world" aria-label="Mailboxes and queues as of this step">
            <h2>{ format!("The world at step {}", props.step) }</h2>
            { props.children.clone() }
            <div class="queues">
                { for queues.iter().map(|&i| &snap.queues[i]).map(|q| html! {
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
                { more(more_queues, "queues") }
                { for mailboxes.iter().map(|&i| &snap.mailboxes[i]).map(|m| html! {
                    <div class="box mailbox" data-mailbox={m.address.clone()}>
                        <h3>{ format!("{}: mailbox of {}", name(&m.server), m.address) }</h3>
                        if m.messages.is_empty() { <p class="empty">{"empty"}</p> }
                        if m.messages.len() > BOXES { <p class="more">{ format!("{} earlier messages, then:", m.messages.len() - BOXES) }</p> }
                        { for m.messages[m.messages.len().saturating_sub(BOXES)..].iter().map(|msg| html! {
                            <Stored uid={msg.uid} flags={msg.flags.join(" ")} from={msg.from.clone()} subject={msg.subject.clone()} raw={msg.raw.clone()} />
                        }) }
                    </div>
                }) }
                { more(more_mailboxes, "mailboxes") }
                { for inboxes.iter().map(|&i| agents[i]).map(|b| html! {
                    <div class="box inbox" data-agent={b.agent.clone()}>
                        <h3>{ format!("{}: downloaded messages", name(&b.agent)) }</h3>
                        if b.messages.is_empty() { <p class="empty">{"none yet"}</p> }
                        <ul>{ for b.messages.iter().map(|(from, subject)| html! { <li>if !from.trim().is_empty() { { format!("{from} · ") } }<q>{ subject.clone() }</q></li> }) }</ul>
                    </div>
                }) }
                { more(more_inboxes, "user agents") }
            </div>
            <div class="box connections">
                <h3>{"Open TCP connections"}</h3>
                if snap.connections.is_empty() { <p class="empty">{"none"}</p> }
                if snap.connections.len() > 2 * BOXES { <p class="more">{ format!("{} open; the last {}:", snap.connections.len(), 2 * BOXES) }</p> }
                <ul>{ for snap.connections[snap.connections.len().saturating_sub(2 * BOXES)..].iter().map(|c| html! {
                    <li>{ format!("{} → {} :{} ({})", client_end(&name(&c.client), c.client_port), name(&c.server), c.port, c.protocol) }</li>
                }) }</ul>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct StoredProps {
    uid: u32,
    /// Space-separated, as IMAP writes them.
    flags: String,
    from: String,
    subject: String,
    raw: Rc<Vec<u8>>,
}

/// A stored message: one line, taken apart only when opened (a closed one costs no more).
#[function_component(Stored)]
fn stored(p: &StoredProps) -> Html {
    let open = use_state_eq(|| false);
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: yew::Event| {
            if let Some(d) = e.target_dyn_into::<web_sys::HtmlDetailsElement>() {
                open.set(d.open());
            }
        })
    };
    html! {
        <details class="stored" {ontoggle}>
            <summary>
                { format!("UID {} · ", p.uid) }
                if !p.flags.is_empty() { <code class="flags">{ format!("({})", p.flags) }</code>{" · "} }
                if !p.from.trim().is_empty() { { format!("{} · ", p.from) } }<q>{ p.subject.clone() }</q>
            </summary>
            if *open { <MessageInspector raw={p.raw.clone()} /> }
        </details>
    }
}

/// At most this wide, the panels are tabs beside the diagram rather than a column beside it (a
/// phone): 600 CSS pixels at the browser's usual 16 px text, in `em` as www/style.css's media
/// queries, so that a larger text size (the browser's setting) narrows the page as it does
/// the CSS (at 32 px text a window up to 1,200 px wide).
const NARROW: &str = "(max-width: 37.5em)";

/// Whether the window is narrow enough for [`Tabs`]; follows resizes.
#[hook]
pub fn use_narrow() -> bool {
    let narrow_now = || {
        web_sys::window().and_then(|w| w.match_media(NARROW).ok().flatten()).is_some_and(|m| m.matches())
    };
    let narrow = use_state_eq(narrow_now);
    {
        let narrow = narrow.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .map(|w| gloo_events::EventListener::new(&w, "resize", move |_| narrow.set(narrow_now())));
            move || drop(listener)
        });
    }
    *narrow
}

/// The chosen one of the [`Tabs`] (the diagram at first), and the callback that chooses one.
#[hook]
pub fn use_tab() -> (UseStateHandle<&'static str>, Callback<&'static str>) {
    let tab = use_state_eq(|| "diagram");
    let on_tab = {
        let tab = tab.clone();
        Callback::from(move |t: &'static str| {
            tab.set(t);
            // A diagram shown again measures its pane.
            if let Some(w) = web_sys::window() {
                let _ = web_sys::Event::new("resize").map(|e| w.dispatch_event(&e));
            }
        })
    };
    (tab, on_tab)
}

/// Panel `id` (`#panel-ID`), one of the [`Tabs`] when the screen is narrow: then a tab
/// panel, hidden unless it is the `current` one; else it takes no box of its own.
pub fn tab_panel(narrow: bool, current: &str, id: &'static str, content: Html) -> Html {
    html! {
        <div id={format!("panel-{id}")} class="tab-panel" role={narrow.then_some("tabpanel")}
            aria-labelledby={narrow.then(|| format!("tab-{id}"))} hidden={narrow && current != id}>
            { content }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// (id, label): the panel of tab `id` is labelled by the button `#tab-ID`.
    pub tabs: Vec<(&'static str, &'static str)>,
    pub current: &'static str,
    pub on_pick: Callback<&'static str>,
}

/// The phone's tabs: one panel at a time (the diagram, the details, ...). A tab list as the
/// ARIA practices describe it: ← and → (Home, End) move between tabs, only the chosen one is
/// in the tab order.
#[function_component(Tabs)]
pub fn tabs(p: &TabsProps) -> Html {
    let onkeydown = {
        let (tabs, current, on_pick) = (p.tabs.clone(), p.current, p.on_pick.clone());
        Callback::from(move |e: KeyboardEvent| {
            let i = tabs.iter().position(|t| t.0 == current).unwrap_or(0);
            let n = tabs.len();
            let j = match e.key().as_str() {
                "ArrowRight" => (i + 1) % n,
                "ArrowLeft" => (i + n - 1) % n,
                "Home" => 0,
                "End" => n - 1,
                _ => return,
            };
            e.prevent_default();
            e.stop_propagation();
            on_pick.emit(tabs[j].0);
            let tab = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("tab-{}", tabs[j].0)));
            if let Some(t) = tab.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = t.focus();
            }
        })
    };
    html! {
        <div class="tabs-bar" role="tablist" aria-label="Panels" {onkeydown}>
            { for p.tabs.iter().map(|&(id, label)| {
                let on_pick = p.on_pick.clone();
                let chosen = id == p.current;
                html! {
                    <button id={format!("tab-{id}")} class="tab" role="tab" aria-selected={chosen.to_string()}
                        aria-controls={format!("panel-{id}")} tabindex={if chosen { "0" } else { "-1" }}
                        onclick={Callback::from(move |_: MouseEvent| on_pick.emit(id))}>{ label }</button>
                }
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// QA F9: a real client's state is not known (the log's `client` is a placeholder); a
    /// simulated client's and the server's states are shown as logged.
    #[test]
    fn a_real_clients_state_is_not_made_up() {
        assert_eq!(shown_state("client-7", "client"), REAL_CLIENT_STATE);
        assert_eq!(shown_state("server", "AUTHENTICATED"), "AUTHENTICATED");
        assert_eq!(shown_state("alice-ua", "TRANSACTION"), "TRANSACTION");
        assert_eq!(shown_state("client-x", "READY"), "READY", "not a serve connection");
    }
}
