"""Collection under load: submissions/s and p99 against a hello-world route of the same app.

For SQLite and PostgreSQL in turn: build a fresh database (migrations + small demo county),
start gunicorn with 2 workers on loopback, then in one run measure

1. ``/healthz`` (hello world): REQUESTS requests from THREADS threads;
2. final submissions: PHONES phones, each with its own cookies, answer every page but the
   last (not timed), then send their last page from THREADS threads (timed);

and count the stored responses afterwards (lost = expected - stored).

    .venv/bin/python bench/collect.py [--phones 300] [--threads 16] [--requests 3000]
                                      [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.services import create_postgres_database, drop_postgres_database  # noqa: E402
from tests.web.test_submissions_concurrent import Phone  # noqa: E402

PORT = 5187


def build(database_url: str, instance: str) -> str:
    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.demo import load_demo_county
    from surveyapp.extensions import db
    from surveyapp.models import Org, OrgKind

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    app.instance_path = instance
    with app.app_context():
        upgrade()
        load_demo_county(db.session, seed=1, size="small")
        db.session.commit()
        village = db.session.scalar(sa.select(Org.code).where(Org.kind == OrgKind.VILLAGE)
                                    .order_by(Org.code))
        db.engine.dispose()
    return f"/s/citizen_approval-2026-11/{village}"


def serve(database_url: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--threads", "1",
         "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env)
    for _ in range(100):  # up to 10 s
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def timed(calls: list, threads: int) -> tuple[float, float]:
    """Run the calls from ``threads`` threads; return (calls per second, p99 seconds)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def run(call: object) -> None:
        start = time.perf_counter()
        call()
        with lock:
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, calls))
    elapsed = time.perf_counter() - began
    return len(calls) / elapsed, statistics.quantiles(latencies, n=100)[98]


def hello(base: str) -> None:
    urllib.request.urlopen(base + "/healthz", timeout=30).read()


def measure(name: str, database_url: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as instance:
        link = build(database_url, instance)
    server = serve(database_url)
    base = f"http://127.0.0.1:{PORT}"
    engine = sa.create_engine(database_url)
    try:
        hello_rate, hello_p99 = timed([lambda: hello(base)] * args.requests, args.threads)
        phones = [Phone(base, link) for _ in range(args.phones)]
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            ready = list(pool.map(Phone.answer_until_last_page, phones))
        with engine.connect() as conn:
            before = conn.exec_driver_sql("SELECT count(*) FROM response").scalar_one()
        outcomes: list[int] = []

        def sender(phone: Phone, path: str, form: dict) -> object:
            return lambda: outcomes.append(phone.request(path, form)[0])

        calls = [sender(phone, *last) for phone, last in zip(phones, ready, strict=True)]
        rate, p99 = timed(calls, args.threads)
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM response").scalar_one() - before
    finally:
        server.terminate()
        server.wait(timeout=10)
        engine.dispose()
    thanked = outcomes.count(200)
    return {"database": name, "hello_rate": hello_rate, "hello_p99": hello_p99,
            "submit_rate": rate, "submit_p99": p99, "ratio": rate / hello_rate,
            "sent": len(calls), "thanked": thanked, "stored": stored,
            "lost": thanked - stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    results = []
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            results.append(measure("SQLite", f"sqlite:///{folder}/bench.db", args))
    if args.database in ("postgresql", "both"):
        url = create_postgres_database()
        try:
            results.append(measure("PostgreSQL", url.render_as_string(hide_password=False), args))
        finally:
            drop_postgres_database(url)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print("| database | /healthz req/s | /healthz p99 ms | submissions/s | submit p99 ms "
          "| ratio | sent | thanked | stored | lost |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['database']} | {r['hello_rate']:.0f} | {r['hello_p99'] * 1000:.1f} "
              f"| {r['submit_rate']:.0f} | {r['submit_p99'] * 1000:.1f} | {r['ratio']:.2f} "
              f"| {r['sent']} | {r['thanked']} | {r['stored']} | {r['lost']} |")


if __name__ == "__main__":
    main()
