"""The public poster link and the form runner, end to end through the test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import (
    Draft,
    Org,
    OrgKind,
    Response,
    SubmittedBrowser,
    Wave,
    WaveStatus,
)

CITIZEN_WAVE = "citizen_approval-2026-11"
CLOSED_WAVE = "citizen_approval-2025-11"

# Every required item of the citizen questionnaire, by section; the show_if branch is taken.
PAGES = [
    {
        "q_policy_delivery": "满意", "q_party_affairs_open": "很满意",
        "q_funds_transparent": "满意",
        "q_office_clean": "基本满意", "q_cadre_conduct": "满意", "q_cases_handled": "不了解",
        "q_customs_simple": "满意", "q_society_fair": "不太满意",
    },
    {"q_formalism": "很少", "q_bureaucratism": "有时", "q_hedonism": "没有遇到",
     "q_extravagance": "很少"},
    {"q_village_dealings": "有", "q_village_handling": "满意", "q_village_party_org": "满意",
     "q_township_service": "基本满意", "q_township_outreach": "满意", "q_overall_conduct": "满意"},
    {"q_age_group": "30—44岁", "q_sex": "女"},
]


def village_code(db: Any) -> str:
    return db.session.scalar(
        sa.select(Org.code).where(Org.kind == OrgKind.VILLAGE).order_by(Org.code)
    )


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def start(client: FlaskClient, link: str) -> str:
    """Press 开始答题; return the first section's path."""
    token = csrf_of(client.get(link).get_data(as_text=True))
    response = client.post(link, data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def post_page(client: FlaskClient, path: str, data: dict, action: str = "next") -> Any:
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "action": action, **data})


def answer_all(client: FlaskClient, link: str) -> Any:
    path = start(client, link)
    for data in PAGES:
        response = post_page(client, path, data, "submit" if data is PAGES[-1] else "next")
        if response.status_code == 302:
            path = response.headers["Location"]
    return response


def responses(db: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Response))


def test_a_citizen_answers_every_page_and_sees_the_thank_you(client, db, demo_county):
    link = f"/s/{CITIZEN_WAVE}/{village_code(db)}"
    before = responses(db)
    response = answer_all(client, link)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "提交成功" in page
    assert responses(db) == before + 1
    stored = db.session.scalars(sa.select(Response).order_by(Response.id.desc())).first()
    assert stored.answers["village_handling"] == "满意"
    assert stored.is_anonymous and stored.respondent_person_id is None
    assert stored.recruitment == "poster" and stored.mode == "self"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_the_start_page_is_chinese_and_makes_no_draft_until_started(client, db, demo_county):
    page = client.get(f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    assert page.status_code == 200
    assert "开始答题" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


@pytest.mark.parametrize("link", [
    "/s/no-such-wave/NOPE", f"/s/{CITIZEN_WAVE}/NOPE", "/s/no-such-wave/{village}",
])
def test_unknown_waves_and_villages_get_a_friendly_404(client, db, demo_county, link):
    response = client.get(link.format(village=village_code(db)))
    assert response.status_code == 404
    assert "没有找到这个调查" in response.get_data(as_text=True)


def test_a_township_is_not_a_village_link(client, db, demo_county):
    township = db.session.scalar(sa.select(Org.code).where(Org.kind == OrgKind.TOWNSHIP))
    assert client.get(f"/s/{CITIZEN_WAVE}/{township}").status_code == 404


def test_a_closed_wave_says_so_politely(client, db, demo_county):
    response = client.get(f"/s/{CLOSED_WAVE}/{village_code(db)}")
    assert response.status_code == 200
    assert "没有开放" in response.get_data(as_text=True)


def test_a_wave_closed_while_answering_stores_nothing(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    for data in PAGES[:-1]:
        path = post_page(client, path, data).headers["Location"]
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == CITIZEN_WAVE))
    wave.status = WaveStatus.CLOSED
    db.session.commit()
    before = responses(db)
    response = post_page(client, path, PAGES[-1], "submit")
    assert response.status_code == 200 and "没有开放" in response.get_data(as_text=True)
    assert responses(db) == before


def test_a_missing_required_answer_re_renders_with_a_chinese_message_and_400(client, db,
                                                                           demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    data = dict(PAGES[0])
    del data["q_cadre_conduct"]
    response = post_page(client, path, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请回答这道题" in page
    assert 'value="满意" checked' in page  # what was given is kept


def test_a_choice_not_on_the_list_is_refused(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    response = post_page(client, path, {**PAGES[0], "q_policy_delivery": "<script>"})
    assert response.status_code == 400
    assert "请从选项中选择一项" in response.get_data(as_text=True)


def test_a_branch_opened_on_the_page_is_shown_before_moving_on_without_javascript(
        client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    for data in PAGES[:2]:
        path = post_page(client, path, data).headers["Location"]
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'id="item-village_handling"[^>]*hidden', page)
    seen = re.search(r'name="_seen" value="([^"]*)"', page).group(1)
    data = {k: v for k, v in PAGES[2].items() if k != "q_village_handling"}
    response = post_page(client, path, {**data, "_seen": seen})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert not re.search(r'id="item-village_handling"[^>]*hidden', page)


def test_back_and_forward_keep_answers(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    second = post_page(client, path, PAGES[0]).headers["Location"]
    back = post_page(client, second, {"q_formalism": "经常"}, "back")
    assert back.status_code == 302 and back.headers["Location"] == path
    assert 'value="不太满意" checked' in client.get(path).get_data(as_text=True)
    assert 'value="经常" checked' in client.get(second).get_data(as_text=True)


def test_reopening_the_link_resumes_the_draft(client, db, demo_county):
    link = f"/s/{CITIZEN_WAVE}/{village_code(db)}"
    path = start(client, link)
    second = post_page(client, path, PAGES[0]).headers["Location"]
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == second


def test_a_page_ahead_of_the_draft_redirects_back(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    ahead = path[:-1] + "3"
    assert client.get(ahead).headers["Location"] == path


def test_a_draft_of_another_browser_or_a_bad_page_is_a_400(client, app, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    stranger = app.test_client()
    response = stranger.get(path)
    assert response.status_code == 400 and "没有找到您的答卷" in response.get_data(as_text=True)
    assert client.get(path[:-1] + "99").status_code == 400
    draft_id = int(path.split("/")[2])
    assert client.get(f"/f/{draft_id + 1}/0").status_code == 400


def test_a_post_without_csrf_token_is_refused(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    response = client.post(path, data={**PAGES[0], "action": "next"})
    assert response.status_code == 400


def test_a_double_tap_stores_once_and_shows_the_thank_you_twice(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    for data in PAGES[:-1]:
        path = post_page(client, path, data).headers["Location"]
    token = csrf_of(client.get(path).get_data(as_text=True))
    form = {"csrf_token": token, "action": "submit", **PAGES[-1]}
    before = responses(db)
    first, second = client.post(path, data=form), client.post(path, data=form)
    assert first.status_code == second.status_code == 200
    assert all("提交成功" in reply.get_data(as_text=True) for reply in (first, second))
    assert responses(db) == before + 1


def test_a_last_page_with_a_wrong_answer_stays_and_stores_nothing(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    for data in PAGES[:-1]:
        path = post_page(client, path, data).headers["Location"]
    before = responses(db)
    response = post_page(client, path, {**PAGES[-1], "q_sex": "<script>"}, "submit")
    assert response.status_code == 400
    assert "请从选项中选择一项" in response.get_data(as_text=True)
    assert responses(db) == before
    # The draft kept the earlier pages: the corrected last page completes it.
    response = post_page(client, path, PAGES[-1], "submit")
    assert "提交成功" in response.get_data(as_text=True)
    assert responses(db) == before + 1


def test_submit_pressed_on_an_earlier_page_moves_on_without_storing(client, db, demo_county):
    path = start(client, f"/s/{CITIZEN_WAVE}/{village_code(db)}")
    before = responses(db)
    response = post_page(client, path, PAGES[0], "submit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/1")
    assert responses(db) == before
    assert post_page(client, response.headers["Location"], {}, "back").status_code == 302
    assert 'value="满意" checked' in client.get(path).get_data(as_text=True)


def test_a_browser_that_answered_is_refused_politely(client, db, demo_county):
    link = f"/s/{CITIZEN_WAVE}/{village_code(db)}"
    answer_all(client, link)
    again = client.get(link)
    assert again.status_code == 200 and "已经参与过" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubmittedBrowser)) == 1


def test_citizen_response_stores_no_ip_browser_header_cookie_or_time(client, db, demo_county):
    link = f"/s/{CITIZEN_WAVE}/{village_code(db)}"
    answer_all(client, link)
    stored = db.session.scalars(sa.select(Response).order_by(Response.id.desc())).first()
    row = db.session.execute(sa.select(Response.__table__).where(Response.id == stored.id)).one()
    cookies = {cookie.value for cookie in client._cookies.values()}
    text = " ".join(str(value) for value in row)
    assert not cookies & set(re.findall(r"[\w-]{16,}", text))
    assert "127.0.0.1" not in text and "werkzeug" not in text.lower()
    columns = set(Response.__table__.columns.keys())
    assert not columns & {"ip", "ip_address", "user_agent", "cookie", "submitted_at", "user_id"}
    assert type(row.submitted_on).__name__ == "date"
    for value in row:
        assert not hasattr(value, "hour"), f"a time of day is stored: {value!r}"
