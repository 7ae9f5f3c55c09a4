//! The item panel: one question or task, its answer form, feedback, hint and explanation.
//! Presenter mode shows the same item without a form, its answer hidden until Reveal.

use super::markdown::{render, render_line};
use super::run::{Run, RunAction};
use crate::engine::grade;
use mailsim_sim::activity::{Accepted, Answer, Item, Kind, Response};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ItemProps {
    pub run: Rc<Run>,
    pub n: usize,
    pub dispatch: Callback<RunAction>,
}

/// A, B, C… for choices (as on a clicker).
pub fn letter(i: usize) -> String {
    char::from_u32('A' as u32 + (i as u32 % 26)).map(String::from).unwrap_or_default()
}

pub fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Choice => "Pick one",
        Kind::Multi => "Pick all that apply",
        Kind::Short => "Short answer",
        Kind::Predict => "Predict the next message",
        Kind::Task => "Do it in the playground",
        Kind::Discuss => "Discuss",
    }
}

/// The right choices of an item (choice, multi).
fn right_choices(item: &Item) -> Vec<usize> {
    match &item.answer {
        Answer::Indices { indices } => indices.clone(),
        Answer::Predicted(p) => item
            .choices
            .iter()
            .enumerate()
            .filter(|(_, c)| c.split([' ', ':']).next().is_some_and(|w| w.eq_ignore_ascii_case(&p.expected)))
            .map(|(i, _)| i)
            .collect(),
        _ => vec![],
    }
}

/// The answer, as the reveal shows it.
/// The answer key. A learner (`plain`) is shown the plain accepted answers only when there are
/// some: a `/regex/` that accepts other ways of writing them is for the instructor's eyes.
fn answer_key(item: &Item, plain: bool) -> Html {
    match &item.answer {
        Answer::Accepted { accepted } => html! {
            <div class="key">{"Accepted answers: "}
                <ul class="accepted-list">{ for accepted.iter().filter(|a| !(plain && matches!(a, Accepted::Pattern(_)) && accepted.iter().any(|t| matches!(t, Accepted::Text(_))))).map(|a| match a {
                    Accepted::Text(t) => html! { <li class="accepted" data-accepted={t.clone()}><code>{ t.clone() }</code></li> },
                    Accepted::Pattern(p) => html! { <li class="accepted" data-pattern={p.clone()}>{"matching "}<code>{ format!("/{p}/") }</code></li> },
                }) }</ul>
            </div>
        },
        Answer::Predicted(p) => html! {
            <p class="key">{ if p.command { "The next message is the command " } else { "The next message is the reply " } }
                <strong id="expected">{ p.expected.clone() }</strong>{": "}<code>{ p.label.clone() }</code>
                { format!(" ({}, step {})", p.protocol, p.reveal_step) }</p>
        },
        _ => html! {},
    }
}

#[function_component(ItemPanel)]
pub fn item_panel(props: &ItemProps) -> Html {
    let picked = use_state(Vec::<usize>::new);
    let text = use_state(String::new);
    let error = use_state(|| None::<String>);
    let run = &props.run;
    let n = props.n;
    let Some(item) = run.activity.items.get(n) else { return html! {} };
    let answered = run.answer(n).cloned();
    let present = run.present;
    let open = if present { run.revealed } else { answered.is_some() };
    let d = props.dispatch.clone();

    // What the learner chose, as recorded once answered.
    let shown_picks: Vec<usize> = match answered.as_ref().map(|a| &a.response) {
        Some(Response::Choices(v)) => v.clone(),
        Some(_) => vec![],
        None => (*picked).clone(),
    };
    let rights = right_choices(item);
    let uses_choices =
        matches!(item.kind, Kind::Choice | Kind::Multi) || (item.kind == Kind::Predict && !item.choices.is_empty());
    let uses_text = matches!(item.kind, Kind::Short) || (item.kind == Kind::Predict && item.choices.is_empty());

    let onsubmit = {
        let (d, picked, text, error, kind) = (d.clone(), picked.clone(), text.clone(), error.clone(), item.kind);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let response = if uses_choices {
                if picked.is_empty() {
                    error.set(Some(
                        if kind == Kind::Multi { "Tick at least one answer first." } else { "Pick an answer first." }
                            .into(),
                    ));
                    return;
                }
                Response::Choices((*picked).clone())
            } else if uses_text {
                if text.trim().is_empty() {
                    error.set(Some("Type an answer first.".into()));
                    return;
                }
                Response::Text((*text).clone())
            } else {
                return;
            };
            error.set(None);
            d.emit(RunAction::Answer(n, response));
        })
    };
    // Enter on a radio button or check box submits too (as it does in a text field).
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if matches!(input.type_().as_str(), "radio" | "checkbox") {
                    e.prevent_default();
                    if let Some(form) = input.form() {
                        let _ = form.request_submit();
                    }
                }
            }
        }
    });

    let choice_list = |interactive: bool| {
        let multi = item.kind == Kind::Multi;
        html! {
            <fieldset class="choices" disabled={!interactive} aria-describedby="item-prompt">
                <legend class="sr-only">{ if multi { "Choices (pick all that apply)" } else { "Choices (pick one)" } }</legend>
                { for item.choices.iter().enumerate().map(|(i, c)| {
                    let checked = shown_picks.contains(&i);
                    let right = open && rights.contains(&i);
                    let wrong = open && !present && checked && !rights.contains(&i);
                    let onchange = {
                        let picked = picked.clone();
                        Callback::from(move |_: Event| {
                            let mut v = if multi { (*picked).clone() } else { vec![] };
                            if let Some(p) = v.iter().position(|x| *x == i) { v.remove(p); } else { v.push(i); }
                            v.sort_unstable();
                            picked.set(v);
                        })
                    };
                    html! {
                        <label class={classes!("choice", checked.then_some("picked"), right.then_some("right"), wrong.then_some("wrong"))}
                            data-choice={i.to_string()} data-right={right.then_some("true")}>
                            if !present {
                                <input type={if multi { "checkbox" } else { "radio" }} name={format!("item-{n}")} id={format!("choice-{i}")}
                                    checked={checked} onchange={onchange} />
                            }
                            <span class="letter" aria-hidden="true">{ letter(i) }</span>
                            { render_line(c) }
                            if right { <span class="mark" aria-label="right answer">{" ✓"}</span> }
                            if wrong { <span class="mark" aria-label="wrong answer">{" ✗"}</span> }
                        </label>
                    }
                }) }
            </fieldset>
        }
    };

    let body = match item.kind {
        Kind::Task => {
            let check = item.check.as_ref();
            let outcome = run.outcome.clone();
            let done = answered.is_some() || outcome.as_ref().is_some_and(|o| o.done);
            html! {
                <div class="task">
                    { for check.map(|c| html! {
                        <p class="goal" data-check={serde_json::to_string(c).unwrap_or_default()}><strong>{"Goal: "}</strong>{ c.describe() }</p>
                    }) }
                    { for outcome.map(|o| html! {
                        <p id="task-status" class={classes!("status", if done { "done" } else { "todo" })} data-done={done.to_string()} role="status" aria-live="polite">
                            <strong>{ if o.done { "Done: " } else if done { "Done earlier. Now: " } else { "Not yet: " } }</strong>{ o.detail }
                        </p>
                    }) }
                    if !present {
                        <p class="hint-text">{"Use “Try it yourself” below the question (compose, terminal, faults). The goal is checked against what really happens, every time you act."}</p>
                    }
                </div>
            }
        }
        Kind::Discuss => html! {
            if !present && answered.is_none() {
                <button id="reveal-model" class="primary" onclick={ { let d = d.clone(); Callback::from(move |_| d.emit(RunAction::Answer(n, Response::Revealed))) } }>
                    {"Show the model answer"}</button>
            }
        },
        _ if present => html! {
            if uses_choices { { choice_list(false) } }
        },
        _ => html! {
            <form id="answer-form" class="answer-form" onsubmit={onsubmit} onkeydown={onkeydown}>
                if uses_choices { { choice_list(answered.is_none()) } }
                if uses_text {
                    <label class="text-answer">{ if item.kind == Kind::Predict { "The next command verb or reply code " } else { "Your answer " } }
                        <input id="answer" type="text" autocomplete="off" spellcheck="false" disabled={answered.is_some()} aria-describedby="item-prompt"
                            placeholder={ if item.kind == Kind::Predict { "a command verb or a reply code" } else { "" } }
                            value={ match answered.as_ref().map(|a| &a.response) { Some(Response::Text(t)) => t.clone(), _ => (*text).clone() } }
                            oninput={ { let text = text.clone(); Callback::from(move |e: InputEvent| {
                                if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() { text.set(i.value()); }
                            }) } } />
                    </label>
                }
                if let Some(msg) = (*error).clone() { <p class="form-error" role="alert">{ msg }</p> }
                if answered.is_none() {
                    <button id="submit" class="primary" type="submit">{ if item.kind == Kind::Predict { "Predict" } else { "Check answer" } }</button>
                }
            </form>
        },
    };

    // Feedback (learner) or the revealed answer (presenter).
    let feedback = if present {
        html! {
            if run.revealed {
                <div id="revealed" class="feedback revealed" role="status">
                    { answer_key(item, false) }
                    if let Some(m) = &item.model { <div class="model"><strong>{"Model answer"}</strong>{ render(m) }</div> }
                    if !item.explain.is_empty() { <div class="explain">{ render(&item.explain) }</div> }
                </div>
            }
        }
    } else if let Some(a) = &answered {
        let fb = grade(item, &a.response);
        let retry = !a.correct && matches!(item.kind, Kind::Choice | Kind::Multi | Kind::Short);
        html! {
            <div id="feedback" class={classes!("feedback", if a.correct { "right" } else { "wrong" })} role="status" data-correct={a.correct.to_string()}>
                if item.kind != Kind::Discuss {
                    <p class="verdict"><strong>{ if a.correct { "✓ " } else { "✗ " } }</strong>{ fb.message }</p>
                }
                if !a.correct { { answer_key(item, true) } }
                if let Some(m) = &item.model { <div class="model"><strong>{"Model answer"}</strong>{ render(m) }</div> }
                if !item.explain.is_empty() { <div class="explain">{ render(&item.explain) }</div> }
                if retry {
                    <button id="retry" onclick={ { let d = d.clone(); Callback::from(move |_| d.emit(RunAction::Retry(n))) } }>{"Try again"}</button>
                }
            </div>
        }
    } else {
        html! {}
    };

    let hint_open = run.progress.hints.contains(&n);
    let hint = match (&item.hint, present || open) {
        (Some(h), false) => html! {
            if hint_open {
                <div id="hint" class="hint-box"><strong>{"Hint: "}</strong>{ render(h) }</div>
            } else {
                <button id="hint-btn" class="link" onclick={ { let d = d.clone(); Callback::from(move |_| d.emit(RunAction::Hint(n))) } }>{"Show a hint"}</button>
            }
        },
        _ => html! {},
    };

    html! {
        <section id="item" class={classes!("panel", "item", format!("kind-{}", item.kind.name()))} aria-labelledby="item-title" data-kind={item.kind.name()} data-item={(n + 1).to_string()}>
            <p class="item-meta">
                <span id="item-title" class="item-no">{ format!("Item {} of {}", n + 1, run.activity.items.len()) }</span>
                <span class={classes!("kind", format!("kind-{}", item.kind.name()))}>{ kind_label(item.kind) }</span>
                { for item.step.map(|s| html! { <span class="at-step">{ format!("at step {s}") }</span> }) }
            </p>
            <div id="item-prompt" class="prompt">{ render(&item.prompt) }</div>
            { body }
            { hint }
            { feedback }
            if present {
                <button id="reveal" class="primary" aria-pressed={run.revealed.to_string()} onclick={ { let d = d.clone(); Callback::from(move |_| d.emit(RunAction::Reveal)) } }>
                    { if run.revealed { "Hide answer (R)" } else { "Reveal (R)" } }</button>
            }
        </section>
    }
}
