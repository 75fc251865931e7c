"""Validate a document against the JSON Schemas in ``questionnaires/schema/``.

The schemas are the single description of the file format; this module only runs them and
turns each ``jsonschema`` error into a Chinese message at the YAML line of the offending node.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, ValidationError
from jsonschema._keywords import additionalProperties, unevaluatedProperties
from jsonschema._utils import find_additional_properties, find_evaluated_property_keys_by_schema

from .source import Document, Problem

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "questionnaires" / "schema"
UNKNOWN_KEY = "unknown_key"

_TYPE_NAMES = {
    "string": "文字",
    "number": "数字",
    "integer": "整数",
    "boolean": "true 或 false",
    "object": "键值表",
    "array": "列表",
    "null": "空值",
}


def _additional_properties(validator, aP, instance, schema):
    if aP is False and validator.is_type(instance, "object"):
        for key in sorted(find_additional_properties(instance, schema), key=str):
            yield ValidationError(f"unknown key {key!r}", validator=UNKNOWN_KEY, path=[key])
        return
    yield from additionalProperties(validator, aP, instance, schema)


def _unevaluated_properties(validator, uP, instance, schema):
    if uP is False and validator.is_type(instance, "object"):
        evaluated = find_evaluated_property_keys_by_schema(validator, instance, schema)
        for key in sorted((k for k in instance if k not in evaluated), key=str):
            yield ValidationError(f"unknown key {key!r}", validator=UNKNOWN_KEY, path=[key])
        return
    yield from unevaluatedProperties(validator, uP, instance, schema)


# One error per unknown key, carrying the key in its path, so the message can point at the
# key's own line instead of the line of the mapping that holds it.
_Validator = jsonschema.validators.extend(
    Draft202012Validator,
    {
        "additionalProperties": _additional_properties,
        "unevaluatedProperties": _unevaluated_properties,
    },
)


@cache
def load_schema(name: str) -> dict:
    """The schema ``questionnaires/schema/<name>.schema.json``."""
    with open(SCHEMA_DIR / f"{name}.schema.json", encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    return _Validator(load_schema(schema_name))


def validate(doc: Document, schema_name: str) -> list[Problem]:
    """Schema problems of ``doc``, one per offending node, in line order."""
    validator = _validator(schema_name)
    problems = {}
    for error in validator.iter_errors(doc.data):
        for leaf in _leaves(error):
            problem = doc.problem(leaf.absolute_path, _message(leaf))
            problems[(problem.line, problem.message)] = problem
    return [problems[key] for key in sorted(problems)]


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For ``oneOf``/``anyOf``, the errors of the alternative that came closest."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            best = jsonschema.exceptions.best_match(error.context)
            return _leaves(best)
    return [error]


def _message(error: ValidationError) -> str:
    where = _name(error)
    kind, value = error.validator, error.validator_value
    if kind == UNKNOWN_KEY:
        return f"未知的键 '{error.absolute_path[-1]}'"
    if kind == "required":
        missing = [key for key in value if key not in error.instance]
        owner = error.instance.get("id")
        where = f"'{owner}' " if isinstance(owner, str) else where
        return f"{where}缺少必填的键 '{missing[0]}'"
    if kind == "type":
        kinds = [value] if isinstance(value, str) else value
        wanted = "或".join(_TYPE_NAMES.get(k, k) for k in kinds)
        return f"{where}应为 {wanted}，却是 {_show(error.instance)}"
    if kind in ("enum", "const"):
        allowed = value if kind == "enum" else [value]
        return f"{where}的值 {_show(error.instance)} 不允许，可选：{'、'.join(map(str, allowed))}"
    if kind == "pattern":
        rule = "小写英文字母开头，只含小写字母、数字和下划线"
        return f"{where}的值 {_show(error.instance)} 不是合法编号（{rule}）"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{where}的值 {error.instance} 太小，至少为 {value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"{where}的值 {error.instance} 太大，至多为 {value}"
    if kind in ("minItems", "minProperties"):
        return f"{where}至少需要 {value} 项"
    if kind == "maxItems":
        return f"{where}至多 {value} 项"
    if kind == "minLength":
        return f"{where}不能为空"
    if kind == "uniqueItems":
        return f"{where}中有重复的值"
    if kind in ("oneOf", "anyOf"):
        return f"{where}的值 {_show(error.instance)} 格式不对"
    return f"{where}{error.message}"


def _name(error: ValidationError) -> str:
    keys = [part for part in error.absolute_path if isinstance(part, str)]
    return f"'{keys[-1]}' " if keys else "文件顶层"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "键值表"
    if isinstance(value, list):
        return "列表"
    if value is None:
        return "空值"
    return repr(value) if isinstance(value, str) else str(value)
