//! Moving keyboard focus from event handlers.

/// Focuses the element with this id. Returns whether there was one to focus
/// (always `false` on the server, where there is no document).
pub fn focus_element(id: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(element) =
            leptos::prelude::document().get_element_by_id(id).and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            return element.focus().is_ok();
        }
    }
    let _ = id;
    false
}
