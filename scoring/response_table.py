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

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from scoring.item_scores import score_response

META = ("period", "instrument", "org", "township", "subject", "self_rating", "audience", "adults")
RAKING = ("age_group", "sex")


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
    columns: dict[str, list] = {name: [] for name in (*META, *RAKING)}
    scored: dict[str, list] = {}
    plans = {key: _plan(d) for key, d in definitions.items()}
    for index, row in enumerate(rows):
        instrument = row["instrument"]
        if instrument not in plans:
            raise ValueError(f"row {index}: no questionnaire definition for {instrument!r}")
        for name in META:
            columns[name].append(row.get(name))
        answers = row.get("answers") or {}
        for name in RAKING:
            columns[name].append(_raking_answer(plans[instrument], name, answers))
        try:
            values = _scores(definitions[instrument], plans[instrument], answers)
        except ValueError as error:
            raise ValueError(f"row {index}: {error}") from None
        for name, value in values.items():
            scored.setdefault(name, [None] * index).append(value)
        for column in scored.values():
            if len(column) < index + 1:
                column.append(None)
    table = {name: _array(values, name) for name, values in columns.items()}
    table |= {name: _array(values, name) for name, values in scored.items()}
    return table


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


def _raking_answer(plan: dict, name: str, answers: Mapping[str, Any]) -> str | None:
    item = plan["raking"].get(name)
    if item is None:
        return None
    answer = answers.get(item["id"])
    return None if answer is None or answer in item.get("missing", ()) else str(answer)


def _scores(definition: Mapping[str, Any], plan: dict, answers: Mapping[str, Any]) -> dict:
    shown = [
        i["id"] for i in plan["items"] if i["id"] not in plan["conditional"] or i["id"] in answers
    ]
    scores = score_response(definition, answers, shown=shown)
    out: dict[str, Any] = {"respondent": scores.respondent}
    for name, value in scores.dimensions.items():
        out[f"dim:{name}"] = value
    by_dimension: dict[str, list[bool]] = {}
    for item in plan["items"]:
        if item.get("scored") and item.get("dimension"):
            out[f"item:{item['dimension']}/{item['id']}"] = scores.items[item["id"]]
            if item["id"] in plan["satisfied"] and scores.items[item["id"]] is not None:
                by_dimension.setdefault(item["dimension"], []).append(
                    answers.get(item["id"]) in plan["satisfied"][item["id"]]
                )
    for name, flags in by_dimension.items():
        out[f"sat:{name}"] = sum(flags) / len(flags)
    for item_id in plan["ballots"]:
        answer = answers.get(item_id)
        out[f"answer:{item_id}"] = answer if isinstance(answer, str) else None
    return out


def _array(values: list, name: str) -> np.ndarray:
    if name.startswith(("dim:", "sat:", "item:")) or name in (
        "respondent",
        "adults",
        "self_rating",
    ):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.array(["" if v is None else str(v) for v in values], dtype=str)
