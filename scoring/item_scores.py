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

:func:`score_response` scores one response and is the reference; :func:`score_columns`
applies the same rules to many responses of one questionnaire at once, one NumPy column per
item, and gives the same numbers (sums are correctly rounded, as ``math.fsum`` is).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ColumnScores",
    "ResponseError",
    "ResponseScores",
    "item_score",
    "score_columns",
    "score_response",
]

CHOICE_KINDS = ("likert", "single", "ballot", "quiz")
# Codes of an answer in its item's column: a choice's position (>= 0) or one of these.
NO_ANSWER, DONT_KNOW, REFUSED = -1, -2, -3


@dataclass(frozen=True, slots=True)
class ColumnScores:
    """Scores of many responses, one array per item or dimension; NaN where missing."""

    items: dict[str, np.ndarray]
    dimensions: dict[str, np.ndarray]
    respondent: np.ndarray


class ResponseError(ValueError):
    """One response of a batch cannot be scored; ``position`` is its place in the batch and
    the message is :func:`score_response`'s for that response."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position


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


def score_columns(
    definition: Mapping[str, Any],
    answers: Sequence[Mapping[str, Any]],
    shown: Mapping[str, np.ndarray] | None = None,
) -> ColumnScores:
    """:func:`score_response` for many responses of one questionnaire, column by column.

    Parameters
    ----------
    definition
        The normalised questionnaire definition.
    answers
        One mapping of item id -> answer per response.
    shown
        Item id -> boolean array, True where the response was shown the item; an item not
        named was shown to everyone.

    Returns
    -------
    ColumnScores
        The numbers :func:`score_response` gives, with NaN for None.

    Raises
    ------
    ResponseError
        For the first response that :func:`score_response` would refuse, with its message.

    Examples
    --------
    >>> definition = {"sections": [{"items": [{"id": "q", "type": "likert", "scored": True,
    ...     "dimension": "d", "missing": ["不了解"],
    ...     "choices": [{"label": "好", "score": 100}, {"label": "差", "score": 0}]}]}],
    ...     "scoring": {"dimensions": {"d": {"weight": None, "min_answered_share": 0.5}},
    ...     "respondent": {"from": "dimensions", "min_answered_share": 0.5}}}
    >>> scores = score_columns(definition, [{"q": "好"}, {"q": "不了解"}, {}])
    >>> scores.respondent.tolist()
    [100.0, nan, nan]
    """
    items = [item for section in definition["sections"] for item in section["items"]]
    n = len(answers)
    shown = shown or {}
    columns, refused = {}, _unknown_ids(items, answers)
    for item in items:
        columns[item["id"]], bad = _item_column(item, answers)
        refused |= bad
    if refused.any():
        _raise_first(definition, answers, shown, int(np.flatnonzero(refused)[0]))
    visible = {item["id"]: shown.get(item["id"], np.ones(n, dtype=bool)) for item in items}
    scored = [item for item in items if item["scored"]]
    scoring = definition["scoring"]
    dimensions = {
        name: _dimension_column(
            [item for item in scored if item["dimension"] == name],
            columns,
            visible,
            spec["min_answered_share"],
            n,
        )
        for name, spec in scoring["dimensions"].items()
    }
    rule = scoring["respondent"]
    if rule["from"] == "items":
        respondent = _dimension_column(scored, columns, visible, rule["min_answered_share"], n)
    else:
        respondent = _weighted_column(dimensions, scoring["dimensions"], rule, n)
    return ColumnScores(items=columns, dimensions=dimensions, respondent=respondent)


def _unknown_ids(items: list, answers: Sequence[Mapping[str, Any]]) -> np.ndarray:
    known = {item["id"] for item in items}
    return np.fromiter((not known.issuperset(a) for a in answers), dtype=bool, count=len(answers))


def _raise_first(definition, answers, shown, position: int) -> None:
    ids = [item["id"] for section in definition["sections"] for item in section["items"]]
    here = [i for i in ids if i not in shown or shown[i][position]]
    try:
        score_response(definition, answers[position], here)
    except ValueError as error:
        raise ResponseError(position, str(error)) from None
    raise AssertionError(f"response {position} was refused in columns but scores alone")


def _item_column(
    item: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """The item's scores (NaN where missing) and where :func:`item_score` would refuse."""
    n = len(answers)
    kind = item["type"]
    if not item.get("scored") or (kind not in CHOICE_KINDS):
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    if kind == "ballot" and item.get("aspects"):
        return _aspects_column(item, [a.get(item["id"]) for a in answers])
    codes = _codes(item, answers)
    table = np.array([_choice_score(item, p) for p in range(len(item["choices"]))] + [np.nan])
    return table[np.where(codes >= 0, codes, len(item["choices"]))], codes == REFUSED


def _codes(item: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Each answer's choice position, or NO_ANSWER, DONT_KNOW or REFUSED."""
    key = item["id"]
    lookup: dict[Any, int] = {}
    for position, choice in enumerate(item["choices"]):
        if isinstance(choice["label"], str):
            lookup.setdefault(choice["label"], position)
    lookup |= dict.fromkeys(item.get("missing", ()), DONT_KNOW)
    lookup[None] = NO_ANSWER
    get = lookup.get
    try:
        return np.array([get(a.get(key), REFUSED) for a in answers], dtype=np.int64)
    except TypeError:  # an unhashable answer (a list or a mapping) is never a label
        missing = list(item.get("missing", ()))
        values = [a.get(key) for a in answers]
        return np.array(
            [
                get(v, REFUSED) if _hashable(v) else DONT_KNOW if v in missing else REFUSED
                for v in values
            ],
            dtype=np.int64,
        )


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _choice_score(item: Mapping[str, Any], position: int) -> float:
    if item["type"] == "quiz":
        return 100.0 if item["choices"][position]["correct"] else 0.0
    if item.get("reverse"):
        position = len(item["choices"]) - 1 - position
    score = item["choices"][position]["score"]
    return np.nan if score is None else float(score)


def _aspects_column(item: Mapping[str, Any], values: list) -> tuple[np.ndarray, np.ndarray]:
    # Graded aspects are few (a cadre ballot's 德能勤绩廉), so each answer goes through the
    # reference rule.
    scores, refused = np.full(len(values), np.nan), np.zeros(len(values), dtype=bool)
    for row, value in enumerate(values):
        try:
            score = item_score(item, value)
        except ValueError:
            refused[row] = True
            continue
        scores[row] = np.nan if score is None else score
    return scores, refused


def _dimension_column(
    items: list, columns: dict[str, np.ndarray], visible: dict[str, np.ndarray], share, n: int
) -> np.ndarray:
    if not items:
        return np.full(n, np.nan)
    scores = np.column_stack([columns[item["id"]] for item in items])
    shown = np.column_stack([visible[item["id"]] for item in items])
    have = shown & np.isfinite(scores)
    answered = have.sum(axis=1)
    enough = (answered > 0) & ~(answered < share * shown.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(enough, exact_row_sums(np.where(have, scores, 0.0)) / answered, np.nan)


def _weighted_column(
    dimensions: dict[str, np.ndarray], specs: Mapping[str, Any], rule: Mapping[str, Any], n: int
) -> np.ndarray:
    weights = {name: spec["weight"] for name, spec in specs.items()}
    if all(w is None for w in weights.values()):
        weights = dict.fromkeys(weights, 1.0)
    total = math.fsum(weights.values())
    if not weights or total <= 0:
        return np.full(n, np.nan)
    names = list(weights)
    w = np.array([float(weights[name]) for name in names])
    values = np.column_stack([dimensions[name] for name in names])
    present = np.isfinite(values) & (w > 0)
    carried = exact_row_sums(np.where(present, w, 0.0))
    ok = (carried > 0) & ~(carried < rule["min_answered_share"] * total)
    weighted = exact_row_sums(np.where(present, values * w, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, weighted / carried, np.nan)


def exact_row_sums(values: np.ndarray) -> np.ndarray:
    """Row sums of a finite 2-d array, each correctly rounded, as ``math.fsum`` gives them.

    Each row is summed in double-double arithmetic (Knuth's error-free TwoSum, one column
    at a time), which leaves the exact sum within far less than a unit in the last place;
    the rounded result is then exact unless the sum lies almost on a rounding boundary, and
    those few rows are summed by ``math.fsum``.

    Examples
    --------
    >>> exact_row_sums(np.array([[0.1, 0.2, 0.3], [25.0, 50.0, 0.0]])).tolist()
    [0.6, 75.0]
    """
    rows = values.shape[0]
    high, low = np.zeros(rows), np.zeros(rows)
    for column in values.T:
        total = high + column
        back = total - high
        low += (high - (total - back)) + (column - back)
        high = total
    result = high + low
    # How far the exact sum lies from the result, against the rounding boundaries: half a
    # unit in the last place, or a quarter below a power of two. The margin covers the
    # rounding of ``low`` itself (a few ulps of ulps).
    gap = np.abs((high - result) + low)
    half_ulp = np.spacing(np.abs(result)) / 2
    margin = np.abs(values).sum(axis=1) * 2.0**-80
    power_of_two = np.frexp(result)[0] == 0.5
    unsure = (np.abs(gap - half_ulp) <= margin) | (
        power_of_two & (np.abs(gap - half_ulp / 2) <= margin)
    )
    if unsure.any():
        result[unsure] = [math.fsum(row) for row in values[unsure].tolist()]
    return result
