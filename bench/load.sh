#!/usr/bin/env bash
# Load against one Graft process at -Xmx512m: N concurrent uploads of SIZE_MB checkpoints (distinct
# bytes, so each is stored), then R concurrent runs, while a prober times small GETs. Prints upload
# throughput, that every stored SHA-256 matches the file sent, peak heap (from /actuator/prometheus)
# and the p50/p99 of the small GETs. Needs curl, python3 and a built jar (./mvnw -DskipTests package).
#   bench/load.sh                      # 20 x 200 MB uploads, 10 runs
#   UPLOADS=4 SIZE_MB=50 RUNS=4 bench/load.sh
# The server's log is kept in $LOG (/tmp/graft-load-last.log).
set -euo pipefail
cd "$(dirname "$0")/.."
UPLOADS=${UPLOADS:-20} SIZE_MB=${SIZE_MB:-200} RUNS=${RUNS:-10} PORT=${PORT:-18080}
WORK=$(mktemp -d /tmp/graft-load-XXXX)
TOKEN=graft_10ad7e57_LoadTestAdminTokenOfTheGraftBenchmark-0123
JAR=$(ls target/graft-*.jar | grep -v plain | head -1)
java -Xmx512m -jar "$JAR" --server.port=$PORT --graft.data-dir="$WORK/data" \
  --graft.security.bootstrap-token=$TOKEN --graft.worker.concurrency=2 \
  --graft.upload.max-concurrent=$UPLOADS >"$WORK/graft.log" 2>&1 &
PID=$!
LOG=${LOG:-/tmp/graft-load-last.log}
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; cp "$WORK/graft.log" "$LOG"; rm -rf "$WORK"' EXIT
B=http://localhost:$PORT
for _ in $(seq 1 180); do curl -sf $B/actuator/health/readiness >/dev/null && break; sleep 1; done
python3 - "$B" "$TOKEN" "$WORK" "$UPLOADS" "$SIZE_MB" "$RUNS" <<'PY'
import hashlib, json, os, struct, sys, threading, time, urllib.request, zipfile
B, TOKEN, WORK, N, MB, R = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
H = {"Authorization": "Bearer " + TOKEN}
def req(method, path, body=None, ctype=None, timeout=600):
    h = dict(H)
    if ctype: h["Content-Type"] = ctype
    r = urllib.request.Request(B + path, data=body, method=method, headers=h)
    with urllib.request.urlopen(r, timeout=timeout) as resp:
        return resp.status, resp.read()
def safetensors(path, i, mb):
    # one float32 tensor of MB MiB whose bytes differ per file (so every upload is stored)
    n = mb * (1 << 20) // 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, n * 4]}}).encode()
    header += b" " * (-len(header) % 8)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for part in (struct.pack("<Q", len(header)), header):
            f.write(part); h.update(part)
        block = struct.pack("<f", float(i)) * (1 << 18)
        for _ in range(mb):
            f.write(block); h.update(block)
    return h.hexdigest()
files = []
for i in range(N):
    p = os.path.join(WORK, f"c{i}.safetensors"); files.append((p, safetensors(p, i + 1, MB)))
lat, stop, peak = [], threading.Event(), [0.0]
def heap_used():
    prom = req("GET", "/actuator/prometheus")[1].decode()
    return sum(float(l.split()[-1]) for l in prom.splitlines() if l.startswith("jvm_memory_used_bytes") and 'area="heap"' in l)
def heap():
    while not stop.is_set():
        peak[0] = max(peak[0], heap_used()); time.sleep(0.5)
threading.Thread(target=heap, daemon=True).start()
def probe():
    while not stop.is_set():
        t = time.perf_counter(); req("GET", "/api/v1/checkpoints?size=5"); lat.append(time.perf_counter() - t); time.sleep(0.05)
threading.Thread(target=probe, daemon=True).start()
ids, errors = [None] * N, []
def upload(i):
    p, sha = files[i]
    try:
        with open(p, "rb") as f:
            st, body = req("POST", f"/api/v1/checkpoints?name=load-{i}", f, "application/octet-stream")
        j = json.loads(body); ids[i] = j["id"]
        if j["sha256"] != sha: errors.append(f"upload {i}: sha {j['sha256']} != {sha}")
    except Exception as e: errors.append(f"upload {i}: {e}")
t0 = time.perf_counter()
ts = [threading.Thread(target=upload, args=(i,)) for i in range(N)]
[t.start() for t in ts]; [t.join() for t in ts]
up_s = time.perf_counter() - t0
arch = json.loads(req("POST", "/api/v1/architectures", json.dumps({"name": "load", "entries": [
    {"key": "w", "dtype": "float16", "shape": [MB * (1 << 20) // 4], "kind": "PARAMETER", "init": {"scheme": "zeros"}}]}).encode(), "application/json")[1])["id"]
t1 = time.perf_counter(); runs = []
for i in range(R):
    c = ids[i % N]
    if c is None: continue
    runs.append(json.loads(req("POST", "/api/v1/warm-starts", json.dumps({"checkpointId": c, "architectureId": arch,
        "options": {"strict": False}, "output": {"model": f"load-{i}", "formats": ["safetensors"]}}).encode(), "application/json")[1])["id"])
status, why = {}, {}
while len(status) < len(runs):
    for r in runs:
        j = json.loads(req("GET", f"/api/v1/warm-starts/{r}")[1])
        if j["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"): status[r] = j["status"]; why[r] = j.get("error")
    time.sleep(0.5)
run_s = time.perf_counter() - t1
stop.set()
lat.sort(); q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
print(f"uploads: {N} x {MB} MiB in {up_s:.1f} s = {N * MB / up_s:.1f} MiB/s; sha256 mismatches/errors: {len(errors)}")
for e in errors[:5]: print("  ", e)
print(f"runs: {len(runs)} ({list(status.values()).count('SUCCEEDED')} succeeded) in {run_s:.1f} s")
for r, e in why.items():
    if status[r] != "SUCCEEDED": print(f"   {r} {status[r]}: {e}")
print(f"peak heap used (sampled every 0.5 s): {peak[0] / 2**20:.0f} MiB (-Xmx512m)")
print(f"small GETs under load: n={len(lat)} p50={q(0.5):.1f} ms p99={q(0.99):.1f} ms")
PY
grep -c "OutOfMemoryError" "$WORK/graft.log" | sed 's/^/OutOfMemoryError lines in the log: /' || true
grep -o "OutOfMemoryError: [^\"]*" "$WORK/graft.log" | sort | uniq -c | head -5 || true
grep -c "Connection is not available" "$WORK/graft.log" | sed 's/^/connection-pool timeouts in the log: /' || true
