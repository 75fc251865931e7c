"""Scoring one response from the parsed definition: the rules county staff configure in YAML."""

from __future__ import annotations

import pytest

from scoring.item_scores import item_score, score_response
from surveyapp.questionnaire.check import parse_questionnaire

QUESTIONNAIRE = """
id: scored
version: "1"
title: 计分
intro: 测试用。
audience: citizen
scales:
  satisfaction5:
    points:
      - {label: 很满意, score: 100}
      - {label: 满意, score: 80}
      - {label: 基本满意, score: 60}
      - {label: 不太满意, score: 30}
      - {label: 不满意, score: 0}
    missing: [不了解]
sections:
  - id: main
    title: 题目
    items:
      - {id: a1, type: likert, scale: satisfaction5, text: 甲一, dimension: 甲}
      - {id: a2, type: likert, scale: satisfaction5, text: 甲二, dimension: 甲, reverse: true}
      - {id: a3, type: likert, scale: satisfaction5, text: 甲三, dimension: 甲}
      - {id: dealt, type: single, text: 办过事吗, choices: [{label: 有}, {label: 没有}]}
      - {id: b1, type: likert, scale: satisfaction5, text: 乙一, dimension: 乙,
         show_if: dealt == "有"}
      - {id: b2, type: likert, scale: satisfaction5, text: 乙二, dimension: 乙}
      - id: k1
        type: quiz
        text: 知识
        dimension: 乙
        choices: [{label: 对, correct: true}, {label: 错}]
      - {id: grade, type: ballot, scale: satisfaction5, aspects: [德, 廉], text: 分项}
scoring:
  min_answered_share: 0.5
  dimensions:
    甲: {weight: 0.75}
    乙: {weight: 0.25, min_answered_share: 1}
"""


@pytest.fixture(scope="module")
def definition():
    return parse_questionnaire(QUESTIONNAIRE)


def item(definition, item_id):
    return next(i for s in definition["sections"] for i in s["items"] if i["id"] == item_id)


@pytest.mark.parametrize(
    ("answer", "score"),
    [("很满意", 100), ("满意", 80), ("基本满意", 60), ("不太满意", 30), ("不满意", 0)],
)
def test_a_likert_answer_scores_the_points_configured_score(definition, answer, score):
    assert item_score(item(definition, "a1"), answer) == score


@pytest.mark.parametrize(
    ("answer", "score"),
    [("很满意", 0), ("满意", 30), ("基本满意", 60), ("不太满意", 80), ("不满意", 100)],
)
def test_a_reverse_item_scores_the_mirrored_point_keeping_the_uneven_scale(
    definition, answer, score
):
    assert item_score(item(definition, "a2"), answer) == score


def test_dont_know_and_no_answer_are_missing_not_zero(definition):
    assert item_score(item(definition, "a1"), "不了解") is None
    assert item_score(item(definition, "a1"), None) is None


def test_a_quiz_scores_100_when_right_and_0_when_wrong(definition):
    assert (item_score(item(definition, "k1"), "对"), item_score(item(definition, "k1"), "错")) == (
        100,
        0,
    )


def test_a_ballot_with_aspects_scores_the_mean_of_its_graded_aspects(definition):
    assert item_score(item(definition, "grade"), {"德": "很满意", "廉": "基本满意"}) == 80


def test_an_unscored_item_has_no_score(definition):
    assert item_score(item(definition, "dealt"), "有") is None


def test_an_answer_that_is_not_a_choice_is_refused(definition):
    with pytest.raises(ValueError, match="'a1': answer '非常满意' is not one of"):
        item_score(item(definition, "a1"), "非常满意")


def test_answers_to_unknown_items_are_refused(definition):
    with pytest.raises(ValueError, match=r"unknown item ids \['zz'\]"):
        score_response(definition, {"zz": "满意"})


def test_a_dimension_is_the_mean_of_its_answered_items(definition):
    scores = score_response(definition, {"a1": "很满意", "a2": "满意", "a3": "不了解"})
    assert scores.dimensions["甲"] == pytest.approx((100 + 30) / 2)


def test_a_dimension_below_its_minimum_answered_share_has_no_score(definition):
    scores = score_response(definition, {"a1": "很满意", "a2": "不了解", "a3": "不了解"})
    assert scores.dimensions["甲"] is None


def test_items_hidden_by_show_if_leave_the_denominator(definition):
    answers = {"dealt": "没有", "b2": "满意", "k1": "对"}
    hidden = {"b1"}
    shown = [i["id"] for s in definition["sections"] for i in s["items"] if i["id"] not in hidden]
    assert score_response(definition, answers).dimensions["乙"] is None
    assert score_response(definition, answers, shown=shown).dimensions["乙"] == 90


def test_the_respondent_score_renormalises_weights_over_scored_dimensions(definition):
    full = score_response(
        definition,
        {"a1": "满意", "a2": "满意", "a3": "满意", "b1": "很满意", "b2": "很满意", "k1": "错"},
    )
    assert full.respondent == pytest.approx(0.75 * 80 / 3 * 2 + 0.75 * 30 / 3 + 0.25 * 200 / 3)
    partial = score_response(definition, {"a1": "满意"})
    assert partial.dimensions == {"甲": None, "乙": None}
    assert partial.respondent is None
    only_first = score_response(definition, {"a1": "满意", "a2": "不满意"})
    assert only_first.respondent == pytest.approx(90)
