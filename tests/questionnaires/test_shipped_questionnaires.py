"""The files in questionnaires/: what the issue asks of each instrument and of indices.yaml."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from surveyapp.questionnaire.check import DEFAULT_DIR, check_paths
from surveyapp.questionnaire.definition import iter_items

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped():
    result = check_paths([DEFAULT_DIR])
    assert result.ok, "\n".join(map(str, result.unreadable + result.problems))
    return {definition["id"]: definition for definition in result.definitions.values()}


def items(definition):
    return {item["id"]: item for item in iter_items(definition)}


def test_every_instrument_the_issue_names_is_shipped(shipped):
    assert set(shipped) == {
        "citizen_approval",
        "cadre_integrity",
        "member_peer_review",
        "household_rates_member",
        "village_org_review",
        "township_service_review",
        "cadre_ballot",
        "secretary_selfcheck",
        "indices",
    }


def test_the_citizen_survey_is_anonymous_short_and_has_a_show_if_branch(shipped):
    citizen = shipped["citizen_approval"]
    assert citizen["anonymous"] is True
    assert len(items(citizen)) <= 25
    assert citizen["estimated_minutes"] <= 5
    assert any(item["show_if"] for item in iter_items(citizen))


def test_the_citizen_survey_scores_the_four_clean_dimensions(shipped):
    dimensions = shipped["citizen_approval"]["scoring"]["dimensions"]
    assert {"政治清明", "政府清廉", "干部清正", "社会清朗"} <= set(dimensions)


def test_the_citizen_survey_tags_its_raking_margins(shipped):
    margins = {
        item["raking"] for item in iter_items(shipped["citizen_approval"]) if item.get("raking")
    }
    assert {"age_group", "sex", "resident_type"} == margins


def test_the_citizen_comment_warns_against_names_and_phone_numbers(shipped):
    comment = items(shipped["citizen_approval"])["comment"]
    assert comment["type"] == "long_text" and comment["required"] is False
    assert "姓名" in comment["help"] and "电话" in comment["help"]


def test_dont_know_is_a_missing_answer_on_every_citizen_satisfaction_item(shipped):
    for item in iter_items(shipped["citizen_approval"]):
        if item.get("scale") == "satisfaction5":
            assert item["missing"] == ["不了解"]


def test_the_cadre_instrument_has_the_three_dimensions_seven_accounts_and_a_ten_item_quiz(shipped):
    cadre = shipped["cadre_integrity"]
    assert {"不敢腐", "不能腐", "不想腐"} <= set(cadre["scoring"]["dimensions"])
    accounts = [i for i in iter_items(cadre) if i["id"].startswith("account_")]
    assert len(accounts) == 7 and {i["dimension"] for i in accounts} == {"不想腐"}
    quiz = [i for i in iter_items(cadre) if i["type"] == "quiz"]
    assert len(quiz) == 10
    assert all(sum(c["correct"] for c in i["choices"]) == 1 for i in quiz)


def test_the_ballot_grades_each_aspect_and_overall(shipped):
    ballot = items(shipped["cadre_ballot"])
    assert ballot["aspect_grades"]["aspects"] == ["德", "能", "勤", "绩", "廉"]
    assert [c["label"] for c in ballot["overall_grade"]["choices"]] == [
        "优秀",
        "称职",
        "基本称职",
        "不称职",
    ]


def test_index_weights_follow_the_demo_county_defaults(shipped):
    indices = shipped["indices"]["indices"]
    weights = {
        name: {c["id"]: c["weight"] for c in index["components"]} for name, index in indices.items()
    }
    assert weights["pioneer"] == {
        "organisation_points": 0.40,
        "linked_households": 0.30,
        "peers": 0.20,
        "self": 0.10,
    }
    assert weights["fortress"] == {
        "organisation_checklist": 0.40,
        "residents": 0.30,
        "members": 0.15,
        "member_pioneer_mean": 0.15,
    }
    assert weights["service"] == {
        "residents_on_township": 0.40,
        "village_secretaries": 0.30,
        "village_fortress_mean": 0.30,
    }


def test_bands_have_closed_lower_bounds_listed_from_the_top(shipped):
    stars = shipped["indices"]["bands"]["stars"]["grades"]
    assert [(g["label"], g["min"], g["max"]) for g in stars] == [
        ("五星", 90, 100),
        ("四星", 80, 90),
        ("三星", 70, 80),
        ("二星", 60, 70),
        ("一星", 0, 60),
    ]


def test_ballot_thresholds_stay_exact_fractions(shipped):
    ballot = shipped["indices"]["ballots"]["cadre_review"]
    assert ballot["quorum"] == "2/3"
    assert ballot["flags"][0] == {"grade": "不称职", "share_at_least": "1/3", "flag": "需组织考察"}


def test_minimum_respondents_follow_the_demo_county_defaults(shipped):
    indices = shipped["indices"]["indices"]
    minimum = {
        (name, c["id"]): c["min_respondents"]
        for name, index in indices.items()
        for c in index["components"]
    }
    assert indices["approval"]["min_respondents"] == 30
    assert minimum[("pioneer", "peers")] == 5
    assert minimum[("fortress", "members")] == 15


def test_every_definition_is_plain_json_that_round_trips(shipped):
    for definition in shipped.values():
        assert json.loads(json.dumps(definition, ensure_ascii=False)) == definition


def quoted_identifiers_in_our_python_code() -> set[str]:
    code = "".join(
        path.read_text(encoding="utf-8")
        for package in ("surveyapp", "scoring")
        for path in (REPO / package).rglob("*.py")
    )
    return set(re.findall(r"""["']([a-z][a-z0-9_]*)["']""", code))


def test_no_item_id_of_a_shipped_file_is_written_in_our_python_code(shipped):
    items = [
        item for d in shipped.values() if d["kind"] == "questionnaire" for item in iter_items(d)
    ]
    # A raking tag names a column of the population table (age_group, sex), which code may
    # name; an item that carries the tag may share its name without the code knowing the item.
    population_columns = {item["raking"] for item in items if item.get("raking")}
    ids = {item["id"] for item in items} - population_columns
    assert ids & quoted_identifiers_in_our_python_code() == set()


# One-word ids that are also ordinary words of the code: 'self' is a value of the schema's
# `raters`, 'members' a team's or an organisation's members.
ORDINARY_WORDS = {"self", "members"}


def test_no_component_or_breakdown_id_of_indices_yaml_is_written_in_our_python_code(shipped):
    # Which component supplies what is declared in the file (e.g. `rises`), so the code never
    # picks a component out by its id.
    (indices,) = [d for d in shipped.values() if d["kind"] == "indices"]
    ids = {
        part["id"]
        for index in indices["indices"].values()
        for part in (*index["components"], *index["breakdowns"])
    }
    assert (ids - ORDINARY_WORDS) & quoted_identifiers_in_our_python_code() == set()


def test_an_item_text_does_not_say_optional_itself(shipped):
    """The form marks an item that is not required with （选填）; a text saying it as well
    showed it twice."""
    said = [(qid, item["id"]) for qid, definition in shipped.items() if "sections" in definition
            for item in iter_items(definition) if "选填" in item["text"]]
    assert said == []
