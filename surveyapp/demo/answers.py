"""Answers to any stored questionnaire definition, generated from a latent score.

Nothing here knows an item id: the generator reads each item's type, scale, choices, scores,
``raking`` margin and ``show_if`` from the normalised definition (see
`surveyapp.questionnaire.definition`), so a county's edited files get plausible answers too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from surveyapp.questionnaire import show_if
from surveyapp.questionnaire.definition import iter_items

DONT_KNOW_RATE = 0.04  # likert answers of 不了解 and the like
DECLINE_RATE = 0.02  # optional personal questions answered 不愿回答
SKIP_OPTIONAL_RATE = 0.03
COMMENT_RATE = 0.06
QUIZ_BASE = 0.75  # chance of a correct quiz answer at a latent score of 70
COMMENTS = (
    "希望干部多到村里走走，听听群众的意见。",
    "办事流程还可以再简化一些。",
    "总体不错，继续保持。",
    "希望惠民资金的使用情况公开得更及时。",
    "建议多开展政策宣传。",
)


@dataclass(frozen=True, slots=True)
class Respondent:
    """What decides a respondent's answers: a latent score and who they are."""

    latent: float  # 0–100: how well they rate what the form asks about
    age: int | None = None  # None for account holders, whose forms ask no demographics
    sex: str | None = None
    careless: bool = False  # answered too fast: choices at random
    straightline: bool = False  # every rating item at the top point


class AnswerGenerator:
    """Generate answers to one normalised questionnaire definition."""

    def __init__(self, definition: dict[str, Any], item_sd: float) -> None:
        self.items = list(iter_items(definition))
        self.item_sd = item_sd
        self.conditions = {
            item["id"]: show_if.parse(item["show_if"]) for item in self.items if item["show_if"]
        }
        self.scores = {item["id"]: _choice_scores(item) for item in self.items if "choices" in item}
        self.points = {
            item_id: tuple(zip(*scores, strict=True))
            for item_id, scores in self.scores.items()
            if scores
        }

    def answer(self, rng: np.random.Generator, who: Respondent) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for item in self.items:
            condition = self.conditions.get(item["id"])
            if condition is not None and not show_if.evaluate(condition, answers):
                continue
            if not item["required"] and rng.random() < SKIP_OPTIONAL_RATE:
                continue
            value = self._answer_item(rng, item, who)
            if value is not None:
                answers[item["id"]] = value
        return answers

    def _answer_item(self, rng: np.random.Generator, item: dict, who: Respondent) -> Any:
        kind = item["type"]
        if kind in ("short_text", "long_text"):
            return _comment(rng, item) if rng.random() < COMMENT_RATE else None
        if kind == "number":
            return self._number(rng, item, who)
        if kind == "multiple":
            return self._multiple(rng, item, who)
        if kind == "quiz":
            return self._quiz(rng, item, who)
        if kind == "ballot" and item.get("aspects"):
            return {aspect: self._rating(rng, item, who) for aspect in item["aspects"]}
        if kind == "single" and not self.scores[item["id"]]:
            return self._plain_choice(rng, item, who)
        return self._rating(rng, item, who)

    def _rating(self, rng: np.random.Generator, item: dict, who: Respondent) -> str:
        """The point whose score is nearest the respondent's latent score plus item noise."""
        labels, scores = self.points[item["id"]]
        if who.straightline:
            return labels[scores.index(max(scores))]
        if who.careless:
            return labels[int(rng.integers(len(labels)))]
        if item.get("missing") and rng.random() < DONT_KNOW_RATE:
            return item["missing"][0]
        target = clamp(who.latent + rng.normal(0, self.item_sd), 0, 100)
        if item.get("reverse"):
            target = 100 - target
        return labels[min(range(len(scores)), key=lambda k: abs(scores[k] - target))]

    def _plain_choice(self, rng: np.random.Generator, item: dict, who: Respondent) -> str | None:
        labels = [c["label"] for c in item["choices"]]
        if item.get("raking"):
            if item.get("missing") and rng.random() < DECLINE_RATE:
                return item["missing"][0]
            matched = match_demographic(labels, who)
            if matched is not None:
                return matched
        # Unscored choices without a margin: earlier choices are the commoner ones.
        weights = 1 / np.arange(1, len(labels) + 1)
        return labels[int(rng.choice(len(labels), p=weights / weights.sum()))]

    def _number(self, rng: np.random.Generator, item: dict, who: Respondent) -> float | int:
        low, high = item["min"], item["max"]
        # Counts such as visits cluster near the bottom of a wide range, more so when rated low.
        share = clamp(rng.beta(1.5, 12) * (0.5 + who.latent / 100), 0, 1)
        value = low + share * (high - low)
        return int(round(value)) if item.get("integer") else round(value, 1)

    def _multiple(self, rng: np.random.Generator, item: dict, who: Respondent) -> list[str]:
        labels = [c["label"] for c in item["choices"]]
        exclusive = [label for label in labels if label in item.get("exclusive", [])]
        ordinary = [label for label in labels if label not in exclusive]
        # The worse the respondent's view, the more problems they tick.
        p = clamp((85 - who.latent) / 150, 0.02, 0.5)
        ticked = [label for label in ordinary if rng.random() < p]
        if item.get("max_choices"):
            ticked = ticked[: item["max_choices"]]
        if not ticked and exclusive:
            return [exclusive[0]]
        return ticked

    def _quiz(self, rng: np.random.Generator, item: dict, who: Respondent) -> str:
        labels = [c["label"] for c in item["choices"]]
        correct = [c["label"] for c in item["choices"] if c.get("correct")]
        p = clamp(QUIZ_BASE + (who.latent - 70) / 100, 0.3, 0.97)
        if correct and rng.random() < p:
            return correct[0]
        wrong = [label for label in labels if label not in correct] or labels
        return wrong[int(rng.integers(len(wrong)))]


def clamp(value: float, low: float, high: float) -> float:
    """``value`` limited to [low, high]; plain floats, as numpy's clip is slow on scalars."""
    return min(high, max(low, float(value)))


def _choice_scores(item: dict) -> list[tuple[str, float]]:
    """(label, score) of a rating item's points. Points without scores are taken as listed
    best first and spaced evenly from 100 to 0, as ballots (优秀 … 不称职) are written."""
    choices = [c for c in item["choices"] if c["label"] not in item.get("missing", [])]
    if item["type"] not in ("likert", "single", "ballot") or len(choices) < 2:
        return []
    if all(c.get("score") is not None for c in choices):
        return [(c["label"], float(c["score"])) for c in choices]
    if item["type"] == "single":
        return []
    step = 100 / (len(choices) - 1)
    return [(c["label"], 100 - k * step) for k, c in enumerate(choices)]


_NUMBERS = re.compile(r"\d+")


def match_demographic(labels: list[str], who: Respondent) -> str | None:
    """The label that describes the respondent: by sex (男/女), or the age band containing
    their age ("18—29岁", "60岁及以上", "18-34"); None when no label describes either."""
    for label in labels:
        if label in ("男", "女") and label == who.sex:
            return label
    if who.age is None:
        return None
    for label in labels:
        bounds = [int(n) for n in _NUMBERS.findall(label)]
        if len(bounds) == 2 and bounds[0] <= who.age <= bounds[1]:
            return label
        if len(bounds) == 1 and ("以上" in label or "+" in label) and who.age >= bounds[0]:
            return label
    return None


def _comment(rng: np.random.Generator, item: dict) -> str:
    return COMMENTS[int(rng.integers(len(COMMENTS)))][: item["max_length"]]
