//! mailverdict: email authentication verification (SPF, DKIM, ARC, DMARC), Received-path
//! forensics and mail DNS audits, as a library.
//!
//! The engine behind the `mailverdict` command, usable without it: build a [`dns::Dns`] (live,
//! zone replay or recording), then [`check_message`] a message, [`trace_message`] its path,
//! [`evaluate_spf`] one SPF identity, or [`audit`] a domain's mail DNS. Each returns a
//! serializable report whose reasons are typed causes; [`report`] renders them as text, JSON or
//! an RFC 8601 Authentication-Results header. Nothing here prints.
//!
//! ```no_run
//! use mailverdict::dns::{Dns, Zone};
//! use mailverdict::{CheckOptions, Clock, check_message};
//!
//! let zone = Zone::from_files(&["testdata/demo/zone.db".into()])?;
//! let dns = Dns::new(Box::new(zone));
//! let message = std::fs::read("testdata/demo/signed.eml")?;
//! let report = check_message(&message, &dns, &CheckOptions::new(Clock::system(None)))?;
//! println!("{}", report.verdict.summary);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod audit;
mod auth;
mod common;
pub mod dns;
mod message;
mod path;
mod pipeline;
pub mod report;
mod transport;

pub use audit::findings::{Finding, Severity};
pub use audit::{AuditOptions, DomainReport, DomainSection, ProbeSettings, audit};
pub use auth::arc::{ArcReport, ArcSetReport};
pub use auth::dkim::DkimReport;
pub use auth::dkim::explain::{DkimExplanation, explain as explain_dkim};
pub use auth::dmarc::{DmarcReport, DmarcSpec};
pub use auth::spf::{SpfReport, SpfRequest, TermTrace, TraceNode, evaluate as evaluate_spf};
pub use common::{At, AuthResult, Clock, Dnssec};
pub use message::input::{InputError, MAX_SIZE, SizeError, describe, parse_size, read_message};
pub use message::mbox::count as mbox_messages;
pub use message::{Author, AuthorProblem, MessageError};
pub use path::authres::FieldReport;
pub use path::trust::{TrustedMta, TrustedMtaError};
pub use path::{Hop, PathInfo};
pub use pipeline::batch::{
    BatchConfig, Shard, Summary as BatchSummary, run as batch, summary_text as batch_summary_text,
};
pub use pipeline::check::check_message;
pub use pipeline::filter::{
    ExtraHeader, FilterConfig, FilterError, Handling as FilterHandling, run as filter,
    run_stdio as filter_stdio,
};
pub use pipeline::milter::{
    Listen, ListenError, Log as MilterLog, MilterConfig, MilterError, OnFailure, serve as milter,
};
pub use pipeline::stage::CheckOptions;
pub use pipeline::trace::trace_message;
pub use report::model::{CheckReport, SpfDocument, TraceReport, Verdict};
pub use transport::https::{ConnectTo, HttpsClient};

/// Parsers for the records and header fields the checks read, for embedders and for testing
/// with hostile input. Each returns a typed error on bad input and never panics.
pub mod parse {
    pub use crate::auth::dkim::key::KeyRecord;
    pub use crate::auth::dmarc::parse as dmarc_record;
    pub use crate::auth::spf::macros::validate as spf_macro;
    pub use crate::auth::spf::record::parse as spf_record;
    pub use crate::auth::tags::TagList;
    pub use crate::path::authres::parse as authentication_results;
    pub use crate::pipeline::filter::rename_our_fields;
    pub use crate::transport::mta_sts::{parse_policy as mta_sts_policy, parse_txt as mta_sts_txt};
    pub use crate::transport::tls_rpt::parse as tls_rpt;
}
