//! What the report says about the message itself (From, Subject, Message-ID, Date, size), and
//! the author domain as a reader sees it next to what was evaluated.

use serde::Serialize;

use super::author;
use super::{Author, Message};

#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageInfo {
    /// The From addresses (more than one is a DMARC permerror).
    pub from: Vec<String>,
    /// The display name of the first From address (where look-alike names live).
    pub from_name: Option<String>,
    /// The author domain DMARC evaluated, as looked up (A-label form).
    pub from_domain: Option<String>,
    /// Its Unicode form, when it is an internationalized name.
    pub from_domain_unicode: Option<String>,
    /// Why there is no single author domain (the DMARC permerror's reason).
    pub author_problem: Option<String>,
    /// A note on how the author domain was chosen (several mailboxes of one domain).
    pub author_note: Option<String>,
    /// Look-alike warnings for the author domain (mixed scripts, confusable letters).
    pub lookalike: Vec<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// RFC 3339 in UTC, when the Date field parses.
    pub date: Option<String>,
    pub size: usize,
}

impl MessageInfo {
    /// Read the message's own facts; `author` and `from` are `msg.author_and_addresses()`.
    pub fn read(
        msg: &Message,
        author: &Author,
        from: Vec<(Option<String>, String)>,
        input_len: usize,
        date: Option<i64>,
    ) -> MessageInfo {
        let from_name = from.first().and_then(|(n, _)| n.clone());
        let (from_domain, author_problem) = match author {
            Author::Domain(d) => (Some(d.clone()), None),
            Author::Problem(p) => (None, Some(p.to_string())),
        };
        let from_domain_unicode = from_domain.as_deref().and_then(author::u_label);
        let mut lookalike = Vec::new();
        if let Some(u) = &from_domain_unicode {
            lookalike.extend(super::lookalike::lookalike_notes(u));
        }
        // An author domain means one From field that parsed strictly, so `from` holds its
        // mailboxes (`author_and_addresses` parsed the field once for both).
        let author_note = match author {
            Author::Domain(_) if from.len() > 1 => Some(format!(
                "{} mailboxes of one domain in From: evaluated for that domain (RFC 7489 §6.6.1)",
                from.len()
            )),
            _ => None,
        };
        MessageInfo {
            from_name,
            from_domain,
            from_domain_unicode,
            author_problem,
            author_note,
            lookalike,
            from: from.into_iter().map(|(_, a)| a).collect(),
            subject: msg.subject(),
            message_id: msg.first("Message-ID").map(|f| f.text()),
            date: date.map(|d| mail_parser::DateTime::from_timestamp(d).to_rfc3339()),
            size: input_len,
        }
    }
}
