//! BIMI in the domain audit: the `default._bimi` record, DMARC enforcement, the SVG logo at
//! `l=` (fetched over HTTPS, SVG Tiny PS) and the VMC/CMC at `a=` (chain, validity at `--at`,
//! domain, the logotype hash against the logo).

use super::DmarcSection;
use super::bimi_svg;
use super::bimi_vmc::{self, VmcFinding};
use super::findings::Findings;
use super::records_starting;
use crate::auth::dmarc::record::Policy;
use crate::auth::tags::TagList;
use crate::dns::Dns;
use crate::transport::https::HttpsClient;

/// The BIMI extended key usage, as the reasons name it.
const BIMI_EKU: &str = "1.3.6.1.5.5.7.3.31";

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

/// The longest evidence document (PEM chain) read.
const MAX_PEM: usize = 64 * 1024;

/// What the BIMI part of the audit needs beyond DNS.
pub(super) struct BimiContext<'a> {
    /// Fetches the logo and the evidence document; None leaves them unchecked.
    pub https: Option<&'a HttpsClient>,
    /// `--ca-file` contents: anchors for the VMC/CMC chain.
    pub anchors: Option<&'a [u8]>,
    /// When the certificate's validity is judged (`--at`, else now), unix seconds.
    pub now: i64,
}

/// `https://host/path` as (host, path); other URLs (a port, another scheme) are not fetched.
fn https_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    (!host.is_empty() && !host.contains([':', '@'])).then_some((host, path))
}

fn fetch(dns: &Dns, client: &HttpsClient, url: &str, limit: usize) -> Result<Vec<u8>, String> {
    let Some((host, path)) = https_url(url) else {
        return Err("not an https://host/path URL".into());
    };
    match client.get(dns, host, path, limit) {
        Ok(r) if r.status == 200 => Ok(r.body),
        Ok(r) => Err(format!("HTTP {}", r.status)),
        Err(e) => Err(e.to_string()),
    }
}

pub(super) fn audit_bimi(
    dns: &Dns,
    domain: &str,
    dmarc: &DmarcSection,
    cx: &BimiContext<'_>,
    f: &mut Findings,
) -> Option<String> {
    let name = format!("default._bimi.{domain}");
    let r = records_starting(dns, &name, "v=BIMI1").ok()?;
    let text = r.first()?.clone();
    let mut urls = (None, None);
    match TagList::parse(&text) {
        Ok(t)
            if t.get("l")
                .is_some_and(|l| l.is_empty() || l.starts_with("https://")) =>
        {
            f.info("bimi.present", format!("BIMI record at {name}"));
            urls = (
                t.get("l").filter(|l| !l.is_empty()).map(str::to_string),
                t.get("a").filter(|a| !a.is_empty()).map(str::to_string),
            );
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
    if let Some(client) = cx.https {
        let svg = urls.0.as_deref().and_then(|l| logo(dns, client, l, f));
        match urls.1.as_deref() {
            Some(a) => evidence(dns, client, a, domain, svg.as_deref(), cx, f),
            None => f.info(
                "bimi.no-vmc",
                format!(
                    "{name} has no a= (VMC or CMC): most mailbox providers show no logo without one"
                ),
            ),
        }
    }
    Some(text)
}

/// Fetch and check the logo; its bytes when fetched.
fn logo(dns: &Dns, client: &HttpsClient, url: &str, f: &mut Findings) -> Option<Vec<u8>> {
    // Twice the profile's limit is read, so that an oversized logo is reported as such.
    let svg = match fetch(dns, client, url, 2 * bimi_svg::MAX_SVG) {
        Ok(b) => b,
        Err(e) => {
            f.error(
                "bimi.svg-fetch-failed",
                format!("{url}: {e}"),
                Some("serve the logo over HTTPS with a publicly trusted certificate"),
            );
            return None;
        }
    };
    let problems = bimi_svg::check(&svg);
    if problems.is_empty() {
        f.info(
            "bimi.svg-ok",
            format!("{url}: SVG Tiny PS, {} octets", svg.len()),
        );
    }
    for p in problems {
        f.error(
            "bimi.svg-profile",
            format!("{url}: {p}"),
            Some("export the logo as SVG Tiny 1.2 Portable/Secure (square, with a <title>)"),
        );
    }
    Some(svg)
}

/// Fetch and check the VMC/CMC.
fn evidence(
    dns: &Dns,
    client: &HttpsClient,
    url: &str,
    domain: &str,
    svg: Option<&[u8]>,
    cx: &BimiContext<'_>,
    f: &mut Findings,
) {
    let pem = match fetch(dns, client, url, MAX_PEM) {
        Ok(b) => b,
        Err(e) => {
            f.error("bimi.vmc-fetch-failed", format!("{url}: {e}"), None);
            return;
        }
    };
    let findings = match bimi_vmc::check(&pem, domain, cx.now, cx.anchors, svg) {
        Ok(v) => v,
        Err(e) => {
            f.error("bimi.vmc-invalid", format!("{url}: {e}"), None);
            return;
        }
    };
    for v in findings {
        match v {
            VmcFinding::ChainOk { anchor } => f.info(
                "bimi.vmc-chain",
                format!("{url}: the chain verifies to {anchor} (--ca-file)"),
            ),
            VmcFinding::Unverified => f.info(
                "bimi.vmc-unverified",
                format!("{url}: chain not verified: BIMI roots are in no trust store; give them with --ca-file"),
            ),
            VmcFinding::ChainBroken(why) => f.error(
                "bimi.vmc-chain",
                format!("{url}: {why}"),
                Some("serve the full chain, leaf first, from a BIMI-qualified CA"),
            ),
            VmcFinding::Expired { not_after } => f.error(
                "bimi.vmc-expired",
                format!("{url}: the certificate expired ({not_after})"),
                Some("renew the VMC/CMC"),
            ),
            VmcFinding::NotYetValid { not_before } => f.error(
                "bimi.vmc-expired",
                format!("{url}: the certificate is not valid before {not_before}"),
                None,
            ),
            VmcFinding::NoEku => f.error(
                "bimi.vmc-eku",
                format!("{url}: no BIMI extended key usage ({BIMI_EKU}): not a VMC or CMC"),
                None,
            ),
            VmcFinding::Domain { names } => f.error(
                "bimi.vmc-domain",
                format!(
                    "{url}: the certificate names {} , not {domain}",
                    if names.is_empty() { "no domain".to_string() } else { names.join(", ") }
                ),
                Some("use a certificate issued for this domain"),
            ),
            VmcFinding::NoLogotype => f.error(
                "bimi.vmc-logotype",
                format!("{url}: no RFC 3709 logotype extension with a hashed image"),
                None,
            ),
            VmcFinding::LogotypeHash => f.error(
                "bimi.vmc-logotype",
                format!("{url}: the embedded logo does not match the logotype hash"),
                None,
            ),
            VmcFinding::SvgMismatch => f.error(
                "bimi.vmc-logo-mismatch",
                format!("{url}: the logo at l= is not the one in the certificate"),
                Some("serve exactly the SVG the certificate was issued for"),
            ),
            VmcFinding::SvgMatches => f.info(
                "bimi.vmc-logo",
                format!("{url}: the logo at l= is the certificate's (logotype hash)"),
            ),
        }
    }
}
