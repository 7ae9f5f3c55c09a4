//! The text transcript, one line per message (what the diagram shows), in a box that scrolls;
//! a line is two rows of text (who to whom, then the label), cut with an ellipsis if long.
//! The playground's and the live view's.
//!
//! Drawn like the diagram's rows: up to [`ALL`] lines every line; beyond, only the lines in
//! view and an overscan, in steps of [`CHUNK`] lines, between two blank boxes as tall as the
//! lines left out, so the scroll bar is true and every line is a scroll away. Lines are keyed by
//! their step: a step, a scroll or a live append adds and removes only the lines that come into
//! or leave the window, whatever the length of the log. The current step's line is brought into
//! view (nearest edge), as the diagram's arrow is. While the live view grows, a draw makes at
//! most [`NEW_PER_FRAME`](crate::growing::NEW_PER_FRAME) new lines, the newest first, and the
//! rest in the next frames (as the diagram's rows).

use crate::growing::{draw_next_frame, newest_first, Src};
use mailsim_sim::diagram::{format_time, Diagram};
use yew::prelude::*;

/// A line's height in CSS pixels: the ends, then the label below them (www/style.css,
/// `.transcript-rows li`).
const LINE_PX: i32 = 34;
/// Up to this many lines, all are drawn (the e2e tests of short runs read every line).
const ALL: usize = 300;
/// The window moves by this many lines.
const CHUNK: usize = 16;
/// Chunks drawn beyond those in view, on each side.
const OVER: usize = 1;
/// The box's height before it is measured (16rem).
const BOX_PX: i32 = 256;

#[derive(Properties, PartialEq)]
pub struct TranscriptProps {
    pub diagram: Src<Diagram>,
    pub step: usize,
    /// What is inside TLS, or what the network sees.
    pub decrypted: bool,
    /// The live view's lines (the ends by name, protocol, label), else the playground's
    /// sentences (time, ends, protocol, port, label); the label in a `.label` of its own.
    #[prop_or_default]
    pub live: bool,
    /// The list's id.
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// The lines `[from, to)` of `len` drawn when the box shows from pixel `top` and is `height` tall.
fn window(len: usize, top: i32, height: i32) -> (usize, usize) {
    if len <= ALL {
        return (0, len);
    }
    let first = (top.max(0) / LINE_PX) as usize;
    let shown = (height.max(LINE_PX) / LINE_PX) as usize + 1;
    let chunks = len.div_ceil(CHUNK);
    let c0 = (first / CHUNK).min(chunks - 1).saturating_sub(OVER);
    let c1 = ((first + shown) / CHUNK + 1 + OVER).min(chunks);
    (c0 * CHUNK, (c1 * CHUNK).min(len))
}

/// The scroll position that brings line `i` into a box showing from `top`, `height` tall
/// (the nearest edge), or `None` when it is in view.
fn into_view(i: usize, top: i32, height: i32) -> Option<i32> {
    let y = i as i32 * LINE_PX;
    if y < top {
        Some(y)
    } else if y + LINE_PX > top + height {
        Some((y + LINE_PX - height).max(0))
    } else {
        None
    }
}

/// The box as last seen or set: its scroll position and height (0 until it is scrolled by hand:
/// then [`BOX_PX`]), the step (and length) last brought into view, a scroll position to set
/// after the render, and whether the box was scrolled by this.
#[derive(Default)]
struct Seen {
    top: i32,
    height: i32,
    key: (usize, usize),
    pending: Option<i32>,
    scrolled: bool,
    /// Live: the lines drawn `[from, to)`, whether lines in the window wait for a next frame
    /// (at most `NEW_PER_FRAME` new lines a frame, the newest first), and that frame is asked for.
    drawn: (usize, usize),
    short: bool,
    asked: std::rc::Rc<std::cell::Cell<bool>>,
}

#[function_component(Transcript)]
pub fn transcript(props: &TranscriptProps) -> Html {
    let d = &*props.diagram.get();
    let len = d.arrows.len();
    let scroller = use_node_ref();
    let seen = use_mut_ref(|| Seen { key: (usize::MAX, 0), ..Seen::default() });
    // Draws again when a scroll by hand reaches another chunk (a scroll within one draws nothing).
    let redraw = use_force_update();
    // A new step (or a new log, or a live log that grew while following): its line into view.
    {
        let mut s = seen.borrow_mut();
        let h = if s.height > 0 { s.height } else { BOX_PX };
        if s.key != (props.step, len) {
            s.key = (props.step, len);
            if let Some(want) = props.step.checked_sub(1).and_then(|i| into_view(i, s.top, h)) {
                s.top = want;
                s.pending = Some(want);
            }
        }
    }
    {
        let (scroller, seen) = (scroller.clone(), seen.clone());
        use_effect(move || {
            let mut s = seen.borrow_mut();
            if let (Some(t), Some(el)) = (s.pending.take(), scroller.cast::<web_sys::Element>()) {
                s.scrolled = true;
                el.set_scroll_top(t);
            }
        });
    }
    // A scroll by hand: where the box is now (its own scrolls are known: reading the box's size
    // then would lay the page out again, at every draw while following live).
    let onscroll = {
        let (scroller, seen, redraw) = (scroller.clone(), seen.clone(), redraw.clone());
        Callback::from(move |_: Event| {
            let mut s = seen.borrow_mut();
            // A hidden box (a closed tab) has no height and no scroll position: kept as they were.
            match scroller.cast::<web_sys::Element>() {
                Some(el) if !std::mem::take(&mut s.scrolled) && el.client_height() > 0 => {
                    let chunk = |top: i32| top.max(0) / LINE_PX / CHUNK as i32;
                    let before = chunk(s.top);
                    s.top = el.scroll_top();
                    s.height = el.client_height();
                    if chunk(s.top) != before {
                        redraw.force_update();
                    }
                }
                _ => {}
            }
        })
    };
    let (top, height) = {
        let s = seen.borrow();
        (s.top, if s.height > 0 { s.height } else { BOX_PX })
    };
    let (mut from, to) = window(len, top, height);
    if props.live && cfg!(feature = "full") {
        let mut s = seen.borrow_mut();
        let (a, b) = s.drawn;
        if b < len || s.short {
            from = newest_first(from, to, &|i| usize::from(!(a..b).contains(&i)));
        }
        s.drawn = (from, to);
        s.short = from > window(len, top, height).0;
        if s.short {
            draw_next_frame(&s.asked, &redraw);
        }
    }
    let name = |i: usize| d.actors.get(i).map(|a| a.name.as_str()).unwrap_or("?");
    let gap = |lines: usize| {
        (lines > 0).then(|| {
            html! { <svg class="gap" width="1" height={(lines as i32 * LINE_PX).to_string()} aria-hidden="true"></svg> }
        })
    };
    let line = |a: &mailsim_sim::diagram::Arrow| {
        let current = a.step == props.step;
        // What the network sees of a message inside TLS, as the diagram labels it.
        let label =
            if a.tls && !props.decrypted { format!("TLS record, {} bytes", a.size + 22) } else { a.label.clone() };
        let head = if props.live {
            format!("{} → {} {} ", name(a.from), name(a.to), a.protocol)
        } else {
            format!("{} {} to {}, {} port {}: ", format_time(a.t), name(a.from), name(a.to), a.protocol, a.port)
        };
        html! {
            <li key={a.step} class={current.then_some("current")} aria-current={current.then_some("step")}>
                { head }<span class="label">{ label }</span>
            </li>
        }
    };
    html! {
        <div class="transcript-rows" ref={scroller} {onscroll} tabindex="0">
            { for gap(from) }
            <ol id={props.id.clone()} start={(from + 1).to_string()}>
                { for d.arrows[from..to].iter().map(line) }
            </ol>
            { for gap(len - to) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_logs_draw_every_line() {
        assert_eq!(window(0, 0, 256), (0, 0));
        assert_eq!(window(ALL, 4000, 256), (0, ALL));
    }

    #[test]
    fn long_logs_draw_the_lines_in_view_and_an_overscan() {
        // At the top: the chunk in view and the next, then the overscan.
        let (from, to) = window(5000, 0, 256);
        assert_eq!(from, 0);
        assert!(to > 256 / LINE_PX as usize && to <= 4 * CHUNK, "{to}");
        // In the middle: the lines in view are inside, and the window is bounded.
        let top = 2500 * LINE_PX;
        let (from, to) = window(5000, top, 256);
        assert!(from <= 2500 && to > 2500 + (256 / LINE_PX) as usize, "{from}..{to}");
        assert!(to - from <= 5 * CHUNK, "{from}..{to}");
        // At the end.
        let (from, to) = window(5000, 5000 * LINE_PX - 256, 256);
        assert_eq!(to, 5000);
        assert!(from >= 5000 - 5 * CHUNK);
        // Past the end (a stale position): still the last lines.
        assert_eq!(window(5000, 10_000 * LINE_PX, 256).1, 5000);
        assert!(window(5000, 10_000 * LINE_PX, 256).0 < 5000);
    }

    #[test]
    fn the_current_line_is_brought_into_view_at_the_nearest_edge() {
        assert_eq!(into_view(0, 0, 256), None);
        assert_eq!(into_view(12, 0, 256), Some(13 * LINE_PX - 256));
        assert_eq!(into_view(3, 200, 256), Some(3 * LINE_PX));
        assert_eq!(into_view(6, 200, 256), None);
    }
}
