"""gunicorn settings: gthread workers, since LLM provider calls are slow I/O."""

import multiprocessing
import os

_port = os.environ.get("PORT", "5000")
bind = os.environ.get("BIND", f"0.0.0.0:{_port}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Above the slowest provider call (PROVIDER_TIMEOUT plus retries), so a worker is never
# killed in the middle of one.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# The app logs one line per request itself, with the request id.
accesslog = None
errorlog = "-"
# Not preloaded: each worker builds its own pool and loads its own encodings after the fork.
preload_app = False
