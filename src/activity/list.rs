//! `#/activities`: the built-in activities (title, the learning goals they serve, items,
//! the learner's progress), and the instructor's corner: open an activity file (paste or
//! upload; located errors shown as text), load one with `?activity=URL`, embed one.

use super::markdown::{plain, render_line};
use super::run::View;
use super::store::{self, Library};
use super::view::short;
use crate::engine::score;
use mailsim_sim::activity::{Activity, LocatedError};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ListProps {
    pub library: Rc<Library>,
    pub on_change: Callback<Library>,
    /// A problem to show at the top (e.g. `?activity=` refused or not found).
    pub notice: Option<String>,
    /// Located errors of a file loaded with `?activity=`, and its text.
    pub load_errors: Option<(Vec<LocatedError>, String)>,
    pub compact: bool,
}

/// Located errors as text, each with its line of the file and a caret under the column.
pub fn error_list(errors: &[LocatedError], text: &str) -> Html {
    let lines: Vec<&str> = text.lines().collect();
    html! {
        <ol id="file-errors" class="file-errors" role="alert">
            { for errors.iter().map(|e| {
                let src = lines.get(e.line.saturating_sub(1)).copied();
                html! {
                    <li class="located-error" data-line={e.line.to_string()} data-column={e.column.to_string()}>
                        <code class="where">{ format!("{}:{}:{}", e.file, e.line, e.column) }</code>{": "}{ e.message.clone() }
                        if let Some(src) = src {
                            <pre class="excerpt">{ format!("{:>4} | {src}\n     | {}^", e.line, " ".repeat(e.column.saturating_sub(1))) }</pre>
                        }
                    </li>
                }
            }) }
        </ol>
    }
}

/// Offers `text` as a file download.
fn download(name: &str, text: &str) {
    use wasm_bindgen::{JsCast, JsValue};
    let parts = web_sys::js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/toml");
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

fn card(
    a: &Activity,
    lib: &Rc<Library>,
    on_change: &Callback<Library>,
    embed: &UseStateHandle<Option<String>>,
) -> Html {
    let progress = store::load_progress(a);
    let (done, n) = (progress.done(), a.items.len());
    let (right, graded) = score(a, &progress.answers);
    let custom = lib.is_custom(&a.id);
    let id = a.id.clone();
    let scenario = mailsim_sim::scenario::entry(&a.scenario).map(|s| s.title.to_string()).unwrap_or(a.scenario.clone());
    let go = if done == 0 {
        ("Start", View::Intro)
    } else if done < n {
        ("Continue", progress.answers.iter().position(Option::is_none).map(View::Item).unwrap_or(View::Summary))
    } else {
        ("Review", View::Summary)
    };
    let on_download = {
        let (lib, id) = (lib.clone(), id.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some((name, text)) = lib.source(&id) {
                download(&name, &text);
            }
        })
    };
    let on_remove = {
        let (lib, id, on_change) = (lib.clone(), id.clone(), on_change.clone());
        Callback::from(move |_: MouseEvent| {
            let mut l = (*lib).clone();
            l.remove(&id);
            on_change.emit(l);
        })
    };
    let on_embed = {
        let (embed, id) = (embed.clone(), id.clone());
        Callback::from(move |_: MouseEvent| {
            embed.set(if embed.as_deref() == Some(&id) { None } else { Some(id.clone()) })
        })
    };
    html! {
        <article class={classes!("card", custom.then_some("custom"))} id={format!("card-{id}")} data-activity={id.clone()} aria-labelledby={format!("title-{id}")}>
            <h3 id={format!("title-{id}")}><a href={View::Intro.fragment(&id)}>{ plain(&a.title) }</a>
                if custom { <span class="tag">{"loaded"}</span> }</h3>
            <p class="meta">{ format!("{}: {} · scenario “{scenario}”", super::items(n), a.counts()) }</p>
            if !a.goals.is_empty() {
                <ul class="goals" aria-label="Learning goals">{ for a.goals.iter().map(|g| html! { <li>{ render_line(g) }</li> }) }</ul>
            }
            <p class="progress-row">
                <progress max={n.to_string()} value={done.to_string()} aria-label="Progress" />
                <span class="progress-text">{ if done == 0 { "not started".to_string() } else { format!("{done} of {n} done, {right} of {graded} right") } }</span>
            </p>
            <p class="card-actions">
                <a class="button primary" id={format!("open-{id}")} href={go.1.fragment(&id)}>{ go.0 }</a>
                <a class="button" href={format!("{}?present=1{}", store::base_url(), View::Intro.fragment(&id))} title="Presenter mode, for a projector">{"Present"}</a>
                <button onclick={on_embed} aria-expanded={(embed.as_deref() == Some(&id)).to_string()}>{"Embed"}</button>
                <button onclick={on_download} title="The activity file, to copy and edit">{"Download file"}</button>
                if custom { <button class="danger" onclick={on_remove}>{"Remove"}</button> }
            </p>
            if embed.as_deref() == Some(&id) {
                <textarea class="snippet" readonly=true rows="3" aria-label="Embed code" value={store::embed_snippet(&id, None)} />
            }
        </article>
    }
}

#[function_component(ActivitiesPage)]
pub fn activities_page(props: &ListProps) -> Html {
    let goal = use_state(String::new);
    let embed = use_state(|| None::<String>);
    let pasted = use_node_ref();
    let errors = use_state(|| None::<(Vec<LocatedError>, String)>);
    let lib = &props.library;

    // A file: check it; open it if sound, else show where it is wrong.
    let open_text = {
        let (lib, on_change, errors) = (lib.clone(), props.on_change.clone(), errors.clone());
        Callback::from(move |(name, text): (String, String)| {
            let mut l = (*lib).clone();
            match l.add(&name, &text, None) {
                Ok(a) => {
                    errors.set(None);
                    on_change.emit(l);
                    super::view::go(&a.id, View::Intro);
                }
                Err(e) => errors.set(Some((e, text))),
            }
        })
    };
    let on_paste = {
        let (pasted, open_text) = (pasted.clone(), open_text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(t) = pasted.cast::<web_sys::HtmlTextAreaElement>() {
                open_text.emit(("pasted.toml".into(), t.value()));
            }
        })
    };
    let on_upload = {
        let open_text = open_text.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let open_text = open_text.clone();
            input.set_value("");
            wasm_bindgen_futures::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string());
                open_text.emit((file.name(), text.unwrap_or_default()));
            });
        })
    };
    let all_goals: Vec<String> = {
        let mut g: Vec<String> = vec![];
        for a in lib.custom.iter().chain(&lib.builtin) {
            for x in &a.goals {
                if !g.contains(x) {
                    g.push(x.clone());
                }
            }
        }
        g
    };
    let shown: Vec<&Activity> = lib
        .custom
        .iter()
        .chain(lib.builtin.iter().filter(|b| !lib.is_custom(&b.id)))
        .filter(|a| goal.is_empty() || a.goals.contains(&goal))
        .collect();
    let items: usize = lib.builtin.iter().map(|a| a.items.len()).sum();
    let on_goal = {
        let goal = goal.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                goal.set(s.value());
            }
        })
    };
    html! {
        <div class={classes!("app", "activity-app", "list-app", props.compact.then_some("compact"))}>
            <header class="top">
                <h1><a href="#/scenario/alice-to-bob" class="home" title="The playground"><span class="logo" aria-hidden="true">{"✉"}</span>{" Mailsim"}</a></h1>
                <nav class="crumbs" aria-label="Breadcrumb"><span aria-current="page">{"Activities"}</span></nav>
                <a class="button" href="#/scenario/alice-to-bob">{"Open the playground"}</a>
            </header>
            <main class="activities" id="activities">
                if let Some(n) = &props.notice { <p id="notice" class="notice" role="alert">{ n.clone() }</p> }
                if let Some((errs, text)) = &props.load_errors {
                    if errors.is_none() {
                        <section class="panel">
                            <h2>{"The activity file has problems"}</h2>
                            { error_list(errs, text) }
                        </section>
                    }
                }
                <section class="intro-block">
                    <h2>{"In-class activities"}</h2>
                    <p>{ format!("{} activities, {items} items: clicker questions, predicting the next message, hands-on tasks in the playground and discussion prompts. Your answers stay in this browser; at the end you get a completion code for your course's quiz tool.", lib.builtin.len()) }</p>
                    <label class="goal-filter">{"Learning goal "}
                        <select id="goal-filter" onchange={on_goal}>
                            <option value="" selected={goal.is_empty()}>{"All goals"}</option>
                            { for all_goals.iter().map(|g| html! { <option value={g.clone()} selected={*g == *goal}>{ short(&plain(g), 80) }</option> }) }
                        </select>
                    </label>
                </section>
                <div class="cards" id="activity-list">
                    { for shown.iter().map(|a| card(a, lib, &props.on_change, &embed)) }
                </div>
                <section class="panel instructors" id="instructors" aria-labelledby="instructors-title">
                    <h2 id="instructors-title">{"For instructors: your own activity"}</h2>
                    <p>{"An activity is a TOML file (see docs/activities.md in the repository; “Download file” on a card gives one to start from). Paste it or choose it here: it is checked, and problems are shown with their line and column. Files stay in this browser."}</p>
                    <form id="paste-form" class="paste-form" onsubmit={on_paste}>
                        <label for="paste">{"Activity file (TOML)"}</label>
                        <textarea id="paste" ref={pasted} rows="8" spellcheck="false" placeholder="[activity]\nid = \"my-activity\"\ntitle = \"…\"\nscenario = \"alice-to-bob\"\n\n[[item]]\nkind = \"choice\"\n…" />
                        <div class="row">
                            <button id="paste-open" class="primary" type="submit">{"Check and open"}</button>
                            <label class="upload">{"or upload a file "}<input id="upload" type="file" accept=".toml,text/plain,application/toml" onchange={on_upload} /></label>
                        </div>
                    </form>
                    if let Some((errs, text)) = (*errors).clone() { { error_list(&errs, &text) } }
                    <p class="hint-text">{"To hand an activity to students, put the file beside this page on your course site and link to "}
                        <code>{"?activity=activities/your-file.toml"}</code>{"; add "}<code>{"&embed=1"}</code>{" for a course page frame, or "}<code>{"&present=1"}</code>{" for the projector. Files load only from this page's own site."}</p>
                </section>
            </main>
        </div>
    }
}
