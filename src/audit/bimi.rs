//! BIMI (the `default._bimi` record) in the domain audit.

use super::DmarcSection;
use super::findings::Findings;
use super::records_starting;
use crate::auth::dmarc::record::Policy;
use crate::auth::tags::TagList;
use crate::dns::Dns;

/// Why the DMARC policy does not enforce enough for BIMI (p=quarantine or reject for the
/// domain and its subdomains, applied to all mail), if it does not.
fn not_enforcing(d: &DmarcSection) -> Option<String> {
    match d.p {
        None => return Some("no DMARC policy".into()),
        Some(Policy::None) => return Some("p=none".into()),
        _ => {}
    }
    if d.sp == Some(Policy::None) {
        return Some("sp=none".into());
    }
    if d.testing {
        return Some("t=y (receivers apply one level below)".into());
    }
    d.pct
        .map(|p| format!("pct={p} (RFC 7489 receivers apply it to part of the mail)"))
}

pub(super) fn audit_bimi(
    dns: &Dns,
    domain: &str,
    dmarc: &DmarcSection,
    f: &mut Findings,
) -> Option<String> {
    let name = format!("default._bimi.{domain}");
    let r = records_starting(dns, &name, "v=BIMI1").ok()?;
    let text = r.first()?.clone();
    match TagList::parse(&text) {
        Ok(t)
            if t.get("l")
                .is_some_and(|l| l.is_empty() || l.starts_with("https://")) =>
        {
            f.info("bimi.present", format!("BIMI record at {name}"));
        }
        Ok(_) => f.warning(
            "bimi.syntax",
            format!("{name}: l= must be an https: URL (or empty)"),
            None,
        ),
        Err(e) => f.warning("bimi.syntax", format!("{name}: {e}"), None),
    }
    if let Some(why) = not_enforcing(dmarc) {
        f.warning(
            "bimi.dmarc-not-enforcing",
            format!("{name} is published, but the DMARC policy does not enforce ({why}): mailbox providers show no BIMI logo"),
            Some("move DMARC to p=quarantine or p=reject (sp= too) for all mail"),
        );
    }
    Some(text)
}
