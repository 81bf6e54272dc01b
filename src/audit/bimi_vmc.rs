//! The BIMI evidence document at `a=`: a VMC or CMC, a PEM chain read with x509-parser, its
//! RFC 3709 logotype extension (which x509-parser does not parse) read with der-parser.

use std::io::Read;

use x509_parser::der_parser::ber::{BerObject, BerObjectContent, parse_ber};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{ASN1Time, FromDer, Pem, X509Certificate};

use crate::dns::name::is_subdomain_of;

/// id-pe-logotype (RFC 3709).
const LOGOTYPE_OID: &str = "1.3.6.1.5.5.7.1.12";
/// id-kp-BrandIndicatorforMessageIdentification, the VMC/CMC extended key usage.
const BIMI_EKU_OID: &str = "1.3.6.1.5.5.7.3.31";
const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";
const SHA1_OID: &str = "1.3.14.3.2.26";
/// A decompressed logo larger than this is not read further.
const MAX_LOGO: u64 = 1024 * 1024;

/// What the evidence document says, as the audit reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum VmcFinding {
    /// The chain verifies to a `--ca-file` anchor.
    ChainOk { anchor: String },
    /// No `--ca-file`: BIMI roots are not in any trust store, so the chain is unverified.
    Unverified,
    /// The chain does not verify.
    ChainBroken(String),
    /// The certificate is outside its validity at `--at`.
    Expired { not_after: String },
    /// Not yet valid at `--at`.
    NotYetValid { not_before: String },
    /// No BIMI extended key usage.
    NoEku,
    /// The certificate names other domains.
    Domain { names: Vec<String> },
    /// No logotype extension, or none with a hash and an image.
    NoLogotype,
    /// The embedded logo does not hash to the value the extension gives.
    LogotypeHash,
    /// The logo at `l=` is not the certificate's.
    SvgMismatch,
    /// The logo at `l=` is the certificate's.
    SvgMatches,
}

/// Why the document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum VmcError {
    /// No certificate in the PEM.
    #[error("no PEM certificate in the document")]
    NoCertificate,
    /// A PEM block that is not an X.509 certificate.
    #[error("PEM block {0} is not an X.509 certificate")]
    Bad(usize),
}

/// The hashes and images a logotype extension carries.
#[derive(Debug, Default)]
struct Logotype {
    hashes: Vec<(String, Vec<u8>)>,
    uris: Vec<String>,
}

/// Collect every HashAlgAndValue and IA5String URI, whatever the tagging (RFC 3709's module
/// uses implicit tags, so context-tagged contents are read again as BER).
fn walk(data: &[u8], depth: usize, out: &mut Logotype) {
    if depth > 24 {
        return;
    }
    let mut rest = data;
    while !rest.is_empty() {
        let Ok((next, obj)) = parse_ber(rest) else {
            return;
        };
        visit(&obj, depth, out);
        rest = next;
    }
}

fn visit(obj: &BerObject<'_>, depth: usize, out: &mut Logotype) {
    match &obj.content {
        BerObjectContent::Sequence(items) | BerObjectContent::Set(items) => {
            if let [alg, value] = items.as_slice()
                && let (BerObjectContent::Sequence(a), BerObjectContent::OctetString(v)) =
                    (&alg.content, &value.content)
                && let Some(BerObjectContent::OID(oid)) = a.first().map(|x| &x.content)
            {
                out.hashes.push((oid.to_id_string(), v.to_vec()));
            }
            for i in items {
                visit(i, depth + 1, out);
            }
        }
        BerObjectContent::IA5String(s) => out.uris.push((*s).to_string()),
        BerObjectContent::Tagged(_, _, inner) => visit(inner, depth + 1, out),
        BerObjectContent::Unknown(any) => walk(any.data, depth + 1, out),
        _ => {}
    }
}

/// The image bytes of a `data:` URI (base64), gunzipped when compressed (as VMCs embed it).
fn data_uri(uri: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::Engine;
    let rest = uri.strip_prefix("data:")?;
    let (meta, payload) = rest.split_once(',')?;
    if !meta.ends_with(";base64") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .ok()?;
    let image = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_LOGO)
            .read_to_end(&mut out)
            .ok()?;
        out
    } else {
        raw.clone()
    };
    Some((raw, image))
}

fn digest(oid: &str, data: &[u8]) -> Option<Vec<u8>> {
    let alg = match oid {
        SHA256_OID => &ring::digest::SHA256,
        SHA1_OID => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        _ => return None,
    };
    Some(ring::digest::digest(alg, data).as_ref().to_vec())
}

/// Check a PEM evidence document for `domain` at time `now`, against `anchors` (PEM bytes of
/// `--ca-file`, when given) and the logo served at `l=` (when fetched).
pub(super) fn check(
    pem: &[u8],
    domain: &str,
    now: i64,
    anchors: Option<&[u8]>,
    svg: Option<&[u8]>,
) -> Result<Vec<VmcFinding>, VmcError> {
    let blocks: Vec<Pem> = Pem::iter_from_buffer(pem)
        .take(16)
        .filter_map(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .collect();
    let mut chain = Vec::new();
    for (i, p) in blocks.iter().enumerate() {
        let (_, cert) = X509Certificate::from_der(&p.contents).map_err(|_| VmcError::Bad(i + 1))?;
        chain.push(cert);
    }
    let Some(leaf) = chain.first() else {
        return Err(VmcError::NoCertificate);
    };
    let mut out = vec![chain_status(&chain, anchors)];
    let at = ASN1Time::from_timestamp(now).unwrap_or_else(|_| ASN1Time::now());
    let validity = leaf.validity();
    if at > validity.not_after {
        out.push(VmcFinding::Expired {
            not_after: validity.not_after.to_string(),
        });
    } else if at < validity.not_before {
        out.push(VmcFinding::NotYetValid {
            not_before: validity.not_before.to_string(),
        });
    }
    let eku = leaf.extended_key_usage().ok().flatten().is_some_and(|e| {
        e.value
            .other
            .iter()
            .any(|o| o.to_id_string() == BIMI_EKU_OID)
    });
    if !eku {
        out.push(VmcFinding::NoEku);
    }
    let names: Vec<String> = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(n) => Some(n.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    // The certificate covers the domain itself, a parent (its Organizational Domain), or the
    // BIMI selector name under it.
    let covered = names.iter().any(|n| {
        n == domain || is_subdomain_of(domain, n) || n.ends_with(&format!("._bimi.{domain}"))
    });
    if !covered {
        out.push(VmcFinding::Domain { names });
    }
    out.extend(logotype(leaf, svg));
    Ok(out)
}

/// The chain verified link by link, then its top against an anchor from `--ca-file`.
fn chain_status(chain: &[X509Certificate<'_>], anchors: Option<&[u8]>) -> VmcFinding {
    for pair in chain.windows(2) {
        if pair[0]
            .verify_signature(Some(pair[1].public_key()))
            .is_err()
        {
            return VmcFinding::ChainBroken(format!(
                "{} is not signed by {}",
                pair[0].subject(),
                pair[1].subject()
            ));
        }
    }
    let Some(anchors) = anchors else {
        return VmcFinding::Unverified;
    };
    let top = &chain[chain.len() - 1];
    for p in Pem::iter_from_buffer(anchors)
        .take(256)
        .filter_map(Result::ok)
    {
        let Ok((_, anchor)) = X509Certificate::from_der(&p.contents) else {
            continue;
        };
        let same = anchor.tbs_certificate.as_ref() == top.tbs_certificate.as_ref();
        if same
            || (anchor.subject() == top.issuer()
                && top.verify_signature(Some(anchor.public_key())).is_ok())
        {
            return VmcFinding::ChainOk {
                anchor: anchor.subject().to_string(),
            };
        }
    }
    VmcFinding::ChainBroken(format!(
        "{} chains to no --ca-file anchor (issuer {})",
        top.subject(),
        top.issuer()
    ))
}

/// The logotype extension: its image hashes to the value it gives, and is the logo at `l=`.
fn logotype(leaf: &X509Certificate<'_>, svg: Option<&[u8]>) -> Vec<VmcFinding> {
    let Some(ext) = leaf
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == LOGOTYPE_OID)
    else {
        return vec![VmcFinding::NoLogotype];
    };
    let mut logo = Logotype::default();
    walk(ext.value, 0, &mut logo);
    let images: Vec<(Vec<u8>, Vec<u8>)> = logo.uris.iter().filter_map(|u| data_uri(u)).collect();
    if logo.hashes.is_empty() {
        return vec![VmcFinding::NoLogotype];
    }
    let hashed = |data: &[u8]| {
        logo.hashes
            .iter()
            .any(|(oid, value)| digest(oid, data).is_some_and(|d| &d == value))
    };
    let mut out = Vec::new();
    if let Some((raw, _)) = images.first()
        && !hashed(raw)
    {
        out.push(VmcFinding::LogotypeHash);
    }
    if let Some(svg) = svg {
        let same = images.iter().any(|(_, image)| image == svg) || hashed(svg);
        out.push(if same {
            VmcFinding::SvgMatches
        } else {
            VmcFinding::SvgMismatch
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip-compressed data: URI (as VMCs embed the logo) decodes to the SVG.
    #[test]
    fn gzipped_data_uri() {
        use base64::Engine;
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"<svg/>").expect("gzip");
        let raw = gz.finish().expect("gzip");
        let uri = format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&raw)
        );
        assert_eq!(data_uri(&uri), Some((raw, b"<svg/>".to_vec())));
        assert_eq!(data_uri("data:text/plain,hello"), None);
    }

    /// Without --ca-file the chain is unverified (not failed); a plain TLS certificate has no
    /// BIMI usage and no logotype.
    #[test]
    fn unverified_without_anchors() {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["x.test".into()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        let got =
            check(cert.pem().as_bytes(), "x.test", 1_800_000_000, None, None).expect("parses");
        assert_eq!(
            got,
            vec![
                VmcFinding::Unverified,
                VmcFinding::NoEku,
                VmcFinding::NoLogotype
            ]
        );
    }

    /// Garbage is no certificate, never a panic.
    #[test]
    fn garbage() {
        assert_eq!(
            check(b"not pem", "x.test", 0, None, None),
            Err(VmcError::NoCertificate)
        );
        let bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(check(bad, "x.test", 0, None, None), Err(VmcError::Bad(1)));
    }
}
