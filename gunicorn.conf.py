"""gunicorn settings: gthread workers, since LLM provider calls are slow I/O."""

import gc
import multiprocessing
import os
import sys

# Fail fast: check the configuration here, as gunicorn reads this file in the master and
# before it logs or forks anything. A bad setting exits with status 1 and one line naming
# it, instead of every worker failing to boot and being respawned forever.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refinery.config import ConfigError, load_config

try:
    load_config(os.environ)
except ConfigError as error:
    sys.exit(f"configuration error: {error}")

_port = os.environ.get("PORT", "5000")
bind = os.environ.get("BIND", f"0.0.0.0:{_port}")
worker_class = "gthread"
# Two processes per core, four threads each: as many request slots as one process per core
# with eight threads (provider waits need slots), but far less time lost to the GIL.
# Measured on 2 cores with wrk -c32 (scripts/bench.py's routes): gunicorn's processes spent
# 4.5-5.2 ms of CPU per local optimize and 1.5-1.7 ms per history page at 2 x 8, and
# 2.7-3.3 and 1.1-1.4 ms at 4 x 4.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, 2 * multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Above the slowest provider call (PROVIDER_TIMEOUT plus retries), so a worker is never
# killed in the middle of one.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Above the app's own limits (refinery/api/headlimits.py: a 4,096-byte URL, 8,192 bytes per
# header, 100 headers), so the app answers those in JSON; only a request past these gets
# gunicorn's plain 414 or 431 page. 8190 is the longest request line gunicorn allows.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 200
# The app logs one line per request itself, with the request id.
accesslog = None
errorlog = "-"
# Not preloaded: each worker builds its app and its pool after the fork, so no socket or
# thread is ever shared between processes. Only the engine's read-only data is loaded in
# the master (when_ready below).
preload_app = False


def when_ready(server):
    """Import the app's code and load the engine's tables and the o200k encoding once,
    before the workers fork.

    They are read-only and hold no socket, thread or lock, so every worker shares the
    master's copy (copy-on-write) instead of building its own: less memory per worker and
    no slow first request. gc.freeze keeps the workers' collector from touching (and so
    copying) those pages.
    """
    import refinery.app  # noqa: F401  the code only: each worker builds its own app
    from refinery.engine.local import refine

    refine("Please could you warm up the engine?", "UNIVERSAL", "high", "default")
    gc.freeze()


def on_starting(server):
    """Empty PROMETHEUS_MULTIPROC_DIR of a previous run's values (refinery/metrics.py)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    """Mark a dead worker's live gauges for removal from /metrics (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
