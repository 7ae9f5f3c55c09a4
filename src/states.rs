//! The protocol state diagrams (SMTP dialog, POP3 RFC 1939 §3, IMAP RFC 9051 §3, HTTP),
//! drawn small under the details from the machines `mailsim-proto` carries as tables
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

/// The gap between two boxes whose straight arrow carries a label of `chars` characters:
/// at least 32 px, and room for the label at the edges' 8.5 px (uppercase is about 6 px a
/// character) with 4 px on each side.
fn gap_for(chars: usize) -> f64 {
    (chars as f64 * 6.0 + 8.0).max(32.0)
}

#[derive(Properties, PartialEq)]
pub struct StateProps {
    pub protocol: String,
    /// The states of both ends after the message; the server's is recognized.
    pub states: (String, String),
}

#[function_component(StateDiagram)]
pub fn state_diagram(props: &StateProps) -> Html {
    let Some(machine) = machines::server(&props.protocol) else { return html! {} };
    let nodes: Vec<_> = machine.drawn_states().collect();
    let pos = |id: StateId| nodes.iter().position(|(n, _)| *n == id);
    let current = lit(machine, &props.states).and_then(pos);
    let (bw, h) = (if nodes.len() > 4 { 58.0 } else { 96.0 }, 92.0);
    let title = machine.title;
    let now = current.map(|c| nodes[c].1.label);
    let edges: Vec<(usize, usize, &str)> = machine
        .drawn_transitions()
        .filter_map(|t| Some((pos(t.from)?, pos(t.to)?, t.trigger)))
        .filter(|(a, b, _)| a != b)
        .collect();
    // The gap after box i holds the label of the straight arrow to box i + 1, whole: boxes
    // are drawn after the edges and would cover a label wider than its gap.
    let gaps: Vec<f64> = (0..nodes.len())
        .map(|i| {
            let widest = edges.iter().filter(|&&(a, b, _)| a == i && b == i + 1).map(|e| e.2.chars().count()).max();
            gap_for(widest.unwrap_or(0))
        })
        .collect();
    let x = |i: usize| 6.0 + i as f64 * bw + gaps[..i].iter().sum::<f64>();
    let width = x(nodes.len()) + 6.0;
    // RFC 9051 §3's (7): LOGOUT is possible in every state. The machine says so (`from_any`),
    // and one arrow under the boxes shows it, into the last box.
    let last = nodes.len().saturating_sub(1);
    let any = machine.from_any.and_then(|(to, verb)| (last >= 2 && pos(to) == Some(last)).then_some(verb));
    let h = if any.is_some() { 110.0 } else { h };
    // Each arrow: its path, where its label goes, the label, and a greeting's meaning.
    let mut arrows: Vec<(String, f64, f64, &str, &str)> = edges
        .iter()
        .map(|&(a, b, label)| {
            let forward = b > a;
            let (x1, x2) = if forward { (x(a) + bw, x(b)) } else { (x(a), x(b) + bw) };
            let y = if forward { 34.0 } else { 70.0 };
            if forward && b - a == 1 {
                let path = format!("M {} {} L {} {}", Px(x1), Px(y), Px(x2), Px(y));
                return (path, (x1 + x2) / 2.0, y - 4.0, label, "");
            }
            let cy = if forward { 6.0 } else { 86.0 };
            let (sx, ex) = (x(a) + bw / 2.0, x(b) + bw / 2.0);
            let sy = if forward { 22.0 } else { 48.0 };
            let path = format!("M {} {} Q {} {} {} {}", Px(sx), Px(sy), Px((sx + ex) / 2.0), Px(cy), Px(ex), Px(sy));
            (path, (x(a) + x(b) + bw) / 2.0, if forward { 12.0 } else { 84.0 }, label, "")
        })
        .collect();
    // RFC 9051 §3's (1)-(3): the greeting puts a connection in one of three states. A band
    // above the boxes (negative y: the rest keeps its coordinates): the "server greeting"
    // line from the left into the last state it reaches, and an arrow down into each other.
    let targets: Vec<f64> = machine.entries.iter().filter_map(|e| Some(x(pos(e.0)?) + bw / 2.0)).collect();
    let end = targets.iter().copied().fold(0.0, f64::max);
    for (&cx, &(_, greeting, why)) in targets.iter().zip(machine.entries) {
        let from = if cx == end { "6 -17 H".to_string() } else { format!("{} -17 V", Px(cx)) };
        let path = format!("M {from} {} V 21", Px(cx));
        arrows.push((path, cx + 5.0 + greeting.len() as f64 * 3.0, 3.0, greeting, why));
    }
    let top = if targets.is_empty() { 0.0 } else { 30.0 };
    if top > 0.0 {
        // The line's name, as an arrow label without an arrow (an empty path draws nothing).
        arrows.push((String::new(), 48.0, -21.0, "server greeting", ""));
    }
    html! {
        <figure id="state-diagram" class="state-diagram">
            <figcaption>{ title }{ now.map(|l| format!(": now {l}")).unwrap_or_default() }</figcaption>
            <svg viewBox={format!("0 -{} {} {}", Px(top), Px(width), Px(h + top))} width="100%" role="img" aria-label={format!("{title}, current state {}", now.unwrap_or("unknown"))}>
                <defs><marker id="st-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" /></marker></defs>
                { for arrows.into_iter().map(|(path, lx, ly, label, why)| html! {
                    <g class="st-edge">
                        <title>{ why }</title>
                        <path d={path} marker-end="url(#st-head)" />
                        <text x={Px(lx).to_string()} y={Px(ly).to_string()} text-anchor="middle">{ label }</text>
                    </g>
                }) }
                if let Some(verb) = any {
                    <g class="st-edge st-any">
                        // A leg down from each box (the one before the last on its right, clear
                        // of the arrows back), along under them, and up into the last.
                        { for (0..last).map(|i| {
                            let lx = x(i) + if i + 1 == last { bw * 0.75 } else { bw * 0.25 };
                            html! { <path d={format!("M {} 48 V 94", Px(lx))} /> }
                        }) }
                        <path d={format!("M {} 94 H {}", Px(x(0) + bw * 0.25), Px(x(last) + bw / 2.0))} />
                        <path d={format!("M {} 94 V 48", Px(x(last) + bw / 2.0))} marker-end="url(#st-head)" />
                        <text x={Px(width / 2.0).to_string()} y="106" text-anchor="middle">{ format!("{verb} from any state") }</text>
                    </g>
                }
                { for nodes.iter().enumerate().map(|(i, (_, s))| html! {
                    <g class={classes!("st", (Some(i) == current).then_some("lit"))} data-state={s.label}>
                        <title>{ s.description }</title>
                        <rect x={Px(x(i)).to_string()} y="22" width={Px(bw).to_string()} height="26" rx="6" />
                        <text x={Px(x(i) + bw / 2.0).to_string()} y="39" text-anchor="middle">{ s.label }</text>
                    </g>
                }) }
            </svg>
        </figure>
    }
}
