"""Answer rules shared by the form and the server: shown items, valid answers, required ones."""

from __future__ import annotations

import pytest

from surveyapp.questionnaire import show_if
from surveyapp.questionnaire.answers import (
    KeptDefinition,
    answer_problems,
    clean_answers,
    rules_of,
    shown_items,
)
from surveyapp.questionnaire.check import parse_questionnaire
from surveyapp.questionnaire.definition import iter_items

QUESTIONNAIRE = """
id: answers
version: "1"
title: 答案
intro: 测试用。
audience: citizen
scales:
  sat3:
    points: [{label: 满意, score: 100}, {label: 一般, score: 50}, {label: 不满意, score: 0}]
    missing: [不了解]
  grade4:
    points: [{label: 优秀}, {label: 称职}, {label: 基本称职}, {label: 不称职}]
sections:
  - id: main
    title: 题目
    items:
      - {id: dealt, type: single, text: 办过事吗, choices: [{label: 有}, {label: 没有}]}
      - {id: handled, type: likert, scale: sat3, text: 办得好吗, show_if: dealt == "有"}
      - {id: followup, type: likert, scale: sat3, text: 追问, show_if: handled == "不满意"}
      - id: styles
        type: multiple
        text: 有哪些表现
        required: false
        max_choices: 2
        choices: [{label: 拖拉}, {label: 推诿}, {label: 敷衍}, {label: 以上都没有}]
        exclusive: [以上都没有]
      - {id: age, type: number, min: 18, max: 120, integer: true, text: 年龄, required: false}
      - {id: grades, type: ballot, scale: grade4, aspects: [德, 廉], text: 分项}
      - {id: note, type: short_text, max_length: 5, text: 意见, required: false}
"""


@pytest.fixture(scope="module")
def definition():
    return parse_questionnaire(QUESTIONNAIRE)


COMPLETE = {"dealt": "没有", "grades": {"德": "优秀", "廉": "称职"}}


def test_a_follow_up_is_shown_only_when_its_condition_holds(definition):
    assert "handled" not in shown_items(definition, {"dealt": "没有"})
    assert "handled" in shown_items(definition, {"dealt": "有"})


def test_an_answer_left_on_a_hidden_item_cannot_open_a_branch(definition):
    stale = {"dealt": "没有", "handled": "不满意"}
    assert "followup" not in shown_items(definition, stale)
    assert clean_answers(definition, {**stale, "followup": "满意"}) == {"dealt": "没有"}


def test_a_complete_answer_set_has_no_problems(definition):
    assert answer_problems(definition, COMPLETE) == {}


def test_a_required_shown_item_must_be_answered_but_dont_know_is_an_answer(definition):
    answers = {**COMPLETE, "dealt": "有"}
    assert answer_problems(definition, answers) == {"handled": "请回答这道题"}
    assert answer_problems(definition, {**answers, "handled": "不了解"}) == {}


@pytest.mark.parametrize(
    ("item_id", "value", "message"),
    [
        ("dealt", "也许", "请从选项中选择一项"),
        ("dealt", ["有"], "请从选项中选择一项"),
        ("dealt", {"有": 1}, "请从选项中选择一项"),
        ("styles", ["拖拉", "以上都没有"], "“以上都没有”不能与其他选项同时选择"),
        ("styles", ["拖拉", "推诿", "敷衍"], "最多选择 2 项"),
        ("styles", ["跑调"], "请从选项中选择"),
        ("styles", [["拖拉"]], "请从选项中选择"),
        ("styles", "拖拉", "请从选项中选择"),
        ("age", 17, "请填写 18–120 之间的数"),
        ("age", 30.5, "请填写 18–120 之间的整数"),
        ("age", "三十", "请填写 18–120 之间的整数"),
        ("age", True, "请填写 18–120 之间的整数"),
        ("grades", {"德": "优秀"}, "请为“廉”选择等次"),
        ("grades", {"德": "优秀", "勤": "称职"}, "请逐项选择等次"),
        ("grades", {"德": ["优秀"], "廉": "称职"}, "请从选项中选择等次"),
        ("note", "太长了太长了", "不能超过 5 个字"),
        ("nonexistent", "是", "问卷中没有这道题"),
    ],
)
def test_invalid_answers_get_a_chinese_message(definition, item_id, value, message):
    assert answer_problems(definition, {**COMPLETE, item_id: value}) == {item_id: message}


@pytest.mark.parametrize("answers", [
    COMPLETE,
    {**COMPLETE, "dealt": "有", "handled": "不满意", "followup": "满意"},
    {"dealt": "没有", "handled": "不满意", "styles": ["拖拉", "以上都没有"], "age": 17},
    {"dealt": ["有"], "grades": {"德": ["优秀"]}, "note": 5, "nonexistent": "是"},
])
def test_a_kept_definition_checks_answers_as_the_plain_one_and_works_its_rules_out_once(
        definition, answers):
    kept = KeptDefinition(definition)
    assert shown_items(kept, answers) == shown_items(definition, answers)
    assert clean_answers(kept, answers) == clean_answers(definition, answers)
    assert answer_problems(kept, answers) == answer_problems(definition, answers)
    assert rules_of(kept) is rules_of(kept)
    assert rules_of(definition) is not rules_of(definition)  # a plain dict keeps nothing


def shown_by_walking(definition: dict, answers: dict) -> list[str]:
    """shown_items' rule, walked item by item: each show_if sees the answers of the items
    shown before it."""
    shown, visible = [], {}
    for item in iter_items(definition):
        if item["show_if"] is None or show_if.evaluate(show_if.parse(item["show_if"]), visible):
            shown.append(item["id"])
            if answers.get(item["id"]) is not None:
                visible[item["id"]] = answers[item["id"]]
    return shown


@pytest.mark.parametrize("dealt", ["有", "没有", None])
@pytest.mark.parametrize("handled", ["满意", "不满意", None])
@pytest.mark.parametrize("followup", ["满意", None])
def test_shown_items_follow_the_item_by_item_rule(definition, dealt, handled, followup):
    answers = {"dealt": dealt, "handled": handled, "followup": followup, "age": 30}
    assert shown_items(definition, answers) == shown_by_walking(definition, answers)
    assert shown_items(KeptDefinition(definition), answers) == shown_by_walking(definition,
                                                                                answers)
