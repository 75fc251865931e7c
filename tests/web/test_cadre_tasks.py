"""Cadres: the integrity self-assessment once per wave, and 民主测评 ballots kept from voters."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import Eligibility, Participation, Response
from surveyapp.services import ballots, submissions
from tests.web.test_auth import csrf_token
from tests.web.test_invite import fill
from tests.web.test_waves_admin import new_wave


def take(client: FlaskClient, area: str, wave: str, subject: str) -> Any:
    """Start a task from the home page and submit it through the shared submission service."""
    start = client.post(f"/{area}/tasks/{wave}/{subject}",
                        data={"csrf_token": csrf_token(client, f"/{area}/")})
    if start.status_code != 302:
        return start
    key = client.get_cookie("draft", path=start.headers["Location"].rsplit("/", 1)[0]).value
    fill(key)
    return submissions.submit(key)


def test_a_cadre_takes_the_self_assessment_once_per_wave(client: FlaskClient, login_as: Any,
                                                        db: Any) -> None:
    new_wave("ci-test", "cadre_integrity")
    user = login_as("cadre-v01")
    home = client.get("/cadre/").get_data(as_text=True)
    assert "廉洁用权意识自评" in home and "开始填写" in home
    response = take(client, "cadre", "ci-test", "-")
    assert response.recruitment.value == "account" and response.respondent_person_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participation).where(
        Participation.person_id == user.person_id)) >= 1
    assert "已完成" in client.get("/cadre/").get_data(as_text=True)
    assert take(client, "cadre", "ci-test", "-").status_code == 404


def test_only_eligible_cadres_get_ballots_and_a_ballot_names_no_voter(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    wave = new_wave("cb-test", "cadre_ballot", ("QY01",))
    user = login_as("cadre-t01")
    assert not [t for t in ballots.tasks_for(user) if t.wave_code == "cb-test"]
    db.session.add(Eligibility(wave_id=wave.id, person_id=user.person_id))
    db.session.commit()
    tasks = [t for t in ballots.tasks_for(user) if t.wave_code == "cb-test"]
    assert tasks and all(t.is_ballot for t in tasks)
    assert f"person:{user.person.code}" not in {t.subject_key for t in tasks}  # not oneself
    ballot = take(client, "cadre", "cb-test", tasks[0].subject_key)
    assert ballot.respondent_person_id is None and ballot.is_anonymous
    assert not {c for c in Participation.__table__.columns.keys() if "response" in c}
    assert not {c for c in Response.__table__.columns.keys() if "participation" in c}
    assert take(client, "cadre", "cb-test", tasks[0].subject_key).status_code == 404


def test_a_cadre_cannot_start_a_task_that_is_not_theirs(client: FlaskClient,
                                                        login_as: Any) -> None:
    new_wave("cb-test", "cadre_ballot", ("QY01",))
    login_as("cadre-t01")
    assert take(client, "cadre", "cb-test", "person:P000001").status_code == 404
    assert take(client, "cadre", "no-such-wave", "-").status_code == 404
