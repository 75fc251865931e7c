"""A live server with the demo county, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from surveyapp.extensions import db
from tests.conftest import make_app
from tests.services import chromium_path, require

# Without these, Chromium keeps trying to reach Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from surveyapp.demo import load_demo_county

    folder = tmp_path_factory.mktemp("live")
    app = make_app("sqlite:///" + str(folder / "live.db"), folder)
    with app.app_context():
        upgrade()
        load_demo_county(db.session, seed=1, size="small")
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright", "the playwright package is not installed (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    """A page the size of a small phone (360 × 740), in Chinese."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshots(artifacts_dir: Path) -> Path:
    folder = artifacts_dir / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder
