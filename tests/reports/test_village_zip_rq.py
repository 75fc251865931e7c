"""The township ZIP job on RQ: started from the dashboard, run by a real `rq worker`, and read
back by a new app, as after a restart of the web workers.

The worker is `python -m rq.cli worker --burst` in a subprocess. The job builds its own app
with `create_app()` from the worker's environment, so the worker gets the web app's
`DATABASE_URL` and `SECRET_KEY`; the web app's report folder travels with the job. The run
uses its own Redis database number (`TEST_REDIS_URL`, database 14 by default) and its own
queue name, and removes only its own keys at the end: the Redis server is shared.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from surveyapp.extensions import db
from surveyapp.models import AuditEntry, User
from surveyapp.services import report_jobs
from tests.conftest import make_app
from tests.services import require
from tests.web.test_auth import csrf_token

pytestmark = pytest.mark.pdf
ROOT = Path(__file__).resolve().parents[2]
WAVE = "citizen_approval-2026-11"
BASE = f"/assessor/waves/{WAVE}/orgs"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture(scope="module")
def redis() -> Any:
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        require("Redis", f"the ZIP job runs on RQ; cannot reach {REDIS_URL}: {error}")
    return connection


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A committed SQLite database with the small demo county, and an instance folder: both
    the web apps and the worker process open them."""
    from surveyapp.demo import load_demo_county

    folder = tmp_path_factory.mktemp("rq")
    url = "sqlite:///" + str(folder / "rq.db")
    app = make_app(url, folder)
    with app.app_context():
        upgrade()
        load_demo_county(db.session, seed=1, size="small")
        db.session.commit()
        db.engine.dispose()
    return url, folder


@pytest.fixture
def queue(redis: Any) -> Iterator[str]:
    """A queue name of this test's own; afterwards every key that names it (or its jobs) goes."""
    name = f"reports-test-{uuid4().hex[:12]}"
    yield name
    jobs = [
        key.decode().removeprefix("rq:job:")
        for key in redis.scan_iter("rq:job:*")
        if redis.hget(key, "origin") == name.encode()
    ]
    for key in redis.scan_iter("rq:*"):
        text = key.decode()
        if name in text or any(text.endswith(f":{job}") for job in jobs):
            redis.delete(key)
    for registry in ("rq:queues", "rq:workers"):
        for member in redis.smembers(registry):
            if name in member.decode():
                redis.srem(registry, member)


def web_app(url: str, folder: Path, queue: str) -> Flask:
    return make_app(url, folder, REDIS_URL=REDIS_URL, REPORT_QUEUE=queue)


def signed_in(app: Flask, username: str) -> FlaskClient:
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


def run_worker(url: str, queue: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "tests-only", "REDIS_URL": REDIS_URL}
    return subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL,
         "--name", f"{queue}-worker", "--path", str(ROOT), queue],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def start_qy01_zip(client: Any) -> tuple[str, str]:
    """Press 打包下载 on township QY01's dashboard; the job's page and its id."""
    token = csrf_token(client, f"{BASE}/QY01/")
    reply = client.post(f"{BASE}/QY01/village-zip", data={"csrf_token": token})
    job_url = reply.headers["Location"]
    return job_url, job_url.rstrip("/").rsplit("/", 1)[1]


def test_township_zip_runs_on_an_rq_worker_and_its_status_outlives_the_web_app(
    county: tuple[str, Path], queue: str
) -> None:
    url, folder = county
    web = web_app(url, folder, queue)
    client = signed_in(web, "assessor-t01")
    job_url, job = start_qy01_zip(client)
    assert client.get(f"{job_url}?format=json").get_json()["state"] == "queued"

    worker = run_worker(url, queue)
    assert worker.returncode == 0, worker.stderr[-2000:]

    # A new app, as after a restart: the status comes from Redis, not from this process.
    assert job not in report_jobs._local_jobs
    restarted = signed_in(web_app(url, folder, queue), "assessor-t01")
    page = restarted.get(job_url).get_data(as_text=True)
    assert "<progress" in page and "3 / 3" in page and "下载压缩包" in page
    assert restarted.get(f"{job_url}?format=json").get_json() == {
        "state": "finished", "done": 3, "total": 3, "error": None
    }
    download = restarted.get(f"{job_url}/download")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert sorted(archive.namelist()) == [f"{WAVE}-village-QY01V0{i}.pdf" for i in (1, 2, 3)]
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    assert (folder / "reports" / "jobs" / f"{job}.zip").is_file()
    with web.app_context():
        logged = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.target == "QY01")
        ).all()
    assert {"report.zip_started", "report.zip_download"} <= set(logged)


def test_an_rq_job_is_not_found_under_another_township_or_by_another_assessor(
    county: tuple[str, Path], queue: str
) -> None:
    url, folder = county
    web = web_app(url, folder, queue)
    client = signed_in(web, "assessor")
    job_url, job = start_qy01_zip(client)
    assert client.get(job_url).status_code == 200
    assert client.get(f"{BASE}/QY02/village-zip/{job}").status_code == 404
    other = signed_in(web, "assessor-t02")
    assert other.get(job_url).status_code == 404
    assert other.get(f"{BASE}/QY02/village-zip/{job}").status_code == 404
    assert client.get(f"{BASE}/QY01/village-zip/{uuid4().hex}").status_code == 404


def test_an_unreachable_job_queue_gets_a_503_page_in_chinese(county: tuple[str, Path]) -> None:
    url, folder = county
    web = make_app(url, folder, REDIS_URL="redis://127.0.0.1:1/0", REPORT_QUEUE="unused")
    client = signed_in(web, "assessor-t01")
    token = csrf_token(client, f"{BASE}/QY01/")
    for response in (
        client.post(f"{BASE}/QY01/village-zip", data={"csrf_token": token}),
        client.get(f"{BASE}/QY01/village-zip/{uuid4().hex}"),
    ):
        assert response.status_code == 503
        assert "后台任务服务暂时不可用" in response.get_data(as_text=True)
