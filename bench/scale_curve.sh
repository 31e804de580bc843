#!/usr/bin/env bash
# Scale curve: upload, preview and warm-start of safetensors checkpoints from 0.25 to 8 GB, float32
# and float16, 1,000 tensors each, plus the per-tensor extremes (100 large tensors, and 200,000
# tensors of 4 KB). One Graft process at -Xmx512m on its embedded PostgreSQL; each checkpoint is
# also uploaded as the architecture (the same bytes, so one blob), and the run writes it back as a
# `pytorch` artifact. Prints a table (seconds, GB/s, peak heap) and draws bench/scale_curve.png
# (with Debian's python3-matplotlib, when installed).
#
#   bash bench/scale_curve.sh                     (all sizes; needs ~3x the largest size free)
#   SIZES_MB="256 1024" DTYPES=F32 bash bench/scale_curve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="${BENCH_DIR:-bench/out}/scale"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
sizes=(${SIZES_MB:-256 1024 2048 4096 8192})
dtypes=(${DTYPES:-F32 F16})
source bench/lib.sh
# shellcheck disable=SC2086
graft_start 18084 "$work/data" "$work/server.log" -Xmx512m ${GRAFT_JAVA_OPTS:-}

now() { date +%s.%N; }
heap_used() {
  curl -sf -H "Authorization: Bearer $GRAFT_TOKEN" "$GRAFT_URL/actuator/prometheus" |
    awk '/^jvm_memory_used_bytes\{.*area="heap"/ {s += $NF} END {printf "%d", s / 1048576}'
}
peak=0
sample_heap() { local h; h=$(heap_used); [ "$h" -gt "$peak" ] && peak=$h; return 0; }

table="$work/scale_curve.tsv"
printf 'case\tdtype\tsize_mb\ttensors\tupload_s\tpreview_ms\twarmstart_s\tpeak_heap_mb\n' >"$table"
one() { # label dtype size_mb tensors
  local label="$1" dtype="$2" mb="$3" n="$4" f="$work/ckpt.safetensors"
  rm -f "$f"
  /usr/bin/python3 bench/make_scale_checkpoint.py "$f" "$mb" "$n" "$dtype"
  cat "$f" >/dev/null
  peak=0
  local t0 t1 ckpt arch p0 p1 run body ws
  t0=$(now); ckpt=$(upload "$f" "checkpoints?name=scale-$label" | id_of); t1=$(now)
  arch=$(upload "$f" "architectures?name=Scale" | id_of)
  sample_heap
  local req="{\"checkpointId\":\"$ckpt\",\"architectureId\":\"$arch\",\"options\":{\"strict\":true}}"
  for _ in 1 2 3; do api POST "previews?entries=changed" -H 'Content-Type: application/json' -d "$req" >/dev/null; done
  local times=()
  for _ in 1 2 3 4 5; do
    p0=$(now); api POST "previews?entries=changed" -H 'Content-Type: application/json' -d "$req" >/dev/null; p1=$(now)
    times+=("$(awk -v a="$p0" -v b="$p1" 'BEGIN{print (b-a)*1000}')")
  done
  local preview_ms
  preview_ms=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
  run=$(api POST warm-starts -H 'Content-Type: application/json' \
    -d "{\"checkpointId\":\"$ckpt\",\"architectureId\":\"$arch\",\"output\":{\"model\":\"scale-$label\",\"formats\":[\"pytorch\"]}}" | id_of)
  while :; do
    sample_heap
    body=$(api GET "warm-starts/$run")
    case "$body" in *'"status":"SUCCEEDED"'*|*'"status":"FAILED"'*|*'"status":"CANCELLED"'*) break;; esac
    sleep 0.2
  done
  echo "$body" | grep -q '"status":"SUCCEEDED"' || { echo "run failed: $body"; exit 1; }
  ws=$(echo "$body" | /usr/bin/python3 -c 'import json,sys,datetime as d; r=json.load(sys.stdin); f=lambda s: d.datetime.fromisoformat(s.replace("Z","+00:00")); print((f(r["finishedAt"])-f(r["startedAt"])).total_seconds())')
  # Free the disk for the next size: the version, then the checkpoint and architecture.
  api DELETE "models/scale-$label/versions/1" >/dev/null || true
  api DELETE "checkpoints/$ckpt" >/dev/null || true
  api DELETE "architectures/$arch" >/dev/null || true
  rm -f "$f"
  local up
  up=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
  printf '%s\t%s\t%s\t%s\t%.2f\t%.1f\t%.2f\t%s\n' "$label" "$dtype" "$mb" "$n" "$up" "$preview_ms" "$ws" "$peak" >>"$table"
  awk -F'\t' -v mb="$mb" 'END {printf "%-18s %-4s %6s MB %7s tensors: upload %6.2f s (%.2f GB/s), preview %6.1f ms, warm-start %6.2f s (%.2f GB/s), peak heap %s MB\n", $1, $2, $3, $4, $5, mb/1024/$5, $6, $7, mb/1024/$7, $8}' "$table"
}
for dtype in "${dtypes[@]}"; do
  for mb in "${sizes[@]}"; do
    one "$(echo "$dtype" | tr 'A-Z' 'a-z')-$mb" "$dtype" "$mb" 1000
  done
done
# Per-tensor overhead at both ends: 100 large tensors, and 200,000 tensors of 4 KB (800 MB).
if [ "${EXTRAS:-1}" != 0 ]; then
  [ "${EXTRAS:-1}" = small ] || one "few-large" F32 1024 100
  one "many-small" F32 781 200000
fi
/usr/bin/python3 bench/plot_scale_curve.py "$table" bench/scale_curve.png || echo "(no plot: $?)"
echo "table: $table"
