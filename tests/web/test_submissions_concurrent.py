"""No loss under load: 50 phones submitting to one village at once, on SQLite and PostgreSQL.

The `app` fixture's rolled-back transaction cannot show this; here each database is real and
committed, a threaded server answers real HTTP, and every phone has its own cookie jar. Five of
the phones tap "提交" twice at once: the double tap must store once.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from surveyapp.extensions import db
from tests.conftest import make_app
from tests.services import create_postgres_database, drop_postgres_database
from tests.web.test_public import CITIZEN_WAVE, PAGES

PHONES = 50
DOUBLE_TAPS = 5
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Phone:
    """One respondent's browser: its own cookies, answering the citizen questionnaire."""

    base: str
    link: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as reply:
                return reply.status, reply.read().decode(), reply.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers.get("Location", "")

    def token(self, path: str) -> str:
        return CSRF.search(self.request(path)[1]).group(1)

    def answer_until_last_page(self) -> tuple[str, dict]:
        """Start and answer every page but the last; return the last page and its form."""
        status, _, path = self.request(self.link, {"csrf_token": self.token(self.link)})
        assert status == 302, status
        for data in PAGES[:-1]:
            status, page, path = self.request(path, {"csrf_token": self.token(path),
                                                     "action": "next", **data})
            assert status == 302, (status, page[:300])
        return path, {"csrf_token": self.token(path), "action": "submit", **PAGES[-1]}


@dataclass
class LiveCounty:
    base: str
    link: str
    engine: sa.Engine


def load_small_county() -> str:
    """Migrate the current app's (empty) database and commit the small demo county into it;
    the code of its first village, whose poster link the live tests and the collection bench
    use."""
    from surveyapp.demo import load_demo_county
    from surveyapp.models import Org, OrgKind

    upgrade()
    load_demo_county(db.session, seed=1, size="small")
    db.session.commit()
    return db.session.scalar(sa.select(Org.code).where(Org.kind == OrgKind.VILLAGE)
                             .order_by(Org.code))


def _serve(database_url: str, folder: Path) -> Iterator[LiveCounty]:
    app = make_app(database_url, folder)
    with app.app_context():
        village = load_small_county()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    engine = sa.create_engine(database_url)
    try:
        yield LiveCounty(f"http://127.0.0.1:{server.server_port}",
                         f"/s/{CITIZEN_WAVE}/{village}", engine)
    finally:
        server.shutdown()
        engine.dispose()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def live_county(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveCounty]:
    if request.param == "sqlite":
        yield from _serve("sqlite:///" + str(tmp_path / "live.db"), tmp_path)
        return
    url = create_postgres_database()
    try:
        yield from _serve(url.render_as_string(hide_password=False), tmp_path)
    finally:
        drop_postgres_database(url)


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def test_fifty_concurrent_submissions_to_one_village_are_each_stored_once(live_county):
    phones = [Phone(live_county.base, live_county.link) for _ in range(PHONES)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        ready = list(pool.map(Phone.answer_until_last_page, phones))
    before = count(live_county.engine, "response")
    senders = [(phone, *form) for phone, form in zip(phones, ready, strict=True)]
    senders += senders[:DOUBLE_TAPS]
    start = threading.Barrier(len(senders))
    results: list[tuple[int, str]] = []

    def send(phone: Phone, path: str, form: dict) -> None:
        start.wait()
        status, page, _ = phone.request(path, form)
        results.append((status, page))

    threads = [threading.Thread(target=send, args=sender) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == len(senders)
    assert all(status == 200 and "提交成功" in page for status, page in results), [
        (status, page[:200]) for status, page in results if status != 200][:3]
    assert count(live_county.engine, "response") == before + PHONES
    assert count(live_county.engine, "submitted_browser") == PHONES
    assert count(live_county.engine, "draft") == 0
