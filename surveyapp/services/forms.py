"""WTForms classes built per section from a questionnaire's normalised definition.

The definition is the single source: no item id appears in Python. Each item becomes a field
named ``q_<item id>`` (the prefix keeps ids such as ``data`` clear of WTForms' own attributes):

- likert, single, quiz, ballot: a radio list of the choices followed by the ``missing`` labels;
- ballot with aspects: one radio list per aspect (``q_<id>-a0``, ``q_<id>-a1`` …);
- multiple: checkboxes; number: a text box read as a number here; texts: a text box.

Fields carry no WTForms validators: every rule (required, ranges, choices, show_if) is checked
by ``surveyapp.questionnaire.answers``, which the submission service shares, so a page and the
final check never disagree and every message is the same Chinese text. Flask-WTF supplies the
CSRF token of each rendered form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form, FormField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.core import Field

from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion
from surveyapp.questionnaire import show_if
from surveyapp.questionnaire.answers import answer_problems

FIELD_PREFIX = "q_"
SINGLE_CHOICE_TYPES = ("likert", "single", "quiz", "ballot")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class ItemView:
    """What a template needs to draw one item: the item, its field and its show_if rule."""

    item: dict
    field: Field
    show_if: list | None  # the rule as JSON for form.js, or None
    hidden: bool  # hidden by show_if for the answers so far
    error: str | None


def field_name(item_id: str) -> str:
    return FIELD_PREFIX + item_id


def section_form_class(definition: dict, index: int) -> type[FlaskForm]:
    """A FlaskForm subclass with one field per item of section ``index``; built once per
    cached definition (``surveyapp.services.definitions``), each time for any other dict."""
    built = getattr(definition, "form_classes", None)
    if built is not None and index in built:
        return built[index]
    section = definition["sections"][index]
    fields = {field_name(item["id"]): _field(item) for item in section["items"]}
    form_class = type(f"Section{index}Form", (FlaskForm,), fields)
    if built is not None:
        built[index] = form_class
    return form_class


def build_section_form(
    definition: dict,
    index: int,
    *,
    answers: dict[str, Any] | None = None,
    formdata: MultiDict | None = None,
    csrf: bool = True,
) -> FlaskForm:
    """The form of section ``index``, filled from ``formdata`` or else from stored ``answers``.

    ``csrf=False`` is for services reading a form that the app-wide CSRFProtect has already
    checked, and for previews that never post.
    """
    form_class = section_form_class(definition, index)
    data = _form_data(definition["sections"][index], answers or {})
    meta = {"csrf": csrf}
    if formdata is not None:
        return form_class(formdata=formdata, meta=meta)
    return form_class(formdata=None, data=data, meta=meta)


def read_answers(definition: dict, index: int, form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The answers given on the form (None where left empty) and messages for entries that are
    not even of the right kind (a number box holding letters)."""
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for item in definition["sections"][index]["items"]:
        field = form[field_name(item["id"])]
        value, problem = _read(item, field)
        answers[item["id"]] = value
        if problem:
            problems[item["id"]] = problem
    return answers, problems


def read_posted(definition: dict, index: int, formdata: MultiDict
                ) -> tuple[dict[str, Any], dict[str, str]]:
    """``read_answers`` of the section's form built from ``formdata``, read straight from the
    posted fields by the same rules, without building and processing the WTForms form (the
    runner's POST; tests/web/test_submissions.py checks that both read alike)."""
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for item in definition["sections"][index]["items"]:
        value, problem = _read_posted(item, field_name(item["id"]), formdata)
        answers[item["id"]] = value
        if problem:
            problems[item["id"]] = problem
    return answers, problems


def _read_posted(item: dict, name: str, formdata: MultiDict) -> tuple[Any, str | None]:
    kind = item["type"]
    if kind == "ballot" and item.get("aspects"):
        grades = {a: formdata.get(f"{name}-a{k}") for k, a in enumerate(item["aspects"])}
        grades = {a: g for a, g in grades.items() if g}
        return grades or None, None
    if kind in SINGLE_CHOICE_TYPES:
        return formdata.get(name) or None, None
    if kind == "multiple":
        return formdata.getlist(name) or None, None
    return _read_text(kind, formdata.get(name))


def item_views(
    definition: dict, index: int, form: Form, shown: set[str], errors: dict[str, str]
) -> list[ItemView]:
    return [
        ItemView(
            item=item,
            field=form[field_name(item["id"])],
            show_if=show_if_json(item["show_if"]) if item["show_if"] else None,
            hidden=item["id"] not in shown,
            error=errors.get(item["id"]),
        )
        for item in definition["sections"][index]["items"]
    ]


def show_if_json(source: str) -> list:
    """A ``show_if`` rule as nested lists that form.js evaluates exactly as the server does."""
    return _node_json(show_if.parse(source))


def _node_json(node: show_if.Node) -> list:
    if isinstance(node, show_if.Or):
        return ["or", [_node_json(n) for n in node.operands]]
    if isinstance(node, show_if.And):
        return ["and", [_node_json(n) for n in node.operands]]
    if isinstance(node, show_if.Not):
        return ["not", _node_json(node.operand)]
    if isinstance(node, show_if.Contains):
        return ["contains", node.item, node.value]
    if isinstance(node, show_if.In):
        return ["in", node.item, list(node.values), node.negated]
    return ["cmp", node.item, node.op, node.value]


def labels(item: dict) -> list[str]:
    return [choice["label"] for choice in item.get("choices", [])] + item.get("missing", [])


def _field(item: dict) -> Any:
    kind = item["type"]
    choices = labels(item)
    if kind == "ballot" and item.get("aspects"):
        aspects = {
            f"a{k}": RadioField(aspect, choices=choices, validate_choice=False)
            for k, aspect in enumerate(item["aspects"])
        }
        return FormField(type("AspectsForm", (Form,), aspects), label=item["text"])
    if kind in SINGLE_CHOICE_TYPES:
        return RadioField(item["text"], choices=choices, validate_choice=False)
    if kind == "multiple":
        return SelectMultipleField(item["text"], choices=choices, validate_choice=False)
    if kind == "long_text":
        return TextAreaField(item["text"])
    return StringField(item["text"])


def _form_data(section: dict, answers: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in section["items"]:
        value = answers.get(item["id"])
        if value is None:
            continue
        if item["type"] == "ballot" and item.get("aspects"):
            value = {f"a{k}": value.get(a) for k, a in enumerate(item["aspects"])}
        elif item["type"] == "number":
            value = _number_text(value)
        data[field_name(item["id"])] = value
    return data


def _number_text(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _read(item: dict, field: Field) -> tuple[Any, str | None]:
    kind = item["type"]
    if kind == "ballot" and item.get("aspects"):
        grades = {a: field[f"a{k}"].data for k, a in enumerate(item["aspects"])}
        grades = {a: g for a, g in grades.items() if g}
        return grades or None, None
    if kind in SINGLE_CHOICE_TYPES:
        return field.data or None, None
    if kind == "multiple":
        return list(field.data or []) or None, None
    return _read_text(kind, field.data)


def _read_text(kind: str, data: str | None) -> tuple[Any, str | None]:
    text = (data or "").strip()
    if kind != "number":
        return text or None, None
    if not text:
        return None, None
    if not _NUMBER.match(text):
        return None, "请填写数字"
    number = float(text)
    return (int(number) if number.is_integer() else number), None


def check_section(definition: dict, index: int, formdata: MultiDict) -> dict[str, str]:
    """Item id -> Chinese message for one section's posted answers, storing nothing (the
    admin preview). Items shown by answers on other pages are judged without those answers."""
    form = build_section_form(definition, index, formdata=formdata, csrf=False)
    given, problems = read_answers(definition, index, form)
    answers = {k: v for k, v in given.items() if v is not None}
    section_ids = {item["id"] for item in definition["sections"][index]["items"]}
    found = answer_problems(definition, answers)
    return problems | {k: v for k, v in found.items() if k in section_ids}


def instrument_versions() -> list[QuestionnaireVersion]:
    """Every stored questionnaire version that has a form (indices files have none)."""
    rows = db.session.scalars(
        sa.select(QuestionnaireVersion).order_by(QuestionnaireVersion.questionnaire_id,
                                                 QuestionnaireVersion.id.desc())
    )
    return [row for row in rows if row.definition.get("kind", "questionnaire") == "questionnaire"]


def version_definition(version_id: int) -> dict | None:
    """The definition of a questionnaire version with a form, or None."""
    row = db.session.get(QuestionnaireVersion, version_id)
    if row is None or row.definition.get("kind", "questionnaire") != "questionnaire":
        return None
    return row.definition
