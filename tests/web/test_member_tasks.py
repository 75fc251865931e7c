"""Members rate their peers (and themselves) and their village organisation."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from surveyapp.models import Recruitment
from surveyapp.services import ballots
from tests.web.test_auth import csrf_token
from tests.web.test_cadre_tasks import take
from tests.web.test_waves_admin import new_wave


def test_a_member_rates_peers_and_their_village_organisation(client: FlaskClient,
                                                            login_as: Any) -> None:
    new_wave("mp-test", "member_peer_review")
    new_wave("vo-test", "village_org_review")
    user = login_as("member-01")
    tasks = ballots.tasks_for(user)
    peers = [t for t in tasks if t.wave_code == "mp-test"]
    assert f"person:{user.person.code}" in {t.subject_key for t in peers}  # self-rating too
    assert len(peers) > 1
    assert [t.subject_key for t in tasks if t.wave_code == "vo-test"] == ["org:QY01V01"]
    home = client.get("/member/").get_data(as_text=True)
    assert "党员互评" in home and peers[1].subject_name in home
    rating = take(client, "member", "mp-test", peers[1].subject_key)
    assert rating.recruitment is Recruitment.ACCOUNT and rating.subject_person_id is not None
    review = take(client, "member", "vo-test", "org:QY01V01")
    assert review.subject_org_id == user.person.org_id
    assert take(client, "member", "vo-test", "org:QY01V01").status_code == 404


def test_member_pages_refuse_other_roles(client: FlaskClient, login_as: Any) -> None:
    new_wave("mp-test", "member_peer_review")
    login_as("cadre-t01")
    token = csrf_token(client, "/cadre/")
    assert client.post("/member/tasks/mp-test/-", data={"csrf_token": token}).status_code == 403
