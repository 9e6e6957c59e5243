//! One operation's events folded into meaning, once, for every view and
//! export to read: an HTTP [`http::Exchange`] (attempts → hops) and a DNS
//! [`dns::Ladder`] (rungs, with the dig-style outcome derived from it).
//!
//! The model knows no geometry and no display strings: relay times stay
//! microseconds, bytes stay bytes. Views (waterfall, retry timeline, HAR,
//! payload inspector, HTTP answer, DNS ladder) lay it out; they do not walk
//! an HTTP or DNS operation's events themselves.

pub mod dns;
pub mod http;
