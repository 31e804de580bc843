#!/usr/bin/env bash
# Upload benchmark: streams torch checkpoints of growing size to a Graft started with -Xmx256m, and
# compares each upload over HTTP on loopback with `cp` of the same file on the same disk and with
# `openssl dgst -sha256` of it (the floor: every byte is hashed once), measured in
# the same run (medians of ROUNDS=3 alternating rounds). It prints the ratio and the server's peak resident memory after each size, which
# stays flat as the file grows because uploads stream.
#
#   bash bench/upload_vs_cp.sh [SIZES_MB...]      (default: 250 750 2048)
#
# Needs /usr/bin/python3 with python3-torch, curl, and the jar (built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(250 750 2048)
work="${BENCH_DIR:-bench/out}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
source bench/lib.sh
# shellcheck disable=SC2086
graft_start 18080 "$work/data" "$work/server.log" -Xmx256m ${GRAFT_JAVA_OPTS:-}
pid=$GRAFT_PID

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rounds="${ROUNDS:-3}"
printf '%-8s %-8s %-10s %-10s %-10s %-12s %-14s\n' size_mb cp_s sha256_s upload_s vs_cp vs_sha256 server_peak_rss_mb
for mb in "${sizes[@]}"; do
  f="$work/ckpt-$mb.pt"
  [ -f "$f" ] || /usr/bin/python3 bench/make_big_checkpoint.py "$f" "$mb"
  cat "$f" > /dev/null # both sides start from the page cache
  cps=(); ups=(); shas=()
  # Alternate the two, so a slow moment of the shared disk hits both alike; report medians.
  for r in $(seq 1 "$rounds"); do
    # cp plus a flush to disk, as the blob store flushes each upload before committing it
    t0=$(now); cp "$f" "$work/copy.pt"; sync -f "$work/copy.pt"; t1=$(now)
    rm -f "$work/copy.pt"
    # The hash's floor: every uploaded byte is hashed once (OpenSSL's SHA-256, SHA-NI where present).
    t4=$(now); openssl dgst -sha256 "$f" >/dev/null; t5=$(now)
    t2=$(now)
    code=$(curl -s -o "$work/upload-$mb.json" -w '%{http_code}' -X POST -T "$f" -H 'Expect:' \
      -H "Authorization: Bearer $GRAFT_TOKEN" \
      -H 'Content-Type: application/octet-stream' "$GRAFT_URL/api/v1/checkpoints?name=bench-$mb")
    t3=$(now)
    [ "$code" = 201 ] || { echo "upload of $mb MB answered $code: $(cat "$work/upload-$mb.json")"; exit 1; }
    # Delete it again so that every round stores new bytes (201), not a duplicate (200).
    id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' "$work/upload-$mb.json")
    api DELETE "checkpoints/$id" >/dev/null
    cps+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")
    ups+=("$(awk -v a="$t2" -v b="$t3" 'BEGIN{print b-a}')")
    shas+=("$(awk -v a="$t4" -v b="$t5" 'BEGIN{print b-a}')")
  done
  cp_s=$(printf '%s\n' "${cps[@]}" | median)
  up_s=$(printf '%s\n' "${ups[@]}" | median)
  sha_s=$(printf '%s\n' "${shas[@]}" | median)
  hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)
  awk -v mb="$mb" -v cp="$cp_s" -v sha="$sha_s" -v up="$up_s" -v h="$hwm" \
    'BEGIN { printf "%-8s %-8.2f %-10.2f %-10.2f %-10.2f %-12.2f %-14s\n", mb, cp, sha, up, up/cp, up/sha, h }'
done
