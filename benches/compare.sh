#!/usr/bin/env bash
# Side-by-side benchmark (prints figures and ratios; asserts nothing):
#  1. per-message wall time, as a user runs each tool on one message with offline DNS:
#     `mailverdict check --dns-zone` vs `mailauth report --dns-cache` (npm mailauth 4.8, the
#     last major that runs on Node 20) vs the Python stack (dkimpy + pyspf + authheaders);
#  2. `mailverdict batch` throughput with zone replay on a 5,000+ message mbox, per core, and
#     peak RSS for that corpus and one four times larger (memory must stay flat).
# Reference tools are installed into target/bench-work when the registries allow; a tool that
# cannot be installed is reported as skipped.
# Usage: benches/compare.sh [RUNS]   (default 40 runs per tool for the per-message figure)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
work=target/bench-work
mkdir -p "$work"
cargo build --release --quiet

if command -v npm >/dev/null && [ ! -x "$work/node_modules/.bin/mailauth" ]; then
  (cd "$work" && npm install --silent --no-audit --no-fund mailauth@4.8 >/dev/null 2>&1) \
    || echo "note: npm mailauth not installable; skipped"
fi
if command -v python3 >/dev/null && ! python3 -c "import authheaders, dkim, spf" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check dkimpy pyspf authheaders dnspython \
    >/dev/null 2>&1 || echo "note: Python stack not installable; skipped"
fi

python3 - "$runs" "$work" <<'PY'
import json, os, re, resource, statistics, subprocess, sys, time

runs, work = int(sys.argv[1]), sys.argv[2]
zone_file = "testdata/demo/zone.db"
message = "testdata/demo/signed.eml"
ip, mail_from, helo = "192.0.2.10", "bounce@example.com", "mail.example.com"

# The demo zone as {name: {type: [values]}}, for the reference tools' offline DNS.
records = {}
origin = ""
def strip_comment(raw):
    out, quoted, escaped = [], False, False
    for ch in raw:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            break
        out.append(ch)
    return "".join(out).rstrip()

for raw in open(zone_file):
    line = strip_comment(raw)
    if not line.strip():
        continue
    if line.startswith("$ORIGIN"):
        origin = line.split()[1].rstrip(".")
        continue
    if line.startswith("$"):
        continue
    owner, rtype, rest = re.match(r"(\S+)\s+(?:\d+\s+)?(?:IN\s+)?([A-Z]+)\s+(.*)", line).groups()
    name = origin if owner == "@" else owner.rstrip(".") if owner.endswith(".") else f"{owner}.{origin}"
    if rtype == "TXT":
        value = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
    elif rtype == "MX":
        pref, host = rest.split()
        value = {"exchange": host.rstrip(".") if host.endswith(".") else f"{host}.{origin}", "priority": int(pref)}
    elif rtype == "PTR":
        value = rest.strip().rstrip(".")
    else:
        value = rest.strip()
    records.setdefault(name.lower(), {}).setdefault(rtype, []).append(value)
cache = os.path.join(work, "dns-cache.json")
json.dump(records, open(cache, "w"))

py_runner = os.path.join(work, "python_stack.py")
open(py_runner, "w").write(r'''
import json, sys
import authheaders, spf
records = json.load(open(sys.argv[1]))
def txt(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    vals = records.get(name.rstrip(".").lower(), {}).get("TXT")
    if not vals:
        return None
    text = "".join(vals[0])
    # authheaders' DMARC lookup wants str, dkimpy's key lookup bytes.
    return text if name.startswith("_dmarc.") else text.encode()
def lookup(name, qtype, tcpfallback=True, timeout=30):
    vals = records.get(name.rstrip(".").lower(), {}).get(qtype, [])
    out = []
    for v in vals:
        if qtype == "TXT": out.append(((name, qtype), [s.encode() for s in v]))
        elif qtype == "MX": out.append(((name, qtype), (v["priority"], v["exchange"])))
        else: out.append(((name, qtype), v))
    return out
spf.DNSLookup = lookup
msg = open(sys.argv[2], "rb").read()
print(authheaders.authenticate_message(msg, "bench", spf=True, dkim=True, dmarc=True,
      ip=sys.argv[3], mail_from=sys.argv[4], helo=sys.argv[5], dnsfunc=txt))
''')

def timed(cmd):
    subprocess.run(cmd, capture_output=True)  # warm-up
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out

tools = {
    "mailverdict check": ["target/release/mailverdict", "check", "--format", "json", "--dns-zone", zone_file, message],
}
mailauth = os.path.join(work, "node_modules/.bin/mailauth")
if os.access(mailauth, os.X_OK):
    tools["mailauth report"] = [mailauth, "report", "--dns-cache", cache, "--client-ip", ip,
                                "--sender", mail_from, "--helo", helo, message]
try:
    import authheaders, dkim, spf  # noqa: F401
    tools["dkimpy+pyspf+authheaders"] = ["python3", py_runner, cache, message, ip, mail_from, helo]
except ImportError:
    pass

print(f"Per-message wall time, one process per message, offline DNS ({runs} runs, median):")
results = {}
for name, cmd in tools.items():
    ms, out = timed(cmd)
    results[name] = ms
    verdict = ""
    text = out.stdout.decode(errors="replace")
    m = re.search(r'"dmarc":\s*\{[^}]*?"result":\s*"(\w+)"', text) or re.search(r"dmarc=(\w+)", text)
    if m:
        verdict = f"  (dmarc={m.group(1)})"
    print(f"  {name:<28} {ms:8.2f} ms{verdict}")
ours = results["mailverdict check"]
others = {k: v for k, v in results.items() if k != "mailverdict check"}
if others:
    fastest = min(others, key=others.get)
    print(f"  ratio: {others[fastest] / ours:.1f}x faster than the faster reference ({fastest}); target >= 20x")
    for k, v in others.items():
        print(f"    vs {k}: {v / ours:.1f}x")
else:
    print("  (no reference tool installed: ratios not available)")

# Batch throughput and memory.
fixtures = sorted(os.path.join("testdata/dkim", f) for f in os.listdir("testdata/dkim") if f.endswith(".eml"))
bodies = [open(f, "rb").read().replace(b"\r\n", b"\n") for f in fixtures]
def write_mbox(path, n):
    with open(path, "wb") as out:
        for i in range(n):
            out.write(b"From bench@example.com Mon Nov 23 10:00:00 2026\n" + bodies[i % len(bodies)] + b"\n")
base = 6000
sizes = {"1x": base, "4x": 4 * base}
print(f"\nbatch --dns-zone throughput ({len(bodies)} distinct dkimpy-signed messages, repeated):")
for label, n in sizes.items():
    path = os.path.join(work, f"corpus-{label}.mbox")
    write_mbox(path, n)
    for jobs in (1, 2):
        cmd = ["/usr/bin/time", "-f", "%e %M", "target/release/mailverdict", "batch", "--format", "json",
               "--jobs", str(jobs), "--dns-zone", "testdata/dkim/zone.db", path]
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall, rss = r.stderr.decode().strip().splitlines()[-1].split()
        rate = n / float(wall)
        print(f"  {label} ({n} messages), --jobs {jobs}: {rate:9.0f} messages/s "
              f"({rate / jobs:8.0f} per core; target >= 5000), peak RSS {int(rss) / 1024:.1f} MiB")
PY
