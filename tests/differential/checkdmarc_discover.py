#!/usr/bin/env python3
"""Differential helper: DMARC record discovery and parsing by checkdmarc (>= 5.16, RFC 9989).

Usage: checkdmarc_discover.py SERVER_IP PORT < domains (one per line)

For each domain prints one JSON line: {"domain", "location", "record", "error", "tags"} where
"location" is where checkdmarc's RFC 9989 tree walk found the applicable record, "error" is the
name of the exception checkdmarc raised (null when none) and "tags" the parsed p/sp/np/adkim/
aspf/t/psd values (null when parsing raised).
"""

import json
import sys

import dns.resolver
from checkdmarc import dmarc

TAGS = ("p", "sp", "np", "adkim", "aspf", "t", "psd")


def main() -> None:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [sys.argv[1]]
    resolver.port = int(sys.argv[2])
    resolver.timeout = 5
    resolver.lifetime = 10
    for line in sys.stdin:
        domain = line.strip()
        if not domain:
            continue
        out = {"domain": domain, "location": None, "record": None, "error": None, "tags": None}
        try:
            found = dmarc.query_dmarc_record(
                domain, resolver=resolver, ignore_unrelated_records=True
            )
            out["location"] = found["location"]
            out["record"] = found["record"]
            parsed = dmarc.parse_dmarc_record(
                found["record"], found["location"], resolver=resolver,
                ignore_unrelated_records=True,
            )
            out["tags"] = {t: parsed["tags"][t]["value"] for t in TAGS if t in parsed["tags"]}
        except dmarc.DMARCError as e:
            out["error"] = type(e).__name__
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
