"""The show_if language: parsed by hand into an AST, evaluated over answers, never eval'd."""

from __future__ import annotations

import pytest

from surveyapp.questionnaire.show_if import (
    And,
    Compare,
    Contains,
    In,
    Not,
    Or,
    ShowIfError,
    check,
    evaluate,
    parse,
)


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    assert parse('a == "是" or not b == 1 and c != "否"') == Or(
        (Compare("a", "==", "是"), And((Not(Compare("b", "==", 1)), Compare("c", "!=", "否"))))
    )


def test_parentheses_group():
    assert parse("(a == 1 or b == 2) and c >= 3.5") == And(
        (Or((Compare("a", "==", 1), Compare("b", "==", 2))), Compare("c", ">=", 3.5))
    )


def test_in_not_in_and_contains():
    assert parse("q5 in ['满意', \"很满意\"]") == In("q5", ("满意", "很满意"))
    assert parse("q5 not in [1, 2]") == In("q5", (1, 2), negated=True)
    assert parse('q6 contains "办事拖拉"') == Contains("q6", "办事拖拉")


def test_chinese_curly_quotes_are_accepted_because_phones_type_them():
    assert parse("q3 == “是”") == Compare("q3", "==", "是")


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('true')",
        "q1.__class__ == 1",
        "q1 == q2",
        "q1 == 'a' and",
        "q1 = 'a'",
        "(q1 == 1",
        "q1 in []",
        "",
        "q1 == 1 q2 == 2",
    ],
)
def test_anything_outside_the_grammar_is_a_syntax_error_not_code(source):
    with pytest.raises(ShowIfError):
        parse(source)


def test_syntax_errors_name_the_column():
    with pytest.raises(ShowIfError, match="第 4 个字符处应为比较符号"):
        parse("q1 = 'a'")


@pytest.mark.parametrize(
    ("source", "answers", "shown"),
    [
        ('q3 == "是"', {"q3": "是"}, True),
        ('q3 == "是"', {"q3": "否"}, False),
        ('q3 != "是"', {"q3": "否"}, True),
        ("q7 >= 3", {"q7": 3}, True),
        ("q7 < 3", {"q7": 3}, False),
        ('q5 in ["满意", "很满意"]', {"q5": "很满意"}, True),
        ('q5 not in ["满意", "很满意"]', {"q5": "不满意"}, True),
        ('q6 contains "甲"', {"q6": ["乙", "甲"]}, True),
        ('q6 contains "丙"', {"q6": ["乙", "甲"]}, False),
        ('q3 == "是" and q7 > 1', {"q3": "是", "q7": 1}, False),
        ('q3 == "是" or q7 > 1', {"q3": "否", "q7": 2}, True),
    ],
)
def test_evaluate(source, answers, shown):
    assert evaluate(parse(source), answers) is shown


@pytest.mark.parametrize("source", ['q3 == "是"', 'q3 != "是"', "q7 >= 3", 'q3 in ["是"]'])
def test_a_condition_on_an_unanswered_item_is_false_whatever_the_operator(source):
    assert evaluate(parse(source), {}) is False
    assert evaluate(parse(source), {"q3": None, "q7": None}) is False
    assert evaluate(parse(f"not ({source})"), {}) is True


ITEMS = {
    "yes": {
        "id": "yes",
        "type": "single",
        "choices": [{"label": "是"}, {"label": "否"}],
        "missing": [],
    },
    "sat": {
        "id": "sat",
        "type": "likert",
        "choices": [{"label": "满意"}, {"label": "不满意"}],
        "missing": ["不了解"],
    },
    "many": {
        "id": "many",
        "type": "multiple",
        "choices": [{"label": "甲"}, {"label": "乙"}],
        "missing": [],
    },
    "n": {"id": "n", "type": "number", "min": 0, "max": 10},
    "words": {"id": "words", "type": "short_text"},
    "grades": {"id": "grades", "type": "ballot", "aspects": ["德"], "choices": [], "missing": []},
}


@pytest.mark.parametrize(
    ("source", "problems"),
    [
        ('yes == "是" and sat in ["满意", "不了解"]', []),
        ('many contains "乙"', []),
        ("n >= 3 and n != 10", []),
        ('words == "无"', []),
        ('later == "是"', ["show_if 引用了后面的题目 'later'"]),
        ('this == "是"', ["show_if 引用了本题 'this'"]),
        ('nobody == "是"', ["show_if 引用了不存在的题目 'nobody'"]),
        ("sat >= 3", ["show_if 中 likert 题 'sat' 不能用 '>=' 比较大小"]),
        ("yes == 1", ["show_if 中 single 题 'yes' 不能与数字 1 比较"]),
        ('yes == "对"', ["show_if 中 '对' 不是题目 'yes' 的选项"]),
        ('many == "甲"', ["show_if 中多选题 'many' 只能用 contains 判断"]),
        ('yes contains "是"', ["show_if 中 contains 只能用于多选题，'yes' 是 single 题"]),
        ('n == "三"', ["show_if 中数字题 'n' 不能与文字 '三' 比较"]),
        ("n in [5, 11]", ["show_if 中 11 超出题目 'n' 的范围 0–10"]),
        ('grades == "优秀"', ["show_if 不能引用分项测评题 'grades'"]),
    ],
)
def test_check_knows_each_items_type_and_choices(source, problems):
    assert check(parse(source), "this", ITEMS, {"this", "later"}) == problems
