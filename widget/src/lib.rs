//! The embeddable chat widget. A page adds one tag,
//! `<script src="https://HOST/widget.js" data-key="pk_…" async></script>`;
//! the loader imports this module and calls [`mount`]. Everything renders
//! inside a Shadow DOM so the host page's CSS cannot reach it.
//!
//! This is the launcher and an empty panel; the conversation arrives with the
//! chat issue. The crate never depends on `app`: it must stay tiny.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, KeyboardEvent, ShadowRootInit, ShadowRootMode};

const HOST_ID: &str = "lodestar-widget";

const STYLE: &str = r#"
:host { all: initial; }
.launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 50%;
  border: 0; background: #4f46e5; color: #fff; cursor: pointer; box-shadow: 0 6px 20px rgba(0,0,0,.25);
  font: 600 24px/1 system-ui, sans-serif; z-index: 2147483000; }
.launcher:focus-visible { outline: 3px solid #a5b4fc; outline-offset: 3px; }
.panel { position: fixed; right: 20px; bottom: 88px; width: min(380px, calc(100vw - 40px)); height: min(560px, calc(100vh - 120px));
  background: #fff; color: #111827; border-radius: 16px; box-shadow: 0 12px 40px rgba(0,0,0,.25);
  font: 15px/1.5 system-ui, sans-serif; display: flex; flex-direction: column; overflow: hidden; z-index: 2147483000; }
.panel[hidden] { display: none; }
.header { background: #4f46e5; color: #fff; padding: 14px 16px; font-weight: 600; }
.body { padding: 16px; flex: 1; }
@media (max-width: 480px) { .panel { inset: 0; width: 100vw; height: 100vh; border-radius: 0; } }
"#;

/// Mounts the launcher for the workspace whose publishable key is `key`.
/// Calling it twice on one page does nothing the second time.
#[wasm_bindgen]
pub fn mount(key: &str) -> Result<(), JsValue> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    if document.get_element_by_id(HOST_ID).is_some() {
        return Ok(());
    }
    let host = document.create_element("div")?;
    host.set_id(HOST_ID);
    host.set_attribute("data-key", key)?;
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;

    let style = document.create_element("style")?;
    style.set_text_content(Some(STYLE));
    shadow.append_child(&style)?;

    let panel: HtmlElement = element(
        &document,
        "section",
        &[("class", "panel"), ("role", "dialog"), ("aria-label", "Chat"), ("tabindex", "-1"), ("hidden", "")],
    )?
    .dyn_into()?;
    let header = element(&document, "div", &[("class", "header")])?;
    header.set_text_content(Some("Chat with us"));
    let body = element(&document, "div", &[("class", "body"), ("aria-live", "polite")])?;
    body.set_text_content(Some("Hi! This assistant is being set up. Please check back soon."));
    panel.append_child(&header)?;
    panel.append_child(&body)?;

    let launcher: HtmlElement = element(
        &document,
        "button",
        &[("class", "launcher"), ("type", "button"), ("aria-label", "Open chat"), ("aria-expanded", "false")],
    )?
    .dyn_into()?;
    launcher.set_text_content(Some("💬"));

    let toggle = {
        let (panel, launcher) = (panel.clone(), launcher.clone());
        Closure::<dyn FnMut()>::new(move || set_open(&panel, &launcher, panel.has_attribute("hidden")))
    };
    launcher.add_event_listener_with_callback("click", toggle.as_ref().unchecked_ref())?;
    toggle.forget();

    let on_key = {
        let (panel, launcher) = (panel.clone(), launcher.clone());
        Closure::<dyn FnMut(KeyboardEvent)>::new(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                set_open(&panel, &launcher, false);
            }
        })
    };
    // On the shadow root, so Escape works wherever focus is inside the widget.
    shadow.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref())?;
    on_key.forget();

    shadow.append_child(&panel)?;
    shadow.append_child(&launcher)?;
    document.body().ok_or("no body")?.append_child(&host)?;
    Ok(())
}

fn element(document: &Document, tag: &str, attributes: &[(&str, &str)]) -> Result<Element, JsValue> {
    let element = document.create_element(tag)?;
    for (name, value) in attributes {
        element.set_attribute(name, value)?;
    }
    Ok(element)
}

/// Opens the panel with focus inside it, or closes it and returns focus to
/// the launcher.
fn set_open(panel: &HtmlElement, launcher: &HtmlElement, open: bool) {
    let _ = launcher.set_attribute("aria-expanded", if open { "true" } else { "false" });
    if open {
        let _ = panel.remove_attribute("hidden");
        let _ = panel.focus();
    } else {
        let _ = panel.set_attribute("hidden", "");
        let _ = launcher.focus();
    }
}
