//! One activity on screen: the item bar, the sequence diagram of its scenario beside the
//! item panel (or the intro, or the summary), and, for tasks, the playground's "Try it
//! yourself" panel working on this activity's own copy of the world.
//!
//! Keyboard: learner: ← → step the diagram, PageUp/PageDown previous/next page; presenter
//! (`?present=1`): ← → previous/next item, R reveal, `,` `.` step the diagram.

use super::item::{kind_label, ItemPanel};
use super::markdown::{plain, render};
use super::pages::{IntroPage, SummaryPage};
use super::run::{visible, Run, RunAction, View};
use super::store;
use crate::diagram::{SequenceDiagram, ViewOptions};
use crate::learner::LearnerPanel;
use crate::panels::{Details, WorldPanel};
use crate::state::{self, Info, Player};
use gloo_events::{EventListener, EventListenerOptions};
use mailsim_sim::activity::{Activity, Kind};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RunProps {
    pub activity: Rc<Activity>,
    pub view: View,
    pub present: bool,
    pub compact: bool,
    /// Where the file came from with `?activity=` (for links and the embed snippet).
    pub file_url: Option<String>,
    /// The URL named a page this activity does not have: what to say about it.
    #[prop_or_default]
    pub missing: Option<String>,
}

/// Opens a page of the activity (a new history entry, so Back works).
pub fn go(id: &str, v: View) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&v.fragment(id));
    }
}

/// This page again, with `?present=1` on or off (keeping `?activity=` and `?embed=`).
fn present_link(id: &str, view: View, on: bool, file_url: Option<&str>) -> String {
    let mut q = vec![];
    if on {
        q.push("present=1".to_string());
    }
    if store::embedded() {
        q.push("embed=1".into());
    }
    if let Some(u) = file_url {
        q.push(format!("activity={}", store::encode(u)));
    }
    let q = if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) };
    format!("{}{q}{}", store::base_url(), view.fragment(id))
}

/// The scenario's name for the panels. Not its summary and description: they tell the
/// story of the whole run, the next messages included, which a question may ask to predict
/// (the activity's own intro says what the learner needs).
fn scenario_info(run: &Run) -> Info {
    let title = mailsim_sim::scenario::entry(&run.activity.scenario)
        .map(|s| s.title.to_string())
        .unwrap_or_else(|| run.activity.scenario.clone());
    Info { id: run.activity.scenario.clone(), title, summary: String::new(), description: String::new() }
}

#[function_component(RunPage)]
pub fn run_page(props: &RunProps) -> Html {
    let run = use_reducer(|| Run::new(props.activity.clone(), props.view, props.present));
    let embed_open = use_state(|| false);
    let confirm_reset = use_state(|| false);
    let aside_seen = use_state(|| false);
    let id = props.activity.id.clone();
    // The learner's actions were replayed and drawn: a reload need not set any aside.
    use_effect(crate::guard::clear);
    let items = props.activity.items.len();

    // The URL says which page is open.
    {
        let d = run.dispatcher();
        use_effect_with(props.view, move |v| d.dispatch(RunAction::Show(*v)));
    }
    // The keyboard.
    {
        let (d, id, present) = (run.dispatcher(), id.clone(), props.present);
        use_effect_with(props.view, move |view| {
            let view = *view;
            let doc = web_sys::window().and_then(|w| w.document()).expect("a document");
            let opts = EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(&doc, "keydown", opts, move |e| {
                let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                if e.ctrl_key() || e.meta_key() || e.alt_key() {
                    return;
                }
                let target = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let tag = target.as_ref().map(|t| t.tag_name()).unwrap_or_default();
                // Fields (and radio buttons, which move with the arrows) keep their keys.
                if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
                    return;
                }
                let key = e.key();
                if matches!(tag.as_str(), "BUTTON" | "A" | "SUMMARY") && matches!(key.as_str(), " " | "Enter") {
                    return;
                }
                let page = |v: Option<View>| {
                    if let Some(v) = v {
                        go(&id, v);
                    }
                };
                match (present, key.as_str()) {
                    (true, "ArrowRight") | (_, "PageDown") => page(view.next(items)),
                    (true, "ArrowLeft") | (_, "PageUp") => page(view.prev(items)),
                    (true, "r" | "R") => d.dispatch(RunAction::Reveal),
                    (true, ".") | (false, "ArrowRight") => d.dispatch(RunAction::Next),
                    (true, ",") | (false, "ArrowLeft") => d.dispatch(RunAction::Prev),
                    (_, "Home") => d.dispatch(RunAction::First),
                    (_, "End") => d.dispatch(RunAction::Last),
                    _ => return,
                }
                e.prevent_default();
            });
            move || drop(listener)
        });
    }

    let (log, diagram) = visible(&run);
    let step = run.step.min(diagram.arrows.len());
    let limit = run.limit();
    let hidden = run.hidden_after().filter(|s| *s < run.shown().1.arrows.len());
    let dispatch = |a: fn() -> RunAction| {
        let d = run.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(a()))
    };
    let has_tls = diagram.arrows.iter().any(|a| a.tls);

    // The item bar: intro, each item (with its state), summary.
    let bar = {
        let link = |v: View, label: Html, class: Classes, title: String| {
            let current = run.view == v;
            html! {
                <a href={v.fragment(&id)} class={classes!("pill", class, current.then_some("current"))} title={title.clone()} aria-label={title}
                    aria-current={current.then_some("page")}>{ label }</a>
            }
        };
        let done = run.progress.done();
        html! {
            <nav class="item-bar" aria-label="Pages of this activity">
                { link(View::Intro, html! {"Intro"}, classes!("intro-pill"), "Introduction".into()) }
                { for props.activity.items.iter().enumerate().map(|(i, it)| {
                    let state = match run.answer(i) {
                        _ if run.present => "",
                        Some(a) if a.correct => "right",
                        Some(_) => "wrong",
                        None => "",
                    };
                    let title = format!("Item {}: {}{}", i + 1, kind_label(it.kind),
                        match state { "right" => ", done", "wrong" => ", answered (not right)", _ => "" });
                    link(View::Item(i), html! { { (i + 1).to_string() } }, classes!("item-pill", state, format!("kind-{}", it.kind.name())), title)
                }) }
                { link(View::Summary, html! {"Summary"}, classes!("summary-pill"), "Summary and completion code".into()) }
                if !run.present {
                    <span class="progress-text" id="progress"><progress max={items.to_string()} value={done.to_string()} />{ format!(" {done} of {items} done") }</span>
                }
            </nav>
        }
    };

    let page_nav = {
        let prev = run.view.prev(items);
        let next = run.view.next(items);
        html! {
            <nav class="page-nav" aria-label="Previous and next">
                if let Some(p) = prev { <a id="prev-item" class="button" href={p.fragment(&id)}>{"← Previous"}</a> }
                if let Some(n) = next {
                    <a id="next-item" class="button primary" href={n.fragment(&id)}>
                        { match (run.view, n) { (View::Intro, View::Item(_)) if run.progress.done() == 0 => "Start →", (View::Intro, _) => "Continue →", (_, View::Summary) => "Finish →", _ => "Next →" } }</a>
                }
            </nav>
        }
    };

    let side = match run.view {
        View::Intro => html! { <IntroPage run={Rc::new((*run).clone())} /> },
        View::Summary => {
            html! { <SummaryPage run={Rc::new((*run).clone())} dispatch={ { let d = run.dispatcher(); Callback::from(move |a| d.dispatch(a)) } } /> }
        }
        View::Item(n) => html! {
            <ItemPanel key={format!("{}-{n}", props.activity.id)} run={Rc::new((*run).clone())} n={n}
                dispatch={ { let d = run.dispatcher(); Callback::from(move |a| d.dispatch(a)) } } />
        },
    };

    // "Try it yourself", on this activity's own world, while a task is open.
    let learner = run.on_task().then(|| {
        let player = Player {
            scenario: Rc::new(scenario_info(&run)),
            log: run.played.clone(),
            diagram: run.played_diagram.clone(),
            step,
            playing: false,
            speed: 1.0,
            decrypted: run.decrypted,
            actions: Rc::new(run.progress.actions.clone()),
            // Saving as a scenario file is for the playground, not an activity's world.
            source: None,
            set_aside: None,
            queued: Rc::default(),
        };
        let d = run.dispatcher();
        let on_learn = Callback::from(move |a: state::Action| match a {
            state::Action::Learn(x) => d.dispatch(RunAction::Learn(x)),
            state::Action::Forget => d.dispatch(RunAction::Forget),
            _ => {}
        });
        html! { <LearnerPanel player={Rc::new(player)} dispatch={on_learn} open={true} /> }
    });

    let title = plain(&props.activity.title);
    let on_select = {
        let d = run.dispatcher();
        Callback::from(move |s: usize| d.dispatch(RunAction::Goto(s)))
    };
    let view_opts = use_memo((), |_| ViewOptions { zoom: 100, ..ViewOptions::default() });
    let file_url = props.file_url.clone();
    html! {
        <div class={classes!("app", "activity-app", props.present.then_some("present"), props.compact.then_some("compact"))}>
            <header class="top">
                <h1><a href="#/scenario/alice-to-bob" class="home" title="The playground"><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim"}</a></h1>
                <nav class="crumbs" aria-label="Breadcrumb">
                    <a href="#/activities" id="to-activities">{"Activities"}</a><span aria-hidden="true">{" › "}</span>
                    <span aria-current="page" class="activity-title">{ title }</span>
                </nav>
                <span class="tools">
                    if props.present {
                        <a id="leave-present" class="button" href={present_link(&id, run.view, false, file_url.as_deref())}>{"Leave presenter mode"}</a>
                    } else {
                        <a id="present-link" class="button" href={present_link(&id, run.view, true, file_url.as_deref())} title="Large text, answers hidden until Reveal, ← → between items">{"Present"}</a>
                        <button id="embed-btn" onclick={ { let e = embed_open.clone(); Callback::from(move |_| e.set(!*e)) } } aria-expanded={embed_open.to_string()}>{"Embed"}</button>
                        <button id="reset-btn" onclick={ { let c = confirm_reset.clone(); Callback::from(move |_| c.set(true)) } }>{"Reset"}</button>
                    }
                </span>
            </header>
            if *confirm_reset {
                <div class="confirm" role="alertdialog" aria-label="Start over?">
                    <p>{"Start this activity over? Your answers and what you did in the playground for it are forgotten."}</p>
                    <button id="reset-yes" class="danger" onclick={ { let (d, c) = (run.dispatcher(), confirm_reset.clone()); Callback::from(move |_| { d.dispatch(RunAction::Reset); c.set(false); }) } }>{"Yes, start over"}</button>
                    <button id="reset-no" onclick={ { let c = confirm_reset.clone(); Callback::from(move |_| c.set(false)) } }>{"Cancel"}</button>
                </div>
            }
            if let (Some(what), false) = (run.set_aside.clone(), *aside_seen) {
                <div id="set-aside" class="load-error" role="alert">
                    <p>{ format!("The page stopped the last time it replayed what you did here. So that the rest of your work plays, \
                        your newest action was dropped: {what}. Your answers are kept.") }</p>
                    <button onclick={ { let a = aside_seen.clone(); Callback::from(move |_| a.set(true)) } }>{"OK"}</button>
                </div>
            }
            if *embed_open {
                <div id="embed-dialog" class="embed-dialog" role="dialog" aria-label="Embed this activity">
                    <p>{"Paste this line into a course page: the activity runs in a compact frame, and each student's progress stays in their own browser."}</p>
                    <textarea readonly=true rows="3" id="embed-code" value={store::embed_snippet(&id, file_url.as_deref())} />
                    <button onclick={ { let e = embed_open.clone(); Callback::from(move |_| e.set(false)) } }>{"Close"}</button>
                </div>
            }
            { bar }
            if let Some(m) = &props.missing {
                <div id="no-such-page" class="load-error" role="alert"><p>{ m.clone() }</p></div>
            }
            <main class="layout activity-layout">
                <section class="diagram-pane" aria-label="Sequence diagram">
                    <div class="step-bar" role="toolbar" aria-label="Diagram steps">
                        <button id="prev" onclick={dispatch(|| RunAction::Prev)} disabled={step == 0} title="Step back (←)">{"◀ Back"}</button>
                        <button id="next" onclick={dispatch(|| RunAction::Next)} disabled={step >= limit} title="Step forward (→)">{"Next ▶"}</button>
                        <span id="position" class="position" aria-live="polite">{ format!("step {step} of {}", run.shown().1.arrows.len()) }</span>
                        if has_tls {
                            <label class="toggle"><input id="decrypted" type="checkbox" checked={run.decrypted} onchange={ { let d = run.dispatcher(); Callback::from(move |_: Event| d.dispatch(RunAction::ToggleDecrypted)) } } />{" show decrypted"}</label>
                        }
                        if let Some(s) = hidden {
                            <span id="hidden-note" class="hidden-note">{ format!("What comes after step {s} is hidden until {}.", match (run.view, run.present, run.item().map(|i| i.kind)) {
                                (View::Intro, true, _) => "its item is revealed",
                                (View::Intro, false, _) => "you answer the items about it",
                                (_, true, _) => "you reveal it",
                                (_, false, Some(Kind::Predict)) => "you predict it",
                                _ => "you answer",
                            }) }</span>
                        }
                    </div>
                    <SequenceDiagram diagram={diagram.clone()} step={step} decrypted={run.decrypted} on_select={on_select}
                        view={view_opts} on_toggle_conn={Callback::from(|_| ())} draw_all=true />
                </section>
                <aside class="side" aria-label="Activity">
                    { side }
                    { page_nav }
                    { for learner }
                    if !props.present && run.view != View::Summary {
                        <Details log={log.clone()} diagram={diagram.clone()} step={step} info={Rc::new(scenario_info(&run))} decrypted={run.decrypted}
                            states_hidden={hidden == Some(step)} />
                        <WorldPanel log={log} diagram={diagram} step={step} />
                    }
                </aside>
            </main>
        </div>
    }
}

/// The intro's list of items, also used by the activities page.
pub fn item_summary(a: &Activity) -> Html {
    html! {
        <ol class="item-list">
            { for a.items.iter().enumerate().map(|(i, it)| html! {
                <li><a href={View::Item(i).fragment(&a.id)}><span class={classes!("kind", format!("kind-{}", it.kind.name()))}>{ kind_label(it.kind) }</span>{" "}{ short(&plain(&it.prompt), 90) }</a></li>
            }) }
        </ol>
    }
}

/// At most `n` characters, cut at a word.
pub fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let cut: String = s.chars().take(n).collect();
    format!("{}…", cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut))
}

/// Markdown intro, for the intro page.
pub fn intro(a: &Activity) -> Html {
    if a.intro.trim().is_empty() {
        html! {}
    } else {
        render(&a.intro)
    }
}
