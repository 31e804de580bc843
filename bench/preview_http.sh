#!/usr/bin/env bash
# Preview over HTTP: a 10,000-tensor checkpoint against a 10,000-entry architecture, lenient, with
# COPY_OVERLAP and a freeze pattern (so suggestions, overlaps and globs are all computed), on a Graft
# started from the jar with its embedded PostgreSQL. Prints the median and p90 of ROUNDS previews
# after a warm-up, each timed by curl (request sent to the full report received), three ways: the
# full report as is, the full report gzipped (curl --compressed), and ?entries=changed.
#
#   bash bench/preview_http.sh            (needs /usr/bin/python3 with python3-torch, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${BENCH_DIR:-bench/out}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
rounds="${ROUNDS:-50}"
source bench/lib.sh

[ -f "$work/preview-ckpt.pt" ] || /usr/bin/python3 bench/make_preview_inputs.py "$work" 10000
# shellcheck disable=SC2086
graft_start 18082 "$work/preview-data" "$work/preview-server.log" ${GRAFT_JAVA_OPTS:-}
ckpt=$(upload "$work/preview-ckpt.pt" "checkpoints?name=preview-ckpt" | id_of)
arch=$(upload "$work/preview-target.pt" "architectures?name=Net" | id_of)
body="{\"checkpointId\":\"$ckpt\",\"architectureId\":\"$arch\",\"options\":{\"strict\":false,\"onShapeMismatch\":\"COPY_OVERLAP\",\"freeze\":[\"blocks.1*\"]}}"
one() {
  curl -s -o "$work/preview.json" -w '%{time_total} %{size_download}\n' "$@" \
    -H "Authorization: Bearer $GRAFT_TOKEN" -H 'Content-Type: application/json' -d "$body"
}
measure() {
  local label="$1"
  shift
  for _ in $(seq 1 20); do one "$@" >/dev/null; done
  for _ in $(seq 1 "$rounds"); do one "$@"; done | sort -g | awk -v label="$label" \
    '{t[NR]=$1; b=$2} END {printf "%-34s median %6.1f ms, p90 %6.1f ms, %9d bytes on the wire (%d rounds)\n", label, t[int((NR+1)/2)]*1000, t[int(NR*0.9)]*1000, b, NR}'
}
echo "preview 10,000 x 10,000 over HTTP:"
measure "full report" "$GRAFT_URL/api/v1/previews"
echo "  ($(grep -o '"targetKey"' "$work/preview.json" | wc -l) entries)"
measure "full report, gzip" --compressed "$GRAFT_URL/api/v1/previews"
measure "?entries=changed" "$GRAFT_URL/api/v1/previews?entries=changed"
echo "  ($(grep -o '"targetKey"' "$work/preview.json" | wc -l) entries)"
measure "?entries=none" "$GRAFT_URL/api/v1/previews?entries=none"
