"""Signing in and out, and each role landing on its own home page."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import AuditEntry

ROLE_LOGINS = [
    ("admin", "demo-admin", "/admin/", "管理首页"),
    ("assessor", "demo-assessor", "/assessor/", "测评首页"),
    ("interviewer-t01", "demo-interviewer", "/interviewer/", "访问员首页"),
    ("cadre-t01", "demo-cadre", "/cadre/", "干部首页"),
    ("member-01", "demo-member", "/member/", "党员首页"),
]


def csrf_token(client: FlaskClient, path: str = "/auth/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client: FlaskClient, username: str, password: str, **kwargs: Any) -> Any:
    return client.post("/auth/login", data={
        "csrf_token": csrf_token(client), "username": username, "password": password,
    }, **kwargs)


def test_login_page_is_in_chinese(client: FlaskClient) -> None:
    page = client.get("/auth/login")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'lang="zh-CN"' in text
    assert "登录" in text and "用户名" in text and "密码" in text


def test_the_front_page_sends_visitors_to_login(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(("username", "password", "home", "heading"), ROLE_LOGINS)
def test_each_demo_role_logs_in_and_sees_the_home_page_of_its_role(
        client: FlaskClient, demo_county: Any, username: str, password: str, home: str,
        heading: str) -> None:
    response = log_in(client, username, password)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert heading in page.get_data(as_text=True)


def test_a_wrong_password_is_refused_in_chinese_and_audited(client: FlaskClient, db: Any,
                                                          demo_county: Any) -> None:
    response = log_in(client, "admin", "not-the-password")
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "login.failed", AuditEntry.username == "admin")) is not None


def test_a_login_without_csrf_token_is_refused(client: FlaskClient, demo_county: Any) -> None:
    response = client.post("/auth/login", data={"username": "admin", "password": "demo-admin"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_a_successful_login_is_audited(client: FlaskClient, db: Any, demo_county: Any) -> None:
    log_in(client, "admin", "demo-admin")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "login"))
    assert entry is not None and entry.username == "admin" and entry.user_id is not None


def test_login_follows_next_only_within_the_site(client: FlaskClient, demo_county: Any) -> None:
    inside = log_in(client, "admin", "demo-admin", query_string={"next": "/admin/"})
    assert inside.headers["Location"] == "/admin/"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    outside = log_in(client, "admin", "demo-admin",
                     query_string={"next": "https://evil.example/steal"})
    assert outside.headers["Location"] == "/admin/"


def test_logout_ends_the_session(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("path", ["/admin/", "/assessor/", "/interviewer/", "/cadre/", "/member/"])
def test_area_pages_send_anonymous_visitors_to_login(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(("username", "forbidden"), [
    ("member-01", "/admin/"), ("cadre-t01", "/assessor/"), ("assessor", "/admin/"),
    ("interviewer-t01", "/cadre/"), ("admin", "/member/"),
])
def test_a_role_cannot_open_another_roles_area(client: FlaskClient, login_as: Any,
                                               username: str, forbidden: str) -> None:
    login_as(username)
    response = client.get(forbidden)
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, demo_county: Any
                                                     ) -> None:
    response = log_in(client, "admin", "demo-admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_repeated_wrong_passwords_lock_the_username_for_a_while(client: FlaskClient,
                                                                demo_county: Any) -> None:
    for _ in range(5):
        assert log_in(client, "assessor", "guess").status_code == 400
    locked = log_in(client, "assessor", "demo-assessor")
    assert locked.status_code == 429
    assert "密码错误次数过多" in locked.get_data(as_text=True)
    assert log_in(client, "admin", "demo-admin").status_code == 302  # other accounts unaffected
