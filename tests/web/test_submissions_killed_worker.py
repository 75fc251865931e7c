"""Nothing acknowledged is lost across a killed worker, on SQLite and PostgreSQL.

gunicorn, started with the production settings (gunicorn.conf.py, 2 workers), serves a committed
demo county. PHONES phones send their last page, CONCURRENT at a time; once a few thank-you pages
have come back, a worker is killed with SIGKILL while it is serving others (again every 0.2 s
until a request has been cut, as a kill can fall between two requests). Then every phone
that saw the thank-you page has its response stored (acknowledged implies stored), and a phone
whose connection was cut retries as a person would: afterwards each phone's response is stored
exactly once. A phone is traced by its browser cookie, whose hash the submission stores in
``submitted_browser`` in the response's own transaction.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.services.submissions import hash_key
from tests.conftest import make_app
from tests.services import create_postgres_database, drop_postgres_database
from tests.web.test_public import CITIZEN_WAVE
from tests.web.test_submissions_concurrent import Phone, count, load_small_county

ROOT = Path(__file__).resolve().parents[2]
PHONES = 64
CONCURRENT = 16
KILL_AFTER = 6  # thank-you pages seen before the first kill: the workers are busy by then
KILLS = 6  # at most; a submission takes a few ms, so a kill can fall between two of them
BURSTS = 4


@dataclass
class Gunicorn:
    base: str
    link: str
    engine: sa.Engine
    process: subprocess.Popen

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    for _ in range(200):  # up to 20 s on a busy machine
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /healthz within 20 s")


def _serve(database_url: str, folder: Path) -> Iterator[Gunicorn]:
    app = make_app(database_url, folder)
    with app.app_context():
        village = load_small_county()
        db.engine.dispose()
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="tests-only")
    with open(folder / "gunicorn.log", "w") as log:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    engine = sa.create_engine(database_url)
    try:
        _wait_until_up(base, process)
        yield Gunicorn(base, f"/s/{CITIZEN_WAVE}/{village}", engine, process)
    finally:
        process.send_signal(signal.SIGQUIT)  # quick shutdown: nothing is left to finish
        process.wait(timeout=30)
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def gunicorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gunicorn]:
    if request.param == "sqlite":
        yield from _serve("sqlite:///" + str(tmp_path / "live.db"), tmp_path)
        return
    url = create_postgres_database()
    try:
        yield from _serve(url.render_as_string(hide_password=False), tmp_path)
    finally:
        drop_postgres_database(url)


def browser_hash(phone: Phone) -> str:
    return hash_key(next(cookie.value for cookie in phone.jar if cookie.name == "browser"))


def stored_browsers(engine: sa.Engine) -> list[str]:
    """The browser hashes stored so far, oldest first."""
    with engine.connect() as conn:
        return list(conn.exec_driver_sql(
            "SELECT browser_hash FROM submitted_browser ORDER BY id").scalars())


@dataclass
class Burst:
    phones: list[Phone]
    last_pages: list[tuple]
    thanked: list[bool]
    responses_before: int
    browsers_before: int
    receipts_before: int


def burst_with_kills(gunicorn: Gunicorn) -> Burst:
    """PHONES phones send their last page while workers are killed; who saw the thank-you."""
    phones = [Phone(gunicorn.base, gunicorn.link) for _ in range(PHONES)]
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        last_pages = list(pool.map(Phone.answer_until_last_page, phones))
    responses_before = count(gunicorn.engine, "response")
    browsers_before = len(stored_browsers(gunicorn.engine))
    receipts_before = count(gunicorn.engine, "submission_receipt")
    thanked_so_far = threading.Semaphore(0)
    cut = threading.Event()

    def submit(phone: Phone, path: str, form: dict) -> bool:
        """Whether this phone saw the thank-you page (False: its connection was cut)."""
        try:
            status, page, _ = phone.request(path, form)
        except (OSError, http.client.HTTPException):
            cut.set()
            return False
        assert status == 200 and "提交成功" in page, (status, page[:300])
        thanked_so_far.release()
        return True

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        futures = [pool.submit(submit, phone, *page)
                   for phone, page in zip(phones, last_pages, strict=True)]
        for _ in range(KILL_AFTER):
            assert thanked_so_far.acquire(timeout=60)
        for _ in range(KILLS):
            os.kill(gunicorn.workers()[0], signal.SIGKILL)
            if cut.wait(timeout=0.2) or all(future.done() for future in futures):
                break
        thanked = [future.result(timeout=120) for future in futures]
    return Burst(phones, last_pages, thanked, responses_before, browsers_before, receipts_before)


def test_every_acknowledged_submission_survives_a_killed_worker_and_none_is_stored_twice(
        gunicorn):
    # On a fast, quiet machine a whole burst can finish between two kills; then it proved
    # nothing, and a new burst is sent, up to BURSTS times.
    for _ in range(BURSTS):
        burst = burst_with_kills(gunicorn)
        stored = stored_browsers(gunicorn.engine)[burst.browsers_before:]
        # Acknowledged implies stored, in every burst, cut or not.
        assert {browser_hash(p) for p, ok in zip(burst.phones, burst.thanked, strict=True)
                if ok} <= set(stored)
        assert count(gunicorn.engine, "response") - burst.responses_before == len(stored)
        if not all(burst.thanked):
            break
    else:
        pytest.fail(f"in {BURSTS} bursts no kill cut a request, so nothing was tested")

    for phone, page, ok in zip(burst.phones, burst.last_pages, burst.thanked, strict=True):
        if not ok:  # the person taps 提交 again: stored now, or the receipt says it was
            status, text, _ = phone.request(*page)
            assert status == 200 and "提交成功" in text, (status, text[:300])
    stored = stored_browsers(gunicorn.engine)[burst.browsers_before:]
    assert sorted(stored) == sorted(browser_hash(phone) for phone in burst.phones)
    assert count(gunicorn.engine, "response") - burst.responses_before == PHONES
    assert count(gunicorn.engine, "submission_receipt") - burst.receipts_before == PHONES
    assert count(gunicorn.engine, "draft") == 0
