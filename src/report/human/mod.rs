//! The human reports: one verdict line, then one section per mechanism saying why. Every value
//! that came from the message or DNS goes through `escape::term`.

mod check;
mod dmarc;
mod domain;
mod explain;
mod path;
mod rate;
mod spf;

pub use check::check;
pub use domain::domain;
pub use explain::explain_dkim;
pub use path::trace;
pub use rate::rate;
pub use spf::spf;

use crate::report::escape::term;

/// A value or `-`, escaped.
fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "-".to_string(), term)
}

#[cfg(test)]
mod tests {
    use crate::common::Clock;
    use crate::dns::{Dns, Zone};
    use crate::pipeline::check::check_message;
    use crate::pipeline::stage::CheckOptions;

    fn report(from: &str) -> String {
        let mut z = Zone::default();
        z.add_text("example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n")
            .expect("zone");
        let dns = Dns::new(Box::new(z));
        let wire = format!(
            "Return-Path: <b@example.com>\r\nReceived: from m.example.com (m.example.com [192.0.2.10]) by mx.test; Mon, 23 Nov 2026 10:15:02 +0000\r\nFrom: {from}\r\nSubject: s\r\n\r\nb\r\n"
        );
        colored::control::set_override(false);
        let r = check_message(
            wire.as_bytes(),
            &dns,
            &CheckOptions::new(Clock::fixed(1_795_400_000)),
        )
        .expect("message");
        super::check(&r)
    }

    /// The report leads with the verdict line, then one section per mechanism with the why.
    #[test]
    fn sections_in_order() {
        let text = report("a@example.com");
        assert!(
            text.starts_with("PASS DMARC pass for example.com"),
            "{text}"
        );
        let at = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("no {s:?} in\n{text}"))
        };
        assert!(at("\nMessage\n") < at("\nPath ("));
        assert!(at("\nPath (") < at("\nSPF: pass"));
        assert!(at("\nSPF: pass") < at("\nDKIM\n"));
        assert!(at("\nDKIM\n") < at("\nDMARC: pass"));
        assert!(text.contains("  no DKIM-Signature"));
    }

    /// Control characters from the message never reach the terminal raw.
    #[test]
    fn escapes_what_the_message_says() {
        let text = report("\"\u{1b}[31mEvil\u{202e}\" <a@example.com>");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("\\x1b[31mEvil\\u{202e}"), "{text}");
    }
}
