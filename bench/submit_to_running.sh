#!/usr/bin/env bash
# Submit-to-RUNNING latency with an idle worker (default 500 ms poll interval): ROUNDS tiny runs,
# each submitted after the previous ended and a random pause; prints median, p90 and max of the
# server's startedAt - createdAt. See SubmitToRunningBenchmark.
#   bash bench/submit_to_running.sh        (ROUNDS=30 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
./mvnw -B -q test-compile
./mvnw -B surefire:test@default-test -Dtest=SubmitToRunningBenchmark \
  -Dsurefire.failIfNoSpecifiedTests=false -Dgraft.bench.rounds="${ROUNDS:-30}" \
  | tee bench/out/submit_to_running.log | grep 'submit-to-RUNNING'
