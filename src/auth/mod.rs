//! The authentication mechanisms: SPF, DKIM, ARC, DMARC and the tag lists they share. Each
//! returns its typed result; none prints.

pub mod arc;
mod arc_cause;
pub mod dkim;
pub mod dmarc;
pub mod spf;
pub mod tags;
