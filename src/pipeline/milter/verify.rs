//! From a check (or the reason there was none) to what the MTA is told at end of message: the
//! fields to delete and insert, quarantine, and the final reply. The field text is `filter`'s,
//! produced by the same functions.

use super::metrics::{Action, Outcome};
use super::proto::Response;
use crate::auth::dmarc::record::Policy;
use crate::common::AuthResult;
use crate::pipeline::filter::{self, FilterConfig};
use crate::report::model::CheckReport;

/// What to do when a verdict cannot be reached in time, or the memory budget is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Accept, with a field that says why there is no verdict.
    Accept,
    /// Answer 4xx so the sender retries later.
    Tempfail,
}

/// What the end-of-message callback had to work with.
pub(crate) enum Checked {
    /// The check's report.
    Report(Box<CheckReport>),
    /// The deadline passed first.
    Deadline,
    /// The check panicked, or the assembled bytes were not a message.
    Internal,
    /// Larger than `--max-size`.
    Oversized,
    /// The memory budget had no room for it.
    OverBudget(u64),
}

/// The actions a message's end gets, and what the log and metrics say of it.
pub(crate) struct Decision {
    /// Header changes and quarantine, in the order they are sent.
    pub changes: Vec<Response>,
    /// The final reply.
    pub last: Response,
    pub outcome: Outcome,
    pub action: Action,
    /// The verdict word (a result word, or `unverified`, `deadline`).
    pub verdict: String,
    /// Why, in one line (our words; the log escapes it).
    pub reason: String,
    /// Results that were DNS temperrors.
    pub dns_failures: u64,
}

/// The policy the milter applies (from the command line).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policies {
    pub reject_dmarc: bool,
    pub on_temperror: OnFailure,
    pub on_overload: OnFailure,
}

/// The name of the field we write and delete.
pub(crate) const FIELD: &str = "Authentication-Results";

/// An SMTP reply text: printable ASCII, no `%` (libmilter and Sendmail read it as a format),
/// clipped so the reply line stays short.
fn reply_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '%') {
                c
            } else {
                '?'
            }
        })
        .take(300)
        .collect()
}

/// Split header text (`Name: value` lines, continuations, `\n` line ends) into fields, with the
/// value as a milter sends it: folded with `\n`, and a leading space when `leading_space` was
/// negotiated (the MTA then adds none of its own).
pub(crate) fn fields(text: &str, leading_space: bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            let value = value.strip_prefix(' ').unwrap_or(value);
            let value = if leading_space {
                format!(" {value}")
            } else {
                value.to_string()
            };
            out.push((name.to_string(), value));
        }
    }
    out
}

/// Results in the report that were DNS temperrors.
fn temperrors(r: &CheckReport) -> u64 {
    let words = [r.spf.result, r.arc.result, r.dmarc.result]
        .into_iter()
        .chain(r.dkim.iter().map(|d| d.result));
    words.filter(|w| *w == AuthResult::Temperror).count() as u64
}

fn tempfail(why: &str) -> Response {
    Response::ReplyCode(reply_text(&format!(
        "451 4.4.3 Temporary failure verifying this message ({why}); try again later"
    )))
}

/// Decide the end of one message. `forged` are the 1-based indexes, among the fields named
/// Authentication-Results, of those that claim our authserv-id.
pub(crate) fn decide(
    checked: &Checked,
    cfg: &FilterConfig,
    policies: Policies,
    leading_space: bool,
    forged: &[u32],
) -> Decision {
    let (text, outcome, verdict, reason, dns_failures) = match checked {
        Checked::Report(r) => (
            filter::header_for(cfg, r, "\n"),
            Outcome::Verdict(r.verdict.result),
            r.verdict.result.word().to_string(),
            r.verdict.summary.clone(),
            temperrors(r),
        ),
        Checked::Deadline => (
            filter::fallback(cfg, "\n", &filter::deadline_clause(cfg.deadline)),
            Outcome::Deadline,
            "deadline".into(),
            format!("no verdict within {}s", cfg.deadline.as_secs_f64()),
            0,
        ),
        Checked::Internal => (
            filter::fallback(cfg, "\n", filter::INTERNAL_ERROR_CLAUSE),
            Outcome::Unverified,
            "unverified".into(),
            "internal error".into(),
            0,
        ),
        Checked::Oversized => (
            filter::fallback(cfg, "\n", &filter::oversized_clause(cfg.max_size)),
            Outcome::Unverified,
            "unverified".into(),
            format!("larger than {} bytes", cfg.max_size),
            0,
        ),
        Checked::OverBudget(limit) => (
            filter::fallback(
                cfg,
                "\n",
                &format!("none (not verified: the memory budget of {limit} bytes is in use)"),
            ),
            Outcome::Unverified,
            "unverified".into(),
            format!("memory budget of {limit} bytes in use"),
            0,
        ),
    };
    let mut d = Decision {
        changes: Vec::new(),
        last: Response::Continue,
        outcome,
        action: Action::Accept,
        verdict,
        reason,
        dns_failures,
    };
    let temporary = match checked {
        Checked::Report(r) => r.dmarc.result == AuthResult::Temperror,
        Checked::Deadline => true,
        _ => false,
    };
    if temporary && policies.on_temperror == OnFailure::Tempfail {
        d.last = tempfail("DNS did not answer");
        d.action = Action::Tempfail;
        return d;
    }
    if matches!(checked, Checked::OverBudget(_)) && policies.on_overload == OnFailure::Tempfail {
        d.last = tempfail("the verifier is busy");
        d.action = Action::Tempfail;
        return d;
    }
    if let (Checked::Report(r), true) = (checked, policies.reject_dmarc)
        && r.dmarc.result == AuthResult::Fail
    {
        let domain = r.dmarc.from_domain.as_deref().unwrap_or("?");
        match r.dmarc.disposition {
            Policy::Reject => {
                d.last = Response::ReplyCode(reply_text(&format!(
                    "550 5.7.1 Rejected by the DMARC policy of {domain}: {}",
                    r.dmarc.reason
                )));
                d.action = Action::Reject;
                return d;
            }
            Policy::Quarantine => {
                d.changes.push(Response::Quarantine(reply_text(&format!(
                    "DMARC policy of {domain}: quarantine"
                ))));
                d.action = Action::Quarantine;
            }
            Policy::None => {}
        }
    }
    // Deletes first, highest index first: no delete then moves the index of another, and none
    // counts a field we insert (Postfix counts a milter's own inserted field once it is in).
    let mut edits: Vec<Response> = forged
        .iter()
        .rev()
        .map(|&index| Response::ChangeHeader {
            index,
            name: FIELD.into(),
            value: String::new(),
        })
        .collect();
    // Each at index 0, the last first: they end up on top in `filter`'s order, above the
    // MTA's own Received field as RFC 8601 §5 asks.
    edits.extend(
        fields(&text, leading_space)
            .into_iter()
            .rev()
            .map(|(name, value)| Response::InsertHeader {
                index: 0,
                name,
                value,
            }),
    );
    edits.append(&mut d.changes);
    d.changes = edits;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_splits_into_milter_fields() {
        let text = "Authentication-Results: mx.test;\n\tspf=pass;\n\tdmarc=pass\nX-Mailverdict-Verdict: pass\n";
        assert_eq!(
            fields(text, false),
            vec![
                (
                    "Authentication-Results".to_string(),
                    "mx.test;\n\tspf=pass;\n\tdmarc=pass".to_string()
                ),
                ("X-Mailverdict-Verdict".to_string(), "pass".to_string()),
            ]
        );
        assert_eq!(fields(text, true)[1].1, " pass");
    }

    #[test]
    fn reply_text_is_plain_ascii_without_percent() {
        assert_eq!(reply_text("550 a%b\r\nc\u{202e}"), "550 a?b??c?");
    }
}
