//! The live classroom view, `#/live`: what real clients are saying to `mailsim serve`, drawn
//! as it happens with the playground's own diagram, inspector and panels.
//!
//! The page is served by `mailsim serve` itself (crates/cli/src/web.rs). The instructor opens
//! the URL it prints (`?token=…#/live`) and sees every connection; a student opens `#/live`,
//! logs in with their mail account (`POST /login`) and sees only their own sessions. Either way
//! the page reads the server-sent events of `/events` with an `EventSource`: each record is
//! kept once by its sequence number (a reconnect resumes after the last id, and anything sent
//! twice is dropped), and a timer folds what arrived into the view a few times a second.
//!
//! Pause stops following (the records keep arriving); Back and Next step through the
//! history; "Back to live" follows again. Filters choose a user, a protocol or a client
//! address; each student has one lifeline ([`model`]). "Save as log" downloads what is shown
//! as JSON lines, which "Open…" plays later like any log.
//!
//! - [`stream`]: the `EventSource` and its reconnection.
//! - [`model`]: the records received, and the log the diagram draws.

pub mod model;
mod stream;

use crate::diagram::{SequenceDiagram, ViewOptions};
use crate::panels::{Details, WorldPanel};
use crate::state::Info;
use gloo_timers::callback::Interval;
use mailsim_sim::diagram::Diagram;
use model::{Filter, Received};
use std::cell::RefCell;
use std::rc::Rc;
use stream::{Shared, Status};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// How often what arrived is folded into the view (ms).
const FOLD_MS: u32 = 150;
/// The diagram draws at most this many messages around the step.
const WINDOW: usize = 300;
/// The transcript shows at most the last this many messages.
const TRANSCRIPT_ROWS: usize = 300;

/// Where the student's session is kept (this tab only).
const SESSION_KEY: &str = "mailsim.live.session";

/// Whether the URL asks for the live view.
pub fn wanted() -> bool {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    hash == "#/live" || hash.starts_with("#/live/") || hash.starts_with("#/live?")
}

/// Who is watching: the query that authorizes the stream, and what to call them.
#[derive(Clone, PartialEq)]
enum Access {
    Instructor(String),
    Student { session: String, user: String },
    LoggedOut,
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

impl Access {
    fn initial() -> Access {
        if let Some(t) = crate::activity::store::query("token") {
            return Access::Instructor(t);
        }
        let stored = session_storage().and_then(|s| s.get_item(SESSION_KEY).ok().flatten());
        let v: serde_json::Value = stored.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        match (v["session"].as_str(), v["user"].as_str()) {
            (Some(s), Some(u)) => Access::Student { session: s.into(), user: u.into() },
            _ => Access::LoggedOut,
        }
    }

    fn query(&self) -> String {
        let enc = |s: &str| String::from(web_sys::js_sys::encode_uri_component(s));
        match self {
            Access::Instructor(t) => format!("token={}", enc(t)),
            Access::Student { session, .. } => format!("session={}", enc(session)),
            Access::LoggedOut => String::new(),
        }
    }
}

#[function_component(Live)]
pub fn live() -> Html {
    let access = use_state(Access::initial);
    let on_access = {
        let access = access.clone();
        Callback::from(move |a: Access| {
            if let Some(s) = session_storage() {
                let _ = match &a {
                    Access::Student { session, user } => {
                        s.set_item(SESSION_KEY, &serde_json::json!({ "session": session, "user": user }).to_string())
                    }
                    _ => s.remove_item(SESSION_KEY),
                };
            }
            access.set(a)
        })
    };
    match &*access {
        Access::LoggedOut => html! { <Login on_access={on_access} /> },
        a => html! { <LiveView access={a.clone()} on_access={on_access} /> },
    }
}

#[derive(Properties, PartialEq)]
struct AccessProps {
    on_access: Callback<Access>,
}

/// A student logs in with their mail account.
#[function_component(Login)]
fn login(props: &AccessProps) -> Html {
    let problem = use_state(String::new);
    let onsubmit = {
        let (problem, on_access) = (problem.clone(), props.on_access.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let doc = web_sys::window().and_then(|w| w.document());
            let value = |id: &str| {
                doc.as_ref()
                    .and_then(|d| d.get_element_by_id(id))
                    .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok())
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let (user, password) = (value("live-user-name"), value("live-password"));
            let (problem, on_access) = (problem.clone(), on_access.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match stream::login(&user, &password).await {
                    Ok((session, user)) => on_access.emit(Access::Student { session, user }),
                    Err(m) => problem.set(m),
                }
            });
        })
    };
    html! {
        <div class="app live">
            <header class="top">
                <h1><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim live"}</h1>
                <a class="nav-link" href="#/scenario/alice-to-bob">{"Playground"}</a>
            </header>
            <form id="live-login" class="panel live-login" onsubmit={onsubmit}>
                <h2>{"See your own mail sessions, live"}</h2>
                <p>{"Log in with the mail account your instructor gave you (the same user name and password as in your mail client). You will see the connections that log in as you, as they happen."}</p>
                <label>{"User "}<input id="live-user-name" autocomplete="username" required=true /></label>
                <label>{"Password "}<input id="live-password" type="password" autocomplete="current-password" required=true /></label>
                <button id="live-login-button" type="submit">{"Log in"}</button>
                if !problem.is_empty() { <p id="live-login-error" class="load-error" role="alert">{ (*problem).clone() }</p> }
                <p class="hint">{"The instructor's view opens with the link mailsim serve printed when it started."}</p>
            </form>
        </div>
    }
}

/// A filter menu: everything, or one of `items`.
fn choice(id: &'static str, all: &'static str, items: &[String], chosen: &str, onchange: Callback<Event>) -> Html {
    html! {
        <select id={id} onchange={onchange} aria-label={all}>
            <option value="" selected={chosen.is_empty()}>{ all }</option>
            { for items.iter().map(|u| html! { <option value={u.clone()} selected={chosen == u}>{ u.clone() }</option> }) }
        </select>
    }
}

#[derive(Properties, PartialEq)]
struct ViewProps {
    access: Access,
    on_access: Callback<Access>,
}

#[function_component(LiveView)]
fn live_view(props: &ViewProps) -> Html {
    let received = use_mut_ref(Received::default);
    let shared: Rc<RefCell<Shared>> = use_mut_ref(Shared::default);
    // Bumped when records arrive (the memo below recomputes the view).
    let version = use_state(|| 0u64);
    let status = use_state(|| Status::Connecting);
    let paused = use_state(|| None::<usize>);
    let filter = use_state(Filter::default);
    let view_opts = use_state(|| ViewOptions { zoom: 100, ..ViewOptions::default() });
    let note = use_state(String::new);

    // The stream, for as long as the view is open.
    {
        let (shared, query) = (shared.clone(), props.access.query());
        use_effect_with(query, move |query| {
            stream::connect(&shared, query, 0);
            let shared = shared.clone();
            move || stream::close(&shared)
        });
    }
    // A few times a second: fold what arrived into the view.
    {
        let (shared, received, version, status) = (shared.clone(), received.clone(), version.clone(), status.clone());
        let (on_access, student) = (props.on_access.clone(), matches!(props.access, Access::Student { .. }));
        use_effect_with((), move |_| {
            // When drawing takes longer than the period (a crowded class), the timer runs late:
            // fold as rarely as it was late, so that the page keeps half its time for the user.
            let (mut last, mut hold_until) = (web_sys::js_sys::Date::now(), 0.0);
            let timer = Interval::new(FOLD_MS, move || {
                let t = web_sys::js_sys::Date::now();
                let late = t - last - f64::from(FOLD_MS);
                last = t;
                if late > 50.0 {
                    hold_until = t + late;
                }
                if t < hold_until {
                    return;
                }
                let (changed, now) = stream::drain(&shared, &mut received.borrow_mut());
                if changed {
                    version.set(received.borrow().events.len() as u64 + received.borrow().duplicates);
                }
                if now != *status {
                    if student && now == Status::Refused {
                        // The session is gone (the server restarted): log in again.
                        on_access.emit(Access::LoggedOut);
                    }
                    status.set(now);
                }
            });
            move || drop(timer)
        });
    }

    let log = {
        let received = received.clone();
        // Keyed by the version and the filter: comparing logs would cost as much as the view.
        use_memo(((*version), (*filter).clone()), move |(_, f)| {
            let log = received.borrow().view(f);
            let diagram = Diagram::from_log(&log);
            (Rc::new(log), Rc::new(diagram))
        })
    };
    let (log, diagram): (Rc<_>, Rc<Diagram>) = (log.0.clone(), log.1.clone());
    let len = diagram.arrows.len();
    let step = paused.map_or(len, |s| s.min(len));
    // The diagram draws a window of the history around the step, so that a crowded class stays
    // fluid (the inspector and the world panel still see the whole log).
    let from = step.saturating_sub(WINDOW * 3 / 4).min(len.saturating_sub(WINDOW));
    let window = if len > WINDOW {
        // Only the lifelines of the window's messages (the server's first).
        let mut arrows = diagram.arrows[from..(from + WINDOW).min(len)].to_vec();
        let mut used: Vec<usize> = vec![0];
        for a in &arrows {
            for i in [a.from, a.to] {
                if !used.contains(&i) {
                    used.push(i);
                }
            }
        }
        used.sort_unstable();
        for a in &mut arrows {
            a.from = used.iter().position(|&i| i == a.from).unwrap_or(0);
            a.to = used.iter().position(|&i| i == a.to).unwrap_or(0);
        }
        let actors = used.iter().filter_map(|&i| diagram.actors.get(i).cloned()).collect();
        Rc::new(Diagram { actors, arrows, events: diagram.events })
    } else {
        diagram.clone()
    };
    let r = received.borrow();
    let (users, protocols, missed, duplicates) = (r.users(), r.protocols(), r.missed, r.duplicates);
    drop(r);

    let set_paused = |v: fn(usize, usize) -> Option<usize>| {
        let paused = paused.clone();
        Callback::from(move |_: MouseEvent| paused.set(v(step, len)))
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
        let (log, note) = (log.clone(), note.clone());
        Callback::from(move |_: MouseEvent| {
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
    html! {
        <div class="app live">
            <header class="top">
                <h1><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim live"}</h1>
                <span id="live-status" class={classes!("live-status", status_class)} role="status">{ status_text }</span>
                <p id="live-who" class="tagline">{ who }</p>
                if logout.is_some() {
                    <button id="live-logout" onclick={ { let a = props.on_access.clone(); Callback::from(move |_| a.emit(Access::LoggedOut)) } }>{"Log out"}</button>
                }
                <a class="nav-link" href="#/scenario/alice-to-bob">{"Playground"}</a>
            </header>
            <nav class="controls" aria-label="Live controls">
                <button id="live-toggle" class="primary" onclick={ if paused.is_some() { set_paused(|_, _| None) } else { set_paused(|s, _| Some(s)) } }>
                    { if paused.is_some() { "Back to live" } else { "Pause" } }
                </button>
                <button id="prev" onclick={set_paused(|s, _| Some(s.saturating_sub(1)))} disabled={step == 0} title="Step back">{"Back"}</button>
                <button id="next" onclick={set_paused(|s, n| Some((s + 1).min(n)))} disabled={step >= len} title="Step forward">{"Next"}</button>
                <span id="position" class="position" aria-live="off">{ format!("step {step} of {len}") }</span>
                { choice("live-user", "All users", &users, &filter.user, on_filter(|f, v| f.user = v)) }
                { choice("live-protocol", "All protocols", &protocols, &filter.protocol, on_filter(|f, v| f.protocol = v)) }
                <input id="live-address" type="search" placeholder="Client address…" aria-label="Show one client address" onchange={on_filter(|f, v| f.address = v)} />
                <span class="tools">
                    <button id="live-save" onclick={on_save} title="Download what is shown as an event log (JSON lines); Open… in the playground plays it">{"Save as log"}</button>
                </span>
            </nav>
            if missed > 0 {
                <p id="live-missed" class="note" role="status">{ format!("This view fell behind the server's history: {missed} events were not received.") }</p>
            }
            if !note.is_empty() { <p id="note" class="note" role="status">{ (*note).clone() }</p> }
            <main class="layout" data-duplicates={duplicates.to_string()}>
                <section class="diagram-pane" aria-label="Sequence diagram">
                    if len == 0 {
                        <p id="live-empty" class="hint live-empty">{ if logout.is_some() {
                            "Nothing yet: connect with your mail client, telnet or your own program, and log in. Your session appears here as it happens."
                        } else {
                            "Nothing yet: when a client connects to mailsim serve, its messages appear here as they happen."
                        } }</p>
                    }
                    if len > WINDOW {
                        <p id="live-window" class="hint">{ format!("Messages {}–{} of {len}: step back to see earlier ones.", from + 1, (from + WINDOW).min(len)) }</p>
                    }
                    <SequenceDiagram diagram={window} step={step} decrypted={false} on_select={on_select}
                        view={Rc::new((*view_opts).clone())} on_toggle_conn={on_toggle_conn} />
                </section>
                <aside class="side">
                    <Details log={log.clone()} diagram={diagram.clone()} step={step} info={info} decrypted={false} />
                    <WorldPanel log={log.clone()} diagram={diagram.clone()} step={step} />
                    <details id="transcript" class="panel transcript" open=true>
                        <summary>{"Transcript (what the diagram shows)"}</summary>
                        if len > TRANSCRIPT_ROWS {
                            <p class="hint">{ format!("The last {TRANSCRIPT_ROWS} of {len} messages (the diagram has them all).") }</p>
                        }
                        <ol id="live-transcript" start={(len.saturating_sub(TRANSCRIPT_ROWS) + 1).to_string()}>
                            { for diagram.arrows[len.saturating_sub(TRANSCRIPT_ROWS)..].iter().map(|a| html! {
                                <li class={classes!((a.step == step).then_some("current"))} data-conn={a.conn.map(|c| c.to_string())}>
                                    { format!("{} → {} {} ", diagram.actors[a.from].name, diagram.actors[a.to].name, a.protocol) }
                                    <span class="label">{ a.label.clone() }</span>
                                </li>
                            }) }
                        </ol>
                    </details>
                </aside>
            </main>
        </div>
    }
}
