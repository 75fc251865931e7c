"""A cadre sees their own 十条军规 quiz result after submitting, and nothing stores it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import Draft, Response
from surveyapp.questionnaire.definition import iter_items
from surveyapp.services import submissions
from surveyapp.services.quiz import quiz_scores
from tests.web.test_auth import csrf_token
from tests.web.test_public import csrf_of
from tests.web.test_waves_admin import new_wave


def quiz_items(definition: dict) -> list[dict]:
    return [item for item in iter_items(definition) if item["type"] == "quiz"]


def answer(item: dict, *, right: bool = True) -> str:
    """The correct choice of a quiz item (or its first wrong one); the first choice otherwise."""
    if item["type"] != "quiz":
        return item["choices"][0]["label"]
    return next(c["label"] for c in item["choices"] if c["correct"] is right)


def reach_last_page(client: FlaskClient, db: Any) -> tuple[str, Draft, dict]:
    """Start the self-assessment as cadre-v01 and answer every page but the last."""
    new_wave("ci-test", "cadre_integrity")
    start = client.post("/cadre/tasks/ci-test/-",
                        data={"csrf_token": csrf_token(client, "/cadre/")})
    assert start.status_code == 302
    draft_path = start.headers["Location"].rsplit("/", 1)[0]
    draft = db.session.get(Draft, int(draft_path.rsplit("/", 1)[1]))
    definition = submissions.draft_definition(draft)
    last = len(definition["sections"]) - 1
    draft.answers = {item["id"]: answer(item) for section in definition["sections"][:last]
                     for item in section["items"]}
    draft.section = last
    db.session.commit()
    return f"{draft_path}/{last}", draft, definition


def submit_last_page(client: FlaskClient, path: str, definition: dict, wrong: int) -> Any:
    """Post the last page with the first ``wrong`` quiz items answered wrongly."""
    items = definition["sections"][-1]["items"]
    form = {f"q_{item['id']}": answer(item, right=k >= wrong) for k, item in enumerate(items)}
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "action": "submit", **form})


def test_the_cadre_sees_their_quiz_result_on_the_thank_you_page(client, login_as, db):
    login_as("cadre-v01")
    path, _draft, definition = reach_last_page(client, db)
    total = len(quiz_items(definition))
    assert definition["sections"][-1]["items"][0]["type"] == "quiz"  # the quiz is the last page
    reply = submit_last_page(client, path, definition, wrong=2)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "提交成功" in page
    assert "十条军规测验" in page
    assert f"答对 {total - 2} 题，共 {total} 题" in page
    assert f"得分 {100 * (total - 2) / total:.0f} 分" in page


def test_a_double_tap_or_reload_shows_the_quiz_result_again_to_that_browser_only(
        client, app, login_as, db):
    login_as("cadre-v01")
    path, _draft, definition = reach_last_page(client, db)
    total = len(quiz_items(definition))
    submit_last_page(client, path, definition, wrong=0)
    again = client.get(path)  # the draft is gone; its receipt shows the thank-you page
    assert again.status_code == 200 and f"答对 {total} 题，共 {total} 题" in again.get_data(
        as_text=True)
    stranger = app.test_client()
    stranger.set_cookie("draft", client.get_cookie("draft", path=path.rsplit("/", 1)[0]).value,
                        path=path.rsplit("/", 1)[0])
    elsewhere = stranger.get(path).get_data(as_text=True)
    assert "提交成功" in elsewhere and "答对" not in elsewhere


def test_the_quiz_result_is_not_stored_with_the_response(client, login_as, db):
    login_as("cadre-v01")
    path, draft, definition = reach_last_page(client, db)
    draft_id = draft.id
    submit_last_page(client, path, definition, wrong=3)
    stored = db.session.scalars(sa.select(Response).order_by(Response.id.desc())).first()
    assert stored.is_anonymous and stored.respondent_person_id is None
    assert set(stored.answers) <= {item["id"] for item in iter_items(definition)}
    assert not {c for c in Response.__table__.columns.keys() if "score" in c or "quiz" in c}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)
                             .where(Draft.id == draft_id)) == 0


def test_a_quiz_is_scored_by_its_dimension_rules():
    items = [{"id": f"r{k}", "type": "quiz", "dimension": "十条军规", "scored": True,
              "required": False, "show_if": None,
              "choices": [{"label": "对", "correct": True}, {"label": "错", "correct": False}]}
             for k in range(5)]
    definition = {"sections": [{"items": items}], "scoring": {
        "dimensions": {"十条军规": {"weight": 1.0, "min_answered_share": 0.8}},
        "respondent": {"from": "dimensions", "min_answered_share": 0.5}}}
    four = quiz_scores(definition, {"r0": "对", "r1": "对", "r2": "对", "r3": "错"})
    assert [(q.dimension, q.correct, q.total, q.score) for q in four] == [("十条军规", 3, 5, 75.0)]
    three = quiz_scores(definition, {"r0": "对", "r1": "对", "r2": "对"})
    assert three[0].score is None and three[0].correct == 3  # under 80 % answered: no score
    assert quiz_scores({"sections": [{"items": []}], "scoring": {}}, {}) == ()
