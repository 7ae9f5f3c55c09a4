//! The message inspector: header fields as a table, the MIME tree with each part's type,
//! encoding, size and decoded text, and the raw source. Everything is rendered as text
//! nodes: an HTML part shows its source, it is never interpreted.

use crate::engine::message_tree as inspect;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub raw: Rc<Vec<u8>>,
}

#[function_component(MessageInspector)]
pub fn message_inspector(props: &InspectorProps) -> Html {
    // The message is taken apart by the engine module: until it is here, the source only.
    let loaded = use_state(crate::engine::loaded);
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| {
            if !*loaded {
                wasm_bindgen_futures::spawn_local(async move {
                    if crate::engine::load().await.is_ok() {
                        loaded.set(true);
                    }
                });
            }
        });
    }
    let i = use_memo((props.raw.clone(), *loaded), |(raw, _)| inspect(raw));
    let source = String::from_utf8_lossy(&props.raw).replace("\r\n", "\n");
    let Some(i) = i.as_ref() else {
        return html! {
            <div class="inspector">
                <p class="loading" role="status">{"Reading the message… (the mail engine is loading)"}</p>
                <details class="source">
                    <summary>{ format!("Source ({} bytes)", props.raw.len()) }</summary>
                    <pre class="raw">{ source }</pre>
                </details>
            </div>
        };
    };
    html! {
        <div class="inspector">
            <h4>{"Header fields"}</h4>
            <table class="header-table">
                { for i.header.iter().map(|(n, v)| html! { <tr><th scope="row">{ n.clone() }</th><td>{ v.clone() }</td></tr> }) }
            </table>
            <h4>{"MIME structure"}</h4>
            <ul class="mime-tree">
                { for i.parts.iter().map(|p| html! {
                    <li class={format!("depth-{}", p.depth.min(5))}>
                        <code class="ctype">{ p.content_type.clone() }</code>
                        { for p.filename.as_ref().map(|f| html! { <>{" · file "}<q class="filename">{ f.clone() }</q></> }) }
                        if !p.content_type.starts_with("multipart/") {
                            { format!(" · {} · {} bytes decoded", p.encoding, p.size) }
                        }
                        { for p.text.as_ref().map(|t| html! { <pre class="part-text">{ t.clone() }</pre> }) }
                    </li>
                }) }
            </ul>
            <details class="source">
                <summary>{ format!("Source ({} bytes)", props.raw.len()) }</summary>
                <pre class="raw">{ source }</pre>
            </details>
        </div>
    }
}
