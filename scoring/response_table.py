"""The response table: one row per response, the scores the indices need, as plain columns.

This is the contract between the app (which gathers rows by SQL), the export CSV and
``python -m scoring indices``. Columns:

``period``       ``current`` or ``previous`` (the wave before, for 三升两降 changes)
``instrument``   questionnaire id
``org``          code of the sampled organisation (a village for citizens)
``township``     code of the township/street above ``org`` (``org`` itself for a township)
``subject``      code of the person or organisation rated; empty when none
``self_rating``  1 when the respondent rates themself (党员自评), else 0
``audience``     ``member`` for account holders, ``citizen`` otherwise (village_org_review)
``adults``       adults living in ``org`` (weights and fpc of citizen samples); empty if unknown
``village_census``  1 when the row's wave surveyed every village of its township (villages
                 are then strata, not sampled clusters), else 0; optional, added by the app
``age_group``, ``sex``  answers to the raking items; empty when not asked or declined
``respondent``   the respondent score (0–100)
``dim:<name>``   dimension scores; ``sat:<name>`` the share of the dimension's answered items
                 in the scale's "satisfied" points; ``item:<dimension>/<id>`` item scores
                 (for reliability); ``answer:<id>`` the label of a ballot item.

Scores follow :mod:`scoring.item_scores`. An item with ``show_if`` that was not answered is
taken as not shown (the table has no way to re-run the skip logic), so it leaves the
answered-share denominators, as a hidden item does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from scoring.item_scores import ResponseError, score_columns

META = ("period", "instrument", "org", "township", "subject", "self_rating", "audience", "adults")
RAKING = ("age_group", "sex")
NUMERIC = ("adults", "self_rating", "respondent")
SCORE_PREFIXES = ("dim:", "sat:", "item:")


def score_rows(
    definitions: Mapping[str, Mapping[str, Any]], rows: Iterable[Mapping[str, Any]]
) -> dict[str, np.ndarray]:
    """Score every row and return the table's columns.

    Parameters
    ----------
    definitions : mapping of instrument id to normalised definition
    rows : iterable of mapping
        Each has the ``META`` keys and ``answers`` (item id -> answer).

    Raises
    ------
    ValueError
        A row names an instrument without a definition, or an answer is not a choice of its
        item (the message names the row).

    Examples
    --------
    >>> definition = {"sections": [{"items": [{"id": "q", "type": "likert", "scored": True,
    ...     "dimension": "d", "scale": "s", "show_if": None, "missing": [],
    ...     "choices": [{"label": "好", "score": 100}, {"label": "差", "score": 0}]}]}],
    ...     "scales": {"s": {"satisfied": ["好"]}}, "scoring": {"dimensions": {"d": {
    ...     "weight": 1, "min_answered_share": 0.5}}, "respondent": {"from": "dimensions",
    ...     "min_answered_share": 0.5}}}
    >>> table = score_rows({"x": definition}, [{"instrument": "x", "answers": {"q": "好"}}])
    >>> table["respondent"].tolist(), table["sat:d"].tolist()
    ([100.0], [1.0])
    """
    rows = list(rows)
    columns: dict[str, list] = {name: [row.get(name) for row in rows] for name in META}
    columns["answers"] = [row.get("answers") or {} for row in rows]
    return score_columns_of(definitions, columns)


def score_columns_of(
    definitions: Mapping[str, Mapping[str, Any]], columns: Mapping[str, Sequence[Any]]
) -> dict[str, np.ndarray]:
    """:func:`score_rows` for data already in columns: the ``META`` columns and ``answers``
    (one mapping per row), each instrument's responses scored at once.

    The table is the one :func:`score_rows` builds from the same rows, column for column
    and in the same order.
    """
    instrument = list(columns["instrument"])
    n = len(instrument)
    groups = _groups(instrument)
    problems = [
        (int(positions[0]), f"no questionnaire definition for {name!r}")
        for name, positions in groups.items()
        if name not in definitions
    ]
    answers = columns["answers"]
    table = {name: _array(list(columns[name]), name) for name in META}
    raking: dict[str, list] = {name: [None] * n for name in RAKING}
    scored: dict[str, np.ndarray] = {}
    first_row: dict[str, int] = {}
    for name, positions in groups.items():
        if name not in definitions:
            continue
        plan = _plan(definitions[name])
        group_answers = [answers[i] for i in positions]
        try:
            values = _scores(definitions[name], plan, group_answers)
        except ResponseError as error:
            problems.append((int(positions[error.position]), str(error)))
            continue
        for column, (present, value) in values.items():
            if not present.any():
                continue
            first = int(positions[np.flatnonzero(present)[0]])
            first_row[column] = min(first, first_row.get(column, n))
            if column not in scored:
                scored[column] = (
                    np.full(n, "", dtype=object)
                    if column.startswith("answer:")
                    else np.full(n, np.nan)
                )
            scored[column][positions] = value
        for variable in RAKING:
            _raking_answers(plan, variable, group_answers, positions, raking[variable])
    if problems:
        row, message = min(problems)
        raise ValueError(f"row {row}: {message}")
    table |= {name: _array(raking[name], name) for name in RAKING}
    order = _first_appearance(definitions, columns, instrument, first_row)
    for column in order:
        value = scored[column]
        table[column] = value.astype(str) if value.dtype == object else value
    return table


def _groups(instrument: list) -> dict[Any, np.ndarray]:
    positions: dict[Any, list[int]] = {}
    for row, name in enumerate(instrument):
        positions.setdefault(name, []).append(row)
    return {name: np.array(rows, dtype=np.int64) for name, rows in positions.items()}


def _first_appearance(definitions, columns, instrument, first_row: dict[str, int]) -> list[str]:
    """Columns in the order a row-by-row scan meets them: by the first row that has each,
    then by its place among that row's scores."""
    place: dict[str, int] = {}
    for row in sorted(set(first_row.values())):
        definition = definitions[instrument[row]]
        names = _row_scores(definition, _plan(definition), columns["answers"][row])
        place |= {name: names.index(name) for name in names if first_row.get(name) == row}
    return sorted(first_row, key=lambda name: (first_row[name], place[name]))


def _plan(definition: Mapping[str, Any]) -> dict:
    items = [item for section in definition["sections"] for item in section["items"]]
    satisfied = {}
    for item in items:
        scale = definition.get("scales", {}).get(item.get("scale") or "", {})
        if item.get("scored") and scale.get("satisfied"):
            satisfied[item["id"]] = set(scale["satisfied"])
    return {
        "items": items,
        "conditional": {item["id"] for item in items if item.get("show_if")},
        "satisfied": satisfied,
        "raking": {item.get("raking"): item for item in items if item.get("raking")},
        "ballots": [item["id"] for item in items if item["type"] == "ballot"],
    }


def _raking_answers(plan: dict, name: str, answers: list, positions, out: list) -> None:
    item = plan["raking"].get(name)
    if item is None:
        return
    missing = item.get("missing", ())
    for row, a in zip(positions.tolist(), answers, strict=True):
        answer = a.get(item["id"])
        out[row] = None if answer is None or answer in missing else str(answer)


def _scores(
    definition: Mapping[str, Any], plan: dict, answers: list[Mapping[str, Any]]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Column name -> (rows that have it, values) for one instrument's responses."""
    n = len(answers)
    everyone = np.ones(n, dtype=bool)
    # An unanswered show_if item was not shown (the table cannot re-run the skip logic).
    shown = {
        item_id: np.fromiter((item_id in a for a in answers), dtype=bool, count=n)
        for item_id in plan["conditional"]
    }
    scores = score_columns(definition, answers, shown)
    out = {"respondent": (everyone, scores.respondent)}
    for name, value in scores.dimensions.items():
        out[f"dim:{name}"] = (everyone, value)
    flags: dict[str, list[np.ndarray]] = {}
    answered: dict[str, list[np.ndarray]] = {}
    for item in plan["items"]:
        if item.get("scored") and item.get("dimension"):
            score = scores.items[item["id"]]
            out[f"item:{item['dimension']}/{item['id']}"] = (everyone, score)
            if item["id"] in plan["satisfied"]:
                pleased = _said(answers, item["id"], plan["satisfied"][item["id"]])
                flags.setdefault(item["dimension"], []).append(pleased & np.isfinite(score))
                answered.setdefault(item["dimension"], []).append(np.isfinite(score))
    for name in flags:
        count = np.sum(answered[name], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"sat:{name}"] = (count > 0, np.sum(flags[name], axis=0) / count)
    for item_id in plan["ballots"]:
        labels = [a.get(item_id) for a in answers]
        out[f"answer:{item_id}"] = (
            everyone,
            np.array([x if isinstance(x, str) else "" for x in labels], dtype=object),
        )
    return out


def _said(answers: list[Mapping[str, Any]], item_id: str, labels: set) -> np.ndarray:
    """Where the answer to ``item_id`` is one of ``labels``."""
    try:
        return np.array([a.get(item_id) in labels for a in answers], dtype=bool)
    except TypeError:  # an unhashable answer (a mapping of aspects) is no satisfied label
        return np.array([_hashable_in(a.get(item_id), labels) for a in answers], dtype=bool)


def _hashable_in(answer: Any, labels: set) -> bool:
    try:
        return answer in labels
    except TypeError:
        return False


def _row_scores(definition: Mapping[str, Any], plan: dict, answers: Mapping[str, Any]) -> list:
    """One response's score columns, in the order the table has always had: respondent,
    dimensions, items, satisfied shares (each where the row first answers its dimension),
    ballot answers."""
    found = _scores(definition, plan, [answers])
    names = [name for name, (present, _) in found.items() if present[0]]
    answered = [
        item["dimension"]
        for item in plan["items"]
        if item["id"] in plan["satisfied"]
        and item.get("dimension")
        and np.isfinite(found[f"item:{item['dimension']}/{item['id']}"][1][0])
    ]
    satisfied = sorted(
        (name for name in names if name.startswith("sat:")), key=lambda n: answered.index(n[4:])
    )
    ballots = [name for name in names if name.startswith("answer:")]
    rest = [name for name in names if not name.startswith(("sat:", "answer:"))]
    return rest + satisfied + ballots


def _array(values: list, name: str) -> np.ndarray:
    """A float column (None -> NaN) or a str column (None -> ""), converted in C."""
    if name.startswith(SCORE_PREFIXES) or name in NUMERIC:
        return np.array(values, dtype=float)
    found = np.array(values, dtype=object)
    if found.ndim != 1:  # cells that are sequences would widen the array
        return np.array(["" if v is None else str(v) for v in values], dtype=str)
    found[np.equal(found, None)] = ""
    return found.astype(str)
