"""Admin page for points, veto events and exemptions, one organisation at a time."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import AuditEntry, Exemption, Person, PointsEntry, VetoEvent

VILLAGE = "QY01V02"


def token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="veto-csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post(client: FlaskClient, what: str, prefix: str, fields: dict[str, str],
         code: str = VILLAGE) -> Any:
    data = {f"{prefix}-{k}": v for k, v in fields.items()}
    data[f"{prefix}-csrf_token"] = token(client, f"/admin/records/{code}")
    return client.post(f"/admin/records/{code}/{what}", data=data)


@pytest.fixture
def member(db: Any) -> Person:
    """A member of the village under 65 with no demo veto of their own."""
    return db.session.scalar(sa.select(Person).where(
        Person.is_member, Person.org.has(code=VILLAGE), Person.birth_year > 1960,
        ~sa.exists().where(VetoEvent.person_id == Person.id))
        .order_by(Person.code.desc()))


@pytest.mark.parametrize("path", ["/admin/records", f"/admin/records/{VILLAGE}"])
def test_only_admins_reach_the_records_pages(client: FlaskClient, login_as: Any,
                                             path: str) -> None:
    login_as("assessor")
    assert client.get(path).status_code == 403
    login_as("admin")
    assert client.get(path).status_code == 200


def test_an_unknown_org_is_not_found(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    assert client.get("/admin/records/NOPE").status_code == 404


def test_an_admin_records_a_veto_points_and_an_exemption_each_audit_logged(
        client: FlaskClient, login_as: Any, db: Any, member: Person) -> None:
    login_as("admin")
    village = post(client, "vetoes", "veto", {"unit": "__org__", "event": "村级财务严重违规",
                                              "occurred_on": "2025-08-01", "note": "审计发现"})
    zeroed = post(client, "vetoes", "veto", {"unit": member.code, "event": "违法犯罪",
                                             "occurred_on": "2025-09-01"})
    points = post(client, "points", "points", {"person": member.code, "period": "2025-q4",
                                               "kind": "bonus", "points": "2.5",
                                               "reason": "带头调解"})
    exempt = post(client, "exemptions", "exemption", {"person": member.code,
                                                      "reason": "abroad_over_6_months",
                                                      "starts_on": "2025-01-01"})
    assert [r.status_code for r in (village, zeroed, points, exempt)] == [302] * 4
    assert db.session.scalar(sa.select(PointsEntry.points).where(
        PointsEntry.person_id == member.id, PointsEntry.period == "2025-Q4",
        PointsEntry.reason == "带头调解")) == 2.5
    assert db.session.scalar(sa.select(Exemption.reason).where(
        Exemption.person_id == member.id)) == "abroad_over_6_months"
    assert db.session.scalar(sa.select(VetoEvent.event).where(
        VetoEvent.person_id == member.id)) == "违法犯罪"
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target.in_(
        [VILLAGE, member.code])).order_by(AuditEntry.id)).all()
    assert actions == ["veto.add", "veto.add", "points.set", "exemption.set"]
    page = client.get(f"/admin/records/{VILLAGE}").get_data(as_text=True)
    assert "审计发现" in page and "带头调解" in page and "出国（境）6 个月以上" in page


def test_a_village_event_for_a_member_is_refused_in_chinese(
        client: FlaskClient, login_as: Any, db: Any, member: Person) -> None:
    login_as("admin")
    refused = post(client, "vetoes", "veto", {"unit": member.code, "event": "村级财务严重违规",
                                              "occurred_on": "2025-08-01"})
    assert refused.status_code == 400
    assert "不是指数定义中党员的清零事项" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(VetoEvent).where(VetoEvent.person_id == member.id)) is None


def test_an_event_not_in_the_indices_definition_is_not_a_choice(
        client: FlaskClient, login_as: Any, member: Person) -> None:
    login_as("admin")
    refused = post(client, "vetoes", "veto", {"unit": member.code, "event": "被约谈",
                                              "occurred_on": "2025-08-01"})
    assert refused.status_code == 400 and "请从列表中选择" in refused.get_data(as_text=True)


def test_bad_points_and_an_exemption_ending_before_it_starts_are_refused(
        client: FlaskClient, login_as: Any, member: Person) -> None:
    login_as("admin")
    points = post(client, "points", "points", {"person": member.code, "period": "soon",
                                               "kind": "bonus", "points": "2", "reason": "x"})
    exempt = post(client, "exemptions", "exemption", {"person": member.code,
                                                      "reason": "bedridden",
                                                      "starts_on": "2025-06-01",
                                                      "ends_on": "2025-01-01"})
    assert points.status_code == 400 and "期间无效" in points.get_data(as_text=True)
    assert exempt.status_code == 400 and "结束日期早于开始日期" in exempt.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client: FlaskClient, login_as: Any,
                                              member: Person, db: Any) -> None:
    login_as("admin")
    response = client.post(f"/admin/records/{VILLAGE}/vetoes", data={
        "veto-unit": member.code, "veto-event": "违法犯罪", "veto-occurred_on": "2025-08-01"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(VetoEvent).where(VetoEvent.person_id == member.id)) is None
