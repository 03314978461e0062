"""hold-memory RATIO SECONDS: allocates (and touches) what brings the container's working set to RATIO
of its memory limit, holds it for at most SECONDS, then exits; its pid goes to /tmp/hold.pid."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exporter  # noqa: E402

ratio, seconds = float(sys.argv[1]), float(sys.argv[2])
total, working_set = exporter.memory()
wanted = int(total * ratio) - working_set
if wanted <= 0:
    sys.exit(f"working set {working_set} B is already at or above {ratio:.0%} of {total} B")
block = b"\x01" * wanted
with open("/tmp/hold.pid", "w") as f:
    f.write(str(os.getpid()))
print(f"holding {wanted} B: working set {working_set} B -> ~{ratio:.0%} of {total} B for at most {seconds} s", flush=True)
time.sleep(seconds)
del block
