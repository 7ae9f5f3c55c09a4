//! The live view: controls, filters, the diagram of the whole history and the panels.
//!
//! The stream's callbacks ask for an animation frame; in it, what arrived is read into the
//! records ([`Received`], at most [`stream::PER_FRAME`] a frame, more in a late frame:
//! [`stream::per_frame`]), and one render appends it to
//! the view ([`Shown`]). While records keep coming the view is drawn at most every
//! [`DRAW_EVERY_MS`] (each draw costs the browser a style and layout pass whatever it adds),
//! and a record after a quiet spell is drawn in the next frame. No more work per record than
//! its own, however many came before.

use super::model::{Filter, Received, Shown};
use super::stream::{self, Shared, Status};
use super::students::Students;
use super::Access;
use crate::diagram::{SequenceDiagram, ViewOptions};
use crate::growing::Src;
use crate::panels::{tab_panel, use_narrow, use_tab, Details, Tabs, WorldPanel};
use crate::state::Info;
use crate::transcript::Transcript;
use gloo_events::{EventListener, EventListenerOptions};
use mailsim_sim::diagram::Diagram;
use mailsim_sim::EventLog;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// While records keep arriving, the view is drawn at most this often (what arrives is read in
/// every frame); a record after a quiet spell is drawn in the frame after it arrives.
const DRAW_EVERY_MS: f64 = 100.0;

/// While following, the panels (Details, World) show a new step at most this often: each step
/// rebuilds them (the bytes, the states, the boxes), and a burst brings a new step every draw;
/// paused, at once. The diagram, the position and the transcript (a window of lines, each new
/// one appended: `crate::transcript`) follow every draw.
const PANELS_EVERY_MS: f64 = 400.0;

/// A filter menu: everything, or one of `items`.
fn choice(id: &'static str, all: &'static str, items: &[String], chosen: &str, onchange: Callback<Event>) -> Html {
    html! {
        <select id={id} onchange={onchange} aria-label={all} title={chosen.to_string()}>
            // Keyed, all of them (`html!` splices the options below in with this one, and a list
            // with one child unkeyed is matched by place from its end): a login adds its option
            // where it sorts, not a new option or text at every place after it. No login is "".
            <option key="" value="" selected={chosen.is_empty()}>{ all }</option>
            { for items.iter().map(|u| html! { <option key={u.as_str()} value={u.clone()} selected={chosen == u}>{ u.clone() }</option> }) }
        </select>
    }
}

/// What the live view says when the filters let no connection through.
fn no_match(f: &Filter) -> String {
    let mut what = vec![];
    if !f.user.is_empty() {
        what.push(format!("of the user {}", f.user));
    }
    if !f.protocol.is_empty() {
        what.push(format!("over {}", f.protocol));
    }
    if !f.address.trim().is_empty() {
        what.push(format!("whose address or login contains \"{}\"", f.address.trim()));
    }
    let world =
        if f.user.is_empty() { " The filters hide arrows, not mail: the World panel shows every mailbox." } else { "" };
    format!("No connection matches: none {} yet.{world}", what.join(", "))
}

/// What the panels were last given ([`PANELS_EVERY_MS`]).
#[derive(Default)]
struct Held {
    /// The log, the diagram, the step and the number of messages.
    shown: Option<(Src<EventLog>, Src<Diagram>, usize, usize)>,
    /// When it last showed another step.
    at: f64,
    /// A timer will draw the view again.
    waiting: bool,
}

#[derive(Properties, PartialEq)]
pub struct ViewProps {
    pub access: Access,
    pub on_access: Callback<Access>,
}

/// What a step control does: (step, len) → the paused step, or `None` to follow.
type Move = fn(usize, usize) -> Option<usize>;
const FIRST: Move = |_, n| Some(n.min(1));
const BACK: Move = |s, _| Some(s.saturating_sub(1));
const NEXT: Move = |s, n| Some((s + 1).min(n));
const LIVE: Move = |_, _| None;
const PAUSE: Move = |s, _| Some(s);

#[function_component(LiveView)]
pub fn live_view(props: &ViewProps) -> Html {
    let received = use_mut_ref(Received::default);
    let shown = use_mut_ref(Shown::default);
    let shared: Rc<RefCell<Shared>> = use_mut_ref(Shared::default);
    // Bumped once per animation frame in which something arrived.
    let tick = use_state(|| 0u64);
    let status = use_state(|| Status::Connecting);
    let paused = use_state(|| None::<usize>);
    let filter = use_state(Filter::default);
    let view_opts = use_state(|| ViewOptions { zoom: 100, by_name: true, ..ViewOptions::default() });
    let note = use_state(String::new);
    // What is inside TLS (the server terminates it and logs it, credentials redacted): on,
    // since that is what a lecture shows; off shows what the network sees.
    let decrypted = use_state(|| true);
    let held = use_mut_ref(Held::default);
    let refresh = use_force_update();

    // The stream, for as long as the view is open; what it delivers is taken in once a frame.
    {
        let (shared, received, tick, status) = (shared.clone(), received.clone(), tick.clone(), status.clone());
        let (on_access, student) = (props.on_access.clone(), matches!(props.access, Access::Student { .. }));
        use_effect_with(props.access.query(), move |query| {
            let pending = Rc::new(Cell::new(false));
            let frame = {
                let shared = shared.clone();
                let (frames, last) = (Cell::new(0u64), Cell::new(Status::Connecting));
                // When the view was last drawn, and whether what arrived since is not yet; when
                // a frame last read records.
                let (drawn, dirty, read) = (Cell::new(f64::NEG_INFINITY), Cell::new(false), Cell::new(0.0));
                move || {
                    let t = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
                    let most = stream::per_frame(t - read.replace(t));
                    let (changed, now, more) = stream::drain(&shared, &mut received.borrow_mut(), most);
                    dirty.set(dirty.get() || changed);
                    if dirty.get() && t - drawn.get() >= DRAW_EVERY_MS {
                        drawn.set(t);
                        dirty.set(false);
                        frames.set(frames.get() + 1);
                        tick.set(frames.get());
                    }
                    if dirty.get() || more {
                        // A burst: read now (what is left in the next frame), drawn later.
                        let wake = shared.borrow().wake.clone();
                        if let Some(w) = wake {
                            w();
                        }
                    }
                    if now != last.replace(now) {
                        if student && now == Status::Refused {
                            // The session is gone (the server restarted): log in again.
                            on_access.emit(Access::LoggedOut);
                        }
                        status.set(now);
                    }
                }
            };
            let frame = Rc::new(frame);
            shared.borrow_mut().wake = Some(Rc::new(move || {
                if pending.replace(true) {
                    return;
                }
                let (pending, frame) = (pending.clone(), frame.clone());
                crate::growing::next_frame(Box::new(move || {
                    pending.set(false);
                    frame();
                }));
            }));
            stream::connect(&shared, query, 0);
            let shared = shared.clone();
            move || stream::close(&shared)
        });
    }

    // Append what arrived (or make the view again for a new filter).
    let (src_log, src_diagram, len) = {
        let mut s = shown.borrow_mut();
        s.update(&mut received.borrow_mut(), &filter);
        let (version, generation) = (s.version, s.generation);
        let log = Src::Growing { cell: s.log.clone(), version, generation };
        let diagram = Src::Growing { cell: s.diagram.clone(), version, generation };
        let len = s.diagram.borrow().arrows.len();
        (log, diagram, len)
    };
    let step = paused.map_or(len, |s| s.min(len));
    // What the panels show: while following, what they showed last until the interval is over
    // (then the step now; a timer draws it if nothing else does).
    let (p_log, p_diagram, p_step, _) = {
        let t = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
        let mut h = held.borrow_mut();
        let same = h.shown.as_ref().is_some_and(|(l, _, _, n)| l.same(&src_log) && *n <= len);
        // Anything new: a step, or events that are not messages (a connection closed).
        let moved = h.shown.as_ref().is_none_or(|(l, _, s, n)| *l != src_log || (*s, *n) != (step, len));
        if paused.is_some() || !same || t - h.at >= PANELS_EVERY_MS {
            h.shown = Some((src_log.clone(), src_diagram.clone(), step, len));
            // Back to live shows the newest step at once.
            if paused.is_some() {
                h.at = f64::NEG_INFINITY;
            } else if moved {
                h.at = t;
            }
        } else if moved && !h.waiting {
            h.waiting = true;
            let (held, force) = (held.clone(), refresh.clone());
            gloo_timers::callback::Timeout::new((h.at + PANELS_EVERY_MS - t).max(0.0) as u32 + 1, move || {
                held.borrow_mut().waiting = false;
                force.force_update();
            })
            .forget();
        }
        h.shown.clone().unwrap_or((src_log.clone(), src_diagram.clone(), step, len))
    };
    let r = received.borrow();
    let (users, protocols, missed, duplicates) = (r.users.clone(), r.protocols.clone(), r.missed, r.duplicates);
    let server_note = r.note.clone();
    drop(r);

    // Keyboard: ← → step, Home the first message, End back to live (not in the filter fields).
    let position = use_mut_ref(|| (0, 0));
    *position.borrow_mut() = (step, len);
    {
        let paused = paused.clone();
        use_effect_with((), move |_| {
            let document = web_sys::window().and_then(|w| w.document());
            let listener = document.map(|d| {
                EventListener::new_with_options(
                    &d,
                    "keydown",
                    EventListenerOptions::enable_prevent_default(),
                    move |e| {
                        let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                        let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                        let tag = target.as_ref().map(|el| el.tag_name());
                        // The phone's tab list uses the arrows itself.
                        let tab = target.and_then(|el| el.get_attribute("role")).is_some_and(|r| r == "tab");
                        if e.ctrl_key()
                            || e.meta_key()
                            || e.alt_key()
                            || tab
                            || matches!(tag.as_deref(), Some("INPUT" | "SELECT"))
                        {
                            return;
                        }
                        let m = match e.key().as_str() {
                            "ArrowLeft" => BACK,
                            "ArrowRight" => NEXT,
                            "Home" => FIRST,
                            "End" => LIVE,
                            _ => return,
                        };
                        e.prevent_default();
                        let (step, len) = *position.borrow();
                        paused.set(m(step, len));
                    },
                )
            });
            move || drop(listener)
        });
    }
    let go = |m: Move| {
        let paused = paused.clone();
        Callback::from(move |_: MouseEvent| paused.set(m(step, len)))
    };
    let on_select = {
        let paused = paused.clone();
        Callback::from(move |s: usize| paused.set(Some(s)))
    };
    let on_toggle_conn = {
        let view_opts = view_opts.clone();
        Callback::from(move |c: u32| {
            let mut v = (*view_opts).clone();
            if let Some(i) = v.collapsed.iter().position(|x| *x == c) {
                v.collapsed.remove(i);
            } else {
                v.collapsed.push(c);
            }
            view_opts.set(v);
        })
    };
    let on_filter = |set: fn(&mut Filter, String)| {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target()
                .and_then(|t| {
                    t.dyn_ref::<web_sys::HtmlSelectElement>()
                        .map(|s| s.value())
                        .or_else(|| t.dyn_ref::<web_sys::HtmlInputElement>().map(|i| i.value()))
                })
                .unwrap_or_default();
            let mut f = (*filter).clone();
            set(&mut f, value);
            filter.set(f);
        })
    };
    let on_save = {
        let (shown, note) = (shown.clone(), note.clone());
        Callback::from(move |_: MouseEvent| {
            let s = shown.borrow();
            let log = s.log.borrow();
            crate::app::download("mailsim-live.jsonl", "application/json", &log.to_jsonl());
            note.set(format!(
                "Saved mailsim-live.jsonl ({} events): Open… in the playground plays it",
                log.events.len()
            ));
        })
    };
    let info = Rc::new(Info {
        id: "live".into(),
        title: "Live: mailsim serve".into(),
        summary: "What real clients say to mailsim serve, as it happens".into(),
        description: "Every arrow is a message that a real client (telnet, a mail program, your own code) or the server sent, drawn as it happened. Each student has one lifeline, named by their login once it succeeds, else by their address.".into(),
    });
    let (who, logout) = match &props.access {
        Access::Instructor(_) => ("Instructor view: every connection".to_string(), None),
        Access::Student { user, .. } => (format!("Logged in as {user}: your sessions"), Some(user.clone())),
        Access::LoggedOut => (String::new(), None),
    };
    let (status_text, status_class) = match (&*status, paused.is_some()) {
        (Status::Refused, _) => ("refused: wrong or expired token", "refused"),
        (Status::Reconnecting, _) => ("reconnecting…", "reconnecting"),
        (Status::Connecting, _) => ("connecting…", "reconnecting"),
        (Status::Open, true) => ("paused", "paused"),
        (Status::Open, false) => ("live", "on"),
    };
    // A phone: the diagram and each panel are tabs.
    let narrow = use_narrow();
    let (tab, on_tab) = use_tab();
    html! {
        <div class={classes!("app", "live", narrow.then_some("tabbed"))}>
            <header class="top">
                <h1><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim live"}</h1>
                <span id="live-status" class={classes!("live-status", status_class)} role="status">{ status_text }</span>
                <p id="live-who" class="tagline">{ who }</p>
                if logout.is_some() {
                    <button id="live-logout" onclick={ { let a = props.on_access.clone(); Callback::from(move |_| a.emit(Access::LoggedOut)) } }>{"Log out"}</button>
                }
                <a class="nav-link" href="#/scenario/alice-to-bob">{"Playground"}</a>
            </header>
            <div class="bar">
                <nav class="controls" aria-label="Live controls">
                    <button id="live-toggle" class="primary" onclick={ if paused.is_some() { go(LIVE) } else { go(PAUSE) } } title="Pause, or follow what happens again (End)">
                        { if paused.is_some() { "Back to live" } else { "Pause" } }
                    </button>
                    <button id="live-first" onclick={go(FIRST)} disabled={step <= 1} title="The first message (Home)">{"First"}</button>
                    <button id="prev" onclick={go(BACK)} disabled={step == 0} title="Step back (←)">{"Back"}</button>
                    <button id="next" onclick={go(NEXT)} disabled={step >= len} title="Step forward (→)">{"Next"}</button>
                    <span id="position" class="position" aria-live="off">{ format!("step {step} of {len}") }</span>
                    { choice("live-user", "All users", &users, &filter.user, on_filter(|f, v| f.user = v)) }
                    { choice("live-protocol", "All protocols", &protocols, &filter.protocol, on_filter(|f, v| f.protocol = v)) }
                    <input id="live-address" type="search" placeholder="Client address or login…" aria-label="Show the connections whose client address or login contains this" onchange={on_filter(|f, v| f.address = v)} />
                    <label class="toggle" title="What the clients and the server said inside TLS (mailsim serve terminates it; credentials stay redacted). Off: what anyone on the network sees.">
                        <input id="decrypted" type="checkbox" checked={*decrypted} onchange={ { let d = decrypted.clone(); Callback::from(move |_: Event| d.set(!*d)) } } />{" show decrypted"}</label>
                    <span class="tools">
                        <button id="live-save" onclick={on_save} title="Download what is shown as an event log (JSON lines); Open… in the playground plays it">{"Save as log"}</button>
                    </span>
                </nav>
                if narrow {
                    <Tabs tabs={vec![("diagram", "Diagram"), ("details", "Details"), ("world", "World"), ("transcript", "Transcript")]}
                        current={*tab} on_pick={on_tab} />
                }
            </div>
            if missed > 0 {
                <p id="live-missed" class="note" role="status">{ format!("This view fell behind the server's history: {missed} events were not received.") }</p>
            }
            if !server_note.is_empty() { <p id="live-server-note" class="note" role="status">{ server_note }</p> }
            if !note.is_empty() { <p id="note" class="note" role="status">{ (*note).clone() }</p> }
            <main class="layout" data-duplicates={duplicates.to_string()}>
                { tab_panel(narrow, &tab, "diagram", html! {
                    <section class="diagram-pane" aria-label="Sequence diagram">
                        if len == 0 && *filter != Filter::default() {
                            <p id="live-no-match" class="hint live-empty" role="status">{ no_match(&filter) }</p>
                        } else if len == 0 {
                            <p id="live-empty" class="hint live-empty">{ if logout.is_some() {
                                "Nothing yet: connect with your mail client, telnet or your own program. Your sessions appear here as they happen (without a login only if you are the one student at your address)."
                            } else {
                                "Nothing yet: when a client connects to mailsim serve, its messages appear here as they happen."
                            } }</p>
                        }
                        <SequenceDiagram diagram={src_diagram.clone()} step={step} decrypted={*decrypted} on_select={on_select}
                            view={Rc::new((*view_opts).clone())} on_toggle_conn={on_toggle_conn} />
                    </section>
                }) }
                <aside class="side" hidden={narrow && *tab == "diagram"}>
                    { tab_panel(narrow, &tab, "details", html! {
                        <Details log={p_log.clone()} diagram={p_diagram.clone()} step={p_step} info={info} decrypted={*decrypted} />
                    }) }
                    { tab_panel(narrow, &tab, "world", html! {
                        <WorldPanel log={p_log.clone()} diagram={p_diagram.clone()} step={p_step}>
                            <Students log={p_log} diagram={p_diagram.clone()} step={p_step} mine={logout.is_some()} />
                        </WorldPanel>
                    }) }
                    { tab_panel(narrow, &tab, "transcript", html! {
                        <details id="transcript" class="panel transcript" open=true>
                            <summary>{"Transcript (what the diagram shows)"}</summary>
                            if !narrow || *tab == "transcript" { <Transcript diagram={src_diagram.clone()} step={step} decrypted={*decrypted} live=true id="live-transcript" /> }
                        </details>
                    }) }
                </aside>
            </main>
        </div>
    }
}
