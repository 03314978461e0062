"""The cached-read endpoint of sample-app written for Flask under uWSGI, as the plan's stack would.

Same contract as sample-app's GET /v1/products/<id>: API key in X-API-Key, a per-client fixed-window
rate limit in Redis, cache-aside in Redis under the same key, Postgres (read endpoint) on a miss,
and the request counter/histogram in prometheus_client.
"""
import json
import os
import time

import psycopg2
import psycopg2.pool
import redis
from flask import Flask, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

app = Flask(__name__)
cache = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://redis:6379/0"), socket_timeout=1)
_db_pool = None
CLIENTS = {
    key: name
    for name, key in (pair.split(":", 1) for pair in os.environ.get("API_KEYS", "").split(",") if ":" in pair)
}
RATE_LIMIT = int(os.environ.get("RATE_LIMIT_PER_SECOND", "100000"))
TTL = int(os.environ.get("CACHE_TTL_SECONDS", "60"))

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
DURATION = Histogram(
    "http_request_duration_seconds", "HTTP request duration", ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)


def db():
    global _db_pool
    if _db_pool is None:
        _db_pool = psycopg2.pool.SimpleConnectionPool(1, 4, os.environ["DATABASE_READ_URL"], connect_timeout=2)
    return _db_pool


def product_from_db(product_id):
    pool = db()
    conn = pool.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id, sku, name, price_cents, currency, updated_at FROM products WHERE id = %s", (product_id,)
            )
            row = cur.fetchone()
        conn.commit()
    finally:
        pool.putconn(conn)
    if row is None:
        return None
    return {
        "id": str(row[0]), "sku": row[1], "name": row[2], "priceCents": row[3], "currency": row[4],
        "updatedAt": row[5].isoformat().replace("+00:00", "Z"),
    }


@app.get("/v1/products/<product_id>")
def get_product(product_id):
    started = time.perf_counter()
    status = 200
    try:
        client = CLIENTS.get(request.headers.get("X-API-Key", ""))
        if client is None:
            status = 401
            return jsonify(error="unauthorized", message="missing or unknown X-API-Key"), 401
        if not product_id.isdigit() or len(product_id) > 18 or product_id.startswith("0"):
            status = 400
            return jsonify(error="bad_request", message="id must be a positive integer"), 400
        window = int(time.time())
        pipe = cache.pipeline()
        pipe.incr(f"ratelimit:{client}:{window}")
        pipe.expire(f"ratelimit:{client}:{window}", 2)
        pipe.get(f"product:v1:{product_id}")
        count, _, cached = pipe.execute()
        if count > RATE_LIMIT:
            status = 429
            return jsonify(error="rate_limited", message="too many requests"), 429, {"Retry-After": "1"}
        if cached is not None:
            return Response(cached, mimetype="application/json", headers={"X-Read-Source": "cache"})
        product = product_from_db(int(product_id))
        if product is None:
            status = 404
            return jsonify(error="not_found", message="no such product"), 404
        body = json.dumps(product, separators=(",", ":"))
        cache.set(f"product:v1:{product_id}", body, ex=TTL, nx=True)
        return Response(body, mimetype="application/json", headers={"X-Read-Source": "replica"})
    except Exception:
        status = 500
        raise
    finally:
        route = "/v1/products/:id"
        REQUESTS.labels("GET", route, str(status)).inc()
        DURATION.labels("GET", route, str(status)).observe(time.perf_counter() - started)


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
