#![recursion_limit = "256"]
//! The dashboard's browser entry point (`/app`, `/mentor`): hydrates them
//! with [`app::App`].

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    app::bundle::start(app::App, app::bundle::Bundle::Dashboard);
}
