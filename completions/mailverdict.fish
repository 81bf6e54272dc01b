# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mailverdict_global_optspecs
    string join \n nameserver= dns-zone= record-dns= timeout= h/help V/version
end

function __fish_mailverdict_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mailverdict_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mailverdict_using_subcommand
    set -l cmd (__fish_mailverdict_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mailverdict -n "__fish_mailverdict_needs_command" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_needs_command" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_needs_command" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_needs_command" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -s V -l version -d 'Print version'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "check" -d 'Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "trace" -d 'The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "spf" -d 'One SPF evaluation (RFC 7208) with its full evaluation trace'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "domain" -d 'Audit domains\' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "filter" -d 'Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "batch" -d 'Check many messages (mbox, Maildir, folders of .eml) in parallel'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "milter" -d 'In-line verification in Postfix/Sendmail over the milter protocol: our Authentication-Results added, forged ones deleted, optional reject on DMARC'
complete -c mailverdict -n "__fish_mailverdict_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l ip -d 'Client IP to evaluate SPF for, instead of the one read from the Received path' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l helo -d 'HELO/EHLO name, instead of the one read from the Received path' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l mail-from -d 'Envelope sender (MAIL FROM), instead of Return-Path; "" is the null sender' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l explain -d 'Print how a mechanism reached its result instead of the report (exit code unchanged)' -r -f -a "dkim\t'Per DKIM signature: claimed and computed body hash, canonical body length, what l= leaves unsigned, the exact header block hashed, the key record'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l format -d 'Output format' -r -f -a "human\t'Human report with colour'
json\t'One JSON document'
arh\t'One RFC 8601 Authentication-Results header'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l color -d 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l dmarc-spec -d 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)' -r -f -a "rfc9989\t'RFC 9989 (2026), the standard'
rfc7489\t'RFC 7489 (2015), the older informational rules'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l dnsbl -d 'Look the origin IP up in this DNS blocklist zone (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l authserv-id -d 'Our authserv-id: written in Authentication-Results output (default: this host\'s name), and the only one whose existing Authentication-Results fields are trusted' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l trusted-mta -d 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l max-size -d 'Largest message accepted, e.g. 64M, 512K, 1000000' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l trust-anchor -d 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root\'s, for the validating lookups DANE needs (live DNS only)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -l no-internal-inference -d 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l format -d 'Output format' -r -f -a "human\t'Human report with colour'
json\t'JSON (batch: one JSON line per message)'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l color -d 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l dnsbl -d 'Look the origin IP up in this DNS blocklist zone (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l authserv-id -d 'Our authserv-id: written in Authentication-Results output (default: this host\'s name), and the only one whose existing Authentication-Results fields are trusted' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l trusted-mta -d 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l max-size -d 'Largest message accepted, e.g. 64M, 512K, 1000000' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l trust-anchor -d 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root\'s, for the validating lookups DANE needs (live DNS only)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -l no-internal-inference -d 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l ip -d 'The connecting client\'s IP address' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l helo -d 'HELO/EHLO name (used for the null sender and the helo scope)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l mail-from -d 'Envelope sender (MAIL FROM)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l domain -d 'Evaluate this domain\'s policy directly (sender postmaster@DOMAIN)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l authserv-id -d 'The receiving host\'s name: %{r} in explanations, and the authserv-id of --format arh (default: this host\'s name)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l format -d 'Output format' -r -f -a "human\t'Human report with colour'
json\t'One JSON document'
arh\t'One RFC 8601 Authentication-Results header'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l color -d 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -l helo-scope -d 'Evaluate the HELO identity instead of MAIL FROM'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand spf" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l selector -d 'A DKIM selector to check (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l format -d 'Output format' -r -f -a "human\t'Human report with colour'
json\t'JSON (batch: one JSON line per message)'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l color -d 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l trust-anchor -d 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root\'s, for the validating lookups DANE needs (live DNS only)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l connect-to -d 'Reach HOST:PORT at ADDR:PORT instead (like curl), for HTTPS and --probe (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l ca-file -d 'Extra PEM trust anchors for HTTPS (MTA-STS policies) and --probe' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l guess-selectors -d 'Also look for keys under common selector names'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l strict -d 'Warnings fail the audit too (exit 1)'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l no-https -d 'Do not fetch MTA-STS policies over HTTPS'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -l probe -d 'Also connect to each MX on port 25: STARTTLS, certificate vs TLSA and MX name, expiry'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand domain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l deadline -d 'Total seconds for all checks; DNS answers still missing then count as temporary errors' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l add-header -d 'Also prepend X-Mailverdict-Verdict, X-Mailverdict-Summary and/or Received-SPF (repeatable)' -r -f -a "verdict\t'X-Mailverdict-Verdict: the DMARC result word'
summary\t'X-Mailverdict-Summary: the one-line summary'
received-spf\t'Received-SPF (RFC 7208 §9.1): our SPF result for the client'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l dmarc-spec -d 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)' -r -f -a "rfc9989\t'RFC 9989 (2026), the standard'
rfc7489\t'RFC 7489 (2015), the older informational rules'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l authserv-id -d 'Our authserv-id: written in Authentication-Results output (default: this host\'s name), and the only one whose existing Authentication-Results fields are trusted' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l trusted-mta -d 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l max-size -d 'Largest message accepted, e.g. 64M, 512K, 1000000' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l trust-anchor -d 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root\'s, for the validating lookups DANE needs (live DNS only)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l transport -d 'Also look up MTA-STS / DANE posture (more DNS queries)'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -l no-internal-inference -d 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand filter" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -s j -l jobs -d 'Worker threads (default: all cores)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l shard -d 'Take only shard K of N (1-based), to spread a corpus over machines' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l format -d 'Output format' -r -f -a "human\t'Human report with colour'
json\t'JSON (batch: one JSON line per message)'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l color -d 'When to colour the human report (NO_COLOR and TERM=dumb turn auto off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l dmarc-spec -d 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)' -r -f -a "rfc9989\t'RFC 9989 (2026), the standard'
rfc7489\t'RFC 7489 (2015), the older informational rules'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l dnsbl -d 'Look the origin IP up in this DNS blocklist zone (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l authserv-id -d 'Our authserv-id: written in Authentication-Results output (default: this host\'s name), and the only one whose existing Authentication-Results fields are trusted' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l trusted-mta -d 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l max-size -d 'Largest message accepted, e.g. 64M, 512K, 1000000' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l trust-anchor -d 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root\'s, for the validating lookups DANE needs (live DNS only)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -s 0 -l null -d 'The list of paths read from "-" is separated by NUL bytes, not lines (find -print0, fd -0, xargs -0)'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l transport -d 'Also look up MTA-STS / DANE posture (more DNS queries)'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -l no-internal-inference -d 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l nameserver -d 'DNS resolver to use instead of the system\'s (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l dns-zone -d 'Answer every DNS query from these zone files, never the network (repeatable)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l record-dns -d 'Write every DNS answer seen as a zone file that --dns-zone replays' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l timeout -d 'Seconds to wait for each DNS query (and each HTTPS or SMTP connection)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l listen -d 'Socket to listen on: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH (as in Postfix\'s smtpd_milters and Sendmail\'s INPUT_MAIL_FILTER)' -r
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l reject -d 'Act on the DMARC disposition: reject → 550 5.7.1 with the reason, quarantine → the milter quarantine action. Without it every message is accepted with our field' -r -f -a "dmarc\t'The DMARC disposition: reject → 550 5.7.1, quarantine → the milter quarantine action (`t=y`, `pct=` and the spec in force count)'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l on-temperror -d 'When DNS fails (dmarc=temperror) or the deadline passes: accept with dmarc=temperror in the field, or answer 451 so the sender retries' -r -f -a "accept\t'Accept it, with a field that says why it has no verdict'
tempfail\t'Answer 451 so the sender retries'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l on-overload -d 'When the --memory budget is in use: accept unverified (with a field saying so), or 451' -r -f -a "accept\t'Accept it, with a field that says why it has no verdict'
tempfail\t'Answer 451 so the sender retries'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l memory -d 'Message bytes held in flight over all connections (e.g. 512M, 1G)' -r
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l max-connections -d 'Connections served at once; more wait in the listen queue' -r
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l deadline -d 'Seconds one message\'s check may take: DNS is cut off shortly before, and the verdict is what the answers that arrived decide (dmarc=temperror when they cannot)' -r
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l metrics -d 'Serve Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9325)' -r
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l add-header -d 'Extra fields to add besides Authentication-Results' -r -f -a "verdict\t'X-Mailverdict-Verdict: the DMARC result word'
summary\t'X-Mailverdict-Summary: the one-line summary'
received-spf\t'Received-SPF (RFC 7208 §9.1): our SPF result for the client'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l grace -d 'Seconds in-flight messages may take to finish after SIGTERM' -r
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l dmarc-spec -d 'DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)' -r -f -a "rfc9989\t'RFC 9989 (2026), the standard'
rfc7489\t'RFC 7489 (2015), the older informational rules'"
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l at -d 'Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l authserv-id -d 'Our authserv-id: written in Authentication-Results output (default: this host\'s name), and the only one whose existing Authentication-Results fields are trusted' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l trusted-mta -d 'An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l max-size -d 'Largest message accepted, e.g. 64M, 512K, 1000000' -r -f
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l trust-anchor -d 'DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root\'s, for the validating lookups DANE needs (live DNS only)' -r -F
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -l no-internal-inference -d 'Trust only the topmost hop and --trusted-mta: do not infer internal hops from the client address class, recorded reverse names or forward-confirmed reverse DNS'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand milter" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "check" -d 'Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "trace" -d 'The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "spf" -d 'One SPF evaluation (RFC 7208) with its full evaluation trace'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "domain" -d 'Audit domains\' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "filter" -d 'Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "batch" -d 'Check many messages (mbox, Maildir, folders of .eml) in parallel'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "milter" -d 'In-line verification in Postfix/Sendmail over the milter protocol: our Authentication-Results added, forged ones deleted, optional reject on DMARC'
complete -c mailverdict -n "__fish_mailverdict_using_subcommand help; and not __fish_seen_subcommand_from check trace spf domain filter batch milter help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
