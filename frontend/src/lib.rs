//! The WASM entry point: hydrates the islands of the server-rendered portal.

/// Called by the islands script once the WASM module has loaded; the script then hydrates
/// every `<leptos-island>` of the page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    keyport_app::islands::watch_hydration();
}
