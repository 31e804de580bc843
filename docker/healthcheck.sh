#!/bin/bash
# The image's HEALTHCHECK: healthy while the actuator's readiness group (database, and in a worker
# an open tensor engine) answers UP. The image has no curl; bash's /dev/tcp is enough for one GET.
set -u
port="${SERVER_PORT:-8080}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /actuator/health/readiness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
timeout 5 cat <&3 | grep -q '"status":"UP"'
