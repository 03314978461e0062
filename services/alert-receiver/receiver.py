"""Records Alertmanager webhook notifications: one JSON line each on stdout, the last 2000 at GET /
(GET /?since=<unix seconds> lists only those received after that time)."""
import json
import signal
import sys
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RECEIVED = deque(maxlen=2000)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        entry = {"receiver": self.path.strip("/"), "at": time.time(), "status": body.get("status"), "alerts": body.get("alerts", [])}
        RECEIVED.append(entry)
        print(json.dumps(entry), flush=True)
        self.send_response(200)
        self.end_headers()

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        since = float(query.get("since", ["0"])[0] or 0)
        payload = json.dumps([e for e in list(RECEIVED) if e["at"] >= since]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9095
    # PID 1 gets no default SIGTERM action: without this, a stop waits out the grace period and kills.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
