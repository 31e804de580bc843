#!/usr/bin/env bash
# Worst-case time and heap any single hostile input costs Graft at -Xmx512m (see hostile_inputs.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ls target/graft-*.jar >/dev/null 2>&1 || ./mvnw -q -DskipTests package
exec /usr/bin/python3 bench/hostile_inputs.py
