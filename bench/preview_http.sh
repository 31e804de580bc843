#!/usr/bin/env bash
# Preview over HTTP: a 10,000-tensor checkpoint against a 10,000-entry architecture, lenient, with
# COPY_OVERLAP and a freeze pattern (so suggestions, overlaps and globs are all computed), on a Graft
# started from the jar with its embedded PostgreSQL. Prints the median and p90 of ROUNDS previews
# after a warm-up, each timed by curl (request sent to the full report received).
#
#   bash bench/preview_http.sh            (needs /usr/bin/python3 with python3-torch, curl)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${BENCH_DIR:-bench/out}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
port=18082
rounds="${ROUNDS:-50}"

jar=$(ls target/graft-*.jar 2>/dev/null | grep -v plain | head -1 || true)
if [ -z "$jar" ]; then
  ./mvnw -B -q -DskipTests package
  jar=$(ls target/graft-*.jar | grep -v plain | head -1)
fi
[ -f "$work/preview-ckpt.pt" ] || /usr/bin/python3 bench/make_preview_inputs.py "$work" 10000

rm -rf "$work/preview-data"
java -jar "$jar" ${GRAFT_OPTS:-} --server.port=$port --graft.data-dir="$work/preview-data" > "$work/preview-server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://localhost:$port/actuator/health" >/dev/null && break
  sleep 1
done
up() { curl -sf -X POST -T "$1" -H 'Expect:' -H 'Content-Type: application/octet-stream' "http://localhost:$port/api/v1/$2"; }
ckpt=$(up "$work/preview-ckpt.pt" "checkpoints?name=preview-ckpt" | sed -E 's/.*"id":"([^"]+)".*/\1/')
arch=$(up "$work/preview-target.pt" "architectures?name=Net" | sed -E 's/.*"id":"([^"]+)".*/\1/')
body="{\"checkpointId\":\"$ckpt\",\"architectureId\":\"$arch\",\"options\":{\"strict\":false,\"onShapeMismatch\":\"COPY_OVERLAP\",\"freeze\":[\"blocks.1*\"]}}"
one() { curl -s -o "$work/preview.json" -w '%{time_total}\n' -H 'Content-Type: application/json' -d "$body" "http://localhost:$port/api/v1/previews"; }
for _ in $(seq 1 20); do one >/dev/null; done
times=$(for _ in $(seq 1 "$rounds"); do one; done | sort -g)
echo "report: $(wc -c < "$work/preview.json") bytes, $(grep -o '"targetKey"' "$work/preview.json" | wc -l) entries"
echo "$times" | awk '{a[NR]=$1} END {printf "preview 10,000 x 10,000 over HTTP: median %.1f ms, p90 %.1f ms (%d rounds)\n", a[int((NR+1)/2)]*1000, a[int(NR*0.9)]*1000, NR}'
