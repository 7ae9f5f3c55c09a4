//! The diagram's rows: drawn in chunks of [`CHUNK`], each a component that draws again only
//! when the step moves into, out of or within it (or the layout changes), and within a chunk
//! one component per arrow, which draws again only when its own state changes. A step thus
//! rebuilds two arrows and compares a handful of chunks, however many rows are drawn.

use super::{fit, Cached, CHUNK, LEFT, ROW_H, TOP};
use crate::growing::Src;
use crate::layout::Row;
use mailsim_sim::diagram::{format_time, Diagram};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The diagram an arrow is drawn from: a log's, compared by identity (it never changes), or
/// the live view's, by its generation: it grows by appending, and an arrow once appended
/// does not change (a login renames an actor: the arrows' names are props of their own).
#[derive(Clone)]
pub(super) struct Drawn(pub Src<Diagram>);

impl PartialEq for Drawn {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Src::Fixed(a), Src::Fixed(b)) => Rc::ptr_eq(a, b),
            (a, b) => a.same(b),
        }
    }
}

/// The diagram's layout as a chunk reads it: the diagram's cache, compared by the number of
/// times it was laid out.
#[derive(Clone)]
pub(super) struct Laid(pub Rc<RefCell<Option<Cached>>>, pub u64);

impl PartialEq for Laid {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) && self.1 == other.1
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct ChunkProps {
    pub diagram: Drawn,
    pub layout: Laid,
    /// Rows `c * CHUNK ..`.
    pub c: usize,
    /// The chunk ends the diagram (its lifelines run to the bottom).
    pub last: bool,
    /// The step as the chunk's arrows see it: 0 when they are all to come, `usize::MAX` when
    /// all are past, else the step.
    pub step: usize,
    pub lane_w: i32,
    pub decrypted: bool,
    pub on_select: Callback<usize>,
    pub on_toggle_conn: Callback<u32>,
}

/// A chunk of rows and the lifelines beside them (from the top of the diagram for the first).
#[function_component(Chunk)]
pub(super) fn chunk(props: &ChunkProps) -> Html {
    let cache = props.layout.0.borrow();
    let Some((_, _, _, layout)) = &*cache else { return html! {} };
    let d = props.diagram.0.get();
    let rows = &layout.rows;
    let lane_w = props.lane_w;
    let x = |lane: usize| LEFT + lane_w * lane as i32 + lane_w / 2;
    let ax = |actor: usize| x(layout.lane(actor));
    let width = LEFT + lane_w * layout.lanes.len() as i32 + 10;
    let s = |n: i32| n.to_string();
    let c = props.c;
    let y0 = if c == 0 { 0 } else { TOP + ROW_H * (c * CHUNK) as i32 };
    let y1 = if props.last { TOP + ROW_H * rows.len() as i32 + 24 } else { TOP + ROW_H * ((c + 1) * CHUNK) as i32 };
    let row = |i: usize| {
        let y = TOP + ROW_H * i as i32 + 22;
        match rows[i] {
            Row::Segment { from, to, text, t } => {
                let (x1, x2) = (ax(from), ax(to));
                let dir = if x2 > x1 { 1 } else { -1 };
                html! {
                    <g key={i} class="tcp-seg">
                        <text class="time" x="6" y={s(y + 3)}>{ format_time(t) }</text>
                        <line x1={s(x1 + dir * 3)} y1={s(y)} x2={s(x2 - dir * 5)} y2={s(y)} marker-end="url(#head-tcp)" />
                        <text class="label" x={s((x1 + x2) / 2)} y={s(y - 5)} text-anchor="middle">{ format!("TCP {text}") }</text>
                    </g>
                }
            }
            Row::Collapsed { idx, n } => {
                let a = &d.arrows[idx];
                let (x1, x2) = (ax(a.from), ax(a.to));
                let conn = a.conn.unwrap_or(0);
                let cb = props.on_toggle_conn.clone();
                html! {
                    <g key={i} class={classes!("collapsed", a.protocol.to_ascii_lowercase())} data-conn={conn.to_string()} onclick={Callback::from(move |_: MouseEvent| cb.emit(conn))}>
                        <title>{"Click to expand this connection"}</title>
                        <rect class="row" x="0" y={s(y - 22)} width={s(width)} height={s(ROW_H)} />
                        <text class="time" x="6" y={s(y + 3)}>{ format_time(a.t) }</text>
                        <line x1={s(x1.min(x2))} y1={s(y)} x2={s(x1.max(x2))} y2={s(y)} />
                        <text class="label" x={s((x1 + x2) / 2)} y={s(y - 6)} text-anchor="middle">{ format!("▸ {} session, port {}: {n} messages", a.protocol, a.port) }</text>
                    </g>
                }
            }
            Row::Arrow { idx, first } => {
                let a = &d.arrows[idx];
                let state = match a.step.cmp(&props.step) {
                    std::cmp::Ordering::Less => "past",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "future",
                };
                let name = |i: usize| d.actors.get(i).map(|x| x.name.as_str()).unwrap_or("?");
                let ends = format!("{} → {}", name(a.from), name(a.to));
                html! {
                    <ArrowRow key={i} diagram={props.diagram.clone()} {idx} {first} {y} {width} {state} {ends}
                        x1={ax(a.from)} x2={ax(a.to)} decrypted={props.decrypted}
                        on_select={props.on_select.clone()} on_toggle_conn={props.on_toggle_conn.clone()} />
                }
            }
        }
    };
    html! {
        <g class="rows">
            { for (0..layout.lanes.len()).map(|i| html! {
                <line class="lifeline" x1={s(x(i))} y1={s(y0)} x2={s(x(i))} y2={s(y1)} />
            }) }
            // Keyed among themselves, not matched by position after the lifelines.
            <g>{ for (c * CHUNK..((c + 1) * CHUNK).min(rows.len())).map(row) }</g>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct ArrowProps {
    diagram: Drawn,
    idx: usize,
    /// The first arrow of its connection (it carries the collapse control).
    first: bool,
    y: i32,
    width: i32,
    /// `past`, `current` or `future`.
    state: &'static str,
    /// "sender → receiver", by name.
    ends: String,
    /// The lifelines' x of its two ends.
    x1: i32,
    x2: i32,
    decrypted: bool,
    on_select: Callback<usize>,
    on_toggle_conn: Callback<u32>,
}

/// One message's arrow at height `y`: a component of its own, so that a step draws again
/// only the arrows whose state changed (the one that was current and the new one).
#[function_component(ArrowRow)]
fn arrow_row(props: &ArrowProps) -> Html {
    let d = props.diagram.0.get();
    let a = &d.arrows[props.idx];
    let (y, width) = (props.y, props.width);
    let s = |n: i32| n.to_string();
    let (x1, x2) = (props.x1, props.x2);
    let dir = if x2 >= x1 { 1 } else { -1 };
    let (x1, x2) = (x1 + dir * 3, x2 - dir * 5);
    // Characters of the 11px monospace label font (about 6.7 px each) that fit.
    let room = (((x2 - x1).abs() - 12) * 10 / 67).max(8) as usize;
    let proto = a.protocol.to_ascii_lowercase();
    let hidden = a.tls && !props.decrypted;
    let label = if hidden { format!("TLS record, {} bytes", a.size + 22) } else { a.label.clone() };
    let onclick = {
        let cb = props.on_select.clone();
        let step = a.step;
        Callback::from(move |_: MouseEvent| cb.emit(step))
    };
    let mid = (x1 + x2) / 2;
    let title = format!("Step {}: {}: {label}", a.step, props.ends);
    html! {
        <g id={format!("arrow-{}", a.step)} class={classes!("arrow", proto.clone(), props.state, a.tls.then_some("tls"))} data-step={a.step.to_string()} data-conn={a.conn.map(|c| c.to_string()).unwrap_or_default()} onclick={onclick}>
            <title>{ title }</title>
            <rect class="row" x="0" y={s(y - 22)} width={s(width)} height={s(ROW_H)} />
            <text class="time" x="6" y={s(y + 3)}>{ format_time(a.t) }</text>
            { for a.conn.filter(|_| props.first).map(|c| {
                let cb = props.on_toggle_conn.clone();
                html! {
                    <text class="collapse" x="6" y={s(y + 14)} data-conn={c.to_string()}
                        onclick={Callback::from(move |e: MouseEvent| { e.stop_propagation(); cb.emit(c) })}>{"⊟ collapse"}</text>
                }
            }) }
            <line x1={s(x1)} y1={s(y)} x2={s(x2)} y2={s(y)} marker-end={format!("url(#head-{proto})")} />
            <text class="label" x={s(mid)} y={s(y - 6)} text-anchor="middle">{ fit(&label, room) }</text>
            { for a.phase.map(|ph| html! {
                <text class={classes!("phase", ph)} x={s(width - 6)} y={s(y + 3)} text-anchor="end">{ format!("SMTP {ph}") }</text>
            }) }
            <text class="port" x={s(mid)} y={s(y + 12)} text-anchor="middle">
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
