//! The page survives its own faults.
//!
//! A learner's actions are kept in local storage and replayed on every load. If one of them
//! ever made the page fail (a bug of ours: a panic stops the wasm module), replaying it on
//! the next load would fail again, in every new tab, until storage were cleared. So a marker
//! is set before the actions are replayed and cleared once the page has drawn the result
//! ([`clear`], called from the pages' effects). If a load finds the marker still set, the
//! last replay never finished: the page sets the newest action aside ([`tripped`]), plays the
//! rest, and asks the learner whether to put it back or drop it.
//!
//! A panic also shows a notice on the page ([`install`]) instead of leaving it frozen.

#[cfg(not(panic = "immediate-abort"))]
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(not(panic = "immediate-abort"))]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}

const MARKER: &str = "mailsim.replaying";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// Marks that `count` stored actions of `key` are being replayed (cleared by [`clear`]).
pub fn arm(key: &str, count: usize) {
    if count == 0 {
        return;
    }
    if let Some(s) = storage() {
        let _ = s.set_item(MARKER, &format!("{count}\t{key}"));
    }
}

/// The replay finished and was drawn.
pub fn clear() {
    if let Some(s) = storage() {
        if s.get_item(MARKER).ok().flatten().is_some() {
            let _ = s.remove_item(MARKER);
        }
    }
}

/// Did the last replay of `key`'s actions, `count` of them, never finish? Clears the marker.
pub fn tripped(key: &str, count: usize) -> bool {
    let Some(s) = storage() else { return false };
    let Some(v) = s.get_item(MARKER).ok().flatten() else { return false };
    let mine = v.split_once('\t').is_some_and(|(n, k)| k == key && n.parse() == Ok(count));
    if mine {
        let _ = s.remove_item(MARKER);
    }
    mine
}

/// On a panic, or an error the wasm module does not survive: a notice on the page (as text)
/// with a way to reload, and the message in the console. The release build's panics abort at
/// once (scripts/release-wasm.sh: no hook runs, the panic is a trap), and a trap such as a
/// stack overflow is one in any build: it reaches the page as an uncaught JavaScript error,
/// or, in an asynchronous task (a fetch's continuation), as an unhandled rejection whose
/// reason is a `WebAssembly.RuntimeError`.
pub fn install() {
    // Not in the release build, whose panics run no hook (its code would only weigh).
    #[cfg(not(panic = "immediate-abort"))]
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!("mailsim: {info}"));
        notice();
    }));
    if let Some(w) = web_sys::window() {
        gloo_events::EventListener::new(&w, "error", |_| notice()).forget();
        gloo_events::EventListener::new(&w, "unhandledrejection", |e| {
            use wasm_bindgen::JsCast;
            use web_sys::js_sys::{Reflect, WebAssembly::RuntimeError};
            if Reflect::get(e, &"reason".into()).is_ok_and(|r| r.is_instance_of::<RuntimeError>()) {
                notice();
            }
        })
        .forget();
    }
}

fn notice() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if doc.get_element_by_id("crashed").is_some() {
        return;
    }
    let Some(body) = doc.body() else { return };
    let Ok(div) = doc.create_element("div") else { return };
    div.set_id("crashed");
    div.set_attribute("role", "alert").ok();
    let Ok(p) = doc.create_element("p") else { return };
    p.set_text_content(Some(
        "Mailsim hit a bug and stopped. Reload the page: what you did last is set aside so that the rest of your \
         work plays, and you can choose to put it back or drop it.",
    ));
    let Ok(a) = doc.create_element("a") else { return };
    a.set_text_content(Some("Reload"));
    a.set_attribute("href", "").ok();
    a.set_attribute("class", "button").ok();
    div.append_child(&p).ok();
    div.append_child(&a).ok();
    body.append_child(&div).ok();
}

/// A learner's action in a few words, for the notice about it.
pub fn describe(a: &mailsim_sim::actions::Action) -> String {
    use mailsim_sim::actions::Action;
    match a {
        Action::Compose { sender, to, subject, .. } => format!("{sender} writes to {to}: \u{201c}{subject}\u{201d}"),
        Action::Terminal { host, port, lines, .. } => match lines.last() {
            Some(l) if l.chars().count() > 80 => {
                let head: String = l.chars().take(80).collect();
                format!("the terminal to {host} port {port}, last line typed: \u{201c}{head}\u{2026}\u{201d}")
            }
            Some(l) => format!("the terminal to {host} port {port}, last line typed: \u{201c}{l}\u{201d}"),
            None => format!("the terminal to {host} port {port}"),
        },
        Action::Fault { server, fault, .. } => format!("the fault \u{201c}{}\u{201d} on {server}", fault.name()),
    }
}
