#!/usr/bin/env bash
# Peak memory (RSS) of `mailverdict check` on 1 MB and 20 MB messages built to cost memory:
# many header fields, seven DKIM-Signatures whose h= lists are as long as the tag-list cap
# lets them be (60 KB each), one over the cap (refused unread), release build. Prints the peak
# RSS, its ratio to the message size (target: <= 8x at 20 MB), the JSON size and the time.
# Usage: benches/memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin mailverdict
python3 - <<'PY'
import base64, os, tempfile, time

BIN = "target/release/mailverdict"
ZONE = "testdata/dkim/zone.db"
original = open("testdata/demo/signed.eml", "rb").read()
head, body = original.split(b"\r\n\r\n", 1)


def signature(i, h_octets):
    names = []
    size = 0
    while size < h_octets:
        n = "from" if len(names) % 7 == 0 else f"x-filler-{len(names) % 500}"
        names.append(n)
        size += len(n) + 1
    h = ":".join(names)
    # Valid base64 everywhere, so each signature is parsed whole and fails only on its hashes.
    bh = base64.b64encode(bytes([i]) * 32).decode()
    b = base64.b64encode(bytes([i]) * 256).decode()
    return (f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel1;\r\n"
            f"\th={h};\r\n\tbh={bh}; b={b}\r\n").encode()


def message(total):
    # One over the cap first (refused before its list is read), then seven at the cap's edge;
    # with the message's own two that is the 10 signatures verified per message.
    parts = [signature(99, min(1_000_000, total // 10))] + [signature(i, 60_000) for i in range(7)]
    fields = []
    size = sum(len(p) for p in parts) + len(original)
    i = 0
    # Half the budget in header fields, half in the body.
    while size < total // 2:
        f = f"X-Filler-{i % 500}: {'v' * 60} {i}\r\n".encode()
        fields.append(f)
        size += len(f)
        i += 1
    pad_lines = (total - size) // 78
    pad = b"".join(b"%076d\r\n" % n for n in range(pad_lines))
    return b"".join(parts) + b"".join(fields) + head + b"\r\n\r\n" + body + pad, i


def run(path):
    out = tempfile.NamedTemporaryFile(delete=False)
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(out.name, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execv(BIN, [BIN, "check", "--format", "json", "--dns-zone", ZONE, path])
    _, status, usage = os.wait4(pid, 0)
    took = time.perf_counter() - t
    json_size = os.path.getsize(out.name)
    os.unlink(out.name)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024, json_size, took


print("peak RSS of check --format json (release; ru_maxrss from wait4):")
code, base, _, _ = run("testdata/demo/signed.eml")
print(f"  baseline (the 2 KB demo message): peak RSS {base / 1e6:5.1f} MB")
for total in (1_000_000, 20_000_000):
    data, fields = message(total)
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
        f.write(data)
        path = f.name
    code, rss, json_size, took = run(path)
    os.unlink(path)
    mb = len(data) / 1e6
    print(f"  {mb:5.1f} MB message ({fields} filler fields, 10 DKIM-Signatures): "
          f"peak RSS {rss / 1e6:6.1f} MB = {rss / len(data):4.1f}x the message "
          f"({(rss - base) / len(data):4.1f}x over the baseline), "
          f"JSON {json_size / 1e6:5.2f} MB, {took:5.2f} s, exit {code}")
    if total == 20_000_000:
        print(f"  target <= 8x at 20 MB: {'met' if rss <= 8 * len(data) else 'NOT met'}")
PY
