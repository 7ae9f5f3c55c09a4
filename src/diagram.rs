//! The sequence diagram in SVG: one lifeline per actor, one arrow per protocol message.
//! The actors' header stays visible while the arrows scroll; the current arrow is
//! highlighted and scrolled into view; clicking an arrow jumps to it.

use mailsim_sim::diagram::{format_time, Diagram};
use std::rc::Rc;
use yew::prelude::*;

const COL_W: f64 = 176.0;
const LEFT: f64 = 70.0;
const HEAD_H: f64 = 58.0;
const ROW_H: f64 = 36.0;
const TOP: f64 = 8.0;
/// Width of one character of the 11px monospace label font, roughly.
const CHAR_W: f64 = 6.7;

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub diagram: Rc<Diagram>,
    pub step: usize,
    /// Label TLS-protected arrows by their content rather than as ciphertext.
    pub decrypted: bool,
    pub on_select: Callback<usize>,
    /// What to show: protocols hidden, one connection only, collapsed connections, TCP
    /// segments, zoom.
    pub view: Rc<ViewOptions>,
    /// Collapse or expand a connection.
    pub on_toggle_conn: Callback<u32>,
}

#[derive(Clone, PartialEq, Default)]
pub struct ViewOptions {
    pub hidden: Vec<String>,
    pub only_conn: Option<u32>,
    pub collapsed: Vec<u32>,
    pub tcp: bool,
    /// Percent.
    pub zoom: u32,
}

/// One row of the diagram.
enum Row<'a> {
    Arrow(&'a mailsim_sim::diagram::Arrow),
    /// A TCP segment of a connection's handshake or teardown: (from, to, text, time).
    Segment(usize, usize, &'static str, u64),
    /// A collapsed connection: its first arrow and how many messages it holds.
    Collapsed(&'a mailsim_sim::diagram::Arrow, usize),
}

fn x(col: usize) -> f64 {
    LEFT + COL_W * col as f64 + COL_W / 2.0
}

/// Cuts `label` to `max` characters, marking the cut.
fn fit(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        format!("{}…", label.chars().take(max.saturating_sub(1)).collect::<String>())
    }
}

#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &DiagramProps) -> Html {
    let d = &props.diagram;
    let v = &props.view;
    let width = LEFT + COL_W * d.actors.len() as f64 + 10.0;
    // The rows to draw, after filters; TCP segments around each connection if asked for.
    let mut rows: Vec<Row> = Vec::new();
    let mut seen_conn: Vec<u32> = Vec::new();
    for (i, a) in d.arrows.iter().enumerate() {
        if v.hidden.contains(&a.protocol) || v.only_conn.is_some_and(|c| a.conn != Some(c)) {
            continue;
        }
        let first_of_conn = a.conn.is_some_and(|c| !seen_conn.contains(&c));
        if let Some(c) = a.conn {
            if first_of_conn {
                seen_conn.push(c);
            }
            if v.collapsed.contains(&c) {
                if first_of_conn {
                    let n = d.arrows.iter().filter(|x| x.conn == Some(c)).count();
                    rows.push(Row::Collapsed(a, n));
                }
                continue;
            }
        }
        // Client and server of the connection: the server is whoever sent the first message.
        if v.tcp && first_of_conn && a.protocol != "TCP" {
            let (client, server) = (a.to, a.from);
            let (client, server) = if d
                .arrows
                .iter()
                .find(|x| x.conn == a.conn)
                .is_some_and(|x| x.protocol == "HTTP" || x.label.starts_with("GET") || x.label.starts_with("POST"))
            {
                (a.from, a.to)
            } else {
                (client, server)
            };
            rows.push(Row::Segment(client, server, "SYN", a.t_sent.saturating_sub(2)));
            rows.push(Row::Segment(server, client, "SYN, ACK", a.t_sent.saturating_sub(1)));
            rows.push(Row::Segment(client, server, "ACK", a.t_sent));
        }
        rows.push(Row::Arrow(a));
        let last_of_conn = a.conn.is_some_and(|c| !d.arrows[i + 1..].iter().any(|x| x.conn == Some(c)));
        if v.tcp && last_of_conn && a.protocol != "TCP" {
            rows.push(Row::Segment(a.to, a.from, "FIN, ACK", a.t));
            rows.push(Row::Segment(a.from, a.to, "FIN, ACK", a.t + 1));
            rows.push(Row::Segment(a.to, a.from, "ACK", a.t + 2));
        }
    }
    let height = TOP + ROW_H * rows.len() as f64 + 24.0;

    // Keep the current arrow in view.
    use_effect_with(props.step, |step| {
        let el = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|doc| doc.get_element_by_id(&format!("arrow-{step}")));
        if let Some(el) = el {
            let opts = web_sys::ScrollIntoViewOptions::new();
            opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&opts);
        }
    });

    let header = html! {
        <svg class="diagram-head" width={width.to_string()} height={HEAD_H.to_string()} preserveAspectRatio="xMinYMin meet" viewBox={format!("0 0 {width} {HEAD_H}")} role="img" aria-label="Actors">
            { for d.actors.iter().enumerate().map(|(i, a)| html! {
                <g class={classes!("actor", a.kind.clone())}>
                    <rect x={(x(i) - 80.0).to_string()} y="6" width="160" height="46" rx="8" />
                    <text x={x(i).to_string()} y="25" class="actor-name" text-anchor="middle">{ &a.name }</text>
                    <text x={x(i).to_string()} y="42" class="actor-host" text-anchor="middle">{ &a.host }</text>
                </g>
            }) }
        </svg>
    };

    let arrows = rows.iter().enumerate().map(|(row, r)| {
        let y = TOP + ROW_H * row as f64 + 22.0;
        let a = match r {
            Row::Arrow(a) => *a,
            Row::Segment(from, to, text, t) => {
                let (x1, x2) = (x(*from), x(*to));
                let dir = if x2 > x1 { 1.0 } else { -1.0 };
                return html! {
                    <g class="tcp-seg">
                        <text class="time" x="6" y={(y + 3.0).to_string()}>{ format_time(*t) }</text>
                        <line x1={(x1 + dir * 3.0).to_string()} y1={y.to_string()} x2={(x2 - dir * 5.0).to_string()} y2={y.to_string()} marker-end="url(#head-tcp)" />
                        <text class="label" x={((x1 + x2) / 2.0).to_string()} y={(y - 5.0).to_string()} text-anchor="middle">{ format!("TCP {text}") }</text>
                    </g>
                };
            }
            Row::Collapsed(a, n) => {
                let (x1, x2) = (x(a.from), x(a.to));
                let conn = a.conn.unwrap_or(0);
                let cb = props.on_toggle_conn.clone();
                return html! {
                    <g class={classes!("collapsed", a.protocol.to_ascii_lowercase())} data-conn={conn.to_string()} onclick={Callback::from(move |_: MouseEvent| cb.emit(conn))}>
                        <title>{"Click to expand this connection"}</title>
                        <rect class="row" x="0" y={(y - 22.0).to_string()} width={width.to_string()} height={ROW_H.to_string()} />
                        <text class="time" x="6" y={(y + 3.0).to_string()}>{ format_time(a.t) }</text>
                        <line x1={x1.min(x2).to_string()} y1={y.to_string()} x2={x1.max(x2).to_string()} y2={y.to_string()} />
                        <text class="label" x={((x1 + x2) / 2.0).to_string()} y={(y - 6.0).to_string()} text-anchor="middle">{ format!("▸ {} session, port {}: {n} messages", a.protocol, a.port) }</text>
                    </g>
                };
            }
        };
        let (x1, x2) = (x(a.from), x(a.to));
        let dir = if x2 > x1 { 1.0 } else { -1.0 };
        let (x1, x2) = (x1 + dir * 3.0, x2 - dir * 5.0);
        let room = (((x2 - x1).abs() - 12.0) / CHAR_W).max(8.0) as usize;
        let state = match a.step.cmp(&props.step) {
            std::cmp::Ordering::Less => "past",
            std::cmp::Ordering::Equal => "current",
            std::cmp::Ordering::Greater => "future",
        };
        let proto = a.protocol.to_ascii_lowercase();
        let hidden = a.tls && !props.decrypted;
        let label = if hidden { format!("TLS record, {} bytes", a.size + 22) } else { a.label.clone() };
        let onclick = {
            let cb = props.on_select.clone();
            let step = a.step;
            Callback::from(move |_: MouseEvent| cb.emit(step))
        };
        let mid = (x1 + x2) / 2.0;
        let title = format!("Step {}: {} → {}: {}", a.step, d.actors[a.from].name, d.actors[a.to].name, a.label);
        html! {
            <g id={format!("arrow-{}", a.step)} class={classes!("arrow", proto.clone(), state, a.tls.then_some("tls"))} data-step={a.step.to_string()} data-conn={a.conn.map(|c| c.to_string()).unwrap_or_default()} onclick={onclick}>
                <title>{ title }</title>
                <rect class="row" x="0" y={(y - 22.0).to_string()} width={width.to_string()} height={ROW_H.to_string()} />
                <text class="time" x="6" y={(y + 3.0).to_string()}>{ format_time(a.t) }</text>
                { for a.conn.filter(|c| d.arrows.iter().find(|x| x.conn == Some(*c)).map(|x| x.step) == Some(a.step)).map(|c| {
                    let cb = props.on_toggle_conn.clone();
                    html! {
                        <text class="collapse" x="6" y={(y + 14.0).to_string()} data-conn={c.to_string()}
                            onclick={Callback::from(move |e: MouseEvent| { e.stop_propagation(); cb.emit(c) })}>{"⊟ collapse"}</text>
                    }
                }) }
                <line x1={x1.to_string()} y1={y.to_string()} x2={x2.to_string()} y2={y.to_string()} marker-end={format!("url(#head-{proto})")} />
                <text class="label" x={mid.to_string()} y={(y - 6.0).to_string()} text-anchor="middle">{ fit(&label, room) }</text>
                { for a.phase.map(|ph| html! {
                    <text class={classes!("phase", ph)} x={(width - 6.0).to_string()} y={(y + 3.0).to_string()} text-anchor="end">{ format!("SMTP {ph}") }</text>
                }) }
                <text class="port" x={mid.to_string()} y={(y + 12.0).to_string()} text-anchor="middle">
                    { match (a.conn.is_some(), a.tls) {
                        (true, true) => format!("{} in TLS · TCP port {}", a.protocol, a.port),
                        (true, false) if a.protocol == "TCP" => format!("TCP port {}", a.port),
                        (true, false) => format!("{} · TCP port {}", a.protocol, a.port),
                        (false, _) => format!("{} · UDP port {}", a.protocol, a.port),
                    } }
                </text>
            </g>
        }
    });

    let zoom = format!("zoom-{}", v.zoom.clamp(50, 200));
    html! {
        <div class={classes!("diagram", zoom)}>
            <div class="diagram-sticky">{ header }</div>
            <svg class="diagram-body" width={width.to_string()} height={height.to_string()} preserveAspectRatio="xMinYMin meet" viewBox={format!("0 0 {width} {height}")}
                 role="img" aria-label={format!("Sequence diagram with {} messages", d.arrows.len())}>
                <defs>
                    { for ["smtp", "pop3", "imap", "http", "dns", "tcp"].iter().map(|p| html! {
                        <marker id={format!("head-{p}")} class={classes!("head", *p)} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">
                            <path d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                    }) }
                </defs>
                { for d.actors.iter().enumerate().map(|(i, _)| html! {
                    <line class="lifeline" x1={x(i).to_string()} y1="0" x2={x(i).to_string()} y2={height.to_string()} />
                }) }
                { for arrows }
            </svg>
        </div>
    }
}
