//! The DMARC section of the human check report.

use std::fmt::Write;

use super::opt;
use crate::auth::dmarc::DmarcReport;
use crate::report::escape::term;
use crate::report::style;

/// The DMARC section of the check report: result and reason, the policy found, alignment and
/// disposition.
pub(super) fn section(o: &mut String, d: &DmarcReport) {
    let _ = writeln!(
        o,
        "\n{}: {} — {}",
        style::heading("DMARC"),
        style::result(d.result),
        term(&d.reason)
    );
    if let Some(pd) = &d.policy_domain {
        let _ = writeln!(
            o,
            "  policy at _dmarc.{}: p={} sp={} pct={} adkim={} aspf={}",
            term(pd),
            opt(&d.policy),
            opt(&d.subdomain_policy),
            d.pct.map_or("-".into(), |p| p.to_string()),
            opt(&d.adkim),
            opt(&d.aspf)
        );
        let yn = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(
            o,
            "  aligned: SPF {}, DKIM {}; disposition: {}",
            yn(d.spf_aligned),
            yn(d.dkim_aligned),
            term(&d.disposition)
        );
    }
}
