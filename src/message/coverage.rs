//! What a PASS vouches for: which of the fields a mail client displays, and how much of the
//! body, are covered by a passing, aligned DKIM signature (RFC 6376 §5.4.2: `h=` signs the
//! bottom-most instances of each name; an instance above them is not signed, and clients
//! usually show the topmost one; §8.2: text past `l=` is not signed).

use serde::Serialize;

use super::Message;

/// Fields a client displays or uses to decide what it displays.
pub const DISPLAYED: [&str; 8] = [
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Content-Type",
];

/// One DKIM signature as coverage needs it.
#[derive(Debug, Clone, Copy)]
pub struct Signature<'a> {
    /// `h=` names in order (repeats sign further instances).
    pub signed: &'a [String],
    /// The signature verified.
    pub pass: bool,
    /// Its `d=` is aligned with the author domain.
    pub aligned: bool,
    /// Body octets left outside the signature by `l=`.
    pub body_unsigned_bytes: Option<u64>,
}

/// How one displayed field stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldStatus {
    /// Every instance is signed by an aligned passing signature.
    Covered,
    /// The message has no such field.
    Absent,
    /// No aligned passing signature signs it.
    Unsigned,
    /// Signed, but the message carries more instances than were signed: the extra ones
    /// (above the signed, where clients look first) are not.
    ExtraUnsigned,
}

/// One displayed field name.
#[derive(Debug, Clone, Serialize)]
pub struct FieldCoverage {
    pub name: &'static str,
    /// Instances in the message.
    pub count: usize,
    pub status: FieldStatus,
    /// Indices (0-based, as in `dkim`) of the aligned passing signatures that sign every
    /// instance.
    pub covered_by: Vec<usize>,
}

/// Why content beside a PASS is not vouched for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Uncovered {
    /// A displayed field no aligned passing signature signs.
    #[error("the {0} field is not signed by an aligned passing signature")]
    Unsigned(&'static str),
    /// More instances than signed.
    #[error(
        "{count} {name} fields, but the aligned passing signature signs fewer: the unsigned one may be what a client shows"
    )]
    Extra { name: &'static str, count: usize },
    /// `l=` leaves body text unsigned.
    #[error("{0} body bytes past the l= length are not signed (appended text is not vouched for)")]
    BodyTail(u64),
    /// The display name looks like an address of another domain.
    #[error(
        "the From display name {name:?} looks like an address of {domain}, not of the author domain"
    )]
    DisplayNameAddress { name: String, domain: String },
}

/// What one signature leaves out, whatever its result.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureCoverage {
    /// Index in `dkim`.
    pub signature: usize,
    /// Displayed fields present in the message that it does not sign in every instance.
    pub unsigned_fields: Vec<&'static str>,
    /// Body octets past `l=`.
    pub body_unsigned_bytes: u64,
}

/// What the aligned passing signatures cover.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub fields: Vec<FieldCoverage>,
    pub signatures: Vec<SignatureCoverage>,
    /// Whether the whole body is signed by an aligned passing signature (null: none passes).
    pub body_covered: Option<bool>,
    /// In words, what a PASS does not vouch for.
    pub uncovered: Vec<String>,
    #[serde(skip)]
    pub causes: Vec<Uncovered>,
}

/// How many instances of `name` a signature's `h=` signs.
fn signed_count(signed: &[String], name: &str) -> usize {
    signed
        .iter()
        .filter(|h| h.eq_ignore_ascii_case(name))
        .count()
}

/// Assess coverage. `display_address_domain` is the domain of an address-shaped From display
/// name that differs from the author domain.
pub fn assess(
    msg: &Message,
    signatures: &[Signature<'_>],
    display_address_domain: Option<(String, String)>,
) -> Coverage {
    let good: Vec<(usize, &Signature)> = signatures
        .iter()
        .enumerate()
        .filter(|(_, s)| s.pass && s.aligned)
        .collect();
    let mut out = Coverage::default();
    let counts: Vec<(&'static str, usize)> =
        DISPLAYED.iter().map(|&n| (n, msg.all(n).count())).collect();
    for (i, s) in signatures.iter().enumerate() {
        out.signatures.push(SignatureCoverage {
            signature: i,
            unsigned_fields: counts
                .iter()
                .filter(|(n, c)| *c > 0 && signed_count(s.signed, n) < *c)
                .map(|(n, _)| *n)
                .collect(),
            body_unsigned_bytes: s.body_unsigned_bytes.unwrap_or(0),
        });
    }
    for (name, count) in counts {
        let covered_by: Vec<usize> = good
            .iter()
            .filter(|(_, s)| count > 0 && signed_count(s.signed, name) >= count)
            .map(|(i, _)| *i)
            .collect();
        let partly = good.iter().any(|(_, s)| signed_count(s.signed, name) > 0);
        let status = match (count, covered_by.is_empty(), partly) {
            (0, _, _) => FieldStatus::Absent,
            (_, false, _) => FieldStatus::Covered,
            (_, true, true) => FieldStatus::ExtraUnsigned,
            (_, true, false) => FieldStatus::Unsigned,
        };
        if !good.is_empty() {
            match status {
                FieldStatus::Unsigned => out.causes.push(Uncovered::Unsigned(name)),
                FieldStatus::ExtraUnsigned => out.causes.push(Uncovered::Extra { name, count }),
                _ => {}
            }
        }
        out.fields.push(FieldCoverage {
            name,
            count,
            status,
            covered_by,
        });
    }
    if !good.is_empty() {
        let whole = good
            .iter()
            .any(|(_, s)| s.body_unsigned_bytes.unwrap_or(0) == 0);
        out.body_covered = Some(whole);
        if !whole {
            let least = good
                .iter()
                .filter_map(|(_, s)| s.body_unsigned_bytes)
                .min()
                .unwrap_or(0);
            out.causes.push(Uncovered::BodyTail(least));
        }
    }
    if let Some((name, domain)) = display_address_domain {
        out.causes
            .push(Uncovered::DisplayNameAddress { name, domain });
    }
    out.uncovered = out.causes.iter().map(ToString::to_string).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_instances_and_body_tail_are_uncovered() {
        let wire = b"Subject: urgent\r\nSubject: report\r\nFrom: a@example.com\r\nTo: b@example.net\r\n\r\nbody\r\n";
        let msg = Message::parse(wire).expect("parses");
        let signed: Vec<String> = ["from", "subject"].iter().map(|s| s.to_string()).collect();
        let sig = Signature {
            signed: &signed,
            pass: true,
            aligned: true,
            body_unsigned_bytes: Some(12),
        };
        let c = assess(&msg, &[sig], None);
        let status = |n: &str| c.fields.iter().find(|f| f.name == n).map(|f| f.status);
        assert_eq!(status("From"), Some(FieldStatus::Covered));
        assert_eq!(status("Subject"), Some(FieldStatus::ExtraUnsigned));
        assert_eq!(status("To"), Some(FieldStatus::Unsigned));
        assert_eq!(status("Cc"), Some(FieldStatus::Absent));
        assert_eq!(c.body_covered, Some(false));
        assert_eq!(c.signatures[0].unsigned_fields, ["To", "Subject"]);
        assert!(c.causes.contains(&Uncovered::BodyTail(12)));
        let failing = Signature { pass: false, ..sig };
        let c = assess(&msg, &[failing], None);
        assert!(c.causes.is_empty() && c.body_covered.is_none());
    }
}
