//! The live classroom view, `#/live`: what real clients are saying to `mailsim serve`, drawn
//! as it happens with the playground's own diagram, inspector and panels.
//!
//! The page is served by `mailsim serve` itself (crates/cli/src/web.rs). The instructor opens
//! the URL it prints (`?token=…#/live`) and sees every connection; a student opens `#/live`,
//! logs in with their mail account (`POST /login`) and sees only their own sessions. Either way
//! the page reads the server-sent events of `/events` with an `EventSource`: each record is
//! kept once by its sequence number (a reconnect resumes after the last id, and anything sent
//! twice is dropped). The stream's text stays in JavaScript until an animation frame reads it
//! (one copy into wasm per frame); what arrived is folded in every frame and drawn at most every
//! 100 ms while a burst lasts, and the view grows by appending: the cost of a record does not
//! depend on how many came before it, so the whole history stays at hand.
//!
//! Pause stops following (the records keep arriving); First, Back and Next (or Home, ← and
//! →) step through the whole history, drawn by the playground's diagram (only the rows in
//! view); "Back to live" (or End) follows again. Filters choose a user, a protocol or a client
//! address; each student has one lifeline ([`model`]). "Save as log" downloads what is shown
//! as JSON lines, which "Open…" plays later like any log.
//!
//! - [`stream`]: the `EventSource` and its reconnection.
//! - [`model`]: the records received, and the log the diagram draws.
//! - [`students`]: the World panel's line per student.
//! - [`view`]: the view itself.

pub mod model;
mod stream;
mod students;
mod view;

use view::LiveView;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Where the student's session is kept (this tab only).
const SESSION_KEY: &str = "mailsim.live.session";

/// Whether the URL asks for the live view.
pub fn wanted() -> bool {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    hash == "#/live" || hash.starts_with("#/live/") || hash.starts_with("#/live?")
}

/// Who is watching: the query that authorizes the stream, and what to call them.
#[derive(Clone, PartialEq)]
pub(crate) enum Access {
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
