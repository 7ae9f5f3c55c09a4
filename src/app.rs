//! The page: header with the scenario picker, playback controls, the diagram and the panels.
//! Keyboard: → next, ← back, space play/pause, Home reset, End last step.

use crate::diagram::SequenceDiagram;
use crate::learner::LearnerPanel;
use crate::panels::{Details, WorldPanel};
use crate::state::{parse_fragment, Action, Player, DEFAULT_SCENARIO, SPEEDS};
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Interval;
use mailsim_sim::diagram::format_time;
use mailsim_sim::scenario::SCENARIOS;
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

/// The scenario topics, in the order they first appear.
fn topics() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in SCENARIOS {
        if !out.contains(&s.topic) {
            out.push(s.topic);
        }
    }
    out
}

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

#[function_component(App)]
pub fn app() -> Html {
    let player = use_reducer(|| {
        let (id, step) = parse_fragment(&current_hash()).unwrap_or((DEFAULT_SCENARIO.into(), 0));
        Player::open(&id, step)
    });

    // Keyboard shortcuts, on the whole document.
    {
        let d = player.dispatcher();
        use_effect_with((), move |_| {
            let document = web_sys::window().and_then(|w| w.document()).expect("a document");
            // Not passive: the handler must be able to stop space from scrolling the page.
            let listener = EventListener::new_with_options(&document, "keydown", EventListenerOptions::enable_prevent_default(), move |e| {
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
            });
            move || drop(listener)
        });
    }

    // The URL fragment opens a scenario and step (typed, pasted, or back/forward).
    {
        let d = player.dispatcher();
        use_effect_with((), move |_| {
            let window = web_sys::window().expect("a window");
            let listener = EventListener::new(&window, "hashchange", move |_| {
                if let Some((id, step)) = parse_fragment(&current_hash()) {
                    d.dispatch(Action::Open(id, step));
                }
            });
            move || drop(listener)
        });
    }

    // Stepping updates the fragment (replacing the history entry, not adding one per step).
    {
        let fragment = player.fragment();
        use_effect_with(fragment, |fragment| {
            if current_hash() != *fragment {
                if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                    let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(fragment));
                }
            }
        });
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
                d.dispatch(Action::Open(sel.value(), 0));
            }
        })
    };
    let on_import = {
        let d = player.dispatcher();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let d = d.clone();
            let name = file.name();
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()).unwrap_or_default();
                match mailsim_sim::EventLog::from_jsonl(&text) {
                    Ok(log) => d.dispatch(Action::Import(name, std::rc::Rc::new(log))),
                    Err(err) => {
                        if let Some(w) = web_sys::window() {
                            let _ = w.alert_with_message(&format!("{name} is not a Mailsim event log: {err}"));
                        }
                    }
                }
            });
        })
    };
    let on_speed = {
        let d = player.dispatcher();
        Callback::from(move |e: Event| {
            if let Some(sel) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                if let Ok(s) = sel.value().parse::<f64>() {
                    d.dispatch(Action::SetSpeed(s));
                }
            }
        })
    };
    let on_select = {
        let d = player.dispatcher();
        Callback::from(move |step: usize| d.dispatch(Action::Goto(step)))
    };

    let (step, len) = (player.step, player.len());
    let has_tls = player.diagram.arrows.iter().any(|a| a.tls);
    let now = if step == 0 { 0 } else { player.diagram.arrows[step - 1].t };
    html! {
        <div class="app">
            <header class="top">
                <h1><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim"}</h1>
                <label class="picker">{"Scenario "}
                    <select id="scenario" onchange={on_scenario} aria-label="Scenario">
                        { for topics().into_iter().map(|topic| html! {
                            <optgroup label={topic}>
                                { for SCENARIOS.iter().filter(|s| s.topic == topic).map(|s| html! {
                                    <option value={s.id} selected={s.id == player.scenario.id.as_str()}>{ s.title }</option>
                                }) }
                            </optgroup>
                        }) }
                    </select>
                </label>
                <p class="tagline">{ player.scenario.summary.clone() }</p>
                <label class="import" title="Open an event log, e.g. one written by mailsim serve --log">{"Open log… "}
                    <input id="import" type="file" accept=".jsonl,.json,application/json" onchange={on_import} />
                </label>
            </header>
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
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={*s == player.speed}>{ format!("{s}×") }</option>
                        }) }
                    </select>
                </label>
                <label class="toggle" title="Show what is inside TLS instead of the ciphertext on the wire">
                    <input id="decrypted" type="checkbox" checked={player.decrypted} disabled={!has_tls}
                        onchange={ { let d = player.dispatcher(); Callback::from(move |_: Event| d.dispatch(Action::ToggleDecrypted)) } } />
                    {" show decrypted"}
                </label>
                <span id="position" class="position" aria-live="polite">{ format!("step {step} of {len}") }</span>
                <span class="clock" title="Virtual time since the scenario started">{ format!("t = {}", format_time(now)) }</span>
                <span class="keys" aria-hidden="true"><kbd>{"←"}</kbd>{" "}<kbd>{"→"}</kbd>{" step · "}<kbd>{"space"}</kbd>{" play · "}<kbd>{"Home"}</kbd>{" reset"}</span>
            </nav>
            <main class="layout">
                <section class="diagram-pane" aria-label="Sequence diagram">
                    <SequenceDiagram diagram={player.diagram.clone()} step={step} decrypted={player.decrypted} on_select={on_select} />
                </section>
                <aside class="side">
                    <LearnerPanel player={std::rc::Rc::new((*player).clone())} dispatch={ { let d = player.dispatcher(); Callback::from(move |a| d.dispatch(a)) } } />
                    <Details log={player.log.clone()} diagram={player.diagram.clone()} step={step} info={player.scenario.clone()} decrypted={player.decrypted} />
                    <WorldPanel log={player.log.clone()} diagram={player.diagram.clone()} step={step} />
                </aside>
            </main>
        </div>
    }
}
