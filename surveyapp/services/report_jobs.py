"""Rendering many reports: on a pool of processes, and as a background job that builds one
ZIP of a township's village reports with its progress visible across page reloads.

The job runs on RQ when ``REDIS_URL`` is set: the job, its progress and its result live in
Redis, so they survive a restart of the web workers. Run ``rq worker --url $REDIS_URL reports``
(the queue is ``REPORT_QUEUE`` in the config, ``reports`` by default) from the project folder
with the web app's environment: the job builds its own app with ``create_app()``, which reads
``DATABASE_URL``, ``SECRET_KEY``, ``QUESTIONNAIRES_DIR`` and ``MIN_CELL_SIZE`` from it. The
web app's report folder (``instance/reports/``) travels with the job and the ZIP is written into
its ``jobs/``, so the worker must share that folder with the web app. Without ``REDIS_URL`` the
job runs on a local thread in the web process and lives as long as that process.
"""

from __future__ import annotations

import gc
import multiprocessing
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _

from scoring.reports import render_pdf

QUEUE = "reports"
# Imported once by the fork server, so each worker forked from it starts with them loaded
# (about 3.5 s of CPU per worker when each imported them itself).
WORKER_PRELOAD = [
    "surveyapp.services.report_jobs",
    "scoring.reports.render",
    "matplotlib.backends.backend_svg",
    "weasyprint",
]
# RQ's job states as the page's four.
RQ_STATES = {
    "queued": "queued",
    "deferred": "queued",
    "scheduled": "queued",
    "started": "running",
    "finished": "finished",
    "failed": "failed",
    "stopped": "failed",
    "canceled": "failed",
}
_local_jobs: dict[str, dict[str, Any]] = {}
_local_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-job")


class JobsUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached."""


def _render_to(item: tuple[dict, str, int]) -> str:
    data, path, min_cell = item
    Path(path).write_bytes(render_pdf(data, min_cell=min_cell))
    return path


def render_all(
    reports: Iterable[tuple[dict, Path]],
    *,
    jobs: int,
    min_cell: int,
    progress: Callable[[int], Any] = lambda n: None,
) -> None:
    """Render each report's data to its path, ``jobs`` processes at a time (forked from a
    fresh fork server, not from this process: the parent holds database connections and
    threads).

    ``reports`` may be a generator: each report goes to the pool as soon as its data is
    made, so the workers start up and render while the parent gathers the rest."""
    items = ((d, str(p), min_cell) for d, p in reports)
    if jobs == 1:
        for item in items:
            _render_to(item)
            progress(1)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    # Each worker freezes what the fork server imported (about 150,000 objects) out of the
    # garbage collector: WeasyPrint's objects set off a full collection every report or two,
    # which scanned them all for about 0.1 s; a worker lives for one build, so nothing
    # frozen is kept longer than the process.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=gc.freeze) as pool:
        for future in as_completed([pool.submit(_render_to, item) for item in items]):
            future.result()
            progress(1)


def reports_dir(app: Flask) -> Path:
    """The app's report folder: cached PDFs, and the jobs' ZIPs in ``jobs/``."""
    return Path(app.instance_path) / "reports"


def jobs_dir(app: Flask) -> Path:
    path = reports_dir(app) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_village_zip(
    app: Flask,
    job_id: str,
    wave_code: str,
    township_code: str,
    visible: set[int] | None,
    folder: Path,
    report: Callable[[int, int], None],
) -> str:
    """All village reports of a township as one ZIP in ``folder/jobs`` (the PDFs of a closed
    wave cached in ``folder``, as :func:`reports.report_pdf` does); ``report(done, total)``
    after each."""
    from surveyapp.services import reports as report_service

    with app.app_context(), report_service.one_build():
        wave = report_service.find_wave(wave_code)
        township = report_service.find_org(township_code)
        requests = [
            r
            for r in report_service.requests_for(wave, "village", township)
            if visible is None or r.org.id in visible
        ]
        report(0, len(requests))
        target = folder / "jobs" / f"{job_id}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(partial, "w") as archive:
            for done, request in enumerate(requests, start=1):
                pdf, _ = report_service.report_pdf(
                    report_service.report_data(request, visible=visible),
                    cache_dir=folder,
                )
                archive.writestr(report_service.file_name(request), pdf)
                report(done, len(requests))
        partial.replace(target)
        return str(target)


def _queue(app: Flask) -> Any:
    from redis import Redis
    from rq import Queue

    return Queue(
        app.config.get("REPORT_QUEUE") or QUEUE,
        connection=Redis.from_url(app.config["REDIS_URL"]),
    )


def start_village_zip(wave_code: str, township_code: str, visible: set[int] | None) -> str:
    """Start the job; returns its id."""
    app = current_app._get_current_object()
    job_id = uuid.uuid4().hex
    folder = reports_dir(app)
    if app.config.get("REDIS_URL"):
        with _redis_errors():
            _enqueue(app, job_id, wave_code, township_code, visible, folder)
        return job_id
    _local_jobs[job_id] = {
        "state": "queued",
        "done": 0,
        "total": None,
        "path": None,
        "error": None,
        "township": township_code,
    }

    def report(done: int, total: int) -> None:
        _local_jobs[job_id].update(state="running", done=done, total=total)

    def run() -> None:
        try:
            path = build_village_zip(app, job_id, wave_code, township_code, visible, folder, report)
            _local_jobs[job_id].update(state="finished", path=path)
        except Exception as error:  # noqa: BLE001 - shown on the page, logged here
            app.logger.exception("report job %s failed", job_id)
            _local_jobs[job_id].update(state="failed", error=str(error))

    future: Future = _local_pool.submit(run)
    _local_jobs[job_id]["future"] = future
    return job_id


def _enqueue(
    app: Flask,
    job_id: str,
    wave_code: str,
    township_code: str,
    visible: set[int] | None,
    folder: Path,
) -> None:
    _queue(app).enqueue(
        village_zip_job,
        job_id,
        wave_code,
        township_code,
        sorted(visible) if visible is not None else None,
        str(folder),
        job_id=job_id,
        meta={"township": township_code, "done": 0, "total": None},
        job_timeout=3600,
        result_ttl=86400,
        failure_ttl=86400,
    )


@contextmanager
def _redis_errors() -> Iterator[None]:
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as error:
        raise JobsUnavailable(f"job queue unreachable: {error}") from error


def village_zip_job(
    job_id: str, wave_code: str, township_code: str, visible: list[int] | None, folder: str
) -> str:
    """The RQ job: runs in the worker, on an app built from the worker's environment (see the
    module docstring); progress goes to the job's meta in Redis."""
    from rq import get_current_job

    from surveyapp import create_app
    from surveyapp.extensions import db

    job = get_current_job()

    def report(done: int, total: int) -> None:
        job.meta.update(done=done, total=total)
        job.save_meta()

    app = create_app()
    try:
        return build_village_zip(
            app,
            job_id,
            wave_code,
            township_code,
            set(visible) if visible is not None else None,
            Path(folder),
            report,
        )
    finally:
        with app.app_context():
            db.engine.dispose()


def job_status(job_id: str) -> dict[str, Any] | None:
    """``state`` (queued, running, finished, failed), ``done``, ``total``, ``path``, ``error``
    and ``township``; None for an unknown job."""
    app = current_app
    if app.config.get("REDIS_URL"):
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            with _redis_errors():
                job = Job.fetch(job_id, connection=_queue(app).connection)
        except NoSuchJobError:
            return None
        # JobStatus is a (str, Enum): str() of it is "JobStatus.FINISHED", its value "finished".
        state = RQ_STATES.get(job.get_status().value, "queued")
        return {
            "state": state,
            "done": job.meta.get("done", 0),
            "total": job.meta.get("total"),
            "path": job.return_value() if state == "finished" else None,
            "error": _("生成失败") if state == "failed" else None,
            "township": job.meta.get("township"),
        }
    status = _local_jobs.get(job_id)
    return None if status is None else {k: v for k, v in status.items() if k != "future"}


def wait_local(job_id: str, timeout: float = 300) -> None:
    """Block until a local job ends (tests and the CLI use it)."""
    _local_jobs[job_id]["future"].result(timeout=timeout)


def zip_path_ok(path: str) -> bool:
    return Path(path).resolve().is_relative_to(jobs_dir(current_app).resolve())
