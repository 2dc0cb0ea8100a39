"""Prometheus metrics: what the service counts, and the text GET /metrics serves.

Under gunicorn, set PROMETHEUS_MULTIPROC_DIR (an empty directory, before the master
starts): each worker then writes its values to files there and a scrape, answered by any
one worker, adds up every worker's (gunicorn.conf.py marks dead workers). Without it, the
values are this process's own.

Every label takes a few known values: a route template (never a raw path), a method from
a fixed list, a status code, a provider, a level. No organization, user or key ids.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: the local engine and reads take milliseconds, provider calls seconds.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_PROVIDER_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)

http_requests = Counter(
    "refinery_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
http_request_duration = Histogram(
    "refinery_http_request_duration_seconds",
    "Time to answer a request, by method and route template.",
    ["method", "route"],
    buckets=_REQUEST_BUCKETS,
)
optimizations = Counter(
    "refinery_optimizations",
    "Optimizations recorded, by provider, compression level and status.",
    ["provider", "level", "status"],
)
tokens_in = Counter(
    "refinery_optimization_input_tokens",
    "Tokens of the prompts optimized (completed ones), by provider.",
    ["provider"],
)
tokens_saved = Counter(
    "refinery_optimization_saved_tokens",
    "Tokens saved by completed optimizations, by provider.",
    ["provider"],
)
quota_rejections = Counter(
    "refinery_quota_rejections",
    "Optimize requests refused because the monthly quota was spent.",
)
provider_errors = Counter(
    "refinery_provider_errors",
    "Failed LLM provider calls, by provider and error code.",
    ["provider", "code"],
)
provider_duration = Histogram(
    "refinery_provider_request_duration_seconds",
    "Time an LLM provider call took (retries included), by provider.",
    ["provider"],
    buckets=_PROVIDER_BUCKETS,
)
pool_waits = Counter(
    "refinery_db_pool_waits",
    "Requests that found every database connection busy and waited for one.",
)
pool_timeouts = Counter(
    "refinery_db_pool_timeouts",
    "Requests that waited DB_POOL_TIMEOUT for a database connection and got 503.",
)
ratelimit_storage_failures = Counter(
    "refinery_ratelimit_storage_failures",
    "Rate-limit storage (Redis) calls that failed; limits then count in memory a while.",
)


def method_label(method: str) -> str:
    """The method, or OTHER for one outside the usual few (a client may send any word)."""
    return method if method in _METHODS else "OTHER"


def render() -> tuple[bytes, str]:
    """The exposition text of every worker's values (or this process's), and its type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE
    return generate_latest(REGISTRY), CONTENT_TYPE
