fn main() {
    yew::Renderer::<roundtrip_frontend::app::App>::new().render();
}
