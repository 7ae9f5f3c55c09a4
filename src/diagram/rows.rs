//! The diagram's rows: drawn in chunks of [`CHUNK`], each a component that draws again only
//! when the step moves into, out of or within it (or the layout changes). A chunk draws its
//! rows as plain elements (no component per arrow: a chunk that leaves the window is one
//! component to destroy, not seventeen) and takes their clicks with one listener. A step thus
//! draws again one or two chunks and compares a handful, however many rows are drawn.
//!
//! A row holds only what differs from row to row: what is the same for every row (the arrow
//! heads, the text anchors, the row's background found as `.arrow > rect`) is in the
//! stylesheet (`www/style.css`, "The diagram's rows"), and
//! an arrow's tooltip (its step, ends and whole label) is made when the pointer enters it
//! ([`tooltip`]), not drawn with every row: the browser creates and styles nine nodes and 20
//! attributes for a new arrow instead of eleven and 22 (19 without a connection: no empty
//! `data-conn`).

use super::{chunk_top, fit, Cached, CHUNK, LEFT, ROW_H, TOP};
use crate::layout::Row;
use mailsim_sim::diagram::{format_time, Diagram};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The diagram's layout as a chunk reads it: the diagram's cache, compared by the number of
/// times it was laid out again or its lanes or names changed (rows added at the end change
/// only the chunks that hold them: [`ChunkProps::ver`]).
#[derive(Clone)]
pub(super) struct Laid(pub Rc<RefCell<Option<Cached>>>, pub u64);

impl PartialEq for Laid {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) && self.1 == other.1
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct ChunkProps {
    /// The layout, and the diagram it was made from (read from it: a new diagram is always
    /// laid out again, which changes the layout's number, or appended to, which changes the
    /// chunks' `ver`).
    pub layout: Laid,
    /// Rows `c * CHUNK ..`.
    pub c: usize,
    /// Changes when rows of the chunk were added or changed (a growing diagram).
    pub ver: u64,
    /// The chunk ends the diagram (its lifelines run to the bottom).
    pub last: bool,
    /// The step as the chunk's arrows see it: 0 when they are all to come, `usize::MAX` when
    /// all are past, else the step.
    pub step: usize,
    pub lane_w: i32,
    /// The diagram's width.
    pub width: i32,
    /// The width a row's background spans: the pane's, where it is wider than the diagram (the
    /// current row's highlight crosses the whole pane, not only the lanes).
    pub fill: i32,
    /// The scale drawn, in percent (the zoom times the text size).
    pub z: i32,
    /// Where the chunk's SVG begins and ends, in diagram units: its rows' (the first chunk
    /// drawn from the top, the last to the diagram's end, the chunks being stacked).
    pub top: i32,
    pub bottom: i32,
    pub decrypted: bool,
    pub on_select: Callback<usize>,
    pub on_toggle_conn: Callback<u32>,
}

/// What a chunk drew for its rows, made once and reused at each of its draws: a row is made
/// again (its numbers and strings formatted) only when its arrow's state (past, current,
/// future) changes, and all of them when what the rows are drawn from does (`Memo::key`: the
/// chunk's rows, the layout, the lanes' width, the rows' width, the labels shown).
#[derive(Default)]
struct Memo {
    key: Option<(u64, u64, i32, i32, i32, bool)>,
    /// Per row of the chunk: (the arrow's state, 3 for a row without one; what it drew).
    rows: Vec<Option<(u8, Html)>>,
    /// The tooltips made on hover (a few: the rows the pointer entered), and for which layout
    /// and labels.
    tips: Vec<web_sys::Element>,
    tips_for: (u64, bool),
}

/// A chunk of rows and the lifelines beside them (from the top of the diagram for the first).
#[function_component(Chunk)]
pub(super) fn chunk(props: &ChunkProps) -> Html {
    let memo = use_mut_ref(Memo::default);
    let cache = props.layout.0.borrow();
    // The diagram the layout was made from, and only that one: the layout is the diagram's,
    // shared, and made again by its render, which can come before this chunk's props follow
    // (a chunk that drew the layout of a longer log with the diagram of its own props read an
    // arrow past the end: a panic in WebKit, under load, after the playground's log changed;
    // so the props hold no diagram, and the tooltip reads the cache too).
    let Some((src, _, _, layout)) = &*cache else { return html! {} };
    let d = src.get();
    let rows = &layout.rows;
    let lane_w = props.lane_w;
    let x = |lane: usize| LEFT + lane_w * lane as i32 + lane_w / 2;
    let ax = |actor: usize| x(layout.lane(actor));
    let (width, fill) = (props.width, props.fill);
    let s = |n: i32| n.to_string();
    let c = props.c;
    let y0 = chunk_top(c);
    // One listener for the chunk's rows: a click on "collapse" or on a collapsed connection
    // toggles it, elsewhere on an arrow selects its step.
    let onclick = {
        let (select, toggle) = (props.on_select.clone(), props.on_toggle_conn.clone());
        Callback::from(move |e: MouseEvent| match hit(&e) {
            Some((_, Some(step), _)) => select.emit(step),
            Some((_, None, Some(conn))) => toggle.emit(conn),
            _ => {}
        })
    };
    // The tooltip of the arrow the pointer enters (one listener for the chunk, as for clicks).
    let onmouseover = {
        let (cache, decrypted, memo) = (props.layout.0.clone(), props.decrypted, memo.clone());
        Callback::from(move |e: MouseEvent| {
            let cache = cache.borrow();
            let Some((src, ..)) = &*cache else { return };
            if let Some((row, Some(step), _)) = hit(&e) {
                if let Some(title) = tooltip(&row, &src.get(), step, decrypted) {
                    memo.borrow_mut().tips.push(title);
                }
            }
        })
    };
    let y1 = if props.last { TOP + ROW_H * rows.len() as i32 + 24 } else { TOP + ROW_H * ((c + 1) * CHUNK) as i32 };
    // The arrow's state at the chunk's step, 3 for a row that has none.
    let state_of = |i: usize| match rows[i] {
        Row::Arrow { idx, .. } => d.arrows[idx].step.cmp(&props.step) as i8 as u8,
        _ => 3,
    };
    let make = |i: usize| {
        let y = TOP + ROW_H * i as i32 + 22;
        match rows[i] {
            Row::Segment { from, to, text, t } => {
                let (x1, x2) = (ax(from), ax(to));
                let dir = if x2 > x1 { 1 } else { -1 };
                html! {
                    <g key={i} class="tcp-seg">
                        <text class="time" x="6" y={s(y + 3)}>{ format_time(t) }</text>
                        <line x1={s(x1 + dir * 3)} y1={s(y)} x2={s(x2 - dir * 5)} y2={s(y)} />
                        <text class="label" x={s((x1 + x2) / 2)} y={s(y - 5)}>{ format!("TCP {text}") }</text>
                    </g>
                }
            }
            Row::Collapsed { idx, n } => {
                let a = &d.arrows[idx];
                let (x1, x2) = (ax(a.from), ax(a.to));
                let conn = a.conn.unwrap_or(0);
                html! {
                    <g key={i} class={classes!("collapsed", a.protocol.to_ascii_lowercase())} data-conn={conn.to_string()}>
                        <title>{"Click to expand this connection"}</title>
                        <rect y={s(y - 22)} width={s(fill)} height={s(ROW_H)} />
                        <text class="time" x="6" y={s(y + 3)}>{ format_time(a.t) }</text>
                        <line x1={s(x1.min(x2))} y1={s(y)} x2={s(x1.max(x2))} y2={s(y)} />
                        <text class="label" x={s((x1 + x2) / 2)} y={s(y - 6)}>{ format!("▸ {} session, port {}: {n} messages", a.protocol, a.port) }</text>
                    </g>
                }
            }
            Row::Arrow { idx, first } => {
                let a = &d.arrows[idx];
                let state = match state_of(i) {
                    255 => "past",
                    0 => "current",
                    _ => "future",
                };
                arrow(a, i, first, y, (width, fill), state, (ax(a.from), ax(a.to)), props.decrypted)
            }
        }
    };
    let mut memo = memo.borrow_mut();
    // A row drawn again for another arrow (a collapse, a filter, a login's new name, the labels
    // as the network sees them: the layout made again, or `decrypted`) keeps its element, and
    // with it the tooltip made for the arrow it showed: those go, made again on hover.
    let tips_for = (props.layout.1, props.decrypted);
    if memo.tips_for != tips_for {
        memo.tips_for = tips_for;
        for t in memo.tips.drain(..) {
            t.remove();
        }
    }
    let key = Some((props.ver, props.layout.1, lane_w, width, fill, props.decrypted));
    if memo.key != key {
        memo.key = key;
        memo.rows.clear();
    }
    memo.rows.resize(CHUNK, None);
    let row = |i: usize| {
        let state = state_of(i);
        match &mut memo.rows[i % CHUNK] {
            Some((s, html)) if *s == state => html.clone(),
            slot => slot.insert((state, make(i))).1.clone(),
        }
    };
    // An SVG of its own (a paint layer: src/diagram.rs); what stands out below it (a
    // "collapse" link's descent) is drawn.
    let (px, top, bottom) = (|units: i32| units * props.z / 100, props.top, props.bottom);
    html! {
        <svg class="rows" width={s(px(fill))} height={s(px(bottom) - px(top))} viewBox={format!("0 {top} {fill} {}", bottom - top)}>
            { for (0..layout.lanes.len()).map(|i| html! {
                <line class="lifeline" x1={s(x(i))} y1={s(y0)} x2={s(x(i))} y2={s(y1)} />
            }) }
            // Keyed among themselves, not matched by position after the lifelines.
            <g onclick={onclick} onmouseover={onmouseover}>{ for (c * CHUNK..((c + 1) * CHUNK).min(rows.len())).map(row) }</g>
        </svg>
    }
}

/// The row under a mouse event, from its target up: an arrow (its element, step and
/// connection), or "collapse" and a collapsed connection (a connection only).
fn hit(e: &MouseEvent) -> Option<(web_sys::Element, Option<usize>, Option<u32>)> {
    use wasm_bindgen::JsCast;
    let mut at = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    for _ in 0..3 {
        let el = at?;
        let step = el.get_attribute("data-step").and_then(|v| v.parse().ok());
        let conn = el.get_attribute("data-conn").and_then(|v| v.parse().ok());
        if step.is_some() || conn.is_some() {
            return Some((el, step, conn));
        }
        at = el.parent_element();
    }
    None
}

/// What an arrow's label says: its text, or what the network saw of a message inside TLS.
fn shown_label(a: &mailsim_sim::diagram::Arrow, decrypted: bool) -> String {
    if a.tls && !decrypted {
        format!("TLS record, {} bytes", a.size + 22)
    } else {
        a.label.clone()
    }
}

/// Gives the arrow of `step`, drawn as `row`, its tooltip (`Step N: sender → receiver: the
/// whole label`, the label cut to fit on the row): a `<title>`, made or brought up to date when
/// the pointer enters the row (and removed by its chunk when the row may show another arrow).
/// A title drawn with every row was two nodes and the row's longest string for each new row;
/// the pointer enters a few. (The diagram is `role="img"`: its rows'
/// titles were never read out by a screen reader.) Returns the title if it is new.
fn tooltip(row: &web_sys::Element, d: &Diagram, step: usize, decrypted: bool) -> Option<web_sys::Element> {
    let Ok(i) = d.arrows.binary_search_by_key(&step, |a| a.step) else { return None };
    let a = &d.arrows[i];
    let name = |i: usize| d.actors.get(i).map(|x| x.name.as_str()).unwrap_or("?");
    let text = format!("Step {}: {} → {}: {}", a.step, name(a.from), name(a.to), shown_label(a, decrypted));
    use wasm_bindgen::JsCast;
    let first = row.first_child();
    if let Some(t) =
        first.clone().and_then(|n| n.dyn_into::<web_sys::Element>().ok()).filter(|t| t.tag_name() == "title")
    {
        if t.text_content().as_deref() != Some(text.as_str()) {
            t.set_text_content(Some(&text));
        }
        return None;
    }
    let doc = web_sys::window().and_then(|w| w.document());
    let t = doc.and_then(|d| d.create_element_ns(Some("http://www.w3.org/2000/svg"), "title").ok())?;
    t.set_text_content(Some(&text));
    let _ = row.insert_before(&t, first.as_ref());
    Some(t)
}

/// One message's arrow, row `key` at height `y` in a diagram `width` wide (its background
/// `fill` wide): `state` is `past`, `current` or `future`, `x` the lifelines' x of its two
/// ends. Its arrow head is its protocol's (`marker-end` in the stylesheet), its tooltip made on
/// hover ([`tooltip`]).
#[allow(clippy::too_many_arguments, reason = "one row's parts, read once")]
fn arrow(
    a: &mailsim_sim::diagram::Arrow,
    key: usize,
    first: bool,
    y: i32,
    (width, fill): (i32, i32),
    state: &'static str,
    (x1, x2): (i32, i32),
    decrypted: bool,
) -> Html {
    let s = |n: i32| n.to_string();
    let dir = if x2 >= x1 { 1 } else { -1 };
    let (x1, x2) = (x1 + dir * 3, x2 - dir * 5);
    // Characters of the 11px monospace label font (about 6.7 px each) that fit.
    let room = (((x2 - x1).abs() - 12) * 10 / 67).max(8) as usize;
    let proto = a.protocol.to_ascii_lowercase();
    let label = shown_label(a, decrypted);
    let mid = (x1 + x2) / 2;
    html! {
        <g key={key} id={format!("arrow-{}", a.step)} class={classes!("arrow", proto, state, a.tls.then_some("tls"))} data-step={a.step.to_string()} data-conn={a.conn.map(|c| c.to_string())}>
            <rect y={s(y - 22)} width={s(fill)} height={s(ROW_H)} />
            <text class="time" x="6" y={s(y + 3)}>{ format_time(a.t) }</text>
            { for a.conn.filter(|_| first).map(|c| html! {
                <text class="collapse" x="6" y={s(y + 14)} data-conn={c.to_string()}>{"⊟ collapse"}</text>
            }) }
            <line x1={s(x1)} y1={s(y)} x2={s(x2)} y2={s(y)} />
            <text class="label" x={s(mid)} y={s(y - 6)}>{ fit(&label, room) }</text>
            { for a.phase.map(|ph| html! {
                <text class={classes!("phase", ph)} x={s(width - 6)} y={s(y + 3)}>{ format!("SMTP {ph}") }</text>
            }) }
            <text class="port" x={s(mid)} y={s(y + 12)}>
                { match (a.conn.is_some(), a.tls) {
                    (true, true) => format!("{} in TLS · TCP port {}", a.protocol, a.port),
                    (true, false) if a.protocol == "TCP" => format!("TCP port {}", a.port),
                    (true, false) => format!("{} · TCP port {}", a.protocol, a.port),
                    (false, _) => format!("{} · UDP port {}", a.protocol, a.port),
                } }
            </text>
        </g>
    }
}
