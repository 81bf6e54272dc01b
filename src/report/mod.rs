//! The report model and its renderers (human, JSON, Authentication-Results).

pub mod arh;
pub mod escape;
pub mod human;
pub mod json;
pub(crate) mod model;
pub mod received_spf;
pub mod style;
