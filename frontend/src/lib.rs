//! The WASM entry point: hydrates the server-rendered portal.

/// Called by the hydration script once the WASM module has loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(keyport_app::App);
    // Lets browser tests wait for interactivity instead of sleeping.
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"__keyport_hydrated".into(), &true.into());
    }
}
