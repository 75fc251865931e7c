"""The submission service as the entry points call it: contexts, guards and quality flags."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from surveyapp.models import (
    Draft,
    DurationSample,
    Household,
    Invitation,
    Org,
    OrgKind,
    Outcome,
    Participation,
    Person,
    Response,
    SampledHousehold,
    SubmissionReceipt,
    Wave,
    WaveStatus,
)
from surveyapp.models.base import utcnow
from surveyapp.questionnaire.definition import iter_items
from surveyapp.services import submissions
from surveyapp.services.forms import build_section_form, field_name, read_answers, read_posted
from tests.questionnaires.test_form_round_trip_property import posted
from tests.questionnaires.test_round_trip_property import responses

FORM_APP = Flask(__name__)
FORM_APP.config.update(SECRET_KEY="tests-only", WTF_CSRF_ENABLED=False)


def wave_of(db: Any, questionnaire_id: str, *, open_it: bool = True) -> Wave:
    wave = db.session.scalars(
        sa.select(Wave).join(Wave.questionnaire_version)
        .where(Wave.code.startswith(questionnaire_id)).order_by(Wave.id.desc())
    ).first()
    if open_it:
        wave.status = WaveStatus.OPEN
        # The demo's closed annual waves already record who took part; start afresh.
        db.session.execute(sa.delete(Participation).where(Participation.wave_id == wave.id))
        db.session.commit()
    return wave


def a_village(db: Any) -> Org:
    return db.session.scalars(sa.select(Org).where(Org.kind == OrgKind.VILLAGE)
                              .order_by(Org.code)).first()


def fill(draft: Draft, db: Any, *, pick: int = 0) -> None:
    """Answer every item with its ``pick``-th choice (minimum numbers, short texts)."""
    definition = submissions.draft_definition(draft)
    answers: dict[str, Any] = {}
    for item in iter_items(definition):
        if item["type"] == "ballot" and item.get("aspects"):
            answers[item["id"]] = {a: item["choices"][pick]["label"] for a in item["aspects"]}
        elif item.get("choices"):
            label = item["choices"][min(pick, len(item["choices"]) - 1)]["label"]
            answers[item["id"]] = [label] if item["type"] == "multiple" else label
        elif item["type"] == "number":
            answers[item["id"]] = item["min"]
        else:
            answers[item["id"]] = "好"
    draft.answers = answers
    db.session.commit()


def begin(db: Any, wave: Wave, org: Org, context: dict | None = None, pick: int = 0) -> str:
    draft, key = submissions.begin_draft(wave, org, context=context)
    fill(draft, db, pick=pick)
    return key


def test_a_named_instrument_names_its_respondent_and_records_participation(db, demo_county):
    wave = wave_of(db, "secretary_selfcheck")
    village = a_village(db)
    secretary = db.session.scalars(sa.select(Person).where(Person.org_id == village.id,
                                                           Person.is_cadre)).first()
    context = {"recruitment": "account", "mode": "self", "person_id": secretary.id,
               "subject_org_id": village.id}
    response = submissions.submit(begin(db, wave, village, context))
    assert response.is_anonymous is False and response.respondent_person_id == secretary.id
    participation = db.session.scalar(sa.select(Participation).where(
        Participation.wave_id == wave.id, Participation.person_id == secretary.id))
    assert participation.subject_key == f"org:{village.code}"
    with pytest.raises(submissions.AlreadySubmitted):
        submissions.submit(begin(db, wave, village, context))


def test_an_anonymous_instrument_keeps_participation_apart_from_the_response(db, demo_county):
    wave = wave_of(db, "cadre_integrity")
    township = wave.targets[0]
    cadres = db.session.scalars(sa.select(Person).where(Person.is_cadre).limit(2)).all()
    for cadre in cadres:
        response = submissions.submit(begin(db, wave, township, {
            "recruitment": "account", "mode": "self", "person_id": cadre.id}))
        assert response.is_anonymous and response.respondent_person_id is None
    marks = db.session.execute(sa.select(Participation.id, Participation.subject_key).where(
        Participation.wave_id == wave.id,
        Participation.person_id.in_([cadre.id for cadre in cadres]))).all()
    assert [key for _, key in marks] == ["-", "-"]
    assert len({mark_id for mark_id, _ in marks}) == 2  # each mark has a key of its own


def test_a_slip_is_used_up_by_its_submission(db, demo_county):
    wave = wave_of(db, "household_rates_member")
    village = a_village(db)
    invitation = Invitation(wave_id=wave.id, token_hash="x" * 64, org_id=village.id,
                            expires_at=utcnow() + timedelta(days=3))
    db.session.add(invitation)
    db.session.commit()
    context = {"recruitment": "household_slip", "mode": "self", "invitation_id": invitation.id}
    submissions.submit(begin(db, wave, village, context))
    assert db.session.get(Invitation, invitation.id).used_at is not None
    with pytest.raises(submissions.AlreadySubmitted):
        submissions.submit(begin(db, wave, village, context))


def test_a_drawn_household_carries_its_weight_and_completes_its_outcome(db, demo_county):
    wave = wave_of(db, "citizen_approval")
    village = a_village(db)
    household = db.session.scalars(sa.select(Household).where(
        Household.village_id == village.id)).first()
    sampled = SampledHousehold(wave_id=wave.id, household_id=household.id,
                               village_id=village.id, inclusion_probability=0.08, draw_order=1)
    db.session.add(sampled)
    db.session.commit()
    response = submissions.submit(begin(db, wave, village, {
        "recruitment": "drawn_household", "mode": "phone", "weight": 12.5,
        "sampled_household_id": sampled.id}))
    assert (response.recruitment, response.mode, response.weight) == ("drawn_household", "phone",
                                                                     12.5)
    assert db.session.get(SampledHousehold, sampled.id).outcome is Outcome.COMPLETE


def test_submitting_deletes_the_draft_and_a_retry_raises_already_submitted(db, demo_county):
    wave = wave_of(db, "citizen_approval")
    key = begin(db, wave, a_village(db), {"recruitment": "poster", "mode": "self",
                                          "next_url": "/member/"})
    submissions.submit(key)
    assert submissions.find_draft(key) is None
    with pytest.raises(submissions.DraftAlreadySubmitted) as retried:
        submissions.submit(key)
    assert retried.value.next_url == "/member/"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubmissionReceipt)) == 1


def test_an_expired_draft_is_not_found(db, demo_county):
    draft, key = submissions.begin_draft(wave_of(db, "citizen_approval"), a_village(db))
    draft.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert submissions.find_draft(key) is None
    with pytest.raises(submissions.DraftNotFound):
        submissions.submit(key)


def test_incomplete_answers_are_refused_and_the_draft_kept(db, demo_county):
    draft, key = submissions.begin_draft(wave_of(db, "citizen_approval"), a_village(db))
    with pytest.raises(submissions.AnswersIncomplete) as incomplete:
        submissions.submit(key)
    assert incomplete.value.section == 0 and "policy_delivery" in incomplete.value.problems
    assert submissions.find_draft(key) is not None


def test_a_closed_wave_or_an_untargeted_org_cannot_begin(db, demo_county):
    wave = wave_of(db, "citizen_approval", open_it=False)
    closed = db.session.scalar(sa.select(Wave).where(Wave.code == "citizen_approval-2025-11"))
    with pytest.raises(submissions.WaveNotOpen):
        submissions.begin_draft(closed, a_village(db))
    county = db.session.scalar(sa.select(Org).where(Org.kind == OrgKind.COUNTY))
    with pytest.raises(submissions.UnknownWaveOrOrg):
        submissions.begin_draft(wave, county)
    with pytest.raises(ValueError):
        submissions.begin_draft(wave, a_village(db), context={"recruitment": "carrier pigeon"})


def test_save_section_keeps_valid_answers_and_reports_the_rest(db, demo_county):
    draft, key = submissions.begin_draft(wave_of(db, "citizen_approval"), a_village(db))
    errors = submissions.save_section(draft, 0, MultiDict(
        {"q_policy_delivery": "满意", "q_office_clean": "太好了"}))
    assert errors["office_clean"] == "请从选项中选择一项"
    assert errors["cadre_conduct"] == "请回答这道题"
    assert submissions.find_draft(key).answers == {"policy_delivery": "满意"}


def test_straight_lines_and_bursts_are_flagged_never_refused(app, db, demo_county, monkeypatch):
    monkeypatch.setitem(app.config, "BURST_COUNT", 3)
    wave, village = wave_of(db, "citizen_approval"), a_village(db)
    stored = [submissions.submit(begin(db, wave, village)) for _ in range(3)]
    assert [r.flag_burst for r in stored] == [False, False, True]
    assert all(r.flag_straightline for r in stored)  # every likert at its first point
    varied = submissions.submit(begin(db, wave, village, {"recruitment": "drawn_household",
                                                          "mode": "face_to_face"}, pick=1))
    assert not varied.flag_burst  # interviews are not poster bursts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
        Response.wave_id == wave.id, Response.flag_burst)) >= 1


def test_too_fast_compares_with_the_median_of_earlier_durations(app, db, demo_county,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "DURATION_MEDIAN_MAX_AGE", 0)  # read the median every time
    wave, village = wave_of(db, "citizen_approval"), a_village(db)
    db.session.add_all(DurationSample(wave_id=wave.id, seconds=300) for _ in range(10))
    db.session.commit()
    assert submissions.submit(begin(db, wave, village)).flag_too_fast
    draft, key = submissions.begin_draft(wave, village)
    fill(draft, db)
    draft.started_at = utcnow() - timedelta(minutes=6)
    db.session.commit()
    response = submissions.submit(key)
    assert not response.flag_too_fast and response.duration_bucket == "5-10m"


def test_the_median_of_durations_is_read_at_most_once_per_max_age(app, db, demo_county,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "DURATION_MEDIAN_MAX_AGE", 3600)
    app.extensions.pop("surveyapp.duration_medians", None)
    wave, village = wave_of(db, "citizen_approval"), a_village(db)
    samples = app.config.get("DURATION_SAMPLES_FOR_MEDIAN", 200)
    db.session.add_all(DurationSample(wave_id=wave.id, seconds=0) for _ in range(samples))
    db.session.commit()
    assert not submissions.submit(begin(db, wave, village)).flag_too_fast  # median 0 s
    db.session.add_all(DurationSample(wave_id=wave.id, seconds=900) for _ in range(samples))
    db.session.commit()
    assert not submissions.submit(begin(db, wave, village)).flag_too_fast  # still 0 s
    app.extensions.pop("surveyapp.duration_medians")
    assert submissions.submit(begin(db, wave, village)).flag_too_fast  # now 900 s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(response=responses(), junk=st.sampled_from(["", "  ", "abc", " 12 ", "1e3", "选项"]))
def test_the_runner_reads_a_post_exactly_as_the_section_form_would(response, junk):
    """The runner reads posted fields without building the WTForms form; same answers, same
    messages, for real answers and for junk in every field (a tampered or odd post)."""
    definition, answers = response
    with FORM_APP.test_request_context(method="POST"):
        for index, section in enumerate(definition["sections"]):
            tampered = MultiDict(posted(section, answers))
            for item in section["items"]:
                tampered.add(field_name(item["id"]), junk)
                for k in range(len(item.get("aspects") or [])):
                    tampered.add(f"{field_name(item['id'])}-a{k}", junk)
            for formdata in (posted(section, answers), tampered, MultiDict()):
                form = build_section_form(definition, index, formdata=formdata, csrf=False)
                assert read_posted(definition, index, formdata) == read_answers(
                    definition, index, form)
