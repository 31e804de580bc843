"""Shows that the corpus's code-execution payloads are real: unpickled by Python's own, unrestricted
pickle (what a careless torch.load would do), posix_system.pt's data.pkl creates its marker file.
Graft's BadInputApiTests then asserts the same marker never appears when Graft reads the corpus, so
that assertion is one that could fail.

Run with any Python 3:  python3 scripts/prove_payloads_are_live.py src/test/resources/bad-inputs
Exits non-zero when the payload did not fire. Runs the payload in a child process and removes the
marker afterwards.
"""
import glob
import os
import subprocess
import sys
import zipfile

corpus = sys.argv[1]
path = os.path.join(corpus, "posix_system.pt")
with zipfile.ZipFile(path) as z:
    pkl = next(n for n in z.namelist() if n.endswith("data.pkl"))
    data = z.read(pkl)
before = set(glob.glob("/tmp/graft-pwned*"))
subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.loads(sys.stdin.buffer.read())"],
               input=data, check=False, capture_output=True)
fired = set(glob.glob("/tmp/graft-pwned*")) - before
for m in fired:
    os.remove(m)
if not fired:
    print("payload in posix_system.pt did not fire under plain pickle", file=sys.stderr)
    sys.exit(1)
print("payload in posix_system.pt is live under plain pickle: it created", ", ".join(sorted(fired)))
