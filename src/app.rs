//! The page: header with the scenario picker, playback controls, the diagram and the panels.
//! Keyboard: → next, ← back, space play/pause, Home reset, End last step.

use crate::diagram::{SequenceDiagram, ViewOptions};
use crate::learner::LearnerPanel;
use crate::panels::{tab_panel, use_narrow, use_tab, Details, Tabs, WorldPanel};
use crate::state::{
    flush_fragment, imported_step, keep_log, kept_log, own_step, parse_fragment, set_fragment_soon, Action, Player,
    DEFAULT_SCENARIO, FILE_PREFIX, IMPORTED, SPEEDS, SPEED_NAMES,
};
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Interval;
use mailsim_sim::diagram::format_time;
use mailsim_sim::scenario::{self, Entry};
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// A small inline icon (fonts on some systems lack the media-control characters).
fn icon(path: &'static str) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path d={path} /></svg>
    }
}
const ICON_RESET: &str = "M2 2h2v12H2z M14 2v12L5 8z";
const ICON_BACK: &str = "M12 2v12L3 8z";
const ICON_PLAY: &str = "M4 2v12l10-6z";
const ICON_PAUSE: &str = "M3 2h4v12H3z M9 2h4v12H9z";
const ICON_NEXT: &str = "M4 2v12l9-6z";

/// Whether the search `q` finds scenario `s`: by its title, summary, topic, id or description
/// (the descriptions are fetched when the learner first goes to the search field: src/data.rs).
fn matches(s: &Entry, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return true;
    }
    let description = crate::data::description(s.id).unwrap_or_default();
    [s.title, s.summary, &description, s.topic, s.id].iter().any(|t| t.to_lowercase().contains(&q))
}

/// The iframe code for the current page, in the compact layout.
fn embed_snippet() -> String {
    flush_fragment();
    let Some(loc) = web_sys::window().map(|w| w.location()) else { return String::new() };
    let base = format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default());
    format!("<iframe src=\"{base}?embed=1{}\" width=\"100%\" height=\"600\" title=\"Mailsim: how e-mail works\" style=\"border:1px solid #ccc\"></iframe>", loc.hash().unwrap_or_default())
}

/// The scenario topics, in the order they first appear.
fn topics() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in scenario::index() {
        if !out.contains(&s.topic) {
            out.push(s.topic);
        }
    }
    out
}

/// Offers `text` as a file download.
pub(crate) fn download(name: &str, mime: &str, text: &str) {
    let parts = web_sys::js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Draws an SVG onto a canvas and offers it as a PNG (twice the size, for slides).
fn download_png(name: &str, svg: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(img) = web_sys::HtmlImageElement::new() else { return };
    let parts = web_sys::js_sys::Array::of1(&JsValue::from_str(svg));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("image/svg+xml");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let name = name.to_string();
    let img2 = img.clone();
    let onload = wasm_bindgen::closure::Closure::once_into_js(move || {
        let (w, h) = (img2.natural_width() * 2, img2.natural_height() * 2);
        let Some(canvas) =
            doc.create_element("canvas").ok().and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_width(w);
        canvas.set_height(h);
        if let Some(ctx) =
            canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        {
            let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img2, 0.0, 0.0, f64::from(w), f64::from(h));
        }
        if let Ok(data) = canvas.to_data_url_with_type("image/png") {
            if let Some(a) = doc.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
            {
                a.set_href(&data);
                a.set_download(&name);
                a.click();
            }
        }
    });
    img.set_onload(Some(onload.unchecked_ref()));
    img.set_src(&url);
}

fn embedded() -> bool {
    web_sys::window().and_then(|w| w.location().search().ok()).is_some_and(|s| s.contains("embed=1"))
}

/// What a `#/scenario/ID` link says: `Some("")` for a built-in scenario, `Some(notice)` when
/// none has that id (a typo: the page opens the default one and says so), `None` for another link.
fn scenario_link(hash: &str) -> Option<String> {
    let (id, _) = parse_fragment(hash)?;
    Some(match (scenario::entry(&id), scenario::entry(DEFAULT_SCENARIO)) {
        (None, Some(d)) => format!("No scenario \"{id}\": showing {}. Pick one in the Scenario menu.", d.title),
        _ => String::new(),
    })
}

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Reads a scenario file (once the engine is here): the scenario, or its mistakes as
/// `NAME:LINE:COLUMN: message`.
async fn scenario_from(name: &str, text: &str) -> Result<crate::engine::Loaded, String> {
    crate::engine::load().await?;
    crate::engine::load_scenario(name, text)
}

/// `?scenario=URL`: the URL (same origin only) of a scenario file to open, with its name.
fn scenario_url() -> Option<Result<(String, String), String>> {
    same_origin_param("scenario", "scenario files")
}

/// `?KEY=URL`: a URL on this site (others are refused: `what` from this site only), with the
/// file's name.
fn same_origin_param(key: &str, what: &str) -> Option<Result<(String, String), String>> {
    let loc = web_sys::window()?.location();
    let query = loc.search().ok()?;
    let raw = query.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?;
    let wanted = web_sys::js_sys::decode_uri_component(&raw.replace('+', " ")).ok()?.as_string()?;
    let Ok(url) = web_sys::Url::new_with_base(&wanted, &loc.href().ok()?) else {
        return Some(Err(format!("?{key}={wanted}: not a URL")));
    };
    if url.origin() != loc.origin().ok()? {
        return Some(Err(format!("?{key}={wanted}: only {what} from this site can be opened")));
    }
    let name = url.pathname().rsplit('/').next().unwrap_or("file").to_string();
    Some(Ok((url.href(), name)))
}

/// A linked file or log that did not come: the scenario drawn meanwhile gets its engine.
fn engine_for_drawn(first: &str, d: UseReducerDispatcher<Player>) {
    let id = parse_fragment(first).map_or(DEFAULT_SCENARIO.into(), |f| f.0);
    crate::data::then_engine(id, move || d.dispatch(Action::EngineReady));
}

/// `?log=URL`: an event log (same origin) to open, with its name.
fn log_url() -> Option<Result<(String, String), String>> {
    same_origin_param("log", "event logs")
}

/// Fetches the text at `url` (same origin).
async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let response =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(|_| format!("{url}: could not be fetched"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response".to_string())?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {} {}", response.status(), response.status_text()));
    }
    let text = response.text().map_err(|_| format!("{url}: no text"))?;
    JsFuture::from(text).await.ok().and_then(|t| t.as_string()).ok_or_else(|| format!("{url}: no text"))
}

/// Each connection of the log as the "one connection" menu names it.
fn connections(log: &mailsim_sim::EventLog, d: &mailsim_sim::diagram::Diagram) -> Vec<(u32, String)> {
    let names: std::collections::BTreeMap<&str, &str> =
        d.actors.iter().map(|a| (a.id.as_str(), a.name.as_str())).collect();
    log.events
        .iter()
        .filter_map(|e| match e {
            mailsim_sim::log::Event::ConnectionOpened { conn, client, server, port, protocol, .. } => {
                let name = |id: &str| names.get(id).copied().unwrap_or_default();
                Some((*conn, format!("#{conn} {} → {} :{port} {protocol}", name(client), name(server))))
            }
            _ => None,
        })
        .collect()
}

thread_local! {
    /// The side panels' step ([`deferred`]): the step they show, the address of its log,
    /// the player's latest step, and whether a frame is asked for.
    static PANELS: std::cell::Cell<(usize, usize, usize, bool)> = const { std::cell::Cell::new((0, 0, 0, false)) };
}

/// The step the side panels (details, world, transcript, "Try it") show for the player's `step`,
/// as React's `useDeferredValue`: a step's own frame carries the diagram's row and the position
/// only; the panels (~5 ms a step at 10,000 messages: docs/benchmarks.md, "Branch step16")
/// follow in the next animation frame, when `force` draws the page again. Presses in between
/// coalesce and the panels end on the latest step; another log (or scenario) has its panels at
/// once, so that they never show a step of the log before. (Tests wait for the world panel's
/// heading to name the position's step: tests/e2e/browser.mjs, `panelsShown`.)
fn deferred(step: usize, log: &std::rc::Rc<mailsim_sim::EventLog>, force: UseForceUpdateHandle) -> usize {
    let log = std::rc::Rc::as_ptr(log) as usize;
    let (mut at, mut of, _, mut asked) = PANELS.get();
    if of != log {
        (at, of) = (step, log);
    }
    if at != step && !asked {
        asked = true;
        // Two frames: the first's callbacks run before the step's own frame is drawn.
        after_frames(2, force);
    }
    PANELS.set((at, of, step, asked));
    at
}

/// Shows the panels at the player's latest step at the start of the `n`th animation frame from
/// now ([`deferred`]).
fn after_frames(n: u8, force: UseForceUpdateHandle) {
    crate::growing::next_frame(Box::new(move || {
        if n > 1 {
            after_frames(n - 1, force)
        } else {
            let (_, of, latest, _) = PANELS.get();
            PANELS.set((latest, of, latest, false));
            force.force_update();
        }
    }));
}

/// The playground, or the live classroom view (`#/live`, [`crate::live`]).
#[function_component(App)]
pub fn app() -> Html {
    let live = use_state(crate::live::wanted);
    {
        let live = live.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a window");
            let listener = EventListener::new(&window, "hashchange", move |_| live.set(crate::live::wanted()));
            move || drop(listener)
        });
    }
    if *live {
        // The player build hands the live view over to the full build (src/page.rs).
        #[cfg(not(feature = "full"))]
        return html! { <crate::HandOver /> };
        #[cfg(feature = "full")]
        html! { <crate::live::Live /> }
    } else {
        html! { <Playground /> }
    }
}

#[function_component(Playground)]
fn playground() -> Html {
    let player = use_reducer(|| {
        // An opened log, kept in this browser, comes back on reload (`?log=URL` fetches one).
        if let Some(step) = imported_step(&current_hash()).filter(|_| log_url().is_none()) {
            if let Some((name, log)) = kept_log() {
                return Player::imported(&name, std::rc::Rc::new(log), step);
            }
        }
        let (id, step) = parse_fragment(&current_hash()).unwrap_or((DEFAULT_SCENARIO.into(), 0));
        Player::open(&id, step)
    });

    // What went wrong (shown until dismissed), from the start: a link to a scenario that does
    // not exist (a typo), for which the page opens the default one.
    let problem = use_state(|| scenario_link(&current_hash()).unwrap_or_default());

    // The learner's actions were replayed and drawn: a reload need not set any aside.
    use_effect(crate::guard::clear);

    // A built-in scenario drawn from its precomputed log: once it is on screen, its file goes
    // to the engine (what the learner does meanwhile waits in the player's queue).
    // Not the scenario drawn while a linked file or log (`?scenario=`, `?log=`) is on its way:
    // the file replaces it (or, if it fails to come, says so and then hands it over).
    let linked = use_mut_ref(|| scenario_url().or_else(log_url).is_some_and(|u| u.is_ok()));
    {
        let d = player.dispatcher();
        let linked = linked.clone();
        use_effect_with((player.scenario.id.clone(), player.waiting()), move |(id, waiting)| {
            if *waiting && !std::mem::take(&mut *linked.borrow_mut()) {
                crate::data::then_engine(id.clone(), move || d.dispatch(Action::EngineReady));
            }
        });
    }

    // Keyboard shortcuts, on the whole document.
    {
        let d = player.dispatcher();
        use_effect_with((), move |_| {
            let document = web_sys::window().and_then(|w| w.document()).expect("a document");
            // Not passive: the handler must be able to stop space from scrolling the page.
            let listener = EventListener::new_with_options(
                &document,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() {
                        return;
                    }
                    let key = e.key();
                    let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                    let tag = target.as_ref().map(|el| el.tag_name()).unwrap_or_default();
                    let input_type = target.as_ref().and_then(|el| el.get_attribute("type")).unwrap_or_default();
                    // Fields that use these keys themselves keep them; a checkbox has no use for
                    // arrows or Home, so the shortcuts work there too.
                    let toggle = tag == "INPUT" && matches!(input_type.as_str(), "checkbox" | "radio");
                    // The phone's tab list uses the arrows itself.
                    if target.as_ref().and_then(|el| el.get_attribute("role")).as_deref() == Some("tab") {
                        return;
                    }
                    if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA") && !toggle {
                        return;
                    }
                    // Space and Enter on a focused button or checkbox press it, as usual.
                    if (tag == "BUTTON" || toggle) && (key == " " || key == "Enter") {
                        return;
                    }
                    let action = match key.as_str() {
                        "ArrowRight" => Action::Next,
                        "ArrowLeft" => Action::Prev,
                        " " | "Spacebar" => Action::TogglePlay,
                        "Home" => Action::Reset,
                        "End" => Action::End,
                        _ => return,
                    };
                    e.prevent_default();
                    d.dispatch(action);
                },
            );
            move || drop(listener)
        });
    }

    // The URL fragment opens a scenario and step (typed, pasted, or back/forward).
    {
        let (d, problem) = (player.dispatcher(), problem.clone());
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a window");
            let listener = EventListener::new(&window, "hashchange", move |e| {
                // The URL the navigation went to, not the one at hand when this runs: the page's
                // own deferred write of the step (`flush_fragment`) may have replaced it since
                // (a race seen under load: the step asked for was lost).
                let to = web_sys::js_sys::Reflect::get(e, &"newURL".into()).ok().and_then(|u| u.as_string());
                let hash =
                    to.and_then(|u| u.split_once('#').map(|(_, h)| format!("#{h}"))).unwrap_or_else(current_hash);
                if let Some(notice) = scenario_link(&hash) {
                    problem.set(notice);
                }
                if let Some((id, step)) = parse_fragment(&hash) {
                    let d = d.clone();
                    crate::data::then_open(id.clone(), move || d.dispatch(Action::Open(id, step)));
                } else if let Some((kind, step)) = own_step(&hash) {
                    d.dispatch(Action::GotoIn(kind, step));
                }
            });
            move || drop(listener)
        });
    }

    // Stepping updates the fragment (replacing the history entry, not adding one per step),
    // once the stepping pauses.
    {
        let fragment = player.fragment();
        use_effect_with(fragment, |fragment| set_fragment_soon(fragment.clone()));
    }

    // Playing: one step per tick.
    {
        let d = player.dispatcher();
        use_effect_with((player.playing, player.speed.to_bits()), move |(playing, speed)| {
            let period = (1000.0 / f64::from_bits(*speed)) as u32;
            let interval = playing.then(|| Interval::new(period, move || d.dispatch(Action::Tick)));
            move || drop(interval)
        });
    }

    let dispatch = |a: fn() -> Action| {
        let d = player.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(a()))
    };
    let on_scenario = {
        let d = player.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                let (d, id) = (d.clone(), sel.value());
                crate::data::then_open(id.clone(), move || d.dispatch(Action::Open(id, 0)));
            }
        })
    };
    // The menu follows the scenario on screen (Back and Forward too): an option's `selected`
    // attribute no longer moves a menu the user has picked from.
    let scenario_menu = use_node_ref();
    {
        let menu = scenario_menu.clone();
        use_effect_with(player.scenario.id.clone(), move |id| {
            if let Some(m) = menu.cast::<web_sys::HtmlSelectElement>() {
                let shown = if scenario::entry(id).is_some() { id.as_str() } else { "" };
                m.set_value(shown);
            }
        });
    }
    // Mistakes in a scenario file (or a log) that the learner opened, shown as text.
    // `?scenario=URL` opens a scenario file from this site, at the step in the fragment (as the
    // page was opened: by the time the file arrives, the fragment names the default scenario).
    {
        let (d, problem) = (player.dispatcher(), problem.clone());
        let first = use_memo((), |_| current_hash());
        use_effect_with((), move |_| match scenario_url() {
            None => {}
            Some(Err(e)) => problem.set(e),
            Some(Ok((url, name))) => wasm_bindgen_futures::spawn_local(async move {
                let step = first.strip_prefix("#/file/step/").and_then(|n| n.parse().ok()).unwrap_or(0);
                let opened = match fetch_text(&url).await {
                    Ok(text) => scenario_from(&name, &text).await,
                    Err(e) => Err(e),
                };
                match opened {
                    // The full page is prefetched after this first draw, as after a built-in
                    // scenario's (src/data.rs).
                    Ok(s) => {
                        d.dispatch(Action::OpenFile(s, step));
                        crate::prefetch_full();
                    }
                    Err(e) => {
                        problem.set(e);
                        engine_for_drawn(&first, d);
                    }
                }
            }),
        });
    }
    // `?log=URL` opens an event log from this site, at the step in the fragment.
    {
        let (d, problem) = (player.dispatcher(), problem.clone());
        let first = use_memo((), |_| current_hash());
        use_effect_with((), move |_| match log_url() {
            None => {}
            Some(Err(e)) => problem.set(e),
            Some(Ok((url, name))) => wasm_bindgen_futures::spawn_local(async move {
                let step = imported_step(&first).unwrap_or(0);
                match fetch_text(&url).await.and_then(|text| {
                    mailsim_sim::EventLog::from_jsonl(&text)
                        .map_err(|e| format!("{name} is not a Mailsim event log: {e}"))
                }) {
                    // An opened log needs no engine: the full page is prefetched after it.
                    Ok(log) => {
                        d.dispatch(Action::Import(name, std::rc::Rc::new(log), step));
                        crate::prefetch_full();
                    }
                    Err(e) => {
                        problem.set(e);
                        engine_for_drawn(&first, d);
                    }
                }
            }),
        });
    }
    let on_import = {
        let (d, problem) = (player.dispatcher(), problem.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let (d, problem) = (d.clone(), problem.clone());
            let name = file.name();
            // Opening the same file again is a change too.
            input.set_value("");
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                let opened = if name.to_ascii_lowercase().ends_with(".toml") {
                    scenario_from(&name, &text).await.map(|s| (Action::OpenFile(s, 0), String::new()))
                } else {
                    mailsim_sim::EventLog::from_jsonl(&text)
                        .map(|log| {
                            // Kept for a reload; too large for local storage, the page says so.
                            let kept = keep_log(&name, &text);
                            let warning = if kept {
                                String::new()
                            } else {
                                format!(
                                    "{name} is too large to keep in this browser: a reload will not open it again \
                                     (put it on this site and link it as ?log=URL)"
                                )
                            };
                            (Action::Import(name.clone(), std::rc::Rc::new(log), 0), warning)
                        })
                        .map_err(|err| format!("{name} is not a Mailsim event log: {err}"))
                };
                match opened {
                    Ok((action, warning)) => {
                        problem.set(warning);
                        d.dispatch(action);
                    }
                    Err(e) => problem.set(e),
                }
            });
        })
    };
    let on_speed = {
        let d = player.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                // By position in SPEEDS: parsing the value as a float would pull std's
                // decimal-to-float code into the page (about 14 KB gzipped).
                if let Some(s) = usize::try_from(sel.selected_index()).ok().and_then(|i| SPEEDS.get(i)) {
                    d.dispatch(Action::SetSpeed(*s));
                }
            }
        })
    };
    let on_select = {
        let d = player.dispatcher();
        Callback::from(move |step: usize| d.dispatch(Action::Goto(step)))
    };

    let view = use_state(|| ViewOptions { zoom: 100, ..ViewOptions::default() });
    // A log saved by the live view: each student's connections on one lifeline, as there.
    let by_name = {
        let cache = use_mut_ref(|| None::<(std::rc::Rc<mailsim_sim::diagram::Diagram>, bool)>);
        let mut c = cache.borrow_mut();
        match &*c {
            Some((d, b)) if std::rc::Rc::ptr_eq(d, &player.diagram) => *b,
            _ => {
                let b = crate::layout::named_clients(&player.diagram);
                *c = Some((player.diagram.clone(), b));
                b
            }
        }
    };
    let search = use_state(String::new);
    let large = use_state(|| false);
    let note = use_state(String::new);
    let embed_open = use_state(|| false);
    let embed = embedded();
    // The scenarios' descriptions, which the search also looks in: fetched when the learner
    // first goes to the search field; the list is filtered again when they arrive.
    let described = use_state_eq(crate::data::all_described);
    let describe = {
        let described = described.clone();
        move || {
            let described = described.clone();
            crate::data::load_descriptions(move || described.set(true));
        }
    };
    let on_search_focus = {
        let describe = describe.clone();
        Callback::from(move |_: FocusEvent| describe())
    };
    let on_search = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            describe();
            if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                search.set(i.value());
            }
        })
    };
    let on_share = {
        let note = note.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(w) = web_sys::window() else { return };
            flush_fragment();
            let href = w.location().href().unwrap_or_default();
            let _ = w.navigator().clipboard().write_text(&href);
            note.set(format!("Link copied: {href}"));
        })
    };
    let on_export = {
        let (log, id, note) = (player.log.clone(), player.scenario.id.clone(), note.clone());
        Callback::from(move |e: Event| {
            let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else { return };
            let (ext, mime, text) = match sel.value().as_str() {
                "transcript" => ("txt", "text/plain", mailsim_sim::diagram::transcript(&log)),
                "mermaid" => ("mmd", "text/plain", mailsim_sim::export::mermaid(&log)),
                "plantuml" => ("puml", "text/plain", mailsim_sim::export::plantuml(&log)),
                "svg" => ("svg", "image/svg+xml", mailsim_sim::export::svg(&log)),
                "png" => {
                    download_png(&format!("mailsim-{id}.png"), &mailsim_sim::export::svg(&log));
                    note.set(format!("Saved mailsim-{id}.png"));
                    sel.set_value("");
                    return;
                }
                "json" => ("jsonl", "application/json", log.to_jsonl()),
                _ => return,
            };
            download(&format!("mailsim-{id}.{ext}"), mime, &text);
            note.set(format!("Saved mailsim-{id}.{ext}"));
            sel.set_value("");
        })
    };
    let on_save = {
        let (player, note, problem) = (player.clone(), note.clone(), problem.clone());
        Callback::from(move |_: MouseEvent| {
            let Some((name, text)) = player.save() else { return };
            // What is saved must open again: check it, and say what is wrong if it does not.
            match crate::engine::load_scenario(&name, &text) {
                Ok(_) => {
                    download(&name, "application/toml", &text);
                    note.set(format!("Saved {name}: open it with Open… to replay it"));
                }
                Err(e) => problem.set(format!("{name} would not open again: {e}")),
            }
        })
    };
    let on_toggle_conn = {
        let view = view.clone();
        Callback::from(move |c: u32| {
            let mut v = (*view).clone();
            if let Some(i) = v.collapsed.iter().position(|x| *x == c) {
                v.collapsed.remove(i);
            } else {
                v.collapsed.push(c);
            }
            view.set(v);
        })
    };
    // Per log, not per step.
    let protocols = use_memo(player.diagram.clone(), |d| {
        // Sorted and without repeats, kept so as it is built (no sort's code for this list).
        let mut p: Vec<String> = Vec::new();
        for a in &d.arrows {
            if let Err(i) = p.binary_search(&a.protocol) {
                p.insert(i, a.protocol.clone());
            }
        }
        p
    });
    let conns = use_memo((player.log.clone(), player.diagram.clone()), |(log, d)| connections(log, d));
    // A long list of connections is put in the menu only when it is opened.
    let conn_menu = use_state_eq(|| false);
    let view_bar = {
        let toggle_proto = |p: String| {
            let view = view.clone();
            Callback::from(move |_: Event| {
                let mut v = (*view).clone();
                if let Some(i) = v.hidden.iter().position(|x| *x == p) {
                    v.hidden.remove(i);
                } else {
                    v.hidden.push(p.clone());
                }
                view.set(v);
            })
        };
        let on_conn = {
            let view = view.clone();
            Callback::from(move |e: Event| {
                if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                    let mut v = (*view).clone();
                    v.only_conn = sel.value().parse().ok();
                    view.set(v);
                }
            })
        };
        let on_zoom = {
            let view = view.clone();
            Callback::from(move |e: Event| {
                if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                    let mut v = (*view).clone();
                    v.zoom = sel.value().parse().unwrap_or(100);
                    view.set(v);
                }
            })
        };
        let on_tcp = {
            let view = view.clone();
            Callback::from(move |_: Event| {
                let mut v = (*view).clone();
                v.tcp = !v.tcp;
                view.set(v);
            })
        };
        html! {
            <div class="view-bar" role="toolbar" aria-label="Diagram view">
                { for protocols.iter().map(|p| html! {
                    <label class="chip"><input type="checkbox" id={format!("show-{}", p.to_ascii_lowercase())} checked={!view.hidden.contains(p)} onchange={toggle_proto(p.clone())} />{ format!(" {p}") }</label>
                }) }
                <select id="only-conn" onchange={on_conn} aria-label="Show one connection"
                    onfocus={ { let m = conn_menu.clone(); Callback::from(move |_| m.set(true)) } }
                    onpointerdown={ { let m = conn_menu.clone(); Callback::from(move |_| m.set(true)) } }>
                    <option value="" selected={view.only_conn.is_none()}>{"All connections"}</option>
                    { for conns.iter().filter(|(c, _)| *conn_menu || conns.len() <= 40 || view.only_conn == Some(*c)).map(|(c, label)| html! { <option value={c.to_string()} selected={view.only_conn == Some(*c)}>{ label.clone() }</option> }) }
                </select>
                <label class="chip"><input type="checkbox" id="show-tcp" checked={view.tcp} onchange={on_tcp} />{" TCP segments"}</label>
                <select id="zoom" onchange={on_zoom} aria-label="Zoom">
                    { for [50u32, 75, 100, 125, 150, 200].iter().map(|z| html! { <option value={z.to_string()} selected={view.zoom == *z}>{ format!("{z}%") }</option> }) }
                </select>
            </div>
        }
    };
    let (step, len) = (player.step, player.len());
    // (A log dropped and another made at its address: at worst a frame of a step within it.)
    let panel = deferred(step, &player.log, use_force_update()).min(len);
    let has_tls = *use_memo(player.diagram.clone(), |d| d.arrows.iter().any(|a| a.tls));
    let transcript_open = use_state_eq(|| false);
    // The position and the clock show the panels' step: a step's own frame repaints the
    // diagram's row alone, and they follow with the panels a frame later (so do the track's
    // marker: a step's damage was one rectangle spanning the position at the top left, the row
    // and the marker at the pane's right edge: docs/benchmarks.md, session 22).
    let now = if panel == 0 { 0 } else { player.diagram.arrows[panel - 1].t };
    // A phone: the diagram and each panel are tabs.
    let narrow = use_narrow() && !embed;
    let (tab, on_tab) = use_tab();
    let transcript_shown = *transcript_open || (narrow && *tab == "transcript");
    let hidden_by_search = !search.is_empty()
        && !scenario::index().any(|s| s.id == player.scenario.id && matches(s, &search))
        && scenario::index().any(|s| s.id == player.scenario.id);
    html! {
        <div class={classes!("app", (*large).then_some("large"), embed.then_some("embed"), narrow.then_some("tabbed"))} data-step={step.to_string()}>
            <header class="top">
                <h1><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim"}</h1>
                <input id="search" class="search" type="search" placeholder="Find a scenario…" aria-label="Find a scenario" oninput={on_search} onfocus={on_search_focus} />
                <label class="picker">{"Scenario "}
                    <select id="scenario" ref={scenario_menu} onchange={on_scenario} aria-label="Scenario">
                        if player.scenario.id.starts_with(FILE_PREFIX) {
                            <option value="" selected=true disabled=true>{ format!("{} (opened file)", player.scenario.title) }</option>
                        }
                        if player.scenario.id == IMPORTED {
                            <option value="" selected=true disabled=true>{ format!("{} (opened log)", player.scenario.title) }</option>
                        }
                        // The scenario on screen stays what the menu shows when the search hides it
                        // (else the menu would show the first scenario found, which is not open).
                        if hidden_by_search {
                            <option value="" selected=true disabled=true>{ format!("{} (on screen)", player.scenario.title) }</option>
                        }
                        { for topics().into_iter().filter(|topic| scenario::index().any(|s| s.topic == *topic && matches(s, &search))).map(|topic| html! {
                            <optgroup label={topic}>
                                { for scenario::index().filter(|s| s.topic == topic && matches(s, &search)).map(|s| html! {
                                    <option value={s.id} selected={s.id == player.scenario.id}>{ s.title }</option>
                                }) }
                            </optgroup>
                        }) }
                    </select>
                </label>
                <p class="tagline">{ player.scenario.summary.clone() }</p>
                <a id="to-activities" class="nav-link" href="#/activities" onclick={Callback::from(|_| flush_fragment())} title="Clicker questions, predictions and hands-on tasks">{"Activities"}</a>
                <label class="import" title="Open a scenario file (.toml) or an event log (.jsonl, e.g. one written by mailsim serve --log)">{"Open… "}
                    <input id="import" type="file" accept=".toml,.jsonl,.json,application/json" onchange={on_import} />
                </label>
            </header>
            <div class="bar">
                <nav class="controls" aria-label="Playback controls">
                    <button id="reset" onclick={dispatch(|| Action::Reset)} title="Back to the start (Home)">{ icon(ICON_RESET) }{" Reset"}</button>
                    <button id="prev" onclick={dispatch(|| Action::Prev)} disabled={step == 0} title="Step back (←)">{ icon(ICON_BACK) }{" Back"}</button>
                    <button id="play" class="primary" onclick={dispatch(|| Action::TogglePlay)} aria-pressed={player.playing.to_string()} title="Play or pause (space)">
                        { if player.playing { icon(ICON_PAUSE) } else { icon(ICON_PLAY) } }
                        { if player.playing { " Pause" } else { " Play" } }
                    </button>
                    <button id="next" onclick={dispatch(|| Action::Next)} disabled={step == len} title="Step forward (→)">{"Next "}{ icon(ICON_NEXT) }</button>
                    <label class="speed">{"Speed "}
                        <select id="speed" onchange={on_speed} aria-label="Playback speed">
                            { for SPEEDS.iter().zip(SPEED_NAMES).map(|(s, name)| html! {
                                <option value={name} selected={*s == player.speed}>{ format!("{name}×") }</option>
                            }) }
                        </select>
                    </label>
                    <label class="toggle" title="Show what is inside TLS instead of the ciphertext on the wire">
                        <input id="decrypted" type="checkbox" checked={player.decrypted} disabled={!has_tls}
                            onchange={ { let d = player.dispatcher(); Callback::from(move |_: Event| d.dispatch(Action::ToggleDecrypted)) } } />
                        {" show decrypted"}
                    </label>
                    <span id="position" class="position" aria-live="polite">{ format!("step {panel} of {len}") }</span>
                    <span class="clock" title="Virtual time since the scenario started">{ format!("t = {}", format_time(now)) }</span>
                    <span class="tools">
                        <button id="share" onclick={on_share} title="Copy a link to this step">{"Share"}</button>
                        <button id="embed-btn" onclick={ { let e = embed_open.clone(); Callback::from(move |_| e.set(!*e)) } } title="Put this step in a course page">{"Embed"}</button>
                        <select id="export" onchange={on_export} aria-label="Export">
                            <option value="" selected=true>{"Export…"}</option>
                            <option value="svg">{"Diagram (SVG)"}</option>
                            <option value="png">{"Diagram (PNG)"}</option>
                            <option value="mermaid">{"Mermaid"}</option>
                            <option value="plantuml">{"PlantUML"}</option>
                            <option value="transcript">{"Transcript (text)"}</option>
                            <option value="json">{"Event log (JSON lines)"}</option>
                        </select>
                        <button id="save-scenario" onclick={on_save} disabled={player.source.is_none()} title="Download this scenario, with what you added, as a file that replays it">{"Save as scenario"}</button>
                        <button id="large" aria-pressed={large.to_string()} onclick={ { let l = large.clone(); Callback::from(move |_| l.set(!*l)) } } title="Larger text for a projector">{"A+"}</button>
                    </span>
                    <span class="keys" aria-hidden="true"><kbd>{"←"}</kbd>{" "}<kbd>{"→"}</kbd>{" step · "}<kbd>{"space"}</kbd>{" play · "}<kbd>{"Home"}</kbd>{" reset"}</span>
                </nav>
                if narrow {
                    <Tabs tabs={vec![("diagram", "Diagram"), ("details", "Details"), ("learn", "Try it"), ("world", "World"), ("transcript", "Transcript")]}
                        current={*tab} on_pick={on_tab} />
                }
            </div>
            if !note.is_empty() { <p id="note" class="note" role="status">{ (*note).clone() }</p> }
            if !player.queued.is_empty() { <p id="engine-status" class="note" role="status">{"Loading the simulator… what you did runs as soon as it is here."}</p> }
            if !problem.is_empty() {
                <div id="load-error" class="load-error" role="alert">
                    <pre>{ (*problem).clone() }</pre>
                    <button onclick={ { let p = problem.clone(); Callback::from(move |_| p.set(String::new())) } }>{"Dismiss"}</button>
                </div>
            }
            if let Some(a) = player.set_aside.clone() {
                <div id="set-aside" class="load-error" role="alert">
                    <p>{ format!("The page stopped the last time it replayed what you did here. So that the rest of your work plays, \
                        your newest action is set aside: {}.", crate::guard::describe(&a)) }</p>
                    <button id="set-aside-keep" onclick={ { let d = player.dispatcher(); Callback::from(move |_| d.dispatch(Action::SetAside(true))) } }>{"Put it back and try again"}</button>
                    <button id="set-aside-drop" onclick={ { let d = player.dispatcher(); Callback::from(move |_| d.dispatch(Action::SetAside(false))) } }>{"Drop it"}</button>
                </div>
            }
            if *embed_open {
                <div id="embed-dialog" class="embed-dialog" role="dialog" aria-label="Embed this step">
                    <p>{"Paste this into a course page. It shows this scenario and step in a compact layout:"}</p>
                    <textarea readonly=true rows="3" id="embed-code" value={embed_snippet()} />
                    <button onclick={ { let e = embed_open.clone(); Callback::from(move |_| e.set(false)) } }>{"Close"}</button>
                </div>
            }
            <main class="layout">
                { tab_panel(narrow, &tab, "diagram", html! {
                    <section class="diagram-pane" aria-label="Sequence diagram">
                        { view_bar }
                        <SequenceDiagram diagram={player.diagram.clone()} step={step} track_step={Some(panel)} decrypted={player.decrypted} on_select={on_select}
                            view={std::rc::Rc::new(ViewOptions { by_name, zoom: view.zoom * if *large { 5 } else { 4 } / 4, ..(*view).clone() })} on_toggle_conn={on_toggle_conn} />
                    </section>
                }) }
                // The step's own frame draws the diagram's row and the position; the side panels
                // follow in the next frame ([`deferred`]).
                <aside class="side" hidden={narrow && *tab == "diagram"}>
                    { tab_panel(narrow, &tab, "learn", html! {
                        <LearnerPanel player={std::rc::Rc::new(Player { step: panel, ..(*player).clone() })} dispatch={ { let d = player.dispatcher(); Callback::from(move |a| d.dispatch(a)) } } open={narrow && *tab == "learn"} />
                    }) }
                    { tab_panel(narrow, &tab, "details", html! {
                        <Details log={player.log.clone()} diagram={player.diagram.clone()} step={panel} info={player.scenario.clone()} decrypted={player.decrypted} />
                    }) }
                    { tab_panel(narrow, &tab, "world", html! { <WorldPanel log={player.log.clone()} diagram={player.diagram.clone()} step={panel} /> }) }
                    { tab_panel(narrow, &tab, "transcript", html! {
                        <details id="transcript" class="panel transcript" open={transcript_shown}
                            ontoggle={ { let o = transcript_open.clone(); Callback::from(move |e: Event| if let Some(d) = e.target_dyn_into::<web_sys::HtmlDetailsElement>() { o.set(d.open()) }) } }>
                            <summary>{"Text transcript (what the diagram shows)"}</summary>
                            if transcript_shown { <crate::transcript::Transcript diagram={player.diagram.clone()} step={panel} decrypted={player.decrypted} /> }
                        </details>
                    }) }
                </aside>
            </main>
        </div>
    }
}
