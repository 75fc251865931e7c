"""Admin wave pages: create, open, close, progress per village, links and posters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.extensions import db
from surveyapp.models import Outcome, QuestionnaireVersion, Wave, WaveStatus
from surveyapp.services import sampling, waves
from tests.web.test_auth import csrf_token

CITIZEN = "citizen_approval-2026-11"


def new_wave(code: str = "ca-test", questionnaire_id: str = "citizen_approval",
             targets: tuple[str, ...] = ("QY01", "QY02"), *, status: WaveStatus = WaveStatus.OPEN,
             target_per_village: int | None = 40) -> Wave:
    """A wave of the demo county with no responses, sample or slips yet."""
    version = db.session.scalars(
        sa.select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.id.desc())
    ).first()
    wave = waves.create_wave(code=code, name=f"测试{code}", questionnaire_version_id=version.id,
                             target_codes=targets, starts_on=date(2026, 11, 1),
                             ends_on=date(2099, 12, 31), target_per_village=target_per_village,
                             user=None)
    if status is not WaveStatus.DRAFT:
        waves.set_status(wave, WaveStatus.OPEN, None)
    return wave


@pytest.mark.parametrize("path", ["/admin/waves", "/admin/waves/new", f"/admin/waves/{CITIZEN}",
                                  f"/admin/waves/{CITIZEN}/links.csv"])
def test_wave_pages_send_anonymous_visitors_to_login_and_refuse_other_roles(
        client: FlaskClient, login_as: Any, path: str) -> None:
    assert client.get(path).headers["Location"].startswith("/auth/login")
    login_as("assessor")
    assert client.get(path).status_code == 403


def test_the_wave_list_links_to_every_wave(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    text = client.get("/admin/waves").get_data(as_text=True)
    assert f"/admin/waves/{CITIZEN}" in text and "cadre_ballot-2025" in text


def test_an_admin_creates_opens_and_closes_a_wave(client: FlaskClient, login_as: Any,
                                                  db: Any) -> None:
    login_as("admin")
    version = db.session.scalar(sa.select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == "citizen_approval"))
    form = {"csrf_token": csrf_token(client, "/admin/waves/new"), "code": "ca-2027-05",
            "name": "2027年5月", "questionnaire": version.id, "targets": ["QY02"],
            "starts_on": "2027-05-01", "ends_on": "2027-05-31", "target_per_village": "30"}
    response = client.post("/admin/waves/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == "ca-2027-05"))
    assert wave.status is WaveStatus.DRAFT and [t.code for t in wave.targets] == ["QY02"]
    assert [v.code for v in waves.wave_villages(wave)] == ["QY02V01", "QY02V02", "QY02V03",
                                                           "QY02V04"]
    page = f"/admin/waves/{wave.code}"
    for status in ("open", "closed"):
        client.post(f"{page}/status", data={"csrf_token": csrf_token(client, page),
                                             "status": status})
        db.session.refresh(wave)
        assert wave.status.value == status
    reopen = client.post(f"{page}/status", data={"csrf_token": csrf_token(client, page),
                                                  "status": "open"})
    assert reopen.status_code == 400 and wave.status is WaveStatus.CLOSED


def test_a_wave_that_ends_before_it_starts_is_refused_in_chinese(client: FlaskClient,
                                                                 login_as: Any, db: Any) -> None:
    login_as("admin")
    version = db.session.scalar(sa.select(QuestionnaireVersion.id))
    form = {"csrf_token": csrf_token(client, "/admin/waves/new"), "code": "bad",
            "name": "x", "questionnaire": version, "targets": ["QY01"],
            "starts_on": "2027-05-31", "ends_on": "2027-05-01"}
    response = client.post("/admin/waves/new", data=form)
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Wave).where(Wave.code == "bad")) is None


def test_progress_shows_responses_targets_flags_and_interview_outcomes(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    wave = new_wave()
    sampling.draw_sample(wave, per_village=3, seed=1)
    admin = login_as("admin")
    first = sampling.drawn_households(wave)[0]
    sampling.record_outcome(wave, first.id, Outcome.REFUSED, admin)
    text = client.get(f"/admin/waves/{wave.code}").get_data(as_text=True)
    assert "玉泉社区" in text and "拒访" in text and "未接触" in text and "标记占比" in text
    rows = {r.code: r for r in waves.progress(wave)}
    assert rows[first.village_code].refused == 1 and rows[first.village_code].drawn == 3
    assert rows["QY01V01"].target == 40 and rows["QY01V01"].flagged_share is None
    assert f"/admin/waves/{wave.code}/posters/QY01V01.pdf" in text
    demo = {r.code: r for r in waves.progress(waves.get_wave(CITIZEN))}
    assert demo["QY01V01"].responses > 0 and demo["QY01V01"].flagged_share > 0


def test_the_links_csv_has_a_url_per_village(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    response = client.get(f"/admin/waves/{CITIZEN}/links.csv")
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert response.mimetype == "text/csv" and len(lines) == 8
    assert lines[1] == f"QY01V01,玉泉社区,http://127.0.0.1:5000/s/{CITIZEN}/QY01V01"


@pytest.mark.pdf
def test_a_village_poster_downloads_as_a_pdf(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    response = client.get(f"/admin/waves/{CITIZEN}/posters/QY02V01.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


@pytest.mark.parametrize("path", ["/admin/waves/nope", "/admin/waves/nope/links.csv",
                                  f"/admin/waves/{CITIZEN}/posters/QY99V99.pdf",
                                  f"/admin/waves/{CITIZEN}/calls/QY99V99.pdf"])
def test_unknown_wave_or_village_codes_get_a_chinese_404(client: FlaskClient, login_as: Any,
                                                         path: str) -> None:
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
