//! The human reports: one verdict line, then one section per mechanism saying why. Every value
//! that came from the message or DNS goes through `escape::term`.

mod check;
mod dmarc;
mod domain;
mod path;
mod spf;

pub use check::check;
pub use domain::domain;
pub use path::trace;
pub use spf::spf;

use crate::report::escape::term;

/// A value or `-`, escaped.
fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "-".to_string(), term)
}
