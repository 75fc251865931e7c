"""gunicorn settings for production (`make run`): `gunicorn -c gunicorn.conf.py wsgi:app`.

Command-line flags override these; bench/collect.py compares worker classes that way
(`--server sync --server gthread:4`), serving /healthz and final submissions in the same run.

Two sync workers. gthread (threads per worker) was measured against sync on this 2-CPU machine
(docs/benchmarks.md, "Collection") and did not raise submissions/s on either database: the
work is CPU-bound in Python, so threads in one process only take turns on the GIL, and on
SQLite threads waiting for the single write lock sleep in SQLite's busy handler (1, 2, 5 …
100 ms backoff), which raised the submit p99 from ~120 ms to ~0.9–1.5 s.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"
# A worker killed mid-request loses only its unacknowledged requests: a submission commits
# before its thank-you page is sent, and the phone's retry finds the receipt
# (tests/web/test_submissions_killed_worker.py).
timeout = 30
graceful_timeout = 20
