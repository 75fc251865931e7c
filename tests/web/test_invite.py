"""One-time slips: `/t/<token>` starts a household's rating of its member, and works once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from surveyapp.demo.answers import AnswerGenerator, Respondent
from surveyapp.extensions import db as _db
from surveyapp.models import Invitation, Recruitment, Response
from surveyapp.services import invitations, submissions, waves
from tests.conftest import make_app
from tests.web.test_auth import csrf_token
from tests.web.test_waves_admin import new_wave


def slips_for(code: str = "hh-test", village: str = "QY01V02") -> list[invitations.Slip]:
    wave = new_wave(code, "household_rates_member")
    return invitations.issue_slips(wave, waves.get_village(wave, village))


def path_of(slip: invitations.Slip) -> str:
    return "/t/" + slip.url.rsplit("/t/", 1)[1]


def fill(key: str) -> None:
    """Answer every item of the draft, as a household would through the form pages."""
    draft = submissions.find_draft(key)
    definition = submissions.draft_definition(draft)
    answers = AnswerGenerator(definition, 10).answer(np.random.default_rng(1), Respondent(80))
    draft.answers = answers
    _db.session.commit()


def test_opening_a_slip_names_the_member_and_spends_nothing(client: FlaskClient,
                                                           db: Any) -> None:
    slip = slips_for()[0]
    for _ in range(2):
        page = client.get(path_of(slip))
        assert page.status_code == 200
        assert slip.member_name in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(
        Invitation.used_at.is_not(None))) == 0


def test_an_unknown_token_gets_a_chinese_404(client: FlaskClient) -> None:
    response = client.get("/t/not-a-real-token")
    assert response.status_code == 404 and "链接无效" in response.get_data(as_text=True)


def test_a_slip_answer_is_stored_as_a_household_slip_rating_and_the_slip_is_spent(
        client: FlaskClient, db: Any) -> None:
    slip = slips_for()[0]
    start = client.post(path_of(slip), data={"csrf_token": csrf_token(client, path_of(slip))})
    assert start.status_code == 302 and start.headers["Location"].startswith("/f/")
    key = client.get_cookie("draft", path=start.headers["Location"].rsplit("/", 1)[0]).value
    fill(key)
    response = submissions.submit(key)
    assert response.recruitment is Recruitment.HOUSEHOLD_SLIP
    assert response.subject_person_id is not None and response.respondent_person_id is None
    again = client.get(path_of(slip))
    assert again.status_code == 410 and "已经使用过" in again.get_data(as_text=True)


def test_a_closed_wave_refuses_its_slips(client: FlaskClient, db: Any) -> None:
    slip = slips_for()[0]
    waves.set_status(waves.get_wave("hh-test"), waves.WaveStatus.CLOSED, None)
    assert client.get(path_of(slip)).status_code == 410


@pytest.fixture
def own_database(tmp_path: Path) -> Any:
    """A committed SQLite database of its own: threads need real, separate connections."""
    from surveyapp.demo import load_demo_county

    app = make_app("sqlite:///" + str(tmp_path / "slips.db"), tmp_path)
    with app.app_context():
        upgrade()
        load_demo_county(_db.session, seed=1, size="small")
        _db.session.commit()
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_a_slip_counts_once_when_two_phones_submit_at_the_same_moment(own_database: Any
                                                                       ) -> None:
    app = own_database
    with app.app_context():
        slip = slips_for()[0]
        invitation = invitations.find_invitation(path_of(slip)[3:])
        keys = []
        for _ in range(2):  # the slip opened on two phones: two drafts, one token
            village = _db.session.get(waves.Org, invitation.org_id)
            _, key = submissions.begin_draft(invitation.wave, village, context={
                "recruitment": "household_slip", "mode": "self",
                "invitation_id": invitation.id,
                "subject_person_id": invitation.subject_person_id})
            fill(key)
            keys.append(key)
        wave_id = invitation.wave_id
    barrier, outcomes = threading.Barrier(2), []

    def send(key: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                submissions.submit(key)
                outcomes.append("stored")
            except submissions.AlreadySubmitted:
                outcomes.append("refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=send, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["refused", "stored"]
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.wave_id == wave_id)) == 1
