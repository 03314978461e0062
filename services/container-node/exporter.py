"""node_exporter's CPU, memory, filesystem and network series for the container this runs in, as a
machine of the container's size would report them (the view LXCFS gives a container):

- CPU: the cgroup's CPU quota is one CPU, `node_cpu_seconds_total{cpu="0"}`: busy seconds are the
  cgroup's CPU time divided by the quota (in CPUs), idle is the rest of the time since start.
- Memory: MemTotal is the cgroup's memory limit, MemAvailable the limit less the working set (usage
  less inactive file cache, as the kubelet and cAdvisor count it).
- Filesystems: only the mount points given with --filesystem (the container's own tmpfs), never the
  host's disk behind the overlay root.
- Network: the container's own interfaces (/proc/net/dev of its namespace).

Reads cgroup v1 (cpu, cpuacct, memory controllers) or v2 (unified). Serves GET /metrics on --port.
"""
import argparse
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

V2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
USER_HZ = os.sysconf("SC_CLK_TCK")


def read(path):
    with open(path) as f:
        return f.read().strip()


def stat_file(path):
    return {k: int(v) for k, v in (line.split() for line in read(path).splitlines())}


def cpu_quota():
    """The CPU quota in CPUs (0.25 for --cpus 0.25); the CPUs the container may use when unlimited."""
    if V2:
        quota, period = read("/sys/fs/cgroup/cpu.max").split()
        if quota != "max":
            return int(quota) / int(period)
    else:
        quota = int(read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))
        if quota > 0:
            return quota / int(read("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
    return float(len(os.sched_getaffinity(0)))


def cpu_seconds():
    """(user, system) CPU seconds the cgroup has used."""
    if V2:
        s = stat_file("/sys/fs/cgroup/cpu.stat")
        return s["user_usec"] / 1e6, s["system_usec"] / 1e6
    total = int(read("/sys/fs/cgroup/cpuacct/cpuacct.usage")) / 1e9
    s = stat_file("/sys/fs/cgroup/cpuacct/cpuacct.stat")
    user, system = s["user"] / USER_HZ, s["system"] / USER_HZ
    # cpuacct.stat ticks lag cpuacct.usage: split the exact total in their proportion.
    share = user / (user + system) if user + system else 1.0
    return total * share, total * (1 - share)


def host_memory_total():
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def memory():
    """(total, working set) in bytes: the cgroup's limit (the host's memory when unlimited) and usage less inactive file cache."""
    if V2:
        limit, usage = read("/sys/fs/cgroup/memory.max"), int(read("/sys/fs/cgroup/memory.current"))
        inactive = stat_file("/sys/fs/cgroup/memory.stat").get("inactive_file", 0)
        total = host_memory_total() if limit == "max" else int(limit)
    else:
        limit, usage = int(read("/sys/fs/cgroup/memory/memory.limit_in_bytes")), int(read("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
        inactive = stat_file("/sys/fs/cgroup/memory/memory.stat").get("total_inactive_file", 0)
        total = min(limit, host_memory_total())
    return total, max(0, usage - inactive)


def mounts():
    """mount point -> (device, fstype) from this container's mount table."""
    found = {}
    for line in read("/proc/self/mountinfo").splitlines():
        left, right = line.split(" - ", 1)
        fstype, device = right.split()[:2]
        found[left.split()[4]] = (device, fstype)
    return found


def label(**labels):
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


class Node:
    def __init__(self, filesystems):
        self.filesystems = filesystems
        self.started = time.monotonic()
        self.idle = 0.0
        self.lock = threading.Lock()

    def metrics(self):
        quota = cpu_quota()
        user, system = cpu_seconds()
        with self.lock:
            # Idle never goes backwards: a counter that did would read as a reset.
            self.idle = max(self.idle, time.monotonic() - self.started - (user + system) / quota)
            idle = self.idle
        total, working_set = memory()
        lines = [
            "# TYPE node_cpu_seconds_total counter",
            f'node_cpu_seconds_total{label(cpu="0", mode="user")} {user / quota:.6f}',
            f'node_cpu_seconds_total{label(cpu="0", mode="system")} {system / quota:.6f}',
            f'node_cpu_seconds_total{label(cpu="0", mode="idle")} {idle:.6f}',
            "# HELP node_cpu_quota_cpus The container's CPU quota in CPUs: one node CPU second is this many real CPU seconds.",
            "# TYPE node_cpu_quota_cpus gauge",
            f"node_cpu_quota_cpus {quota}",
            "# TYPE node_memory_MemTotal_bytes gauge",
            f"node_memory_MemTotal_bytes {total}",
            "# TYPE node_memory_MemAvailable_bytes gauge",
            f"node_memory_MemAvailable_bytes {total - working_set}",
        ]
        table = mounts()
        for kind in ("size", "avail", "free", "readonly"):
            lines.append(f"# TYPE node_filesystem_{kind}_bytes gauge" if kind != "readonly" else "# TYPE node_filesystem_readonly gauge")
            for mountpoint in self.filesystems:
                device, fstype = table.get(mountpoint, ("none", "unknown"))
                st = os.statvfs(mountpoint)
                value = {
                    "size": st.f_blocks * st.f_frsize,
                    "avail": st.f_bavail * st.f_frsize,
                    "free": st.f_bfree * st.f_frsize,
                    "readonly": int(bool(st.f_flag & os.ST_RDONLY)),
                }[kind]
                name = "node_filesystem_readonly" if kind == "readonly" else f"node_filesystem_{kind}_bytes"
                lines.append(f"{name}{label(device=device, fstype=fstype, mountpoint=mountpoint)} {value}")
        for direction, column in (("receive", 0), ("transmit", 8)):
            lines.append(f"# TYPE node_network_{direction}_bytes_total counter")
            for line in read("/proc/net/dev").splitlines()[2:]:
                device, values = line.split(":", 1)
                lines.append(f"node_network_{direction}_bytes_total{label(device=device.strip())} {values.split()[column]}")
        return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--filesystem", action="append", default=[], help="a mount point to report (repeatable)")
    args = parser.parse_args()
    node = Node(args.filesystem)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_response(404)
                self.end_headers()
                return
            body = node.metrics().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    # PID 1 gets no default SIGTERM action: without this, a stop waits out the grace period and kills.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ThreadingHTTPServer(("0.0.0.0", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
