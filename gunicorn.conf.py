"""Production gunicorn settings: `gunicorn -c gunicorn.conf.py 'microblog:create_app()'`.

Every setting can be changed from the environment; the defaults were chosen by
measurement with `python bench/run.py` (see bench/RESULTS.md).
"""

from __future__ import annotations

import multiprocessing
import os
import sys

# Where to listen. Loopback by default; behind a container or a platform router set
# BIND=0.0.0.0:8000 (or PORT=... to change only the port).
bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]

# Sync workers, one per core: a request is CPU-bound (templates, SQLAlchemy), and on 2 cores
# 2 workers served explore faster than 3, 4 or 5 (the classic 2 * cores + 1), and gthread
# did no better (bench/RESULTS.md). WEB_CONCURRENCY wins: raise it when requests wait on
# a remote database.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# On SIGTERM (stop) or HUP (reload) a worker finishes its request in flight and sends the
# emails it still has (worker_exit below); after this many seconds the master kills it.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 2

# Import the app once in the master and fork it: faster start, shared memory pages.
preload_app = True

# Access log off by default (it costs throughput); ACCESS_LOG=- writes it to stdout.
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info")

# Behind a reverse proxy on another host, trust its X-Forwarded-* headers by listing its
# address: FORWARDED_ALLOW_IPS=10.0.0.5 (gunicorn reads that variable itself; the default
# trusts only 127.0.0.1, which fits nginx on the same machine).


def post_fork(server, worker) -> None:  # noqa: ANN001
    """Each worker opens its own database connections: none inherited from the master."""
    app = getattr(server.app, "callable", None)
    engines = getattr(app, "extensions", {}).get("sqlalchemy")
    if engines is None:
        return
    with app.app_context():
        for engine in engines.engines.values():
            engine.dispose(close=False)


def worker_exit(server, worker) -> None:  # noqa: ANN001
    """A stopping worker sends the emails still in its outbox (no REDIS_URL: they are
    threads of this process, gone with it), within the graceful timeout less a margin
    to exit before the master's SIGKILL. Called in the master too, with nothing to send;
    an app that never imported microblog.email (bench's ceiling app) has none either."""
    email = sys.modules.get("microblog.email")
    if email is not None:
        email.outbox.drain(max(1.0, worker.cfg.graceful_timeout - 2))
