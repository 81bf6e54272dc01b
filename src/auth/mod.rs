//! The authentication mechanisms. Each builds its part of the report; none prints.

pub mod arc;
pub mod authres;
pub mod dkim;
pub mod dmarc;
pub mod iprev;
pub mod spf;
pub mod tags;
