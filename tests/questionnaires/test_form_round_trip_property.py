"""Property: any valid questionnaire's answers survive the whole collection path — the form
built from the definition, rendered, posted back as a browser would, read, stored as JSON and
scored — without loss."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from hypothesis import given
from werkzeug.datastructures import MultiDict

from scoring.item_scores import score_response
from surveyapp.questionnaire.answers import shown_items
from surveyapp.services.forms import build_section_form, field_name, read_answers
from tests.questionnaires.test_round_trip_property import COMMON, responses

APP = Flask(__name__)
APP.config.update(SECRET_KEY="tests-only", WTF_CSRF_ENABLED=False)


def posted(section: dict, answers: dict[str, Any]) -> MultiDict:
    """What a browser sends for these answers: one pair per ticked box or filled field."""
    pairs: list[tuple[str, str]] = []
    for item in section["items"]:
        value, name = answers.get(item["id"]), field_name(item["id"])
        if value is None:
            continue
        if item["type"] == "ballot" and item.get("aspects"):
            pairs += [(f"{name}-a{k}", value[a])
                      for k, a in enumerate(item["aspects"]) if a in value]
        elif item["type"] == "multiple":
            pairs += [(name, label) for label in value]
        elif item["type"] == "number":
            pairs.append((name, repr(value)))
        else:
            pairs.append((name, value))
    return MultiDict(pairs)


def as_read_back(item: dict, value: Any) -> Any:
    """An answer as the form reads it: text trimmed, empty answers absent."""
    if isinstance(value, str) and item["type"] in ("short_text", "long_text"):
        value = value.strip()
    return value if value not in ("", [], {}) else None


@COMMON
@given(response=responses())
def test_answers_survive_the_rendered_form_the_post_and_storage_and_score_the_same(response):
    definition, answers = response
    read: dict[str, Any] = {}
    with APP.test_request_context(method="POST"):
        for index, section in enumerate(definition["sections"]):
            shown_form = build_section_form(definition, index, answers=answers, csrf=False)
            for item in section["items"]:
                html = str(shown_form[field_name(item["id"])])
                for choice in item.get("choices", []):
                    assert json.dumps(choice["label"], ensure_ascii=False)[1:-1] in html
            form = build_section_form(definition, index, formdata=posted(section, answers),
                                      csrf=False)
            section_answers, problems = read_answers(definition, index, form)
            assert problems == {}
            read.update(section_answers)
    expected = {
        item["id"]: as_read_back(item, answers.get(item["id"]))
        for section in definition["sections"] for item in section["items"]
    }
    assert read == expected
    stored = json.loads(json.dumps(read, ensure_ascii=False))
    shown = shown_items(definition, stored)
    assert score_response(definition, stored, shown) == score_response(
        definition, {k: v for k, v in expected.items() if v is not None}, shown
    )
