//! What a Received field says about how the message reached the host that wrote it: over a
//! connection from a sending host, or handed over locally (no client at all). The walk to
//! the trust boundary and the gap check read these, never the field's text.

use super::received::ParsedHop;
use super::with;

impl ParsedHop {
    /// The field records a local handoff on the host that wrote it, not a network client:
    /// it names no client address, and either no sender at all (qmail-queue's `(qmail N
    /// invoked from network)`, Postfix's pickup `by host (Postfix, from userid N)`, Gmail's
    /// `by 10.x with SMTP id`) or a message that came on no connection (Exim's `with
    /// local-bsmtp`, its re-injection after spam scanning).
    pub(crate) fn local_handoff(&self) -> bool {
        self.hop.raw.is_none()
            && self.from_ip.is_none()
            && (self.from_host.is_none() || self.local_pipe())
    }

    /// The message came on no connection, so the `from` names a local user: a local pipe as
    /// the protocol (Exim's `local…`), or an Exim field without TCP-info (Exim writes its
    /// `from name ([ip]...)` for every connection, and `from <ident>` only without one, as in
    /// its re-injection `from Debian-exim by host with spam-scanned`).
    fn local_pipe(&self) -> bool {
        self.hop.with.as_deref().is_some_and(with::is_local_pipe)
            || (self.exim && self.from_ip.is_none())
    }

    /// The from-clause names a sending host: not a mailbox (qmail-scanner's envelope sender
    /// `from user@domain`, Sendmail's local `(from user@localhost)`; RFC 5321 §4.4's
    /// From-domain is a domain or an address literal) nor the local user of a local pipe.
    pub(crate) fn names_sending_host(&self) -> bool {
        self.from_host.as_deref().is_some_and(|h| !h.contains('@')) && !self.local_pipe()
    }
}

#[cfg(test)]
mod tests {
    use super::super::received::parse_hop;

    /// A field naming no client is a local handoff (qmail-queue's record, Gmail's internal
    /// queue, Exim's local pipe), an SMTP receipt without TCP-info is not; a mailbox in
    /// `from` names no sending host.
    #[test]
    fn local_handoffs_and_mailbox_senders() {
        let p = |v: &str| parse_hop(1, v.as_bytes());
        let date = "; 1 Jan 2026 00:00:00 -0000";
        for local in [
            "(qmail 1 invoked from network)",
            "by 10.37.47.81 with SMTP id v78csp965841ybv",
            "from user by h.example with local-bsmtp (Exim 4.24) id 1",
            "from Debian-exim by eggs.gnu.org with spam-scanned (Exim 4.71) id 1",
        ] {
            assert!(p(&format!("{local}{date}")).local_handoff(), "{local}");
        }
        for network in [
            "from a.example by h.example with ESMTP",
            "from a.example (a.example [192.0.2.1]) by h.example with local-bsmtp",
            "from a.example ([192.0.2.1]:25 helo=a) by h.example with esmtp (Exim 4.71)",
        ] {
            assert!(!p(&format!("{network}{date}")).local_handoff(), "{network}");
        }
        for mailbox in [
            "from shinichiro@stained-g.net by st26 by uid 111 with qmail-scanner-1.10",
            "(from majordomo@localhost) by lorien.mallorn.com (8.11.6/8.11.6) id g",
            "from user by h.example with local",
        ] {
            assert!(
                !p(&format!("{mailbox}{date}")).names_sending_host(),
                "{mailbox}"
            );
        }
        assert!(p(&format!("from a.example (a [192.0.2.1]) by h{date}")).names_sending_host());
    }
}
