//! The protocol state diagrams (SMTP dialog, POP3 RFC 1939 §3, IMAP RFC 9051 §3, HTTP),
//! drawn under the details from the machines `mailsim-proto` carries as tables
//! ([`StateMachine`]), with the server's state after the current message lit. The logged
//! state text is mapped back to its state by the same table ([`StateMachine::find`]).

use mailsim_sim::proto::machines;
use mailsim_sim::proto::state::{StateId, StateMachine};
use yew::prelude::*;

/// The state of `machine` that one of the two logged texts names, as drawn (a sub-state is
/// lit as the state it is part of).
fn lit(machine: &'static StateMachine, states: &(String, String)) -> Option<StateId> {
    let view = machine.find(&states.0).or_else(|| machine.find(&states.1))?;
    Some(machine.drawn_as(view.id))
}

/// A coordinate of this drawing, whole or half pixels (every one is), written as `f64`'s
/// `Display` writes it ("40", "40.5") but with integers: float printing stays out of the
/// page (docs/benchmarks.md).
#[derive(Clone, Copy)]
struct Px(f64);

impl std::fmt::Display for Px {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let halves = (self.0 * 2.0) as i64;
        debug_assert!(halves as f64 == self.0 * 2.0 && self.0 >= 0.0, "whole or half pixels");
        write!(f, "{}", halves / 2)?;
        if halves % 2 != 0 {
            f.write_str(".5")?;
        }
        Ok(())
    }
}

/// The width of `chars` characters of a label or a box's name (uppercase 8.5 px or bold
/// 9.5 px text is at most about 6 px a character).
fn text_w(chars: usize) -> f64 {
    chars as f64 * 6.0
}

/// `px` pixels of the usual 16 px text in `em` ("23.43em"), so that the drawing grows with the
/// page's text size (text zoom, the A+ button); an attribute, not a `style` (the page runs
/// under `style-src 'self'`), and without float printing.
fn em(px: i64) -> String {
    let h = px * 100 / 16;
    format!("{}.{:02}em", h / 100, h % 100)
}

#[derive(Properties, PartialEq)]
pub struct StateProps {
    pub protocol: String,
    /// The states of both ends after the message; the server's is recognized.
    pub states: (String, String),
}

/// Drawn top to bottom, as RFC 9051 §3 draws IMAP's: the boxes in a column, the main path
/// straight down with its labels on the left, the way back (and any jump forward) as a lane
/// on the right (left), the server greeting's entries from the left, and at a fixed scale
/// (text about 11 px at the browser's usual 16 px text: its width is in `em`, so that it grows
/// with the page's text size), so that it reads in the narrow details column and on a phone
/// alike (wider than the column at large text, it scrolls sideways in its figure).
#[function_component(StateDiagram)]
pub fn state_diagram(props: &StateProps) -> Html {
    let Some(machine) = machines::server(&props.protocol) else { return html! {} };
    let nodes: Vec<_> = machine.drawn_states().collect();
    let pos = |id: StateId| nodes.iter().position(|(n, _)| *n == id);
    let current = lit(machine, &props.states).and_then(pos);
    let title = machine.title;
    let now = current.map(|c| nodes[c].1.label);
    let edges: Vec<(usize, usize, &str)> = machine
        .drawn_transitions()
        .filter_map(|t| Some((pos(t.from)?, pos(t.to)?, t.trigger)))
        .filter(|(a, b, _)| a != b)
        .collect();
    let straight = |&&(a, b, _): &&(usize, usize, &str)| b == a + 1;
    let widest = |it: &mut dyn Iterator<Item = &str>| it.map(|l| text_w(l.chars().count())).fold(0.0, f64::max);
    let (bh, gap) = (22.0, 20.0);
    let bw = widest(&mut nodes.iter().map(|n| n.1.label)) + 12.0;
    let wide = widest(&mut edges.iter().filter(straight).map(|e| e.2));
    // Left of the boxes: the greetings' arrows (labels above them), or a lane for the jumps
    // forward (labels left of it); the main path's labels, right-aligned left of the centre
    // line, keep 4 px from either. (No machine has both: they would share the left side.)
    let entries = !machine.entries.is_empty();
    let jumps = widest(&mut edges.iter().filter(|e| e.1 > e.0 + 1).map(|e| e.2));
    let (fence, lane_l) = if entries {
        (6.0, 0.0)
    } else if jumps > 0.0 {
        (jumps + 13.0, jumps + 9.0)
    } else {
        (0.0, 0.0)
    };
    let greet = widest(&mut machine.entries.iter().map(|e| e.1)) + 14.0;
    let left = (fence + 4.0 + wide + 4.0 - bw / 2.0).max(if entries { greet } else { lane_l + 10.0 }).max(6.0).ceil();
    let top = if entries { 16.0 } else { 4.0 };
    let y = |i: usize| top + i as f64 * (bh + gap);
    let mid = |i: usize| y(i) + bh / 2.0;
    let (right, cx) = (left + bw, left + bw / 2.0);
    let lane_r = right + 10.0;
    // Each arrow: its path, where its label goes and how it is anchored, the label, and a
    // greeting's meaning.
    let mut arrows: Vec<(String, f64, f64, &str, &str, &str)> = Vec::new();
    let mut far = right;
    for &(a, b, label) in &edges {
        let (ya, yb) = (mid(a), mid(b));
        let ly = ((ya + yb) / 2.0 + 3.0).floor();
        if b == a + 1 {
            let path = format!("M {} {} V {}", Px(cx), Px(y(a) + bh), Px(y(b)));
            arrows.push((path, cx - 4.0, y(a) + bh + gap / 2.0 + 3.0, label, "", "end"));
        } else {
            // A lane: left for a jump forward, right (from above the middle) for the way back.
            let (x0, lane, dy, lx, anchor) = if b > a {
                (left, lane_l, 0.0, lane_l - 3.0, "end")
            } else {
                far = far.max(lane_r + 3.0 + text_w(label.chars().count()));
                (right, lane_r, -5.0, lane_r + 3.0, "start")
            };
            let path = format!("M {} {} H {} V {} H {}", Px(x0), Px(ya + dy), Px(lane), Px(yb + dy), Px(x0));
            arrows.push((path, lx, ly, label, "", anchor));
        }
    }
    // RFC 9051 §3's (1)-(3): the greeting puts a connection in one of three states: a line
    // down the left from "server greeting", an arrow into each of them.
    let last_entry = machine.entries.iter().filter_map(|e| pos(e.0)).max();
    for &(to, greeting, why) in machine.entries {
        let Some(i) = pos(to) else { continue };
        let from = if Some(i) == last_entry { "6 12 V" } else { "6" };
        let path = format!("M {from} {} H {}", Px(mid(i)), Px(left));
        arrows.push((path, ((6.0 + left) / 2.0).floor(), mid(i) - 3.0, greeting, why, "middle"));
    }
    if entries {
        // The line's name, as an arrow label without an arrow (an empty path draws nothing).
        arrows.push((String::new(), 4.0, top - 7.0, "server greeting", "", "start"));
    }
    // RFC 9051 §3's (7): LOGOUT is possible in every state. The machine says so (`from_any`),
    // and one lane right of the others shows it, into the last box.
    let last = nodes.len().saturating_sub(1);
    let any = machine.from_any.and_then(|(to, verb)| (last >= 2 && pos(to) == Some(last)).then_some(verb));
    let lane_any = far + 8.0;
    let height = y(last) + bh + if any.is_some() { 16.0 } else { 4.0 };
    let width = if any.is_some() { lane_any + 6.0 } else { far + 6.0 };
    html! {
        <figure id="state-diagram" class="state-diagram">
            <figcaption>{ title }{ now.map(|l| format!(": now {l}")).unwrap_or_default() }</figcaption>
            <svg viewBox={format!("0 0 {} {}", Px(width), Px(height))} width={em((width * 1.25).round() as i64)} role="img" aria-label={format!("{title}, current state {}", now.unwrap_or("unknown"))}>
                <defs><marker id="st-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" /></marker></defs>
                { for arrows.into_iter().map(|(path, lx, ly, label, why, anchor)| html! {
                    <g class="st-edge">
                        <title>{ why }</title>
                        <path d={path} marker-end="url(#st-head)" />
                        <text x={Px(lx).to_string()} y={Px(ly).to_string()} text-anchor={anchor}>{ label }</text>
                    </g>
                }) }
                if let Some(verb) = any {
                    <g class="st-edge st-any">
                        // A leg right from each box, down the lane, and left into the last.
                        { for (0..last).map(|i| html! { <path d={format!("M {} {} H {}", Px(right), Px(mid(i) + 5.0), Px(lane_any))} /> }) }
                        <path d={format!("M {} {} V {} H {}", Px(lane_any), Px(mid(0) + 5.0), Px(mid(last)), Px(right))} marker-end="url(#st-head)" />
                        <text x={Px(cx).to_string()} y={Px(height - 3.0).to_string()} text-anchor="middle">{ format!("{verb} from any state") }</text>
                    </g>
                }
                { for nodes.iter().enumerate().map(|(i, (_, s))| html! {
                    <g class={classes!("st", (Some(i) == current).then_some("lit"))} data-state={s.label}>
                        <title>{ s.description }</title>
                        <rect x={Px(left).to_string()} y={Px(y(i)).to_string()} width={Px(bw).to_string()} height={Px(bh).to_string()} rx="6" />
                        <text x={Px(cx).to_string()} y={Px(mid(i) + 3.5).to_string()} text-anchor="middle">{ s.label }</text>
                    </g>
                }) }
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    /// Hundredths of an em, cut (at most 0.16 px short).
    #[test]
    fn em_writes_hundredths() {
        assert_eq!(super::em(375), "23.43em");
        assert_eq!(super::em(16), "1.00em");
        assert_eq!(super::em(17), "1.06em");
    }
}
