"""Score one response: items to 0–100, dimensions, and the respondent's score.

Works on the normalised questionnaire definition (plain JSON, as stored with each
questionnaire version; see ``surveyapp/questionnaire/definition.py``) and an answers dict
keyed by item id. Nothing here imports the app: the definition carries every score.

Rules, all read from the definition:

- a choice answer scores its point's ``score``; a reverse item scores the mirrored point
  (first point gets the last point's score), so an uneven scale stays uneven;
- a label in the item's ``missing`` list ("不了解") is missing, never zero; so is no answer;
- a quiz scores 100 when the correct choice is picked, else 0;
- a ballot with aspects scores the mean of its graded aspects (when its scale has scores);
- a dimension scores the mean of its answered items when at least ``min_answered_share`` of
  its *shown* items are answered (items hidden by ``show_if`` are not applicable);
- the respondent score is the weighted mean of the dimension scores that exist, weights
  renormalised, when they carry at least the respondent ``min_answered_share`` of the weight
  (equal weights when none are given); or, with ``from: items``, the mean of item scores.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ResponseScores", "item_score", "score_response"]


@dataclass(frozen=True, slots=True)
class ResponseScores:
    """Scores of one response; None where the rules leave a score missing."""

    items: dict[str, float | None]
    dimensions: dict[str, float | None]
    respondent: float | None


def item_score(item: Mapping[str, Any], answer: Any) -> float | None:
    """The 0–100 score of ``answer`` to ``item``, or None when missing or not scored.

    Raises
    ------
    ValueError
        The answer is not one of the item's choices (or, for a ballot with aspects, not a
        mapping of its aspects to choices).

    Examples
    --------
    >>> item = {"id": "q1", "type": "likert", "scored": True, "reverse": False,
    ...         "choices": [{"label": "满意", "score": 100}, {"label": "不满意", "score": 0}],
    ...         "missing": ["不了解"]}
    >>> item_score(item, "满意"), item_score(item, "不了解"), item_score(item, None)
    (100.0, None, None)
    """
    if answer is None or not item.get("scored"):
        return None
    kind = item["type"]
    if kind == "ballot" and item.get("aspects"):
        return _aspects_score(item, answer)
    if kind not in ("likert", "single", "ballot", "quiz"):
        return None
    if answer in item.get("missing", ()):
        return None
    position = _position(item, answer)
    if kind == "quiz":
        return 100.0 if item["choices"][position]["correct"] else 0.0
    if item.get("reverse"):
        position = len(item["choices"]) - 1 - position
    return float(item["choices"][position]["score"])


def _position(item: Mapping[str, Any], answer: Any) -> int:
    labels = [choice["label"] for choice in item["choices"]]
    if not isinstance(answer, str) or answer not in labels:
        allowed = labels + list(item.get("missing", ()))
        raise ValueError(f"item {item['id']!r}: answer {answer!r} is not one of {allowed}")
    return labels.index(answer)


def _aspects_score(item: Mapping[str, Any], answer: Any) -> float | None:
    if not isinstance(answer, Mapping) or not set(answer) <= set(item["aspects"]):
        raise ValueError(
            f"item {item['id']!r}: answer {answer!r} must map some of {item['aspects']} to grades"
        )
    plain = {**item, "aspects": []}
    scores = [item_score(plain, grade) for grade in answer.values()]
    return _mean([s for s in scores if s is not None])


def score_response(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    shown: Collection[str] | None = None,
) -> ResponseScores:
    """Item, dimension and respondent scores of one response.

    Parameters
    ----------
    definition
        The normalised questionnaire definition.
    answers
        Item id -> answer; absent or None means not answered.
    shown
        Ids of the items the respondent was shown (``show_if`` held); default all. Hidden
        items are left out of the answered-share denominators.

    Raises
    ------
    ValueError
        An answer names an unknown item or is not one of its item's choices.
    """
    items = [item for section in definition["sections"] for item in section["items"]]
    unknown = set(answers) - {item["id"] for item in items}
    if unknown:
        raise ValueError(f"answers: unknown item ids {sorted(unknown)}")
    visible = {item["id"] for item in items} if shown is None else set(shown)
    scores = {item["id"]: item_score(item, answers.get(item["id"])) for item in items}
    scored = [item for item in items if item["scored"] and item["id"] in visible]
    scoring = definition["scoring"]
    dimensions = {
        name: _dimension_score(
            [scores[item["id"]] for item in scored if item["dimension"] == name],
            spec["min_answered_share"],
        )
        for name, spec in scoring["dimensions"].items()
    }
    respondent_rule = scoring["respondent"]
    if respondent_rule["from"] == "items":
        respondent = _dimension_score(
            [scores[item["id"]] for item in scored], respondent_rule["min_answered_share"]
        )
    else:
        respondent = _weighted_score(dimensions, scoring["dimensions"], respondent_rule)
    return ResponseScores(items=scores, dimensions=dimensions, respondent=respondent)


def _dimension_score(scores: list[float | None], min_share: float) -> float | None:
    answered = [s for s in scores if s is not None]
    if not answered or len(answered) < min_share * len(scores):
        return None
    return _mean(answered)


def _weighted_score(
    dimensions: Mapping[str, float | None], specs: Mapping[str, Any], rule: Mapping[str, Any]
) -> float | None:
    weights = {name: spec["weight"] for name, spec in specs.items()}
    if all(w is None for w in weights.values()):
        weights = dict.fromkeys(weights, 1.0)
    total = math.fsum(weights.values())
    present = {name: w for name, w in weights.items() if dimensions[name] is not None and w > 0}
    carried = math.fsum(present.values())
    if total <= 0 or carried <= 0 or carried < rule["min_answered_share"] * total:
        return None
    return math.fsum(dimensions[name] * w for name, w in present.items()) / carried


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None
