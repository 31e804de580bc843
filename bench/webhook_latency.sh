#!/usr/bin/env bash
# Webhook delivery latency, change (the outbox row's clock time) to the first attempt's start, as
# the dispatcher achieves it against a JDK HttpServer on loopback: 20 single changes with the
# dispatcher idle in between, then 1,000 events from 8 concurrent writers to two webhooks (each
# delivered in order, so one POST at a time per webhook). Prints the percentiles from the database.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -o -B -q test-compile surefire:test@default-test -Dtest=WebhookOrderingTests \
  -Dsurefire.failIfNoSpecifiedTests=false 2>&1 | grep -E 'webhook latency|one change at a time|Tests run|FAIL'
