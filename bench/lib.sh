# Shared by the benchmark scripts (sourced, not run): finds or builds the jar, starts Graft with a
# known admin token on its embedded PostgreSQL, waits for it, and calls the API with the token.
#
#   source bench/lib.sh
#   graft_start PORT DATA_DIR LOG [extra java options...] [-- extra Graft arguments...]
#   api METHOD PATH [curl arguments...]       (prints the body; fails on a non-2xx answer)
#   upload FILE PATH                         (POSTs the file's bytes as one stream; prints the body)
#   id_of                                    (reads a JSON body on stdin, prints its "id")

# A token of Graft's shape, seeded as the first admin token (graft.security.bootstrap-token).
GRAFT_TOKEN=graft_be9c0000_BenchmarkAdminTokenOfGraftsBenchScripts-01
GRAFT_JAR=""
GRAFT_PID=""
GRAFT_URL=""

graft_jar() {
  GRAFT_JAR=$(ls target/graft-*.jar 2>/dev/null | grep -v plain | head -1 || true)
  if [ -z "$GRAFT_JAR" ]; then
    ./mvnw -B -q -DskipTests package
    GRAFT_JAR=$(ls target/graft-*.jar | grep -v plain | head -1)
  fi
}

graft_start() {
  local port="$1" data="$2" log="$3"
  shift 3
  local jvm=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do jvm+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  args=("$@")
  graft_jar
  rm -rf "$data"
  java "${jvm[@]}" -jar "$GRAFT_JAR" --server.port="$port" --graft.data-dir="$data" \
    --graft.security.bootstrap-token="$GRAFT_TOKEN" "${args[@]}" >"$log" 2>&1 &
  GRAFT_PID=$!
  GRAFT_URL="http://localhost:$port"
  trap 'kill $GRAFT_PID 2>/dev/null || true; wait $GRAFT_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 180); do
    curl -sf "$GRAFT_URL/actuator/health/readiness" >/dev/null && return 0
    kill -0 "$GRAFT_PID" 2>/dev/null || { echo "Graft did not start; see $log" >&2; return 1; }
    sleep 1
  done
  echo "Graft did not become ready in 180 s; see $log" >&2
  return 1
}

api() {
  local method="$1" path="$2"
  shift 2
  curl -sf -X "$method" -H "Authorization: Bearer $GRAFT_TOKEN" "$@" "$GRAFT_URL/api/v1/$path"
}

upload() {
  api POST "$2" -T "$1" -H 'Expect:' -H 'Content-Type: application/octet-stream'
}

id_of() { sed -E 's/^\{"id":"([^"]+)".*/\1/'; }
