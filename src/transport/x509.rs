//! The few certificate facts the STARTTLS probe needs (SubjectPublicKeyInfo for DANE selector
//! 1, notAfter for expiry), read with a minimal DER walker.

/// One TLV: tag, content, and the bytes after it.
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for &b in data.get(2..2 + n)? {
            len = (len << 8) | usize::from(b);
        }
        (len, 2 + n)
    };
    let content = data.get(header..header + len)?;
    Some((tag, content, &data[header + len..]))
}

/// The whole TLV starting `data` (tag and length included).
fn whole(data: &[u8]) -> Option<&[u8]> {
    let (_, _, rest) = tlv(data)?;
    Some(&data[..data.len() - rest.len()])
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// DER of the SubjectPublicKeyInfo (DANE selector 1).
    pub spki: Vec<u8>,
    /// notAfter as unix seconds.
    pub not_after: Option<i64>,
}

pub fn facts(der: &[u8]) -> Option<CertFacts> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2; // [0] version
    }
    rest = tlv(rest)?.2; // serialNumber
    rest = tlv(rest)?.2; // signature algorithm
    rest = tlv(rest)?.2; // issuer
    let (_, validity, after_validity) = tlv(rest)?;
    let (_, _, v) = tlv(validity)?; // notBefore
    let (time_tag, not_after, _) = tlv(v)?;
    rest = tlv(after_validity)?.2; // subject
    let spki = whole(rest)?.to_vec();
    Some(CertFacts {
        spki,
        not_after: parse_time(time_tag, not_after),
    })
}

/// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) to unix seconds.
fn parse_time(tag: u8, text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let n = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(parse_time(0x18, b"20261123120000Z"), Some(1_795_435_200));
        assert!(facts(b"\x30\x03\x02\x01\x00").is_none());
    }
}
