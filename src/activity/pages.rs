//! The first and last page of an activity: the intro (goals, items) and the summary (score,
//! each item, the completion code to paste into the course's quiz tool).

use super::item::{kind_label, letter};
use super::markdown::{plain, render_line};
use super::run::{Run, RunAction, View};
use super::view::{intro, item_summary, short};
use crate::engine::{completion_code, score};
use mailsim_sim::activity::{Item, Kind, Response};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PageProps {
    pub run: Rc<Run>,
}

#[function_component(IntroPage)]
pub fn intro_page(props: &PageProps) -> Html {
    let a = &props.run.activity;
    let scenario = mailsim_sim::scenario::entry(&a.scenario).map(|s| s.title.to_string()).unwrap_or(a.scenario.clone());
    html! {
        <section id="intro" class="panel intro" aria-labelledby="intro-title">
            <h2 id="intro-title">{ plain(&a.title) }</h2>
            { intro(a) }
            if !a.goals.is_empty() {
                <h3>{"Learning goals"}</h3>
                <ul class="goals">{ for a.goals.iter().map(|g| html! { <li>{ render_line(g) }</li> }) }</ul>
            }
            <p class="meta">{ format!("{} ({}) on the scenario “{scenario}”.", super::items(a.items.len()), a.counts()) }
                if props.run.present { {" Presenter mode: ← → move between items, R reveals the answer."} }
                else { {" Your answers stay in this browser."} }
            </p>
            { item_summary(a) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    pub run: Rc<Run>,
    pub dispatch: Callback<RunAction>,
}

/// What the learner answered, in a few words.
fn response_text(item: &Item, r: &Response) -> String {
    match r {
        Response::Choices(v) => v
            .iter()
            .map(|i| format!("{}. {}", letter(*i), item.choices.get(*i).map(|c| plain(c)).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; "),
        Response::Text(t) => format!("“{}”", short(t.trim(), 60)),
        Response::TaskDone => "done in the playground".into(),
        Response::Revealed => "model answer read".into(),
    }
}

#[function_component(SummaryPage)]
pub fn summary_page(props: &SummaryProps) -> Html {
    let note = use_state(String::new);
    let run = &props.run;
    let a = &run.activity;
    let answers = &run.progress.answers;
    let (right, graded) = score(a, answers);
    let done = run.progress.done();
    let code = completion_code(a, answers);
    let copy = {
        let (code, note) = (code.clone(), note.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&code);
            }
            note.set(format!("Copied {code}"));
        })
    };
    if run.present {
        return html! {
            <section id="summary" class="panel summary">
                <h2>{"That was the last item"}</h2>
                <p>{ format!("{}. Students working through it on their own get a summary and a completion code here.", super::items(a.items.len())) }</p>
            </section>
        };
    }
    html! {
        <section id="summary" class="panel summary" aria-labelledby="summary-title">
            <h2 id="summary-title">{"Summary"}</h2>
            <p class="score"><strong id="score">{ format!("{right} of {graded}") }</strong>{ format!(" graded items right; {done} of {} items done.", a.items.len()) }</p>
            <table class="per-item">
                <thead><tr><th scope="col">{"#"}</th><th scope="col">{"Item"}</th><th scope="col">{"Your answer"}</th><th scope="col">{"Result"}</th></tr></thead>
                <tbody>
                    { for a.items.iter().enumerate().map(|(i, it)| {
                        let ans = run.answer(i);
                        let (class, result) = match ans {
                            None => ("open", "not done yet"),
                            Some(_) if it.kind == Kind::Discuss => ("right", "discussed"),
                            Some(x) if x.correct => ("right", "✓ right"),
                            Some(_) => ("wrong", "✗ not right"),
                        };
                        html! {
                            <tr class={class} data-item={(i + 1).to_string()}>
                                <td><a href={View::Item(i).fragment(&a.id)}>{ (i + 1).to_string() }</a></td>
                                <td><span class={classes!("kind", format!("kind-{}", it.kind.name()))} title={kind_label(it.kind)}>{ it.kind.name() }</span>{" "}{ short(&plain(&it.prompt), 70) }</td>
                                <td>{ ans.map(|x| response_text(it, &x.response)).unwrap_or_default() }</td>
                                <td class="result">{ result }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <div class="completion">
                <h3>{"Completion code"}</h3>
                <p>{"Paste this code into your course's quiz tool. It is computed from this activity and your answers, the same in every browser."}</p>
                <p class="code-row"><output id="completion-code" class="code" aria-label="Completion code">{ code }</output>
                    <button id="copy-code" onclick={copy}>{"Copy"}</button></p>
                if !note.is_empty() { <p class="note-inline" role="status">{ (*note).clone() }</p> }
                if done < a.items.len() {
                    <p id="incomplete" class="warn">{ format!("{} item{} not done yet: this code covers the answers so far.", a.items.len() - done, if a.items.len() - done == 1 { " is" } else { "s are" }) }</p>
                }
            </div>
        </section>
    }
}
