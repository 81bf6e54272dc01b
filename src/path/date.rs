//! The date of a Received field (RFC 5321 §4.4: the `date-time` after the last `;`), read
//! per RFC 5322 §3.3 with its obsolete forms (§4.3: two- and three-digit years, alphabetic
//! zones) and, as recovery, the shapes real MTAs write (fractional seconds, asctime order,
//! a zone name before the year).

/// A Received date as a point in time, with the zone offset the field gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldDate {
    /// Unix seconds (UTC).
    pub timestamp: i64,
    /// The zone offset written, in minutes east of UTC (0 for `-0000` and unknown zones).
    pub offset_minutes: i32,
    /// Whether the text follows RFC 5322 (including its obsolete syntax); false when a
    /// non-RFC shape was recovered (fractional seconds, asctime order, no zone).
    pub rfc: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn month(word: &str) -> Option<u32> {
    let w = word.get(..3)?.to_ascii_lowercase();
    let m = MONTHS.iter().position(|m| *m == w)?;
    (word.len() <= 9 && word.bytes().all(|b| b.is_ascii_alphabetic())).then_some(m as u32 + 1)
}

fn is_day_name(word: &str) -> bool {
    word.get(..3)
        .is_some_and(|w| DAYS.contains(&w.to_ascii_lowercase().as_str()))
        && word.len() <= 9
        && word.bytes().all(|b| b.is_ascii_alphabetic())
}

/// RFC 5322 §4.3 obsolete zones (the US names); the military letters were defined wrongly in
/// RFC 822, so they mean "-0000": no information, read as UTC.
fn zone(word: &str) -> Option<i32> {
    let b = word.as_bytes();
    if b.len() == 5 && (b[0] == b'+' || b[0] == b'-') && b[1..].iter().all(u8::is_ascii_digit) {
        let hh: i32 = word[1..3].parse().ok()?;
        let mm: i32 = word[3..5].parse().ok()?;
        if mm > 59 {
            return None;
        }
        let sign = if b[0] == b'-' { -1 } else { 1 };
        return Some(sign * (hh * 60 + mm));
    }
    let hours = match word.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        w if w.len() == 1 && w.as_bytes()[0].is_ascii_alphabetic() => 0,
        _ => return None,
    };
    Some(hours * 60)
}

/// `hh:mm[:ss[.frac]]`: the time of day in seconds, and whether it had a fraction.
fn time(word: &str) -> Option<(i64, bool)> {
    let (clock, fraction) = match word.split_once('.') {
        Some((c, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (c, true),
        Some(_) => return None,
        None => (word, false),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |k: usize| parts.get(k).and_then(|p| p.parse::<i64>().ok());
    let (h, m, s) = (n(0)?, n(1)?, n(2).unwrap_or(0));
    (h < 24 && m < 60 && s <= 60).then_some((h * 3600 + m * 60 + s, fraction))
}

/// A year as written: RFC 5322 §4.3 reads two digits 00-49 as 20xx, 50-99 as 19xx, and three
/// digits as 1900 + n.
fn year(word: &str) -> Option<i64> {
    if word.is_empty() || word.len() > 4 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = word.parse().ok()?;
    Some(match word.len() {
        1 | 2 if y < 50 => 2000 + y,
        1 | 2 => 1900 + y,
        3 => 1900 + y,
        _ => y,
    })
}

fn day(word: &str) -> Option<u32> {
    let d: u32 = (word.len() <= 2).then(|| word.parse().ok()).flatten()?;
    (1..=31).contains(&d).then_some(d)
}

/// `YYYY-MM-DD`.
fn iso_date(word: &str) -> Option<(i64, u32, u32)> {
    let mut parts = word.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let m: u32 = m.parse().ok()?;
    ((1..=12).contains(&m)).then_some(())?;
    Some((y.parse().ok()?, m, day(d)?))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The words of a date text: comments dropped, split at white space and commas.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    for (i, c) in text.char_indices() {
        let sep = c.is_whitespace() || c == ',' || c == '(' || c == ')';
        if sep || depth > 0 {
            if let Some(s) = start.take()
                && depth == 0
            {
                out.push(&text[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if let Some(s) = start
        && depth == 0
    {
        out.push(&text[s..]);
    }
    out
}

/// A date starting at the first word of `w` (a day name may lead); how many words it used.
fn date_at(w: &[&str]) -> Option<(FieldDate, usize)> {
    let mut k = 0;
    if w.first().is_some_and(|x| is_day_name(x)) {
        k = 1;
    }
    let build = |y: i64, m: u32, d: u32, t: i64, off: i32, rfc: bool, used: usize| {
        if d > days_in_month(y, m) {
            return None;
        }
        let local = days_from_civil(y, m, d) * 86_400 + t;
        Some((
            FieldDate {
                timestamp: local - i64::from(off) * 60,
                offset_minutes: off,
                rfc,
            },
            used,
        ))
    };
    // RFC 5322: day month year time zone.
    if let (Some(d), Some(m), Some(y), Some((t, frac))) = (
        w.get(k).and_then(|x| day(x)),
        w.get(k + 1).and_then(|x| month(x)),
        w.get(k + 2).and_then(|x| year(x)),
        w.get(k + 3).and_then(|x| time(x)),
    ) {
        return match w.get(k + 4).and_then(|x| zone(x)) {
            Some(off) => build(y, m, d, t, off, !frac, k + 5),
            // No zone: -0000, recovered.
            None => build(y, m, d, t, 0, false, k + 4),
        };
    }
    // ISO order (SendGrid's filters: `2018-04-22 02:54:17.028704749 +0000 UTC`).
    if let Some((y, m, d)) = w.first().and_then(|x| iso_date(x))
        && let Some((t, _)) = w.get(1).and_then(|x| time(x))
    {
        return match w.get(2).and_then(|x| zone(x)) {
            Some(off) => build(y, m, d, t, off, false, 3),
            None => build(y, m, d, t, 0, false, 2),
        };
    }
    // asctime and `date(1)`: month day time [zone] year [zone].
    let (m, d, (t, _)) = (
        w.get(k).and_then(|x| month(x))?,
        w.get(k + 1).and_then(|x| day(x))?,
        w.get(k + 2).and_then(|x| time(x))?,
    );
    let mut j = k + 3;
    let mut off = None;
    if let Some(o) = w.get(j).and_then(|x| zone(x)) {
        off = Some(o);
        j += 1;
    }
    let y = w.get(j).and_then(|x| year(x)).filter(|y| *y >= 1970)?;
    j += 1;
    if off.is_none()
        && let Some(o) = w.get(j).and_then(|x| zone(x))
    {
        off = Some(o);
        j += 1;
    }
    build(y, m, d, t, off.unwrap_or(0), false, j)
}

/// The date after the last `;` (RFC 5321 §4.4), and any words that follow it.
pub(crate) fn parse_after_semicolon(text: &str) -> Option<(FieldDate, Vec<&str>)> {
    let w = words(text);
    // Leading junk (`;_ Tue, ...`) is skipped, at most a couple of words.
    for start in 0..w.len().min(3) {
        if let Some((date, used)) = date_at(&w[start..]) {
            let rfc = date.rfc && start == 0;
            return Some((FieldDate { rfc, ..date }, w[start + used..].to_vec()));
        }
    }
    None
}

/// Recovery: a date anywhere among the top-level words of a field with no `;`.
pub(crate) fn find(text: &str) -> Option<FieldDate> {
    let w = words(text);
    (0..w.len())
        .find_map(|i| date_at(&w[i..]))
        .map(|(d, _)| FieldDate { rfc: false, ..d })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<(i64, bool)> {
        parse_after_semicolon(text).map(|(d, _)| (d.timestamp, d.rfc))
    }

    #[test]
    fn rfc5322_and_obsolete_forms() {
        // 2023-09-02T02:24:06Z
        assert_eq!(
            at("02 Sep 2023 04:24:06 +0200"),
            Some((1_693_621_446, true))
        );
        assert_eq!(
            at("Sat, 2 Sep 2023 02:24:06 GMT"),
            Some((1_693_621_446, true))
        );
        assert_eq!(
            at("Fri, 1 Sep 2023 19:24:06 PDT (Pacific)"),
            Some((1_693_621_446, true))
        );
        assert_eq!(
            at("Fri, 1 Sep 2023 21:24:06 EST"),
            at("2 Sep 2023 02:24:06 +0000")
        );
        // Two-digit year 03 is 2003, not 1903.
        assert_eq!(
            at("Wed, 26 Mar 03 20:43:24 -0600").map(|x| x.0),
            at("Wed, 26 Mar 2003 20:43:24 -0600").map(|x| x.0)
        );
        // Military letters mean -0000.
        assert_eq!(
            at("2 Sep 2023 02:24:06 Q").map(|x| x.0),
            Some(1_693_621_446)
        );
    }

    #[test]
    fn recovered_shapes() {
        assert_eq!(
            at("Thu, 02 Apr 2020 07:53:55.516 +0000 (UTC)"),
            Some((1_585_814_035, false))
        );
        assert_eq!(
            at("Fri Feb 07 10:18:12 2003 -0800"),
            at("7 Feb 2003 18:18:12 +0000").map(|x| (x.0, false))
        );
        assert_eq!(
            at("Fri Sep 14 14:36:56 EDT 2018"),
            at("14 Sep 2018 18:36:56 +0000").map(|x| (x.0, false))
        );
        assert_eq!(
            find("by f.sendgrid.net with SMTP id f-1\r\n 2018-04-22 02:54:17.028704749 +0000 UTC")
                .map(|d| (d.timestamp, d.rfc)),
            Some((1_524_365_657, false))
        );
        assert_eq!(at("14:47:44 +0000"), None);
        assert_eq!(at("31 Feb 2023 10:00:00 +0000"), None);
        assert_eq!(
            find("by x id abc Thu, 20 Feb 2003 16:13:20 -0700 (PST)").map(|d| d.timestamp),
            at("20 Feb 2003 23:13:20 +0000").map(|x| x.0)
        );
    }
}
