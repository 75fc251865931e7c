"""Admin pages: org tree, users, counts, imports, exports and the audit log."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import AdminCount, AuditEntry, Org, User
from surveyapp.services import audit
from tests.web.test_auth import csrf_token

PAGES = ["/admin/orgs", "/admin/users", "/admin/counts", "/admin/imports", "/admin/exports",
         "/admin/audit", "/admin/exports/rosters/people.csv", "/admin/imports/template/orgs.xlsx"]


@pytest.mark.parametrize("path", PAGES)
def test_only_admins_reach_rosters_and_admin_pages(client: FlaskClient, login_as: Any,
                                                   path: str) -> None:
    login_as("assessor")
    assert client.get(path).status_code == 403
    login_as("admin")
    assert client.get(path).status_code == 200


def test_an_admin_adds_renames_and_retires_an_org_with_every_step_logged(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/orgs/new")
    client.post("/admin/orgs/new", data={"csrf_token": token, "code": "QY01V70", "name": "新村",
                                         "kind": "village", "parent": "QY01", "adults": "50"})
    client.post("/admin/orgs/QY01V70/edit", data={"csrf_token": token, "name": "更名村",
                                                  "parent": "QY01", "adults": "50"})
    client.post("/admin/orgs/QY01V70/retire", data={"csrf_token": token})
    org = db.session.scalar(sa.select(Org).where(Org.code == "QY01V70"))
    assert org.name == "更名村" and org.retired_at is not None
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.target == "QY01V70").order_by(AuditEntry.id)).all()
    assert actions == ["org.create", "org.rename", "org.retire"]


def test_a_village_cannot_be_moved_under_a_village(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/orgs/QY01V01/edit")
    response = client.post("/admin/orgs/QY01V01/edit", data={
        "csrf_token": token, "name": "x", "parent": "QY01V02"})
    assert response.status_code == 400


def test_a_post_without_csrf_token_is_refused(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    assert client.post("/admin/orgs/QY01V01/retire").status_code == 400


def test_an_admin_creates_a_user_and_resets_their_password(client: FlaskClient, login_as: Any,
                                                          db: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/users/new")
    response = client.post("/admin/users/new", data={
        "csrf_token": token, "username": "assessor-x", "display_name": "新评估员",
        "role": "assessor", "scope": "QY01", "password": "first-pass-1"})
    assert response.status_code == 302
    client.post("/admin/users/assessor-x/password",
                data={"csrf_token": token, "password": "second-pass-2"})
    user = db.session.scalar(sa.select(User).where(User.username == "assessor-x"))
    assert user.scope_org.code == "QY01" and user.check_password("second-pass-2")
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "user.reset_password"))
    assert entry.target == "assessor-x" and "second-pass-2" not in str(entry.detail)


def test_an_assessor_account_needs_a_scope(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/users/new")
    response = client.post("/admin/users/new", data={
        "csrf_token": token, "username": "assessor-y", "display_name": "无范围",
        "role": "assessor", "password": "first-pass-1"})
    assert response.status_code == 400 and "必须填写范围组织编码" in response.get_data(as_text=True)


def test_counts_are_entered_per_period(client: FlaskClient, login_as: Any, db: Any) -> None:
    login_as("admin")
    token = csrf_token(client, "/admin/counts")
    client.post("/admin/counts", data={"csrf_token": token, "org": "QY01", "period": "2026-h1",
                                       "kind": "petitions", "count": "7"})
    row = db.session.scalar(sa.select(AdminCount).where(AdminCount.period == "2026-H1"))
    assert row.count == 7
    bad = client.post("/admin/counts", data={"csrf_token": token, "org": "QY01",
                                             "period": "soon", "kind": "petitions", "count": "-1"})
    assert bad.status_code == 400


def upload(client: FlaskClient, kind: str, name: str, data: bytes) -> Any:
    token = csrf_token(client, f"/admin/imports/{kind}")
    return client.post(f"/admin/imports/{kind}", data={
        "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


@pytest.mark.parametrize("name,data", [("x.xlsx", b"\x00garbage"), ("x.exe", b"MZ"),
                                       ("x.csv", b"\xff\xfe\x00")])
def test_a_garbage_upload_gets_a_message_not_a_500(client: FlaskClient, login_as: Any,
                                                   name: str, data: bytes) -> None:
    login_as("admin")
    assert upload(client, "orgs", name, data).status_code == 400


def test_an_upload_is_previewed_then_applied(client: FlaskClient, login_as: Any,
                                             db: Any) -> None:
    login_as("admin")
    text = "组织编码,组织名称,类型,上级组织编码\nQY01V60,预览村,村,QY01\n".encode()
    preview = upload(client, "orgs", "orgs.csv", text).get_data(as_text=True)
    assert "确认导入" in preview
    assert db.session.scalar(sa.select(Org).where(Org.code == "QY01V60")) is None
    token = preview.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post("/admin/imports/orgs/apply",
                data={"csrf_token": csrf_token(client, "/admin/counts"), "token": token})
    assert db.session.scalar(sa.select(Org).where(Org.code == "QY01V60")) is not None


def test_a_preview_lists_row_errors(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    text = "组织编码,组织名称,类型,上级组织编码\nQY01V61,错村,村,NOPE\n".encode()
    response = upload(client, "orgs", "orgs.csv", text)
    assert response.status_code == 400
    assert "上级组织编码 NOPE 不存在" in response.get_data(as_text=True)


def test_the_audit_log_filters_by_action(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    client.get("/admin/exports/rosters/orgs.csv")
    text = client.get("/admin/audit?action=export.").get_data(as_text=True)
    assert "export.roster" in text and "demo.load" not in text.split("<tbody>")[1]


def test_the_audit_log_shows_chinese_details_as_text_not_escapes(client: FlaskClient,
                                                                  login_as: Any, db: Any) -> None:
    audit.record("org.rename", username="admin", target="QY01V01",
                 detail={"name": "更名村", "fields": ["组织名称", "上级组织"],
                         "before": {"name": "旧村"}})
    db.session.commit()
    login_as("admin")
    text = client.get("/admin/audit?target=QY01V01").get_data(as_text=True)
    row = text.split("<tbody>")[1]
    assert "name：更名村" in row and "fields：组织名称、上级组织" in row and "旧村" in row
    assert "\\u" not in row


def test_the_audit_query_pages_newest_first_and_filters_by_day(app: Any, db: Any) -> None:
    for n in range(audit.PAGE_SIZE + 1):
        audit.record("test.page", target=f"T{n:03d}")
    db.session.commit()
    first = audit.audit_page(audit.AuditFilter(action="test."), page=0)
    second = audit.audit_page(audit.AuditFilter(action="test."), page=1)
    assert len(first.rows) == audit.PAGE_SIZE and first.more and "test.page" in first.actions
    assert [r.target for r in second.rows] == ["T000"] and not second.more
    today = datetime.now(UTC).date()
    earlier = audit.AuditFilter(action="test.", until=today - timedelta(days=1))
    assert audit.audit_page(earlier).rows == []
