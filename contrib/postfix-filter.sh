#!/bin/sh
# Postfix after-queue content filter: mailverdict adds Authentication-Results, then the
# message is re-injected with sendmail. Every exit status is kept, so Postfix defers (75,
# EX_TEMPFAIL) or bounces exactly as the failing program said; nothing half-filtered is
# re-injected (the filtered message is written to a temporary file first).
#
# pipe(8) runs argv without a shell, so this wrapper is the argv. master.cf:
#
#   mailverdict unix  -       n       n       -       10      pipe
#     flags=Rq user=filter null_sender=
#     argv=/usr/local/libexec/mailverdict/postfix-filter.sh ${sender} ${recipient}
#
# and on the service that receives mail (master.cf smtp line, or main.cf):
#
#   -o content_filter=mailverdict:dummy
#
# Environment (optional): MAILVERDICT (the binary), SENDMAIL, MAILVERDICT_AUTHSERV_ID
# (default: this host's name), MAILVERDICT_ARGS (more options for `mailverdict filter`,
# split at white space, e.g. "--add-header verdict --deadline 5").

MAILVERDICT=${MAILVERDICT:-/usr/local/bin/mailverdict}
SENDMAIL=${SENDMAIL:-/usr/sbin/sendmail}
EX_USAGE=64
EX_TEMPFAIL=75

if [ $# -lt 2 ]; then
    echo "usage: $0 SENDER RECIPIENT..." >&2
    exit $EX_USAGE
fi
sender=$1
shift

tmp=$(mktemp "${TMPDIR:-/tmp}/mailverdict-filter.XXXXXX") || exit $EX_TEMPFAIL
trap 'rm -f "$tmp"' EXIT
trap 'exit $EX_TEMPFAIL' HUP INT TERM

if [ -n "${MAILVERDICT_AUTHSERV_ID:-}" ]; then
    # shellcheck disable=SC2086 # MAILVERDICT_ARGS is a list of options
    "$MAILVERDICT" filter --authserv-id "$MAILVERDICT_AUTHSERV_ID" ${MAILVERDICT_ARGS:-} >"$tmp"
else
    # shellcheck disable=SC2086
    "$MAILVERDICT" filter ${MAILVERDICT_ARGS:-} >"$tmp"
fi
status=$?
# filter exits 0 whenever it wrote the message (whatever the verdict) and 75 when it could not
# read or write it; any other status (a usage error) is passed on as well.
if [ "$status" -ne 0 ]; then
    exit "$status"
fi

"$SENDMAIL" -G -i -f "$sender" -- "$@" <"$tmp"
exit $?
