//! The certificate facts the STARTTLS probe needs (SubjectPublicKeyInfo for DANE selector 1,
//! notAfter for expiry), read with x509-parser.

use x509_parser::prelude::{FromDer, X509Certificate};

/// What the probe reads from one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// DER of the SubjectPublicKeyInfo (DANE selector 1).
    pub spki: Vec<u8>,
    /// notAfter as unix seconds.
    pub not_after: Option<i64>,
}

/// The facts of a DER certificate; None when it does not parse as X.509.
pub fn facts(der: &[u8]) -> Option<CertFacts> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(CertFacts {
        spki: cert.tbs_certificate.subject_pki.raw.to_vec(),
        not_after: Some(cert.validity().not_after.timestamp()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPKI is the key's own DER and notAfter the date the certificate was made with.
    #[test]
    fn facts_of_an_rcgen_certificate() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec!["mx.test".into()]).expect("params");
        params.not_after = rcgen::date_time_ymd(2030, 1, 2);
        let cert = params.self_signed(&key).expect("cert");
        let got = facts(cert.der()).expect("parses");
        assert_eq!(
            got.spki,
            rcgen::PublicKeyData::subject_public_key_info(&key)
        );
        assert_eq!(got.not_after, Some(1_893_542_400));
    }

    /// A truncated or non-certificate DER gives no facts (never a panic).
    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(facts(b"\x30\x03\x02\x01\x00").is_none());
        assert!(facts(b"").is_none());
        assert!(facts(&[0x30, 0x82, 0xff, 0xff]).is_none());
    }
}
