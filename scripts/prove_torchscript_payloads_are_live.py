#!/usr/bin/python3
"""Shows that the hostile corpus's payloads are live under Debian's torch, so that
HostileInputApiTests' assertions that Graft never fires them are ones that could fail.

Usage:  /usr/bin/python3 scripts/prove_torchscript_payloads_are_live.py DIR

Reads DIR/manifest.json (scripts/make_hostile_inputs.py) and, for every file with a "proof", loads
it with torch.jit.load or torch.load in a fresh child process (a scratch working directory, one
thread, a 60-second limit each) and checks what the manifest says happens:
  marker  the payload creates its marker file (which is then removed)
  signal  the loading process dies by a signal (the parser overflowing its stack)
  hangs   torch is still loading the archive when its time is up (it walks a DAG as a tree)
  reads   torch reads other values for a key than the record Graft indexes
Exits non-zero when any of these does not happen. Never run these loads outside a child process.
"""

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

LIMIT_S = 60

LOADERS = {
    "torch.jit.load": "import sys, torch; torch.jit.load(sys.argv[1])",
    # torch 1.13's torch.load unpickles with weights_only=False: what a careless consumer does.
    "torch.load": ("import sys, json, torch; sd = torch.load(sys.argv[1]); "
                   "print(json.dumps({k: v.flatten().tolist() for k, v in sd.items()}) "
                   "if isinstance(sd, dict) else 'null')"),
}


def run(load, path, scratch, limit_s=LIMIT_S):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-c", LOADERS[load], os.path.abspath(path)],
                           cwd=scratch, env=env, capture_output=True, timeout=limit_s)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(
            errors="replace"), time.monotonic() - start
    except subprocess.TimeoutExpired:
        return None, "", "timed out", time.monotonic() - start


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:200] if lines else ""


def prove(entry, path, marker_prefix, scratch):
    proof = entry["proof"]
    kind = proof["kind"]
    if kind == "marker":
        marker = proof["marker"]
        assert marker.startswith(marker_prefix), marker
        if os.path.exists(marker):
            os.remove(marker)
        rc, out, err, took = run(proof["load"], path, scratch)
        fired = os.path.exists(marker)
        if fired:
            os.remove(marker)
        return fired, "%s %s %s (exit %s, %.1f s)%s" % (
            proof["load"], "created" if fired else "did NOT create", marker, rc, took,
            "" if fired else " " + last_line(err))
    if kind == "hangs":
        rc, out, err, took = run(proof["load"], path, scratch, proof["seconds"])
        return rc is None, "%s %s" % (proof["load"], (
            "was still running after %d s and was stopped" % proof["seconds"] if rc is None
            else "ended in %.1f s (exit %s): %s" % (took, rc, last_line(err))))
    rc, out, err, took = run(proof["load"], path, scratch)
    if kind == "signal":
        ok = rc is not None and rc < 0
        what = ("was killed by %s" % signal.Signals(-rc).name if ok
                else "was NOT killed by a signal (exit %s) %s" % (rc, last_line(err)))
        return ok, "%s: the process %s after %.1f s" % (proof["load"], what, took)
    if kind == "reads":
        try:
            got = json.loads(last_line(out))[proof["key"]]
        except (ValueError, KeyError, TypeError):
            got = None
        ok = got == proof["values"]
        return ok, "%s reads %r for %r (%.1f s)%s" % (
            proof["load"], got, proof["key"], took,
            "" if ok else ": expected %r; %s" % (proof["values"], last_line(err)))
    return False, "unknown proof kind " + kind


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    corpus = sys.argv[1]
    with open(os.path.join(corpus, "manifest.json")) as f:
        manifest = json.load(f)
    prefix = manifest["marker"]
    entries = [e for e in manifest["files"] if "proof" in e]
    if not entries:
        sys.exit("no file in %s has a proof" % corpus)
    before = set(glob.glob(prefix + "*"))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="graft-proof-") as scratch:
        for e in entries:
            ok, what = prove(e, os.path.join(corpus, e["file"]), prefix, scratch)
            print("%s %s: %s" % ("live    " if ok else "NOT LIVE", e["file"], what))
            failed += not ok
    stray = set(glob.glob(prefix + "*")) - before
    for m in stray:
        os.remove(m)
    if stray:
        print("removed stray markers: " + ", ".join(sorted(stray)), file=sys.stderr)
    if failed:
        print("%d of %d payloads are not live" % (failed, len(entries)), file=sys.stderr)
        sys.exit(1)
    print("all %d payloads are live under torch %s" % (len(entries), torch_version()))


def torch_version():
    p = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                       capture_output=True)
    return p.stdout.decode().strip() or "?"


if __name__ == "__main__":
    main()
