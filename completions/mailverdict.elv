
use builtin;
use str;

set edit:completion:arg-completer[mailverdict] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mailverdict'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mailverdict'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict'
            cand trace 'The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL'
            cand spf 'One SPF evaluation (RFC 7208) with its full evaluation trace'
            cand domain 'Audit domains'' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI'
            cand filter 'Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results'
            cand batch 'Check many messages (mbox, Maildir, folders of .eml) in parallel'
            cand milter 'In-line verification in Postfix/Sendmail over the milter protocol: our Authentication-Results added, forged ones deleted, optional reject on DMARC'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailverdict;check'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand --ip 'Client IP to evaluate SPF for, instead of the one read from the Received path'
            cand --helo 'HELO/EHLO name, instead of the one read from the Received path'
            cand --mail-from 'Envelope sender (MAIL FROM), instead of Return-Path; "" is the null sender'
            cand --explain 'Print how a mechanism reached its result instead of the report (exit code unchanged)'
            cand --format 'Output format'
            cand --color 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)'
            cand --dmarc-spec 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)'
            cand --dnsbl 'Look the origin IP up in this DNS blocklist zone (repeatable)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --authserv-id 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted'
            cand --trusted-mta 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)'
            cand --max-size 'Largest message accepted, e.g. 64M, 512K, 1000000'
            cand --trust-anchor 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)'
            cand --no-internal-inference 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;trace'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand --format 'Output format'
            cand --color 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)'
            cand --dnsbl 'Look the origin IP up in this DNS blocklist zone (repeatable)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --authserv-id 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted'
            cand --trusted-mta 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)'
            cand --max-size 'Largest message accepted, e.g. 64M, 512K, 1000000'
            cand --trust-anchor 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)'
            cand --no-internal-inference 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;spf'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand --ip 'The connecting client''s IP address'
            cand --helo 'HELO/EHLO name (used for the null sender and the helo scope)'
            cand --mail-from 'Envelope sender (MAIL FROM)'
            cand --domain 'Evaluate this domain''s policy directly (sender postmaster@DOMAIN)'
            cand --authserv-id 'The receiving host''s name: %{r} in explanations, and the authserv-id of --format arh (default: this host''s name)'
            cand --format 'Output format'
            cand --color 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --helo-scope 'Evaluate the HELO identity instead of MAIL FROM'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;domain'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand --selector 'A DKIM selector to check (repeatable)'
            cand --format 'Output format'
            cand --color 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --trust-anchor 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)'
            cand --connect-to 'Reach HOST:PORT at ADDR:PORT instead (like curl), for HTTPS and --probe (repeatable)'
            cand --ca-file 'Extra PEM trust anchors for HTTPS (MTA-STS policies) and --probe'
            cand --guess-selectors 'Also look for keys under common selector names'
            cand --strict 'Warnings fail the audit too (exit 1)'
            cand --no-https 'Do not fetch MTA-STS policies over HTTPS'
            cand --probe 'Also connect to each MX on port 25: STARTTLS, certificate vs TLSA and MX name, expiry'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;filter'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand --deadline 'Total seconds for all checks; DNS answers still missing then count as temporary errors'
            cand --add-header 'Also prepend X-Mailverdict-Verdict, X-Mailverdict-Summary and/or Received-SPF (repeatable)'
            cand --dmarc-spec 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --authserv-id 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted'
            cand --trusted-mta 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)'
            cand --max-size 'Largest message accepted, e.g. 64M, 512K, 1000000'
            cand --trust-anchor 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)'
            cand --transport 'Also look up MTA-STS / DANE posture (more DNS queries)'
            cand --no-internal-inference 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;batch'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand -j 'Worker threads (default: all cores)'
            cand --jobs 'Worker threads (default: all cores)'
            cand --shard 'Take only shard K of N (1-based), to spread a corpus over machines'
            cand --format 'Output format'
            cand --color 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)'
            cand --dmarc-spec 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)'
            cand --dnsbl 'Look the origin IP up in this DNS blocklist zone (repeatable)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --authserv-id 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted'
            cand --trusted-mta 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)'
            cand --max-size 'Largest message accepted, e.g. 64M, 512K, 1000000'
            cand --trust-anchor 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)'
            cand -0 'The list of paths read from "-" is separated by NUL bytes, not lines (find -print0, fd -0, xargs -0)'
            cand --null 'The list of paths read from "-" is separated by NUL bytes, not lines (find -print0, fd -0, xargs -0)'
            cand --transport 'Also look up MTA-STS / DANE posture (more DNS queries)'
            cand --no-internal-inference 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;milter'= {
            cand --nameserver 'DNS resolver to use instead of the system''s (repeatable)'
            cand --dns-zone 'Answer every DNS query from these zone files, never the network (repeatable)'
            cand --record-dns 'Write every DNS answer seen as a zone file that --dns-zone replays'
            cand --timeout 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)'
            cand --listen 'Socket to listen on: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH (as in Postfix''s smtpd_milters and Sendmail''s INPUT_MAIL_FILTER)'
            cand --reject 'Act on the DMARC disposition: reject → 550 5.7.1 with the reason, quarantine → the milter quarantine action. Without it every message is accepted with our field'
            cand --on-temperror 'When DNS fails (dmarc=temperror) or the deadline passes: accept with dmarc=temperror in the field, or answer 451 so the sender retries'
            cand --on-overload 'When the --memory budget is in use: accept unverified (with a field saying so), or 451'
            cand --memory 'Message bytes held in flight over all connections (e.g. 512M, 1G)'
            cand --max-connections 'Connections served at once; more wait in the listen queue'
            cand --deadline 'Seconds one message''s check may take: DNS is cut off shortly before, and the verdict is what the answers that arrived decide (dmarc=temperror when they cannot)'
            cand --metrics 'Serve Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9325)'
            cand --add-header 'Extra fields to add besides Authentication-Results'
            cand --grace 'Seconds in-flight messages may take to finish after SIGTERM'
            cand --dmarc-spec 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)'
            cand --at 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)'
            cand --authserv-id 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted'
            cand --trusted-mta 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)'
            cand --max-size 'Largest message accepted, e.g. 64M, 512K, 1000000'
            cand --trust-anchor 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)'
            cand --no-internal-inference 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mailverdict;help'= {
            cand check 'Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict'
            cand trace 'The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL'
            cand spf 'One SPF evaluation (RFC 7208) with its full evaluation trace'
            cand domain 'Audit domains'' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI'
            cand filter 'Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results'
            cand batch 'Check many messages (mbox, Maildir, folders of .eml) in parallel'
            cand milter 'In-line verification in Postfix/Sendmail over the milter protocol: our Authentication-Results added, forged ones deleted, optional reject on DMARC'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailverdict;help;check'= {
        }
        &'mailverdict;help;trace'= {
        }
        &'mailverdict;help;spf'= {
        }
        &'mailverdict;help;domain'= {
        }
        &'mailverdict;help;filter'= {
        }
        &'mailverdict;help;batch'= {
        }
        &'mailverdict;help;milter'= {
        }
        &'mailverdict;help;help'= {
        }
    ]
    $completions[$command]
}
