
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mailverdict' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mailverdict'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mailverdict' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL')
            [CompletionResult]::new('spf', 'spf', [CompletionResultType]::ParameterValue, 'One SPF evaluation (RFC 7208) with its full evaluation trace')
            [CompletionResult]::new('domain', 'domain', [CompletionResultType]::ParameterValue, 'Audit domains'' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI')
            [CompletionResult]::new('filter', 'filter', [CompletionResultType]::ParameterValue, 'Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Check many messages (mbox, Maildir, folders of .eml) in parallel')
            [CompletionResult]::new('milter', 'milter', [CompletionResultType]::ParameterValue, 'In-line verification in Postfix/Sendmail over the milter protocol: our Authentication-Results added, forged ones deleted, optional reject on DMARC')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailverdict;check' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'Client IP to evaluate SPF for, instead of the one read from the Received path')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'HELO/EHLO name, instead of the one read from the Received path')
            [CompletionResult]::new('--mail-from', '--mail-from', [CompletionResultType]::ParameterName, 'Envelope sender (MAIL FROM), instead of Return-Path; "" is the null sender')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print how a mechanism reached its result instead of the report (exit code unchanged)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)')
            [CompletionResult]::new('--dmarc-spec', '--dmarc-spec', [CompletionResultType]::ParameterName, 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)')
            [CompletionResult]::new('--dnsbl', '--dnsbl', [CompletionResultType]::ParameterName, 'Look the origin IP up in this DNS blocklist zone (repeatable)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--authserv-id', '--authserv-id', [CompletionResultType]::ParameterName, 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted')
            [CompletionResult]::new('--trusted-mta', '--trusted-mta', [CompletionResultType]::ParameterName, 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Largest message accepted, e.g. 64M, 512K, 1000000')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)')
            [CompletionResult]::new('--no-internal-inference', '--no-internal-inference', [CompletionResultType]::ParameterName, 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;trace' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)')
            [CompletionResult]::new('--dnsbl', '--dnsbl', [CompletionResultType]::ParameterName, 'Look the origin IP up in this DNS blocklist zone (repeatable)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--authserv-id', '--authserv-id', [CompletionResultType]::ParameterName, 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted')
            [CompletionResult]::new('--trusted-mta', '--trusted-mta', [CompletionResultType]::ParameterName, 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Largest message accepted, e.g. 64M, 512K, 1000000')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)')
            [CompletionResult]::new('--no-internal-inference', '--no-internal-inference', [CompletionResultType]::ParameterName, 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;spf' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'The connecting client''s IP address')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'HELO/EHLO name (used for the null sender and the helo scope)')
            [CompletionResult]::new('--mail-from', '--mail-from', [CompletionResultType]::ParameterName, 'Envelope sender (MAIL FROM)')
            [CompletionResult]::new('--domain', '--domain', [CompletionResultType]::ParameterName, 'Evaluate this domain''s policy directly (sender postmaster@DOMAIN)')
            [CompletionResult]::new('--authserv-id', '--authserv-id', [CompletionResultType]::ParameterName, 'The receiving host''s name: %{r} in explanations, and the authserv-id of --format arh (default: this host''s name)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--helo-scope', '--helo-scope', [CompletionResultType]::ParameterName, 'Evaluate the HELO identity instead of MAIL FROM')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;domain' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'A DKIM selector to check (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)')
            [CompletionResult]::new('--connect-to', '--connect-to', [CompletionResultType]::ParameterName, 'Reach HOST:PORT at ADDR:PORT instead (like curl), for HTTPS and --probe (repeatable)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Extra PEM trust anchors for HTTPS (MTA-STS policies) and --probe')
            [CompletionResult]::new('--guess-selectors', '--guess-selectors', [CompletionResultType]::ParameterName, 'Also look for keys under common selector names')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Warnings fail the audit too (exit 1)')
            [CompletionResult]::new('--no-https', '--no-https', [CompletionResultType]::ParameterName, 'Do not fetch MTA-STS policies over HTTPS')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Also connect to each MX on port 25: STARTTLS, certificate vs TLSA and MX name, expiry')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;filter' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Total seconds for all checks; DNS answers still missing then count as temporary errors')
            [CompletionResult]::new('--add-header', '--add-header', [CompletionResultType]::ParameterName, 'Also prepend X-Mailverdict-Verdict, X-Mailverdict-Summary and/or Received-SPF (repeatable)')
            [CompletionResult]::new('--dmarc-spec', '--dmarc-spec', [CompletionResultType]::ParameterName, 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--authserv-id', '--authserv-id', [CompletionResultType]::ParameterName, 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted')
            [CompletionResult]::new('--trusted-mta', '--trusted-mta', [CompletionResultType]::ParameterName, 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Largest message accepted, e.g. 64M, 512K, 1000000')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Also look up MTA-STS / DANE posture (more DNS queries)')
            [CompletionResult]::new('--no-internal-inference', '--no-internal-inference', [CompletionResultType]::ParameterName, 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;batch' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Worker threads (default: all cores)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Worker threads (default: all cores)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Take only shard K of N (1-based), to spread a corpus over machines')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)')
            [CompletionResult]::new('--dmarc-spec', '--dmarc-spec', [CompletionResultType]::ParameterName, 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)')
            [CompletionResult]::new('--dnsbl', '--dnsbl', [CompletionResultType]::ParameterName, 'Look the origin IP up in this DNS blocklist zone (repeatable)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--authserv-id', '--authserv-id', [CompletionResultType]::ParameterName, 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted')
            [CompletionResult]::new('--trusted-mta', '--trusted-mta', [CompletionResultType]::ParameterName, 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Largest message accepted, e.g. 64M, 512K, 1000000')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'The list of paths read from "-" is separated by NUL bytes, not lines (find -print0, fd -0, xargs -0)')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'The list of paths read from "-" is separated by NUL bytes, not lines (find -print0, fd -0, xargs -0)')
            [CompletionResult]::new('--transport', '--transport', [CompletionResultType]::ParameterName, 'Also look up MTA-STS / DANE posture (more DNS queries)')
            [CompletionResult]::new('--no-internal-inference', '--no-internal-inference', [CompletionResultType]::ParameterName, 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;milter' {
            [CompletionResult]::new('--nameserver', '--nameserver', [CompletionResultType]::ParameterName, 'DNS resolver to use instead of the system''s (repeatable)')
            [CompletionResult]::new('--dns-zone', '--dns-zone', [CompletionResultType]::ParameterName, 'Answer every DNS query from these zone files, never the network (repeatable)')
            [CompletionResult]::new('--record-dns', '--record-dns', [CompletionResultType]::ParameterName, 'Write every DNS answer seen as a zone file that --dns-zone replays')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Socket to listen on: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH (as in Postfix''s smtpd_milters and Sendmail''s INPUT_MAIL_FILTER)')
            [CompletionResult]::new('--reject', '--reject', [CompletionResultType]::ParameterName, 'Act on the DMARC disposition: reject → 550 5.7.1 with the reason, quarantine → the milter quarantine action. Without it every message is accepted with our field')
            [CompletionResult]::new('--on-temperror', '--on-temperror', [CompletionResultType]::ParameterName, 'When DNS fails (dmarc=temperror) or the deadline passes: accept with dmarc=temperror in the field, or answer 451 so the sender retries')
            [CompletionResult]::new('--on-overload', '--on-overload', [CompletionResultType]::ParameterName, 'When the --memory budget is in use: accept unverified (with a field saying so), or 451')
            [CompletionResult]::new('--memory', '--memory', [CompletionResultType]::ParameterName, 'Message bytes held in flight over all connections (e.g. 512M, 1G)')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Connections served at once; more wait in the listen queue')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Seconds one message''s check may take: DNS is cut off shortly before, and the verdict is what the answers that arrived decide (dmarc=temperror when they cannot)')
            [CompletionResult]::new('--metrics', '--metrics', [CompletionResultType]::ParameterName, 'Serve Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9325)')
            [CompletionResult]::new('--add-header', '--add-header', [CompletionResultType]::ParameterName, 'Extra fields to add besides Authentication-Results')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Seconds in-flight messages may take to finish after SIGTERM')
            [CompletionResult]::new('--dmarc-spec', '--dmarc-spec', [CompletionResultType]::ParameterName, 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)')
            [CompletionResult]::new('--authserv-id', '--authserv-id', [CompletionResultType]::ParameterName, 'Our authserv-id: written in Authentication-Results output (default: this host''s name), and the only one whose existing Authentication-Results fields are trusted')
            [CompletionResult]::new('--trusted-mta', '--trusted-mta', [CompletionResultType]::ParameterName, 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Largest message accepted, e.g. 64M, 512K, 1000000')
            [CompletionResult]::new('--trust-anchor', '--trust-anchor', [CompletionResultType]::ParameterName, 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root''s, for the validating lookups DANE needs (live DNS only)')
            [CompletionResult]::new('--no-internal-inference', '--no-internal-inference', [CompletionResultType]::ParameterName, 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mailverdict;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL')
            [CompletionResult]::new('spf', 'spf', [CompletionResultType]::ParameterValue, 'One SPF evaluation (RFC 7208) with its full evaluation trace')
            [CompletionResult]::new('domain', 'domain', [CompletionResultType]::ParameterValue, 'Audit domains'' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI')
            [CompletionResult]::new('filter', 'filter', [CompletionResultType]::ParameterValue, 'Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Check many messages (mbox, Maildir, folders of .eml) in parallel')
            [CompletionResult]::new('milter', 'milter', [CompletionResultType]::ParameterValue, 'In-line verification in Postfix/Sendmail over the milter protocol: our Authentication-Results added, forged ones deleted, optional reject on DMARC')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailverdict;help;check' {
            break
        }
        'mailverdict;help;trace' {
            break
        }
        'mailverdict;help;spf' {
            break
        }
        'mailverdict;help;domain' {
            break
        }
        'mailverdict;help;filter' {
            break
        }
        'mailverdict;help;batch' {
            break
        }
        'mailverdict;help;milter' {
            break
        }
        'mailverdict;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
