#!/usr/bin/env bash
# Wall time of `mailverdict check --dns-zone` per message on the demo message (two DKIM
# signatures: RSA-2048 and Ed25519; SPF, ARC, DMARC, iprev), release build.
# Usage: benches/check.sh [RUNS]     (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
cargo build --release --quiet
python3 - "$runs" <<'PY'
import statistics, subprocess, sys, time
runs = int(sys.argv[1])
cmd = ["target/release/mailverdict", "check", "--format", "json",
       "--dns-zone", "testdata/demo/zone.db", "testdata/demo/signed.eml"]
subprocess.run(cmd, check=True, capture_output=True)  # warm the page cache
times = []
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True)
    times.append((time.perf_counter() - t) * 1000)
    assert r.returncode == 0, r.stderr
times.sort()
print(f"check --dns-zone, 2-signature message, {runs} runs (process start included):")
print(f"  mean {statistics.mean(times):.2f} ms  median {times[len(times)//2]:.2f} ms  "
      f"p95 {times[int(len(times)*0.95)]:.2f} ms  min {times[0]:.2f} ms")
target = 10.0
print(f"  target < {target:.0f} ms per message: {'met' if statistics.median(times) < target else 'NOT met'} "
      f"(ratio {target / statistics.median(times):.1f}x under)")
PY
