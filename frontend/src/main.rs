fn main() {
    // index.html shows the page's name and a loading line until the app
    // runs (and says so if it cannot start); the app takes over from here.
    if let Some(loading) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("loading"))
    {
        loading.remove();
    }
    yew::Renderer::<roundtrip_frontend::learn::Root>::new().render();
}
