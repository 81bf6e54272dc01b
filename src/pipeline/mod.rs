//! The pipelines: `check` and `trace` build one report per message; `filter` passes a message
//! through with our Authentication-Results field; `batch` checks many in parallel.

pub mod batch;
pub mod check;
pub mod filter;
pub mod milter;
pub(crate) mod stage;
pub mod trace;
