#![recursion_limit = "256"]
//! The public pages' browser entry point: hydrates them with
//! [`app::PublicApp`], which links none of the dashboard's code.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::bundle::redirect_with_page_loads();
    leptos::mount::hydrate_body(app::PublicApp);
    // Lets styles and browser tests tell a live page from server HTML.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}
