#!/usr/bin/env bash
# Fuzzes each reader entry point of dev.graft.format.ReaderFuzzTests with Jazzer, one after the
# other, for SECONDS_PER_TARGET seconds each (JAZZER_FUZZ=1; a plain `./mvnw test` only replays the
# committed inputs).
#
#   scripts/fuzz.sh SECONDS_PER_TARGET [TARGET...]
#
# TARGET is one of torchCheckpoint, safetensors, torchScript, restrictedUnpickler (default: all).
# Each input must be read or refused with an IOException within 10 s on a 512 MB heap (Jazzer
# turns the test's @Timeout into libFuzzer's per-input -timeout; JUnit's own timeout, which would
# stop the whole fuzzing run after 10 s, is switched off); anything else is a finding, which Jazzer writes as crash-<sha1> (slow-unit-/timeout- for hangs) into
# src/test/resources/dev/graft/format/ReaderFuzzTestsInputs/<target>/. Commit those files: from
# then on every test run replays them. FUZZ_KEEP_GOING=N keeps fuzzing a target after N-1
# findings (default 1: stop at the first). The generated corpus is kept in target/fuzz-corpus
# between runs, out of the work tree. Exits non-zero when any target found something.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:?usage: scripts/fuzz.sh SECONDS_PER_TARGET [TARGET...]}"
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(torchCheckpoint safetensors torchScript restrictedUnpickler)
fi
inputs=src/test/resources/dev/graft/format/ReaderFuzzTestsInputs

./mvnw -q -B test-compile || exit 2

# Jazzer keeps its generated corpus in .cifuzz-corpus/ at the project root; keep it in target/.
mkdir -p target/fuzz-corpus
rm -rf .cifuzz-corpus
mv target/fuzz-corpus .cifuzz-corpus
trap 'rm -rf target/fuzz-corpus; mv .cifuzz-corpus target/fuzz-corpus' EXIT

found=0
for t in "${targets[@]}"; do
  before="$(ls "$inputs/$t" 2>/dev/null | sort)"
  start=$(date +%s)
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" JAZZER_KEEP_GOING="${FUZZ_KEEP_GOING:-1}" \
    ./mvnw -q -B surefire:test -Dtest="ReaderFuzzTests#$t" -Dsurefire.failIfNoSpecifiedTests=false \
    -DtrimStackTrace=false -DargLine="-Xmx512m -XX:-OmitStackTraceInFastThrow" \
    -Djunit.jupiter.execution.timeout.mode=disabled \
    > "target/fuzz-$t.log" 2>&1
  rc=$?
  new="$(comm -13 <(echo "$before") <(ls "$inputs/$t" 2>/dev/null | sort) | grep -v '^$' || true)"
  execs="$(grep -aoE '#[0-9]+' "target/fuzz-$t.log" | tail -1)"
  echo "$t: $(($(date +%s) - start)) s, last libFuzzer status ${execs:-none}, exit $rc"
  if [ -n "$new" ]; then
    found=1
    echo "$new" | sed "s|^|  new finding: $inputs/$t/|"
  elif [ $rc -ne 0 ]; then
    found=1
    echo "  failed without a new input file; see target/fuzz-$t.log"
  fi
done
exit $found
