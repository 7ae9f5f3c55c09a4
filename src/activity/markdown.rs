//! The Markdown that instructors write in activity files (intros, prompts, explanations,
//! hints, model answers), read into a small tree and rendered to Yew nodes. Never HTML:
//! every character of the file ends up in a text node, so a `<script>` or an
//! `<img onerror=…>` in a file is shown as the text it is.
//!
//! The subset (what a quiz needs, and no more; a full CommonMark crate would cost bundle
//! size for features an explanation does not use):
//! - blocks: paragraphs (separated by blank lines), fenced code (```` ``` ````), lists
//!   (`-`, `*`, `+`; `1.`, `1)`), headings (`#` to `###`), quotes (`>`);
//! - inline: `` `code` ``, `**bold**`, `*italic*` and `_italic_`, `[text](https://…)` (only
//!   `http` and `https` links become links; any other link is shown as its text), and
//!   backslash escapes (`\*`).

use yew::prelude::*;

/// A block of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Para(Vec<Inline>),
    /// Level 1 to 3.
    Heading(u8, Vec<Inline>),
    Code(String),
    /// Ordered lists keep their first number.
    List {
        start: Option<u32>,
        items: Vec<Vec<Inline>>,
    },
    Quote(Vec<Block>),
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(Vec<Inline>),
    Em(Vec<Inline>),
    /// `href` is http or https (checked when parsed).
    Link {
        text: Vec<Inline>,
        href: String,
    },
}

/// A list item's marker: `Some(None)` for `-`, `Some(Some(n))` for `n.`; with the rest.
fn list_marker(line: &str) -> Option<(Option<u32>, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")).or_else(|| t.strip_prefix("+ ")) {
        return Some((None, rest));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((t[..digits].parse().ok(), rest));
        }
    }
    None
}

fn fence(line: &str) -> bool {
    line.trim_start().starts_with("```")
}

/// Reads Markdown into blocks. Never fails: whatever is not understood is text.
pub fn parse(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    parse_lines(&lines)
}

fn parse_lines(lines: &[&str]) -> Vec<Block> {
    let mut out = vec![];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() {
            i += 1;
        } else if fence(line) {
            let mut code = vec![];
            i += 1;
            while i < lines.len() && !fence(lines[i]) {
                code.push(lines[i]);
                i += 1;
            }
            i += 1; // the closing fence (or the end)
            out.push(Block::Code(code.join("\n")));
        } else if t.starts_with('#') && heading_level(t).is_some() {
            let level = heading_level(t).unwrap_or(1);
            out.push(Block::Heading(level, inline(t[level as usize..].trim())));
            i += 1;
        } else if t.starts_with('>') {
            let mut inner = vec![];
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let l = lines[i].trim_start();
                inner.push(l.strip_prefix("> ").unwrap_or(&l[1..]));
                i += 1;
            }
            out.push(Block::Quote(parse_lines(&inner)));
        } else if let Some((start, _)) = list_marker(line) {
            let mut items: Vec<String> = vec![];
            while i < lines.len() {
                let l = lines[i];
                if l.trim().is_empty() {
                    // A blank line ends the list unless the next line goes on with it.
                    if lines
                        .get(i + 1)
                        .is_some_and(|n| list_marker(n).is_some_and(|(s, _)| s.is_some() == start.is_some()))
                    {
                        i += 1;
                        continue;
                    }
                    break;
                }
                match list_marker(l) {
                    Some((s, rest)) if s.is_some() == start.is_some() => items.push(rest.trim().to_string()),
                    Some(_) => break,
                    None if fence(l) || l.trim_start().starts_with('>') => break,
                    // A continuation line belongs to the item above.
                    None => {
                        if let Some(last) = items.last_mut() {
                            last.push(' ');
                            last.push_str(l.trim());
                        }
                    }
                }
                i += 1;
            }
            out.push(Block::List { start, items: items.iter().map(|s| inline(s)).collect() });
        } else {
            let mut para = vec![];
            while i < lines.len() {
                let l = lines[i];
                let lt = l.trim();
                if lt.is_empty() || fence(l) || (!para.is_empty() && (list_marker(l).is_some() || lt.starts_with('>')))
                {
                    break;
                }
                if !para.is_empty() && lt.starts_with('#') && heading_level(lt).is_some() {
                    break;
                }
                para.push(lt);
                i += 1;
            }
            out.push(Block::Para(inline(&para.join(" "))));
        }
    }
    out
}

/// `#`, `##` or `###` followed by a space.
fn heading_level(t: &str) -> Option<u8> {
    let n = t.bytes().take_while(|b| *b == b'#').count();
    ((1..=3).contains(&n) && t[n..].starts_with(' ')).then_some(n as u8)
}

/// Whether `href` may become a link: http or https, nothing else (no `javascript:`, no
/// `data:`), and no spaces or control characters.
pub fn safe_href(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && href.len() > 8
        && !href.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

/// Reads inline Markdown.
pub fn inline(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = vec![];
    inline_into(&chars, &mut out);
    out
}

fn push_text(out: &mut Vec<Inline>, s: &str) {
    if let Some(Inline::Text(t)) = out.last_mut() {
        t.push_str(s);
    } else if !s.is_empty() {
        out.push(Inline::Text(s.to_string()));
    }
}

/// The position of `pat` in `chars` at or after `from`.
fn find(chars: &[char], from: usize, pat: &[char]) -> Option<usize> {
    (from..=chars.len().saturating_sub(pat.len())).find(|&i| chars[i..].starts_with(pat))
}

fn word_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

fn inline_into(chars: &[char], out: &mut Vec<Inline>) {
    let mut i = 0;
    let s = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) => {
                push_text(out, &chars[i + 1].to_string());
                i += 2;
            }
            '`' => {
                let ticks = chars[i..].iter().take_while(|c| **c == '`').count();
                let pat = vec!['`'; ticks];
                match find(chars, i + ticks, &pat) {
                    Some(end) => {
                        out.push(Inline::Code(s(i + ticks, end).trim().to_string()));
                        i = end + ticks;
                    }
                    None => {
                        push_text(out, &s(i, i + ticks));
                        i += ticks;
                    }
                }
            }
            '*' if chars.get(i + 1) == Some(&'*') => {
                let end = find(chars, i + 2, &['*', '*']).filter(|e| *e > i + 2 && !chars[i + 2].is_whitespace());
                // `***` closes an inner `*` first, then the `**`.
                let end = end.map(|e| if chars.get(e + 2) == Some(&'*') { e + 1 } else { e });
                match end {
                    Some(end) => {
                        let mut inner = vec![];
                        inline_into(&chars[i + 2..end], &mut inner);
                        out.push(Inline::Strong(inner));
                        i = end + 2;
                    }
                    None => {
                        push_text(out, "**");
                        i += 2;
                    }
                }
            }
            '_' if chars.get(i + 1) == Some(&'_') => {
                // A run of underscores (`__init__`, `window.__x`) is text: no `__bold__`.
                let run = chars[i..].iter().take_while(|c| **c == '_').count();
                push_text(out, &"_".repeat(run));
                i += run;
            }
            '*' | '_' => {
                // `_` only at word edges, so snake_case_names stay as they are.
                let opens = chars.get(i + 1).is_some_and(|n| !n.is_whitespace())
                    && (c == '*' || !word_char(i.checked_sub(1).and_then(|p| chars.get(p))));
                let close = opens
                    .then(|| {
                        (i + 2..chars.len()).find(|&e| {
                            chars[e] == c
                                && !chars[e - 1].is_whitespace()
                                && (c == '*' && chars.get(e + 1) != Some(&'*')
                                    || c == '_'
                                        && chars[e - 1] != '_'
                                        && chars.get(e + 1) != Some(&'_')
                                        && !word_char(chars.get(e + 1)))
                        })
                    })
                    .flatten();
                match close {
                    Some(end) => {
                        let mut inner = vec![];
                        inline_into(&chars[i + 1..end], &mut inner);
                        out.push(Inline::Em(inner));
                        i = end + 1;
                    }
                    None => {
                        push_text(out, &c.to_string());
                        i += 1;
                    }
                }
            }
            '[' => {
                let link = find(chars, i + 1, &[']', '(']).and_then(|mid| {
                    // The target ends at its `)`, allowing balanced parentheses inside.
                    let mut depth = 0usize;
                    let end = (mid + 2..chars.len()).find(|&e| match chars[e] {
                        '(' => {
                            depth += 1;
                            false
                        }
                        ')' if depth == 0 => true,
                        ')' => {
                            depth -= 1;
                            false
                        }
                        _ => false,
                    })?;
                    // No nested brackets in the text part.
                    (!chars[i + 1..mid].contains(&'[')).then_some((mid, end))
                });
                match link {
                    Some((mid, end)) => {
                        let href = s(mid + 2, end).trim().to_string();
                        let mut text = vec![];
                        inline_into(&chars[i + 1..mid], &mut text);
                        if safe_href(&href) {
                            out.push(Inline::Link { text, href });
                        } else {
                            // Not a web link: keep the words, drop the target.
                            for t in text {
                                match t {
                                    Inline::Text(x) => push_text(out, &x),
                                    other => out.push(other),
                                }
                            }
                        }
                        i = end + 1;
                    }
                    None => {
                        push_text(out, "[");
                        i += 1;
                    }
                }
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], '\\' | '`' | '*' | '_' | '[') {
                    i += 1;
                }
                if i == start {
                    i += 1;
                }
                push_text(out, &s(start, i));
            }
        }
    }
}

fn render_inline(items: &[Inline]) -> Html {
    items
        .iter()
        .map(|i| match i {
            Inline::Text(t) => html! { { t.clone() } },
            Inline::Code(t) => html! { <code>{ t.clone() }</code> },
            Inline::Strong(v) => html! { <strong>{ render_inline(v) }</strong> },
            Inline::Em(v) => html! { <em>{ render_inline(v) }</em> },
            Inline::Link { text, href } => html! {
                <a href={href.clone()} target="_blank" rel="noopener noreferrer">{ render_inline(text) }</a>
            },
        })
        .collect()
}

fn render_blocks(blocks: &[Block]) -> Html {
    blocks
        .iter()
        .map(|b| match b {
            Block::Para(v) => html! { <p>{ render_inline(v) }</p> },
            Block::Heading(1, v) => html! { <h3>{ render_inline(v) }</h3> },
            Block::Heading(2, v) => html! { <h4>{ render_inline(v) }</h4> },
            Block::Heading(_, v) => html! { <h5>{ render_inline(v) }</h5> },
            Block::Code(t) => html! { <pre class="md-code"><code>{ t.clone() }</code></pre> },
            Block::List { start: None, items } => html! {
                <ul>{ for items.iter().map(|i| html! { <li>{ render_inline(i) }</li> }) }</ul>
            },
            Block::List { start: Some(n), items } => html! {
                <ol start={n.to_string()}>{ for items.iter().map(|i| html! { <li>{ render_inline(i) }</li> }) }</ol>
            },
            Block::Quote(inner) => html! { <blockquote>{ render_blocks(inner) }</blockquote> },
        })
        .collect()
}

/// Markdown as Yew nodes, in a `div.md`.
pub fn render(text: &str) -> Html {
    html! { <div class="md">{ render_blocks(&parse(text)) }</div> }
}

/// One line of inline Markdown (a choice, a summary line), in a `span`.
pub fn render_line(text: &str) -> Html {
    html! { <span class="md-inline">{ render_inline(&inline(text)) }</span> }
}

/// The text only, without marks (for the summary's one-line prompts, titles, aria labels).
pub fn plain(text: &str) -> String {
    fn walk(items: &[Inline], out: &mut String) {
        for i in items {
            match i {
                Inline::Text(t) | Inline::Code(t) => out.push_str(t),
                Inline::Strong(v) | Inline::Em(v) | Inline::Link { text: v, .. } => walk(v, out),
            }
        }
    }
    let mut out = String::new();
    for b in parse(text) {
        let v = match b {
            Block::Para(v) | Block::Heading(_, v) => v,
            Block::Code(t) => vec![Inline::Text(t)],
            Block::List { items, .. } => items.into_iter().flatten().collect(),
            Block::Quote(_) => continue,
        };
        if !out.is_empty() {
            out.push(' ');
        }
        walk(&v, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn html_in_a_file_stays_text() {
        let src = "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)> and **<b>bold</b>**";
        assert_eq!(
            parse(src),
            vec![
                Block::Para(vec![t("<script>alert(1)</script>")]),
                Block::Para(vec![t("<img src=x onerror=alert(2)> and "), Inline::Strong(vec![t("<b>bold</b>")])]),
            ]
        );
        assert_eq!(plain(src), "<script>alert(1)</script> <img src=x onerror=alert(2)> and <b>bold</b>");
    }

    #[test]
    fn only_web_links_become_links() {
        assert_eq!(
            inline("see [RFC 5321](https://www.rfc-editor.org/rfc/rfc5321) now"),
            vec![
                t("see "),
                Inline::Link { text: vec![t("RFC 5321")], href: "https://www.rfc-editor.org/rfc/rfc5321".into() },
                t(" now")
            ]
        );
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<b>x</b>",
            "//evil.example",
            "vbscript:x",
            "http://",
        ] {
            let parsed = inline(&format!("[click]({bad})"));
            assert_eq!(parsed, vec![t("click")], "{bad}");
        }
        assert!(!safe_href("https://a.example/\"onmouseover=x"));
        assert!(safe_href("http://mail.example/x?y=1"));
        assert_eq!(
            inline("[wiki](https://en.wikipedia.org/wiki/SMTP_(protocol))."),
            vec![
                Inline::Link { text: vec![t("wiki")], href: "https://en.wikipedia.org/wiki/SMTP_(protocol)".into() },
                t(".")
            ]
        );
    }

    #[test]
    fn inline_marks() {
        assert_eq!(
            inline("**SMTP** pushes, *POP3* and _IMAP_ pull; `RCPT TO:<bob@bob.example>`"),
            vec![
                Inline::Strong(vec![t("SMTP")]),
                t(" pushes, "),
                Inline::Em(vec![t("POP3")]),
                t(" and "),
                Inline::Em(vec![t("IMAP")]),
                t(" pull; "),
                Inline::Code("RCPT TO:<bob@bob.example>".into()),
            ]
        );
        assert_eq!(inline("snake_case_name and 2 * 3 * 4"), vec![t("snake_case_name and 2 * 3 * 4")]);
        assert_eq!(inline("\\*not italic\\*"), vec![t("*not italic*")]);
        assert_eq!(
            inline("window.__xss = 2 and __init__ and _x_"),
            vec![t("window.__xss = 2 and __init__ and "), Inline::Em(vec![t("x")])]
        );
        assert_eq!(inline("a _b __c_ d"), vec![t("a "), Inline::Em(vec![t("b __c")]), t(" d")]);
        assert_eq!(inline("an open `tick and **bold"), vec![t("an open `tick and **bold")]);
        assert_eq!(inline("`**not bold**`"), vec![Inline::Code("**not bold**".into())]);
        assert_eq!(
            inline("**bold *and italic***"),
            vec![Inline::Strong(vec![t("bold "), Inline::Em(vec![t("and italic")])])]
        );
    }

    #[test]
    fn blocks() {
        let src = "Intro line one\nline two.\n\n- first\n- second\n  continued\n\n1. one\n2. two\n\n```\nMAIL FROM:<a@b>\n  <script>\n```\n\n## Why\n> quoted *text*";
        assert_eq!(
            parse(src),
            vec![
                Block::Para(vec![t("Intro line one line two.")]),
                Block::List { start: None, items: vec![vec![t("first")], vec![t("second continued")]] },
                Block::List { start: Some(1), items: vec![vec![t("one")], vec![t("two")]] },
                Block::Code("MAIL FROM:<a@b>\n  <script>".into()),
                Block::Heading(2, vec![t("Why")]),
                Block::Quote(vec![Block::Para(vec![t("quoted "), Inline::Em(vec![t("text")])])]),
            ]
        );
        // An unclosed fence runs to the end; nothing is lost.
        assert_eq!(parse("```\nDATA"), vec![Block::Code("DATA".into())]);
        assert_eq!(parse("#hashtag"), vec![Block::Para(vec![t("#hashtag")])]);
        assert_eq!(parse(""), vec![]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "[", "[]", "[](", "[x](", "**", "*", "_", "`", "``", "\\", "> ", ">", "1.", "- ", "#", "[a](b", "é*ü*",
            "*é*", "_ _", "**ü**",
        ] {
            let _ = parse(s);
            let _ = plain(s);
        }
    }
}
