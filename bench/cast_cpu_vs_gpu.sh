#!/usr/bin/env bash
# A run dominated by casts: a float32 safetensors checkpoint of SIZE_MB (default 4096) warm-started
# into the same layout in bfloat16, written as safetensors, once on the CPU and once on cuda:0.
# Both use the jar of the `cuda` profile (DJL's CUDA 12.4 build of libtorch), so the only
# difference is graft.worker.device. Prints each run's own time (startedAt..finishedAt) and the
# ratio. Needs an NVIDIA GPU with a CUDA 12.4 driver, /usr/bin/python3, curl and ~3x SIZE_MB free.
#
#   ./mvnw -Pcuda -DskipTests package && bash bench/cast_cpu_vs_gpu.sh [SIZE_MB]
#
# On a machine without a GPU the CUDA build runs on the CPU (DJL falls back), so the second run
# is refused by the worker's device check rather than timed; the script says so and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-4096}"
work="${BENCH_DIR:-bench/out}/cast"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
source bench/lib.sh
f="$work/ckpt-f32-$mb.safetensors"
[ -f "$f" ] || /usr/bin/python3 bench/make_scale_checkpoint.py "$f" "$mb" 256 F32
# The bfloat16 target: the same keys and shapes, described as JSON (no values to upload).
/usr/bin/python3 - "$f" "$work/target.json" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as fh:
    n = struct.unpack("<Q", fh.read(8))[0]
    header = json.loads(fh.read(n))
entries = [{"key": k, "dtype": "bfloat16", "shape": v["shape"], "init": {"scheme": "zeros"}}
           for k, v in header.items() if k != "__metadata__"]
json.dump({"name": "CastTarget", "entries": entries}, open(sys.argv[2], "w"))
PY
timed_run() { # device
  graft_start 18085 "$work/data-$1" "$work/server-$1.log" -Xmx1g -- --graft.worker.device="$1"
  local ckpt arch run body
  ckpt=$(upload "$f" "checkpoints?name=cast" | id_of)
  arch=$(api POST architectures/documents -H 'Content-Type: application/json' --data-binary @"$work/target.json" | id_of)
  run=$(api POST warm-starts -H 'Content-Type: application/json' \
    -d "{\"checkpointId\":\"$ckpt\",\"architectureId\":\"$arch\",\"options\":{\"strict\":true},\"output\":{\"model\":\"cast\",\"formats\":[\"safetensors\"]}}" | id_of)
  while :; do
    body=$(api GET "warm-starts/$run")
    case "$body" in *'"status":"SUCCEEDED"'*|*'"status":"FAILED"'*|*'"status":"CANCELLED"'*) break;; esac
    sleep 0.2
  done
  kill "$GRAFT_PID"; wait "$GRAFT_PID" 2>/dev/null || true
  rm -rf "$work/data-$1"
  echo "$body" | grep -q '"status":"SUCCEEDED"' || { echo "run on $1 did not succeed: $body" >&2; return 1; }
  echo "$body" | /usr/bin/python3 -c 'import json,sys,datetime as d; r=json.load(sys.stdin); f=lambda s: d.datetime.fromisoformat(s.replace("Z","+00:00")); print(r["device"], (f(r["finishedAt"])-f(r["startedAt"])).total_seconds())'
}
cpu=$(timed_run cpu)
echo "cpu: $cpu"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "no NVIDIA GPU here: only the CPU figure above"
  exit 0
fi
gpu=$(timed_run cuda:0)
echo "gpu: $gpu"
awk -v c="${cpu#* }" -v g="${gpu#* }" -v mb="$mb" \
  'BEGIN { printf "cast float32 -> bfloat16, %s MB: cpu %.2f s, cuda:0 %.2f s, gpu/cpu %.2f\n", mb, c, g, g/c }'
