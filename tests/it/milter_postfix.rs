//! `mailverdict milter` behind a real Postfix (its own config directory and queue, smtpd on
//! a free loopback port, virtual delivery into a Maildir), mail sent over SMTP, the zone
//! served by a loopback DNS server (hickory-server).

use std::time::Duration;

use crate::support::DnsServer;
use crate::support_milter::{Milter, Postfix, smtp_send};

/// pass.test authorises the loopback client; spoof.test authorises nobody; both p=reject.
const ZONE: &str = "pass.test. TXT \"v=spf1 ip4:127.0.0.1 -all\"\n\
_dmarc.pass.test. TXT \"v=DMARC1; p=reject\"\n\
spoof.test. TXT \"v=spf1 -all\"\n\
_dmarc.spoof.test. TXT \"v=DMARC1; p=reject\"\n";

fn message(domain: &str, n: usize, extra: &str) -> String {
    format!(
        "From: Someone <a@{domain}>\r\nTo: rcpt@ours.test\r\nSubject: test {n}\r\n\
Message-ID: <m{n}@{domain}>\r\n{extra}\r\nbody {n}\r\n"
    )
}

fn start(test: &str, args: &[&str]) -> Option<(DnsServer, Milter, Postfix)> {
    let dns = DnsServer::start(ZONE);
    let ns = dns.nameserver();
    let mut all = vec!["--nameserver", ns.as_str(), "--timeout", "2"];
    all.extend_from_slice(args);
    let milter = Milter::start(&all);
    let socket = format!("inet:127.0.0.1:{}", milter.port);
    let postfix = Postfix::start(test, &socket, "")?;
    Some((dns, milter, postfix))
}

/// Delivered messages carry our field at the top (above Postfix's Received, authserv-id from
/// Postfix's `{j}`), and lose both forged fields claiming our id (the first and the third
/// Authentication-Results: Postfix's delete indexes), while another host's field stays.
#[test]
fn postfix_delivers_our_field_and_drops_forged_ones() {
    let Some((_dns, milter, postfix)) = start("milter postfix delivery", &[]) else {
        return;
    };
    let forged = "Authentication-Results: mx.ours.test; dmarc=pass (forged one)\r\n\
Authentication-Results: other.test; dmarc=pass (theirs)\r\n\
Authentication-Results: MX.OURS.TEST; spf=pass (forged two)\r\n";
    let (code, text) = smtp_send(
        postfix.port,
        "bounce@pass.test",
        "rcpt@ours.test",
        &message("pass.test", 1, forged),
    );
    assert_eq!(code, 250, "{text}");
    let (code, text) = smtp_send(
        postfix.port,
        "x@spoof.test",
        "rcpt@ours.test",
        &message("spoof.test", 2, ""),
    );
    assert_eq!(code, 250, "without --reject a spoof is delivered: {text}");
    let got = postfix.wait_delivered(2, Duration::from_secs(20));
    assert_eq!(got.len(), 2, "{}\n{}", postfix.maillog(), milter.log());
    let pass = got
        .iter()
        .find(|m| m.contains("test 1"))
        .expect("message 1");
    assert!(!pass.contains("forged"), "{pass}");
    assert!(pass.contains("Authentication-Results: other.test; dmarc=pass (theirs)"));
    assert_eq!(
        pass.matches("Authentication-Results: mx.ours.test;")
            .count(),
        1
    );
    let ours = pass
        .find("Authentication-Results: mx.ours.test;")
        .expect("ours");
    let received = pass.find("Received: from").expect("Postfix's Received");
    assert!(
        ours < received,
        "our field is above Postfix's Received:\n{pass}"
    );
    assert!(
        pass.contains("dmarc=pass (p=reject dis=none) header.from=pass.test"),
        "{pass}"
    );
    assert!(pass.contains("smtp.mailfrom=bounce@pass.test smtp.helo=client.example"));
    let spoof = got
        .iter()
        .find(|m| m.contains("test 2"))
        .expect("message 2");
    assert!(
        spoof.contains("dmarc=fail (p=reject dis=reject)"),
        "{spoof}"
    );
    assert!(milter.log().contains("verdict=fail action=accept"));
}

/// `--reject dmarc`: the p=reject spoof is refused at end of DATA with our 550 5.7.1 reply
/// and reason; the legitimate message is delivered.
#[test]
fn postfix_refuses_p_reject_spoofs_with_our_reply() {
    let Some((_dns, milter, postfix)) = start("milter postfix reject", &["--reject", "dmarc"])
    else {
        return;
    };
    let (code, text) = smtp_send(
        postfix.port,
        "x@spoof.test",
        "rcpt@ours.test",
        &message("spoof.test", 1, ""),
    );
    assert_eq!(code, 550, "{text}");
    assert!(
        text.contains("5.7.1 Rejected by the DMARC policy of spoof.test"),
        "{text}"
    );
    let (code, text) = smtp_send(
        postfix.port,
        "bounce@pass.test",
        "rcpt@ours.test",
        &message("pass.test", 2, ""),
    );
    assert_eq!(code, 250, "{text}");
    let got = postfix.wait_delivered(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1, "{}", milter.log());
    assert!(got[0].contains("test 2") && got[0].contains("dmarc=pass"));
}

/// Killing the milter in the middle of a run loses no message: Postfix's
/// `milter_default_action = accept` delivers the rest without our field.
#[test]
fn killing_the_milter_mid_run_loses_no_message() {
    let Some((_dns, mut milter, postfix)) = start("milter postfix kill", &[]) else {
        return;
    };
    for n in 0..6 {
        if n == 3 {
            milter.kill();
        }
        let (code, text) = smtp_send(
            postfix.port,
            "bounce@pass.test",
            "rcpt@ours.test",
            &message("pass.test", n, ""),
        );
        assert_eq!(code, 250, "message {n}: {text}");
    }
    let got = postfix.wait_delivered(6, Duration::from_secs(30));
    assert_eq!(got.len(), 6, "{}", postfix.maillog());
    let with_field = got
        .iter()
        .filter(|m| m.contains("Authentication-Results: mx.ours.test;"))
        .count();
    assert_eq!(with_field, 3, "the three before the kill were verified");
}
