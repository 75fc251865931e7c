"""What a submitted answer set must satisfy, read from the normalised definition.

The form builder and the submission service share these rules so a page and the server
never disagree: which items are shown (``show_if`` over the answers so far), which answers
are valid, and which required items are still empty. Messages are Chinese, for respondents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import show_if
from .definition import iter_items

SINGLE_ANSWER_TYPES = ("likert", "single", "quiz", "ballot")


def shown_items(definition: dict, answers: Mapping[str, Any]) -> list[str]:
    """Ids of the items shown for ``answers``, in order.

    An item's ``show_if`` sees only the answers of items shown before it, so an answer left
    behind on an item that later became hidden cannot open a branch.
    """
    shown: list[str] = []
    visible_answers: dict[str, Any] = {}
    for item in iter_items(definition):
        condition = item["show_if"]
        if condition is None or show_if.evaluate(show_if.parse(condition), visible_answers):
            shown.append(item["id"])
            if answers.get(item["id"]) is not None:
                visible_answers[item["id"]] = answers[item["id"]]
    return shown


def clean_answers(definition: dict, answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` without empty answers and without answers to items that are not shown."""
    shown = set(shown_items(definition, answers))
    return {
        item_id: value
        for item_id, value in answers.items()
        if item_id in shown and not _is_empty(value)
    }


def answer_problems(definition: dict, answers: Mapping[str, Any]) -> dict[str, str]:
    """Item id -> Chinese message for every invalid answer or unanswered required item."""
    items = {item["id"]: item for item in iter_items(definition)}
    problems = {item_id: "问卷中没有这道题" for item_id in answers if item_id not in items}
    for item_id in shown_items(definition, answers):
        item, value = items[item_id], answers.get(item_id)
        if _is_empty(value):
            if item["required"]:
                problems[item_id] = "请回答这道题"
            continue
        message = _problem(item, value)
        if message:
            problems[item_id] = message
    return problems


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _problem(item: dict, value: Any) -> str | None:
    kind = item["type"]
    if kind == "ballot" and item["aspects"]:
        return _aspects_problem(item, value)
    if kind in SINGLE_ANSWER_TYPES:
        return None if value in _labels(item) else "请从选项中选择一项"
    if kind == "multiple":
        return _multiple_problem(item, value)
    if kind == "number":
        return _number_problem(item, value)
    if not isinstance(value, str):
        return "请填写文字"
    if len(value) > item["max_length"]:
        return f"不能超过 {item['max_length']} 个字"
    return None


def _labels(item: dict) -> list[str]:
    return [choice["label"] for choice in item["choices"]] + item.get("missing", [])


def _aspects_problem(item: dict, value: Any) -> str | None:
    if not isinstance(value, Mapping) or not set(value) <= set(item["aspects"]):
        return "请逐项选择等次"
    if any(grade not in _labels(item) for grade in value.values()):
        return "请从选项中选择等次"
    if item["required"] and set(value) != set(item["aspects"]):
        missing = "、".join(a for a in item["aspects"] if a not in value)
        return f"请为“{missing}”选择等次"
    return None


def _multiple_problem(item: dict, value: Any) -> str | None:
    if not isinstance(value, list) or len(set(value)) != len(value):
        return "请从选项中选择"
    if any(label not in _labels(item) for label in value):
        return "请从选项中选择"
    alone = [label for label in value if label in item["exclusive"]]
    if alone and len(value) > 1:
        return f"“{alone[0]}”不能与其他选项同时选择"
    if item["max_choices"] is not None and len(value) > item["max_choices"]:
        return f"最多选择 {item['max_choices']} 项"
    return None


def _number_problem(item: dict, value: Any) -> str | None:
    low, high = item["min"], item["max"]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or (item["integer"] and value != int(value)):
        wanted = "整数" if item["integer"] else "数字"
        return f"请填写 {low}–{high} 之间的{wanted}"
    if not low <= value <= high:
        return f"请填写 {low}–{high} 之间的数"
    return None
