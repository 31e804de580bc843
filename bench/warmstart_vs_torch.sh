#!/usr/bin/env bash
# Warm-start benchmark: a ~750 MB float32 checkpoint into a target with two extra blocks and an
# adapter. Graft (started with -Xmx512m, worker on the CPU) runs it to a registered `pytorch`
# artifact; the committed Python script does what users do today on the same files (torch.load both,
# merge like load_state_dict(strict=False), torch.save). Prints both times, their ratio, and the
# server's peak resident memory. Run's time is the run's own startedAt..finishedAt.
#
#   bash bench/warmstart_vs_torch.sh [SIZE_MB]        (default 750; needs /usr/bin/python3 with torch)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-750}"
work="${BENCH_DIR:-bench/out}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
port=18083

source bench/lib.sh
[ -f "$work/ckpt-$mb.pt" ] || /usr/bin/python3 bench/make_big_checkpoint.py "$work/ckpt-$mb.pt" "$mb"
[ -f "$work/target-$mb.pt" ] || /usr/bin/python3 bench/make_warmstart_target.py "$work/target-$mb.pt" "$mb"

# shellcheck disable=SC2086
graft_start $port "$work/ws-data" "$work/ws-server.log" -Xmx512m ${GRAFT_JAVA_OPTS:-}
pid=$GRAFT_PID
ckpt=$(upload "$work/ckpt-$mb.pt" "checkpoints?name=bench-ckpt" | id_of)
arch=$(upload "$work/target-$mb.pt" "architectures?name=Grown" | id_of)

cat "$work/ckpt-$mb.pt" "$work/target-$mb.pt" > /dev/null # both sides start from the page cache
run=$(api POST warm-starts -H 'Content-Type: application/json' -d "{\"checkpointId\":\"$ckpt\",\"architectureId\":\"$arch\",\"options\":{\"strict\":false},\"output\":{\"model\":\"bench-grown\",\"formats\":[\"pytorch\"]}}" | id_of)
anon_peak=0
while :; do
  # The process's own memory (RssAnon), sampled while it runs; mapped checkpoint pages are page cache
  # (RssFile) and are reported apart.
  anon=$(awk '/RssAnon/ {print int($2/1024)}' /proc/$pid/status)
  [ "$anon" -gt "$anon_peak" ] && anon_peak=$anon
  body=$(api GET "warm-starts/$run")
  case "$body" in *'"status":"SUCCEEDED"'*|*'"status":"FAILED"'*|*'"status":"CANCELLED"'*) break;; esac
  sleep 0.1
done
echo "$body" | grep -q '"status":"SUCCEEDED"' || { echo "run did not succeed: $body"; exit 1; }
graft_s=$(echo "$body" | /usr/bin/python3 -c 'import json,sys,datetime as d; r=json.load(sys.stdin); f=lambda s: d.datetime.fromisoformat(s.replace("Z","+00:00")); print((f(r["finishedAt"])-f(r["startedAt"])).total_seconds())')
hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)

torch_s=$(/usr/bin/python3 bench/torch_warmstart.py "$work/ckpt-$mb.pt" "$work/target-$mb.pt" "$work/torch-out.pt" | tail -1)
rm -f "$work/torch-out.pt"
awk -v g="$graft_s" -v t="$torch_s" -v h="$hwm" -v a="$anon_peak" -v mb="$mb" \
  'BEGIN { printf "warm-start %s MB: graft %.2f s, torch %.2f s, ratio %.2f; server (-Xmx512m) peak anonymous memory %s MB, peak RSS incl. mapped file pages %s MB\n", mb, g, t, g/t, a, h }'
