//! Findings: one checklist item each, with a stable id (README "Finding ids"), a severity, a
//! one-line reason and, where it helps, the fix.

use serde::Serialize;

/// How much a finding matters (ordered: errors first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something is broken: mail fails or is unprotected because of it.
    Error,
    /// Something works but is weak, risky or against a recommendation.
    Warning,
    /// For information: what is there, nothing to fix.
    Info,
}

impl Severity {
    /// The severity as the reports write it: `error`, `warning` or `info`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One checklist item of the audit.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The stable id (README "Finding ids").
    pub id: &'static str,
    /// error, warning or info.
    pub severity: Severity,
    /// The domain it is about.
    pub domain: String,
    /// One line: what is wrong, or what is there.
    pub message: String,
    /// How to fix it, where that helps.
    pub fix: Option<String>,
}

/// Collects the findings of one domain.
#[derive(Debug, Default)]
pub struct Findings {
    /// The domain.
    pub domain: String,
    /// The findings so far.
    pub list: Vec<Finding>,
    /// A DNS failure left part of the audit undone.
    pub incomplete: bool,
}

impl Findings {
    pub fn new(domain: &str) -> Findings {
        Findings {
            domain: domain.to_string(),
            ..Findings::default()
        }
    }

    fn push(&mut self, id: &'static str, severity: Severity, message: String, fix: Option<&str>) {
        self.list.push(Finding {
            id,
            severity,
            domain: self.domain.clone(),
            message,
            fix: fix.map(str::to_string),
        });
    }

    pub fn error(&mut self, id: &'static str, message: String, fix: Option<&str>) {
        self.push(id, Severity::Error, message, fix);
    }

    pub fn warning(&mut self, id: &'static str, message: String, fix: Option<&str>) {
        self.push(id, Severity::Warning, message, fix);
    }

    pub fn info(&mut self, id: &'static str, message: String) {
        self.push(id, Severity::Info, message, None);
    }

    /// A lookup that failed temporarily: the audit is incomplete.
    pub fn dns_failure(&mut self, id: &'static str, message: String) {
        self.incomplete = true;
        self.push(
            id,
            Severity::Error,
            message,
            Some("retry; check the domain's name servers answer"),
        );
    }
}
