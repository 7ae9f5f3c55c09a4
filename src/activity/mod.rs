//! In-class activities in the page: the activities list, one activity beside its sequence
//! diagram, presenter mode and the embed. The activities themselves (file format, grading,
//! task checks, completion code) are the core's, `mailsim_sim::activity`; this is only the
//! page side.
//!
//! ## Routes
//! - `#/activities`: the list, and the instructors' corner (paste or upload a file).
//! - `#/activity/ID`: its intro; `#/activity/ID/item/N` (1-based): item N;
//!   `#/activity/ID/summary`: score, each item, the completion code.
//! - `?activity=URL` loads a file from this origin; `?present=1` is presenter mode;
//!   `?embed=1` the compact layout for an iframe.
//!
//! ## Layout
//! - this file: [`Root`] (the playground or the activities, by the URL) and the
//!   activities app (loading `?activity=`).
//! - [`run`]: the state of one activity being worked through (reducer).
//! - [`view`]: one activity on screen; [`item`]: the item panel; [`pages`]: intro, summary.
//! - [`list`]: `#/activities`; [`store`]: localStorage and the URL's query.
//! - [`markdown`]: the instructors' Markdown, rendered as text nodes only.

pub mod item;
pub mod list;
pub mod markdown;
pub mod pages;
pub mod run;
pub mod store;
pub mod view;

use gloo_events::EventListener;
use mailsim_sim::activity::LocatedError;
use run::View;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// A page of the activities part of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    List,
    Activity(String, View),
    /// `#/activity/ID/…` naming no page (`…/3`, `…/item/x`): the activity's intro, with a
    /// note saying so.
    NoSuchPage(String, String),
}

/// Reads `#/activities`, `#/activity/ID`, `#/activity/ID/item/N`, `#/activity/ID/summary`.
pub fn parse_route(hash: &str) -> Option<Route> {
    let path = hash.trim_start_matches('#').trim_start_matches('/');
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        ["activities"] => Some(Route::List),
        ["activity", id] => Some(Route::Activity(id.to_string(), View::Intro)),
        ["activity", id, "summary"] => Some(Route::Activity(id.to_string(), View::Summary)),
        ["activity", id, "item", n] => match n.parse::<usize>() {
            Ok(0) => Some(Route::Activity(id.to_string(), View::Intro)),
            Ok(n) => Some(Route::Activity(id.to_string(), View::Item(n - 1))),
            Err(_) => Some(Route::NoSuchPage(id.to_string(), format!("item/{n}"))),
        },
        ["activity", id, rest @ ..] => Some(Route::NoSuchPage(id.to_string(), rest.join("/"))),
        _ => None,
    }
}

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// "1 item", "3 items".
pub(crate) fn items(n: usize) -> String {
    format!("{n} item{}", if n == 1 { "" } else { "s" })
}

/// Whether the URL asks for the activities part (rather than the playground).
pub(crate) fn wants_activities() -> bool {
    let hash = current_hash();
    let bare = hash.trim_start_matches('#').trim_start_matches('/').is_empty();
    parse_route(&hash).is_some() || (bare && (store::query("activity").is_some() || store::present()))
}

/// The page: the playground, or the activities.
#[function_component(Root)]
pub fn root() -> Html {
    let activities = use_state(wants_activities);
    {
        let activities = activities.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a window");
            let listener = EventListener::new(&window, "hashchange", move |_| activities.set(wants_activities()));
            move || drop(listener)
        });
    }
    if *activities {
        // The player build hands the activities over to the full build (src/page.rs).
        #[cfg(not(feature = "full"))]
        return html! { <crate::HandOver /> };
        #[cfg(feature = "full")]
        html! { <ActivityApp /> }
    } else {
        html! { <crate::app::App /> }
    }
}

/// What became of `?activity=URL`.
#[derive(Clone, PartialEq)]
enum Loaded {
    None,
    Loading(String),
    /// The activity's id, and the URL as given.
    Ready(String, String),
    Refused(String),
    Errors(Vec<LocatedError>, String),
}

async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let resp =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(|_| "the network request failed".to_string())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "no response".to_string())?;
    if !resp.ok() {
        return Err(format!("the server answered HTTP {}", resp.status()));
    }
    let text = resp.text().map_err(|_| "no body".to_string())?;
    JsFuture::from(text).await.ok().and_then(|t| t.as_string()).ok_or_else(|| "the body is not text".into())
}

/// The scenario file that activity `name` (fetched from `url`, text `text`) names, fetched
/// from the same folder: `lab.toml` beside `…/lab-act.toml` (`None`: it names a built-in
/// scenario); if it cannot be, the activity's error, located at its `scenario`, says why.
async fn scenario_beside(name: &str, url: &str, text: &str) -> Result<Option<(String, String)>, Vec<LocatedError>> {
    let (mut errors, file) = match crate::engine::parse_activity_in(name, text, Some(&[][..])) {
        Err((e, Some(file))) => (e, file),
        _ => return Ok(None),
    };
    let at = web_sys::Url::new_with_base(&file, url)
        .ok()
        .filter(|u| web_sys::Url::new(url).is_ok_and(|a| a.origin() == u.origin()));
    let why = match &at {
        None => "it is not on this page's site".to_string(),
        Some(at) => match fetch_text(&at.href()).await {
            Ok(t) => return Ok(Some((file, t))),
            Err(m) => m,
        },
    };
    let prefix = format!("no scenario file \"{file}\"");
    for e in errors.iter_mut().filter(|e| e.message.starts_with(&prefix)) {
        e.message = format!(
            "could not fetch the scenario file \"{file}\" beside this activity ({}): {why}: expected the scenario file in the same folder as the activity, or a built-in scenario id",
            at.as_ref().map(web_sys::Url::href).unwrap_or_else(|| file.clone())
        );
    }
    Err(errors)
}

#[function_component(ActivityApp)]
fn activity_app() -> Html {
    let route = use_state(|| parse_route(&current_hash()).unwrap_or(Route::List));
    let library = use_state(|| Rc::new(store::Library::load()));
    let loaded = use_state(|| match store::query("activity") {
        Some(u) => Loaded::Loading(u),
        None => Loaded::None,
    });
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a window");
            let listener = EventListener::new(&window, "hashchange", move |_| {
                if let Some(r) = parse_route(&current_hash()) {
                    route.set(r);
                }
            });
            move || drop(listener)
        });
    }
    // `?activity=URL`: fetch it (same origin only), check it, open it.
    {
        let (loaded, library) = (loaded.clone(), library.clone());
        use_effect_with((), move |_| {
            if let Loaded::Loading(value) = (*loaded).clone() {
                // `?activity=smtp-phases`: a built-in activity's id opens it (no file to fetch).
                if crate::engine::activity_index().iter().any(|e| e.id == value) {
                    if parse_route(&current_hash()).is_none() {
                        view::go(&value, View::Intro);
                    }
                    loaded.set(Loaded::None);
                    return;
                }
                match store::activity_url(&value) {
                    Err(m) => loaded.set(Loaded::Refused(m)),
                    Ok(url) => wasm_bindgen_futures::spawn_local(async move {
                        match fetch_text(&url).await {
                            Err(m) => {
                                let hint = if value.ends_with(".toml") {
                                    ""
                                } else {
                                    " It is not a built-in activity's id either: the built-in ones are listed \
                                     below (open one with ?activity=ID), and a file is named with its path, \
                                     e.g. ?activity=activities/your-file.toml."
                                };
                                loaded.set(Loaded::Refused(format!(
                                    "Could not load the activity \"{value}\": {m}.{hint}"
                                )))
                            }
                            Ok(text) => {
                                let mut lib = (**library).clone();
                                let added = match scenario_beside(&value, &url, &text).await {
                                    Ok(beside) => lib.add(&value, &text, beside),
                                    Err(e) => Err(e),
                                };
                                match added {
                                    Ok(a) => {
                                        library.set(Rc::new(lib));
                                        if parse_route(&current_hash()).is_none() {
                                            view::go(&a.id, View::Intro);
                                        }
                                        loaded.set(Loaded::Ready(a.id, value));
                                    }
                                    Err(e) => loaded.set(Loaded::Errors(e, text)),
                                }
                            }
                        }
                    }),
                }
            }
        });
    }
    let compact = store::embedded();
    let present = store::present();
    let (notice, load_errors) = match &*loaded {
        Loaded::Refused(m) => (Some(m.clone()), None),
        Loaded::Errors(e, text) => (None, Some((e.clone(), text.clone()))),
        _ => (None, None),
    };
    let on_change = {
        let library = library.clone();
        Callback::from(move |l: store::Library| library.set(Rc::new(l)))
    };
    let list = |notice: Option<String>| {
        html! { <list::ActivitiesPage library={(*library).clone()} on_change={on_change.clone()} notice={notice} load_errors={load_errors.clone()} compact={compact} /> }
    };
    // A page the activity does not have: its intro, and a note.
    let (id, v, missing) = match &*route {
        Route::List => return list(notice),
        Route::Activity(id, View::Item(n)) if library.get(id).is_some_and(|a| *n >= a.items.len()) => {
            (id, View::Intro, Some(format!("item/{}", n + 1)))
        }
        Route::Activity(id, v) => (id, *v, None),
        Route::NoSuchPage(id, what) => (id, View::Intro, Some(what.clone())),
    };
    match library.get(id) {
        Some(a) => {
            let missing = missing.map(|what| {
                    let items = match a.items.len() {
                        0 => String::new(),
                        1 => format!("item 1 ({}), ", View::Item(0).fragment(id)),
                        n => format!("items 1 to {n} (#/activity/{id}/item/N), "),
                    };
                    format!("This activity has no page \"{what}\": its pages are the intro, {items}and the summary. Here is its introduction.")
                });
            let file_url = match &*loaded {
                Loaded::Ready(lid, url) if lid == id => Some(url.clone()),
                _ => None,
            };
            html! {
                <view::RunPage key={format!("{id}-{}", store::fingerprint(a))} activity={Rc::new(a.clone())} view={v}
                    present={present} compact={compact} file_url={file_url} missing={missing} />
            }
        }
        None if matches!(&*loaded, Loaded::Loading(_)) => html! {
            <div class="app activity-app"><p class="loading" role="status">{"Loading the activity…"}</p></div>
        },
        None => list(Some(
            notice.unwrap_or_else(|| format!("There is no activity \"{id}\" here. These are the ones there are:")),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(parse_route("#/activities"), Some(Route::List));
        assert_eq!(
            parse_route("#/activity/send-protocols"),
            Some(Route::Activity("send-protocols".into(), View::Intro))
        );
        assert_eq!(parse_route("#/activity/x/item/3"), Some(Route::Activity("x".into(), View::Item(2))));
        assert_eq!(parse_route("#/activity/x/summary"), Some(Route::Activity("x".into(), View::Summary)));
        assert_eq!(parse_route("#/activity/x/item/zz"), Some(Route::NoSuchPage("x".into(), "item/zz".into())));
        assert_eq!(parse_route("#/activity/x/3"), Some(Route::NoSuchPage("x".into(), "3".into())));
        assert_eq!(parse_route("#/scenario/alice-to-bob/step/3"), None);
        assert_eq!(parse_route(""), None);
    }

    #[test]
    fn pages_follow_each_other() {
        assert_eq!(View::Intro.next(2), Some(View::Item(0)));
        assert_eq!(View::Item(1).next(2), Some(View::Summary));
        assert_eq!(View::Summary.next(2), None);
        assert_eq!(View::Summary.prev(2), Some(View::Item(1)));
        assert_eq!(View::Item(0).prev(2), Some(View::Intro));
        assert_eq!(View::Intro.prev(2), None);
        assert_eq!(View::Item(4).fragment("a"), "#/activity/a/item/5");
    }
}
