//! BIMI (the `default._bimi` record) in the domain audit.

use super::findings::Findings;
use super::records_starting;
use crate::auth::tags::TagList;
use crate::dns::Dns;

pub(super) fn audit_bimi(dns: &Dns, domain: &str, f: &mut Findings) -> Option<String> {
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
    Some(text)
}
