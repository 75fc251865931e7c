"""The ``show_if`` language: a small, safe expression over earlier answers.

Examples::

    dealt_with_village == "有"
    q5 in ["满意", "很满意"] and not age_group == "18-29岁"
    household_size >= 3 or (problems contains "办事难")

Grammar (``not`` binds tighter than ``and``, ``and`` tighter than ``or``)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | condition
    condition  := NAME ("==" | "!=" | "<" | "<=" | ">" | ">=") literal
                | NAME ["not"] "in" "[" literal ("," literal)* "]"
                | NAME "contains" literal
    literal    := STRING | NUMBER

A hand-written tokenizer and recursive-descent parser build an AST of dataclasses; nothing
is ever passed to ``eval``. A condition on an item that was not answered (absent, ``None``)
is false, whatever the operator, so ``not`` of it is true.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

Literal = str | int | float

ORDERING = ("<", "<=", ">", ">=")
EQUALITY = ("==", "!=")
KEYWORDS = ("and", "or", "not", "in", "contains")


class ShowIfError(ValueError):
    """A ``show_if`` that does not parse; the message is Chinese, for county staff."""


@dataclass(frozen=True, slots=True)
class Compare:
    item: str
    op: str
    value: Literal


@dataclass(frozen=True, slots=True)
class In:
    item: str
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Contains:
    item: str
    value: Literal


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Union[Compare, In, Contains, Not, And, Or]  # noqa: UP007 (forward references)
Condition = Compare | In | Contains


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # NAME, STRING, NUMBER, OP, KEYWORD, END
    text: str
    value: Any
    column: int  # 1-based, for messages


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>"[^"\\]*"|'[^'\\]*'|“[^”]*”)
  | (?P<op>==|!=|<=|>=|<|>|=|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens; raise ``ShowIfError`` at the first character not allowed."""
    tokens = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise ShowIfError(f"第 {position + 1} 个字符 '{source[position]}' 无法识别")
        kind, text = match.lastgroup, match.group()
        column = position + 1
        position = match.end()
        if kind == "space":
            continue
        if kind == "number":
            value: Any = float(text) if "." in text else int(text)
            tokens.append(Token("NUMBER", text, value, column))
        elif kind == "string":
            tokens.append(Token("STRING", text, text[1:-1], column))
        elif kind == "op":
            tokens.append(Token("OP", text, text, column))
        elif text in KEYWORDS:
            tokens.append(Token("KEYWORD", text, text, column))
        else:
            tokens.append(Token("NAME", text, text, column))
    tokens.append(Token("END", "", None, len(source) + 1))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        token = self.current
        if token.kind == kind and (text is None or token.text == text):
            self.index += 1
            return token
        return None

    def expect(self, kind: str, text: str | None, wanted: str) -> Token:
        token = self.accept(kind, text)
        if token is None:
            found = "结尾" if self.current.kind == "END" else f"'{self.current.text}'"
            raise ShowIfError(f"第 {self.current.column} 个字符处应为{wanted}，却是{found}")
        return token

    def parse(self) -> Node:
        node = self.expression()
        self.expect("END", None, "结尾")
        return node

    def expression(self) -> Node:
        operands = [self.conjunction()]
        while self.accept("KEYWORD", "or"):
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.negation()]
        while self.accept("KEYWORD", "and"):
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def negation(self) -> Node:
        if self.accept("KEYWORD", "not"):
            return Not(self.negation())
        if self.accept("OP", "("):
            node = self.expression()
            self.expect("OP", ")", "右括号 ')'")
            return node
        return self.condition()

    def condition(self) -> Condition:
        item = self.expect("NAME", None, "题目编号").text
        if self.accept("KEYWORD", "contains"):
            return Contains(item, self.literal())
        if self.accept("KEYWORD", "not"):
            self.expect("KEYWORD", "in", "'in'")
            return In(item, self.literal_list(), negated=True)
        if self.accept("KEYWORD", "in"):
            return In(item, self.literal_list())
        token = self.current
        if token.kind == "OP" and token.text in EQUALITY + ORDERING:
            self.index += 1
            return Compare(item, token.text, self.literal())
        self.expect("OP", "==", "比较符号（== != < <= > >= in contains）")
        raise AssertionError("unreachable")  # pragma: no cover

    def literal(self) -> Literal:
        token = self.accept("STRING") or self.accept("NUMBER")
        if token is None:
            self.expect("STRING", None, "带引号的文字或数字")
        return token.value

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("OP", "[", "左方括号 '['")
        values = [self.literal()]
        while self.accept("OP", ","):
            values.append(self.literal())
        self.expect("OP", "]", "右方括号 ']'")
        return tuple(values)


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> Node:
    """Parse a ``show_if`` expression into its AST; raise ``ShowIfError`` if it is malformed.

    Kept per expression (the AST is immutable): every page and submission works out which
    items are shown, and parsing the same few expressions each time was most of that work."""
    return _Parser(source).parse()


def conditions(node: Node) -> list[Condition]:
    """The conditions of ``node`` in source order."""
    if isinstance(node, Not):
        return conditions(node.operand)
    if isinstance(node, And | Or):
        return [c for operand in node.operands for c in conditions(operand)]
    return [node]


def evaluate(node: Node, answers: Mapping[str, Any]) -> bool:
    """Whether ``node`` holds for ``answers`` (item id -> answer)."""
    if isinstance(node, Or):
        return any(evaluate(operand, answers) for operand in node.operands)
    if isinstance(node, And):
        return all(evaluate(operand, answers) for operand in node.operands)
    if isinstance(node, Not):
        return not evaluate(node.operand, answers)
    answer = answers.get(node.item)
    if answer is None:
        return False
    if isinstance(node, Contains):
        return isinstance(answer, list) and node.value in answer
    if isinstance(node, In):
        return (answer in node.values) != node.negated
    return _compare(answer, node.op, node.value)


def _compare(answer: Any, op: str, value: Literal) -> bool:
    if op == "==":
        return answer == value
    if op == "!=":
        return answer != value
    if not _is_number(answer) or not _is_number(value):
        return False
    return {
        "<": answer < value,
        "<=": answer <= value,
        ">": answer > value,
        ">=": answer >= value,
    }[op]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


CHOICE_TYPES = ("likert", "single", "ballot", "quiz")
TEXT_TYPES = ("short_text", "long_text")


def check(node: Node, item_id: str, earlier: Mapping[str, dict], later: set[str]) -> list[str]:
    """Problems of ``node`` as the ``show_if`` of item ``item_id``, in Chinese.

    ``earlier`` maps the ids of the items before this one to their normalised definitions
    (type, ``choices``, ``missing``, ``min``/``max``); ``later`` holds this item's id and all
    ids after it.
    """
    problems = []
    for condition in conditions(node):
        name = condition.item
        if name == item_id:
            problems.append(f"show_if 引用了本题 '{name}'")
        elif name in later:
            problems.append(f"show_if 引用了后面的题目 '{name}'")
        elif name not in earlier:
            problems.append(f"show_if 引用了不存在的题目 '{name}'")
        else:
            problems.extend(_check_types(condition, earlier[name]))
    return problems


def _check_types(condition: Condition, item: dict) -> list[str]:
    kind, name = item["type"], item["id"]
    values = _values_of(condition)
    if kind == "ballot" and item.get("aspects"):
        return [f"show_if 不能引用分项测评题 '{name}'"]
    if kind == "multiple":
        if not isinstance(condition, Contains):
            return [f"show_if 中多选题 '{name}' 只能用 contains 判断"]
        return _check_labels(item, values)
    if isinstance(condition, Contains):
        return [f"show_if 中 contains 只能用于多选题，'{name}' 是 {kind} 题"]
    if kind == "number":
        return _check_numbers(item, values)
    if isinstance(condition, Compare) and condition.op in ORDERING:
        return [f"show_if 中 {kind} 题 '{name}' 不能用 '{condition.op}' 比较大小"]
    for value in values:
        if _is_number(value):
            return [f"show_if 中 {kind} 题 '{name}' 不能与数字 {value} 比较"]
    if kind in TEXT_TYPES:
        return []
    return _check_labels(item, values)


def _values_of(condition: Condition) -> tuple[Literal, ...]:
    return condition.values if isinstance(condition, In) else (condition.value,)


def _check_labels(item: dict, values: tuple[Literal, ...]) -> list[str]:
    labels = [c["label"] for c in item.get("choices", [])] + item.get("missing", [])
    return [
        f"show_if 中 '{value}' 不是题目 '{item['id']}' 的选项"
        for value in values
        if value not in labels
    ]


def _check_numbers(item: dict, values: tuple[Literal, ...]) -> list[str]:
    name = item["id"]
    problems = []
    for value in values:
        if not _is_number(value):
            problems.append(f"show_if 中数字题 '{name}' 不能与文字 '{value}' 比较")
        elif not item["min"] <= value <= item["max"]:
            problems.append(
                f"show_if 中 {value} 超出题目 '{name}' 的范围 {item['min']}–{item['max']}"
            )
    return problems
