//! Rates for people: `14,412/s`, not `14,411.6988/s` (indicatif's `{per_sec}`).

/// A per-second rate: whole numbers with thousands separators from 100 up, one decimal below.
pub fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "0/s".to_string();
    }
    if per_sec < 100.0 {
        let text = format!("{per_sec:.1}");
        return format!("{}/s", text.strip_suffix(".0").unwrap_or(&text));
    }
    // Float to integer: `as` saturates, and the rate is far below u64::MAX anyway.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = per_sec.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}/s")
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn rates_read_well() {
        assert_eq!(rate(14_411.698_8), "14,412/s");
        assert_eq!(rate(1_234_567.4), "1,234,567/s");
        assert_eq!(rate(999.5), "1,000/s");
        assert_eq!(rate(100.0), "100/s");
        assert_eq!(rate(3.46), "3.5/s");
        assert_eq!(rate(2.0), "2/s");
        assert_eq!(rate(0.0), "0/s");
        assert_eq!(rate(f64::NAN), "0/s");
    }
}
