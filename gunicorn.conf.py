"""gunicorn settings for production (`make run`): `gunicorn -c gunicorn.conf.py wsgi:app`.

Command-line flags override these; bench/collect.py compares worker classes that way
(`--server sync --server gthread:4`), serving /healthz and final submissions in the same run.

Two workers; their class follows the database, from the collection benchmark on a 2-CPU machine
(docs/benchmarks.md, "Collection"):

- PostgreSQL (DATABASE_URL set): gthread, 4 threads per worker. A submission waits for its
  commit to be flushed to disk; with threads another request runs meanwhile. In the last
  three runs gthread:4 gave 163–234 submissions/s against 143–160 for sync (before the
  submission path was shortened, sync was ahead: 154 against 98).
- SQLite: sync. There is one writer at a time whatever the threads; writers queue on a file
  lock (surveyapp.database.writer_turn). With that queue, gthread:2 gave 0.25 and 0.28 of
  hello-world against sync's 0.27 and 0.29, at a higher CPU cost per request (before the
  queue, threads slept in SQLite's busy handler and did far worse).
"""

import os

is_postgresql = os.environ.get("DATABASE_URL", "").startswith("postgresql")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread" if is_postgresql else "sync"
# At most `threads` requests per worker hold a database connection at once; Flask-SQLAlchemy's
# default pool (5 + 10 overflow) covers that without waiting.
threads = 4 if is_postgresql else 1
# A worker killed mid-request loses only its unacknowledged requests: a submission commits
# before its thank-you page is sent, and the phone's retry finds the receipt
# (tests/web/test_submissions_killed_worker.py).
timeout = 30
graceful_timeout = 20


def post_worker_init(worker):  # noqa: ARG001 (gunicorn's hook signature)
    """Move what the worker has loaded (the app, SQLAlchemy's models, matplotlib: about
    200,000 objects) out of the garbage collector's reach. A full collection scanned them all,
    0.05-0.1 s with the worker stalled, possibly holding SQLite's write turn: in the collection
    benchmark that showed as p99 spikes of up to 0.8 s. They live as long as the worker anyway.
    """
    import gc

    gc.collect()
    gc.freeze()
