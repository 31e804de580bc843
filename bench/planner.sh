#!/usr/bin/env bash
# JMH benchmark of the pure planner: 10,000 target entries against 10,000 checkpoint tensors.
#   bash bench/planner.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -DskipTests test-compile
./mvnw -B -q exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
  -Dexec.args="-cp %classpath org.openjdk.jmh.Main dev.graft.plan.LoadPlannerBenchmark -rf text -rff bench/out/planner.txt" 
