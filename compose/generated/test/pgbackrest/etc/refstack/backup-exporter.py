"""Backup status for Prometheus, from `pgbackrest info --output=json` (read at most every 5 s) and the
repository host's round results. Names follow pgbackrest_exporter (woblerr/pgbackrest_exporter) where it
has the figure. Port 9854 (that exporter's default), path /metrics."""
import json, os, subprocess, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STANZA = os.environ.get("STANZA", "main")
STATE = "/run/refstack-backup"
_lock, _cache = threading.Lock(), {"at": 0.0, "text": ""}


def info(repo):
    try:
        out = subprocess.run(
            ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
             "pgbackrest", f"--stanza={STANZA}", f"--repo={repo}", "--output=json", "info"],
            capture_output=True, text=True, timeout=20)
        return json.loads(out.stdout) if out.returncode == 0 else None
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError):
        return None


def count(name):
    try:
        with open(f"{STATE}/{name}") as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def render():
    now, lines = time.time(), []
    add = lines.append
    add("# HELP pgbackrest_info_up Whether `pgbackrest info` answered for the repository (1) or not (0).")
    add("# TYPE pgbackrest_info_up gauge")
    since, status, backups = [], [], []
    for repo in (1, 2):
        stanzas = info(repo)
        add(f'pgbackrest_info_up{{stanza="{STANZA}",repo_key="{repo}"}} {0 if stanzas is None else 1}')
        for s in stanzas or []:
            status.append(f'pgbackrest_stanza_status{{stanza="{s["name"]}",repo_key="{repo}"}} {s["status"]["code"]}')
            done = [b for b in s.get("backup", []) if not b.get("error")]
            backups.append(f'pgbackrest_backup_count{{stanza="{s["name"]}",repo_key="{repo}"}} {len(done)}')
            if done:
                newest = max(b["timestamp"]["stop"] for b in done)
                since.append(f'pgbackrest_backup_since_last_completion_seconds{{stanza="{s["name"]}",repo_key="{repo}"}} {now - newest:.0f}')
    add("# HELP pgbackrest_stanza_status pgBackRest's stanza status code per repository: 0 ok, 1 missing stanza path, 2 no valid backups, 3 missing stanza data, 4 different cipher, 5 database mismatch, 6 backup not found, 99 other.")
    add("# TYPE pgbackrest_stanza_status gauge")
    lines.extend(status)
    add("# HELP pgbackrest_backup_count Backups without errors in the repository.")
    add("# TYPE pgbackrest_backup_count gauge")
    lines.extend(backups)
    add("# HELP pgbackrest_backup_since_last_completion_seconds Seconds since the newest good backup of the repository finished.")
    add("# TYPE pgbackrest_backup_since_last_completion_seconds gauge")
    lines.extend(since)
    add("# HELP pgbackrest_scheduled_backups_total Backups the repository host started on its schedule, by outcome.")
    add("# TYPE pgbackrest_scheduled_backups_total counter")
    for repo in (1, 2):
        for outcome in ("ok", "failed"):
            add(f'pgbackrest_scheduled_backups_total{{stanza="{STANZA}",repo_key="{repo}",outcome="{outcome}"}} {count(f"repo{repo}-{outcome}")}')
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404, "only /metrics")
            return
        with _lock:
            if time.time() - _cache["at"] > 5:
                _cache["text"], _cache["at"] = render(), time.time()
            body = _cache["text"].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", 9854), Handler).serve_forever()
