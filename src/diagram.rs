//! The sequence diagram in SVG: one lifeline per lane, one arrow per protocol message.
//!
//! Its cost per step does not depend on the length of the log: the layout ([`Layout`]) is
//! computed once per log and view, and only the rows in view (plus an overscan) are drawn in
//! an SVG as tall as the whole run, so the scroll bar is true. A track beside it shows the
//! whole run (its protocols, the part in view, the current step) and jumps where clicked. The
//! actors' header stays visible while the arrows scroll; lanes keep a readable width and the
//! diagram scrolls sideways rather than shrinking. Coordinates are whole pixels. While a live
//! diagram grows, a draw makes at most [`NEW_PER_FRAME`](crate::growing::NEW_PER_FRAME) new
//! rows (whole chunks, the newest always), the newest first, and the rest in the next frames.

mod rows;

use crate::growing::{draw_next_frame, newest_first, Src};
use crate::layout::{Layout, Row};
use gloo_events::EventListener;
use mailsim_sim::diagram::Diagram;
use rows::{Chunk, Laid};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use yew::prelude::*;

const LEFT: i32 = 70;
const HEAD_H: i32 = 58;
const ROW_H: i32 = 36;
const TOP: i32 = 8;
/// Lane widths, in diagram units: lanes share the pane's width between these bounds.
const MIN_W: i32 = 150;
/// Narrower lanes, down to this, only when the whole diagram then fits the pane (see `widths`).
const SQUEEZE_W: i32 = 128;
const MAX_W: i32 = 280;
/// Up to this many rows everything is drawn; beyond, only a window around the view.
const ALL_ROWS: usize = 160;
/// Rows are drawn in chunks of this many (a group each).
const CHUNK: usize = 16;
/// Chunks drawn beyond those in view, on each side: one (16 rows, more than half a pane at
/// 1,440×900) keeps rows drawn when the pane scrolls a little, and the chunks drawn follow the
/// view after each step or scroll. Two drew 6–7 chunks at 1,440×900 (96–112 rows, 891 DOM
/// nodes against 686), all walked by Chromium's paint at a step that scrolls, however little
/// changed in them (docs/benchmarks.md, "Branch step14").
const OVER: usize = 1;
/// While a live diagram grows, the chunks beyond those in view wait until it has not grown for
/// this long: following, the view moves at each draw, by more than they hold in a burst (and
/// under load draws are a few hundred ms apart); scrolling draws what comes into view anyway.
const SETTLE_MS: f64 = 1000.0;

/// Where chunk `c`'s rows (and its SVG) begin, in diagram units: the first from the top.
fn chunk_top(c: usize) -> i32 {
    if c == 0 {
        0
    } else {
        TOP + ROW_H * (c * CHUNK) as i32
    }
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Moves the chunks drawn to where the view is, after `delay` ms, and not before the diagram
/// has stopped growing for [`SETTLE_MS`].
fn catch_up_later(
    delay: u32,
    grown: Rc<Cell<f64>>,
    drawn: Rc<RefCell<Option<(usize, usize)>>>,
    pending: Rc<Cell<bool>>,
    force: UseForceUpdateHandle,
) {
    gloo_timers::callback::Timeout::new(delay, move || {
        let quiet = now_ms() - grown.get();
        if quiet < SETTLE_MS {
            return catch_up_later((SETTLE_MS - quiet) as u32 + 1, grown, drawn, pending, force);
        }
        pending.set(false);
        *drawn.borrow_mut() = None;
        force.force_update();
    })
    .forget();
}

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// A log's diagram, or the live view's, which grows (laid out by appending).
    pub diagram: Src<Diagram>,
    pub step: usize,
    /// Label TLS-protected arrows by their content rather than as ciphertext.
    pub decrypted: bool,
    pub on_select: Callback<usize>,
    /// What to show: protocols hidden, one connection only, collapsed connections, TCP
    /// segments, zoom.
    pub view: Rc<ViewOptions>,
    /// Collapse or expand a connection.
    pub on_toggle_conn: Callback<u32>,
    /// Draw every row, not only those in view (an activity's world stays small, and its
    /// checks count the arrows).
    #[prop_or_default]
    pub draw_all: bool,
    /// The step the run's track marks, if not `step`: the playground's side panels' step, so
    /// that the marker, at the pane's far edge, is drawn with the panels a frame after the row
    /// (a step's frame then repaints the row alone: src/app.rs, `deferred`).
    #[prop_or_default]
    pub track_step: Option<usize>,
}

/// The layout of a diagram, with what it was made from (the diagram, the view, the groups
/// shown expanded).
type Cached = (Src<Diagram>, Rc<ViewOptions>, Vec<String>, Layout);

#[derive(Clone, PartialEq, Default)]
pub struct ViewOptions {
    pub hidden: Vec<String>,
    pub only_conn: Option<u32>,
    pub collapsed: Vec<u32>,
    pub tcp: bool,
    /// Percent.
    pub zoom: u32,
    /// Actors of the same name and host share a lane (the live view: a student's connections).
    pub by_name: bool,
}

/// Cuts `label` to `max` characters, marking the cut.
fn fit(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        format!("{}…", label.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

/// The room an SMTP phase's name takes at the right of the last lifeline (`SMTP HANDSHAKE`,
/// 10 px capitals about 111 units wide, a gap before it and the margin after).
const PHASE_W: i32 = 118;

/// A lane's width and the diagram's, for a pane `pane` units wide: the lanes share the pane
/// (within [`MIN_W`]..[`MAX_W`]); with SMTP phases, the half lane right of the last lifeline
/// is widened to hold the phase's name, so that it is never drawn over an arrow (a phone's
/// lanes are narrow), and the lanes share what is left. Lanes narrower than [`MIN_W`], down to
/// [`SQUEEZE_W`], when the whole diagram then fits the pane: six lanes at 1,440 px, four in the
/// 1,024 px embed, with every phase's name in view, where at [`MIN_W`] the pane cut the names
/// ("SMTP HAN") and the last lane, to be scrolled to sideways.
fn widths(pane: i32, lanes: usize, phases: bool) -> (i32, i32) {
    let n = lanes.max(1) as i32;
    let room = pane - LEFT - 10;
    let extra = |w: i32| if phases { (PHASE_W - w / 2).max(0) } else { 0 };
    let w = (room / n).clamp(SQUEEZE_W, MAX_W);
    let w = if extra(w) > 0 { ((room - PHASE_W) * 2 / (2 * n - 1)).clamp(SQUEEZE_W, MAX_W) } else { w };
    let width = |w: i32| LEFT + w * n + 10 + extra(w);
    // What the lanes share at MIN_W is the same, raised to MIN_W.
    let lane_w = if width(w) <= pane { w } else { w.max(MIN_W) };
    (lane_w, width(lane_w))
}

/// What a chunk draws besides its own rows: the number of lanes (lifelines, the width) and
/// each actor's lane and name, hashed (an arrow's ends and title). A login renames an actor, a
/// new client can join a group's lane; an actor that joins is in no row drawn before.
#[derive(Default)]
struct Shape(usize, Vec<u64>);

impl Shape {
    /// Takes `l` and `d` in: `None` if the lanes changed (every row is drawn otherwise), else
    /// the actors whose lane or name changed (the rows with one of them at an end).
    fn update(&mut self, l: &Layout, d: &Diagram) -> Option<Vec<bool>> {
        // FNV-1a over the lane and the name.
        let sig = |i: usize, name: &str| {
            let lane = (l.lane(i) as u32).to_le_bytes();
            lane.iter()
                .chain(name.as_bytes())
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
        };
        let now: Vec<u64> = d.actors.iter().enumerate().map(|(i, a)| sig(i, &a.name)).collect();
        let same_lanes = self.0 == l.lanes.len();
        let changed = now.iter().enumerate().map(|(i, s)| self.1.get(i).is_some_and(|old| old != s)).collect();
        *self = Shape(l.lanes.len(), now);
        same_lanes.then_some(changed)
    }
}

/// The scroll pane's size, the chunk of rows in view and the page's text size (what a
/// re-render depends on).
#[derive(Clone, Copy, PartialEq)]
struct Port {
    chunk: usize,
    height: i32,
    width: i32,
    /// The root's font size in percent of 16 px: the browser's text size (text zoom), which
    /// the diagram's text follows as the page's does.
    text: u32,
}

fn scroller_port(el: &web_sys::Element, row_px: i32) -> (Port, i32) {
    let top = el.scroll_top();
    let first = ((top - TOP).max(0) / row_px.max(1)) as usize;
    // Whole pixels ("32px", "17.6px" as 17): parsing a float would pull std's decimal-to-float
    // code into the page.
    let text = web_sys::window()
        .and_then(|w| w.get_computed_style(&w.document()?.document_element()?).ok()?)
        .and_then(|s| s.get_property_value("font-size").ok())
        .map_or(100, |v| v.bytes().take_while(u8::is_ascii_digit).fold(0, |n, b| n * 10 + u32::from(b - b'0')) * 100 / 16);
    (Port { chunk: first / CHUNK, height: seen_height(el, row_px), width: el.client_width(), text }, top)
}

/// The height of the pane that can be seen: on a phone the page itself scrolls and the pane can
/// reach below the window (then a step "in view" of the pane was below the screen); elsewhere
/// the pane's own height.
fn seen_height(el: &web_sys::Element, row_px: i32) -> i32 {
    let own = el.client_height();
    let window_h = web_sys::window().and_then(|w| w.inner_height().ok()).and_then(|h| h.as_f64());
    match window_h {
        Some(h) => {
            let seen = (h - el.get_bounding_client_rect().top()) as i32;
            if seen >= 2 * row_px {
                own.min(seen)
            } else {
                own
            }
        }
        None => own,
    }
}

#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &DiagramProps) -> Html {
    let d = &*props.diagram.get();
    let v = &props.view;
    let expanded = use_state(Vec::<String>::new);
    // Laid out once per log and view; a growing log is laid out by appending what it gained.
    let cache = use_mut_ref(|| None::<Cached>);
    // Bumped whenever the layout changes other than by rows added at its end: made again, or
    // lanes or names changed (every chunk compares it).
    let gen = use_mut_ref(|| 0u64);
    // Growing: each chunk's version (its rows added or changed: only those chunks draw again)
    // and what the chunks draw beside their rows (lanes, actors' names), hashed.
    let vers = use_mut_ref(|| (0u64, Vec::<u64>::new(), Shape::default()));
    // The chunks drawn (a range), and whether a move of them to where the view is waits.
    let drawn = use_mut_ref(|| None::<(usize, usize)>);
    let catch_up = use_memo((), |_| Rc::new(Cell::new(false)));
    // When the diagram last grew (ms), and whether it grew for this render.
    let grown = use_memo((), |_| Rc::new(Cell::new(f64::NEG_INFINITY)));
    let mut grew = false;
    // Growing: the first row appended by this render; and whether chunks in view wait for a
    // next frame (at most `NEW_PER_FRAME` new rows a frame), and that frame is asked for.
    let mut new_from = usize::MAX;
    let short = use_memo((), |_| (Rc::new(Cell::new(false)), Rc::new(Cell::new(false))));
    let force = use_force_update();
    {
        let mut c = cache.borrow_mut();
        match &mut *c {
            Some((src, view, e, l))
                if src.same(&props.diagram) && view == v && *e == *expanded && (*src == props.diagram || !v.tcp) =>
            {
                if *src != props.diagram {
                    // The chunks drawn stay (those with new rows draw them); those the view
                    // needs are added below.
                    l.append(d, v, e);
                    new_from = l.changed_from;
                    *src = props.diagram.clone();
                    let (n, chunk_vers, shape) = &mut *vers.borrow_mut();
                    *n += 1;
                    chunk_vers.resize(l.rows.len().div_ceil(CHUNK), 0);
                    for ver in chunk_vers.iter_mut().skip(l.changed_from / CHUNK) {
                        *ver = *n;
                    }
                    match shape.update(l, d) {
                        None => *gen.borrow_mut() += 1,
                        // Renamed or moved actors: the chunks with their arrows draw again.
                        Some(moved) if moved.contains(&true) => {
                            let hit = |i: usize| moved.get(i).copied().unwrap_or(false);
                            for (r, row) in l.rows.iter().enumerate() {
                                let (a, b) = match *row {
                                    Row::Arrow { idx, .. } | Row::Collapsed { idx, .. } => {
                                        d.arrows.get(idx).map_or((0, 0), |a| (a.from, a.to))
                                    }
                                    Row::Segment { from, to, .. } => (from, to),
                                };
                                if hit(a) || hit(b) {
                                    chunk_vers[r / CHUNK] = *n;
                                }
                            }
                        }
                        Some(_) => {}
                    }
                    grew = true;
                    grown.set(now_ms());
                }
            }
            _ => {
                let l = Layout::build(d, v, &expanded);
                let mut shape = Shape::default();
                shape.update(&l, d);
                *vers.borrow_mut() = (0, vec![0; l.rows.len().div_ceil(CHUNK)], shape);
                *c = Some((props.diagram.clone(), v.clone(), (*expanded).clone(), l));
                *drawn.borrow_mut() = None;
                *gen.borrow_mut() += 1;
            }
        }
    }
    let cache_ref = cache.borrow();
    let Some((_, _, _, layout)) = &*cache_ref else { return html! {} };
    let scroller = use_node_ref();
    let track_ref = use_node_ref();
    let port = use_state_eq(|| Port { chunk: 0, height: 600, width: 900, text: 100 });
    // The zoom chosen times the page's text size (at 200 % text, as big again): read where the
    // pane is measured, so that the rows in view, the scroll to the current row and the lanes'
    // width are reckoned at the size drawn.
    let zoom = v.zoom.clamp(50, 200);
    let z = (zoom * port.text / 100).max(25) as i32;
    let px = |units: i32| units * z / 100;
    let row_px = px(ROW_H).max(1);
    let head_px = px(HEAD_H);
    // The scroll position as last seen or set; a new step that is out of view moves it.
    let top = use_mut_ref(|| 0i32);
    let shown = use_mut_ref(|| (usize::MAX, std::ptr::null::<Diagram>(), 0i32));
    let pending = use_mut_ref(|| Cell::new(None::<i32>));
    // The current arrow's span sideways (px), to bring into view when the lanes do not fit.
    let pending_x = use_mut_ref(|| Cell::new(None::<(i32, i32)>));

    // Measure on mount and on resize; follow scrolling.
    {
        let (scroller, port, top) = (scroller.clone(), port.clone(), top.clone());
        use_effect_with(row_px, move |row_px| {
            let row_px = *row_px;
            let measure = move || {
                if let Some(el) = scroller.cast::<web_sys::Element>() {
                    let (p, t) = scroller_port(&el, row_px);
                    *top.borrow_mut() = t;
                    port.set(p);
                }
            };
            measure();
            let listener = web_sys::window().map(|w| EventListener::new(&w, "resize", move |_| measure()));
            move || drop(listener)
        });
    }
    let onscroll = {
        let (scroller, port, top) = (scroller.clone(), port.clone(), top.clone());
        Callback::from(move |_: Event| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                let (p, t) = scroller_port(&el, row_px);
                *top.borrow_mut() = t;
                port.set(p);
            }
        })
    };

    // The callbacks handed to each arrow stay the same from render to render (the page makes
    // new ones every time), so that an arrow whose own props did not change is not drawn again.
    let select_ref = use_mut_ref(|| props.on_select.clone());
    *select_ref.borrow_mut() = props.on_select.clone();
    let toggle_ref = use_mut_ref(|| props.on_toggle_conn.clone());
    *toggle_ref.borrow_mut() = props.on_toggle_conn.clone();
    let stable = use_memo((), move |_| {
        let on_select = Callback::from(move |step: usize| select_ref.borrow().emit(step));
        let on_toggle = Callback::from(move |conn: u32| toggle_ref.borrow().emit(conn));
        (on_select, on_toggle)
    });

    let rows = &layout.rows;
    // Below the actors' header and its 1 px border.
    let view_h = (port.height - head_px - 1).max(row_px);
    let row_of = |step: usize| step.checked_sub(1).and_then(|s| layout.row_of_step.get(s).copied().flatten());
    let cur_row = row_of(props.step);
    let track_row = props.track_step.map_or(cur_row, row_of);
    // A new step (or a new log): a row out of view is brought in by a page, not a row: below
    // the view, to a third from the top (the steps after it are in view); above, to a third
    // from the bottom (stepping back). Most steps then do not scroll (a step that scrolls repaints
    // the pane: docs/benchmarks.md, "Branch step16"). Again once the pane's height and the text
    // size are known (the first draw guesses them: a deep link on a phone showed rows far above).
    let key = (props.step, d as *const Diagram, port.height + (z << 16));
    let moved = *shown.borrow() != key;
    if moved {
        *shown.borrow_mut() = key;
        if let Some(r) = cur_row {
            let y = px(TOP) + r as i32 * row_px;
            let t = *top.borrow();
            let want = if y < t {
                Some(y + row_px - view_h * 2 / 3)
            } else if y + row_px > t + view_h {
                // Not beyond the end of the diagram (the pane could not scroll there).
                Some((y - view_h / 3).min(px(TOP + ROW_H * rows.len() as i32 + 24) - view_h))
            } else {
                None
            };
            if let Some(w) = want {
                // The row itself always in view.
                let w = w.clamp(y + row_px - view_h, y).max(0);
                *top.borrow_mut() = w;
                pending.borrow().set(Some(w));
            }
        }
    }
    {
        let (scroller, pending, pending_x) = (scroller.clone(), pending.clone(), pending_x.clone());
        use_effect(move || {
            let Some(el) = scroller.cast::<web_sys::Element>() else { return };
            // Sideways first (reading where the pane is, before the write below).
            if let Some((a, b)) = pending_x.borrow().take() {
                let (left, w) = (el.scroll_left(), el.client_width());
                // An arrow wider than the pane (a class's many lanes) is centred: its label, at
                // its middle, in view (at its left end the label lay off to the right).
                let want = if a < left || b - a > w {
                    Some(a.max((a + b - w) / 2))
                } else if b > left + w {
                    Some(b - w)
                } else {
                    None
                };
                if let Some(x) = want {
                    el.set_scroll_left(x.max(0));
                }
            }
            if let Some(t) = pending.borrow().take() {
                el.set_scroll_top(t);
            }
        });
    }
    let t = *top.borrow();
    let visible = (view_h / row_px + 1) as usize;
    let chunks = rows.len().div_ceil(CHUNK);
    let (c0, c1) = {
        // Up to ALL_ROWS every chunk; beyond, the chunks in view must be drawn now, and a move
        // of the rest to be centred on them waits for the frame that shows this step to be
        // drawn (a step then creates no rows).
        let small = rows.len() <= ALL_ROWS || props.draw_all;
        let first = ((t - px(TOP)).max(0) / row_px) as usize;
        let need0 = if small { 0 } else { (first / CHUNK).min(chunks.saturating_sub(1)) };
        let need1 = if small { chunks } else { ((first + visible) / CHUNK + 1).clamp(need0 + 1, chunks.max(1)) };
        let want = if small { (0, chunks) } else { (need0.saturating_sub(OVER), (need1 + OVER).min(chunks)) };
        let mut now = drawn.borrow_mut();
        let range = match *now {
            Some((a, b)) if a <= need0 && need1 <= b && b <= chunks => (a, b),
            // Grown out of what is drawn (following), or not all drawn yet: the chunks in view,
            // those already drawn among them kept, the newest first and at most NEW_PER_FRAME
            // new rows a frame (the rest in the next frames); the overscan once it settles.
            Some((a, b)) if cfg!(feature = "full") && (grew || short.0.get()) => (
                newest_first(need0, need1, &|c| {
                    let r = c * CHUNK;
                    let made = if (a..b).contains(&c) { new_from.max(r) } else { r };
                    ((c + 1) * CHUNK).min(rows.len()).saturating_sub(made)
                }),
                need1,
            ),
            _ => want,
        };
        *now = Some(range);
        // Chunks in view left for the next frame, which draws them (asked for once).
        short.0.set(range.0 > need0);
        if short.0.get() {
            draw_next_frame(&short.1, &force);
        }
        if !small && range != want && !catch_up.replace(true) {
            let (grown, drawn, catch_up) = ((*grown).clone(), drawn.clone(), (*catch_up).clone());
            catch_up_later(0, grown, drawn, catch_up, force.clone());
        }
        range
    };
    let (start, end) = (c0 * CHUNK, (c1 * CHUNK).min(rows.len()));

    let lanes = &layout.lanes;
    let (lane_w, width) = widths(port.width * 100 / z, lanes.len(), layout.phases);
    let x = |lane: usize| LEFT + lane_w * lane as i32 + lane_w / 2;
    let height = TOP + ROW_H * rows.len() as i32 + 24;
    // A new step whose arrow is off to the side (a phone shows two or three lanes): its lanes
    // come into view too (with the time column's width to the left of them). Not when the
    // lanes fit the pane (reading where the pane is scrolled lays the page out at once).
    if moved && px(width) > port.width {
        if let Some(Row::Arrow { idx, .. }) = cur_row.and_then(|r| rows.get(r as usize)) {
            if let Some(a) = d.arrows.get(*idx) {
                let (l1, l2) = (layout.lane(a.from), layout.lane(a.to));
                let (lo, hi) = (l1.min(l2) as i32, l1.max(l2) as i32);
                pending_x.borrow().set(Some((px(lane_w * lo), px(LEFT + lane_w * (hi + 1)))));
            }
        }
    }
    let w_px = px(width);
    // The rows' background (the current row's highlight) spans the pane where the lanes leave
    // room to their right (a class with two lanes): the diagram's body is as wide as the pane
    // (in whole units, so that it never scrolls sideways by a rounding).
    let fill = width.max(port.width * 100 / z);
    let s = |n: i32| n.to_string();

    let toggle_group = |g: String| {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| {
            let mut e = (*expanded).clone();
            if let Some(i) = e.iter().position(|x| *x == g) {
                e.remove(i);
            } else {
                e.push(g.clone());
            }
            expanded.set(e);
        })
    };
    let header = html! {
        <svg class="diagram-head" width={s(w_px)} height={s(head_px)} viewBox={format!("0 0 {width} {HEAD_H}")} role="img" aria-label="Actors">
            // The arrow heads, which every chunk's arrows use (the header is always there);
            // each its protocol's colour (`#head-smtp` in the stylesheet).
            <defs>
                { for ["smtp", "pop3", "imap", "http", "dns", "tcp"].iter().map(|p| html! {
                    <marker id={format!("head-{p}")} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" />
                    </marker>
                }) }
            </defs>
            { for lanes.iter().enumerate().map(|(i, a)| {
                let chars = ((lane_w - 24) * 10 / 75).max(6) as usize;
                let group = a.group.clone();
                let title = match (&a.group, a.members) {
                    (Some(_), n) if n > 1 => format!("{} ({}): click to show each one", a.name, a.host),
                    (Some(_), _) => format!("{} ({}): click to group again", a.name, a.host),
                    _ => format!("{} ({})", a.name, a.host),
                };
                html! {
                    <g class={classes!("actor", a.kind.clone(), (a.members > 1).then_some("group"), (a.group.is_some() && a.members == 1).then_some("member"))}
                        onclick={group.map(toggle_group)}>
                        <title>{ title }</title>
                        <rect x={s(x(i) - lane_w / 2 + 8)} y="6" width={s(lane_w - 16)} height="46" rx="8" />
                        <text x={s(x(i))} y="25" class="actor-name" text-anchor="middle">{ fit(&a.name, chars) }</text>
                        <text x={s(x(i))} y="42" class="actor-host" text-anchor="middle">{ fit(&a.host, chars + 2) }</text>
                    </g>
                }
            }) }
        </svg>
    };

    // Each chunk sees the step as its arrows do: before them all, after them all or among
    // them; so that a step draws again only the chunks it changes.
    let chunk_step = |c: usize| {
        let steps = rows[c * CHUNK..((c + 1) * CHUNK).min(rows.len())].iter().filter_map(|r| match r {
            Row::Arrow { idx, .. } => Some(idx + 1),
            _ => None,
        });
        let (lo, hi) = steps.fold((usize::MAX, 0), |(lo, hi), s| (lo.min(s), hi.max(s)));
        if props.step < lo {
            0
        } else if props.step > hi {
            usize::MAX
        } else {
            props.step
        }
    };
    let laid = Laid(cache.clone(), *gen.borrow());
    let chunk_ver = |c: usize| vers.borrow().1.get(c).copied().unwrap_or(0);
    // The track: the whole run, the part in view, the current step.
    let total = rows.len().max(1) as i64;
    let pct = |r: i64| (r * 1000 / total) as i32;
    let view_first = ((t - px(TOP)).max(0) / row_px) as i64;
    let (view_top, view_h) = (pct(view_first.min(total)), pct((visible as i64).min(total)).max(8));
    let on_track = {
        let (cache, on_select, track_ref) = (cache.clone(), props.on_select.clone(), track_ref.clone());
        Callback::from(move |e: MouseEvent| {
            let Some(el) = track_ref.cast::<web_sys::Element>() else { return };
            let cache = cache.borrow();
            let Some((_, _, _, layout)) = &*cache else { return };
            let rect = el.get_bounding_client_rect();
            let h = (rect.height() as i32).max(1);
            let y = (e.client_y() - rect.top() as i32).clamp(0, h);
            let row = (y as usize * layout.rows.len() / h as usize).min(layout.rows.len().saturating_sub(1));
            // The arrow at or after that row (or the last one before it).
            let step = layout.rows[row..].iter().chain(layout.rows[..row].iter().rev()).find_map(|r| match r {
                Row::Arrow { idx, .. } | Row::Collapsed { idx, .. } => Some(idx + 1),
                Row::Segment { .. } => None,
            });
            if let Some(step) = step {
                on_select.emit(step);
            }
        })
    };

    let zoom = format!("zoom-{zoom}");
    html! {
        <div class="diagram-frame">
            <div class={classes!("diagram", zoom)} ref={scroller} onscroll={onscroll} tabindex="0" aria-label="Sequence diagram, scrolls both ways">
                <div class="diagram-sticky">{ header }</div>
                // Each chunk is an SVG of its own, stacked: an SVG is one paint layer, so a step
                // that changes two rows' class repaints their chunks, not every row drawn
                // (docs/benchmarks.md, "Branch step17"). The first drawn reaches up to the top,
                // the last down to the end (the body as tall as the whole run: the scroll bar).
                <div class="diagram-body" role="img" aria-label={format!("Sequence diagram with {} messages", d.arrows.len())} data-rows={rows.len().to_string()} data-drawn={format!("{start}-{end}")}>
                    { for (c0..c1).map(|c| html! {
                        <Chunk key={c} layout={laid.clone()} {c} ver={chunk_ver(c)} last={c + 1 == chunks} step={chunk_step(c)}
                            top={if c == c0 { 0 } else { chunk_top(c) }} bottom={if c + 1 == c1 { height } else { chunk_top(c + 1) }}
                            {lane_w} {width} {fill} {z} decrypted={props.decrypted} on_select={stable.0.clone()} on_toggle_conn={stable.1.clone()} />
                    }) }
                </div>
            </div>
            if rows.len() > ALL_ROWS {
                <svg class="track" ref={track_ref} onclick={on_track} viewBox="0 0 10 1000" preserveAspectRatio="none" role="img" aria-label="The whole run: click to jump there">
                    <title>{"The whole run: click to jump there"}</title>
                    { for layout.track.iter().map(|(class, from, to)| html! {
                        <rect class={classes!("band", *class)} x="0" width="10" y={from.to_string()} height={(to - from).to_string()} />
                    }) }
                    <rect class="track-view" x="1" width="8" y={s(view_top)} height={s(view_h)} />
                    { for track_row.map(|r| html! { <rect class="track-now" x="0" width="10" y={s(pct(i64::from(r)).min(994))} height="6" /> }) }
                </svg>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With SMTP phases the half lane right of the last lifeline holds the phase's name; the
    /// lanes still fill a wide pane exactly and keep their readable width on a phone; six lanes
    /// at 1,440 px (a pane of 964) and four in the embed (685) fit without sideways scrolling.
    #[test]
    fn widths_keep_room_for_the_phase_names() {
        for (pane, lanes) in [(370, 5), (900, 5), (1400, 4), (700, 2), (1400, 12), (964, 6), (685, 4), (685, 5)] {
            let (w, width) = widths(pane, lanes, true);
            let right = width - (LEFT + w * (lanes as i32 - 1) + w / 2);
            assert!(right >= PHASE_W, "{pane}/{lanes}: {right} right of the last lifeline");
            assert!((SQUEEZE_W..=MAX_W).contains(&w));
            if w < MIN_W {
                assert!(width <= pane, "{pane}/{lanes}: lanes of {w} only when all fit ({width})");
            }
            if SQUEEZE_W < w && w < MAX_W && w != MIN_W {
                assert!(width <= pane && width > pane - 2 * lanes as i32, "{pane}/{lanes}: {width} fills the pane");
            }
            assert_eq!(widths(pane, lanes, false).1, LEFT + widths(pane, lanes, false).0 * lanes as i32 + 10);
        }
        assert_eq!(widths(964, 6, true), (139, 963));
        assert_eq!(widths(370, 5, true).0, MIN_W, "a phone keeps its readable lanes and scrolls");
    }

    /// A rename marks that actor only; a new actor marks nothing; other lanes mark everything.
    #[test]
    fn shape_names_the_actors_whose_rows_change() {
        let s = mailsim_sim::scenario::SCENARIOS.iter().find(|s| s.id == "alice-to-bob").unwrap();
        let mut d = Diagram::from_log(&s.run());
        let v = ViewOptions::default();
        let mut shape = Shape::default();
        shape.update(&Layout::build(&d, &v, &[]), &d);
        assert_eq!(shape.update(&Layout::build(&d, &v, &[]), &d), Some(vec![false; d.actors.len()]));
        d.actors[1].name = "someone else".into();
        let moved = shape.update(&Layout::build(&d, &v, &[]), &d).unwrap();
        assert_eq!(moved.iter().filter(|m| **m).count(), 1);
        assert!(moved[1]);
        assert_eq!(shape.update(&Layout::default(), &d), None, "no lanes: every row changes");
    }
}
