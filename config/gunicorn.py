"""gunicorn's configuration for production: ``gunicorn -c config/gunicorn.py config.wsgi``.

Chosen by benchmarks/load.py on a 2-core machine (README.md, "Under load"): threaded workers
(gthread), one process per core with 4 threads each. A request spends a good part of its time
waiting for PostgreSQL, and the threads of a process overlap those waits; more threads than 4
only queue inside the process behind the GIL.

Overload: a worker takes at most ``worker_connections`` connections at once; the rest wait in
the kernel's accept queue (``backlog``), so excess load waits instead of failing, and a request
that hangs (a stuck query) gets its worker killed and replaced after ``timeout`` seconds.
Every value can be overridden from the environment.
"""

from __future__ import annotations

import multiprocessing
import os

# The web's queries are cancelled after 20 s (PostgreSQL's statement_timeout; the year-end
# workers, started otherwise, keep none): with gthread, gunicorn's own ``timeout`` watches the
# worker process, not each thread, so a runaway query must be stopped by the database.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "20000")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(multiprocessing.cpu_count(), 2))))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Connections a worker holds at once (gthread: keep-alive ones included).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "100"))
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (a slow leak never grows for ever); jitter spreads the restarts.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# Import the application once in the master: workers fork with it loaded (faster start, less
# memory); database connections are opened per worker, after the fork.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    """The preloaded application's objects (Django, the URL conf, the compiled engine) moved
    out of the garbage collector's generations before a worker forks: a worker's full
    collections then scan only what its requests allocate, and the pages it shares with the
    master stay shared (no reference-count writes from the collector)."""
    import gc

    gc.freeze()
