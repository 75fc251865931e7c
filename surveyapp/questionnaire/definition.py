"""The normalised definition: what the form builder, the checker and scoring all read.

``normalise_questionnaire`` turns a schema-valid questionnaire file into plain JSON data with
every default filled in and every scale resolved into the items that use it, so consumers
never chase a reference or guess a default:

- top level: ``kind`` ("questionnaire"), ``id``, ``version`` (str), ``title``, ``title_en``,
  ``intro``, ``intro_en``, ``audience`` (list), ``anonymous``, ``estimated_minutes``,
  ``subject`` (None or {kind, role, self_rating}), ``scales``, ``sections``, ``scoring``;
- section: ``id``, ``title``, ``title_en``, ``intro``, ``intro_en``, ``items``;
- item: ``id``, ``type``, ``text``, ``text_en``, ``help``, ``help_en``, ``required``,
  ``show_if`` (source text or None), ``dimension``, ``scored``; by type ``scale``,
  ``choices`` [{label, label_en, score, correct}], ``missing``, ``reverse``, ``raking``,
  ``exclusive``, ``max_choices``, ``aspects``, ``min``, ``max``, ``integer``, ``unit``,
  ``max_length``;
- scoring: ``min_answered_share``, ``dimensions`` {name: {title_en, weight,
  min_answered_share}} in file order, ``respondent`` {from, min_answered_share}.

Answers are keyed by item id: a choice label (str) for likert, single, quiz and ballot; a
dict aspect -> label for a ballot with aspects; a list of labels for multiple; a number;
a str for texts. None or absence means not answered; a ``missing`` label means "don't know".
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from .source import Document

CHOICE_TYPES = ("likert", "single", "multiple", "ballot", "quiz")
DEFAULT_MIN_ANSWERED_SHARE = 0.5


def iter_items(definition: dict) -> Iterator[dict]:
    """Every item of a normalised definition, in order."""
    for section in definition["sections"]:
        yield from section["items"]


def items_by_id(definition: dict) -> dict[str, dict]:
    return {item["id"]: item for item in iter_items(definition)}


def is_indices(data: Any) -> bool:
    """An indices file is told apart from an instrument by its top-level ``indices`` key."""
    return isinstance(data, dict) and "indices" in data


def normalise_questionnaire(doc: Document) -> dict:
    """The normalised definition of a schema-valid questionnaire document."""
    data = doc.data
    scales = {name: _scale(scale) for name, scale in data.get("scales", {}).items()}
    audience = data["audience"]
    return {
        "kind": "questionnaire",
        "id": data["id"],
        "version": doc.texts.get(("version",), str(data["version"])),
        "title": data["title"],
        "title_en": data.get("title_en"),
        "intro": data["intro"],
        "intro_en": data.get("intro_en"),
        "audience": [audience] if isinstance(audience, str) else list(audience),
        "anonymous": data.get("anonymous", False),
        "estimated_minutes": data.get("estimated_minutes"),
        "subject": _subject(data.get("subject")),
        "scales": scales,
        "sections": [_section(section, scales) for section in data["sections"]],
        "scoring": _scoring(data.get("scoring", {})),
    }


def _scale(scale: dict) -> dict:
    return {
        "points": [_choice(point) for point in scale["points"]],
        "missing": list(scale.get("missing", [])),
        "satisfied": list(scale.get("satisfied", [])),
    }


def _choice(choice: dict) -> dict:
    return {
        "label": choice["label"],
        "label_en": choice.get("label_en"),
        "score": choice.get("score"),
        "correct": choice.get("correct", False),
    }


def _subject(subject: dict | None) -> dict | None:
    if subject is None:
        return None
    return {
        "kind": subject["kind"],
        "role": subject["role"],
        "self_rating": subject.get("self_rating", False),
    }


def _section(section: dict, scales: dict) -> dict:
    return {
        "id": section["id"],
        "title": section["title"],
        "title_en": section.get("title_en"),
        "intro": section.get("intro"),
        "intro_en": section.get("intro_en"),
        "items": [_item(item, scales) for item in section["items"]],
    }


def _item(item: dict, scales: dict) -> dict:
    kind = item["type"]
    result = {
        "id": item["id"],
        "type": kind,
        "text": item["text"],
        "text_en": item.get("text_en"),
        "help": item.get("help"),
        "help_en": item.get("help_en"),
        "required": item.get("required", True),
        "show_if": item.get("show_if"),
        "dimension": item.get("dimension"),
    }
    if kind in CHOICE_TYPES:
        scale = scales.get(item.get("scale"), {"points": [], "missing": []})
        choices = item.get("choices")
        result["scale"] = item.get("scale")
        result["choices"] = [_choice(c) for c in choices] if choices else scale["points"]
        result["missing"] = _merged(scale["missing"], item.get("missing", []))
    if kind in ("likert", "single"):
        result["reverse"] = item.get("reverse", False)
    if kind == "single":
        result["raking"] = item.get("raking")
    if kind == "multiple":
        result["exclusive"] = list(item.get("exclusive", []))
        result["max_choices"] = item.get("max_choices")
    if kind == "ballot":
        result["aspects"] = list(item.get("aspects", []))
    if kind == "number":
        result.update(min=item["min"], max=item["max"], integer=item.get("integer", False))
        result["unit"] = item.get("unit")
    if kind in ("short_text", "long_text"):
        result["max_length"] = item["max_length"]
    result["scored"] = is_scored(result)
    return result


def is_scored(item: dict) -> bool:
    """Whether an item yields a 0–100 score: quizzes, and choice items whose every point
    has a score (a ballot with aspects scores the mean of its aspects)."""
    if item["type"] == "quiz":
        return True
    if item["type"] not in ("likert", "single", "ballot"):
        return False
    choices = item["choices"]
    return bool(choices) and all(c["score"] is not None for c in choices)


def _merged(first: list[str], second: list[str]) -> list[str]:
    return first + [label for label in second if label not in first]


def _scoring(scoring: dict) -> dict:
    default_share = scoring.get("min_answered_share", DEFAULT_MIN_ANSWERED_SHARE)
    dimensions = {
        name: {
            "title_en": (spec or {}).get("title_en"),
            "weight": (spec or {}).get("weight"),
            "min_answered_share": (spec or {}).get("min_answered_share", default_share),
        }
        for name, spec in scoring.get("dimensions", {}).items()
    }
    respondent = scoring.get("respondent", {})
    return {
        "min_answered_share": default_share,
        "dimensions": dimensions,
        "respondent": {
            "from": respondent.get("from", "dimensions" if dimensions else "items"),
            "min_answered_share": respondent.get("min_answered_share", default_share),
        },
    }


def normalise_indices(doc: Document) -> dict:
    """The normalised definition of a schema-valid indices file.

    Shares written as fractions ("1/3") or decimals stay exact: they become strings that
    ``fractions.Fraction`` reads, because a threshold such as 不称职 ≥ 1/3 is a count test.
    """
    data = doc.data
    return {
        "kind": "indices",
        "id": data["id"],
        "version": doc.texts.get(("version",), str(data["version"])),
        "title": data["title"],
        "title_en": data.get("title_en"),
        "bands": {name: _band_set(spec) for name, spec in data["bands"].items()},
        "sampling": data.get("sampling", {}),
        "indices": {name: _index(spec) for name, spec in data["indices"].items()},
        "rises": [
            {"title": rise["title"], "instrument": rise["instrument"]}
            for rise in data.get("rises", [])
        ],
        "ballots": {name: _ballot(spec) for name, spec in data.get("ballots", {}).items()},
        "quizzes": {name: _quiz(spec) for name, spec in data.get("quizzes", {}).items()},
        "waves": data.get("waves", {}),
    }


def _band_set(spec: dict) -> dict:
    grades = sorted(spec["grades"], key=lambda grade: grade["min"], reverse=True)
    return {
        "title": spec.get("title"),
        "rule": spec.get("rule", "whole_ci_inside_band"),
        "grades": [
            {"label": g["label"], "label_en": g.get("label_en"), "min": g["min"], "max": g["max"]}
            for g in grades
        ],
    }


def _index(spec: dict) -> dict:
    default_min = spec.get("min_respondents")
    return {
        "title": spec["title"],
        "title_en": spec.get("title_en"),
        "unit": spec["unit"],
        "min_respondents": default_min,
        "components": [_component(c, default_min) for c in spec["components"]],
        "breakdowns": [
            _source(b) | {"id": b["id"], "title": b["title"]} for b in spec.get("breakdowns", [])
        ],
        "bands": list(spec.get("bands", [])),
        "caps": list(spec.get("caps", [])),
        "vetoes": _vetoes(spec.get("vetoes")),
        "exemptions": list(spec.get("exemptions", [])),
    }


def _component(spec: dict, default_min: int | None) -> dict:
    if "instrument" in spec:
        source = "instrument"
    elif "index" in spec:
        source = "index"
    else:
        source = "points"
    result = {"id": spec["id"], "title": spec["title"], "weight": spec["weight"], "source": source}
    result |= _source(spec)
    result["raters"] = spec.get("raters", "others") if source == "instrument" else None
    result["min_respondents"] = (
        spec.get("min_respondents", default_min) if source == "instrument" else None
    )
    result["index"] = spec.get("index")
    result["points"] = spec.get("points")
    return result


def _source(spec: dict) -> dict:
    return {
        "instrument": spec.get("instrument"),
        "dimension": spec.get("dimension"),
        "items": spec.get("items"),
        "audience": spec.get("audience"),
    }


def _vetoes(spec: dict | None) -> dict | None:
    if spec is None:
        return None
    return {
        "effect": spec["effect"],
        "lookback_years": spec.get("lookback_years", 1),
        "events": list(spec["events"]),
    }


def _ballot(spec: dict) -> dict:
    return {
        "instrument": spec["instrument"],
        "item": spec["item"],
        "quorum": _fraction(spec.get("quorum")),
        "flags": [
            {
                "grade": flag["grade"],
                "share_at_least": _fraction(flag["share_at_least"]),
                "flag": flag["flag"],
            }
            for flag in spec.get("flags", [])
        ],
        "excellent_max_share": _fraction(spec.get("excellent_max_share")),
    }


def _quiz(spec: dict) -> dict:
    return {
        "instrument": spec["instrument"],
        "dimension": spec["dimension"],
        "items_per_sitting": spec.get("items_per_sitting"),
        "bank_min": spec.get("bank_min"),
        "pass": _fraction(spec.get("pass")),
        "retake_within_days": spec.get("retake_within_days"),
    }


def _fraction(value: int | float | str | None) -> str | None:
    if value is None:
        return None
    return str(Fraction(value)) if isinstance(value, str) else str(Fraction(str(value)))
