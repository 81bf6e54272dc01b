//! TLS-RPT (RFC 8460) in the domain audit.

use super::findings::Findings;
use super::records_starting;
use crate::dns::{Dns, Failure};

/// A TXT record at `_smtp._tls` that is not TLS-RPT (a wrong version tag, say), if any.
fn ignored_record(dns: &Dns, name: &str) -> Option<String> {
    let all = dns.txt(name).ok()?;
    let first = all.first()?;
    Some(String::from_utf8_lossy(first).into_owned())
}

pub(super) fn audit_tls_rpt(
    dns: &Dns,
    domain: &str,
    wants_tls: bool,
    f: &mut Findings,
) -> Option<String> {
    let name = format!("_smtp._tls.{domain}");
    let found = match records_starting(dns, &name, "v=TLSRPTv1") {
        Err(Failure::NxDomain | Failure::NoData) => Ok(Vec::new()),
        other => other,
    };
    match found {
        Ok(r) if r.is_empty() => {
            if let Some(other) = ignored_record(dns, &name) {
                f.warning(
                    "tls-rpt.ignored",
                    format!("{name} has a TXT record that does not start with v=TLSRPTv1 (\"{other}\"): it is ignored (RFC 8460 §3), so no TLS reports are sent"),
                    Some("start the record with \"v=TLSRPTv1;\""),
                );
            } else if wants_tls {
                f.warning("tls-rpt.missing", format!("no TLS-RPT record at {name}: TLS delivery failures to this domain go unreported"), Some("publish \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\""));
            } else {
                f.info("tls-rpt.missing", format!("no TLS-RPT record at {name}"));
            }
            None
        }
        Ok(r) if r.len() > 1 => {
            f.error(
                "tls-rpt.multiple",
                format!("{} TLS-RPT records at {name}", r.len()),
                Some("keep exactly one"),
            );
            None
        }
        Ok(r) => {
            match crate::transport::tls_rpt::parse(&r[0]) {
                Ok(uris) => {
                    f.info("tls-rpt.ok", format!("reports go to {}", uris.join(", ")));
                    for uri in &uris {
                        if let Some(dest) = uri
                            .strip_prefix("mailto:")
                            .and_then(crate::message::domain_of)
                        {
                            super::report_mailbox(dns, "tls-rpt.report-no-mx", uri, &dest, f);
                        }
                    }
                }
                Err(e) => f.error(
                    "tls-rpt.syntax",
                    format!("{name}: {e}"),
                    Some("fix the record"),
                ),
            }
            Some(r[0].clone())
        }
        Err(e) => {
            if e.is_temporary() {
                f.dns_failure(
                    "tls-rpt.dns-error",
                    format!("TXT lookup for {name} failed: {e}"),
                );
            }
            None
        }
    }
}
