//! The session in other tools' formats: the HTTP exchanges as a HAR 1.2
//! archive (the diagram's SVG and Mermaid export stay with the diagram).

pub mod har;
mod har_fields;
