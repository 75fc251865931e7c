"""Scoring many responses at once, column by column, gives score_response's numbers exactly:
the definition is the only source of the rules, and the one-response scorer is the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from scoring.item_scores import ResponseError, exact_row_sums, score_columns, score_response
from scoring.response_table import score_rows
from surveyapp.questionnaire.answers import shown_items
from surveyapp.questionnaire.check import parse_questionnaire
from surveyapp.questionnaire.definition import iter_items
from tests.questionnaires.test_round_trip_property import COMMON, answers_for, questionnaires
from tests.questionnaires.test_round_trip_property import responses as one_response


@st.composite
def batches(draw):
    data = draw(questionnaires())
    definition = parse_questionnaire(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    answers = draw(st.lists(answers_for(definition), min_size=1, max_size=8))
    return definition, answers


def nan_for_none(value):
    return math.nan if value is None else value


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@COMMON
@given(batch=batches())
def test_column_scores_equal_score_response_for_every_response(batch):
    definition, answers = batch
    ids = [item["id"] for item in iter_items(definition)]
    shown_sets = [set(shown_items(definition, a)) for a in answers]
    shown = {i: np.array([i in s for s in shown_sets]) for i in ids}
    columns = score_columns(definition, answers, shown)
    for row, (a, visible) in enumerate(zip(answers, shown_sets, strict=True)):
        one = score_response(definition, a, visible)
        for item_id, score in one.items.items():
            assert same(columns.items[item_id][row], nan_for_none(score))
        for name, score in one.dimensions.items():
            assert same(columns.dimensions[name][row], nan_for_none(score))
        assert same(columns.respondent[row], nan_for_none(one.respondent))


@COMMON
@given(batch=batches())
def test_the_response_table_scores_each_row_as_score_response_does(batch):
    definition, answers = batch
    table = score_rows({"x": definition}, [{"instrument": "x", "answers": a} for a in answers])
    conditional = {i["id"] for i in iter_items(definition) if i["show_if"]}
    for row, a in enumerate(answers):
        shown = [
            i["id"] for i in iter_items(definition) if i["id"] not in conditional or i["id"] in a
        ]
        one = score_response(definition, a, shown)
        assert same(table["respondent"][row], nan_for_none(one.respondent))
        for name, score in one.dimensions.items():
            assert same(table[f"dim:{name}"][row], nan_for_none(score))


@COMMON
@given(response=one_response(), junk=st.sampled_from(["不存在的选项", 7, ["甲"]]))
def test_a_refused_answer_names_the_first_bad_response_with_score_responses_message(response, junk):
    definition, answers = response
    scored = [i for i in iter_items(definition) if i["scored"] and not i.get("aspects")]
    choice = [i for i in scored if i["type"] in ("likert", "single", "ballot", "quiz")]
    if not choice:
        return
    bad = {**answers, choice[0]["id"]: junk}
    with pytest.raises(ValueError) as expected:
        score_response(definition, bad)
    with pytest.raises(ResponseError) as got:
        score_columns(definition, [answers, bad, bad])
    assert got.value.position == 1
    assert str(got.value) == str(expected.value)


def test_an_unknown_item_id_is_refused_as_score_response_refuses_it():
    definition = {
        "sections": [{"items": []}],
        "scoring": {"dimensions": {}, "respondent": {"from": "items", "min_answered_share": 0}},
    }
    with pytest.raises(ResponseError, match=r"unknown item ids \['zz'\]") as got:
        score_columns(definition, [{}, {}, {"zz": "好"}])
    assert got.value.position == 2


@given(
    rows=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=1,
        max_size=20,
    )
)
def test_exact_row_sums_round_as_fsum_does(rows):
    values = np.array(rows)
    assert exact_row_sums(values).tolist() == [math.fsum(r) for r in rows]


def test_exact_row_sums_settle_ties_and_cancellation_as_fsum_does():
    rows = [[2.0**53, 1.0, 0.0], [1e16, 1.0, -1e16], [0.1, 0.2, 0.3], [1e-300, 1e300, -1e300]]
    assert exact_row_sums(np.array(rows)).tolist() == [math.fsum(r) for r in rows]
