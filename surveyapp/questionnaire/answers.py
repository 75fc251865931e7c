"""What a submitted answer set must satisfy, read from the normalised definition.

The form builder and the submission service share these rules so a page and the server
never disagree: which items are shown (``show_if`` over the answers so far), which answers
are valid, and which required items are still empty. Messages are Chinese, for respondents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import show_if
from .definition import iter_items

SINGLE_ANSWER_TYPES = ("likert", "single", "quiz", "ballot")
LABELLED_TYPES = (*SINGLE_ANSWER_TYPES, "multiple")


@dataclass(frozen=True, slots=True)
class Rules:
    """What checking answers reads of a definition, worked out from it once: every page and
    submission asks several times which items are shown and whether each answer is one of its
    labels, and walking the definition for that each time cost about a tenth of the
    instructions of a final submission (callgrind, bench database)."""

    items: dict[str, dict]  # item id -> item, in order
    steps: tuple[Step, ...]  # every item, in order, as ``shown_items`` walks them
    labels: dict[str, frozenset[str]]  # item id -> its choice and "don't know" labels
    likert_positions: dict[str, dict[str, int]]  # likert item id -> choice label -> position
    quiz_ids: frozenset[str]  # quiz items that count towards a dimension

    @classmethod
    def of(cls, definition: Mapping[str, Any]) -> Rules:
        items = {item["id"]: item for item in iter_items(definition)}
        return cls(
            items=items,
            steps=Step.all_of(items),
            labels={item_id: frozenset(_labels(item)) for item_id, item in items.items()
                    if item["type"] in LABELLED_TYPES},
            likert_positions={item_id: {choice["label"]: position
                                        for position, choice in enumerate(item["choices"])}
                              for item_id, item in items.items() if item["type"] == "likert"},
            quiz_ids=frozenset(item_id for item_id, item in items.items()
                               if item["type"] == "quiz" and item["dimension"]),
        )


@dataclass(frozen=True, slots=True)
class Step:
    """Items that are shown or hidden together: a run of items without ``show_if``, or one
    item with its parsed ``show_if``."""

    condition: show_if.Node | None
    ids: tuple[str, ...]
    read: tuple[str, ...]  # those of ``ids`` whose answers a later ``show_if`` reads

    @classmethod
    def all_of(cls, items: dict[str, dict]) -> tuple[Step, ...]:
        conditions = {item_id: show_if.parse(item["show_if"])
                      for item_id, item in items.items() if item["show_if"]}
        read = {condition.item for node in conditions.values()
                for condition in show_if.conditions(node)}
        steps: list[Step] = []
        run: list[str] = []
        for item_id in [*items, None]:  # None closes the last run
            if item_id is not None and item_id not in conditions:
                run.append(item_id)
                continue
            if run:
                steps.append(cls(None, tuple(run), tuple(i for i in run if i in read)))
                run = []
            if item_id is not None:
                steps.append(cls(conditions[item_id], (item_id,),
                                 (item_id,) if item_id in read else ()))
        return tuple(steps)


class KeptDefinition(dict):
    """A normalised definition kept for the life of the process and never changed (the
    per-process cache of stored versions): it keeps its ``Rules`` once worked out."""

    __slots__ = ("_rules",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self._rules: Rules | None = None

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            self._rules = Rules.of(self)
        return self._rules


def rules_of(definition: Mapping[str, Any]) -> Rules:
    """The ``Rules`` of ``definition``: kept by a KeptDefinition, else worked out afresh."""
    return definition.rules if isinstance(definition, KeptDefinition) else Rules.of(definition)


def shown_items(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """Ids of the items shown for ``answers``, in order.

    An item's ``show_if`` sees only the answers of items shown before it, so an answer left
    behind on an item that later became hidden cannot open a branch.
    """
    shown: list[str] = []
    visible_answers: dict[str, Any] = {}  # only what a show_if reads
    for step in rules_of(definition).steps:
        if step.condition is None or show_if.evaluate(step.condition, visible_answers):
            shown += step.ids
            for item_id in step.read:
                if answers.get(item_id) is not None:
                    visible_answers[item_id] = answers[item_id]
    return shown


def clean_answers(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """``answers`` without empty answers and without answers to items that are not shown."""
    shown = set(shown_items(definition, answers))
    return {
        item_id: value
        for item_id, value in answers.items()
        if item_id in shown and not is_empty(value)
    }


def answer_problems(definition: Mapping[str, Any], answers: Mapping[str, Any]
                    ) -> dict[str, str]:
    """Item id -> Chinese message for every invalid answer or unanswered required item."""
    rules = rules_of(definition)
    problems = {item_id: "问卷中没有这道题" for item_id in answers if item_id not in rules.items}
    for item_id in shown_items(definition, answers):
        item, value = rules.items[item_id], answers.get(item_id)
        if is_empty(value):
            if item["required"]:
                problems[item_id] = "请回答这道题"
            continue
        message = _problem(item, value, rules.labels.get(item_id, frozenset()))
        if message:
            problems[item_id] = message
    return problems


def is_empty(value: Any) -> bool:
    """No answer: None, an empty text, an empty choice list or an empty set of grades."""
    return value is None or value == "" or value == [] or value == {}


def _problem(item: dict, value: Any, labels: frozenset[str]) -> str | None:
    kind = item["type"]
    if kind == "ballot" and item["aspects"]:
        return _aspects_problem(item, value, labels)
    if kind in SINGLE_ANSWER_TYPES:
        return None if isinstance(value, str) and value in labels else "请从选项中选择一项"
    if kind == "multiple":
        return _multiple_problem(item, value, labels)
    if kind == "number":
        return _number_problem(item, value)
    if not isinstance(value, str):
        return "请填写文字"
    if len(value) > item["max_length"]:
        return f"不能超过 {item['max_length']} 个字"
    return None


def _labels(item: dict) -> list[str]:
    return [choice["label"] for choice in item["choices"]] + item.get("missing", [])


def _aspects_problem(item: dict, value: Any, labels: frozenset[str]) -> str | None:
    if not isinstance(value, Mapping) or not set(value) <= set(item["aspects"]):
        return "请逐项选择等次"
    if any(not isinstance(grade, str) or grade not in labels for grade in value.values()):
        return "请从选项中选择等次"
    if item["required"] and set(value) != set(item["aspects"]):
        missing = "、".join(a for a in item["aspects"] if a not in value)
        return f"请为“{missing}”选择等次"
    return None


def _multiple_problem(item: dict, value: Any, labels: frozenset[str]) -> str | None:
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        return "请从选项中选择"
    if len(set(value)) != len(value) or any(label not in labels for label in value):
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
