//! The page's parts. Each takes what it shows as props and reports what the
//! learner did through callbacks; none of them holds protocol state.

pub mod connect_panel;
pub mod dns_panel;
pub mod error_list;
pub mod faults;
pub mod http_panel;
pub mod lifecycle_view;
pub mod listen_panel;
pub mod message_panel;
pub mod sequence_diagram;
pub mod udp_panel;

pub use connect_panel::ConnectPanel;
pub use dns_panel::DnsPanel;
pub use error_list::ErrorList;
pub use http_panel::HttpPanel;
pub use lifecycle_view::LifecycleView;
pub use listen_panel::ListenPanel;
pub use message_panel::MessagePanel;
pub use sequence_diagram::SequenceDiagram;
pub use udp_panel::UdpPanel;
