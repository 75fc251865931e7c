"""Error pages, language and what the role home pages show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from surveyapp.extensions import db as _db
from tests.conftest import make_app
from tests.web.test_auth import csrf_token


def test_an_unknown_page_gets_a_404_page_in_chinese(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_a_chinese_500_page_without_a_traceback(tmp_path: Path
                                                                         ) -> None:
    app = make_app("sqlite:///" + str(tmp_path / "e.db"), tmp_path, TESTING=False)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("internal detail that must not leak")

    response = app.test_client().get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出错" in text
    assert "Traceback" not in text and "internal detail" not in text
    with app.app_context():
        _db.engine.dispose()


def test_the_interface_switches_to_english_and_back(client: FlaskClient) -> None:
    token = csrf_token(client)
    client.post("/lang/en", data={"csrf_token": token, "next": "/auth/login"})
    english = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="en"' in english and "Username" in english
    client.post("/lang/zh_CN", data={"csrf_token": csrf_token(client), "next": "/auth/login"})
    assert "用户名" in client.get("/auth/login").get_data(as_text=True)


def test_an_unknown_language_is_a_404(client: FlaskClient) -> None:
    assert client.post("/lang/xx", data={"csrf_token": csrf_token(client)}).status_code == 404


def test_admin_home_shows_the_county_in_numbers_and_the_waves(client: FlaskClient,
                                                              login_as: Any) -> None:
    login_as("admin")
    text = client.get("/admin/").get_data(as_text=True)
    assert "乡镇（街道）" in text and "村（社区）" in text and "调查轮次" in text
    assert "最近操作记录" in text


def test_a_township_assessor_sees_only_their_township(client: FlaskClient, login_as: Any,
                                                      demo_county: Any, db: Any) -> None:
    import sqlalchemy as sa

    from surveyapp.models import Org, OrgKind

    user = login_as("assessor-t01")
    text = client.get("/assessor/").get_data(as_text=True)
    assert user.scope_org.name in text
    other_townships = db.session.scalars(sa.select(Org).where(
        Org.kind.in_([OrgKind.TOWNSHIP, OrgKind.STREET]), Org.id != user.scope_org_id)).all()
    assert other_townships
    for township in other_townships:
        assert township.name not in text


def test_a_member_home_shows_their_branch_and_households_served(client: FlaskClient,
                                                                login_as: Any) -> None:
    user = login_as("member-01")
    text = client.get("/member/").get_data(as_text=True)
    assert user.person.name in text and "联系户数" in text


def test_pages_load_no_asset_from_another_host(client: FlaskClient) -> None:
    text = client.get("/auth/login").get_data(as_text=True)
    assert "http://" not in text and "https://" not in text and "//cdn" not in text
