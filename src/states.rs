//! The protocol state diagrams (SMTP dialog, POP3 RFC 1939 §3, IMAP RFC 9051 §3), drawn
//! small under the details, with the server's state after the current message lit.

use yew::prelude::*;

/// A protocol's states, and its transitions as (from, to, label).
type Machine = (&'static [&'static str], &'static [(usize, usize, &'static str)]);

fn machine(protocol: &str) -> Option<Machine> {
    match protocol {
        "SMTP" => Some((
            &["Greeted", "Ready", "MAIL", "RCPT", "DATA", "Closed"],
            &[(0, 1, "EHLO"), (1, 2, "MAIL"), (2, 3, "RCPT"), (3, 4, "DATA"), (4, 1, "."), (1, 5, "QUIT")],
        )),
        "POP3" => Some((&["AUTHORIZATION", "TRANSACTION", "UPDATE"], &[(0, 1, "PASS"), (1, 2, "QUIT")])),
        "IMAP" => Some((
            &["Not Authenticated", "Authenticated", "Selected", "Logout"],
            &[(0, 1, "LOGIN/AUTH"), (1, 2, "SELECT"), (2, 1, "CLOSE"), (2, 3, "LOGOUT")],
        )),
        _ => None,
    }
}

/// Which state of `protocol`'s diagram a server state text means.
fn lit(protocol: &str, state: &str) -> Option<usize> {
    let s = state.to_ascii_lowercase();
    match protocol {
        "SMTP" => Some(if s.starts_with("greeted") {
            0
        } else if s.starts_with("ready") || s.starts_with("auth exchange") {
            1
        } else if s.starts_with("transaction open") {
            2
        } else if s.starts_with("recipients known") || s.starts_with("checking the recipient") {
            3
        } else if s.starts_with("receiving") || s.starts_with("message received") {
            4
        } else if s.starts_with("closed") {
            5
        } else {
            return None;
        }),
        "POP3" => Some(if s.starts_with("authorization") {
            0
        } else if s.starts_with("transaction") {
            1
        } else if s.starts_with("update") || s == "closed" {
            2
        } else {
            return None;
        }),
        "IMAP" => ["not authenticated", "authenticated", "selected", "logout"].iter().position(|x| s == *x),
        _ => None,
    }
}

#[derive(Properties, PartialEq)]
pub struct StateProps {
    pub protocol: String,
    /// The states of both ends after the message; the server's is recognized.
    pub states: (String, String),
}

#[function_component(StateDiagram)]
pub fn state_diagram(props: &StateProps) -> Html {
    let Some((states, edges)) = machine(&props.protocol) else { return html! {} };
    let current = lit(&props.protocol, &props.states.0).or_else(|| lit(&props.protocol, &props.states.1));
    let (bw, gap, h) = (if states.len() > 4 { 58.0 } else { 96.0 }, 32.0, 92.0);
    let x = |i: usize| 6.0 + i as f64 * (bw + gap);
    let width = x(states.len()) + 6.0;
    let title = match props.protocol.as_str() {
        "SMTP" => "SMTP dialog (server side)",
        "POP3" => "POP3 states (RFC 1939)",
        _ => "IMAP states (RFC 9051)",
    };
    html! {
        <figure id="state-diagram" class="state-diagram">
            <figcaption>{ title }{ current.map(|c| format!(": now {}", states[c])).unwrap_or_default() }</figcaption>
            <svg viewBox={format!("0 0 {width} {h}")} width="100%" role="img" aria-label={format!("{title}, current state {}", current.map(|c| states[c]).unwrap_or("unknown"))}>
                <defs><marker id="st-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" /></marker></defs>
                { for edges.iter().map(|(a, b, label)| {
                    let forward = b > a;
                    let (x1, x2) = if forward { (x(*a) + bw, x(*b)) } else { (x(*a), x(*b) + bw) };
                    let y = if forward { 34.0 } else { 70.0 };
                    let path = if forward && b - a == 1 {
                        format!("M {x1} {y} L {x2} {y}")
                    } else {
                        let cy = if forward { 6.0 } else { 86.0 };
                        let (sx, ex) = (x(*a) + bw / 2.0, x(*b) + bw / 2.0);
                        let sy = if forward { 22.0 } else { 48.0 };
                        format!("M {sx} {sy} Q {} {cy} {ex} {sy}", (sx + ex) / 2.0)
                    };
                    let (lx, ly) = if forward && b - a == 1 { ((x1 + x2) / 2.0, y - 4.0) } else { ((x(*a) + x(*b) + bw) / 2.0, if forward { 12.0 } else { 84.0 }) };
                    html! {
                        <g class="st-edge">
                            <path d={path} marker-end="url(#st-head)" />
                            <text x={lx.to_string()} y={ly.to_string()} text-anchor="middle">{ *label }</text>
                        </g>
                    }
                }) }
                { for states.iter().enumerate().map(|(i, s)| html! {
                    <g class={classes!("st", (Some(i) == current).then_some("lit"))} data-state={*s}>
                        <rect x={x(i).to_string()} y="22" width={bw.to_string()} height="26" rx="6" />
                        <text x={(x(i) + bw / 2.0).to_string()} y="39" text-anchor="middle">{ *s }</text>
                    </g>
                }) }
            </svg>
        </figure>
    }
}
