//! Record types and data as the program uses them, independent of any DNS library.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::name::escape_name;

/// A DNS record type (RFC 1035 §3.2.2 and later), by its mnemonic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// IPv4 address (type 1).
    A,
    /// IPv6 address (type 28, RFC 3596).
    Aaaa,
    /// Text strings (type 16): SPF, DKIM, DMARC and other policy records.
    Txt,
    /// Mail exchanger (type 15).
    Mx,
    /// Reverse-lookup pointer (type 12).
    Ptr,
    /// Alias to a canonical name (type 5).
    Cname,
    /// Authoritative name server (type 2).
    Ns,
    /// The obsolete SPF type (99, RFC 7208 §3.1 says not to publish it).
    Spf,
    /// DANE certificate association (type 52, RFC 6698).
    Tlsa,
    /// Start of authority (type 6).
    Soa,
    /// Certification authority authorization (type 257, RFC 8659).
    Caa,
    /// Used only in `;!` failure lines: the failure applies to every type.
    Any,
    /// Any other type, by number (written `TYPEnnn`, RFC 3597).
    Other(u16),
}

impl RecordType {
    /// The type named by a mnemonic (any case) or `TYPEnnn`, or `None` if unknown.
    pub fn parse(s: &str) -> Option<RecordType> {
        const NAMED: [(&str, RecordType); 14] = [
            ("A", RecordType::A),
            ("AAAA", RecordType::Aaaa),
            ("TXT", RecordType::Txt),
            ("MX", RecordType::Mx),
            ("PTR", RecordType::Ptr),
            ("CNAME", RecordType::Cname),
            ("NS", RecordType::Ns),
            ("SPF", RecordType::Spf),
            ("TLSA", RecordType::Tlsa),
            ("SOA", RecordType::Soa),
            ("CAA", RecordType::Caa),
            ("ANY", RecordType::Any),
            // Kept as other types; named so that --trust-anchor files read (dns/anchor.rs).
            ("DS", RecordType::Other(43)),
            ("DNSKEY", RecordType::Other(48)),
        ];
        if let Some(&(_, t)) = NAMED.iter().find(|(name, _)| s.eq_ignore_ascii_case(name)) {
            return Some(t);
        }
        let prefix = s.get(..4)?;
        if !prefix.eq_ignore_ascii_case("TYPE") {
            return None;
        }
        s[4..].parse().ok().map(RecordType::Other)
    }

    /// The type's number on the wire.
    pub fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Ns => 2,
            RecordType::Cname => 5,
            RecordType::Soa => 6,
            RecordType::Ptr => 12,
            RecordType::Mx => 15,
            RecordType::Txt => 16,
            RecordType::Aaaa => 28,
            RecordType::Spf => 99,
            RecordType::Tlsa => 52,
            RecordType::Caa => 257,
            RecordType::Any => 255,
            RecordType::Other(n) => n,
        }
    }

    /// The type with this wire number (`Other` when it has no mnemonic here).
    pub fn from_code(code: u16) -> RecordType {
        match code {
            1 => RecordType::A,
            2 => RecordType::Ns,
            5 => RecordType::Cname,
            6 => RecordType::Soa,
            12 => RecordType::Ptr,
            15 => RecordType::Mx,
            16 => RecordType::Txt,
            28 => RecordType::Aaaa,
            99 => RecordType::Spf,
            52 => RecordType::Tlsa,
            257 => RecordType::Caa,
            255 => RecordType::Any,
            n => RecordType::Other(n),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordType::A => f.write_str("A"),
            RecordType::Aaaa => f.write_str("AAAA"),
            RecordType::Txt => f.write_str("TXT"),
            RecordType::Mx => f.write_str("MX"),
            RecordType::Ptr => f.write_str("PTR"),
            RecordType::Cname => f.write_str("CNAME"),
            RecordType::Ns => f.write_str("NS"),
            RecordType::Spf => f.write_str("SPF"),
            RecordType::Tlsa => f.write_str("TLSA"),
            RecordType::Soa => f.write_str("SOA"),
            RecordType::Caa => f.write_str("CAA"),
            RecordType::Any => f.write_str("ANY"),
            RecordType::Other(n) => write!(f, "TYPE{n}"),
        }
    }
}

/// Why a query has no answer records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The name exists but has no records of the type asked for.
    NoData,
    /// The server failed to answer (RCODE 2), or the answer could not be used.
    ServFail,
    /// No answer arrived in time.
    Timeout,
    /// The server refused the query (RCODE 5).
    Refused,
    /// Not sent: every resolver timed out on an earlier query and is in its back-off period.
    Unanswered,
    /// Replaying a `--record-dns` recording that never saw this name.
    NotRecorded,
    /// Not answered before the run's deadline (`filter --deadline`): asked too late, or cut
    /// short while in flight. Not a fault of the resolver.
    Deadline,
}

/// The data of one resource record, by type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rdata {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// The character-strings of one TXT (or SPF) record, unjoined.
    Txt(Vec<Vec<u8>>),
    /// The character-strings of one record of the obsolete SPF type (99), unjoined.
    Spf(Vec<Vec<u8>>),
    /// A mail exchanger and its preference.
    Mx {
        /// Lower values are preferred (RFC 5321 §5.1).
        preference: u16,
        /// The mail server's host name.
        exchange: String,
    },
    /// The name a reverse-lookup pointer names.
    Ptr(String),
    /// The canonical name an alias points to.
    Cname(String),
    /// A name server's host name.
    Ns(String),
    /// A DANE certificate association (RFC 6698 §2.1).
    Tlsa {
        /// Certificate usage (0–3: PKIX-TA, PKIX-EE, DANE-TA, DANE-EE).
        usage: u8,
        /// Which part of the certificate is matched (0 full certificate, 1 public key).
        selector: u8,
        /// How it is matched (0 exact, 1 SHA-256, 2 SHA-512).
        matching: u8,
        /// The certificate association data (the bytes or digest to match).
        data: Vec<u8>,
    },
    /// Any other type from a hand-written zone file, kept in its presentation form.
    Other {
        /// The record's type.
        rtype: RecordType,
        /// The record data as written in the zone file.
        text: String,
    },
    /// Any other type in wire form (live answers, RFC 3597 `\# len hex` in zone files).
    Unknown {
        /// The record's type.
        rtype: RecordType,
        /// The raw record data.
        data: Vec<u8>,
    },
}

impl Rdata {
    /// The record type this data belongs to.
    pub fn rtype(&self) -> RecordType {
        match self {
            Rdata::A(_) => RecordType::A,
            Rdata::Aaaa(_) => RecordType::Aaaa,
            Rdata::Txt(_) => RecordType::Txt,
            Rdata::Spf(_) => RecordType::Spf,
            Rdata::Mx { .. } => RecordType::Mx,
            Rdata::Ptr(_) => RecordType::Ptr,
            Rdata::Cname(_) => RecordType::Cname,
            Rdata::Ns(_) => RecordType::Ns,
            Rdata::Tlsa { .. } => RecordType::Tlsa,
            Rdata::Other { rtype, .. } | Rdata::Unknown { rtype, .. } => *rtype,
        }
    }
}

/// Zone-file presentation of the record data (used by the recorder).
impl fmt::Display for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rdata::A(ip) => write!(f, "{ip}"),
            Rdata::Aaaa(ip) => write!(f, "{ip}"),
            Rdata::Txt(parts) | Rdata::Spf(parts) => {
                if parts.is_empty() {
                    return f.write_str("\"\"");
                }
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    f.write_str("\"")?;
                    for &b in part {
                        match b {
                            b'"' | b'\\' => write!(f, "\\{}", b as char)?,
                            0x20..=0x7e => write!(f, "{}", b as char)?,
                            _ => write!(f, "\\{b:03}")?,
                        }
                    }
                    f.write_str("\"")?;
                }
                Ok(())
            }
            Rdata::Mx {
                preference,
                exchange,
            } => write!(f, "{preference} {}.", escape_name(exchange)),
            Rdata::Ptr(n) | Rdata::Cname(n) | Rdata::Ns(n) => write!(f, "{}.", escape_name(n)),
            Rdata::Tlsa {
                usage,
                selector,
                matching,
                data,
            } => {
                write!(f, "{usage} {selector} {matching} ")?;
                if data.is_empty() {
                    f.write_str("-")?;
                }
                for b in data {
                    write!(f, "{b:02X}")?;
                }
                Ok(())
            }
            // Escaped so that no octet of it can end the line or start a comment.
            Rdata::Other { text, .. } => {
                for &b in text.as_bytes() {
                    if b == b' '
                        || (b.is_ascii_graphic() && !matches!(b, b';' | b'\\' | b'"' | b'(' | b')'))
                    {
                        write!(f, "{}", b as char)?;
                    } else {
                        write!(f, "\\{b:03}")?;
                    }
                }
                Ok(())
            }
            // RFC 3597 §5: the generic form any zone-file reader takes for any type.
            Rdata::Unknown { data, .. } => {
                write!(f, "\\# {}", data.len())?;
                if !data.is_empty() {
                    f.write_str(" ")?;
                }
                for b in data {
                    write!(f, "{b:02X}")?;
                }
                Ok(())
            }
        }
    }
}

/// One resource record of an answer: owner, TTL and data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name, normalised (lower case, no trailing dot).
    pub owner: String,
    /// Time to live, in seconds.
    pub ttl: u32,
    /// The record data (which also gives its type).
    pub rdata: Rdata,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_read_in_any_case_and_as_type_numbers() {
        assert_eq!(RecordType::parse("txt"), Some(RecordType::Txt));
        assert_eq!(RecordType::parse("DnsKey"), Some(RecordType::Other(48)));
        assert_eq!(
            RecordType::parse("type65280"),
            Some(RecordType::Other(65280))
        );
        assert_eq!(RecordType::parse("TYPE16"), Some(RecordType::Other(16)));
        assert_eq!(RecordType::parse("TYPE"), None);
        assert_eq!(RecordType::parse("TYPE65536"), None);
        assert_eq!(RecordType::parse("TXTX"), None);
        assert_eq!(RecordType::parse("TYPé1"), None);
    }

    #[test]
    fn presentation_text_cannot_end_the_line() {
        let other = Rdata::Other {
            rtype: RecordType::Caa,
            text: "0 issue x\nevil.test. TXT \"v=spf1 +all\" ; (".into(),
        };
        let shown = other.to_string();
        assert!(!shown.contains('\n') && !shown.contains(';') && !shown.contains('"'));
        let txt = Rdata::Txt(vec![b"a\nb\"c".to_vec()]);
        assert_eq!(txt.to_string(), "\"a\\010b\\\"c\"");
        let unknown = Rdata::Unknown {
            rtype: RecordType::Other(65280),
            data: b"\n;".to_vec(),
        };
        assert_eq!(unknown.to_string(), "\\# 2 0A3B");
    }
}
