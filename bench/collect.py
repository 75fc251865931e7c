"""Collection under load: submissions/s and p99 against a hello-world route of the same app.

For SQLite and PostgreSQL in turn, and for each ``--server`` (gunicorn.conf.py as it is, or
with another worker class): build a fresh database (migrations + small demo county), start
gunicorn with 2 workers on loopback, let PHONES phones, each with its own cookies, answer
every page but the last (not timed), then measure in one run

1. ``/healthz`` (hello world): REQUESTS requests, THREADS at a time;
2. the phones' final submissions (their last page), THREADS at a time;

the two taking turns in ROUNDS slices each (so a spell of other work on the machine falls on
both), and count the stored responses afterwards (lost = thanked - stored). Besides the rates
and p99s it reports the server's CPU milliseconds per request (gunicorn's processes, from
/proc), which varies less than the rates on a shared machine. The 1-minute load average is
printed from before the server starts and after the run.

The timed requests are prepared as raw HTTP bytes (cookies and form included) and sent over
plain sockets from PROCESSES processes, so the load client costs little CPU next to the server
(it shares the machine). When ``wrk`` is installed, /healthz is also measured with it, to show
whether this client or the server limits hello-world (wrk keeps connections alive where the
worker allows it, gthread does and sync does not, so compare "ratio" within one client).

    .venv/bin/python bench/collect.py [--phones 1000] [--threads 16] [--processes 4]
                                      [--requests 3000] [--rounds 5]
                                      [--database sqlite|postgresql|both]
                                      [--server conf|sync|gthread:<n> ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.services import create_postgres_database, drop_postgres_database  # noqa: E402
from tests.web.test_submissions_concurrent import Phone, load_small_county  # noqa: E402

PORT = 5187


def build(database_url: str, instance: str) -> str:
    from surveyapp import create_app
    from surveyapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    app.instance_path = instance
    with app.app_context():
        village = load_small_county()
        db.engine.dispose()
    return f"/s/citizen_approval-2026-11/{village}"


def server_flags(server: str) -> list[str]:
    """gunicorn flags on top of gunicorn.conf.py: "conf" (as configured), "sync", or
    "gthread:<threads per worker>"."""
    if server == "conf":
        return []
    if server == "sync":
        return ["--worker-class", "sync", "--threads", "1"]
    kind, _, threads = server.partition(":")
    if kind != "gthread" or not threads.isdigit():
        raise argparse.ArgumentTypeError(f"--server {server!r}: use conf, sync or gthread:<n>")
    return ["--worker-class", "gthread", "--threads", threads]


def serve(database_url: str, server: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--workers", "2",
         *server_flags(server), "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning",
         "wsgi:app"],
        cwd=ROOT, env=env)
    for _ in range(100):  # up to 10 s
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def server_cpu_seconds(master: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and its workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass(frozen=True)
class Timed:
    rate: float  # requests per second, from the first send to the last reply
    p99: float  # seconds
    cpu: float  # server CPU milliseconds per request (workers and master)
    replies: list[tuple[int, bool]]  # (status, whether the page says 提交成功)


def raw_request(path: str, *, cookie: str = "", form: dict | None = None) -> bytes:
    """One HTTP/1.1 request as bytes: GET, or POST of an urlencoded form."""
    body = urllib.parse.urlencode(form).encode() if form is not None else b""
    lines = [f"{'POST' if form is not None else 'GET'} {path} HTTP/1.1",
             f"Host: 127.0.0.1:{PORT}", "Connection: close"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send(raw: bytes) -> tuple[float, int, bool]:
    """Send one request on a new connection; (seconds, status, thanked)."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", PORT), timeout=60) as conn:
        conn.sendall(raw)
        chunks = []
        while data := conn.recv(65536):
            chunks.append(data)
    reply = b"".join(chunks)
    return time.perf_counter() - start, int(reply.split(b" ", 2)[1]), "提交成功".encode() in reply


def _send_share(raws: list[bytes], threads: int) -> tuple[float, float, list]:
    began = time.time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(send, raws))
    return began, time.time(), results


def timed(raws: list[bytes], threads: int, processes: int, master: int) -> Timed:
    """Send the requests, ``threads`` at a time spread over ``processes`` processes."""
    return interleaved([raws], threads, processes, master, rounds=1)[0]


def interleaved(kinds: list[list[bytes]], threads: int, processes: int, master: int,
                rounds: int) -> list[Timed]:
    """Each list of requests in ``rounds`` slices, the kinds taking turns (round 1 of each
    kind, then round 2 …), timed per kind over all its rounds. On a machine shared with other
    work, a slow spell then falls on every kind alike instead of on whichever ran during it,
    so the ratio of their rates holds still even where the rates themselves swing."""
    elapsed = [0.0] * len(kinds)
    cpu = [0.0] * len(kinds)
    results: list[list] = [[] for _ in kinds]
    per_process = max(1, threads // processes)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        for turn in range(rounds):
            for kind, raws in enumerate(kinds):
                part = raws[turn::rounds]
                shares = [part[k::processes] for k in range(processes)]
                cpu_before = server_cpu_seconds(master)
                parts = list(pool.map(_send_share, shares, [per_process] * processes))
                cpu[kind] += server_cpu_seconds(master) - cpu_before
                elapsed[kind] += (max(end for _, end, _ in parts)
                                  - min(began for began, _, _ in parts))
                results[kind] += [result for _, _, share in parts for result in share]
    timings = []
    for kind, raws in enumerate(kinds):
        latencies = [seconds for seconds, _, _ in results[kind]]
        timings.append(Timed(len(raws) / elapsed[kind],
                             statistics.quantiles(latencies, n=100)[98],
                             cpu[kind] * 1000 / len(raws),
                             [(status, thanked) for _, status, thanked in results[kind]]))
    return timings


def wrk_healthz(threads: int) -> float | None:
    """/healthz requests per second as wrk sees them (None without wrk)."""
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(["wrk", "-t2", f"-c{threads}", "-d5s",
                          f"http://127.0.0.1:{PORT}/healthz"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def final_request(phone: Phone, path: str, form: dict) -> bytes:
    """The phone's last page as raw bytes, with the cookies its browser would send."""
    request = urllib.request.Request(phone.base + path, method="POST")
    phone.jar.add_cookie_header(request)
    return raw_request(path, cookie=request.get_header("Cookie", ""), form=form)


def measure(name: str, database_url: str, server_name: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as instance:
        link = build(database_url, instance)
    load_before = os.getloadavg()[0]
    server = serve(database_url, server_name)
    base = f"http://127.0.0.1:{PORT}"
    engine = sa.create_engine(database_url)
    try:
        hello_wrk = wrk_healthz(args.threads)
        phones = [Phone(base, link) for _ in range(args.phones)]
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            ready = list(pool.map(Phone.answer_until_last_page, phones))
        with engine.connect() as conn:
            before = conn.exec_driver_sql("SELECT count(*) FROM response").scalar_one()
        raws = [final_request(phone, *last) for phone, last in zip(phones, ready, strict=True)]
        hello, submits = interleaved([[raw_request("/healthz")] * args.requests, raws],
                                     args.threads, args.processes, server.pid, args.rounds)
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM response").scalar_one() - before
    finally:
        server.terminate()
        server.wait(timeout=10)
        engine.dispose()
    thanked = sum(1 for status, says_thanks in submits.replies if status == 200 and says_thanks)
    return {"database": name, "server": server_name,
            "load": f"{load_before:.1f}–{os.getloadavg()[0]:.1f}",
            "hello_rate": hello.rate, "hello_p99": hello.p99, "hello_wrk": hello_wrk,
            "hello_cpu": hello.cpu, "submit_cpu": submits.cpu,
            "submit_rate": submits.rate, "submit_p99": submits.p99,
            "ratio": submits.rate / hello.rate,
            "ratio_wrk": submits.rate / hello_wrk if hello_wrk else None,
            "sent": len(raws), "thanked": thanked, "stored": stored, "lost": thanked - stored}


def measure_database(name: str, server: str, args: argparse.Namespace) -> dict:
    """One measurement on a fresh database of the kind ``name``."""
    if name == "SQLite":
        with tempfile.TemporaryDirectory() as folder:
            return measure(name, f"sqlite:///{folder}/bench.db", server, args)
    url = create_postgres_database()
    try:
        return measure(name, url.render_as_string(hide_password=False), server, args)
    finally:
        drop_postgres_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5,
                        help="/healthz and submissions take turns in this many slices each")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--server", action="append", type=str,
                        help="conf (gunicorn.conf.py as it is; the default), sync or "
                             "gthread:<threads>; repeat to compare")
    args = parser.parse_args()
    servers = args.server or ["conf"]
    for server in servers:
        server_flags(server)
    names = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"],
             "both": ["SQLite", "PostgreSQL"]}[args.database]
    results = [measure_database(name, server, args) for name in names for server in servers]
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print("| database | server | load | /healthz req/s | /healthz p99 ms | /healthz req/s (wrk) "
          "| submissions/s | submit p99 ms | ratio | ratio (wrk) | server CPU ms/req healthz "
          "| server CPU ms/req submit | sent | thanked | stored | lost |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        wrk = f"{r['hello_wrk']:.0f}" if r["hello_wrk"] is not None else "-"
        ratio_wrk = f"{r['ratio_wrk']:.2f}" if r["ratio_wrk"] is not None else "-"
        print(f"| {r['database']} | {r['server']} | {r['load']} | {r['hello_rate']:.0f} "
              f"| {r['hello_p99'] * 1000:.1f} | {wrk} | {r['submit_rate']:.0f} "
              f"| {r['submit_p99'] * 1000:.1f} | {r['ratio']:.2f} | {ratio_wrk} "
              f"| {r['hello_cpu']:.2f} | {r['submit_cpu']:.2f} | {r['sent']} "
              f"| {r['thanked']} | {r['stored']} | {r['lost']} |")


if __name__ == "__main__":
    main()
