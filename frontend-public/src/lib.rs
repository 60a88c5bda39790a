#![recursion_limit = "256"]
//! The public pages' browser entry point: hydrates them with
//! [`app::PublicApp`], which links none of the dashboard's code.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    app::bundle::start(app::PublicApp, app::bundle::Bundle::Public);
}
