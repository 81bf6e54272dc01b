//! `trace`: the path stage alone, as a report.

use super::stage::{CheckOptions, path_lookups, path_stage};
use crate::dns::Dns;
use crate::message::{Message, MessageError, to_crlf};
use crate::report::model::{DnsStats, TraceReport};

/// Trace one message's path (no signature checks).
pub fn trace_message(
    input: &[u8],
    dns: &Dns,
    opts: &CheckOptions,
) -> Result<TraceReport, MessageError> {
    let wire = to_crlf(input);
    let msg = Message::parse(&wire)?;
    let stage = path_stage(&msg, input.len(), opts, dns);
    let lookups = path_lookups(dns, &stage, opts);
    Ok(TraceReport {
        schema: "mailverdict.trace.v2",
        message: stage.message,
        path: stage.path,
        iprev: lookups.iprev,
        authentication_results: stage.authentication_results,
        received_spf: stage.received_spf,
        dnsbl: lookups.dnsbl,
        transport: lookups.transport,
        dns: DnsStats::of(dns),
    })
}
