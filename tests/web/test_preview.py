"""Admins preview any stored questionnaire version through the respondents' form templates."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from surveyapp.models import QuestionnaireVersion, Response
from tests.web.test_public import csrf_of


def test_the_version_list_links_to_a_preview_of_every_instrument(client, login_as, db,
                                                                 demo_county):
    login_as("admin")
    page = client.get("/admin/questionnaires/versions").get_data(as_text=True)
    assert "群众对党风政风认可度调查" in page
    links = re.findall(r'href="(/admin/questionnaires/\d+/preview)"', page)
    assert len(links) >= 8
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert "预览" in response.get_data(as_text=True)


def test_a_preview_checks_answers_and_stores_nothing(client, login_as, db, demo_county):
    login_as("admin")
    version = db.session.scalar(sa.select(QuestionnaireVersion.id).where(
        QuestionnaireVersion.questionnaire_id == "citizen_approval"))
    path = f"/admin/questionnaires/{version}/preview?section=0"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
    token = csrf_of(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "action": "next",
                                       "q_policy_delivery": "满意"})
    assert response.status_code == 400 and "请回答这道题" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == before


@pytest.mark.parametrize("user", ["assessor", "cadre-t01"])
def test_only_admins_preview(client, login_as, db, demo_county, user):
    login_as(user)
    assert client.get("/admin/questionnaires/versions").status_code == 403
