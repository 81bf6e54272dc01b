#!/usr/bin/env python3
"""Evaluate SPF cases with pyspf against a given DNS server (differential testing).

stdin: JSON lines {"ip":..., "sender":..., "helo":...}
argv:  DNS server IP and port
stdout: one JSON line per case: {"result": ...}
"""
import json
import sys

import dns.resolver
import spf

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [sys.argv[1]]
resolver.port = int(sys.argv[2])
resolver.lifetime = 2
dns.resolver.default_resolver = resolver

for line in sys.stdin:
    case = json.loads(line)
    result, _explanation = spf.check2(i=case["ip"], s=case["sender"], h=case["helo"])
    print(json.dumps({"result": result}), flush=True)
