"""The demo county: deterministic, realistic in shape, and safe to load twice."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from surveyapp.demo import SIZES, CountyNotEmpty, load_demo_county, planted_effects
from surveyapp.models import (
    AdminCount,
    AuditEntry,
    Base,
    Eligibility,
    Household,
    Org,
    OrgKind,
    Outcome,
    Participation,
    Person,
    PopulationCell,
    Recruitment,
    Response,
    Role,
    SampledHousehold,
    User,
    Wave,
    WaveStatus,
)
from surveyapp.models.people import member_household


def fresh_session(tmp_path: Any, name: str) -> orm.Session:
    engine = sa.create_engine(f"sqlite:///{tmp_path / name}")
    Base.metadata.create_all(engine)
    return orm.Session(engine)


def digest(session: orm.Session) -> str:
    """A fingerprint of everything that should repeat: codes, names, sizes and answers."""
    parts = [
        session.execute(sa.select(Org.code, Org.name, Org.kind, Org.adults).order_by(Org.code)),
        session.execute(
            sa.select(Person.code, Person.name, Person.post, Person.birth_year).order_by(
                Person.code
            )
        ),
        session.execute(
            sa.select(Household.code, Household.head_name, Household.phone).order_by(Household.code)
        ),
        session.execute(sa.select(PopulationCell.adults).order_by(PopulationCell.id)),
        session.execute(
            sa.select(AdminCount.period, AdminCount.kind, AdminCount.count).order_by(AdminCount.id)
        ),
        session.execute(
            sa.select(Response.answers, Response.submitted_on, Response.weight).order_by(
                Response.id
            )
        ),
    ]
    text = json.dumps(
        [[list(row) for row in part] for part in parts],
        default=str,
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_same_seed_and_size_give_the_same_county(tmp_path: Any) -> None:
    digests = []
    for name in ("a.db", "b.db"):
        with fresh_session(tmp_path, name) as session:
            load_demo_county(session, seed=7, size="small")
            digests.append(digest(session))
    assert digests[0] == digests[1]


def test_another_seed_gives_another_county(tmp_path: Any) -> None:
    digests = []
    for seed, name in ((7, "a.db"), (8, "b.db")):
        with fresh_session(tmp_path, name) as session:
            load_demo_county(session, seed=seed, size="small")
            digests.append(digest(session))
    assert digests[0] != digests[1]


@pytest.mark.parametrize("seed, size", [(-1, "small"), (2**32, "small"), (1, "huge")])
def test_load_demo_county_rejects_a_bad_seed_or_size(tmp_path: Any, seed: int, size: str) -> None:
    with fresh_session(tmp_path, "x.db") as session, pytest.raises(ValueError, match="must be"):
        load_demo_county(session, seed=seed, size=size)


def test_load_demo_county_refuses_a_database_that_holds_organisations(db: Any) -> None:
    with pytest.raises(CountyNotEmpty, match="already holds"):
        load_demo_county(db.session, seed=1, size="small")


def test_small_county_has_a_user_of_every_role(db: Any) -> None:
    roles = set(db.session.scalars(sa.select(User.role)))
    assert roles == set(Role)


def test_small_county_has_assessors_for_the_county_and_for_a_township(db: Any) -> None:
    kinds = set(
        db.session.scalars(
            sa.select(Org.kind)
            .join(User, User.scope_org_id == Org.id)
            .where(User.role == Role.ASSESSOR)
        )
    )
    assert OrgKind.COUNTY in kinds and kinds & {OrgKind.TOWNSHIP, OrgKind.STREET}


def test_cadre_and_member_users_are_linked_to_people_of_that_kind(db: Any) -> None:
    users = db.session.scalars(sa.select(User).where(User.role.in_([Role.CADRE, Role.MEMBER])))
    for user in users:
        assert user.person is not None
        assert user.person.is_cadre if user.role is Role.CADRE else user.person.is_member


def test_small_county_has_a_village_with_fewer_than_30_adults(db: Any) -> None:
    tiny = db.session.scalars(
        sa.select(Org).where(Org.kind.in_([OrgKind.VILLAGE, OrgKind.COMMUNITY]), Org.adults < 30)
    ).all()
    assert tiny


def test_population_cells_add_up_to_each_villages_adults(db: Any) -> None:
    totals = dict(
        db.session.execute(
            sa.select(PopulationCell.org_id, sa.func.sum(PopulationCell.adults)).group_by(
                PopulationCell.org_id
            )
        ).all()
    )
    villages = db.session.scalars(
        sa.select(Org).where(Org.kind.in_([OrgKind.VILLAGE, OrgKind.COMMUNITY]))
    ).all()
    assert villages and all(totals[v.id] == v.adults for v in villages)


def test_each_village_has_population_cells_in_the_bands_the_citizen_questionnaire_rakes_on(
        db: Any) -> None:
    cells = db.session.execute(
        sa.select(PopulationCell.org_id, PopulationCell.age_group, PopulationCell.sex)
    ).all()
    per_village = Counter(org for org, _, _ in cells)
    assert set(per_village.values()) == {8}
    raking_labels = {
        item["raking"]: [choice["label"] for choice in item["choices"]]
        for item in citizen_items(db) if item.get("raking") in ("age_group", "sex")
    }
    assert {(a, s) for _, a, s in cells} == {
        (a, s) for a in raking_labels["age_group"] for s in raking_labels["sex"]
    }


def citizen_items(db: Any) -> list[dict]:
    from surveyapp.models import QuestionnaireVersion

    definition = db.session.scalars(sa.select(QuestionnaireVersion.definition).where(
        QuestionnaireVersion.audience == "citizen")).first()
    return [item for section in definition["sections"] for item in section["items"]]


def test_members_serve_five_to_ten_households_of_their_own_village(db: Any) -> None:
    rows = db.session.execute(
        sa.select(Person.id, Person.org_id, Household.village_id)
        .join(member_household, member_household.c.person_id == Person.id)
        .join(Household, Household.id == member_household.c.household_id)
    ).all()
    assert rows and all(org == village for _, org, village in rows)
    households_per_village = Counter(db.session.scalars(sa.select(Household.village_id)))
    for person, n in Counter(person for person, _, _ in rows).items():
        village = next(v for p, _, v in rows if p == person)
        assert 5 <= n <= 10 or n == households_per_village[village]


def test_household_phones_are_marked_as_invented(db: Any) -> None:
    phones = db.session.scalars(sa.select(Household.phone)).all()
    assert phones and all(p.split(" ")[1] == "0000" for p in phones)


def test_admin_counts_cover_every_township_for_two_years(db: Any) -> None:
    rows = db.session.execute(
        sa.select(AdminCount.org_id, AdminCount.period, AdminCount.kind)
    ).all()
    townships = db.session.scalars(
        sa.select(Org.id).where(Org.kind.in_([OrgKind.TOWNSHIP, OrgKind.STREET]))
    ).all()
    assert len(rows) == len(townships) * 2 * 2
    assert {p for _, p, _ in rows} == {"2024", "2025"}


@pytest.mark.parametrize("size", SIZES)
def test_planted_effects_repeat_for_the_same_seed_and_size(size: str) -> None:
    first, again = planted_effects(3, size), planted_effects(3, size)
    assert first == again
    assert first.best_villages and first.worst_villages
    assert not set(first.best_villages) & set(first.worst_villages)


def test_demo_county_fixture_reports_the_planted_truth(demo_county: Any) -> None:
    assert demo_county.effects == planted_effects(1, "small")


def test_load_if_empty_keeps_the_existing_county(runner: Any, db: Any) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "未载入" in result.output and len(result.output.strip().splitlines()) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == before


def test_load_without_if_empty_refuses_a_non_empty_database_in_one_line(runner: Any) -> None:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "--if-empty" in result.output


@pytest.mark.parametrize("args", [["--seed", "abc"], ["--seed", "-1"], ["--size", "huge"]])
def test_bad_load_options_give_one_line_and_exit_2(runner: Any, args: list[str]) -> None:
    result = runner.invoke(args=["demo", "load", *args])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_logins_lists_every_demo_account_with_its_password(runner: Any) -> None:
    result = runner.invoke(args=["demo", "logins"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].split() == ["用户名", "密码", "角色", "范围"]
    assert any(line.startswith("admin ") and "demo-admin" in line for line in lines)
    assert len(lines) == 1 + 9


def citizen_responses(db: Any) -> list[Response]:
    return [
        r
        for r in db.session.scalars(sa.select(Response).order_by(Response.id))
        if "citizen" in r.questionnaire_version.definition["audience"]
        and not r.questionnaire_version.definition.get("subject")
    ]


def mean_rating(response: Response) -> float | None:
    """Mean score of the response's answers to scored likert items, read from its definition."""
    scores = []
    for section in response.questionnaire_version.definition["sections"]:
        for item in section["items"]:
            if item["type"] != "likert":
                continue
            points = {c["label"]: c["score"] for c in item["choices"]}
            score = points.get(response.answers.get(item["id"]))
            if score is not None:
                scores.append(100 - score if item.get("reverse") else score)
    return sum(scores) / len(scores) if scores else None


def test_every_stored_instrument_gets_demo_responses(demo_county: Any) -> None:
    assert demo_county.instruments and demo_county.unused_instruments == ()
    assert demo_county.responses > 0


def test_citizen_survey_has_a_closed_baseline_and_an_open_second_wave(db: Any) -> None:
    waves = {r.wave_id for r in citizen_responses(db)}
    statuses = sorted(db.session.scalars(sa.select(Wave.status).where(Wave.id.in_(waves))))
    assert statuses == [WaveStatus.CLOSED, WaveStatus.OPEN]


def test_citizen_responses_are_anonymous_and_recruited_by_poster_or_drawn_household(
    db: Any,
) -> None:
    responses = citizen_responses(db)
    assert responses
    for r in responses:
        assert r.is_anonymous and r.respondent_person_id is None
        assert r.recruitment in (Recruitment.POSTER, Recruitment.DRAWN_HOUSEHOLD)
        assert (r.weight is not None) == (r.recruitment is Recruitment.DRAWN_HOUSEHOLD)
        assert r.duration_bucket is not None


def test_some_citizen_responses_are_flagged_too_fast_or_straight_line(db: Any) -> None:
    responses = citizen_responses(db)
    assert any(r.flag_too_fast for r in responses)
    assert any(r.flag_straightline for r in responses)
    assert any(r.flag_burst for r in responses)


def test_planted_best_village_rates_higher_than_the_planted_worst(
    db: Any, demo_county: Any
) -> None:
    codes = dict(db.session.execute(sa.select(Org.id, Org.code)).all())
    by_village: dict[str, list[float]] = {}
    for r in citizen_responses(db):
        score = mean_rating(r)
        if score is not None and not (r.flag_too_fast or r.flag_straightline):
            by_village.setdefault(codes[r.org_id], []).append(score)

    def mean(code: str) -> float:
        return sum(by_village[code]) / len(by_village[code])

    effects = demo_county.effects
    best = min(mean(code) for code in effects.best_villages)
    worst = max(mean(code) for code in effects.worst_villages)
    assert best > worst + 10


def test_tiny_samples_get_only_a_handful_of_citizen_responses(db: Any, demo_county: Any) -> None:
    codes = dict(db.session.execute(sa.select(Org.id, Org.code)).all())
    counts = Counter((r.wave_id, codes[r.org_id]) for r in citizen_responses(db))
    for (_, code), n in counts.items():
        if code in demo_county.effects.tiny_samples:
            assert n < 10


def test_planted_prints_the_truth_as_json(runner: Any) -> None:
    result = runner.invoke(args=["demo", "planted", "--seed", "1", "--size", "small"])
    assert result.exit_code == 0
    truth = planted_effects(1, "small").to_dict()
    as_json = {k: list(v) if isinstance(v, tuple) else v for k, v in truth.items()}
    assert json.loads(result.output) == as_json


def test_loading_the_demo_county_is_recorded_in_the_audit_log(db: Any) -> None:
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "demo.load"))
    assert entry is not None and entry.detail == {"seed": 1, "size": "small"}


def test_the_demo_county_is_the_same_on_every_database(db: Any, tmp_path: Any) -> None:
    with fresh_session(tmp_path, "reference.db") as session:
        load_demo_county(session, seed=1, size="small")
        reference = digest(session)
    assert digest(db.session) == reference


def test_demo_answers_skip_every_item_whose_show_if_is_false(db: Any) -> None:
    from surveyapp.questionnaire import show_if
    from surveyapp.questionnaire.definition import iter_items

    checked = 0
    for r in db.session.scalars(sa.select(Response)):
        for item in iter_items(r.questionnaire_version.definition):
            if item["show_if"] and item["id"] in r.answers:
                assert show_if.evaluate(show_if.parse(item["show_if"]), r.answers)
                checked += 1
    assert checked


def test_only_named_instruments_store_who_answered(db: Any) -> None:
    for r in db.session.scalars(sa.select(Response)):
        named = not r.questionnaire_version.definition.get("anonymous", True)
        assert r.is_anonymous is not named
        assert (r.respondent_person_id is not None) is named


def test_drawn_household_weights_are_the_inverse_of_their_inclusion_probability(db: Any) -> None:
    probabilities = set(db.session.scalars(sa.select(SampledHousehold.inclusion_probability)))
    weights = {
        r.weight for r in citizen_responses(db) if r.recruitment is Recruitment.DRAWN_HOUSEHOLD
    }
    inverses = sorted(1 / p for p in probabilities)
    assert weights and all(
        w == pytest.approx(min(inverses, key=lambda x: abs(x - w))) for w in weights
    )


def test_completed_interviews_match_the_drawn_household_responses(db: Any) -> None:
    completes = Counter(
        db.session.execute(
            sa.select(SampledHousehold.wave_id, SampledHousehold.village_id).where(
                SampledHousehold.outcome == Outcome.COMPLETE
            )
        ).all()
    )
    drawn = Counter(
        (r.wave_id, r.org_id)
        for r in citizen_responses(db)
        if r.recruitment is Recruitment.DRAWN_HOUSEHOLD
    )
    assert completes == drawn


def test_only_the_open_wave_has_households_still_to_visit(db: Any) -> None:
    pending = set(
        db.session.scalars(
            sa.select(Wave.status)
            .join(SampledHousehold, SampledHousehold.wave_id == Wave.id)
            .where(SampledHousehold.outcome == Outcome.PENDING)
        )
    )
    assert pending == {WaveStatus.OPEN}


def test_who_answered_is_recorded_apart_for_every_account_response(db: Any) -> None:
    by_account = Counter(
        db.session.scalars(
            sa.select(Response.wave_id).where(Response.recruitment == Recruitment.ACCOUNT)
        )
    )
    taken_part = Counter(db.session.scalars(sa.select(Participation.wave_id)))
    assert by_account and by_account == taken_part
    for wave_id in taken_part:
        voters = set(
            db.session.scalars(
                sa.select(Participation.person_id).where(Participation.wave_id == wave_id)
            )
        )
        eligible = set(
            db.session.scalars(
                sa.select(Eligibility.person_id).where(Eligibility.wave_id == wave_id)
            )
        )
        assert voters <= eligible
