"""Interviewers: drawn households in their scope, interviews through the same forms, outcomes."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from surveyapp.models import Mode, Outcome, Recruitment, Response, SampledHousehold
from surveyapp.services import sampling, submissions, waves
from tests.web.test_auth import csrf_token
from tests.web.test_invite import fill
from tests.web.test_waves_admin import new_wave

LIST = "/interviewer/waves/ca-test"


@pytest.fixture
def drawn(app: Any) -> list[sampling.DrawnHousehold]:
    wave = new_wave()
    sampling.draw_sample(wave, per_village=4, seed=2)
    return sampling.drawn_households(wave)


def test_an_interviewer_sees_only_the_drawn_households_in_their_scope(
        client: FlaskClient, login_as: Any, drawn: list[sampling.DrawnHousehold]) -> None:
    login_as("interviewer-t01")  # 城关街道: QY01
    text = client.get(LIST).get_data(as_text=True)
    inside = [d for d in drawn if d.village_code.startswith("QY01")]
    outside = [d for d in drawn if d.village_code.startswith("QY02")]
    assert inside and outside
    assert all(d.head_name in text for d in inside)
    assert not any(d.household_code in text for d in outside)


def test_an_interview_keeps_weight_and_mode_but_not_the_household(
        client: FlaskClient, login_as: Any, db: Any,
        drawn: list[sampling.DrawnHousehold]) -> None:
    login_as("interviewer-t01")
    household = next(d for d in drawn if d.village_code == "QY01V01")
    start = client.post(f"{LIST}/households/{household.id}/start",
                        data={"csrf_token": csrf_token(client, LIST), "mode": "phone"})
    assert start.status_code == 302 and start.headers["Location"].startswith("/f/")
    key = client.get_cookie("draft", path=start.headers["Location"].rsplit("/", 1)[0]).value
    fill(key)
    response = submissions.submit(key)
    assert response.recruitment is Recruitment.DRAWN_HOUSEHOLD and response.mode is Mode.PHONE
    assert response.weight == pytest.approx(household.weight)
    assert "household" not in " ".join(Response.__table__.columns.keys())
    assert db.session.get(SampledHousehold, household.id).outcome is Outcome.COMPLETE


def test_refusals_and_non_contacts_are_recorded_and_counted_in_progress(
        client: FlaskClient, login_as: Any, db: Any,
        drawn: list[sampling.DrawnHousehold]) -> None:
    login_as("interviewer-t01")
    first, second = [d for d in drawn if d.village_code == "QY01V02"][:2]
    for household, outcome in ((first, "refused"), (second, "non_contact")):
        result = client.post(f"{LIST}/households/{household.id}/outcome",
                             data={"csrf_token": csrf_token(client, LIST), "outcome": outcome})
        assert result.status_code == 302
    row = next(r for r in waves.progress(waves.get_wave("ca-test")) if r.code == "QY01V02")
    assert (row.refused, row.non_contact, row.pending) == (1, 1, 2)
    again = client.post(f"{LIST}/households/{first.id}/outcome",
                        data={"csrf_token": csrf_token(client, LIST), "outcome": "non_contact"})
    assert again.status_code == 400


def test_a_household_outside_the_scope_is_refused(client: FlaskClient, login_as: Any,
                                                  drawn: list[sampling.DrawnHousehold]) -> None:
    login_as("interviewer-t01")
    outside = next(d for d in drawn if d.village_code.startswith("QY02"))
    for action, field in (("start", {"mode": "phone"}), ("outcome", {"outcome": "refused"})):
        result = client.post(f"{LIST}/households/{outside.id}/{action}",
                             data={"csrf_token": csrf_token(client, LIST), **field})
        assert result.status_code == 403


def test_an_unknown_wave_is_a_chinese_404(client: FlaskClient, login_as: Any) -> None:
    login_as("interviewer-t01")
    response = client.get("/interviewer/waves/no-such-wave")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
