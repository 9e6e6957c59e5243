//! The page's parts. Each takes what it shows as props and reports what the
//! learner did through callbacks; the page model (`shared::page`) holds the
//! session's state, and a panel keeps only its own form's fields.

pub mod code_panel;
pub mod connect_panel;
pub mod dns_panel;
pub mod dns_view;
pub mod error_list;
pub mod explainer;
pub mod faults;
pub mod har_export;
pub mod http_panel;
pub mod lifecycle_view;
pub mod listen_panel;
pub mod masthead;
pub mod message_panel;
pub mod page_tools;
pub mod payload_inspector;
pub mod replay_bar;
pub mod retry_view;
pub mod sequence_diagram;
pub mod tabs;
pub mod target_picker;
pub mod tone_legend;
pub mod udp_panel;
pub mod views;
pub mod waterfall_view;

pub use code_panel::CodePanel;
pub use connect_panel::ConnectPanel;
pub use dns_panel::DnsPanel;
pub use dns_view::DnsView;
pub use error_list::ErrorList;
pub use http_panel::HttpPanel;
pub use lifecycle_view::LifecycleView;
pub use listen_panel::ListenPanel;
pub use message_panel::MessagePanel;
pub use page_tools::PageTools;
pub use payload_inspector::PayloadInspector;
pub use replay_bar::ReplayBar;
pub use retry_view::RetryView;
pub use sequence_diagram::SequenceDiagram;
pub use tabs::{Tab, TabPanel, Tabs};
pub use tone_legend::ToneLegend;
pub use udp_panel::UdpPanel;
pub use waterfall_view::WaterfallView;
