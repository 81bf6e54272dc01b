//! What the report says about the message itself (From, Subject, Message-ID, Date, size).

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageInfo {
    /// The From addresses (more than one is a DMARC permerror).
    pub from: Vec<String>,
    /// The display name of the first From address (where look-alike names live).
    pub from_name: Option<String>,
    pub from_domain: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// RFC 3339 in UTC, when the Date field parses.
    pub date: Option<String>,
    pub size: usize,
}
