#!/usr/bin/python3
"""Worst-case time and heap that any single hostile input costs the server.

Usage:  bash bench/hostile_inputs.sh        (builds the jar if needed, makes the large set)

Starts Graft from the packaged jar at -Xmx512m on a fresh data folder, samples its heap with jstat
every 50 ms, and sends every file of the hostile corpus (the committed small set and the large set
made by scripts/make_hostile_inputs.py --large) as HostileInputApiTests does. For each file it
prints the status, the wall time of the request, and the peak heap used while it was handled
(young + old generations as jstat sees them; sampling can miss a peak shorter than 50 ms). Then it
prints the worst of each, and checks the server still answers /actuator/health.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HeapSampler(threading.Thread):
    """(time, used bytes) samples from `jstat -gc`, every 50 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.samples = []
        self.proc = subprocess.Popen(["jstat", "-gc", str(pid), "50"], stdout=subprocess.PIPE,
                                     text=True)

    def run(self):
        header = None
        for line in self.proc.stdout:
            cols = line.split()
            if not cols:
                continue
            if cols[0] == "S0C":
                header = cols
                continue
            if header is None:
                continue
            v = dict(zip(header, cols))
            used = sum(float(v[k]) for k in ("S0U", "S1U", "EU", "OU")) * 1024
            self.samples.append((time.monotonic(), used))

    def peak(self, start, end):
        inside = [u for t, u in self.samples if start <= t <= end + 0.06]
        return max(inside) if inside else None

    def stop(self):
        self.proc.terminate()


# The first admin token, seeded so that the hostile uploads reach the readers rather than a 401.
TOKEN = "graft_be9c0000_BenchmarkAdminTokenOfGraftsBenchScripts-01"


def send(port, directory, entry):
    """POSTs one file; when the server answers before taking the whole body (a declared size over
    a limit), the answer it sent is still read."""
    import http.client
    path = os.path.join(directory, entry["file"])
    size = os.path.getsize(path)
    target = "/api/v1/%s" % entry["endpoint"] + ("?" + entry["query"] if entry.get("query") else "")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.putrequest("POST", target)
        conn.putheader("Content-Type", entry["contentType"])
        conn.putheader("Content-Length", str(size))
        conn.putheader("Authorization", "Bearer " + TOKEN)
        for k, v in (entry.get("headers") or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        try:
            with open(path, "rb") as body:
                while True:
                    chunk = body.read(1 << 20)
                    if not chunk:
                        break
                    conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; its answer is read below
        try:
            r = conn.getresponse()
            r.read()
            return r.status
        except (http.client.HTTPException, OSError) as e:
            return "error: %s" % e
    finally:
        conn.close()


def main():
    jar = sorted(glob.glob(os.path.join(ROOT, "target", "graft-*.jar")))
    jar = [j for j in jar if not j.endswith("-plain.jar")]
    if not jar:
        sys.exit("no target/graft-*.jar: run ./mvnw -DskipTests package first")
    large_dir = os.environ.get("GRAFT_HOSTILE_LARGE_DIR") or os.path.join(
        ROOT, "bench", "out", "hostile-large")
    if not os.path.exists(os.path.join(large_dir, "manifest.json")):
        os.makedirs(large_dir, exist_ok=True)
        subprocess.check_call(["/usr/bin/python3", os.path.join(ROOT, "scripts",
                                                                "make_hostile_inputs.py"),
                               large_dir, "--large"])
    sets = [os.path.join(ROOT, "src", "test", "resources", "hostile"), large_dir]
    data_dir = tempfile.mkdtemp(prefix="graft-hostile-bench-")
    port = free_port()
    log = open(os.path.join(data_dir, "server.log"), "w")
    server = subprocess.Popen(
        ["java", "-Xmx512m", "-jar", jar[0], "--server.port=%d" % port,
         "--graft.data-dir=" + data_dir, "--graft.roles=api,worker",
         "--graft.security.bootstrap-token=" + TOKEN],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/actuator/health" % port,
                                            timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("server did not start; see " + log.name)
            time.sleep(0.5)
        sampler = HeapSampler(server.pid)
        sampler.start()
        time.sleep(1)
        rows = []
        for directory in sets:
            manifest = json.load(open(os.path.join(directory, "manifest.json")))
            for entry in manifest["files"]:
                start = time.monotonic()
                status = send(port, directory, entry)
                end = time.monotonic()
                time.sleep(0.1)
                peak = sampler.peak(start, end)
                rows.append((entry["set"], entry["file"], status, end - start, peak,
                             os.path.getsize(os.path.join(directory, entry["file"]))))
                alive = server.poll() is None
                print("%-5s %-44s %-6s %7.2f s  peak heap %7s MB  (%s bytes)%s" % (
                    entry["set"], entry["file"], status, end - start,
                    "%.0f" % (peak / 2 ** 20) if peak else "?", rows[-1][5],
                    "" if alive else "  SERVER DIED"), flush=True)
                if not alive:
                    sys.exit(1)
        sampler.stop()
        worst_time = max(rows, key=lambda r: r[3])
        worst_heap = max((r for r in rows if r[4]), key=lambda r: r[4])
        with urllib.request.urlopen("http://127.0.0.1:%d/actuator/health" % port,
                                    timeout=10) as r:
            health = r.status
        print()
        print("inputs: %d; worst time %.2f s (%s); worst peak heap %.0f MB (%s); health %s" % (
            len(rows), worst_time[3], worst_time[1], worst_heap[4] / 2 ** 20, worst_heap[1],
            health))
        leaked = [f for f in os.listdir(os.path.join(data_dir, "blobs", "tmp"))
                  if f.endswith(".part")] if os.path.isdir(
            os.path.join(data_dir, "blobs", "tmp")) else []
        print("staged files left: %d; /tmp/graft-pwned* markers: %d" % (
            len(leaked), len(glob.glob("/tmp/graft-pwned*"))))
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
